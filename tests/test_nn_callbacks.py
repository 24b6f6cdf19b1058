"""fit's callbacks (early stopping, keep-the-best, a plateau schedule per epoch) and the
batching utilities."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn


def _data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.standard_normal(80)
    return X[:60], y[:60, None], X[60:], y[60:, None]


def test_early_stopping_stops_and_restores_the_best_epoch():
    X, y, Xv, yv = _data()
    model = nn.Sequential(nn.Linear(3, 16, rng=0), nn.Tanh(), nn.Linear(16, 1, rng=1))
    stop = nn.EarlyStopping("val_loss", patience=2)
    # a learning rate large enough to make validation loss bounce
    history = nn.fit(
        model,
        X,
        y,
        optimizer=gk.optim.sgd(0.3),
        epochs=60,
        batch_size=8,
        validation=(Xv, yv),
        verbose=False,
        callbacks=[stop],
    )
    assert stop.stopped_epoch is not None and len(history.val_loss) == stop.stopped_epoch + 1
    assert "stopped by a callback" in history.message
    best = int(np.argmin(history.val_loss))
    assert stop.best_epoch == best
    val_loss, _ = nn.evaluate(model, Xv, yv, loss="mse")  # the model holds the best epoch
    assert val_loss == pytest.approx(history.val_loss[best], rel=1e-12)


def test_keep_best_never_stops_and_step_on_plateau_lowers_the_rate():
    X, y, Xv, yv = _data()
    model = nn.Linear(3, 1, rng=0)
    keep = nn.KeepBest("val_loss")
    plateau = gk.optim.reduce_on_plateau(0.05, patience=0, factor=0.5)
    history = nn.fit(
        model,
        X,
        y,
        optimizer=gk.optim.sgd(plateau),
        epochs=15,
        batch_size=60,
        validation=(Xv, yv),
        verbose=False,
        callbacks=[keep, nn.StepOnPlateau(plateau, "loss")],
    )
    assert len(history.loss) == 15
    # the rate halves once per epoch whose loss did not improve: count them independently
    worse = sum(b >= a * (1 - 1e-4) for a, b in zip(history.loss, history.loss[1:]))
    assert plateau(0) == pytest.approx(0.05 * 0.5**worse)
    with pytest.raises(ValueError, match="val_\\* needs fit"):
        nn.fit(nn.Linear(3, 1), X, y, epochs=1, verbose=False, callbacks=[nn.KeepBest("val_loss")])


def test_batches_and_pad_sequences():
    X, y = np.arange(10).reshape(5, 2), np.arange(5)
    got = list(nn.batches(X, y, batch_size=2, shuffle=True, rng=0))
    assert [len(b[1]) for b in got] == [2, 2, 1]
    assert sorted(np.concatenate([b[1] for b in got]).tolist()) == [0, 1, 2, 3, 4]
    for xb, yb in got:  # rows stay paired
        np.testing.assert_array_equal(xb[:, 0], 2 * yb)
    assert len(list(nn.batches(X, batch_size=2, drop_last=True))) == 2
    padded, lengths, mask = nn.pad_sequences(
        [np.ones((3, 2)), np.ones((1, 2))], max_len=2, batch_first=False
    )
    assert padded.shape == (2, 2, 2) and lengths.tolist() == [2, 1]
    assert mask.tolist() == [[False, False], [False, True]]
    with pytest.raises(ValueError, match="different lengths"):
        list(nn.batches(X, y[:3]))
