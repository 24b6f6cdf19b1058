"""Execute docs/tutorial.md and write each code block's output and figures into the page.

Run ``python docs/build_tutorial.py`` from the repository (gradkit importable) after
changing the tutorial's code. Every ```python block runs in order in one namespace, as a
reader would run them, in a temporary folder; after each block the page gets what it
printed (a ```text block) and the figures it saved (``savefig("name.png")``), copied to
``docs/images/tutorial/``. These insertions sit between ``<!-- BEGIN output -->`` and
``<!-- END output -->`` and are replaced on every run, so the script is idempotent.
``tests/test_tutorial_page.py`` checks that the committed page is what a run gives.

``python docs/build_tutorial.py --check`` exits 1 (and says where) if the page is stale.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
PAGE = DOCS / "tutorial.md"
IMAGES = DOCS / "images" / "tutorial"  # the figures, as the page links them
BEGIN, END = "<!-- BEGIN output -->", "<!-- END output -->"

_OUTPUT = re.compile(rf"\n{re.escape(BEGIN)}\n.*?{re.escape(END)}\n", re.S)
_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*\n", re.M | re.S)
_STAMP = re.compile(r"<!-- outputs: .*? -->\n\n")


def strip_outputs(text: str) -> str:
    """The page without the inserted outputs (and without the version stamp)."""
    return _STAMP.sub("", _OUTPUT.sub("", text))


def stamp() -> str:
    """The versions a build ran with (numbers printed depend on them in their last digits)."""
    import numpy

    import gradkit

    return (
        f"<!-- outputs: gradkit {gradkit.__version__}, NumPy {numpy.__version__}, Python "
        f"{sys.version_info.major}.{sys.version_info.minor}; python docs/build_tutorial.py "
        "writes them -->\n\n"
    )


def _output_block(printed: str, figures: list[str]) -> str:
    parts = [BEGIN]
    if printed.strip():
        parts += ["```text", printed.rstrip("\n"), "```"]
    for name in figures:
        parts.append(f"![{Path(name).stem}](images/tutorial/{name})")
    parts.append(END)
    return "\n".join(parts) + "\n"


def run_blocks(text: str, workdir: Path) -> tuple[list[str], list[list[str]]]:
    """Run the page's python blocks in order in ``workdir``; return what each printed and
    the image files each wrote there (in the order they appeared)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    namespace: dict = {"__name__": "tutorial"}
    printed, figures = [], []
    seen: set[str] = set()
    old = Path.cwd()
    os.chdir(workdir)
    try:
        for match in _BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 2
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer):
                exec(compile(match.group(1), f"tutorial.md:{line}", "exec"), namespace)
            plt.close("all")
            printed.append(buffer.getvalue())
            new = sorted(
                (
                    p
                    for p in workdir.iterdir()
                    if p.suffix in (".png", ".svg") and p.name not in seen
                ),
                key=lambda p: p.stat().st_mtime_ns,
            )
            seen.update(p.name for p in new)
            figures.append([p.name for p in new])
    finally:
        os.chdir(old)
    return printed, figures


def build(text: str, workdir: Path) -> str:
    """Return the page with fresh outputs, running its blocks in ``workdir``."""
    text = strip_outputs(text)
    printed, figures = run_blocks(text, workdir)
    pieces, last = [], 0
    for k, match in enumerate(_BLOCK.finditer(text)):
        pieces.append(text[last : match.end()])
        if printed[k].strip() or figures[k]:
            pieces.append("\n" + _output_block(printed[k], figures[k]))
        last = match.end()
    pieces.append(text[last:])
    page = "".join(pieces)
    first = page.index("\n## ") + 1  # the stamp goes before the first section
    return page[:first] + stamp() + page[first:]


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        page = build(PAGE.read_text(encoding="utf-8"), workdir)
        if "--check" in argv:
            if page != PAGE.read_text(encoding="utf-8"):
                print(f"{PAGE} is stale: run python docs/build_tutorial.py", file=sys.stderr)
                return 1
            print(f"{PAGE} is current")
            return 0
        IMAGES.mkdir(parents=True, exist_ok=True)
        for old in IMAGES.iterdir():
            old.unlink()
        for image in workdir.iterdir():
            if image.suffix in (".png", ".svg"):
                (IMAGES / image.name).write_bytes(image.read_bytes())
        PAGE.write_text(page, encoding="utf-8")
    print(f"wrote {PAGE} and {len(list(IMAGES.iterdir()))} figures in {IMAGES}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
