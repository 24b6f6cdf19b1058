"""Training: ``fit`` runs shuffled minibatch gradient descent and returns a ``History``.

Gradients come from the engine, ``gk.value_and_grad`` of
``lambda params: loss(model.apply(params, xb), yb)``, and steps from a ``gk.optim``
optimizer (``init``/``update`` plus ``apply_updates``). A rich progress bar shows the
epoch, the loss and the accuracy. If the loss becomes NaN or infinite, training stops
with a message naming the epoch and step, and the model keeps the parameters of the
last step whose loss was finite.

>>> import numpy as np
>>> import gradkit as gk
>>> from gradkit.nn import Linear, Sequential
>>> X = np.linspace(-1, 1, 32).reshape(-1, 1); y = 3 * X - 1
>>> model = Sequential(Linear(1, 1, rng=0))
>>> history = fit(model, X, y, loss="mse", optimizer=gk.optim.sgd(0.5), epochs=50,
...               batch_size=8, verbose=False)
>>> np.round(model.params["0.weight"], 3), round(history.loss[-1], 6)
(array([[3.]]), 0.0)
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradkit.nn import losses as L
from gradkit.nn.layers import Module
from gradkit.tree import tree_leaves

__all__ = ["fit", "History", "TrainingDivergedWarning", "LOSSES", "evaluate"]

LossFn = Callable[[Any, Any], Any]


class TrainingDivergedWarning(UserWarning):
    """The loss became NaN or infinite and ``fit`` stopped early."""


def _mse(y_pred: Any, y: Any) -> Any:
    return L.mse_loss(y, y_pred)


def _cross_entropy(logits: Any, y: Any) -> Any:
    return L.cross_entropy_with_logits(logits, y)


def _binary_cross_entropy(probabilities: Any, y: Any) -> Any:
    return L.binary_cross_entropy(y, probabilities)


def _binary_cross_entropy_with_logits(logits: Any, y: Any) -> Any:
    return L.binary_cross_entropy_with_logits(logits, y)


def _huber(y_pred: Any, y: Any) -> Any:
    return L.huber_loss(y, y_pred)


LOSSES: dict[str, LossFn] = {
    "mse": _mse,
    "cross_entropy": _cross_entropy,
    "binary_cross_entropy": _binary_cross_entropy,
    "binary_cross_entropy_with_logits": _binary_cross_entropy_with_logits,
    "huber": _huber,
}
"""Loss names ``fit`` accepts, each a function ``(y_pred, y) -> scalar``.

