"""The last gaps of issue 23: NumPy's scalar arithmetic, lists of hand-made Tensors,
a reduction's ``out=`` and ``a.flat``.

Oracles: NumPy itself (values, bit for bit), central finite differences (tests/fd.py)
and closed forms; never gradkit's own output.
"""

from __future__ import annotations

import fd
import numpy as np
import pytest

import gradkit as gk
from gradkit.autodiff.errors import InPlaceError

RNG = np.random.default_rng(23)


def _complex_scalars(n: int) -> list:
    return [np.complex128(complex(*RNG.uniform(-2, 2, 2))) for _ in range(n)]


# --- an operator between two NumPy scalars is NumPy's scalar math -------------------------
def test_products_of_complex_scalars_are_numpys_bit_for_bit() -> None:
    # NumPy's ufunc loop and its scalar math round complex products differently on many
    # machines (SIMD, fused multiply-add); code on 0-d values gets the scalar math.
    cs = _complex_scalars(200)

    def f(x, a, b):
        z = (a * x) * b  # a * x: a NumPy scalar (x is 0-d); then scalar * scalar
        return np.real(z * np.conj(z + 1j)) + abs(z)

    for a, b in zip(cs[::2], cs[1::2]):
        x = np.array(RNG.uniform(-1.5, 1.5))
        want = f(x, a, b)
        got, _ = gk.vjp(lambda x, a=a, b=b: f(x, a, b), x)
        assert got == want and type(got) is type(want)
        assert gk.jvp(lambda x, a=a, b=b: f(x, a, b), (x,), (np.array(1.0),))[0] == want
        t = gk.Tensor(x, requires_grad=True)
        assert f(t, a, b).numpy() == want


def test_jit_of_grad_equals_grad_bit_for_bit_on_scalar_programs() -> None:
    def loss(x):
        z = np.exp((0.5 + 1j) * x)
        return np.abs(z) * 1.012 + np.angle(1.5 + 1j * np.real(z)) + x**1.7

    grad = gk.grad(loss)
    jitted = gk.jit(grad)
    for seed in range(20):
        x = np.array(np.random.default_rng(seed).uniform(0.1, 1.5))
        assert jitted(x) == grad(x)
    x = np.array(0.8)
    np.testing.assert_allclose(grad(x), fd.gradient(loss, (x,)), rtol=1e-7)


def test_a_python_complex_beside_a_float64_scalar_keeps_numpys_value() -> None:
    # 1j * np.float64(v) is a Python complex (np.float64 subclasses float); the engine
    # holds it as np.complex128 of the same bits
    def f(x):
        v = np.sin(x)  # a float64 scalar (x is 0-d)
        return np.angle(1.5 + 1j * v) * np.abs(2j * v)

    x = np.array(0.7)
    value, g = gk.value_and_grad(f)(x)
    assert value == f(x)
    np.testing.assert_allclose(g, fd.gradient(f, (x,)), rtol=1e-7)
    np.testing.assert_allclose(gk.grad(gk.grad(f))(x), fd.gradient(gk.grad(f), (x,)), rtol=1e-6)


def test_operator_forms_share_their_primitives_rules(monkeypatch) -> None:
    from gradkit.autodiff.operator_forms import FORMS
    from gradkit.autodiff.rules import elementwise

    mul = elementwise.P["multiply"]
    form = FORMS[mul]
    assert form.name == "multiply" and form.vjps is mul.vjps and form.jvp is mul.jvp
    # a rule given to the primitive later is the form's too (a wrong one, on purpose)
    monkeypatch.setattr(mul, "vjps", (lambda g, ans, x, y: 2.0 * g * y, mul.vjps[1]))
    x = np.array(0.5)
    got = gk.grad(lambda x: np.sin(x) * np.sin(x))(x)  # (2 + 1) sin cos: the wrong rule used
    np.testing.assert_allclose(got, 3.0 * np.sin(0.5) * np.cos(0.5), rtol=1e-15)


# --- lists of hand-made Tensors ------------------------------------------------------------
def _tensors(*values):
    return [gk.Tensor(v, requires_grad=True) for v in values]


