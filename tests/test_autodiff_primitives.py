"""Every primitive and supported NumPy function, differentiated in both modes.

Each case is a plain NumPy function with a sampler that keeps its inputs inside the
function's domain (away from poles, branch cuts, kinks and ties by a margin much larger
than the finite-difference steps). For random inputs of several shapes, broadcasting
included, the tests check

- reverse mode: ``vjp`` with a random cotangent against the five-point central
  difference of ``<cotangent, f>`` (``tests/fd.py``, plain NumPy, independent of gradkit);
- forward mode: ``jvp`` along a random tangent against the central difference of ``f``
  along that tangent;
- every gradient has its input's shape;
- ``gk.check_grads(f, modes=("fwd", "rev"), order=2)``: first and second derivatives in
  every mix of modes;
- the batched paths: ``jacfwd`` and ``jacrev`` against the finite-difference Jacobian, and
  ``hessian``/``hvp`` of ``<cotangent, f>`` against central differences of the gradient.

The cases live in ``tests/autodiff_cases*.py``.
"""

from __future__ import annotations

import fd
import numpy as np
import pytest
from autodiff_cases import BINARY, REDUCTIONS, UNARY, Case
from autodiff_cases_complex import COMPLEX
from autodiff_cases_extra import EXTRAS, MIXED
from autodiff_cases_fft import FFT
from autodiff_cases_layers import LAYERS
from autodiff_cases_linalg import LINALG_CASES
from autodiff_cases_more import MORE
from autodiff_cases_scatter import SCATTER
from autodiff_cases_shapes import LINALG, SHAPE_OPS
from autodiff_cases_special import SPECIAL
from hypothesis import given, settings
from hypothesis import strategies as st

import gradkit as gk

