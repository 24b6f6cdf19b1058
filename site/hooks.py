"""MkDocs hooks: GitHub's math syntax on the site, typeset by the KaTeX gradkit ships.

The Markdown pages are written for GitHub, which reads ``$`...`$`` as inline math and a
```` ```math ```` fence as display math; pymdownx.arithmatex reads ``$...$`` and
``$$...$$``. :func:`github_math` rewrites the first into the second (outside other code
fences) before the page is rendered. KaTeX (MIT licence) comes from the package's tour
assets, copied into the site, so the site's math needs no network either.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

KATEX = Path(__file__).resolve().parents[1] / "src" / "gradkit" / "viz" / "tour_assets"
_FENCE = re.compile(r"^(```+|~~~+)(.*)$")
_INLINE = re.compile(r"\$`([^`\n]+)`\$")


def github_math(markdown: str) -> str:
    """Rewrite GitHub's ``$`x`$`` and ```` ```math ```` blocks as ``$x$`` and ``$$``.

    >>> github_math("a $`x^2`$ b\\n```math\\nx\\n```\\n```python\\ny = '$`z`$'\\n```\\n")
    "a $x^2$ b\\n$$\\nx\\n$$\\n```python\\ny = '$`z`$'\\n```\\n"
    """
    out: list[str] = []
    fence = ""  # the open fence's marker, "" outside fences
    is_math = False
    for line in markdown.split("\n"):
        match = _FENCE.match(line.strip())
        if not fence and match:
            fence, is_math = match.group(1), match.group(2).strip() == "math"
            out.append("$$" if is_math else line)
        elif fence and line.strip() == fence:
            out.append("$$" if is_math else line)
            fence, is_math = "", False
        elif fence:
            out.append(line)
        else:
            out.append(_INLINE.sub(lambda m: f"${m.group(1)}$", line))
    return "\n".join(out)


def on_config(config: Any) -> Any:
    config["extra_css"].append("assets/katex/katex.min.css")
    config["extra_javascript"].append("assets/katex/katex.min.js")
    config["extra_javascript"].append("javascripts/katex-render.js")
    return config


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    return github_math(markdown)


def on_post_build(config: Any) -> None:
    target = Path(config["site_dir"]) / "assets" / "katex"
    target.mkdir(parents=True, exist_ok=True)
    for name in ("katex.min.js", "katex.min.css", "KATEX_LICENSE"):
        shutil.copyfile(KATEX / name, target / name)
