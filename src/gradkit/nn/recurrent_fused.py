"""A whole LSTM layer's recurrence as one recorded operation, for the layers' speed.

An LSTM step is one small matrix product and a dozen elementwise operations; recorded
one by one, the engine's bookkeeping costs more than the arithmetic, and each step's
slice of a sequence-long array gets a cotangent as large as the whole array. So
:func:`lstm_sequence` runs every step of one layer (one direction) as a single
primitive, as torch's fused kernel does. Its inputs are the input's share of every
step's gate pre-activations ``proj`` ``(L, N, 4H)`` (``x W_ih^T + b_ih + b_hh``, one
matrix product for all steps), the initial state ``stack([h0, c0])`` ``(2, N, H)`` and
``W_hh^T`` ``(H, 4H)``; its output is the whole trajectory ``(L, N, 6H)``, each step's
``[h, c, i, f, g, o]`` side by side, where

    z = proj[t] + h W_hh^T,  i, f, o = sigmoid(z_i, z_f, z_o),  g = tanh(z_g),
    c = f c_prev + i g,  h = o tanh(c)      (torch's gate order i, f, g, o).

Keeping the gates in the output lets the reverse rule (backpropagation through time)
read them instead of recomputing them, and keeps it an honest rule: a cotangent on any
entry of the output, gates included, is carried back. Both rules are written with
differentiable NumPy calls, so higher derivatives work (slowly: step by step).

>>> import numpy as np
>>> traj = lstm_sequence(np.zeros((3, 1, 4)), np.zeros((2, 1, 1)), np.zeros((1, 4)))
>>> traj.shape                                      # (L, N, 6H)
(3, 1, 6)
>>> traj[0, 0]                                      # h, c, i, f, g, o after one step
array([0. , 0. , 0.5, 0.5, 0. , 0.5])
"""

from __future__ import annotations

import functools
import weakref
from typing import Any

import numpy as np

from gradkit.nn.functional import _TRACED, _as_input

__all__ = ["lstm_sequence"]


def lstm_sequence(proj: Any, state: Any, w_hh_t: Any) -> Any:
    """Every step of an LSTM layer: the trajectory ``(L, N, 6H)`` of ``[h, c, i, f, g,
    o]`` from the input projections ``proj`` ``(L, N, 4H)``, the initial ``stack([h0,
    c0])`` ``(2, N, H)`` and ``w_hh_t = W_hh^T`` ``(H, 4H)``. One recorded operation.

    >>> import numpy as np
    >>> lstm_sequence(np.ones((5, 2, 8)), np.zeros((2, 2, 2)), np.zeros((2, 8))).shape
    (5, 2, 12)
    """
    p_shape, s_shape, w_shape = np.shape(proj), np.shape(state), np.shape(w_hh_t)
    hidden = p_shape[-1] // 4 if len(p_shape) == 3 else 0
    if (
        not hidden
        or p_shape[-1] % 4
        or s_shape != (2, p_shape[1], hidden)
        or w_shape != (hidden, 4 * hidden)
    ):
        raise ValueError(
            "lstm_sequence: expected proj (L, N, 4H), state (2, N, H) and w_hh_t (H, 4H); "
            f"got shapes {p_shape}, {s_shape} and {w_shape}"
        )
    proj, state, w_hh_t = _as_input(proj), _as_input(state), _as_input(w_hh_t)
    if type(proj) is type(state) is type(w_hh_t) is np.ndarray:
        return _values(proj, state, w_hh_t)
    return _primitive()(proj, state, w_hh_t)


def _values(proj: Any, state: Any, w_hh_t: Any) -> Any:
    if any(type(a) in _TRACED for a in (proj, state, w_hh_t)):  # an outer transform's
        return _primitive()(proj, state, w_hh_t)
    length, hidden = proj.shape[0], proj.shape[-1] // 4
    out = np.empty(proj.shape[:-1] + (6 * hidden,), dtype=np.result_type(proj, state, w_hh_t))
    h, c = state[0], state[1]
    with np.errstate(over="ignore"):  # exp(-z) = inf for z < -709 gives sigmoid 0: right
        for t in range(length):
            z = h @ w_hh_t
            z += proj[t]
            step = out[t]
            act = step[:, 2 * hidden :]
            # sigmoid 1 / (1 + exp(-z)) (torch's formula) in place, then tanh on the g block
            np.negative(z, out=act)
            np.exp(act, out=act)
            act += 1.0
            np.reciprocal(act, out=act)
            gate = act[:, 2 * hidden : 3 * hidden]
            np.tanh(z[:, 2 * hidden : 3 * hidden], out=gate)
            h, c_new = step[:, :hidden], step[:, hidden : 2 * hidden]
            np.multiply(act[:, hidden : 2 * hidden], c, out=c_new)
            c_new += act[:, :hidden] * gate
            np.tanh(c_new, out=h)
            h *= act[:, 3 * hidden :]
            c = c_new
    return out


