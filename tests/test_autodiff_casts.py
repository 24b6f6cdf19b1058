"""Casts and integer results: a piecewise-constant value carries a zero derivative.

``astype`` to an integer or boolean dtype, ``dtype=int`` in a reduction or a ufunc: the
value is NumPy's own (NumPy casts the entries first: ``np.sum([1.5, 1.5], dtype=int)``
is 2, not 3) and the derivative is zero, in both modes and at second order. Casts
between float and complex dtypes stay differentiable. References are closed forms and
central finite differences (``tests/fd.py``), which see a piecewise-constant term as
constant away from its jumps.
"""

from __future__ import annotations

import fd
import numpy as np
import pytest

import gradkit as gk

X = np.array([1.5, -2.7, 0.4, 3.2])  # no entry within 1e-2 of an integer


def both_modes(f, x):
    """The gradient of scalar ``f`` by reverse mode and by forward mode (one jvp per
    basis vector)."""
    rev = gk.grad(f)(x)
    fwd = np.array([gk.jvp(f, (x,), (e,))[1] for e in np.eye(x.size)])
    return rev, fwd


INTEGER_VALUED = [
    ("astype(int) * x", lambda x: np.sum(x.astype(int) * x), lambda x: np.trunc(x)),
    ("astype(int)", lambda x: np.sum(x.astype(int)), lambda x: 0 * x),
    (
        "astype(np.int32) ** 2 * x",
        lambda x: np.sum(x.astype(np.int32) ** 2 * x),
        lambda x: np.trunc(x) ** 2,
    ),  # fmt: skip
    ("astype(bool) * x", lambda x: np.sum(x.astype(bool) * x), lambda x: (x != 0) * 1.0),
    ("sum(dtype=int)", lambda x: np.sum(x, dtype=int) * 1.0, lambda x: 0 * x),
    ("sum(dtype=int) + sum", lambda x: np.sum(x, dtype=int) + np.sum(x), lambda x: 1 + 0 * x),
    (
        "mean(dtype=int) * x",
        lambda x: np.sum(np.mean(x, dtype=int) * x),
        lambda x: np.full_like(x, np.mean(x, dtype=int)),
    ),  # fmt: skip
    ("prod(dtype=int)", lambda x: np.prod(x, dtype=int) + np.sum(x), lambda x: 1 + 0 * x),
    (
        "x.sum(dtype=int)",
        lambda x: x.sum(dtype=int) * np.sum(x**2),
        lambda x: 2 * x * np.sum(x, dtype=int),
    ),  # fmt: skip
    (
        "add(dtype=int, unsafe)",
        lambda x: np.sum(np.add(x, x, dtype=int, casting="unsafe")),
        lambda x: 0 * x,
    ),  # fmt: skip
    (
        "multiply(dtype=int) * x",
        lambda x: np.sum(np.multiply(x, 3, dtype=int, casting="unsafe") * x),
        lambda x: 3 * np.trunc(x),
    ),  # fmt: skip
    (
        "cumsum(dtype=int)",
        lambda x: np.sum(np.cumsum(x, dtype=int) * x),
        lambda x: np.cumsum(np.trunc(x)),
    ),  # fmt: skip
]


