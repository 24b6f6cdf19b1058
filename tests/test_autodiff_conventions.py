"""What the engine returns at points where the derivative does not exist.

The conventions (documented in the engine guide, docs/guide/autodiff.md):

- ``relu(x) = np.where(x > 0, x, 0)`` has ``relu'(0) = 0`` (the tutorial's convention);
  ``np.maximum(x, 0)`` instead splits the tie: derivative 1/2 at 0.
- ``abs'(0) = 0`` (the sign function, which is 0 at 0).
- Ties in ``np.max``/``np.min`` (reductions) and ``np.maximum``/``np.minimum`` (elementwise)
  split the gradient evenly among the tied entries, so the total is still the derivative
  along the all-ones direction, and forward and reverse mode agree.
- ``np.clip`` passes the gradient through on the closed interval ``[lo, hi]``.
- Integer-valued operations (``floor``, ``ceil``, ``round``, ``sign``, ``argmax``,
  comparisons) have zero derivative wherever they are differentiable, and the engine
  returns zero everywhere.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradkit as gk


def relu(x):
    return np.where(x > 0, x, 0.0)


def both_modes(f, x):
    """The derivative of an elementwise f at every entry, by reverse and by forward mode."""
    x = np.asarray(x, dtype=float)
    rev = gk.elementwise_grad(f)(x)
    fwd = gk.jvp(f, (x,), (np.ones_like(x),))[1]
    return rev, fwd


def test_relu_derivative_at_zero_is_zero() -> None:
    x = np.array([-1.0, 0.0, 1e-300, 2.0])
    for d in both_modes(relu, x):
        np.testing.assert_array_equal(d, [0.0, 0.0, 1.0, 1.0])
    assert gk.grad(relu)(0.0) == 0.0
    assert gk.grad(gk.grad(relu))(0.0) == 0.0


def test_maximum_with_zero_splits_the_tie() -> None:
    for d in both_modes(lambda x: np.maximum(x, 0.0), [-1.0, 0.0, 2.0]):
        np.testing.assert_array_equal(d, [0.0, 0.5, 1.0])
    for d in both_modes(lambda x: np.minimum(x, 0.0), [-1.0, 0.0, 2.0]):
        np.testing.assert_array_equal(d, [1.0, 0.5, 0.0])


def test_abs_derivative_at_zero_is_zero() -> None:
    for f in (np.abs, np.absolute, np.fabs, abs):
        for d in both_modes(f, [-2.0, 0.0, 3.0]):
            np.testing.assert_array_equal(d, [-1.0, 0.0, 1.0])


def test_maximum_of_two_traced_values_splits_ties_evenly() -> None:
    x = np.array([1.0, 2.0, 3.0])
    y = np.array([1.0, 5.0, 0.0])
    gx, gy = gk.grad(lambda a, b: np.sum(np.maximum(a, b)), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(gy, [0.5, 1.0, 0.0])
    # along the diagonal direction the split halves add up to the true derivative, 1
    assert gk.jvp(lambda t: np.maximum(t, t), (2.0,), (1.0,))[1] == pytest.approx(1.0)


def test_max_reduction_ties_share_the_gradient() -> None:
    x = np.array([3.0, 1.0, 3.0, 3.0])
    np.testing.assert_allclose(gk.grad(np.max)(x), [1 / 3, 0.0, 1 / 3, 1 / 3])
    np.testing.assert_allclose(gk.grad(np.min)(x), [0.0, 1.0, 0.0, 0.0])
    assert gk.jvp(np.max, (x,), (np.ones(4),))[1] == pytest.approx(1.0)
    m = np.array([[1.0, 1.0], [0.0, 2.0]])
    np.testing.assert_allclose(
        gk.grad(lambda a: np.sum(np.max(a, axis=1)))(m), [[0.5, 0.5], [0, 1]]
    )
    np.testing.assert_allclose(gk.jacfwd(lambda a: np.max(a, axis=0))(m)[0], [[1, 0], [0, 0]])
    np.testing.assert_allclose(gk.grad(lambda a: a.max())(m), [[0, 0], [0, 1]])


@settings(max_examples=20, deadline=None)
@given(k=st.integers(1, 5), n=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_max_tie_split_sums_to_one(k: int, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = np.concatenate([np.full(k, 2.0), rng.uniform(-1, 1.9, size=n)])
    rng.shuffle(x)
    g = gk.grad(np.max)(x)
    np.testing.assert_allclose(g, np.where(x == 2.0, 1.0 / k, 0.0))
    assert np.sum(g) == pytest.approx(1.0)


def test_clip_passes_the_gradient_on_the_closed_interval() -> None:
    for d in both_modes(lambda x: np.clip(x, -1.0, 1.0), [-2.0, -1.0, 0.0, 1.0, 2.0]):
        np.testing.assert_array_equal(d, [0.0, 1.0, 1.0, 1.0, 0.0])


@pytest.mark.parametrize(
    "op",
    [
        np.floor,
        np.ceil,
        np.round,
        np.rint,
        np.trunc,
        np.sign,
        lambda x: np.floor_divide(x, 1.0),
        lambda x: (x > 0.5) * 1.0,
        lambda x: np.greater_equal(x, 0.0) * 1.0,
        lambda x: np.argmax(x) * 1.0 + 0 * x,
        lambda x: np.argsort(x) * 1.0,
        lambda x: np.isfinite(x) * 1.0,
    ],
)
def test_integer_valued_operations_have_zero_gradient(op) -> None:
    x = np.array([0.3, 1.7, -2.5, 0.0])
    np.testing.assert_array_equal(gk.grad(lambda t: np.sum(op(t) * t**2))(x), 2 * op(x) * x)
    assert np.all(gk.jvp(lambda t: op(t), (x,), (np.ones(4),))[1] == 0.0)


@pytest.mark.parametrize(
    ("op", "slope"),
    [(lambda x: x // 1.0, 0.0), (lambda x: 7.0 // x, 0.0), (lambda x: x % 1.0, 1.0)],
)
def test_floor_division_and_modulo_operators(op, slope) -> None:
    """x // 1 and 7 // x are piecewise constant; x % 1 has slope 1 between its jumps."""
    x = np.array([0.3, 1.7, 2.5])
    np.testing.assert_allclose(gk.grad(lambda t: np.sum(op(t)))(x), slope)


