"""A real Jupyter kernel runs gradkit: figures returned by a cell come back as PNG images
(no magic, no pyplot), results print short, and fit reports progress without warnings."""

from __future__ import annotations

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

CELLS = [
    "import numpy as np\nimport gradkit as gk",
    "gk.viz.plot_derivative(np.sin, (-3.0, 3.0))",
    "X = np.random.default_rng(0).standard_normal((32, 2)); y = (X[:, 0] > 0).astype(int)\n"
    "model = gk.nn.Sequential(gk.nn.Linear(2, 2, rng=0))\n"
    "history = gk.nn.fit(model, X, y, loss='cross_entropy', epochs=2)\nhistory",
]


def test_a_notebook_shows_figures_and_short_results():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3")
    client.execute()
    figure_outputs = nb.cells[1].outputs
    assert any("image/png" in out.get("data", {}) for out in figure_outputs), figure_outputs
    fit_outputs = nb.cells[2].outputs
    text = "".join(out.get("text", "") for out in fit_outputs if out["output_type"] == "stream")
    assert "epoch 1/2" in text and "epoch 2/2" in text
    errors = [o for o in fit_outputs if o["output_type"] == "stream" and o["name"] == "stderr"]
    assert not errors
    result = next(out for out in fit_outputs if out["output_type"] == "execute_result")
    assert result["data"]["text/plain"].startswith("History(2 epochs")
    assert "<table>" in result["data"]["text/html"]