@pytest.mark.parametrize("shape", [(), (3,), (2, 2)])
def test_np_array_of_tensors_gathered_by_gk_tensor_backpropagates(shape) -> None:
    a, b = RNG.uniform(-1, 1, shape), RNG.uniform(-1, 1, shape)

    def f(a, b):
        if shape:  # arrays: a constant beside them would make a ragged list
            return np.array([a * 2.0, np.sin(b)])
        return np.array([a * 2.0, np.sin(b), 1.5])

    ta, tb = _tensors(a, b)
    y = f(ta, tb)
    assert isinstance(y, np.ndarray) and y.dtype == object  # NumPy's np.array: an ndarray
    t = gk.Tensor(y)  # gathered, still on the graph
    assert type(t) is gk.Tensor and t.requires_grad
    np.testing.assert_array_equal(t.numpy(), f(a, b))
    w = RNG.uniform(0.5, 1.5, t.shape)
    np.sum(t * t * w).backward()
    loss = lambda a, b: np.sum(f(a, b) ** 2 * w)  # noqa: E731
    np.testing.assert_allclose(ta.grad, fd.gradient(loss, (a, b), 0), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(tb.grad, fd.gradient(loss, (a, b), 1), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    "name, fn",
    [
        ("mean", lambda a, b: np.mean([a, b * b])),
        ("mean, axis=0", lambda a, b: np.sum(np.mean([a, b * b], axis=0) ** 2)),
        ("var", lambda a, b: np.var([a, np.sin(b), a * b])),
        ("std", lambda a, b: np.std([a, np.sin(b)])),
        ("norm", lambda a, b: np.linalg.norm([a, b])),
        ("sum of np.array", lambda a, b: np.sum(np.array([a * 2.0, np.sin(b)]))),
        ("stack", lambda a, b: np.sum(np.stack([a, b]) ** 2)),
        ("append", lambda a, b: np.sum(np.append([1.0, 2.0], a) * 3.0)),
    ],
)
@pytest.mark.parametrize("shape", [(), (2,)])
def test_reductions_of_lists_of_tensors_are_tensors_with_the_right_backward(
    name, fn, shape
) -> None:
    a, b = RNG.uniform(0.2, 1.2, shape), RNG.uniform(0.2, 1.2, shape)
    ta, tb = _tensors(a, b)
    out = fn(ta, tb)
    if isinstance(out, np.ndarray):  # np.mean(..., axis=0) of arrays: NumPy's ndarray
        out = gk.Tensor(out)
    assert type(out) is gk.Tensor and out.requires_grad, name
    want = fn(a, b)
    if name == "norm" and shape:
        # NumPy's norm of the object array [a, b] is its object dot (each product rounded,
        # added in order), of the float array BLAS's dot (fused multiply-adds here): two
        # orders of n = 4 products, each within n/2 ulps of sum(x**2), so the norm (a
        # square root halves relative errors) within n/2 ulps of NumPy's float answer
        assert abs(out.numpy() - want) <= 2 * np.spacing(want)
    else:
        assert out.numpy() == want  # NumPy's value, bit for bit (fewer than 8 entries)
    out.backward()
    for t, k in ((ta, 0), (tb, 1)):
        want = fd.gradient(fn, (a, b), k)
        got = t.grad if t.grad is not None else np.zeros(shape)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9, err_msg=name)


# --- a reduction's out= --------------------------------------------------------------------
X = np.array([[0.3, -0.7, 1.1], [0.2, 0.5, -0.4]])


@pytest.mark.parametrize(
    "name, reduce, kw",
    [
        ("sum", np.sum, {"axis": 0}),
        ("prod", np.prod, {"axis": 1}),
        ("max", np.max, {"axis": 0}),
        ("min", np.min, {"axis": 1}),
        ("mean", np.mean, {"axis": 1}),
        ("var", np.var, {"axis": 0}),
        ("std", np.std, {"axis": 0, "ddof": 1}),
        ("cumsum", np.cumsum, {"axis": 1}),
        ("sum, keepdims", np.sum, {"axis": 1, "keepdims": True}),
    ],
)
def test_a_reduction_writes_into_a_traced_out_as_numpy_does(name, reduce, kw) -> None:
    shape = reduce(X, **kw).shape

    def f(x):
        out = np.zeros_like(x).reshape(-1)[: int(np.prod(shape))].reshape(shape) * 0.0 + 1.0
        returned = reduce(np.sin(x) * x, **kw, out=out)
        return np.sum(out * returned * np.arange(1.0, out.size + 1).reshape(shape))

    value, g = gk.value_and_grad(f)(X)
    assert value == f(X), name
    np.testing.assert_allclose(g, fd.gradient(f, (X,)), rtol=1e-6, atol=1e-9, err_msg=name)
    direction = RNG.uniform(-1, 1, X.shape)
    tangent = gk.jvp(f, (X,), (direction,))[1]
    np.testing.assert_allclose(tangent, fd.directional(f, (X,), (direction,)), rtol=1e-6)
    t = gk.Tensor(X, requires_grad=True)
    f(t).backward()
    np.testing.assert_allclose(t.grad, g, rtol=1e-14)