def test_argmax_indexing_routes_the_gradient_to_the_winner() -> None:
    x = np.array([0.5, 4.0, 2.0])
    np.testing.assert_array_equal(gk.grad(lambda t: t[np.argmax(t)])(x), [0.0, 1.0, 0.0])


def test_where_does_not_leak_the_unselected_branch() -> None:
    """The gradient of the branch not taken is exactly zero, even where it is large."""
    x = np.array([-1.0, 4.0])
    g = gk.grad(lambda t: np.sum(np.where(t > 0, np.sqrt(np.abs(t)), 0.0)))(x)
    np.testing.assert_allclose(g, [0.0, 0.25])


def test_power_at_zero() -> None:
    """d/dx x**2 at 0 is 0; d/dy 0**y is taken as 0 (the limit from y > 0), not nan."""
    assert gk.grad(lambda x: x**2)(0.0) == 0.0
    assert gk.grad(lambda y: 0.0**y)(2.0) == 0.0
    assert gk.grad(lambda x: x**0)(0.0) == 0.0


def test_sqrt_at_zero_is_infinite_not_silent() -> None:
    """sqrt'(0) is a true infinity: the engine reports inf rather than inventing a value."""
    with np.errstate(divide="ignore"):
        assert gk.grad(np.sqrt)(0.0) == np.inf


def test_norm_of_the_zero_vector_has_zero_gradient() -> None:
    """|x| is not differentiable at 0; the engine returns 0 (no nan, no warning)."""
    zero = np.zeros(3)
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(gk.grad(np.linalg.norm)(zero), 0.0)
        np.testing.assert_array_equal(gk.jacfwd(np.linalg.norm)(zero), 0.0)
        np.testing.assert_array_equal(gk.grad(lambda x: np.linalg.norm(x, ord=3))(zero), 0.0)
        rows = gk.grad(lambda a: np.sum(np.linalg.norm(a, axis=1)))(np.array([[0.0, 0], [3, 4]]))
    np.testing.assert_allclose(rows, [[0.0, 0.0], [0.6, 0.8]])
    r = 5.0
    u = np.array([3.0, 4.0]) / r
    np.testing.assert_allclose(
        gk.hessian(np.linalg.norm)(np.array([3.0, 4.0])), (np.eye(2) - np.outer(u, u)) / r
    )


