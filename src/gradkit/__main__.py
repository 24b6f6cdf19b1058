"""``python -m gradkit`` runs the command line."""

from gradkit.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