def test_a_reduction_method_with_out_writes_through_a_view() -> None:
    def f(x):
        y = np.zeros_like(x)
        x.sum(axis=0, out=y[1])  # a view of y: y changes too
        return np.sum(y**2)

    expected = 2 * np.vstack([np.zeros(3), X.sum(axis=0)])[1] * np.ones_like(X)
    np.testing.assert_allclose(gk.grad(f)(X), expected, rtol=1e-14)


def test_a_traced_result_into_a_plain_out_is_refused() -> None:
    with pytest.raises(InPlaceError, match=r"np\.sum\(\.\.\., out=\.\.\.\).*np\.zeros_like"):
        gk.grad(lambda x: np.sum(np.sum(x, axis=0, out=np.empty(3))))(X)


def test_out_of_the_wrong_shape_is_refused_as_in_numpy() -> None:
    with pytest.raises(ValueError, match=r"np\.mean: the output array out= has shape \(2,\)"):
        gk.grad(lambda x: np.sum(np.mean(x, axis=0, out=np.zeros_like(x[:, 0]))))(X)
    with pytest.raises(ValueError):  # NumPy refuses it too
        np.mean(X, axis=0, out=np.zeros(2))


# --- a.flat ----------------------------------------------------------------------------------
def _flat_program(x):
    y = x.T * 1.0  # not C-contiguous: flat is C order of the transposed layout
    y.flat[1] = 3.0 * y.flat[0] + y.flat[-1]
    y.flat[[2, 4]] = np.cos(x[0, :2])
    y.flat[3:5] *= 2.0
    return np.sum(y * y * np.arange(1.0, 7.0).reshape(3, 2)) + sum(v * v for v in x.flat)


def test_flat_reads_and_writes_as_numpy() -> None:
    value, g = gk.value_and_grad(_flat_program)(X)
    assert value == _flat_program(X.copy())
    np.testing.assert_allclose(g, fd.gradient(_flat_program, (X,)), rtol=1e-6, atol=1e-9)
    h = gk.hessian(_flat_program)(X)
    np.testing.assert_allclose(h, fd.hessian(_flat_program, X), rtol=1e-5, atol=1e-6)
    t = gk.Tensor(X, requires_grad=True)
    _flat_program(t).backward()
    np.testing.assert_allclose(t.grad, g, rtol=1e-14)


def test_flat_assignment_sets_every_entry_and_reads_are_copies() -> None:
    def f(x):
        y = x * 1.0
        y.flat = np.sin(x[0, 0])  # every entry
        piece = y.flat[1:3]
        piece[0] = 100.0  # a copy, as NumPy's: y is unchanged
        return np.sum(y)

    assert gk.vjp(f, X)[0] == f(X.copy())
    np.testing.assert_allclose(f(X.copy()), 6 * np.sin(X[0, 0]), rtol=1e-15)
    expected = np.zeros_like(X)
    expected[0, 0] = 6 * np.cos(X[0, 0])
    np.testing.assert_allclose(gk.grad(f)(X), expected, rtol=1e-15)


def test_flat_repetition_of_a_short_value_is_refused_by_name() -> None:
    def f(x):
        y = x * 1.0
        y.flat[:4] = x[0, :2]  # NumPy repeats the two values over four entries
        return np.sum(y)

    with pytest.raises(ValueError, match="NumPy repeats a shorter v"):
        gk.grad(f)(X)
