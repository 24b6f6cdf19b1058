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
    for section in SECTIONS:
        _, code = section_code(section.run)
        assert html.escape(code) in text


def test_the_numbers_on_the_page_are_right(tour):
    _, text, _ = tour
    # d/dx x**2 at x = 2 is 4: the tutorial's forward difference is off in the 8th digit,
    # gradkit's numerical derivative and autodiff agree with 2x to 10 digits
    assert re.search(r"<tr><td>2</td><td>4\.0000\d+</td><td>4</td><td>4</td><td>4</td></tr>",
                     text)
    # the race: gradient descent and the tutorial's momentum are on it
    assert "gradient descent" in text and "momentum (tutorial)" in text
    # the hand-written gradients agree with autodiff to rounding
    diffs = [float(m) for m in re.findall(r"<td>(\d\.\de-\d\d)</td>", text)]
    assert diffs and min(diffs) < 1e-10
    assert "accuracy" in text


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