def _blocks(a: Any, hidden: int, count: int) -> list:
    """``a``'s last axis cut into ``count`` blocks of ``hidden``."""
    return [a[..., k * hidden : (k + 1) * hidden] for k in range(count)]


def _sweep(g: Any, ans: Any, proj: Any, state: Any, w_hh_t: Any) -> tuple[Any, Any, Any]:
    """Backpropagation through time: the cotangents of proj, state and w_hh_t."""
    length, hidden = proj.shape[0], proj.shape[-1] // 4
    dh_next: Any = None
    dc_next: Any = None
    dz_steps = []
    for t in reversed(range(length)):
        h, c, i, f, gate, o = _blocks(ans[t], hidden, 6)
        g_h, g_c, g_i, g_f, g_g, g_o = _blocks(g[t], hidden, 6)
        c_prev = ans[t - 1][..., hidden : 2 * hidden] if t else state[1]
        dh = g_h if dh_next is None else g_h + dh_next
        tc = np.tanh(c)
        dc = g_c + dh * o * (1.0 - tc * tc)
        if dc_next is not None:
            dc = dc + dc_next
        dz = np.concatenate(
            [
                (dc * gate + g_i) * (i * (1.0 - i)),
                (dc * c_prev + g_f) * (f * (1.0 - f)),
                (dc * i + g_g) * (1.0 - gate * gate),
                (dh * tc + g_o) * (o * (1.0 - o)),
            ],
            axis=-1,
        )
        dz_steps.append(dz)
        dh_next = dz @ w_hh_t.T
        dc_next = dc * f
    dproj = np.stack(dz_steps[::-1])
    # Each step's h_prev^T dz, summed: one matrix product over all steps at once.
    h_prev = np.concatenate([state[0][None], ans[:-1, :, :hidden]])
    d_w = np.reshape(h_prev, (-1, hidden)).T @ np.reshape(dproj, (-1, 4 * hidden))
    return dproj, np.stack([dh_next, dc_next]), d_w


def _sweep_values(g: Any, ans: Any, state: Any, w_hh_t: Any) -> tuple[Any, Any, Any]:
    """:func:`_sweep` for plain arrays: the same formulas written into buffers, a step at
    a time (each step's arrays stay in cache; whole-sequence temporaries measured slower).
    """
    length, hidden = ans.shape[0], ans.shape[-1] // 6
    n, h2, h3 = ans.shape[1], 2 * hidden, 3 * hidden
    dtype = np.result_type(g, ans, w_hh_t)
    dproj = np.empty(ans.shape[:-1] + (4 * hidden,), dtype=dtype)
    # dz = [dc, dc, dc, dh] * [g, c_prev, i, tanh c] + g_gates, times each gate's slope
    spread = np.empty((n, 4, hidden), dtype=dtype)
    factor = np.empty((n, 4, hidden), dtype=dtype)
    dh = np.zeros(state.shape[1:], dtype=dtype)
    dc = np.zeros(state.shape[1:], dtype=dtype)
    w_hh = w_hh_t.T
    for t in reversed(range(length)):
        step, g_t = ans[t], g[t]
        act = step[:, h2:]  # i, f, g, o
        dh += g_t[:, :hidden]
        tc = np.tanh(step[:, hidden:h2])
        factor[:, 3] = tc
        tc *= tc
        np.subtract(1.0, tc, out=tc)
        tc *= act[:, h3:]
        tc *= dh
        tc += g_t[:, hidden:h2]
        dc += tc  # dc now holds this step's whole cotangent of c
        spread[:, :3] = dc[:, None]
        spread[:, 3] = dh
        factor[:, 0] = act[:, h2:h3]
        factor[:, 1] = ans[t - 1, :, hidden:h2] if t else state[1]
        factor[:, 2] = act[:, :hidden]
        dz = dproj[t]
        np.multiply(spread.reshape(n, -1), factor.reshape(n, -1), out=dz)
        dz += g_t[:, h2:]
        slope = 1.0 - act
        slope *= act  # a (1 - a) for the sigmoid gates; 1 - g^2 for the tanh gate:
        gate_slope = slope[:, h2:h3]
        np.multiply(act[:, h2:h3], act[:, h2:h3], out=gate_slope)
        np.subtract(1.0, gate_slope, out=gate_slope)
        dz *= slope
        dh = dz @ w_hh
        dc *= act[:, hidden:h2]
    h_prev = np.concatenate([state[0][None], ans[:-1, :, :hidden]])
    d_w = np.reshape(h_prev, (-1, hidden)).T @ np.reshape(dproj, (-1, 4 * hidden))
    return dproj, np.stack([dh, dc]), d_w


