"""What Jupyter shows, part two: figures a cell *creates* are shown (not only those it
returns, and each once), and derivations, computational graphs and step-error curves
have short reprs and HTML views. The notebook test runs a real kernel (nbclient)."""

from __future__ import annotations

import html.parser
import os
from pathlib import Path

import numpy as np
import pytest

import gradkit as gk
from gradkit.autodiff.graph import trace_graph


class _TagChecker(html.parser.HTMLParser):
    """Checks that every opened tag is closed in order (void tags aside)."""

    VOID = {"br", "img", "hr", "meta", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()


def well_formed(text: str) -> list[str]:
    checker = _TagChecker()
    checker.feed(text)
    checker.close()
    assert not checker.stack, f"unclosed tags: {checker.stack}"
    return checker.tags


# ------------------------------------------------------------------ reprs, without a kernel


def test_graph_repr_is_one_line_with_the_values_and_gradients():
    graph = trace_graph(lambda x, y: x * y + np.sin(x), 2.0, 3.0)
    text = repr(graph)
    # d/dx (x y + sin x) = y + cos x, d/dy = x: computed here, not read from the graph
    assert f"x = 2 (grad {3.0 + np.cos(2.0):.4g})" in text
    assert "y = 3 (grad 2)" in text
    assert f"output add = {6.0 + np.sin(2.0):.4g}" in text
    assert "\n" not in text and len(text) < 200
    # a big graph's repr stays short too
    many = trace_graph(lambda *xs: sum(x * x for x in xs), *np.arange(1.0, 41.0))
    assert len(repr(many)) < 250 and "..." in repr(many)
    assert repr(graph.nodes[2]).startswith("<GraphNode 2 multiply = 6, grad 1")


def test_graph_html_is_a_table_of_every_node():
    graph = trace_graph(lambda w, x, b: gk.nn.sigmoid(w * x + b), 0.5, 2.0, -1.0)
    page = graph._repr_html_()
    tags = well_formed(page)
    assert tags.count("tr") == 1 + len(graph.nodes)
    s = 1 / (1 + np.exp(-(0.5 * 2.0 - 1.0)))  # sigmoid(0) = 0.5, its slope 0.25
    assert f"<td>{s:.4g}</td>" in page and f"<td>{s * (1 - s):.4g}</td>" in page


def test_derivation_html_has_every_step_as_mathml():
    pytest.importorskip("sympy")
    d = gk.symbolic.derive("x^2 sin(x)")
    page = d._repr_html_()
    tags = well_formed(page)
    assert tags.count("li") == sum(1 for _ in d.walk())
    titles = [step.title for step in d.walk()]
    positions = [page.index(f"<b>{title}:</b>") for title in titles]
    assert positions == sorted(positions)  # in reading order
    assert tags.count("math") == page.count("<math")
    assert "<msup><mi>x</mi><mn>2</mn></msup>" in page and "<mi>cos</mi>" in page
    assert page.count("<b>Result:</b>") == 1


def test_derivation_repr_stays_short_for_long_expressions():
    pytest.importorskip("sympy")
    long = " + ".join(f"sin({k} x)" for k in range(1, 30))
    text = repr(gk.symbolic.derive(long))
    assert text.startswith("<Derivation d/dx [") and len(text) < 200 and "..." in text


def test_step_error_repr_and_html_are_short():
    r = gk.numerical.step_error(np.sin, np.cos, 1.0)
    text = repr(r)
    assert len(text) < 300 and "\n" not in text
    for method, step in r.best_step.items():
        assert f"{method}: best h {step:.2g}" in text
    page = r._repr_html_()
    assert well_formed(page).count("tr") == 1 + len(r.best_error)
    assert f"{r.tutorial_error:.1e}" in page


# ------------------------------------------------------------------ a real kernel

CELLS = [
    "import numpy as np\nimport gradkit as gk\nfrom gradkit.autodiff.graph import trace_graph",
    "fig = gk.viz.plot_derivative(np.sin, (-3.0, 3.0))",  # created, not returned
    "gk.viz.plot_derivative(np.cos, (-3.0, 3.0))",  # returned: shown once
    "figs = [gk.viz.plot_derivative(np.sin, (-3.0, 3.0), at=a) for a in (0.0, 1.0)]\nlen(figs)",
    "x = 1",  # no figure made: none shown again
    "from gradkit.viz.notebook_display import hidden\n"
    "with hidden():\n    gk.viz.plot_derivative(np.sin, (-3.0, 3.0)).savefig('sin.png')",
    'gk.symbolic.derive("x^2 sin(x)")',
    "trace_graph(lambda w, x, b: gk.nn.sigmoid(w * x + b), 0.5, 2.0, -1.0)",
    "gk.numerical.step_error(np.sin, np.cos, 1.0)",
]


def _images(cell) -> int:
    return sum("image/png" in out.get("data", {}) for out in cell.outputs)


def _result(cell) -> dict:
    return next(out for out in cell.outputs if out["output_type"] == "execute_result")["data"]


def test_a_notebook_shows_created_figures_and_rich_results(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    pytest.importorskip("sympy")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    here = str(Path(gk.__file__).resolve().parents[1])  # the gradkit under test, in the kernel
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([here, os.environ.get("PYTHONPATH", "")]))
    client = nbclient.NotebookClient(nb, timeout=180, kernel_name="python3")
    client.execute(cwd=str(tmp_path))
    cells = nb.cells
    errors = [o for c in cells for o in c.outputs if o["output_type"] == "error"]
    assert not errors, errors
    assert [_images(c) for c in cells] == [0, 1, 1, 2, 0, 0, 0, 0, 0]
    assert (tmp_path / "sin.png").is_file()  # the hidden figure was made, and saved
    assert _result(cells[3])["text/plain"] == "2"  # the figures follow it, as pyplot's do
    derivation = _result(cells[6])
    assert derivation["text/plain"].startswith("<Derivation d/dx [x**2*sin(x)] = ")
    assert "<math" in derivation["text/html"]
    graph = _result(cells[7])
    assert graph["text/plain"].startswith("<Graph of ") and "<table>" in graph["text/html"]
    step = _result(cells[8])
    assert step["text/plain"].startswith("StepError(x=1, ") and "<table>" in step["text/html"]
