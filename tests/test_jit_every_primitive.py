"""Issue 25, point 6: gk.jit runs whatever gk.grad runs. Every case of the primitive
suite (tests/autodiff_cases*.py: every registered primitive and supported NumPy
function) is run as ``gk.jit(f)`` and ``gk.jit(gk.grad(<c, f>))`` on three inputs of one
shape: the recording, the checked first replay and a later replay must each equal the
call without jit: gk.jit(gk.grad) equals gk.grad bit for bit; gk.jit(f) equals f to
the tolerance of jit's own checked replay (the engine computes some values, such as
matrix_power or vecdot, in another order than NumPy does, so they may differ from NumPy's
by a few ulps; jit only replays the engine's own calls).

NOT_YET lists the cases jit cannot run today (issue 25, point 6), each as a strict xfail
so that the day one works its test fails and says to remove it from the list."""

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
        np.testing.assert_array_equal(g, w, err_msg=what)


#: name -> why jit fails on it today. Shapes or dtypes that depend on values are what
#: jit genuinely cannot replay; those must raise JitError (they are not listed here).
NOT_YET = {
    # a rule or an impl reads the value of a traced array (JitError today)
    **dict.fromkeys(
        [
            "diff prepend/append",
            "average(weights)",
            "average(axis, 1-d weights)",
            "average(returned)",
            "linalg.slogdet",
            "slogdet sign * exp",
            "matrix_power 0",
            "nanmean",
            "svd(hermitian)",
            "lstsq x",
            "lstsq residuals and s",
            "interp(x)",
            "interp(xp, fp)",
            "quantile(traced q)",
            "partition",
            "maximum.accumulate",
            "minimum.accumulate(axis=1)",
            "nanmedian",
            "nanquantile",
            "nanpercentile",
            "piecewise",
            "np.i0",
        ],
        "reads a traced value",
    ),  # fmt: skip
    "nanvar": "crashes: TypeError, bad operand type for unary ~: 'Element'",
    "nanstd": "crashes: TypeError, bad operand type for unary ~: 'Element'",
    "x[bool mask]": "a shape that depends on values crashes in the replay (ValueError) "
    "instead of raising JitError at the recording",
    "real_if_close": "a dtype that depends on values: must raise JitError, not the "
    "generic read-a-value message",
}


def _params():
    for case in ALL_CASES:
        marks = ()
        name = "np.i0" if case.fn is np.i0 else case.name  # scipy.special.i0 is "i0" too
        if name in NOT_YET:
            marks = pytest.mark.xfail(strict=True, reason=NOT_YET[name])
        yield pytest.param(case, id=name, marks=marks)


@pytest.mark.parametrize("case", _params())
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
