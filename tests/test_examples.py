"""The examples train for real: a short run of each fast one must beat its baseline."""

from __future__ import annotations

import importlib.util
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sine_lstm_learns_to_predict_the_next_value():
    mse, baseline = _load("sine_lstm").main(steps=80)
    assert mse < baseline / 3