SEEDS = st.integers(0, 2**32 - 1)
# Each case runs the shared profile's budget divided by this, so the ~400 cases together
# stay within a few seconds per 10 examples.
FEW = settings(max_examples=max(3, settings().max_examples // 5), deadline=None)

ALL_CASES = (
    UNARY
    + BINARY
    + REDUCTIONS
    + SHAPE_OPS
    + LINALG
    + EXTRAS
    + MIXED
    + SCATTER
    + COMPLEX
    + SPECIAL
    + LINALG_CASES
    + FFT
    + MORE
    + LAYERS
)


def _weights(rng, shape):
    return rng.standard_normal(size=shape)


def _check_case(case: Case, seed: int, spec) -> None:
    rng = np.random.default_rng(seed)
    args = tuple(np.asarray(a, dtype=float) for a in case.make(rng, spec))
    out = np.asarray(case.fn(*args), dtype=float)  # plain NumPy: the reference function
    cot = _weights(rng, out.shape)
    tangents = tuple(_weights(rng, np.shape(a)) for a in args)
    for i in range(len(args)):
        if i not in case.argnums:
            tangents[i][...] = 0.0

    # reverse mode against finite differences of <cot, f>
    value, vjp_fn = gk.vjp(case.fn, *args)
    np.testing.assert_allclose(np.asarray(value), out, rtol=1e-12, atol=1e-12)
    cotangents = vjp_fn(cot)
    for i in case.argnums:
        assert np.shape(cotangents[i]) == np.shape(args[i]), "gradient shape != input shape"
        reference = fd.gradient(lambda *a: np.sum(cot * case.fn(*a)), args, i)
        np.testing.assert_allclose(cotangents[i], reference, rtol=1e-6, atol=1e-7)

    # forward mode against finite differences along the tangent
    value_f, tangent_out = gk.jvp(case.fn, args, tangents)
    np.testing.assert_allclose(np.asarray(value_f), out, rtol=1e-12, atol=1e-12)
    reference = fd.directional(case.fn, args, tangents)
    np.testing.assert_allclose(tangent_out, reference, rtol=1e-6, atol=1e-7)

    # first and second order, every mix of modes (only the differentiated arguments vary)
    fixed = dict(enumerate(args))

    def restricted(*diff_args):
        full = dict(fixed)
        full.update(zip(case.argnums, diff_args))
        return case.fn(*[full[k] for k in range(len(args))])

    gk.check_grads(restricted, modes=("fwd", "rev"), order=2, seed=seed % 1000)(
        *[args[i] for i in case.argnums]
    )


@pytest.mark.parametrize("case", ALL_CASES, ids=repr)
@FEW
@given(seed=SEEDS, data=st.data())
def test_primitive_matches_finite_differences(case: Case, seed: int, data) -> None:
    spec = data.draw(st.sampled_from(case.specs), label="shape")
    _check_case(case, seed, spec)


def _check_batched(case: Case, seed: int, spec) -> None:
    """jacfwd and hessian push all basis directions through one batched pass, a code path
    of its own in every structural rule: check it against finite differences too."""
    rng = np.random.default_rng(seed)
    args = tuple(np.asarray(a, dtype=float) for a in case.make(rng, spec))
    out = np.asarray(case.fn(*args), dtype=float)
    cot = _weights(rng, out.shape)
    jfs = gk.jacfwd(case.fn, argnums=case.argnums)(*args)
    jrs = gk.jacrev(case.fn, argnums=case.argnums)(*args)
    for i, jf, jr in zip(case.argnums, jfs, jrs):
        reference = fd.jacobian(case.fn, args, i)
        assert np.shape(jf) == np.shape(jr) == out.shape + args[i].shape
        np.testing.assert_allclose(jf, reference, rtol=1e-6, atol=1e-7, err_msg="jacfwd")
        np.testing.assert_allclose(jr, reference, rtol=1e-6, atol=1e-7, err_msg="jacrev")

    # Hessian of <cot, f>: H v against the central difference of the (checked) gradient.
    def scalar(*a):
        return np.sum(cot * case.fn(*a))

    i = case.argnums[0]
    v = _weights(rng, args[i].shape)
    hess = gk.hessian(scalar, argnums=i)(*args)
    assert np.shape(hess) == args[i].shape * 2
    dirs = tuple(v if k == i else np.zeros_like(a) for k, a in enumerate(args))
    reference = fd.directional(gk.grad(scalar, argnums=i), args, dirs)
    hv = np.tensordot(hess, v, axes=v.ndim) if v.ndim else hess * v
    np.testing.assert_allclose(hv, reference, rtol=1e-6, atol=1e-6, err_msg="hessian")
    np.testing.assert_allclose(gk.hvp(lambda x: scalar(*args[:i], x, *args[i + 1 :]), args[i], v),
                               hv, rtol=1e-10, atol=1e-10, err_msg="hvp")  # fmt: skip


@pytest.mark.parametrize("case", ALL_CASES, ids=repr)
@settings(max_examples=max(2, settings().max_examples // 10), deadline=None)
@given(seed=SEEDS, data=st.data())
def test_jacobians_and_hessian_match_finite_differences(case: Case, seed: int, data) -> None:
    spec = data.draw(st.sampled_from(case.specs), label="shape")
    _check_batched(case, seed, spec)


def test_every_registered_ufunc_is_exercised() -> None:
    """Every differentiable ufunc in the dispatch table appears in a case above."""
    from gradkit.autodiff import numpy_api
    from gradkit.autodiff.rules import elementwise

    covered = {getattr(c, "ufunc", None) or c.fn for c in ALL_CASES}  # ufunc: in x only
    constant = set(elementwise.UFUNC_CONSTANT)
    missing = [
        u.__name__
        for u in numpy_api.UFUNCS
        if u not in constant and u not in covered and u is not np.matmul
    ]
    # np.divide is np.true_divide, np.mod is np.remainder: the same objects.
    assert missing == []


def test_every_registered_function_is_exercised(monkeypatch) -> None:
    """Every differentiable NumPy function in the dispatch table is reached by a case."""
    from gradkit.autodiff import numpy_api

    reached = set()

    def recording(np_fn, impl):
        def wrapper(*args, **kwargs):
            reached.add(np_fn)
            return impl(*args, **kwargs)

        return wrapper

    differentiable = {
        f
        for f, impl in numpy_api.FUNCTIONS.items()
        if "_constant" not in getattr(impl, "__qualname__", "")
    }
    for np_fn, impl in list(numpy_api.FUNCTIONS.items()):
        monkeypatch.setitem(numpy_api.FUNCTIONS, np_fn, recording(np_fn, impl))
    for case in ALL_CASES:
        args = case.make(np.random.default_rng(0), case.specs[0])
        gk.jvp(case.fn, tuple(args), tuple(np.ones_like(a) for a in args))
    if isinstance(np.matmul, np.ufunc):  # NumPy 2 dispatches it as a ufunc
        differentiable.discard(np.matmul)
    assert sorted(f.__name__ for f in differentiable - reached) == []


# A float64 constant mixed into float32 code: NumPy's value is float64 but the tangent of
# the float32 branch stays float32 (the engine casts only final gradients).
MIXED_DTYPE = {"where with a constant branch"}


@pytest.mark.parametrize("case", [c for c in ALL_CASES if c.name not in MIXED_DTYPE], ids=repr)
def test_float32_inputs_keep_numpy_dtypes_in_both_modes(case: Case) -> None:
    args = tuple(
        np.asarray(a, dtype=np.float32) for a in case.make(np.random.default_rng(0), case.specs[-1])
    )
    expected = np.result_type(case.fn(*args))  # what NumPy itself returns
    value, tangent = gk.jvp(case.fn, args, tuple(np.ones_like(a) for a in args))
    assert np.result_type(value) == expected
    assert np.result_type(tangent) == expected
    _, vjp_fn = gk.vjp(case.fn, *args)
    for g in vjp_fn(np.ones(np.shape(value), dtype=expected)):
        assert np.result_type(g) == np.float32


def test_matmul_with_a_constant_written_as_lists() -> None:
    # NumPy takes nested lists as a matrix; so must the backward pass. The gradients are
    # the closed forms A.T @ ones and ones @ B.T.
    A, B = [[1.0, 2.0]], [[1.0], [2.0], [3.0]]
    g = gk.grad(lambda w: np.sum(np.matmul(A, w)))(np.ones((2, 3)))
    np.testing.assert_array_equal(g, np.array(A).T @ np.ones((1, 3)))
    g = gk.grad(lambda w: np.sum(w @ B))(np.ones((2, 3)))
    np.testing.assert_array_equal(g, np.ones((2, 1)) @ np.array(B).T)
    g = gk.grad(lambda v: np.sum(np.matmul((1.0, 2.0), v)))(np.ones((2, 3)))
    np.testing.assert_array_equal(g, [[1.0] * 3, [2.0] * 3])
    h = gk.hessian(lambda v: np.sum(np.matmul(A, v) ** 2))(np.ones(2))
    np.testing.assert_array_equal(h, 2 * np.array(A).T @ np.array(A))
