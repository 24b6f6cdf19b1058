"""The ``gradkit`` command line (argparse subcommands).

>>> main(["--version"])  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    import gradkit

    parser = argparse.ArgumentParser(prog="gradkit", description="The calculus of deep learning.")
    parser.add_argument("--version", action="version", version=f"gradkit {gradkit.__version__}")
    parser.parse_args(argv)
    import numpy as np

    g = gradkit.grad(lambda x: np.sum(x**2))(np.array([1.0, 2.0]))
    sys.stdout.write(f"grad of sum(x**2) at [1, 2] = {g}\n")
    return 0
