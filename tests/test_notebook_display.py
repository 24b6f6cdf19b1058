"""What Jupyter shows: figures render from their own _repr_png_ (no pyplot, no magic), and
results have short reprs and HTML tables instead of thousands of raw floats."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk

pytest.importorskip("matplotlib")


def test_figures_render_as_png_for_ipython():
    fig = gk.viz.plot_derivative(np.sin, (-3.0, 3.0))
    png = fig._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    assert width == int(round(fig.get_figwidth() * 144))  # twice screen resolution


def test_history_and_race_results_are_short():
    X = np.random.default_rng(0).standard_normal((40, 2))
    y = (X[:, 0] > 0).astype(int)
    model = gk.nn.Sequential(gk.nn.Linear(2, 2, rng=0))
    history = gk.nn.fit(
        model, X, y, loss="cross_entropy", epochs=12, verbose=False, validation=(X, y)
    )
    text = repr(history)
    assert text.startswith("History(12 epochs, ") and len(text) < 200
    assert f"{history.loss[-1]:.4g}" in text
    html = history._repr_html_()
    assert html.count("<tr>") == 1 + 7  # header, 3 first epochs, '...', 3 last epochs
    result = gk.optim.race(steps=20)
    assert len(repr(result)) < 200 and "RaceResult(" in repr(result)
    assert result._repr_html_().count("<tr>") == 1 + len(result.results)


def test_fit_reports_one_line_per_epoch_without_rich(monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "rich.progress", None)  # as in the NumPy-only install
    X = np.random.default_rng(1).standard_normal((20, 2))
    gk.nn.fit(gk.nn.Linear(2, 1, rng=0), X, X[:, :1], epochs=3, verbose=True)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("epoch")]
    assert [line.split()[1] for line in lines] == ["1/3", "2/3", "3/3"]