def test_nan_entries_get_zero_gradient_in_nansum_and_nanmean() -> None:
    x = np.array([1.0, np.nan, 3.0])
    np.testing.assert_array_equal(gk.grad(np.nansum)(x), [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(gk.grad(np.nanmean)(x), [0.5, 0.0, 0.5])
    np.testing.assert_array_equal(gk.jvp(np.nansum, (x,), (np.ones(3),))[1], 2.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_where_with_a_zero_branch_is_bit_for_bit_numpys(dtype) -> None:
    """Selecting against 0.0 (ReLU, masks) takes a branch-free path inside the engine; its
    values and cotangents must equal np.where's exactly: NaN, infinities, -0.0 and
    non-contiguous inputs included."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((6, 8)).astype(dtype)
    x[0, :5] = [np.nan, np.inf, -np.inf, -0.0, 0.0]
    c = rng.random((6, 8)) > 0.5
    c[0, :5] = [True, True, False, True, False]

    def bits(a):
        return np.ascontiguousarray(a).view(np.uint8)

    for cc, xx in ((c, x), (c.T, x.T), (c[:, ::3], x[:, ::3])):
        for keep in (True, False):
            if keep:
                f = lambda t, cc=cc: np.where(cc, t, 0.0)
            else:
                f = lambda t, cc=cc: np.where(cc, 0.0, t)
            out, vjp_fn = gk.vjp(f, xx)
            expected = np.where(cc, xx, 0.0) if keep else np.where(cc, 0.0, xx)
            assert out.dtype == expected.dtype
            np.testing.assert_array_equal(bits(out), bits(expected))
            g = rng.standard_normal(xx.shape).astype(dtype)
            (ct,) = vjp_fn(g)
            want = np.where(cc, g, 0.0) if keep else np.where(cc, 0.0, g)
            np.testing.assert_array_equal(bits(ct), bits(want.astype(dtype)))


def test_logaddexp_gradient_is_the_sigmoid_and_nan_only_at_an_infinite_value():
    """The engine guide's convention: d/dx logaddexp(0, x) = sigmoid(x) wherever the value is
    finite, including far in the tails; NaN (not a wrong number) where it is infinite."""
    x = np.array([-800.0, -30.0, -1.0, 0.0, 2.0, 30.0, 800.0])
    expected = np.exp(-np.logaddexp(0.0, -x))  # sigmoid(x), stable in both tails
    got = gk.elementwise_grad(lambda t: np.logaddexp(0.0, t))(x)
    np.testing.assert_allclose(got, expected, rtol=4e-15, atol=0)
    with np.errstate(invalid="ignore"):
        assert np.isnan(gk.grad(lambda t: np.logaddexp(0.0, t))(np.inf))


@pytest.mark.parametrize("mode", ["reflect", "symmetric"])
@pytest.mark.parametrize("widths", [(2, 0), (0, 2), (2, 2), (7, 9)])
def test_pad_with_odd_reflection_matches_numpy_and_its_gradient_the_linear_map(mode, widths):
    """reflect_type='odd' (2 * edge - mirror) was padded as a copy of entries: wrong
    values ([1, 5, 3, ...] for NumPy's [4, 5, 3, ...]) and wrong gradients, or an
    IndexError on the right side. The padding is linear, P x with P = pad(eye): its
    gradient is P^T w."""
    x = np.array([3.0, 1.0, 2.0, 1.0, 5.0])
    n = x.size + sum(widths)
    w = np.arange(1.0, n + 1)
    pad = lambda a: np.pad(a, widths, mode=mode, reflect_type="odd")  # noqa: E731
    value, back = gk.vjp(pad, x)
    np.testing.assert_array_equal(value, np.pad(x, widths, mode=mode, reflect_type="odd"))
    P = np.pad(np.eye(x.size), (widths, (0, 0)), mode=mode, reflect_type="odd")
    np.testing.assert_allclose(back(w)[0], P.T @ w, rtol=1e-14)


@pytest.mark.parametrize(
    "f",
    [
        lambda t: np.transpose(t, (0, 3)),
        lambda t: np.moveaxis(t, 5, 0),
        lambda t: np.concatenate([t, t], axis=2),
        lambda t: np.stack([t, t], axis=-4),
        lambda t: np.expand_dims(t, 3),
        lambda t: np.tensordot(t, t, axes=([2], [0])),
        lambda t: np.swapaxes(t, -3, 0),
        lambda t: np.diagonal(t, 0, 0, 2),
        lambda t: np.cross(t, t, axis=5),
    ],
)
def test_an_axis_out_of_range_is_an_axis_error_as_in_numpy(f):
    """These took the axis modulo ndim and silently used another one (transpose (0, 3)
    of a (2, 3) array gave shape (2, 3)), or raised a bare IndexError."""
    with pytest.raises(IndexError):  # NumPy's own behaviour (AxisError is an IndexError)
        f(np.ones((2, 3)))
    with pytest.raises(np.exceptions.AxisError):
        gk.vjp(f, np.ones((2, 3)))


@pytest.mark.parametrize("spec, shapes", [("ii", [(2, 3)]), ("ij,jj->i", [(2, 3), (3, 4)])])
def test_einsum_refuses_an_index_of_two_lengths(spec, shapes):
    """The diagonal of a repeated index was quietly truncated: einsum('ii') of a (2, 3)
    array returned 4.0 where NumPy raises."""
    ops = [np.ones(s) for s in shapes]
    with pytest.raises(ValueError):
        np.einsum(spec, *ops)
    with pytest.raises(ValueError, match="einsum"):
        gk.grad(lambda a: np.sum(np.einsum(spec, a, *ops[1:])))(ops[0])


@pytest.mark.parametrize(
    "f, x, error",
    [
        (lambda t: np.linalg.norm(t, "fro"), np.ones(3), ValueError),
        (lambda t: np.linalg.norm(t, axis=(0, 1, 2)), np.ones((2, 2, 2)), ValueError),
        (lambda t: np.diff(t, n=-1), np.ones(3), ValueError),
        (lambda t: np.average(t, weights=np.array([1.0, -1.0])), np.ones(2), ZeroDivisionError),
    ],
)
def test_input_numpy_refuses_is_refused_under_a_transform_too(f, x, error):
    """These returned a value (x itself for diff n=-1, NaN for weights summing to 0)."""
    with pytest.raises(error):
        f(x)  # NumPy's own behaviour
    with pytest.raises(error):
        gk.vjp(f, x)


def test_roll_by_several_shifts_of_the_flat_array_and_det_at_a_singular_matrix():
    """np.roll(t, (1, 2)) with axis=None raised a broadcasting error (NumPy rolls the flat
    array by 3); det's gradient at a singular matrix raised a bare 'Singular matrix'."""
    x = np.arange(6.0).reshape(2, 3)
    value, back = gk.vjp(lambda t: np.roll(t, (1, 2)), x)
    np.testing.assert_array_equal(value, np.roll(x, (1, 2)))
    w = np.arange(1.0, 7.0).reshape(2, 3)
    np.testing.assert_array_equal(back(w)[0], np.roll(w, -3))  # the adjoint rolls back
    # At a singular matrix the derivative is the cofactor matrix (JAX gives it too):
    # [[a, b], [c, d]] -> [[d, -c], [-b, a]].
    np.testing.assert_allclose(
        gk.grad(np.linalg.det)(np.array([[1.0, 2.0], [2.0, 4.0]])), [[4.0, -2.0], [-2.0, 1.0]]
    )


def _minor_cofactors(a):
    """Cofactors from their definition: signed determinants of the 2x2 minors (3x3 a)."""
    out = np.empty((3, 3))
    for i in range(3):
        for j in range(3):
            m = np.delete(np.delete(a, i, axis=0), j, axis=1)
            out[i, j] = (-1) ** (i + j) * (m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0])
    return out


@pytest.mark.parametrize(
    "a",
    [
        np.array([[2.0, 1.0, 0.0], [4.0, 2.0, 0.0], [1.0, 3.0, 5.0]]),  # rank 2, exactly
        np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [-1.0, -2.0, -3.0]]),  # rank 1
        np.zeros((3, 3)),
        np.array([[3.0, 1.0, 2.0], [0.0, 4.0, 1.0], [2.0, 2.0, 5.0]]),  # invertible
    ],
)
def test_the_derivative_of_det_is_the_cofactor_matrix_singular_or_not(a):
    """det is linear in each entry, so a central difference of any width is its exact
    partial derivative: an independent check of the cofactors besides their definition."""
    want = _minor_cofactors(a)
    got = gk.grad(np.linalg.det)(a)
    np.testing.assert_allclose(got, want, atol=1e-12)
    for i, j in [(0, 0), (1, 2), (2, 1)]:
        e = np.zeros((3, 3))
        e[i, j] = 0.5
        diff = (np.linalg.det(a + e) - np.linalg.det(a - e)) / 1.0
        assert got[i, j] == pytest.approx(diff, abs=1e-12)
    t = np.arange(9.0).reshape(3, 3)
    _, tangent = gk.jvp(np.linalg.det, (a,), (t,))
    assert tangent == pytest.approx(np.sum(want * t), abs=1e-11)


def test_det_of_a_stack_with_one_singular_matrix_and_its_second_derivative_there():
    stack = np.array([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 1.0], [1.0, 3.0]]])
    g = gk.grad(lambda s: np.sum(np.linalg.det(s)))(stack)
    np.testing.assert_allclose(g, [[[4.0, -2.0], [-2.0, 1.0]], [[3.0, -1.0], [-1.0, 2.0]]])
    # The second derivative at a singular matrix is not available: said, not guessed.
    with pytest.raises(np.linalg.LinAlgError, match="beyond the first need an invertible"):
        gk.hessian(np.linalg.det)(np.array([[1.0, 2.0], [2.0, 4.0]]))
    # Where it is invertible, the Hessian of det on 2x2 matrices is constant:
    # det = a d - b c, so d2/(da dd) = 1 and d2/(db dc) = -1.
    h = gk.hessian(np.linalg.det)(np.array([[2.0, 1.0], [1.0, 3.0]])).reshape(4, 4)
    np.testing.assert_allclose(
        h, [[0, 0, 0, 1], [0, 0, -1, 0], [0, -1, 0, 0], [1, 0, 0, 0]], atol=1e-12
    )


