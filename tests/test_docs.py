"""Every ```python block of the README and of every page under docs/ runs, in order, as
written (the guides under docs/guide/ hold what was the README's reference text).

Blocks of one file share a namespace (later blocks use earlier names, as a reader would).
Figures go to a temporary folder (the working directory during the run); nothing is shown.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"

_FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """Return ``(line number, code)`` of each ```python block of a Markdown file."""
    text = path.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in _FENCE.finditer(text)]


def run_doctest_block(code: str, namespace: dict, name: str) -> None:
    """Run a ``>>>`` session block, checking its printed results; raise on a mismatch."""
    import doctest

    test = doctest.DocTestParser().get_doctest(code, namespace, name, name, 0)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    runner = doctest.DocTestRunner(optionflags=flags)
    report: list[str] = []
    runner.run(test, out=report.append, clear_globs=False)
    namespace.update(test.globs)  # DocTest works on a copy; later blocks need the names
    if runner.failures:
        raise AssertionError("".join(report))


def documents() -> list[Path]:
    """The README and every docs page that has a ```python block (found, not listed, so
    a page added later is run too)."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return [page for page in pages if python_blocks(page)]


DOCS = documents()


def test_the_moved_reference_is_still_run():
    # The README's 27 python blocks went to the guides when it became a front door;
    # the README keeps its practitioner examples.
    names = {page.relative_to(ROOT).as_posix() for page in DOCS}
    guides = {"autodiff", "numerical", "symbolic", "nn", "optim", "viz"}
    assert {"README.md", "docs/tutorial.md"} | {f"docs/guide/{g}.md" for g in guides} <= names
    moved = sum(len(python_blocks(ROOT / "docs" / "guide" / f"{g}.md")) for g in guides)
    assert moved >= 27


def test_doctest_blocks_are_checked():
    namespace: dict = {}
    run_doctest_block(">>> x = 2\n>>> x + 1\n3\n", namespace, "ok")
    assert namespace["x"] == 2
    with pytest.raises(AssertionError):
        run_doctest_block(">>> 1 + 1\n3\n", {}, "wrong")


def test_the_block_finder_sees_fences_only(tmp_path):
    sample = "text\n```python\nx = 1\n```\n```bash\nls\n```\n```python\ny = x\n```\n"
    path = tmp_path / "sample.md"
    path.write_text(sample)
    assert python_blocks(path) == [(3, "x = 1\n"), (9, "y = x\n")]


def test_the_tutorial_has_a_block_per_section():
    blocks = python_blocks(TUTORIAL)
    assert len(blocks) >= 15
    text = TUTORIAL.read_text(encoding="utf-8")
    for heading in (
        "## 1. Single variable calculus",
        "## 2. Multivariable calculus",
        "## 3. Gradients and directional derivatives",
        "## 4. Chain rule and backpropagation",
        "## 5. Optimization techniques",
        "## 6. Applications in deep learning",
    ):
        assert heading in text


#: Pages whose examples need an optional package that no extra of `all` installs.
NEEDS = {"docs/jit.md": "numba", "docs/scaling.md": "distributed"}


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_python_block_runs(path, tmp_path, monkeypatch, capsys):
    import matplotlib.pyplot as plt

    if path.relative_to(ROOT).as_posix() in NEEDS:
        pytest.importorskip(NEEDS[path.relative_to(ROOT).as_posix()])
    blocks = python_blocks(path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(plt, "show", lambda *a, **k: None)
    name = path.relative_to(ROOT).as_posix()
    namespace: dict = {"__name__": f"docs_{path.stem}"}
    for line, code in blocks:
        try:
            if code.lstrip().startswith(">>>"):
                run_doctest_block(code, namespace, f"{name}:{line}")
            else:
                exec(compile(code, f"{name}:{line}", "exec"), namespace)  # our own docs
        except Exception as error:
            raise AssertionError(
                f"{name}, the block at line {line} failed: {type(error).__name__}: {error}"
            ) from error
        finally:
            plt.close("all")
    written = list(tmp_path.glob("*.png"))
    if path == TUTORIAL:
        assert len(written) >= 10
        assert all(p.stat().st_size > 2000 for p in written)
