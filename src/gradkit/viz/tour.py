"""The tour: one self-contained HTML page that walks through the tutorial, computed live.

``build_tour(out)`` runs every section of :mod:`gradkit.viz.tour_sections` in order; each
section is a small function whose docstring is its introduction and whose body is the
gradkit code shown on the page, so what is shown is exactly what ran. The page
(``index.html``) uses inline CSS and relative image paths only: it opens from the file
system with nothing else running.

>>> from gradkit.viz.tour import Report
>>> report = Report()
>>> report.table("squares", ["x", "x**2"], [[2, 4]])
>>> len(report.items)
1
"""

from __future__ import annotations

import ast
import html
import inspect
import textwrap
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Report", "Section", "TourError", "build_tour", "section_code", "render_html"]


class TourError(RuntimeError):
    """Raised when sections of the tour failed; the page is still written, marking them."""


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
                raise ValueError(f"table {caption!r}: a row has {len(row)} cells, "
                                 f"the header {len(header)}")
        self.items.append(("table", (str(caption), [str(h) for h in header], cells)))

    def figure(self, name: str, fig: Any, caption: str) -> None:
        """Add a matplotlib Figure, saved as ``<section>-<name>.png`` next to the page."""
        if not name.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"figure name {name!r}: use letters, digits, '-' and '_'")
        self.items.append(("figure", (name, fig, str(caption))))

    def pre(self, caption: str, text: str) -> None:
        """Add preformatted text, such as a derivation's steps."""
        self.items.append(("pre", (str(caption), str(text))))


def _cell(value: Any) -> str:
    if isinstance(value, float) or type(value).__name__.startswith("float"):
        return f"{float(value):.10g}"
    return str(value)


@dataclass(frozen=True)
class Section:
    """One part of the tour: an anchor ``key``, a ``title`` and the function that runs it."""

    key: str
    title: str
    run: Callable[[Report], None]


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
    code = textwrap.dedent("\n".join(lines[body[0].lineno - 1: body[-1].end_lineno]))
    return doc, code.strip("\n")


_CSS = Path(__file__).with_name("tour.css")


def _paragraphs(text: str) -> str:
    blocks = [" ".join(block.split()) for block in text.split("\n\n") if block.strip()]
    return "\n".join(f"<p>{html.escape(block)}</p>" for block in blocks)


def _render_item(kind: str, payload: Any, image_names: dict[int, str]) -> str:
    if kind == "text":
        return _paragraphs(payload)
    if kind == "warning":
        return f'<p class="warning">gradkit warned: {html.escape(payload)}</p>'
    if kind == "pre":
        caption, text = payload
        return (f'<figure class="pre"><figcaption>{html.escape(caption)}</figcaption>'
                f"<pre>{html.escape(text)}</pre></figure>")
    if kind == "table":
        caption, header, rows = payload
        head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                       for row in rows)
        return (f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr>"
                f"</thead><tbody>{body}</tbody></table>")
    if kind == "figure":
        name, fig, caption = payload
        src = image_names[id(fig)]
        return (f'<figure><img src="{html.escape(src)}" alt="{html.escape(caption)}">'
                f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    raise ValueError(f"unknown report item {kind!r}")


def render_html(parts: Sequence[dict[str, Any]], version: str, seconds: float) -> str:
    """Return the page: a list of rendered sections (key, title, intro, code, body, seconds).

    >>> page = render_html([{"key": "a", "title": "A <b>", "intro": "x", "code": "1",
    ...                      "body": "", "seconds": 0.1, "error": None}], "0", 0.1)
    >>> "A &lt;b&gt;" in page and "<style>" in page
    True
    """
    nav = "".join(f'<li><a href="#{html.escape(p["key"])}">{html.escape(p["title"])}</a></li>'
                  for p in parts)
    sections = []
    for number, part in enumerate(parts, start=1):
        error = ""
        if part.get("error"):
            error = f'<p class="error">This section failed: {html.escape(part["error"])}</p>'
        sections.append(
            f'<section id="{html.escape(part["key"])}">'
            f'<h2>{number}. {html.escape(part["title"])}</h2>{_paragraphs(part["intro"])}'
            f"{error}{part['body']}"
            f'<details open><summary>The gradkit code that produced this section '
            f'({part["seconds"]:.1f} s)</summary><pre class="code">{html.escape(part["code"])}'
            f"</pre></details></section>"
        )
    css = _CSS.read_text(encoding="utf-8")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>gradkit tour: calculus for deep learning</title><style>{css}</style></head>"
        "<body><header><h1>Calculus for deep learning: the gradkit tour</h1>"
        "<p>Every number, table and picture on this page was computed by gradkit "
        f"{html.escape(version)} when the page was written ({seconds:.1f} s in all); under "
        "each section is the code that produced it (<code>report</code> is this page: "
        "<code>report.table</code>, <code>report.figure</code> and <code>report.text</code> "
        "add to it).</p>"
        f"<nav><ol>{nav}</ol></nav></header><main>{''.join(sections)}</main>"
        "<footer>Written by <code>gradkit tour</code>.</footer></body></html>\n"
    )


def build_tour(
    out: str | Path = "gradkit-tour",
    progress: bool = True,
    sections: Sequence[Section] | None = None,
    dpi: int = 80,
) -> Path:
    """Write the tour into folder ``out`` and return the path of its ``index.html``.

    Args:
        out: the folder; created if needed. Images go to ``out/images/``.
        progress: show a rich progress bar on stderr, one step per section.
        sections: the sections to run (default: all of :data:`tour_sections.SECTIONS`).
        dpi: resolution of the PNG images.

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
    started = time.perf_counter()
    parts: list[dict[str, Any]] = []
    failures: list[str] = []
    with _Progress(progress, len(sections)) as advance:
        for section in sections:
            advance(section.title)
            intro, code = section_code(section.run)
            report = Report()
            t0 = time.perf_counter()
            error = None
            # Warnings go on the page, next to what caused them, not across the progress bar.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    section.run(report)
                except Exception as exc:  # a broken section is marked on the page and raised
                    error = f"{type(exc).__name__}: {exc}"
                    failures.append(f"{section.title}: {error}")
            for warning in dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught):
                report.items.append(("warning", warning))
            image_names: dict[int, str] = {}
            for kind, payload in report.items:
                if kind == "figure":
                    name, fig, _ = payload
                    filename = f"{section.key}-{name}.png"
                    # gk.viz figures are plain Figures (no pyplot), so saving needs no
                    # backend switch and leaves an interactive session's backend alone
                    fig.savefig(images / filename, dpi=dpi, bbox_inches="tight")
                    image_names[id(fig)] = f"images/{filename}"
            body = "\n".join(_render_item(kind, payload, image_names)
                             for kind, payload in report.items)
            parts.append({"key": section.key, "title": section.title, "intro": intro,
                          "code": code, "body": body, "error": error,
                          "seconds": time.perf_counter() - t0})
        advance(None)
    index = out / "index.html"
    index.write_text(render_html(parts, __version__, time.perf_counter() - started),
                     encoding="utf-8")
    if failures:
        raise TourError(f"{len(failures)} section(s) of the tour failed (see {index}): "
                        + "; ".join(failures))
    return index


class _Progress:
    """A rich progress bar on stderr (or nothing); ``advance(title)`` starts the next step."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled, self.total, self.bar, self.task, self.started = enabled, total, None, 0, 0

    def __enter__(self) -> Callable[[str | None], None]:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(TextColumn("tour"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("{task.description}"),
                                console=Console(stderr=True))
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
