"""The documentation site's configuration: every page is in the navigation, and the hook
that turns GitHub's math syntax into the site's works (docs/hooks.py)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "docs" / "hooks.py")
assert _spec and _spec.loader
hooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hooks)


def test_every_docs_page_is_in_the_navigation():
    nav = set(re.findall(r":\s*([\w/.-]+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), re.M))
    pages = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert pages - nav == set(), "add these pages to mkdocs.yml's nav"
    assert nav - pages == set(), "mkdocs.yml's nav names pages that do not exist"


def test_github_math_becomes_arithmatex_math():
    text = "a $`x^2`$ and $`\\frac{1}{2}`$ b\n```math\nf'(x) = 2x\n```\nend"
    assert hooks.github_math(text) == "a $x^2$ and $\\frac{1}{2}$ b\n$$\nf'(x) = 2x\n$$\nend"


def test_code_fences_are_left_alone():
    text = "```python\ns = '$`z`$'\n```\n````text\n```math\n````\n"
    assert hooks.github_math(text) == text


def test_the_katex_the_site_uses_ships_with_gradkit():
    for name in ("katex.min.js", "katex.min.css", "KATEX_LICENSE"):
        assert (hooks.KATEX / name).is_file(), name
    assert "hooks:\n  - docs/hooks.py" in (ROOT / "mkdocs.yml").read_text()