#: The last sweep's cotangents by ``id(ans)``: the engine asks for each argument's
#: cotangent in turn, with the same ``g``, and one sweep gives all three. An entry lives
#: as long as its ``ans`` (a finalizer drops it), so nothing outlives the backward pass.
_SWEEPS: dict[int, tuple] = {}


def _swept(g: Any, ans: Any, sweep: Any) -> tuple:
    """``sweep()``'s three cotangents, computed once per ``(g, ans)``."""
    entry = _SWEEPS.get(id(ans))
    if entry is not None and entry[0] is g:
        return entry[1]
    result = sweep()
    try:
        if entry is None:
            weakref.finalize(ans, _SWEEPS.pop, id(ans), None)
        _SWEEPS[id(ans)] = (g, result)
    except TypeError:  # ans cannot be weakly referenced: each argument sweeps again
        pass
    return result


def _vjp(k: int, g: Any, ans: Any, proj: Any, state: Any, w_hh_t: Any) -> Any:
    args = (g, ans, proj, state, w_hh_t)
    if all(type(a) is np.ndarray for a in args):
        return _swept(g, ans, lambda: _sweep_values(g, ans, state, w_hh_t))[k]
    if all(_jit_only(a) for a in args):
        # Recorded by gk.jit as one operation, replayed as the buffered sweep.
        return _sweep_primitive()(g, ans, proj, state, w_hh_t, k=k)
    return _swept(g, ans, lambda: _sweep(g, ans, proj, state, w_hh_t))[k]


def _jit_only(x: Any) -> bool:
    """Whether ``x`` is plain or traced by :func:`gradkit.jit` alone (not differentiated)."""
    while type(x) in _TRACED:
        trace = x._trace
        if trace is not None and not trace.jit:
            return False
        x = x._value
    return True


def _sweep_component(g: Any, ans: Any, proj: Any, state: Any, w_hh_t: Any, k: int) -> Any:
    return _swept(g, ans, lambda: _sweep_values(g, ans, state, w_hh_t))[k]


@functools.lru_cache(maxsize=1)
def _sweep_primitive() -> Any:
    # Under gk.jit only: nothing differentiates it (other traces take the generic sweep),
    # so it has no rules of its own.
    from gradkit.autodiff import primitive

    prim = primitive(_sweep_component)
    prim.name = "lstm_sequence_sweep"
    return prim


def _jvp(nb: int, k: int, t: Any, ans: Any, proj: Any, state: Any, w_hh_t: Any) -> Any:
    """The trajectory's tangent from the tangent ``t`` (with ``nb`` batch axes in front)
    of argument ``k``, pushed through the steps in order."""
    length, hidden = proj.shape[0], proj.shape[-1] // 4
    lead = (slice(None),) * nb
    batch = np.shape(t)[:nb] + np.shape(state)[1:]
    if k == 1:
        dh, dc = t[lead + (0,)], t[lead + (1,)]
    else:
        dh = dc = np.zeros(batch, dtype=np.result_type(t))
    steps = []
    for s in range(length):
        h, c, i, f, gate, o = _blocks(ans[s], hidden, 6)
        c_prev = ans[s - 1][..., hidden : 2 * hidden] if s else state[1]
        h_prev = ans[s - 1][..., :hidden] if s else state[0]
        dz = dh @ w_hh_t
        if k == 0:
            dz = dz + t[lead + (s,)]
        elif k == 2:
            dz = dz + h_prev @ t
        z_i, z_f, z_g, z_o = _blocks(dz, hidden, 4)
        di, df = z_i * (i * (1.0 - i)), z_f * (f * (1.0 - f))
        dg, do = z_g * (1.0 - gate * gate), z_o * (o * (1.0 - o))
        dc = df * c_prev + f * dc + di * gate + i * dg
        tc = np.tanh(c)
        dh = do * tc + o * (1.0 - tc * tc) * dc
        steps.append(np.concatenate([dh, dc, di, df, dg, do], axis=-1))
    return np.stack(steps, axis=nb)


@functools.lru_cache(maxsize=1)
def _primitive() -> Any:
    # Registered on first use, so importing gradkit.nn does not load the engine.
    from gradkit.autodiff import primitive
    from gradkit.nn.functional import _note_traced_type

    prim = primitive(_values)
    prim.name = "lstm_sequence"
    prim.vjps = tuple(functools.partial(_vjp, k) for k in range(3))
    prim.jvp = _jvp
    _note_traced_type()
    return prim
