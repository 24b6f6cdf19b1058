"""L-BFGS as ``torch.optim.LBFGS`` computes it, with or without its line search.

One ``update`` is one ``torch.optim.LBFGS.step(closure)``: up to ``max_iter`` inner
iterations, each a two-loop-recursion direction from the last ``history_size`` curvature
pairs and a step ``lr`` (the first iteration of a run scaled by ``min(1, 1 / ||g||_1)``),
taken as it is or, with ``line_search_fn="strong_wolfe"``, as the first trial of a strong
Wolfe line search (:mod:`gradkit.optim.line_search`); stopping early on torch's
tolerances. It needs the function,
so it runs under :func:`gradkit.optim.minimize`, which hands it ``value_and_grad``:

>>> import numpy as np
>>> import gradkit as gk
>>> quad = lambda x: np.sum((x - np.array([1.0, -2.0])) ** 2 * np.array([1.0, 10.0]))
>>> res = gk.optim.minimize(quad, np.zeros(2), lbfgs(lr=0.1, max_iter=50), steps=3)
>>> np.round(res.x, 6)
array([ 1., -2.])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradkit.optim.base import GradientTransformation, as_float_array, check_number
from gradkit.optim.line_search import strong_wolfe

__all__ = ["lbfgs"]


def _flat(tree_leaf: Any) -> np.ndarray:
    return np.asarray(as_float_array(tree_leaf), dtype=float).reshape(-1)


def _direction(g: np.ndarray, dirs: list, steps: list, ro: list, h_diag: float) -> np.ndarray:
    """The two-loop recursion: ``-H g`` with ``H`` the L-BFGS inverse-Hessian estimate."""
    q = -g
    alphas = [0.0] * len(dirs)
    for i in range(len(dirs) - 1, -1, -1):
        alphas[i] = float(steps[i] @ q) * ro[i]
        q = q - alphas[i] * dirs[i]
    r = q * h_diag
    for i in range(len(dirs)):
        beta = float(dirs[i] @ r) * ro[i]
        r = r + (alphas[i] - beta) * steps[i]
    return r


def lbfgs(
    lr: float = 1.0,
    max_iter: int = 20,
    max_eval: int | None = None,
    tolerance_grad: float = 1e-7,
    tolerance_change: float = 1e-9,
    history_size: int = 100,
    line_search_fn: str | None = None,
) -> GradientTransformation:
    """Return L-BFGS with ``torch.optim.LBFGS``'s arguments and defaults.

    Args:
        lr: the step length of each inner iteration.
        max_iter: inner iterations per update (torch: per ``step``).
        max_eval: function evaluations per update (default ``max_iter * 5 // 4``).
        tolerance_grad: stop when ``max |g| <=`` this.
        tolerance_change: stop when the step or the change of the value is below this.
        history_size: curvature pairs kept.
        line_search_fn: ``None`` (a fixed step ``lr``, torch's default) or
            ``"strong_wolfe"``: search from ``lr`` for a step satisfying the strong
            Wolfe conditions (``c1=1e-4``, ``c2=0.9``, at most 25 evaluations), as torch.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> rosen = lambda x: 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2
    >>> opt = lbfgs(line_search_fn="strong_wolfe", tolerance_grad=1e-12)
    >>> np.round(gk.optim.minimize(rosen, np.array([-1.2, 1.0]), opt, steps=3).x, 8)
    array([1., 1.])
    """
    if line_search_fn not in (None, "strong_wolfe"):
        raise ValueError(
            f"lbfgs: line_search_fn must be None or 'strong_wolfe' (as in torch), got "
            f"{line_search_fn!r}"
        )
    lr = check_number("lr", lr, low=0.0, low_open=True)
    max_eval = max_iter * 5 // 4 if max_eval is None else max_eval

    def init(params: Any) -> dict:
        return {
            "n_iter": 0,
            "func_evals": 0,
            "d": None,
            "t": None,
            "dirs": [],
            "steps": [],
            "ro": [],
            "h_diag": 1.0,
            "prev_g": None,
            "prev_loss": None,
        }

    def update(
        grads: Any, state: dict, params: Any = None, value_and_grad: Callable | None = None
    ) -> tuple[Any, dict]:
        if value_and_grad is None or params is None:
            raise ValueError(
                "lbfgs evaluates the function in its inner loop: run it with "
                "gk.optim.minimize(f, x0, gk.optim.lbfgs(...)), which passes value_and_grad"
            )
        x0 = np.asarray(as_float_array(params), dtype=float)
        shape = x0.shape
        s = {
            **state,
            "dirs": list(state["dirs"]),
            "steps": list(state["steps"]),
            "ro": list(state["ro"]),
        }
        x = x0.reshape(-1).copy()

        def evaluate(point: np.ndarray) -> tuple[float, np.ndarray]:
            value, g = value_and_grad(point.reshape(shape))
            return float(value), _flat(g)

        loss, g = evaluate(x)
        evals = 1
        s["func_evals"] += 1
        if np.max(np.abs(g)) <= tolerance_grad:
            return np.zeros(shape), s
        d, t = s["d"], s["t"]
        inner = 0
        while inner < max_iter:
            inner += 1
            s["n_iter"] += 1
            if s["n_iter"] == 1:
                d = -g
                s["dirs"], s["steps"], s["ro"], s["h_diag"] = [], [], [], 1.0
            else:
                y = g - s["prev_g"]
                step = d * t
                ys = float(y @ step)
                if ys > 1e-10:
                    if len(s["dirs"]) == history_size:
                        for key in ("dirs", "steps", "ro"):
                            s[key].pop(0)
                    s["dirs"].append(y)
                    s["steps"].append(step)
                    s["ro"].append(1.0 / ys)
                    s["h_diag"] = ys / float(y @ y)
                d = _direction(g, s["dirs"], s["steps"], s["ro"], s["h_diag"])
            s["prev_g"], s["prev_loss"] = g.copy(), loss
            t = min(1.0, 1.0 / float(np.sum(np.abs(g)))) * lr if s["n_iter"] == 1 else lr
            slope = float(g @ d)
            if slope > -tolerance_change:
                break
            done = False
            if line_search_fn is not None:
                start = x

                def along(step: float, start=start, d=d) -> tuple[float, np.ndarray]:
                    return evaluate(start + step * d)

                loss, g, t, ls_evals = strong_wolfe(along, t, d, loss, g, slope)
                x = x + t * d
                evals += ls_evals
                s["func_evals"] += ls_evals
                done = bool(np.max(np.abs(g)) <= tolerance_grad)
            else:
                x = x + t * d
                if inner != max_iter:  # torch evaluates only if the loop goes on
                    loss, g = evaluate(x)
                    evals += 1
                    s["func_evals"] += 1
                    done = bool(np.max(np.abs(g)) <= tolerance_grad)
            if inner == max_iter or evals >= max_eval or done:
                break
            if (
                np.max(np.abs(d * t)) <= tolerance_change
                or abs(loss - s["prev_loss"]) < tolerance_change
            ):
                break
        s["d"], s["t"] = d, t
        return (x - x0.reshape(-1)).reshape(shape), s

    update.needs_value_and_grad = True  # type: ignore[attr-defined]
    return GradientTransformation(init, update)
