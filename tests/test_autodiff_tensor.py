"""gk.Tensor: NumPy-like behaviour, PyTorch-style backward(), in-place writes, deep graphs,
and user-defined primitives.
"""

from __future__ import annotations

import math

import fd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradkit as gk
from gradkit.autodiff import InPlaceError, NoRuleError

SEEDS = st.integers(0, 2**32 - 1)


def leaf(data, dtype=float) -> gk.Tensor:
    return gk.Tensor(np.asarray(data, dtype=dtype), requires_grad=True)


# --- construction and plain properties ---------------------------------------------------
def test_construction_dtypes() -> None:
    assert gk.Tensor([1, 2]).dtype == np.float64  # integers become float64
    assert gk.Tensor(np.ones(2, np.float32)).dtype == np.float32  # float32 is kept
    assert gk.Tensor(3.0).shape == () and gk.Tensor(3.0).ndim == 0
    assert not gk.Tensor(1.0).requires_grad and leaf(1.0).requires_grad


def test_shape_ndim_dtype_size_len_T() -> None:
    t = gk.Tensor(np.arange(6.0).reshape(2, 3))
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and len(t) == 2
    assert t.dtype == np.float64
    assert t.T.shape == (3, 2)
    np.testing.assert_array_equal(t.T.numpy(), np.arange(6.0).reshape(2, 3).T)
    with pytest.raises(TypeError, match="0-d"):
        len(gk.Tensor(1.0))


def test_methods_match_numpy() -> None:
    a = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]])
    t = gk.Tensor(a)
    np.testing.assert_allclose(t.sum().numpy(), a.sum())
    np.testing.assert_allclose(t.sum(axis=0).numpy(), a.sum(axis=0))
    np.testing.assert_allclose(t.mean(axis=1, keepdims=True).numpy(), a.mean(axis=1, keepdims=True))
    np.testing.assert_allclose(t.max().numpy(), 5.0)
    np.testing.assert_allclose(t.max(axis=1).numpy(), [3.0, 5.0])
    np.testing.assert_allclose(t.min(axis=0).numpy(), [1.0, -2.0, -6.0])
    np.testing.assert_allclose(t.prod(axis=0).numpy(), a.prod(axis=0))
    np.testing.assert_allclose(t.var().numpy(), a.var())
    np.testing.assert_allclose(t.std(ddof=1).numpy(), a.std(ddof=1))
    np.testing.assert_allclose(t.cumsum().numpy(), a.cumsum())
    assert t.reshape(3, 2).shape == (3, 2) and t.reshape((6,)).shape == (6,)
    assert t.reshape(-1, 1).shape == (6, 1)
    assert t.transpose().shape == (3, 2) and t.swapaxes(0, 1).shape == (3, 2)
    assert t.ravel().shape == (6,) and t.flatten().shape == (6,)
    np.testing.assert_allclose(t.clip(0, 4).numpy(), np.clip(a, 0, 4))
    assert t.astype(np.float32).dtype == np.float32
    np.testing.assert_array_equal(t.argmax(axis=1), [2, 1])
    np.testing.assert_array_equal(t.argmin(), np.argmin(a))
    assert t.copy().shape == (2, 3)
    assert t[0].dot(t[1]).numpy() == pytest.approx(a[0] @ a[1])


@pytest.mark.parametrize(
    "method, args",
    [
        ("sum", (1, float)),  # the second positional argument is dtype, not keepdims
        ("sum", (0, None, None, True)),
        ("mean", (1, np.float64)),
        ("mean", (0, None, None, True)),
        ("max", (1, None, True)),  # max and min have no dtype: (axis, out, keepdims)
        ("min", (0, None, True)),
        ("prod", (1, float, None, True)),
        ("var", (0, None, None, 1)),  # ddof is the fourth
        ("std", (1, None, None, 1, True)),
        ("cumsum", (1, float)),
    ],
)
def test_methods_take_ndarray_positional_arguments(method: str, args: tuple) -> None:
    """A method called as on an ndarray, positionally, gives ndarray's value and shape
    (before, ``t.sum(1, float)`` read float as keepdims and kept the axis, silently)."""
    a = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.5]])
    want = getattr(a, method)(*args)
    got = gk.jvp(lambda x: getattr(x, method)(*args), (a,), (np.ones_like(a),))[0]
    assert np.shape(got) == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-13)