@pytest.mark.parametrize("name, f, closed", INTEGER_VALUED, ids=[n for n, *_ in INTEGER_VALUED])
def test_integer_valued_results_carry_zero_derivative(name, f, closed) -> None:
    value, _ = gk.value_and_grad(f)(X)
    # NumPy's own value: bit for bit on NumPy >= 2.1; NumPy 2.0 evaluates x**2 with pow,
    # not x*x, so there it may differ by one unit in the last place
    ulps = 0 if np.lib.NumpyVersion(np.__version__) >= "2.1.0" else 1
    np.testing.assert_array_max_ulp(value, f(X), maxulp=ulps)
    rev, fwd = both_modes(f, X)
    reference = fd.gradient(f, (X,))
    np.testing.assert_allclose(rev, reference, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(fwd, reference, rtol=1e-9, atol=1e-9)
    if name != "cumsum(dtype=int)":  # cumsum's closed form is only the first entry's row
        np.testing.assert_allclose(rev, closed(X), rtol=1e-15, atol=0)
    hess = gk.hessian(f)(X)
    np.testing.assert_allclose(hess, fd.jacobian(gk.grad(f), (X,)), rtol=1e-7, atol=1e-7)
    gk.check_grads(f, order=2)(X)


def test_the_issue_case_gives_trunc_not_x_plus_trunc() -> None:
    g = gk.grad(lambda x: np.sum(x.astype(int) * x))(X)
    np.testing.assert_array_equal(g, np.trunc(X))  # was X + trunc(X)


def test_integer_dtype_values_follow_numpy() -> None:
    x = np.array([1.5, 1.5, 2.5])
    # NumPy casts each entry, then sums: 1 + 1 + 2 = 4 (not int(5.5) = 5)
    for fn in (
        lambda x: np.sum(x, dtype=int),
        lambda x: np.mean(x, dtype=int),
        lambda x: np.prod(x, dtype=np.int64),
        lambda x: np.add(x, x, dtype=int, casting="unsafe"),
        lambda x: np.cumsum(x, dtype=int),
        lambda x: x.astype(np.uint8),
    ):
        out, tangent = gk.jvp(fn, (x,), (np.ones(3),))
        np.testing.assert_array_equal(out, fn(x))
        assert np.result_type(out) == np.result_type(fn(x))
        assert not np.any(tangent)


def test_a_cast_numpy_refuses_is_refused() -> None:
    # NumPy: "Cannot cast ufunc 'add' input 0 from dtype('float64') to dtype('int64')
    # with casting rule 'same_kind'"; the same error under a transform
    with pytest.raises(TypeError, match="Cannot cast ufunc 'add'"):
        np.add(X, X, dtype=int)
    with pytest.raises(TypeError, match="Cannot cast ufunc 'add'"):
        gk.grad(lambda x: np.sum(np.add(x, x, dtype=int)))(X)
    with pytest.raises(TypeError, match="Cannot cast ufunc 'multiply'"):
        gk.grad(lambda x: np.sum(np.multiply(x * 1j, x, dtype=float)))(X)


def test_float_and_complex_dtypes_stay_differentiable() -> None:
    # dtype=float32: computed in float32, as NumPy does; gradient ones
    f = lambda x: np.sum(x, dtype=np.float32)  # noqa: E731
    value, g = gk.value_and_grad(f)(X)
    assert value == f(X) and value.dtype == np.float32
    np.testing.assert_array_equal(g, np.ones(4))
    # sqrt in complex: the square root of a negative number is i sqrt(|x|)
    h = lambda x: np.sum(np.imag(np.sqrt(x, dtype=complex)))  # noqa: E731
    assert gk.value_and_grad(h)(X)[0] == h(X)
    expected = np.where(X < 0, -0.5 / np.sqrt(np.abs(X)), 0.0)
    np.testing.assert_allclose(gk.grad(h)(X), expected, rtol=1e-14)
    np.testing.assert_allclose(gk.grad(h)(X), fd.gradient(h, (X,)), rtol=1e-8, atol=1e-12)
    rev, fwd = both_modes(h, X)
    np.testing.assert_allclose(fwd, rev, rtol=1e-14)
    # a ufunc with dtype=float32 on float64 input, differentiated in both modes
    k = lambda x: np.sum(np.exp(x, dtype=np.float32) * x)  # noqa: E731
    rev, fwd = both_modes(k, X)
    np.testing.assert_allclose(rev, np.exp(X) * (X + 1), rtol=1e-6)
    np.testing.assert_allclose(fwd, rev, rtol=1e-6)


def test_astype_float32_round_trip_keeps_the_gradient() -> None:
    f = lambda x: np.sum(x.astype(np.float32) ** 2)  # noqa: E731
    g = gk.grad(f)(X)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, 2 * X, rtol=1e-6)


def test_integer_casts_under_jit_are_recomputed() -> None:
    f = gk.jit(gk.grad(lambda x: np.sum(x.astype(int) * x)))
    for x in (X, X + 1.0, -X):
        np.testing.assert_array_equal(f(x), np.trunc(x))
    g = gk.jit(lambda x: np.sum(x, dtype=int))
    for x in (X, 2 * X):
        assert g(x) == np.sum(x, dtype=int)


def test_a_custom_primitive_with_an_integer_output_has_derivative_zero() -> None:
    @gk.primitive
    def bucket(x):
        return np.floor(x * 2).astype(int)

    # rules that would pass a gradient: an integer output is piecewise constant anyway
    gk.defvjp(bucket, lambda ans, x: lambda g: g * 2.0)
    gk.defjvp(bucket, lambda g, ans, x: g * 2.0)
    f = lambda x: np.sum(bucket(x) * x)  # noqa: E731
    x = np.array([1.3, -2.7, 0.4, 3.2])  # 2x away from integers
    rev, fwd = both_modes(f, x)
    np.testing.assert_array_equal(rev, np.floor(2 * x))
    np.testing.assert_array_equal(fwd, np.floor(2 * x))
    np.testing.assert_allclose(rev, fd.gradient(f, (x,)), rtol=1e-9, atol=1e-10)
    np.testing.assert_array_equal(gk.jacfwd(lambda x: bucket(x) * x)(x), np.diag(np.floor(2 * x)))
