"""The tour: one self-contained HTML page that walks through the tutorial, computed live.

``build_tour(out)`` runs every section of :mod:`gradkit.viz.tour_sections` in order. A
section's body is a standalone snippet: it is run as it is shown, in a fresh namespace, so
what a reader copies into Python is exactly what ran; its ``present`` function then turns
the snippet's variables into tables, SVG figures and interactive pictures (data computed
here, embedded as JSON, drawn by ``tour.js``). Formulas are TeX typeset by KaTeX, shipped
in the package (MIT licence). The page (``index.html``) uses relative paths only: it opens
from the file system with no network and nothing else running.

>>> from gradkit.viz.tour import Report
>>> report = Report()
>>> report.table("squares", ["x", "x**2"], [[2, 4]])
>>> len(report.items)
1
"""

from __future__ import annotations

import ast
import contextlib
import html
import inspect
import io
import json
import re
import shutil
import textwrap
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Math", "Report", "Section", "TourError", "build_tour", "section_code", "render_html"]

TUTORIAL = "Calculus for Deep Learning"


class TourError(RuntimeError):
    """Raised when sections of the tour failed; the page is still written, marking them."""


@dataclass(frozen=True)
class Math:
    """A table cell (or caption) holding TeX, typeset on the page.

    >>> Math("x^2").tex
    'x^2'
    """

    tex: str

    def __str__(self) -> str:
        return self.tex


