"""Issue 25, point 6: gk.jit runs whatever gk.grad runs. Every case of the primitive
suite (tests/autodiff_cases*.py: every registered primitive and supported NumPy
function) is run as ``gk.jit(f)`` and ``gk.jit(gk.grad(<c, f>))`` on three inputs of one
shape: the recording, the checked first replay and a later replay must each equal the
call without jit: gk.jit(gk.grad) equals gk.grad bit for bit; gk.jit(f) equals f to
the tolerance of jit's own checked replay (the engine computes some values, such as
matrix_power or vecdot, in another order than NumPy does, so they may differ from NumPy's
by a few ulps; jit only replays the engine's own calls).

Where the shape or dtype of a result depends on the values, jit cannot replay it: those
cases must raise a JitError that says why (CANNOT)."""

from __future__ import annotations

import numpy as np
import pytest
from test_autodiff_primitives import ALL_CASES

import gradkit as gk


def _inputs(case, k: int):
    rng = np.random.default_rng(1000 + k)
    return tuple(np.asarray(a, dtype=float) for a in case.make(rng, case.specs[-1]))


def _same(got, want, what: str) -> None:
    got_leaves = gk.tree.tree_leaves(got)
    want_leaves = gk.tree.tree_leaves(want)
    assert len(got_leaves) == len(want_leaves), what
    for g, w in zip(got_leaves, want_leaves):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype, what
        if np.__version__.startswith("2.0."):  # one case 1 ulp apart there (see fidelity)
            np.testing.assert_array_max_ulp(g, w, maxulp=1)
        else:
            np.testing.assert_array_equal(g, w, err_msg=what)


#: What jit genuinely cannot replay, a shape or dtype that depends on the values: each
#: raises a JitError that names the reason (tested below), never a wrong answer.
CANNOT = {
    "x[bool mask]": "boolean mask",
    "real_if_close": "real or a complex array depending on the values",
    "lstsq x": "rank decides",
    "lstsq residuals and s": "rank decides",
    "quantile(traced q)": "traced q",
    "nanmedian": "not NaN",
    "nanquantile": "not NaN",
    "nanpercentile": "not NaN",
    "piecewise": "np.piecewise calls each function",
}


def _name(case) -> str:
    return "np.i0" if case.fn is np.i0 else case.name  # scipy.special.i0 is "i0" too


def _params(cannot: bool):
    for case in ALL_CASES:
        if (_name(case) in CANNOT) == cannot:
            yield pytest.param(case, id=_name(case))


@pytest.mark.parametrize("case", list(_params(cannot=False)))
def test_jit_and_jit_of_grad_equal_the_calls_without_jit(case) -> None:
    first = _inputs(case, 0)
    cot = np.random.default_rng(7).standard_normal(np.shape(case.fn(*first)))

    def scalar(*a):
        return np.sum(cot * case.fn(*a))

    grad = gk.grad(scalar, argnums=case.argnums)
    forward, backward = gk.jit(case.fn), gk.jit(grad)
    for k in range(3):
        args = first if k == 0 else _inputs(case, k)
        value = forward(*args)
        want = case.fn(*args)
        for v, w in zip(gk.tree.tree_leaves(value), gk.tree.tree_leaves(want)):
            assert np.shape(v) == np.shape(w) and np.asarray(v).dtype == np.asarray(w).dtype
            np.testing.assert_allclose(v, w, rtol=1e-9, atol=1e-12, err_msg=f"jit(f), call {k}")
        _same(backward(*args), grad(*args), f"gk.jit(gk.grad(f)), call {k}")
    assert forward.recordings == [1] and backward.recordings == [1]


@pytest.mark.parametrize("case", list(_params(cannot=True)))
def test_what_jit_cannot_replay_raises_a_jit_error_that_says_why(case) -> None:
    args = _inputs(case, 0)
    with pytest.raises(gk.JitError, match="can't replay") as info:
        gk.jit(case.fn)(*args)
        gk.jit(case.fn)(*_inputs(case, 1))
    assert CANNOT[_name(case)] in str(info.value)