@pytest.mark.parametrize(
    "f",
    [
        lambda x: np.take(x, [0], axis=(1, 0)),
        lambda x: np.take_along_axis(x, np.zeros((3, 1), int), axis=(1, 0)),
        lambda x: np.repeat(x, 2, axis=(1, 0)),
        lambda x: np.array_split(x, 2, axis=(1, 0))[0],
        lambda x: np.diff(x, axis=(1, 0)),
        lambda x: np.cumprod(x, axis=(1, 0)),
        lambda x: np.roll(x, 1, axis=1.0),
        lambda x: np.take(x, [0], axis=1.0),
    ],
    ids=["take", "take_along_axis", "repeat", "array_split", "diff", "cumprod", "roll", "take-f"],
)
def test_an_axis_that_is_not_one_integer_is_refused_as_numpy_refuses_it(f):
    """These took the first axis of a tuple (or int() of a float) and returned values
    along it, silently; NumPy raises TypeError."""
    x = np.arange(12.0).reshape(3, 4)
    with pytest.raises(TypeError):
        f(x)
    with pytest.raises(TypeError, match="axis must be one integer"):
        gk.vjp(f, x)


def test_one_integer_axis_of_any_integer_type_still_works():
    x = np.arange(12.0).reshape(3, 4)
    f = lambda t: np.take(t, [0, 2], axis=np.int64(-1))  # noqa: E731
    value, back = gk.vjp(f, x)
    np.testing.assert_array_equal(value, x[:, [0, 2]])
    np.testing.assert_array_equal(back(np.ones((3, 2)))[0], [[1, 0, 1, 0]] * 3)


