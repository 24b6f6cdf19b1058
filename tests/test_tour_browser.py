"""The tour in a real browser: Debian's Chromium driven by Playwright, the page opened
from disk. Every control is moved; the picture and the numbers must change, the console
must stay free of errors, formulas must be typeset, and the layout must hold at phone
width. Screenshots go to a temporary folder (printed with ``-s``).

Needs ``chromium`` (``/usr/bin/chromium``, or ``GRADKIT_CHROMIUM``) and the ``playwright``
Python package; ``.ci/browser.sh`` installs both. Playwright never downloads a browser here.
Without them the tests skip, saying what is missing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("GRADKIT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="the browser tests need Playwright: run .ci/browser.sh "
    "(pip install playwright; apt-get install chromium)",
)
if not Path(CHROMIUM).is_file():
    pytest.skip(
        f"the browser tests need Chromium at {CHROMIUM}: run .ci/browser.sh "
        "(apt-get install -y chromium) or set GRADKIT_CHROMIUM",
        allow_module_level=True,
    )

ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from gradkit.viz.tour import build_tour

    out = tmp_path_factory.mktemp("tour")
    return build_tour(out, progress=False)


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = tmp_path_factory.mktemp("screenshots")
    print(f"\ntour screenshots: {folder}")
    return folder


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        try:
            launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        except Exception as exc:  # a broken install: say so rather than fail obscurely
            pytest.skip(f"Chromium at {CHROMIUM} did not start: {exc}")
        yield launched
        launched.close()


class Opened:
    """A page of the tour with its console messages and uncaught errors."""

    def __init__(self, browser, index: Path, width: int, height: int = 900):
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.messages: list[str] = []
        self.page.on("console", lambda m: self.messages.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.messages.append(f"pageerror: {e}"))
        self.page.goto(index.resolve().as_uri())
        self.page.wait_for_selector("html[data-tour-ready=yes]", timeout=15000)

    def errors(self) -> list[str]:
        return [m for m in self.messages if m.startswith(("error", "pageerror", "warning"))]

    def widget(self, kind: str):
        return self.page.locator(f'figure.widget[data-widget="{kind}"]')

    def state(self, kind: str) -> tuple[str, str]:
        """The picture (its SVG) and the numbers (its readout) of one widget."""
        fig = self.widget(kind)
        return fig.locator(".stage").inner_html(), fig.locator(".readout").inner_text()


@pytest.fixture(scope="module")
def desktop(browser, built):
    opened = Opened(browser, built, 1100)
    yield opened
    opened.page.close()


def test_the_page_opens_from_disk_typeset_and_without_errors(desktop, shots):
    page = desktop.page
    assert page.locator(".katex").count() >= 40  # every .math element typeset
    assert page.locator(".katex-error").count() == 0
    assert page.locator(".math").count() == page.locator(".math .katex").count()
    align = page.eval_on_selector(".math.display", "e => getComputedStyle(e).textAlign")
    assert align == "center"  # formulas are centred display math
    assert page.locator("figure.widget .stage svg").count() == 6
    page.screenshot(path=str(shots / "desktop-full.png"), full_page=True)
    assert desktop.errors() == []


SLIDERS = {"tangent": 1, "step": 1, "direction": 1, "race": 2, "boundary": 1}


@pytest.mark.parametrize("kind", sorted(SLIDERS))
def test_every_slider_changes_the_picture_and_the_numbers(desktop, shots, kind):
    fig = desktop.widget(kind)
    inputs = fig.locator("input[type=range]")
    assert inputs.count() == SLIDERS[kind]
    for k in range(inputs.count()):
        slider = inputs.nth(k)
        low, high = slider.get_attribute("min"), slider.get_attribute("max")
        seen = set()
        for value in (low, high):
            slider.fill(value)
            assert slider.input_value() == value
            picture, numbers = desktop.state(kind)
            seen.add((picture, numbers))
        pictures, readouts = zip(*seen)
        assert len(set(pictures)) == 2 and len(set(readouts)) == 2, (kind, k)
        fig.screenshot(path=str(shots / f"{kind}-{k}.png"))
    assert desktop.errors() == []


def test_the_step_size_slider_reads_the_v(desktop):
    fig = desktop.widget("step")
    slider = fig.locator("input[type=range]")
    errors = {}
    for h, index in [("1e-16", "0"), ("1", "96")]:
        slider.fill(index)
        errors[h] = fig.locator(".readout").inner_text()
    assert errors["1e-16"].startswith("h = 1×10⁻¹⁶") and errors["1"].startswith("h = 1:")


def test_the_race_in_the_page_reproduces_gradkits_race(desktop):
    fig = desktop.widget("race")
    fig.locator("input[type=range]").nth(0).fill("-4")
    fig.locator("input[type=range]").nth(1).fill("0.9")
    results = fig.evaluate("f => f.results")
    reference = fig.evaluate("f => JSON.parse(f.querySelector('script').textContent).reference")
    assert set(results) == set(reference)
    for name, final in reference.items():
        assert results[name] == pytest.approx(final, rel=1e-6), name
    fig.locator("input[type=range]").nth(0).fill("-2")  # lr 0.01: momentum methods blow up
    assert "diverged at step" in fig.locator(".readout").inner_text()
    assert desktop.errors() == []


def test_the_graph_steps_forward_and_backward(desktop, shots):
    fig = desktop.widget("graph")
    step, back = fig.get_by_role("button", name="step ▶"), fig.get_by_role("button", name="◀ back")
    fig.get_by_role("button", name="reset").click()
    assert back.is_disabled()
    unknown_values = fig.locator(".node-value", has_text="?").count()
    assert unknown_values == 3  # multiply, add, sigmoid wait for the forward pass
    readouts = [fig.locator(".readout").inner_text()]
    pictures = [fig.locator(".stage").inner_html()]
    while not step.is_disabled():
        step.click()
        readouts.append(fig.locator(".readout").inner_text())
        pictures.append(fig.locator(".stage").inner_html())
        if readouts[-1].startswith("Forward 3"):
            fig.screenshot(path=str(shots / "graph-forward.png"))
    assert len(readouts) == 1 + 3 + 6  # three operations forward, six nodes backward
    assert len(set(readouts)) == len(readouts) and len(set(pictures)) == len(pictures)
    assert "sigmoid(0) = 0.5" in readouts[3]
    assert fig.locator(".node-value", has_text="?").count() == 0
    assert fig.locator(".node-grad", has_text="?").count() == 0
    assert fig.locator(".edge-local").count() == 5  # every edge's local derivative shown
    assert "0.25 × 1 = 0.25" in readouts[5]  # ∂out/∂add = σ'(0) · 1
    fig.screenshot(path=str(shots / "graph-backward.png"))
    back.click()
    assert fig.locator(".readout").inner_text() == readouts[-2]
    assert desktop.errors() == []


def test_the_layout_holds_at_phone_width(browser, built, shots):
    phone = Opened(browser, built, 375, 800)
    page = phone.page
    try:
        # the page itself never scrolls sideways (wide tables and code scroll in their box)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        widths = page.eval_on_selector_all(
            "figure.widget svg", "s => s.map(e => e.getBoundingClientRect().right)"
        )
        assert len(widths) == 6 and max(widths) <= 375
        sizes = page.eval_on_selector_all(
            "figure.widget svg text", "t => t.map(e => parseFloat(getComputedStyle(e).fontSize))"
        )
        assert len(sizes) > 50 and min(sizes) >= 11  # readable on a phone and a projector
        boxes = page.eval_on_selector_all(
            'figure[data-widget="graph"] svg rect[rx="8"]',
            "r => r.map(e => { const b = e.getBoundingClientRect(); "
            "return [b.left, b.top, b.right, b.bottom]; })",
        )
        assert len(boxes) == 6
        for i, a in enumerate(boxes):  # the graph's nodes never cover one another
            for b in boxes[i + 1 :]:
                assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
        page.screenshot(path=str(shots / "phone-full.png"), full_page=True)
        assert phone.errors() == []
    finally:
        page.close()
