"""The tour: it runs end to end, every file it references exists, it needs no network, its
formulas are typeset math, its shown code runs as written, and its interactive data is
right (checked against closed forms and an independent re-implementation of the race).
The page in a real browser: tests/test_tour_browser.py."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from gradkit.viz.tour import Report, Section, TourError, build_tour, render_html, section_code
from gradkit.viz.tour_sections import SECTIONS


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.links, self.scripts, self.h2 = [], [], [], []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "link":
            self.links.append(attrs.get("href"))
        if tag == "script":
            self.scripts.append(attrs.get("src") or attrs.get("type"))
        if tag == "h2":
            self._in_h2 = True
            self.h2.append("")

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data):
        if self._in_h2:
            self.h2[-1] += data


@pytest.fixture(scope="module")
def tour(tmp_path_factory):
    out = tmp_path_factory.mktemp("tour")
    index = build_tour(out, progress=False)
    text = index.read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    return out, text, page


def test_the_tour_writes_index_html(tour):
    out, text, _ = tour
    assert (out / "index.html").is_file()
    assert text.startswith("<!DOCTYPE html>")


def test_every_section_has_its_heading(tour):
    _, _, page = tour
    titles = [h.split(". ", 1)[1] for h in page.h2]
    assert titles == [section.title for section in SECTIONS]
    for needed in (
        "The derivative",
        "Partial derivatives",
        "Gradient and directional derivative",
        "Chain rule and backpropagation",
        "Gradient descent, SGD and momentum",
        "Losses and activations",
    ):
        assert needed in titles


def test_every_referenced_image_exists_and_is_an_svg(tour):
    out, _, page = tour
    assert len(page.images) >= 5
    for src in page.images:
        assert not src.startswith(("http:", "https:", "/", "file:"))  # relative paths only
        path = out / src
        assert path.is_file(), src
        data = path.read_text(encoding="utf-8")
        assert len(data) > 2000 and "<svg" in data[:2000], src  # vector: sharp at any size


def test_the_page_needs_no_network(tour):
    out, text, page = tour
    assert "http://" not in text and "https://" not in text
    local = [src for src in page.scripts if src != "application/json"] + page.links
    assert sorted(local) == ["assets/katex.min.css", "assets/katex.min.js", "assets/tour.js"]
    for name in local:
        assert (out / name).is_file(), name
    css = (out / "assets/katex.min.css").read_text(encoding="utf-8")
    assert re.findall(r"url\((?!data:)", css) == []  # KaTeX's fonts are inlined
    assert "Permission is hereby granted" in css  # the MIT licence travels with the files
    assert "Permission is hereby granted" in (out / "assets/katex.min.js").read_text()
    js = (out / "assets/tour.js").read_text(encoding="utf-8")
    assert "fetch(" not in js and "XMLHttpRequest" not in js


def test_formulas_are_typeset_math_not_python(tour):
    _, text, _ = tour
    prose = re.sub(r"<details.*?</details>", "", text, flags=re.DOTALL)  # not the code
    prose = re.sub(r'<script type="application/json">.*?</script>', "", prose, flags=re.DOTALL)
    prose = re.sub(r'<(span|div) class="math[^"]*">.*?</\1>', "", prose, flags=re.DOTALL)
    for pythonish in ["**", "x*(", "sigmoid(x)", "-> 0", "lim (", "1e-7 and"]:
        assert pythonish not in prose, pythonish
    displays = re.findall(r'<div class="math display">(.*?)</div>', text, re.DOTALL)
    assert len(displays) >= 8
    assert any("\\lim_{h \\to 0}" in html.unescape(d) for d in displays)
    assert text.count('<span class="math">') >= 30
    assert "begin{aligned}" in text  # the derivation steps, as display math


def test_the_tutorial_is_named_and_linked(tour):
    _, text, _ = tour
    assert "Calculus for Deep Learning" in text and 'id="about-tutorial"' in text
    # the header names the tutorial; every mention in the sections' prose links to it
    prose = re.sub(
        r"<(header|details|figcaption|caption|table|script)[ >].*?</\1>", "", text, flags=re.DOTALL
    )
    prose = re.sub(r'<a class="tutorial"[^>]*>[Tt]he tutorial</a>', "", prose)
    assert re.findall(r"\b[Tt]he tutorial\b", re.sub(r"<[^>]+>", "", prose)) == []
    assert text.count('<a class="tutorial"') >= 10


def test_no_section_failed_and_each_shows_its_code(tour):
    _, text, _ = tour
    assert 'class="error"' not in text
    assert 'class="warning"' not in text  # the tour's fixed inputs should run clean
    for section in SECTIONS:
        _, code = section_code(section.run)
        assert html.escape(code) in text
        assert "report" not in code  # the shown code stands alone


def code_blocks(text):
    return [
        html.unescape(block)
        for block in re.findall(r'<pre class="code"><code>(.*?)</code></pre>', text, re.DOTALL)
    ]


def test_every_code_block_runs_as_written_in_a_fresh_python(tour, tmp_path):
    """Each block the page shows, copied as it is into a new Python process."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    _, text, _ = tour
    blocks = code_blocks(text)
    assert len(blocks) == len(SECTIONS)
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {
        **os.environ,
        "MPLBACKEND": "Agg",
        "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    for number, block in enumerate(blocks):
        script = tmp_path / f"block{number}.py"
        script.write_text(block, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, str(script)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"block {number} failed:\n{block}\n{done.stderr}"
        # what the page says the block prints is what it prints
        printed = re.findall(r'<pre class="output">(.*?)</pre>', text, re.DOTALL)[number]
        assert done.stdout.rstrip() == html.unescape(printed)


def tables(text):
    """``{caption: rows}`` of every table on the page, cells unescaped."""
    found = {}
    for caption, body in re.findall(
        r"<table><caption>(.*?)</caption>(.*?)</table>", text, re.DOTALL
    ):
        rows = re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>")[1], re.DOTALL)
        found[html.unescape(caption)] = [
            [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)] for row in rows
        ]
    return found


def table_starting(text, prefix):
    matches = [rows for caption, rows in tables(text).items() if caption.startswith(prefix)]
    assert len(matches) == 1, prefix
    return matches[0]


def test_the_derivative_table_against_2x(tour):
    _, text, _ = tour
    rows = table_starting(text, "f(x) = x²: numerical against analytical")
    for x, forward, numerical, automatic, exact in rows:
        assert float(exact) == 2 * float(x)
        assert float(automatic) == 2 * float(x)
        assert abs(float(numerical) - 2 * float(x)) < 1e-8
        assert 1e-9 < abs(float(forward) - 2 * float(x)) < 1e-6  # the tutorial's 8 digits


def test_the_partial_and_directional_tables_against_closed_forms(tour):
    _, text, _ = tour
    partial = table_starting(text, "f(x, y) = x² + y² at (1, 2)")
    assert [float(v) for row in partial for v in row[1:]] == pytest.approx(
        [2.0, 2.0, 2.0, 4.0, 4.0, 4.0], rel=1e-9
    )
    directional = table_starting(text, "Directional derivatives of x² + y² at (1, 1)")
    expected = {"(1, 0)": 2.0, "(0, 1)": 2.0, "(1, 1)": 2 * 2**0.5, "(1, -1)": 0.0}
    for direction, auto, numerical, analytical in directional:
        for value in (auto, numerical, analytical):
            assert float(value) == pytest.approx(expected[direction], abs=1e-8)


def test_hand_written_backprop_agrees_with_autodiff(tour):
    _, text, _ = tour
    rows = table_starting(text, "Hand-written backpropagation against gk.grad")
    assert [row[0] for row in rows] == ["W1", "b1", "W2", "b2"]
    assert all(float(row[2]) < 1e-12 for row in rows)
    assert re.search(r"training accuracy 9\d%|training accuracy 100%", text)


def test_the_race_table(tour):
    _, text, _ = tour
    rows = table_starting(text, "The optimizer race on Rosenbrock")
    by_name = {row[0]: row for row in rows}
    assert list(by_name) == [
        "gradient descent",
        "momentum (tutorial)",
        "nesterov",
        "rmsprop",
        "adam",
    ]
    # the tutorial's finding: momentum ends lower than plain gradient descent
    assert float(by_name["momentum (tutorial)"][2]) < float(by_name["gradient descent"][2])
    sgd = table_starting(text, "Minibatch SGD fitting y = 3x + 1")
    assert float(sgd[-1][2]) == pytest.approx(3.0, abs=0.1)  # slope with batch size 4


def test_the_loss_gradients_against_closed_forms(tour):
    _, text, _ = tour
    rows = table_starting(text, "Losses at ŷ = (0.9, 0.2, 0.6, 0.4)")
    y, p = [1.0, 0.0, 1.0, 0.0], [0.9, 0.2, 0.6, 0.4]
    mse = sum((a - b) ** 2 for a, b in zip(y, p)) / 4
    assert float(rows[0][1]) == pytest.approx(mse, rel=1e-9)
    assert all(float(row[3]) < 1e-12 for row in rows)


# ------------------------------------------------------------------ the machinery
def test_a_failing_section_is_marked_and_raises(tmp_path):
    def broken(report):
        """Breaks."""
        raise ValueError("teammate module missing")

    def fine(report):
        """Works."""
        report.text("still here")

    with pytest.raises(TourError, match="teammate module missing"):
        build_tour(
            tmp_path,
            progress=False,
            sections=[Section("b", "Broken", broken), Section("f", "Fine", fine)],
        )
    text = (tmp_path / "index.html").read_text()
    assert 'class="error"' in text and "still here" in text


def test_warnings_go_on_the_page(tmp_path):
    import warnings

    def noisy(report):
        """Warns."""
        warnings.warn("step too small", UserWarning, stacklevel=1)
        report.text("done")

    index = build_tour(tmp_path, progress=False, sections=[Section("n", "Noisy", noisy)])
    assert 'class="warning">gradkit warned: UserWarning: step too small' in index.read_text()


def test_text_is_escaped(tmp_path):
    def hostile(report):
        """<script>alert(1)</script>"""
        report.table("<b>t</b>", ["<h>"], [["<td>"]])
        report.pre("<i>", "<pre>")

    index = build_tour(tmp_path, progress=False, sections=[Section("h", "<Title>", hostile)])
    text = index.read_text()
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "&lt;Title&gt;" in text and "&lt;b&gt;t&lt;/b&gt;" in text


def test_report_checks_its_input():
    report = Report()
    with pytest.raises(ValueError, match="cells"):
        report.table("t", ["a", "b"], [[1]])
    with pytest.raises(ValueError, match="figure name"):
        report.figure("../escape", object(), "c")


def test_section_code_strips_the_docstring():
    def demo(report):
        """Intro text."""
        x = 1
        report.text(str(x))

    intro, code = section_code(demo)
    assert intro == "Intro text."
    assert code == "x = 1\nreport.text(str(x))"


def test_render_html_has_navigation():
    page = render_html(
        [
            {
                "key": "k",
                "title": "T",
                "intro": "i",
                "code": "c",
                "body": "",
                "seconds": 0.0,
                "error": None,
            }
        ],
        "9.9",
        1.0,
    )
    assert '<a href="#k">T</a>' in page and "9.9" in page


# ------------------------------------------------------------------ the interactive data
def widget_data(text):
    """``{kind: data}`` of every interactive picture on the page."""
    import json

    return {
        kind: json.loads(blob.replace("<\\/", "</"))
        for kind, blob in re.findall(
            r'<figure class="widget" data-widget="(\w+)"><script type="application/json">(.*?)'
            r"</script>",
            text,
            re.DOTALL,
        )
    }


def test_the_page_embeds_every_interactive_picture(tour):
    _, text, _ = tour
    assert sorted(widget_data(text)) == [
        "boundary",
        "direction",
        "graph",
        "race",
        "step",
        "tangent",
    ]


def test_tangent_slopes_against_the_closed_form(tour):
    import numpy as np

    data = widget_data(tour[1])["tangent"]
    x = np.array(data["x"])
    assert np.allclose(data["y"], x**3 / 3 - x, rtol=1e-5, atol=1e-6)
    assert np.allclose(data["slope"], x**2 - 1, rtol=1e-5, atol=1e-6)


def test_step_errors_against_difference_quotients_done_by_hand(tour):
    import numpy as np

    data = widget_data(tour[1])["step"]
    h = np.array(data["h"])
    assert h[0] == pytest.approx(1e-16) and h[-1] == pytest.approx(1.0) and len(h) == 97
    forward = np.abs((np.sin(1.0 + h) - np.sin(1.0)) / h - np.cos(1.0))
    central = np.abs((np.sin(1.0 + h) - np.sin(1.0 - h)) / (2 * h) - np.cos(1.0))
    big = h > 1e-6  # above rounding, where the two computations cannot differ by roundoff
    assert np.allclose(np.array(data["errors"]["forward"])[big], forward[big], rtol=0.02)
    assert np.allclose(np.array(data["errors"]["central"])[big], central[big], rtol=0.02)
    # the V: the forward error is smallest near sqrt(eps), not at either end
    best = h[np.nanargmin(np.array(data["errors"]["forward"], dtype=float))]
    assert 1e-10 < best < 1e-6


def test_directional_derivatives_follow_the_cosine(tour):
    import numpy as np

    data = widget_data(tour[1])["direction"]
    x, y = data["point"]
    grad = np.array([2 * x + 0.3 * y, y + 0.3 * x])  # f = x² + y²/2 + 0.3xy
    assert np.allclose(data["grad"], grad)
    theta = np.radians(data["angles"])
    assert np.allclose(data["D"], grad[0] * np.cos(theta) + grad[1] * np.sin(theta), atol=1e-9)
    assert len(data["contours"]) >= 5


def _race_by_hand(rule, lr, beta, steps=1000, x0=(-1.5, -1.5)):
    """The race's update rules written out with NumPy (as tour.js has them)."""
    import numpy as np

    def f(p):
        return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2

    def g(p):
        return np.array(
            [-2 * (1 - p[0]) - 400 * p[0] * (p[1] - p[0] ** 2), 200 * (p[1] - p[0] ** 2)]
        )

    p, v, m, s = np.array(x0, dtype=float), np.zeros(2), np.zeros(2), np.zeros(2)
    for t in range(1, steps + 1):
        grad = g(p)
        if rule == "gradient descent":
            step = lr * grad
        elif rule == "momentum (tutorial)":
            v = beta * v + (1 - beta) * grad
            step = lr * v
        elif rule == "nesterov":
            v = beta * v + grad if t > 1 else grad
            step = lr * (grad + beta * v)
        else:  # adam
            m = beta * m + (1 - beta) * grad
            s = 0.999 * s + 0.001 * grad**2
            step = lr * (m / (1 - beta**t)) / (np.sqrt(s / (1 - 0.999**t)) + 1e-8)
        p = p - step
    return f(p)


def test_the_race_reference_matches_the_update_rules_written_out(tour):
    data = widget_data(tour[1])["race"]
    assert (data["lr"], data["beta"], data["steps"]) == (1e-4, 0.9, 1000)
    for name, final in data["reference"].items():
        assert final == pytest.approx(_race_by_hand(name, data["lr"], data["beta"]), rel=1e-6)
    # the tutorial's settings: the same numbers as the first race table
    rows = {row[0]: row for row in table_starting(tour[1], "The optimizer race on Rosenbrock")}
    for name in ["gradient descent", "momentum (tutorial)", "nesterov"]:
        assert float(rows[name][2]) == pytest.approx(data["reference"][name], rel=1e-6)


def test_graph_local_derivatives_against_closed_forms(tour):
    import math

    data = widget_data(tour[1])["graph"]
    labels = [n["label"] for n in data["nodes"]]
    assert labels == ["w", "x", "b", "multiply", "add", "sigmoid"]
    local = {(labels[e["from"]], labels[e["to"]]): e["local"] for e in data["edges"]}
    s = 1 / (1 + math.exp(-(0.5 * 2.0 - 1.0)))
    assert local == pytest.approx(
        {
            ("w", "multiply"): 2.0,
            ("x", "multiply"): 0.5,
            ("multiply", "add"): 1.0,
            ("b", "add"): 1.0,
            ("add", "sigmoid"): s * (1 - s),
        }
    )
    values = {n["label"]: n["value"] for n in data["nodes"]}
    grads = {n["label"]: n["grad"] for n in data["nodes"]}
    assert values["sigmoid"] == pytest.approx(s)
    assert grads == pytest.approx(
        {
            "w": 2.0 * s * (1 - s),
            "x": 0.5 * s * (1 - s),
            "b": s * (1 - s),
            "multiply": s * (1 - s),
            "add": s * (1 - s),
            "sigmoid": 1.0,
        }
    )
    assert [n["layer"] for n in data["nodes"]] == [0, 0, 0, 1, 2, 3]


def test_graph_data_refuses_what_it_cannot_show():
    import numpy as np

    from gradkit.autodiff.graph import trace_graph
    from gradkit.viz.tour_interactive import graph_data

    with pytest.raises(ValueError, match="scalar graphs only"):
        graph_data(trace_graph(lambda v: np.sum(v * v), np.ones(3)))


def test_the_decision_boundary_snapshots(tour):
    import numpy as np

    data = widget_data(tour[1])["boundary"]
    epochs = [s["epoch"] for s in data["snapshots"]]
    assert epochs == sorted(epochs) and epochs[0] == 0 and epochs[-1] == 1000
    for snap in data["snapshots"]:
        p = np.array(snap["p"])
        assert p.shape == (data["grid"], data["grid"]) and p.min() >= 0 and p.max() <= 1
    assert data["snapshots"][-1]["accuracy"] >= 0.9 > data["snapshots"][0]["accuracy"]
    assert len(data["X"]) == len(data["y"]) == 100


def test_report_widget_checks_its_input():
    report = Report()
    with pytest.raises(ValueError, match="letters only"):
        report.widget("x-y", {}, "c")
    with pytest.raises(TypeError):
        report.widget("ok", {"f": object()}, "c")


def test_readable_moves_legends_below_and_enlarges_small_text():
    import gradkit as gk
    from gradkit.viz.tour_interactive import readable

    fig = gk.viz.plot_activations(["sigmoid", "relu"])
    readable(fig)
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is not None:
            fig.canvas.draw()
            box = legend.get_window_extent()
            assert box.y1 <= ax.get_window_extent().y0  # below the axes: off the data
    sizes = [t.get_fontsize() for t in fig.findobj(lambda a: hasattr(a, "get_fontsize"))]
    assert min(sizes) >= 9.0