@pytest.mark.parametrize("ufunc", [np.add, np.multiply, np.maximum, np.minimum])
def test_ufunc_reduce_reduces_axis_0_by_default_as_numpy_does(ufunc):
    """np.add.reduce(t) and co. went to np.sum's default (axis=None): a scalar, wrong
    values and gradients for any 2-d input, silently."""
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    value, back = gk.vjp(lambda v: ufunc.reduce(v), x)
    np.testing.assert_allclose(value, ufunc.reduce(x))
    w = np.array([1.0, 2.0, 3.0])
    # Each output column j depends on x[:, j] only; its partial derivatives by hand:
    a, b = x
    if ufunc is np.add:
        want = np.stack([w, w])
    elif ufunc is np.multiply:
        want = np.stack([w * b, w * a])
    else:
        pick_a = (a > b) if ufunc is np.maximum else (a < b)
        want = np.stack([w * pick_a, w * ~pick_a])
    np.testing.assert_allclose(back(w)[0], want)
    _, tangent = gk.jvp(lambda v: ufunc.reduce(v), (x,), (np.ones_like(x),))
    np.testing.assert_allclose(tangent, back(np.ones(3))[0].sum(axis=0))
    np.testing.assert_allclose(gk.vjp(lambda v: ufunc.reduce(v, None), x)[0], ufunc.reduce(x, None))


def test_max_and_min_read_positional_arguments_in_numpys_order():
    """np.max(a, axis, out, keepdims): gradkit read them as np.sum's (a, axis, dtype, out,
    keepdims) and refused keepdims=True as an out= array."""
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    for f in (np.max, np.min, np.amax, np.amin):
        value, back = gk.vjp(lambda v, f=f: f(v, 1, None, True), x)
        np.testing.assert_array_equal(value, f(x, 1, None, True))
        hit = (x == f(x, 1, None, True)).astype(float)
        np.testing.assert_array_equal(back(np.ones((2, 1)))[0], hit)