def test_a_method_with_a_dtype_differentiates_like_numpy_spelling() -> None:
    # f_i = sum_j x_ij - x_i0 = x_i1 + x_i2, so d sum(f^2) / dx = [0, 2 f_i, 2 f_i] per row.
    x = np.arange(6.0).reshape(2, 3)
    g = gk.grad(lambda x: np.sum((x.sum(1, float) - x[:, 0]) ** 2))(x)
    np.testing.assert_array_equal(g, [[0.0, 6.0, 6.0], [0.0, 18.0, 18.0]])


# --- operators --------------------------------------------------------------------------
def test_operators_values_and_gradients() -> None:
    xv, yv = np.array([0.5, 1.5, 2.0]), np.array([2.0, -1.0, 0.5])
    x, y = leaf(xv), leaf(yv)
    out = (x + y) * (x - y) / y + x**2 - (-x) ** 3 + 2.0**x + 3.0 / y - 1.0 * abs(y) + (+x)
    expected = (xv + yv) * (xv - yv) / yv + xv**2 + xv**3 + 2.0**xv + 3.0 / yv - abs(yv) + xv
    np.testing.assert_allclose(out.numpy(), expected)
    out.sum().backward()
    dx = 2 * xv / yv + 2 * xv + 3 * xv**2 + math.log(2.0) * 2.0**xv + 1.0
    dy = -(xv**2) / yv**2 - 1.0 - 3.0 / yv**2 - np.sign(yv)
    np.testing.assert_allclose(x.grad, dx, rtol=1e-13)
    np.testing.assert_allclose(y.grad, dy, rtol=1e-13)


def test_matmul_operator_both_sides() -> None:
    a = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    w = leaf([[0.5], [-1.0]])
    out = a @ w  # ndarray @ Tensor reaches __rmatmul__ / the ufunc protocol
    assert isinstance(out, gk.Tensor) and out.shape == (3, 1)
    (out.T @ out).sum().backward()
    np.testing.assert_allclose(w.grad, 2 * a.T @ (a @ w.numpy()))


def test_ndarray_on_the_left_gives_a_tensor() -> None:
    x = leaf([1.0, 2.0])
    for out in (np.ones(2) * x, np.ones(2) + x, np.ones(2) - x, np.ones(2) / x):
        assert isinstance(out, gk.Tensor) and out.requires_grad


def test_numpy_functions_on_eager_tensors() -> None:
    x = leaf([0.1, 0.2, 0.3])
    loss = np.sum(np.exp(np.sin(x)) * np.log1p(x))
    assert isinstance(loss, gk.Tensor)
    loss.backward()
    xv = x.numpy()
    expected = np.exp(np.sin(xv)) * np.cos(xv) * np.log1p(xv) + np.exp(np.sin(xv)) / (1 + xv)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-13)


def test_comparisons_give_plain_boolean_arrays() -> None:
    x = leaf([-1.0, 0.0, 2.0])
    for r in (x > 0, x >= 0, x < 0, x <= 0, x == 0, x != 0, 0 < x, x > gk.Tensor(1.0)):
        assert type(r) is np.ndarray and r.dtype == bool
    np.testing.assert_array_equal(x > 0, [False, False, True])

    def inside(x):
        mask = x > 0
        assert type(mask) is np.ndarray and mask.dtype == bool
        return np.sum(np.where(mask, x, 0.0))

    np.testing.assert_allclose(gk.grad(inside)(np.array([-1.0, 3.0])), [0.0, 1.0])


# --- indexing ---------------------------------------------------------------------------
def test_basic_indexing_and_slicing() -> None:
    x = leaf(np.arange(12.0).reshape(3, 4))
    out = x[1, 1:3].sum() + 2 * x[-1].sum() + x[:, ::2][0, 1] + x[None, 0, -1].sum()
    out.backward()
    expected = np.zeros((3, 4))
    expected[1, 1:3] += 1
    expected[-1] += 2
    expected[0, 2] += 1
    expected[0, -1] += 1
    np.testing.assert_allclose(x.grad, expected)


