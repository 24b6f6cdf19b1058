"""``gradkit train digits --model lstm|transformer`` (gradkit.nn.sequence_models): a
short run learns, and the options it cannot take get one-line errors."""

from __future__ import annotations

import re

import numpy as np
import pytest

import gradkit as gk
from gradkit.nn.sequence_models import rows_as_sequence, sequence_classifier


def run(capsys, *argv):
    for extra in ("rich", "sympy", "matplotlib"):  # the CLI's extras, as for test_cli.py
        pytest.importorskip(extra)
    from gradkit.cli import main

    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def _untrained_loss(kind):
    """The loss of the model the CLI starts from (same seed), on every digit."""
    digits = gk.nn.datasets.load_digits()
    model = sequence_classifier(kind, 8, 10, length=8, hidden=32, rng=0)
    logits = model(rows_as_sequence(digits["data"] / 16.0, 8))
    return float(gk.nn.functional.cross_entropy(logits, digits["target"]))


@pytest.mark.parametrize("model", ["lstm", "transformer"])
def test_two_epochs_learn_the_digits_row_by_row(capsys, model):
    status, out, _ = run(capsys, "train", "digits", "--model", model, "--epochs", "2")
    assert status == 0
    start = _untrained_loss(model)
    assert start > 2.0  # about ln 10 = 2.30 or more: the untrained model knows nothing
    losses = [float(v) for v in re.findall(r"loss (\d+\.\d+)", out)]
    assert losses and losses[-1] < start / 2
    accuracy = float(re.search(r"test accuracy (\d+\.\d)%", out).group(1))
    assert accuracy >= 60.0  # chance is 10%


def test_sequence_models_refuse_what_they_cannot_train(capsys):
    status, _, err = run(capsys, "train", "moons", "--model", "lstm")
    assert status == 2 and "digits" in err and len(err.strip().splitlines()) == 1
    status, _, err = run(capsys, "train", "digits", "--model", "transformer", "--hidden", "30")
    assert status == 2 and "multiple of its 4 attention heads" in err
    with pytest.raises(ValueError, match="'lstm' or 'transformer'"):
        sequence_classifier("gru", 8, 10, length=8)
    with pytest.raises(ValueError, match=r"\(N, H \* 8\)"):
        rows_as_sequence(np.zeros((3, 10)), 8)
    with pytest.raises(ValueError, match="longer than the 8 positions"):
        sequence_classifier("transformer", 8, 10, length=8)(np.zeros((1, 9, 8)))