@dataclass
class Report:
    """What a tour section shows besides its code: paragraphs, tables, figures, text blocks.

    Items appear on the page in the order they were added.

    >>> r = Report()
    >>> r.text("The slope of x**2 at 1 is 2.")
    >>> r.items[0][0]
    'text'
    """

    items: list[tuple[str, Any]] = field(default_factory=list)

    def text(self, paragraph: str) -> None:
        """Add a paragraph of plain text (escaped on the page)."""
        self.items.append(("text", str(paragraph)))

    def table(self, caption: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Add a table; floats are shown with up to 10 significant digits.

        >>> r = Report(); r.table("t", ["a"], [[1.5]]); r.items[0][1][2]
        [['1.5']]
        """
        cells = [[_cell(value) for value in row] for row in rows]
        for row in cells:
            if len(row) != len(header):
                raise ValueError(
                    f"table {caption!r}: a row has {len(row)} cells, the header {len(header)}"
                )
        self.items.append(("table", (str(caption), [str(h) for h in header], cells)))

    def figure(self, name: str, fig: Any, caption: str) -> None:
        """Add a matplotlib Figure, saved as ``<section>-<name>.png`` next to the page."""
        if not name.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"figure name {name!r}: use letters, digits, '-' and '_'")
        self.items.append(("figure", (name, fig, str(caption))))

    def pre(self, caption: str, text: str) -> None:
        """Add preformatted text."""
        self.items.append(("pre", (str(caption), str(text))))

    def steps(self, caption: str, tex: str) -> None:
        """Add a block of display math, such as a derivation's steps (TeX).

        >>> r = Report(); r.steps("d/dx x²", r"\\frac{d}{dx} x^2 = 2x"); r.items[0][0]
        'math'
        """
        self.items.append(("math", (str(caption), str(tex))))

    def widget(self, kind: str, data: dict[str, Any], caption: str) -> None:
        """Add an interactive picture drawn by ``tour.js`` from ``data`` (JSON).

        >>> r = Report(); r.widget("tangent", {"x": [0, 1]}, "c"); r.items[0][1][0]
        'tangent'
        """
        if not kind.isalpha():
            raise ValueError(f"widget kind {kind!r}: use letters only")
        json.dumps(data)  # fail here, naming the section, not when the page is written
        self.items.append(("widget", (kind, data, str(caption))))


def _cell(value: Any) -> Any:
    if isinstance(value, Math):
        return value
    if isinstance(value, float) or type(value).__name__.startswith("float"):
        return f"{float(value):.10g}"
    return str(value)


@dataclass(frozen=True)
class Section:
    """One part of the tour: an anchor ``key``, a ``title`` and its code.

    With ``present``, ``run``'s body is a standalone snippet: it is run as shown, in a
    fresh namespace, and ``present(namespace, report)`` fills the page from its
    variables. Without, ``run(report)`` is called and fills the page itself.
    """

    key: str
    title: str
    run: Callable[..., None]
    present: Callable[[dict[str, Any], Report], None] | None = None


def section_code(function: Callable[..., Any]) -> tuple[str, str]:
    """Return ``(introduction, code)`` of a section function: its docstring and its body.

    >>> def demo(report):
    ...     '''Squares grow.'''
    ...     report.text(str(3 ** 2))
    >>> section_code(demo)
    ('Squares grow.', 'report.text(str(3 ** 2))')
    """
    source = textwrap.dedent(inspect.getsource(function))
    definition = ast.parse(source).body[0]
    if not isinstance(definition, ast.FunctionDef):  # a lambda: show its line as it is
        return "", source.strip()
    doc = ast.get_docstring(definition) or ""
    body = definition.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    lines = source.splitlines()
    code = textwrap.dedent("\n".join(lines[body[0].lineno - 1 : body[-1].end_lineno]))
    return doc, code.strip("\n")


_HERE = Path(__file__).parent
_CSS = _HERE / "tour.css"
_JS = _HERE / "tour.js"
_ASSETS = _HERE / "tour_assets"


def _tutorial_link(match: re.Match) -> str:
    """ "the tutorial" in the text, linked to the header that names it."""
    return (
        f'<a class="tutorial" href="#about-tutorial" title="the tutorial &#8220;'
        f'{TUTORIAL}&#8221;">{match.group(1)}</a>'
    )


def _math(tex: str, display: bool = False) -> str:
    """TeX for KaTeX to typeset; the escaped TeX itself shows until it has (or without JS)."""
    tag, cls = ("div", "math display") if display else ("span", "math")
    return f'<{tag} class="{cls}">{html.escape(tex)}</{tag}>'


def _inline(text: str) -> str:
    """Escape ``text``, typeset its ``$...$`` math and link "the tutorial"."""
    out = []
    for k, piece in enumerate(re.split(r"(?<!\\)\$(.+?)(?<!\\)\$", text)):
        if k % 2:
            out.append(_math(piece))
        else:
            out.append(
                re.sub(
                    r"\b([Tt]he tutorial)\b", _tutorial_link, html.escape(piece.replace("\\$", "$"))
                )
            )
    return "".join(out)


def _paragraphs(text: str) -> str:
    """Paragraphs (blank-line separated) with inline math; ``$$...$$`` is display math."""
    rendered = []
    for k, piece in enumerate(text.split("$$")):
        if k % 2:
            rendered.append(_math(" ".join(piece.split()), display=True))
            continue
        for block in piece.split("\n\n"):
            if block.strip():
                prose = " ".join(block.split()).replace(" -- ", " \u2013 ")  # en dash
                rendered.append(f"<p>{_inline(prose)}</p>")
    return "\n".join(rendered)


def _cell_html(cell: Any) -> str:
    return _math(cell.tex) if isinstance(cell, Math) else html.escape(cell)


def _render_item(kind: str, payload: Any, image_names: dict[int, str]) -> str:
    if kind == "text":
        return _paragraphs(payload)
    if kind == "warning":
        return f'<p class="warning">gradkit warned: {html.escape(payload)}</p>'
    if kind == "pre":
        caption, text = payload
        return (
            f'<figure class="pre"><figcaption>{html.escape(caption)}</figcaption>'
            f"<pre>{html.escape(text)}</pre></figure>"
        )
    if kind == "math":
        caption, tex = payload
        return (
            f'<figure class="derivation"><figcaption>{html.escape(caption)}</figcaption>'
            f"{_math(tex, display=True)}</figure>"
        )
    if kind == "table":
        caption, header, rows = payload
        head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        body = "".join(
            "<tr>" + "".join(f"<td>{_cell_html(c)}</td>" for c in row) + "</tr>" for row in rows
        )
        return (
            f'<div class="table-scroll"><table><caption>{_inline(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
        )
    if kind == "figure":
        name, fig, caption = payload
        src, width = image_names[id(fig)]
        return (
            f'<figure><img src="{html.escape(src)}" width="{width}" '
            f'alt="{html.escape(caption)}">'
            f"<figcaption>{_inline(caption)}</figcaption></figure>"
        )
    if kind == "widget":
        kind, data, caption = payload
        blob = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
        return (
            f'<figure class="widget" data-widget="{kind}">'
            f'<script type="application/json">{blob}</script>'
            f'<div class="stage"><noscript>This picture needs JavaScript.</noscript></div>'
            f"<figcaption>{_inline(caption)}</figcaption></figure>"
        )
    raise ValueError(f"unknown report item {kind!r}")


def render_html(parts: Sequence[dict[str, Any]], version: str, seconds: float) -> str:
    """Return the page: a list of rendered sections (key, title, intro, code, body, seconds).

    >>> page = render_html([{"key": "a", "title": "A <b>", "intro": "x", "code": "1",
    ...                      "body": "", "seconds": 0.1, "error": None}], "0", 0.1)
    >>> "A &lt;b&gt;" in page and "<style>" in page
    True
    """
    nav = "".join(
        f'<li><a href="#{html.escape(p["key"])}">{html.escape(p["title"])}</a></li>' for p in parts
    )
    sections = []
    for number, part in enumerate(parts, start=1):
        error = ""
        if part.get("error"):
            error = f'<p class="error">This section failed: {html.escape(part["error"])}</p>'
        printed = ""
        if part.get("output"):
            printed = (
                f'<p class="printed">It prints:</p>'
                f'<pre class="output">{html.escape(part["output"])}</pre>'
            )
        sections.append(
            f'<section id="{html.escape(part["key"])}">'
            f"<h2>{number}. {html.escape(part['title'])}</h2>{_paragraphs(part['intro'])}"
            f"{error}{part['body']}"
            f"<details open><summary>The code ({part['seconds']:.1f} s): paste it into Python "
            f'and it runs as shown</summary><pre class="code"><code>'
            f"{html.escape(part['code'])}</code></pre>{printed}</details></section>"
        )
    css = _CSS.read_text(encoding="utf-8")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>gradkit tour: calculus for deep learning</title>"
        '<link rel="stylesheet" href="assets/katex.min.css">'
        f"<style>{css}</style></head>"
        "<body><header><h1>Calculus for deep learning: the gradkit tour</h1>"
        f'<p id="about-tutorial">This page follows the tutorial <cite>&#8220;{TUTORIAL}'
        "&#8221;</cite>, section by section, and redoes each of its computations with "
        "gradkit (the tutorial, rewritten on gradkit, is <code>docs/tutorial.md</code> in "
        "gradkit's repository). Every number, table and picture was computed by gradkit "
        f"{html.escape(version)} when the page was written ({seconds:.1f} s in all). Under "
        "each section is its code: a standalone snippet that runs as shown in a fresh "
        "Python session with gradkit installed. The pictures with controls are live: "
        "drag, click and read the numbers.</p>"
        f"<nav><ol>{nav}</ol></nav></header><main>{''.join(sections)}</main>"
        "<footer>Written by <code>gradkit tour</code>. Formulas typeset by KaTeX "
        "(MIT licence, at the top of <code>assets/katex.min.js</code>).</footer>"
        '<script src="assets/katex.min.js"></script><script src="assets/tour.js"></script>'
        "</body></html>\n"
    )


def build_tour(
    out: str | Path = "gradkit-tour",
    progress: bool = True,
    sections: Sequence[Section] | None = None,
    dpi: int | None = None,
) -> Path:
    """Write the tour into folder ``out`` and return the path of its ``index.html``.

    Args:
        out: the folder; created if needed. Images go to ``out/images/``.
        progress: show a rich progress bar on stderr, one step per section.
        sections: the sections to run (default: all of :data:`tour_sections.SECTIONS`).
        dpi: resolution of the PNG images (figures are SVG unless ``dpi`` is given).

    Raises:
        TourError: if a section failed. The page is still written, the failure marked on
        it, so the other sections can be looked at.

    >>> import tempfile
    >>> from gradkit.viz.tour import Section, build_tour
    >>> def hello(report):
    ...     report.text("hi")
    >>> demo = Section("demo", "Demo", hello)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     build_tour(folder, progress=False, sections=[demo]).name
    'index.html'
    """
    from gradkit import __version__

    if sections is None:
        from gradkit.viz.tour_sections import SECTIONS as sections
    out = Path(out)
    images = out / "images"
    images.mkdir(parents=True, exist_ok=True)
    assets = out / "assets"
    assets.mkdir(exist_ok=True)
    for asset in [*_ASSETS.iterdir(), _JS]:
        if asset.is_file():
            shutil.copyfile(asset, assets / asset.name)
    started = time.perf_counter()
    parts: list[dict[str, Any]] = []
    failures: list[str] = []
    with _Progress(progress, len(sections)) as advance:
        for section in sections:
            advance(section.title)
            intro, code = section_code(section.run)
            report = Report()
            t0 = time.perf_counter()
            error, output = None, ""
            # Warnings go on the page, next to what caused them, not across the progress bar.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    if section.present is None:
                        section.run(report)
                    else:
                        namespace, output = _run_snippet(code)
                        section.present(namespace, report)
                except Exception as exc:  # a broken section is marked on the page and raised
                    error = f"{type(exc).__name__}: {exc}"
                    failures.append(f"{section.title}: {error}")
            for warning in dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught):
                report.items.append(("warning", warning))
            image_names: dict[int, str] = {}
            for kind, payload in report.items:
                if kind == "figure":
                    name, fig, _ = payload
                    filename = f"{section.key}-{name}.{'svg' if dpi is None else 'png'}"
                    # gk.viz figures are plain Figures (no pyplot), so saving needs no
                    # backend switch and leaves an interactive session's backend alone
                    fig.savefig(images / filename, dpi=dpi or 100, bbox_inches="tight")
                    width = round(fig.get_size_inches()[0] * 100)  # CSS px at 100 dpi
                    image_names[id(fig)] = (f"images/{filename}", width)
            body = "\n".join(
                _render_item(kind, payload, image_names) for kind, payload in report.items
            )
            parts.append(
                {
                    "key": section.key,
                    "title": section.title,
                    "intro": intro,
                    "code": code,
                    "body": body,
                    "error": error,
                    "output": output,
                    "seconds": time.perf_counter() - t0,
                }
            )
        advance(None)
    index = out / "index.html"
    index.write_text(
        render_html(parts, __version__, time.perf_counter() - started), encoding="utf-8"
    )
    if failures:
        raise TourError(
            f"{len(failures)} section(s) of the tour failed (see {index}): " + "; ".join(failures)
        )
    return index


def _run_snippet(code: str) -> tuple[dict[str, Any], str]:
    """Run a section's snippet as a reader would, in a fresh namespace.

    Returns the namespace (for the section's ``present``) and what the snippet printed.

    >>> namespace, printed = _run_snippet("x = 6 * 7\\nprint(x)")
    >>> namespace["x"], printed
    (42, '42')
    """
    namespace: dict[str, Any] = {"__name__": "__main__"}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "<tour snippet>", "exec"), namespace)  # noqa: S102 -- our own code
    return namespace, printed.getvalue().rstrip()


class _Progress:
    """A rich progress bar on stderr (or nothing); ``advance(title)`` starts the next step."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled, self.total, self.bar, self.task, self.started = enabled, total, None, 0, 0

    def __enter__(self) -> Callable[[str | None], None]:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(
                TextColumn("tour"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                console=Console(stderr=True),
            )
            self.bar.start()
            self.task = self.bar.add_task("", total=self.total)
        return self._advance

    def _advance(self, title: str | None) -> None:
        if self.bar is None:
            return
        if self.started:
            self.bar.advance(self.task)
        self.started += 1
        self.bar.update(self.task, description=title or "done")

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
