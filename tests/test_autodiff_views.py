"""Views and writes of traced arrays behave as NumPy's: the value is NumPy's own, bit for
bit, and every derivative (reverse, forward, second order, under gk.jit, and of eager
Tensors) is that of the program NumPy runs, checked against central finite differences
of the same program on plain arrays (tests/fd.py).

The random programs come from tests/fidelity_programs.py; the named cases below pin down
each rule of the Conventions section of docs/guide/autodiff.md.
"""

from __future__ import annotations

import re

import fd
import numpy as np
import pytest
from fidelity_programs import inputs, programs
from hypothesis import given, settings
from hypothesis import strategies as st

import gradkit as gk
from gradkit.autodiff.errors import InPlaceError, JitError, TracerConversionError


def _same(got, want, what: str) -> None:
    """Equal to NumPy's result bit for bit: type of value, shape, dtype and bytes."""
    if isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), what
        for k, (g, w) in enumerate(zip(got, want)):
            _same(g, w, f"{what}, array s{k}")
        return
    g, w = np.asarray(got), np.asarray(want)
    assert g.shape == w.shape and g.dtype == w.dtype, f"{what}: {g.shape} {g.dtype} vs {w}"
    assert g.tobytes() == w.tobytes(), f"{what}:\n{g}\n!=\n{w}"


def _close(got, want, what: str, rtol: float = 1e-6) -> None:
    scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale, err_msg=what)


def check_program(prog, seed: int) -> None:
    """Run ``prog`` on NumPy arrays and under every transform; compare (see module doc)."""
    rng = np.random.default_rng(seed)
    f = prog.function()
    x, x2 = inputs(rng, prog.shape), inputs(rng, prog.shape)
    x_before = x.copy()
    want = f(x.copy())
    weights = [rng.uniform(-1.0, 1.0, np.shape(v)) for v in want]
    loss = prog.loss(weights)
    v = rng.uniform(-1.0, 1.0, prog.shape)

    # the values, under each transform, are NumPy's own
    value, vjp_fn = gk.vjp(f, x)
    _same(value, want, "vjp's value")
    _same(gk.jvp(f, (x,), (v,))[0], want, "jvp's value")
    jf = gk.jit(f)
    _same(jf(x), want, "gk.jit's recording")
    _same(jf(x2), f(x2.copy()), "gk.jit's replay")

    # first derivatives against finite differences of the NumPy program
    g = gk.grad(loss)(x)
    _close(g, fd.gradient(loss, (x,)), "grad vs finite differences", 1e-6)
    _close(vjp_fn(weights)[0], g, "vjp of the list output", 1e-10)
    _close(gk.jvp(loss, (x,), (v,))[1], fd.directional(loss, (x,), (v,)), "jvp vs fd", 1e-6)

    # second order: forward over reverse, reverse over reverse, against fd of the gradient
    grad_loss = gk.grad(loss)
    hv = fd.directional(grad_loss, (x,), (v,))
    _close(gk.jvp(grad_loss, (x,), (v,))[1], hv, "forward-over-reverse Hv", 1e-5)
    _close(gk.grad(lambda y: np.sum(gk.grad(loss)(y) * v))(x), hv, "reverse-over-reverse", 1e-5)

    # gk.jit of the gradient, on two inputs; an eager Tensor's backward()
    # (np.maximum's ties, which split the gradient, are recorded comparisons under jit)
    jg = gk.jit(gk.grad(loss))
    _close(jg(x), g, "jit(grad) recording", 1e-12)
    _close(jg(x2), gk.grad(loss)(x2), "jit(grad) replay", 1e-12)
    t = gk.Tensor(x, requires_grad=True)
    loss(t).backward()
    _close(t.grad, g, "eager backward()", 1e-12)
    _same(x, x_before, "the caller's array after every transform")


@settings(max_examples=60, deadline=None)
@given(prog=programs(), seed=st.integers(0, 2**32 - 1))
def test_random_programs_of_views_and_writes_match_numpy(prog, seed) -> None:
    check_program(prog, seed)


