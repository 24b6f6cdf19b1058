"""docs/tutorial.md shows what its code prints and draws, and is current: running its
blocks again (docs/build_tutorial.py) gives the committed page.

The printed numbers' last digits can depend on NumPy's version (rounding errors of
finite differences are printed on purpose), so on the versions the page was built with
the page must match exactly, and elsewhere it must match with its numbers masked.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("sympy")

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "build_tutorial", ROOT / "docs" / "build_tutorial.py"
)
assert _spec and _spec.loader
build_tutorial = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_tutorial)

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?")


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory) -> str:
    return build_tutorial.build(
        build_tutorial.PAGE.read_text(encoding="utf-8"), tmp_path_factory.mktemp("tutorial")
    )


def test_the_committed_page_is_what_running_it_gives(rebuilt):
    committed = build_tutorial.PAGE.read_text(encoding="utf-8")
    if build_tutorial.stamp() in committed:
        assert rebuilt == committed, "docs/tutorial.md is stale: run python docs/build_tutorial.py"
    else:  # other versions: the same text, numbers aside
        masked = _NUMBER.sub("#", rebuilt.replace(build_tutorial.stamp(), ""))
        expected = _NUMBER.sub("#", build_tutorial._STAMP.sub("", committed))
        assert masked == expected, "docs/tutorial.md is stale: run python docs/build_tutorial.py"


def test_every_block_that_prints_or_draws_shows_it():
    page = build_tutorial.PAGE.read_text(encoding="utf-8")
    outputs = re.findall(r"<!-- BEGIN output -->\n(.*?)<!-- END output -->", page, re.S)
    assert len(outputs) >= 15
    linked = re.findall(r"!\[[^\]]*\]\(images/tutorial/([^)]+)\)", page)
    assert len(linked) >= 10 and len(set(linked)) == len(linked)
    folder = build_tutorial.IMAGES
    assert sorted(p.name for p in folder.iterdir()) == sorted(linked)  # none missing, none orphaned
    for name in linked:
        data = (folder / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000, name
    assert "x = 2.0: forward 4.0000000" in page  # the tutorial's forward difference, printed


def test_the_build_is_idempotent_on_its_own_output():
    page = build_tutorial.PAGE.read_text(encoding="utf-8")
    bare = build_tutorial.strip_outputs(page)
    assert "<!-- BEGIN output -->" not in bare and "<!-- outputs:" not in bare
    assert build_tutorial.strip_outputs(bare) == bare
    # the page's own text and code are untouched by the insertions
    assert re.findall(r"```python\n.*?```", bare, re.S) == re.findall(
        r"```python\n.*?```", page, re.S
    )


def test_a_stale_page_is_reported(tmp_path, monkeypatch, capsys):
    page = tmp_path / "tutorial.md"
    page.write_text("# t\n\n## 1. A\n\n```python\nprint(6 * 7)\n```\n", encoding="utf-8")
    monkeypatch.setattr(build_tutorial, "PAGE", page)
    assert build_tutorial.main(["--check"]) == 1
    assert "is stale" in capsys.readouterr().err
    monkeypatch.setattr(build_tutorial, "IMAGES", tmp_path / "images")
    assert build_tutorial.main([]) == 0
    assert "```text\n42\n```" in page.read_text(encoding="utf-8")
    assert build_tutorial.main(["--check"]) == 0