``"cross_entropy"`` and ``"binary_cross_entropy_with_logits"`` take the model's raw
scores (logits); ``"binary_cross_entropy"`` takes probabilities (a model ending in
``Sigmoid``)."""


@dataclass
class History:
    """What happened during :func:`fit`, epoch by epoch, ready for plotting.

    Attributes:
        loss: each epoch's training loss, the minibatch losses weighted by their
            sizes (the mean over the epoch's samples, as PyTorch examples accumulate it).
        accuracy: accuracy on the whole training set at the end of each epoch
            (``None`` entries when there is no accuracy for this loss).
        val_loss, val_accuracy: the same on the validation data (empty without it).
        seconds: wall time of each epoch.
        steps: optimizer steps taken.
        stopped: whether training stopped early because the loss was not finite.
        message: why it stopped (empty otherwise).
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float | None] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float | None] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    steps: int = 0
    stopped: bool = False
    message: str = ""

    @property
    def epochs(self) -> list[int]:
        """The completed epochs, numbered from 1 (the x axis of a plot).

        >>> History(loss=[0.9, 0.5]).epochs
        [1, 2]
        """
        return list(range(1, len(self.loss) + 1))

    def as_dict(self) -> dict[str, list]:
        """Return the per-epoch series as a dict of lists (for JSON or plotting).

        ``history["loss"]`` is a shortcut for ``history.as_dict()["loss"]``.

        >>> History(loss=[0.9, 0.5], accuracy=[0.6, 0.8]).as_dict()["accuracy"]
        [0.6, 0.8]
        """
        return {
            "epoch": self.epochs,
            "loss": list(self.loss),
            "accuracy": list(self.accuracy),
            "val_loss": list(self.val_loss),
            "val_accuracy": list(self.val_accuracy),
            "seconds": list(self.seconds),
        }

    def __getitem__(self, key: str) -> list:
        return self.as_dict()[key]

    def __repr__(self) -> str:
        """A one-line summary (the lists themselves are in :meth:`as_dict`).

        >>> History(loss=[0.9, 0.25], accuracy=[0.5, 0.875], steps=8)
        History(2 epochs, 8 steps: loss 0.9 -> 0.25, accuracy 87.5%)
        """
        if not self.loss:
            return f"History(no epochs{', stopped: ' + self.message if self.stopped else ''})"
        parts = [f"loss {self.loss[0]:.4g} -> {self.loss[-1]:.4g}"]
        if self.accuracy and self.accuracy[-1] is not None:
            parts.append(f"accuracy {100 * self.accuracy[-1]:.4g}%")
        if self.val_loss:
            parts.append(f"val_loss {self.val_loss[-1]:.4g}")
        if self.val_accuracy and self.val_accuracy[-1] is not None:
            parts.append(f"val_accuracy {100 * self.val_accuracy[-1]:.4g}%")
        if self.stopped:
            parts.append("stopped early")
        n = len(self.loss)
        return f"History({n} epoch{'s' * (n != 1)}, {self.steps} steps: {', '.join(parts)})"

    def _repr_html_(self) -> str:
        """An HTML table of the epochs (the first three and last three of a long run)."""
        import html

        rows = self.as_dict()
        keys = [
            k
            for k in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy")
            if rows[k] and any(v is not None for v in rows[k])
        ]
        shown = list(range(len(self.loss)))
        if len(shown) > 6:
            shown = shown[:3] + [-1] + shown[-3:]

        def cell(key: str, i: int) -> str:
            value = rows[key][i]
            if value is None:
                return ""
            return f"{value:.4g}" if isinstance(value, float) else str(value)

        head = "".join(f"<th>{k}</th>" for k in keys)
        body = "".join(
            "<tr>" + "".join(f"<td>{'...' if i < 0 else cell(k, i)}</td>" for k in keys) + "</tr>"
            for i in shown
        )
        return f"<p>{html.escape(repr(self))}</p><table><tr>{head}</tr>{body}</table>"


# ----------------------------------------------------------------------------- accuracy


def _is_binary(y: np.ndarray) -> bool:
    return y.size > 0 and bool(np.all((y == 0) | (y == 1)))