def test_integer_array_indexing_accumulates_repeats() -> None:
    xv = np.array([1.0, 2.0, 3.0, 4.0])
    x = leaf(xv)
    idx = np.array([0, 2, 2, 2, 3, 0])
    (x[idx] ** 2).sum().backward()
    counts = np.bincount(idx, minlength=4)
    np.testing.assert_allclose(x.grad, 2 * xv * counts)
    g = gk.grad(lambda z: np.sum(z[[1, 1]] * z[[1, 3]]))(xv)  # z1^2 + z1 z3
    np.testing.assert_allclose(g, [0.0, 2 * xv[1] + xv[3], 0.0, xv[1]])


def test_boolean_mask_indexing() -> None:
    xv = np.array([[-1.0, 2.0], [3.0, -4.0]])
    x = leaf(xv)
    mask = xv > 0
    (x[mask] ** 3).sum().backward()
    np.testing.assert_allclose(x.grad, np.where(mask, 3 * xv**2, 0.0))
    rows = gk.grad(lambda z: np.sum(z[np.array([True, False])] * 5.0))(xv)
    np.testing.assert_allclose(rows, [[5.0, 5.0], [0.0, 0.0]])


# --- backward() ---------------------------------------------------------------------------
def test_backward_accumulates_on_leaves() -> None:
    xv = np.array([1.0, 2.0])
    x = leaf(xv)
    (x**2).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * xv)
    (3 * x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * xv + 3)  # accumulated, as in PyTorch
    x.grad = None
    (x * x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 3 * xv**2)


def test_backward_only_fills_leaves_that_require_grad() -> None:
    w = leaf([1.0, 2.0])
    c = gk.Tensor([3.0, 4.0])  # a constant
    h = w * c
    (h * h).sum().backward()
    np.testing.assert_allclose(w.grad, 2 * w.numpy() * c.numpy() ** 2)
    assert c.grad is None and h.grad is None


def test_backward_with_an_explicit_gradient() -> None:
    x = leaf([1.0, 2.0, 3.0])
    y = x**2
    y.backward(np.array([1.0, 0.0, 10.0]))
    np.testing.assert_allclose(x.grad, [2.0, 0.0, 60.0])


def test_backward_keeps_float32() -> None:
    x = leaf([1.0, 2.0], dtype=np.float32)
    (np.sin(x) * 2.0).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, 2 * np.cos([1.0, 2.0]), rtol=1e-6)


def test_backward_broadcast_leaf_gets_its_own_shape() -> None:
    b = leaf([0.5])
    w = leaf(np.ones((2, 3)))
    (w * b).sum().backward()
    assert b.grad.shape == (1,) and w.grad.shape == (2, 3)
    np.testing.assert_allclose(b.grad, [6.0])
    np.testing.assert_allclose(w.grad, np.full((2, 3), 0.5))


def test_backward_inside_a_transform_is_differentiated() -> None:
    def f(x):
        w = gk.Tensor(np.array([2.0, -1.0]), requires_grad=True)
        (np.sum(np.sin(w * x))).backward()
        return np.sum(w.grad)  # sum x cos(w x)

    x = np.array([0.3, 0.8])
    w = np.array([2.0, -1.0])
    np.testing.assert_allclose(gk.grad(f)(x), np.cos(w * x) - x * w * np.sin(w * x), rtol=1e-13)