# --- named programs: each rule of the engine guide's Conventions ---------------------------
NAMED = {
    "row = y[0]; row[1] = v": ((3, 4), ["s1 = s0[0]", "s1[1] = np.sin(x[1, 2]) * 2.0"]),
    "s = y[1:]; s *= v": ((4,), ["s1 = s0[1:]", "s1 *= 3.0 * x[0]"]),
    "y.T[0, 1] = v": ((2, 3), ["s0.T[0, 1] = 0.5 * x[1, 1]"]),
    "y.reshape(-1, 1)[0, 0] = v": ((2, 3), ["s0.reshape(-1, 1)[0, 0] = 10.0 * x[0, 1] ** 2"]),
    "a chain of six views": ((2, 3, 4), [
        "s1 = s0[1:, ::-1]", "s2 = s1.T", "s3 = np.swapaxes(s2, 0, 1)", "s4 = s3[..., 0]",
        "s5 = np.expand_dims(s4, 0)", "s6 = s5.reshape(-1)", "s6[1] = np.cos(x[0, 0, 0])",
        "s6 += x[1, 1, 1]", "s2[0] *= x[0, 1, 2]", "s5[0, 1] -= s3[2, 1, 0] * x[1, 2, 3]",
    ]),
    "advanced indexing is a copy": ((4,), ["s1 = s0[[0, 2]]", "s1[0] = 100.0 * x[1]",
                                           "s2 = s0[[True, False, True, True]]", "s2 *= x[3]"]),
    "x[idx] += v keeps the last write, np.add.at adds them all": ((3,), [
        "s1 = s0.copy()", "s0[[0, 0, 1]] += x[2]", "np.add.at(s1, [0, 0, 1], x[2])",
    ]),
    "y[0, 0] is a NumPy scalar, y[0, 0, ...] a view": ((2, 2), [
        "s1 = s0[0, 0]", "s1 += x[1, 1]", "s2 = s0[0, 0, ...]", "s2 += x[1, 0]",
    ]),
    "reshape of a transpose is a copy": ((2, 3), [
        "s1 = s0.T.reshape(-1)", "s1[0] = 5.0 * x[0, 1]", "s2 = s0.reshape(-1)",
        "s2[1] = 7.0 * x[1, 0]",
    ]),
    "one write seen by every view": ((3, 3), [
        "s1 = s0[1]", "s2 = s0[:, 1]", "s3 = np.einsum('ii->i', s0)", "s3 *= x[0, 2]",
        "s1[1] = x[2, 2] ** 2", "s4 = np.diagonal(s0)",
    ]),
    "flatten is a copy, ravel a view": ((2, 2), [
        "s1 = s0.flatten()", "s2 = s0.ravel()", "s1[0] = x[1, 1]", "s2[3] = x[0, 0] * 3.0",
    ]),
    "a read-only broadcast sees writes to its base": ((3,), [
        "s1 = np.broadcast_to(s0, (2, 3))", "s0[1] = x[0] * 4.0", "s2 = s1[1]",
    ]),
    "np.zeros_like(x) is an array to fill": ((3,), [
        "s1 = np.zeros_like(x)", "s1[1:] = x[:-1] ** 2", "s1[0] += np.sum(s0)",
    ]),
    "ufunc out= and where= into a view": ((2, 3), [
        "s1 = s0[:, 1:]",
        "np.multiply(s1, x[0, 0], out=s1, where=np.array([[True, False], [False, True]]))",
    ]),
    "np.copyto into a transposed view": ((2, 3), ["np.copyto(s0.T, np.cos(s0.T) * x[0, 1])"]),
    "a 0-d view": ((3,), ["s1 = s0[1, ...]", "s1 *= x[2]", "s1[()] += x[0]"]),
    "squeeze and expand_dims": ((1, 3), [
        "s1 = np.squeeze(s0)", "s2 = np.expand_dims(s1, -1)", "s2[2, 0] = x[0, 0] * x[0, 1]",
        "s1 /= 2.0 + x[0, 2] ** 2",
    ]),
    "moveaxis, transpose with axes, and a diagonal with an offset": ((2, 3, 3), [
        "s1 = np.moveaxis(s0, 0, -1)", "s2 = np.transpose(s1, (2, 0, 1))",
        "s3 = np.einsum('...ii->...i', s2)", "s3 += np.sin(x[1, 0, 2])",
        "s4 = np.diagonal(s0, 1, 1, 2)",
    ]),
    "np.put, np.place, np.fill_diagonal, np.put_along_axis through views": ((3, 3), [
        "s1 = s0.T", "np.put(s1, [0, 4, 0], np.stack([x[0, 1], x[1, 2]]))",
        "s2 = s0[::-1]", "np.fill_diagonal(s2, x[2, 0] ** 2)",
        "np.place(s0[1], np.array([True, False, True]), np.stack([x[0, 0]]))",
        "np.put_along_axis(s1, np.array([[2], [0], [1]]), x[1, 1], 1)",
    ]),
    "iterating gives views: for row in y: row *= v": ((3, 2), [
        "for row in s0: row *= np.cos(x[0, 1])", "s1, s2, s3 = s0", "s2 += x[2, 0]",
    ]),
    "overlapping writes read the old values, as NumPy's": ((3, 3), [
        "s0[...] = s0.T * x[0, 1]", "s0[1:] += s0[:-1]", "s1 = s0[::-1]", "s1[:2] = s0[1:]",
    ]),
    "np.multiply.at and np.maximum.at through a view": ((4,), [
        "s1 = s0[::-1]", "np.multiply.at(s1, [0, 0, 2], 1.5 + np.tanh(x[1]))",
        "np.maximum.at(s1, [1, 1], np.stack([x[0] + 5.0, x[2] + 9.0]))",
    ]),
}  # fmt: skip


