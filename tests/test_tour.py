"""The tour: it runs end to end, every image it references exists, and it is self-contained."""

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
        self.images, self.links, self.scripts, self.h2 = [], [], 0, []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "link":
            self.links.append(attrs.get("href"))
        if tag == "script":
            self.scripts += 1
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
    for needed in ("The derivative", "Partial derivatives", "Gradient and directional derivative",
                   "Chain rule and backpropagation", "Gradient descent, SGD and momentum",
                   "Losses and activations"):
        assert needed in titles


def test_every_referenced_image_exists_and_is_a_png(tour):
    out, _, page = tour
    assert len(page.images) >= 10
    for src in page.images:
        assert not src.startswith(("http:", "https:", "/", "file:"))  # relative paths only
        path = out / src
        assert path.is_file(), src
        data = path.read_bytes()
        assert len(data) > 2000 and data[:8] == b"\x89PNG\r\n\x1a\n", src


def test_the_page_is_self_contained(tour):
    _, text, page = tour
    assert page.scripts == 0
    assert page.links == []  # CSS is inline
    assert "<style>" in text
    assert "http://" not in text and "https://" not in text


def test_no_section_failed_and_each_shows_its_code(tour):
    _, text, _ = tour
    assert 'class="error"' not in text
    assert 'class="warning"' not in text  # the tour's fixed inputs should run clean
    for section in SECTIONS:
        _, code = section_code(section.run)
        assert html.escape(code) in text


def tables(text):
    """``{caption: rows}`` of every table on the page, cells unescaped."""
    found = {}
    for caption, body in re.findall(r"<table><caption>(.*?)</caption>(.*?)</table>", text,
                                    re.DOTALL):
        rows = re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>")[1], re.DOTALL)
        found[html.unescape(caption)] = [
            [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)] for row in rows]
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
        [2.0, 2.0, 2.0, 4.0, 4.0, 4.0], rel=1e-9)
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
    assert list(by_name) == ["gradient descent", "momentum (tutorial)", "nesterov", "rmsprop",
                             "adam"]
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
        build_tour(tmp_path, progress=False,
                   sections=[Section("b", "Broken", broken), Section("f", "Fine", fine)])
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
    page = render_html([{"key": "k", "title": "T", "intro": "i", "code": "c", "body": "",
                         "seconds": 0.0, "error": None}], "9.9", 1.0)
    assert '<a href="#k">T</a>' in page and "9.9" in page