@settings(max_examples=15, deadline=None)
@given(seed=SEEDS)
def test_backward_agrees_with_finite_differences(seed: int) -> None:
    rng = np.random.default_rng(seed)
    wv, bv = rng.standard_normal((3, 2)), rng.standard_normal(2)
    xs = rng.standard_normal((4, 3))

    def loss(w, b):
        return np.mean(np.tanh(xs @ w + b) ** 2)

    w, b = leaf(wv), leaf(bv)
    loss(w, b).backward()
    np.testing.assert_allclose(w.grad, fd.gradient(loss, (wv, bv), 0), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(b.grad, fd.gradient(loss, (wv, bv), 1), rtol=1e-7, atol=1e-10)


# --- in-place writes ------------------------------------------------------------------------
def test_setitem_on_a_traced_value_is_differentiated() -> None:
    """y = 2x; y[1] = x0^2; f = sum(y^2) = 4 x0^2 + x0^4 + 4 x2^2 (x1's old value is gone)."""

    def f(x):
        y = x * 2.0
        y[1] = x[0] ** 2
        return np.sum(y * y)

    x = np.array([0.3, -1.2, 2.0])
    expected = np.array([8 * x[0] + 4 * x[0] ** 3, 0.0, 8 * x[2]])
    np.testing.assert_allclose(gk.grad(f)(x), expected, rtol=1e-14)
    np.testing.assert_allclose(gk.jacfwd(f)(x), expected, rtol=1e-14)
    hess = np.diag([8 + 12 * x[0] ** 2, 0.0, 8.0])
    np.testing.assert_allclose(gk.hessian(f)(x), hess, rtol=1e-14)


def test_setitem_slices_masks_and_augmented_assignment_on_traced_values() -> None:
    def f(x):
        y = x * 1.0
        y[:2] = x[1:3] * 3.0  # y = [3x1, 3x2, x2, x3]
        y[np.array([False, False, True, True])] *= 2.0  # y = [3x1, 3x2, 2x2, 2x3]
        y[3] += x[0]  # y3 = 2 x3 + x0
        return np.sum(y * np.array([1.0, 10.0, 100.0, 1000.0]))

    x = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(gk.grad(f)(x), [1000.0, 3.0, 30.0 + 200.0, 2000.0])
    np.testing.assert_allclose(gk.jacfwd(f)(x), [1000.0, 3.0, 230.0, 2000.0])


def test_setitem_with_repeated_indices_keeps_the_last_write() -> None:
    """y[[0, 0]] = [a, b] leaves y[0] = b, as NumPy does: a gets no gradient."""

    def f(x):
        y = x * 1.0
        y[np.array([0, 0])] = x[1:3] * np.array([1.0, 10.0])  # y = [10 x2, x1, x2]
        return np.sum(y * np.array([1.0, 2.0, 3.0]))  # 10 x2 + 2 x1 + 3 x2

    x = np.array([1.0, 2.0, 3.0])
    for g in (gk.grad(f)(x), gk.jacfwd(f)(x), gk.jacrev(f)(x)):
        np.testing.assert_allclose(g, [0.0, 2.0, 13.0])


def test_setitem_on_an_eager_non_leaf() -> None:
    x = leaf([1.0, 2.0, 3.0])
    y = x * x
    y[0] = 10.0 * x[2]
    y.sum().backward()  # 30 x2... y = [10 x2, x1^2, x2^2]
    np.testing.assert_allclose(x.grad, [0.0, 4.0, 10.0 + 6.0])


def test_setitem_on_a_leaf_that_requires_grad_is_refused() -> None:
    x = leaf([1.0, 2.0])
    with pytest.raises(InPlaceError, match=r"leaf Tensor of shape \(2,\).*in place"):
        x[0] = 5.0
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])  # unchanged
    d = x.detach()
    d[0] = 5.0  # the suggested way out works
    np.testing.assert_array_equal(d.numpy(), [5.0, 2.0])


# --- deep graphs ----------------------------------------------------------------------------
N_DEEP = 100_000


def test_chain_of_100000_multiplications() -> None:
    def f(x):
        for _ in range(N_DEEP):
            x = x * 1.0000001
        return x

    assert gk.grad(f)(1.0) == pytest.approx(1.0000001**N_DEEP, rel=1e-10)
    x = leaf(1.0)
    f(x).backward()
    assert float(x.grad) == pytest.approx(1.0000001**N_DEEP, rel=1e-10)


def test_chain_of_100000_sines() -> None:
    def f(x):
        for _ in range(N_DEEP):
            x = np.sin(x)
        return x

    # chain rule by hand: the product of cos over the iterates
    x0, deriv = 1.0, 1.0
    z = x0
    for _ in range(N_DEEP):
        deriv *= math.cos(z)
        z = math.sin(z)
    assert gk.grad(f)(x0) == pytest.approx(deriv, rel=1e-9)
    assert gk.jvp(f, (x0,), (1.0,))[1] == pytest.approx(deriv, rel=1e-9)


# --- custom primitives --------------------------------------------------------------------
@gk.primitive
def softplus(x):
    """log(1 + e^x) with its own derivative rules."""
    return np.logaddexp(x, 0.0)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


gk.defvjp(softplus, lambda ans, x: lambda g: g * _sigmoid(x))
gk.defjvp(softplus, lambda g, ans, x: g * _sigmoid(x))


@gk.primitive
def scaled_square(x, scale):
    return scale * x * x