@pytest.mark.parametrize("name", list(NAMED))
def test_named_programs_match_numpy(name) -> None:
    from fidelity_programs import Program

    shape, lines = NAMED[name]
    slots = 1 + max(int(k) for line in lines for k in re.findall(r"\bs(\d+)\b", line))
    prog = Program(shape, lines, slots)
    for seed in (0, 1):
        check_program(prog, seed)


# --- what NumPy refuses, and what cannot be honoured ------------------------------------------
X = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


def _numpy_error(f) -> type:
    with pytest.raises(Exception) as info:
        f(X.copy())
    return type(info.value)


@pytest.mark.parametrize(
    "write",
    [
        lambda y: np.broadcast_to(y, (2, 2, 3)).__setitem__((0, 0, 0), 1.0),
        lambda y: np.broadcast_to(y[0], (2, 3))[1].__setitem__(0, 1.0),  # a view of one
        lambda y: np.diagonal(y).__setitem__(0, 1.0),
        lambda y: y.diagonal().__iadd__(1.0),
        lambda y: np.add(y[0], 1.0, out=np.broadcast_to(y[0], (3,))),
        lambda y: np.copyto(np.broadcast_to(y, (2, 3)), 0.0),
    ],
)
def test_writes_into_read_only_views_are_refused_as_in_numpy(write) -> None:
    def f(x):
        y = x * 1.0
        write(y)
        return np.sum(y)

    assert _numpy_error(f) is ValueError
    for transform in (gk.grad(f), lambda x: gk.jvp(f, (x,), (x,)), gk.jit(f)):
        with pytest.raises(ValueError, match="read-only"):
            transform(X)


def test_writing_a_traced_value_into_a_numpy_array_says_to_use_a_traced_array() -> None:
    def item(x):
        a = np.zeros(3)
        a[0] = x[0, 0]
        return np.sum(a)

    def piece(x):
        a = np.zeros(3)
        a[:] = x[0]
        return np.sum(a)

    with pytest.raises(ValueError) as info:  # NumPy wraps it: the engine's error is the cause
        gk.grad(item)(X)
    assert isinstance(info.value.__cause__, TracerConversionError)
    assert "np.zeros_like(x)" in str(info.value.__cause__)
    with pytest.raises(TracerConversionError, match=r"NumPy array.*zeros_like"):
        gk.grad(piece)(X)
    for write in (
        lambda x: np.copyto(np.zeros(3), x[0]),
        lambda x: np.add.at(np.zeros(3), [0, 0], x[0, 0]),
        lambda x: np.put(np.zeros(3), [0], x[0, 0]),
    ):
        with pytest.raises(TracerConversionError, match="zeros_like"):
            gk.grad(lambda x, write=write: (write(x), np.sum(x))[1])(X)
    with pytest.raises(InPlaceError, match=r"np\.add with out=.*zeros_like"):
        gk.grad(lambda x: np.sum(np.add(x, 1.0, out=np.zeros((2, 3)))))(X)

    # the way out the message names works, and matches NumPy
    def filled(x):
        a = np.zeros_like(x)
        a[0] = x[1] ** 2
        return np.sum(a * x)

    np.testing.assert_allclose(gk.grad(filled)(X), fd.gradient(filled, (X,)), rtol=1e-7)


