"""Callbacks for :func:`gradkit.nn.fit`, and batching utilities for arrays and sequences.

A callback is any object with ``on_epoch_end(epoch, history, params) -> bool``: it sees
the :class:`~gradkit.nn.History` after each epoch and the parameters, and returns True to
stop. One with ``final_params(params)`` chooses the parameters ``fit`` leaves in the model.

>>> import numpy as np
>>> stop = EarlyStopping(monitor="loss", patience=1)
>>> from gradkit.nn.training import History
>>> h = History()
>>> [stop.on_epoch_end(e, h, {"w": e}) for e, h.loss in enumerate([[3.0], [3.0, 2.0],
...                                                               [3.0, 2.0, 2.5]])]
[False, False, True]
>>> stop.final_params({"w": 2})          # the best epoch's parameters
{'w': 1}
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

__all__ = ["EarlyStopping", "KeepBest", "StepOnPlateau", "batches", "pad_sequences"]


def _read(history: Any, monitor: str) -> float:
    values = getattr(history, monitor, None)
    if not isinstance(values, list):
        raise ValueError(
            f"callback: monitor must name a History list (loss, accuracy, val_loss, "
            f"val_accuracy), got {monitor!r}"
        )
    if not values or values[-1] is None:
        raise ValueError(
            f"callback: History.{monitor} has no value this epoch (val_* needs fit(..., "
            "validation=(X_val, y_val)); accuracy needs a classification loss)"
        )
    return float(values[-1])


class KeepBest:
    """Remember the parameters of the best epoch by ``monitor`` and leave them in the
    model when training ends.

    Args:
        monitor: ``"val_loss"`` (default), ``"loss"``, ``"val_accuracy"``, ``"accuracy"``.
        mode: ``"min"`` or ``"max"``; by default ``"max"`` for accuracies.
        min_delta: an improvement must exceed this.

    >>> keep = KeepBest("loss")
    >>> keep.final_params({"w": 0}) == {"w": 0}         # nothing seen yet: unchanged
    True
    """

    def __init__(
        self, monitor: str = "val_loss", mode: str | None = None, min_delta: float = 0.0
    ) -> None:
        self.monitor = monitor
        self.mode = mode or ("max" if "accuracy" in monitor else "min")
        if self.mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.min_delta = float(min_delta)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch: int | None = None
        self.best_params: Any = None
        self.bad_epochs = 0

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, epoch: int, history: Any, params: Any) -> bool:
        """Record this epoch; never stops training."""
        value = _read(history, self.monitor)
        if self._improved(value):
            self.best, self.best_epoch, self.best_params = value, epoch, params
            self.bad_epochs = 0
        else:
            self.bad_epochs += 1
        return False

    def final_params(self, params: Any) -> Any:
        """The best epoch's parameters (``params`` if no epoch was recorded)."""
        return params if self.best_params is None else self.best_params


class EarlyStopping(KeepBest):
    """Stop once ``monitor`` has not improved for ``patience`` epochs in a row; with
    ``restore_best`` (default) leave the best epoch's parameters in the model.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        mode: str | None = None,
        min_delta: float = 0.0,
        restore_best: bool = True,
    ) -> None:
        super().__init__(monitor, mode, min_delta)
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"patience must be an integer >= 0, got {patience!r}")
        self.patience, self.restore_best = patience, bool(restore_best)
        self.stopped_epoch: int | None = None

    def on_epoch_end(self, epoch: int, history: Any, params: Any) -> bool:
        """Record this epoch; True once ``patience`` epochs passed without improvement."""
        super().on_epoch_end(epoch, history, params)
        if self.bad_epochs >= max(self.patience, 1):
            self.stopped_epoch = epoch
            return True
        return False

    def final_params(self, params: Any) -> Any:
        return super().final_params(params) if self.restore_best else params


class StepOnPlateau:
    """Report ``monitor`` to a :class:`gradkit.optim.reduce_on_plateau` schedule after
    every epoch (a schedule stepped per epoch; the optimizer reads its current rate).

    >>> import gradkit as gk
    >>> s = gk.optim.reduce_on_plateau(0.1, patience=0)
    >>> cb = StepOnPlateau(s, monitor="loss")
    >>> h = type("H", (), {"loss": [1.0]})()
    >>> cb.on_epoch_end(0, h, None), s(0)
    (False, 0.1)
    """

    def __init__(self, schedule: Any, monitor: str = "val_loss") -> None:
        if not hasattr(schedule, "step"):
            raise TypeError("StepOnPlateau needs a gk.optim.reduce_on_plateau schedule")
        self.schedule, self.monitor = schedule, monitor

    def on_epoch_end(self, epoch: int, history: Any, params: Any) -> bool:
        """Report the epoch's metric; never stops training."""
        self.schedule.step(_read(history, self.monitor))
        return False


def batches(
    *arrays: Any,
    batch_size: int = 32,
    shuffle: bool = False,
    rng: Any = None,
    drop_last: bool = False,
) -> Iterator[tuple[np.ndarray, ...]]:
    """Yield minibatches of the rows of ``arrays`` (all with the same first axis).

    >>> [b[0].tolist() for b in batches(np.arange(5), batch_size=2)]
    [[0, 1], [2, 3], [4]]
    """
    if not arrays:
        raise ValueError("batches: give at least one array")
    arrays = tuple(np.asarray(a) for a in arrays)
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError(f"batches: arrays have different lengths {[len(a) for a in arrays]}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batches: batch_size must be an integer >= 1, got {batch_size!r}")
    order = np.random.default_rng(rng).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        idx = order[start : start + batch_size]
        yield tuple(a[idx] for a in arrays)


def pad_sequences(
    sequences: Sequence[Any],
    padding_value: float = 0.0,
    max_len: int | None = None,
    batch_first: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pad sequences of different lengths into one array (as torch's ``pad_sequence``).

    Returns ``(padded, lengths, mask)``: ``padded`` is ``(N, L, ...)`` (``(L, N, ...)``
    without ``batch_first``), ``mask`` is True at padding (the ``key_padding_mask`` of
    attention). Longer sequences are cut at ``max_len``.

    >>> padded, lengths, mask = pad_sequences([[1, 2, 3], [4]])
    >>> padded.tolist(), lengths.tolist(), mask.tolist()
    ([[1, 2, 3], [4, 0, 0]], [3, 1], [[False, False, False], [False, True, True]])
    """
    seqs = [np.asarray(s) for s in sequences]
    if not seqs:
        raise ValueError("pad_sequences: no sequences")
    tails = {s.shape[1:] for s in seqs}
    if len(tails) != 1:
        raise ValueError(
            f"pad_sequences: items must agree past the first axis, got {sorted(tails)}"
        )
    lengths = np.array([len(s) for s in seqs])
    length = int(lengths.max()) if max_len is None else int(max_len)
    lengths = np.minimum(lengths, length)
    dtype = np.result_type(*seqs)
    if dtype.kind in "biu" and not float(padding_value).is_integer():
        dtype = np.result_type(dtype, np.float64)
    out = np.full((len(seqs), length) + seqs[0].shape[1:], padding_value, dtype=dtype)
    for i, s in enumerate(seqs):
        out[i, : lengths[i]] = s[:length]
    mask = np.arange(length)[None, :] >= lengths[:, None]
    return (out if batch_first else np.swapaxes(out, 0, 1)), lengths, mask