gk.defvjp(scaled_square, lambda ans, x, scale: lambda g: g * 2.0 * scale * x, None)


def test_custom_primitive_first_and_second_derivatives() -> None:
    x = np.array([-2.0, 0.0, 1.5])
    s = _sigmoid(x)
    np.testing.assert_allclose(gk.grad(lambda z: np.sum(softplus(z)))(x), s, rtol=1e-14)
    np.testing.assert_allclose(gk.jvp(softplus, (x,), (np.ones(3),))[1], s, rtol=1e-14)
    np.testing.assert_allclose(gk.jacfwd(softplus)(x), np.diag(s), rtol=1e-14)  # batched
    np.testing.assert_allclose(gk.hessian(lambda z: np.sum(softplus(z)))(x), np.diag(s * (1 - s)))
    np.testing.assert_allclose(gk.elementwise_grad(gk.elementwise_grad(softplus))(x), s * (1 - s))
    gk.check_grads(softplus, modes=("fwd", "rev"), order=2)(x)


def test_custom_primitive_on_eager_tensors_and_constants() -> None:
    t = leaf([0.0, 1.0])
    softplus(t).sum().backward()
    np.testing.assert_allclose(t.grad, _sigmoid(np.array([0.0, 1.0])))
    np.testing.assert_allclose(softplus(np.array([0.0])), [math.log(2.0)])  # plain in, plain out


def test_custom_primitive_with_a_non_differentiable_argument() -> None:
    assert gk.grad(scaled_square)(3.0, 2.0) == pytest.approx(12.0)
    with pytest.raises(NoRuleError, match="argument 1"):
        gk.grad(scaled_square, argnums=1)(3.0, 2.0)


@pytest.mark.parametrize("requires_grad", [True, False])
def test_a_tensor_copies_the_array_it_is_made_from(requires_grad) -> None:
    # Writing into the caller's array afterwards changes neither the Tensor nor the
    # gradient (d/dx sum(x^3) = 3 x^2 at the values the Tensor was made with).
    a = np.array([1.0, 2.0])
    x = gk.Tensor(a, requires_grad=True)
    c = gk.Tensor(a, requires_grad=requires_grad)
    loss = np.sum(x**3 * c)
    a[:] = 10.0
    loss.backward()
    np.testing.assert_array_equal(x.grad, [3.0, 24.0])  # 3 x^2 c
    np.testing.assert_array_equal(np.asarray(x.detach()), [1.0, 2.0])


def test_in_place_arithmetic_is_seen_through_every_name_as_in_numpy() -> None:
    # y = 2x; z = y; y += x leaves z = 3x in NumPy; d/dx sum(z^2) = 18 x.
    x = gk.Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    z = y
    y += x
    np.sum(z * z).backward()
    np.testing.assert_allclose(np.asarray(z.detach()), [3.0, 6.0])
    np.testing.assert_allclose(x.grad, [18.0, 36.0])

    def f(v):  # the same in plain NumPy code under grad, with every operator
        y = v * 2.0
        z = y
        y += v
        y *= v
        y -= 1.0
        y /= 2.0
        y **= 2
        return np.sum(z)

    xs = np.array([1.0, 2.0])
    assert f(xs.copy()) == np.sum(((3 * xs * xs - 1) / 2) ** 2)  # NumPy's own aliasing
    # d/dv ((3 v^2 - 1) / 2)^2 = 2 (3 v^2 - 1) / 2 * 3 v
    np.testing.assert_allclose(gk.grad(f)(xs), (3 * xs**2 - 1) * 3 * xs)


def test_in_place_arithmetic_keeps_shape_and_dtype_and_refuses_a_leaf() -> None:
    w = gk.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(gk.InPlaceError, match="y = x \\+ v"):
        w += 1.0

    def grows(v):
        y = v * 1.0
        y += np.ones((2, 2))
        return np.sum(y)

    with pytest.raises(ValueError, match=r"shape \(2,\) gave shape \(2, 2\)"):
        gk.grad(grows)(np.ones(2))

    def mixed(v):
        y = v * 1.0
        y += np.float64(0.5)  # float32 stays float32, as in NumPy
        assert y.dtype == np.float32
        return np.sum(y * y)

    g = gk.grad(mixed)(np.array([1.0, 2.0], np.float32))
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, [3.0, 5.0])