def test_where_without_out_is_refused_with_the_fix() -> None:
    with pytest.raises(TypeError, match=r"where=mask\) without out=.*out=y"):
        gk.grad(lambda x: np.sum(np.sin(x, where=x > 2.0)))(X)


def test_a_view_of_a_leaf_that_requires_grad_is_not_written() -> None:
    x = gk.Tensor(X, requires_grad=True)
    with pytest.raises(InPlaceError, match=r"view of a leaf Tensor of shape \(2, 3\)"):
        x[0][1] = 5.0
    with pytest.raises(InPlaceError, match="view of a leaf"):
        row = x.T
        row *= 2.0
    np.testing.assert_array_equal(x.numpy(), X)  # unchanged
    y = x * 1.0  # a non-leaf: its views are written, and backward() sees it
    y[0][1] = x[1, 1] ** 2
    np.sum(y * y).backward()
    want = 2.0 * X
    want[0, 1] = 0.0
    want[1, 1] += 4.0 * X[1, 1] ** 3
    np.testing.assert_allclose(x.grad, want, rtol=1e-14)


def _writes_into_its_input(x):
    x[0] *= 2.0  # through a view of the input
    return np.sum(x**2)


def test_jit_refuses_a_function_that_writes_into_its_input() -> None:
    x = X.copy()
    with pytest.raises(JitError, match=r"writes into its traced argument \(input 0\)"):
        gk.jit(_writes_into_its_input)(x)
    np.testing.assert_array_equal(x, X)  # and leaves the caller's array as it was


def test_transforms_never_write_into_the_callers_array_and_agree_under_jit() -> None:
    # Inside grad the function writes into its own copy (JAX's inputs are immutable too);
    # the gradient is that of the input as passed: d/dx sum(x'^2), x' = x with row 0 doubled.
    want = 2.0 * X * np.array([[4.0], [1.0]])
    for _ in range(3):  # record, check, replay
        x = X.copy()
        np.testing.assert_allclose(gk.jit(gk.grad(_writes_into_its_input))(x), want)
        np.testing.assert_array_equal(x, X)
    np.testing.assert_allclose(gk.grad(_writes_into_its_input)(X.copy()), want)
    np.testing.assert_allclose(fd.gradient(lambda a: _writes_into_its_input(a.copy()), (X,)),
                               want, rtol=1e-8)  # fmt: skip


def test_a_view_outlives_the_name_of_its_base() -> None:
    # NumPy: after y = y * 2, v still views the old array; writes through v change it alone
    def f(x):
        y = x * 1.0
        v = y[1]
        old = y
        y = y * 2.0
        v[0] = x[0, 0] ** 3
        return [old, y, v]

    want = f(X.copy())
    _same(gk.vjp(f, X)[0], want, "vjp value")
    g = gk.grad(lambda x: np.sum(f(x)[0] * f(x)[2][0]))(X)
    np.testing.assert_allclose(
        g, fd.gradient(lambda x: np.sum(f(x)[0] * f(x)[2][0]), (X,)), rtol=1e-7
    )


def test_ndarray_copy_is_c_ordered_so_a_reshape_of_it_is_a_view():
    # ndarray.copy() is C-ordered even for a transposed array, so writing through
    # v.reshape(-1) changes v in NumPy; a copy that kept the transposed layout lost it.
    x = np.arange(6.0).reshape(2, 3) / 10 + 0.05

    def f(x):
        v = np.maximum(x.T, 0.2).copy()
        v.reshape(-1)[1] = 10.0
        return np.sum(v * v * x.T)

    value, grad = gk.value_and_grad(f)(x)
    assert value == f(x)  # NumPy's own value, bit for bit
    assert gk.jit(f)(x) == f(x)
    np.testing.assert_allclose(grad, fd.gradient(f, (x,)), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(gk.jacfwd(f)(x), fd.gradient(f, (x,)), rtol=1e-8, atol=1e-10)


def test_in_place_arithmetic_refuses_a_cast_numpy_refuses():
    # NumPy: y += 1j * y on a float array raises (same_kind casting); the imaginary part
    # must not be dropped silently under a transform either
    def g(y):
        y = y.copy()
        y += 1j * y
        return np.sum(np.abs(y))

    x = np.arange(1.0, 4.0)
    with pytest.raises(TypeError):
        g(x)
    with pytest.raises(TypeError, match="same_kind"):
        gk.grad(g)(x)