def _class_indices(target: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Class indices from integer labels or from one-hot rows shaped like the output."""
    if target.ndim == out.ndim:
        return np.argmax(target, axis=-1)
    return target.astype(np.int64)


def _auto_accuracy(
    loss_name: str | None, y: np.ndarray, n_outputs: int
) -> Callable[[np.ndarray, np.ndarray], float] | None:
    if loss_name == "cross_entropy":
        return lambda out, target: float(
            np.mean(np.argmax(out, axis=-1) == _class_indices(target, out))
        )
    threshold = {"binary_cross_entropy": 0.5, "binary_cross_entropy_with_logits": 0.0}.get(
        loss_name or "", 0.5
    )
    if loss_name in ("binary_cross_entropy", "binary_cross_entropy_with_logits") or (_is_binary(y)):
        if n_outputs > 1 and y.ndim >= 2 and np.all(np.sum(y, axis=-1) == 1):
            return lambda out, target: float(
                np.mean(np.argmax(out, axis=-1) == np.argmax(target, axis=-1))
            )
        return lambda out, target: float(np.mean((out > threshold) == (target > 0.5)))
    return None


# ----------------------------------------------------------------------------- helpers


def _resolve_loss(loss: str | LossFn) -> tuple[str | None, LossFn]:
    if callable(loss):
        return None, loss
    if isinstance(loss, str) and loss in LOSSES:
        return loss, LOSSES[loss]
    raise ValueError(
        f"unknown loss {loss!r}; use one of {sorted(LOSSES)} or a function (y_pred, y) -> scalar"
    )


def _as_data(name: str, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if y.dtype.kind not in "iub":
        y = y.astype(float)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(f"{name}: X and y need a sample axis; got shapes {X.shape} and {y.shape}")
    if len(X) != len(y):
        raise ValueError(f"{name}: X has {len(X)} samples but y has {len(y)}; they must match")
    if len(X) == 0:
        raise ValueError(f"{name}: there are no samples")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name}: X contains NaN or infinite values")
    return X, y


def _match_targets(loss_name: str | None, y: np.ndarray, out_shape: tuple[int, ...]) -> np.ndarray:
    """Give 1-D targets a column when the model has a single output column."""
    if loss_name in ("cross_entropy", None):
        return y
    if y.ndim == len(out_shape) - 1 and out_shape[-1] == 1:
        return y.reshape(-1, 1).astype(float)
    return y.astype(float)


def _check_batch_size(batch_size: int | None, n: int) -> int:
    """The batch size for ``n`` samples: at most ``n``, all of them for ``None``."""
    if batch_size is None:
        return n
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or (batch_size < 1)
    ):
        raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
    return min(int(batch_size), n)


def evaluate(
    model: Module,
    X: Any,
    y: Any,
    loss: str | LossFn = "mse",
    accuracy: Any = "auto",
    batch_size: int | None = 4096,
) -> tuple[float, float | None]:
    """Return ``(loss, accuracy)`` of ``model`` on ``(X, y)`` in evaluation mode.

    ``accuracy`` is ``None`` when there is none for this loss (see :func:`fit`).

    >>> from gradkit.nn import Linear
    >>> layer = Linear(1, 1, init="zeros")
    >>> evaluate(layer, [[1.0], [2.0]], [1.0, 0.0], loss="mse")
    (0.5, 0.5)
    """
    loss_name, loss_fn = _resolve_loss(loss)
    X, y = _as_data("evaluate", X, y)
    batch_size = _check_batch_size(batch_size, len(X))
    was_training = model.training
    model.eval()
    try:
        out = np.concatenate(
            [np.asarray(model(X[i : i + batch_size])) for i in range(0, len(X), batch_size)]
        )
    finally:
        model.train(was_training)
    y = _match_targets(loss_name, y, out.shape)
    accuracy_fn = _auto_accuracy(loss_name, y, out.shape[-1]) if accuracy == "auto" else accuracy
    value = float(loss_fn(out, y))
    return value, (float(accuracy_fn(out, y)) if accuracy_fn is not None else None)


# ----------------------------------------------------------------------------- fit


def fit(
    model: Module,
    X: Any,
    y: Any,
    loss: str | LossFn = "mse",
    optimizer: Any = None,
    epochs: int = 10,
    batch_size: int | None = 32,
    validation: tuple[Any, Any] | None = None,
    verbose: bool = True,
    seed: int = 0,
    accuracy: Any = "auto",
    callbacks: Any = (),
) -> History:
    """Train ``model`` on ``(X, y)`` with shuffled minibatches; return the :class:`History`.

    Args:
        model: a :class:`~gradkit.nn.Module`; its parameters are updated in place
            (``model.params`` holds the trained values afterwards).
        X: inputs, samples on the first axis.
        y: targets: class indices (or one-hot rows) for ``"cross_entropy"``, 0/1 labels
            for the binary losses, values for ``"mse"``/``"huber"``.
        loss: ``"mse"``, ``"cross_entropy"`` (softmax cross-entropy from logits),
            ``"binary_cross_entropy"`` (from probabilities),
            ``"binary_cross_entropy_with_logits"``, ``"huber"``, or a function
            ``(y_pred, y) -> scalar`` written in NumPy.
        optimizer: a ``gk.optim`` optimizer; default ``gk.optim.adam(1e-3)``.
        epochs: passes over the data.
        batch_size: samples per step; ``None`` for full-batch gradient descent.
        validation: optional ``(X_val, y_val)`` evaluated after every epoch.
        verbose: show a progress bar with epoch, loss and accuracy.
        seed: seed of the shuffling (training is reproducible for a fixed seed).
        accuracy: ``"auto"`` (arg-max for cross-entropy, a 0.5 threshold for 0/1
            targets, none otherwise), ``None``, or a function ``(y_pred, y) -> float``.
        callbacks: objects with ``on_epoch_end(epoch, history, params) -> bool`` (True
            stops training), e.g. :class:`~gradkit.nn.callbacks.EarlyStopping`,
            :class:`~gradkit.nn.callbacks.KeepBest`,
            :class:`~gradkit.nn.callbacks.StepOnPlateau`; one with ``final_params``
            chooses the parameters left in the model.

    Returns:
        The :class:`History`. When the loss becomes NaN or infinite, training stops,
        the model keeps the last parameters whose loss was finite, ``history.stopped``
        is true and ``history.message`` (also issued as a
        :class:`TrainingDivergedWarning`) names the epoch and step.

    >>> import gradkit as gk
    >>> from gradkit.nn import Linear, Sequential, ReLU, datasets
    >>> X, y = datasets.two_moons(200, noise=0.1, rng=0)
    >>> model = Sequential(Linear(2, 32, rng=0), ReLU(), Linear(32, 2, rng=1))
    >>> history = fit(model, X, y, loss="cross_entropy", optimizer=gk.optim.adam(0.02),
    ...               epochs=40, batch_size=32, verbose=False)
    >>> history.accuracy[-1] > 0.95, len(history.loss)
    (True, 40)
    """
    import gradkit as gk

    if not isinstance(model, Module):
        raise TypeError(f"fit() trains a gradkit.nn Module, got {type(model).__name__}")
    loss_name, loss_fn = _resolve_loss(loss)
    X, y = _as_data("fit", X, y)
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"epochs must be a whole number >= 0, got {epochs!r}")
    n = len(X)
    batch_size = _check_batch_size(batch_size, n)
    if optimizer is None:
        optimizer = gk.optim.adam(1e-3)
    if not (hasattr(optimizer, "init") and hasattr(optimizer, "update")):
        raise TypeError(
            "optimizer must be a gk.optim optimizer (with init and update), e.g. "
            f"gk.optim.adam(1e-3); got {type(optimizer).__name__}"
        )

    was_training = model.training
    model.eval()
    try:
        probe_shape = tuple(np.shape(model(X[:1])))
    finally:
        model.train(was_training)
    y = _match_targets(loss_name, y, probe_shape)
    accuracy_fn = _auto_accuracy(loss_name, y, probe_shape[-1]) if accuracy == "auto" else accuracy
    if validation is not None:
        if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
            raise ValueError("validation must be a pair (X_val, y_val)")
        X_val, y_val = _as_data("fit validation", *validation)
        y_val = _match_targets(loss_name, y_val, probe_shape)

    def objective(params: dict[str, Any], xb: np.ndarray, yb: np.ndarray) -> Any:
        return loss_fn(model.apply(params, xb), yb)

    value_and_grad = gk.value_and_grad(objective)
    params = model.params
    state = optimizer.init(params)
    good_params = params
    rng = np.random.default_rng(seed)
    history = History()
    steps_per_epoch = math.ceil(n / batch_size)

    def measure(X_eval: np.ndarray, y_eval: np.ndarray) -> tuple[float, float | None]:
        model.params = params
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported by steps
            return evaluate(
                model,
                X_eval,
                y_eval,
                loss=loss_fn,
                accuracy=accuracy_fn if accuracy_fn is not None else None,
            )

    progress = _progress(verbose)
    task = progress.add_task(
        "training", total=epochs * steps_per_epoch, epoch=f"0/{epochs}", loss="-", acc="-", val=""
    )
    try:
        with progress:
            model.train(True)
            for epoch in range(int(epochs)):
                started = time.perf_counter()
                order = rng.permutation(n)
                total, seen = 0.0, 0
                for step in range(steps_per_epoch):
                    batch = order[step * batch_size : (step + 1) * batch_size]
                    # A diverging run overflows on its way to inf/NaN; the finiteness
                    # check below reports that once, clearly, instead of NumPy warnings.
                    with np.errstate(over="ignore", invalid="ignore"):
                        value, grads = value_and_grad(params, X[batch], y[batch])
                        value = float(value)
                    if not math.isfinite(value):
                        history.stopped = True
                        history.message = (
                            f"fit: the loss became {value} at epoch {epoch + 1}, step "
                            f"{step + 1} of {steps_per_epoch}; training stopped and the "
                            "parameters of the last step with a finite loss were kept. "
                            "Try a smaller learning rate or check the data."
                        )
                        params = good_params
                        break
                    good_params = params
                    with np.errstate(over="ignore", invalid="ignore"):
                        updates, state = optimizer.update(grads, state, params)
                        params = gk.optim.apply_updates(params, updates)
                    if not _all_finite(params):  # the last step of a run has no next loss
                        history.stopped = True
                        history.message = (
                            f"fit: the update at epoch {epoch + 1}, step {step + 1} of "
                            f"{steps_per_epoch} made parameters inf or NaN; training stopped "
                            "and the parameters before it (whose loss was finite) were kept. "
                            "Try a smaller learning rate or check the data."
                        )
                        params = good_params
                        break
                    history.steps += 1
                    total += value * len(batch)
                    seen += len(batch)
                    progress.update(
                        task, advance=1, epoch=f"{epoch + 1}/{epochs}", loss=f"{total / seen:.4f}"
                    )
                if history.stopped:
                    break
                history.loss.append(total / seen)
                model.train(False)
                train_loss, train_accuracy = measure(X, y)
                if not math.isfinite(train_loss):  # each batch's loss was finite, but not
                    history.stopped = True  # the whole set's at the new parameters
                    history.message = (
                        f"fit: after epoch {epoch + 1} the loss over the training set is "
                        f"{train_loss}; training stopped and the parameters before the last "
                        "update were kept. Try a smaller learning rate or check the data."
                    )
                    params = good_params
                    break
                history.accuracy.append(train_accuracy)
                fields = {"acc": _percent(train_accuracy), "val": ""}
                if validation is not None:
                    val_loss, val_accuracy = measure(X_val, y_val)
                    history.val_loss.append(val_loss)
                    history.val_accuracy.append(val_accuracy)
                    fields["val"] = f"  val {val_loss:.4f} {_percent(val_accuracy)}"
                model.train(True)
                history.seconds.append(time.perf_counter() - started)
                progress.update(task, **fields)
                stop = [cb.on_epoch_end(epoch, history, params) for cb in callbacks]
                if any(stop):
                    history.message = f"fit: stopped by a callback after epoch {epoch + 1}"
                    break
        for cb in callbacks:
            if hasattr(cb, "final_params"):
                params = cb.final_params(params)
    finally:
        model.params = params
        model.train(was_training)
    if history.stopped:
        if verbose:
            progress.console.print(f"[bold red]{history.message}[/]")
        warnings.warn(history.message, TrainingDivergedWarning, stacklevel=2)
    return history


def _all_finite(params: Any) -> bool:
    return all(bool(np.all(np.isfinite(p))) for p in tree_leaves(params))


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _in_notebook() -> bool:
    """True inside a Jupyter kernel, where rich's live display needs ipywidgets."""
    import sys

    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return type(shell).__name__ == "ZMQInteractiveShell"


class _LineProgress:
    """A progress report of one line per epoch: in notebooks and without rich."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.console = self
        self.fields: dict[str, Any] = {}
        self._epoch = ""

    def __enter__(self) -> _LineProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def add_task(self, name: str, total: int, **fields: Any) -> int:
        self.fields = dict(fields)
        return 0

    def update(self, task: int, advance: int = 0, **fields: Any) -> None:
        self.fields.update(fields)
        if "acc" in fields and self.enabled:  # the end-of-epoch update
            f = self.fields
            print(f"epoch {f['epoch']}  loss {f['loss']}  acc {f['acc']}{f['val']}", flush=True)

    def print(self, text: str) -> None:
        if self.enabled:
            import re

            print(re.sub(r"\[/?[a-z ]*\]", "", text), flush=True)


def _progress(verbose: bool) -> Any:
    if not verbose or _in_notebook():  # (rich's disabled bar may still print a newline)
        return _LineProgress(verbose)
    try:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    except ImportError:  # the core install has no rich: plain lines instead of a bar
        return _LineProgress(verbose)
    return Progress(
        TextColumn("epoch {task.fields[epoch]}"),
        BarColumn(bar_width=20),
        TextColumn("loss {task.fields[loss]}  acc {task.fields[acc]}{task.fields[val]}"),
        TimeElapsedColumn(),
        disable=not verbose,
    )
