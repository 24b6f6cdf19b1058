"""Saved values are guarded, and custom rules' outputs are checked.

A plain array an operation's derivative rule will read (``c`` in ``w * c``) that changes
before the backward pass would silently change the gradient: hand-made Tensors refuse it
at ``backward()`` (InPlaceError naming the operation); gk.grad compares the small ones
when the function returns and makes the large ones read-only while it runs. A custom
rule that returns None, a wrong shape or a complex value for a real input is refused
with an error naming the rule and the primitive.
Gradients are compared with closed forms.
"""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
from gradkit.autodiff.errors import InPlaceError


# --- hand-made Tensors: checked at backward() --------------------------------------------
@pytest.mark.parametrize(
    "op, name, argnum",
    [
        (lambda w, c: w * c, "multiply", 1),
        (lambda w, c: c / (1.0 + w * w), "true_divide", 0),
        (lambda w, c: c @ w, "matmul", 0),
        (lambda w, c: np.where(c > 0, w, 2.0 * w), None, None),  # c's mask: a constant too
    ],
)
def test_a_constant_modified_before_backward_is_refused(op, name, argnum) -> None:
    w = gk.Tensor([1.0, 2.0], requires_grad=True)
    c = np.array([3.0, -4.0]) if name != "matmul" else np.array([[3.0, -4.0], [1.0, 2.0]])
    y = np.sum(op(w, c))
    c[0] = 100.0 if name != "matmul" else c[0, 0] + 1.0
    if name is None:  # np.where's condition is computed from c: a new array, unaffected
        y.backward()
        np.testing.assert_array_equal(w.grad, [1.0, 2.0])
        return
    with pytest.raises(InPlaceError, match=f"argument {argnum} of {name}.*modified in place"):
        y.backward()


def test_a_write_through_another_view_of_the_constant_is_caught() -> None:
    base = np.ones((2, 2))
    w = gk.Tensor([1.0, 2.0], requires_grad=True)
    y = np.sum(w * base[0])  # base[0] is a view: the write below goes through base
    base[0, 1] = 5.0
    with pytest.raises(InPlaceError, match="multiply"):
        y.backward()


def test_a_constant_only_an_addition_used_may_change() -> None:
    # add's rule reads no values (as PyTorch, nothing is saved): the gradient is right
    w = gk.Tensor([1.0, 2.0], requires_grad=True)
    c = np.array([3.0, 4.0])
    y = np.sum((w + c) ** 2)  # power saves w + c, an array gradkit made, not c
    c[:] = 0.0
    y.backward()
    np.testing.assert_allclose(w.grad, 2 * (np.array([1.0, 2.0]) + [3.0, 4.0]))


def test_an_unchanged_constant_passes_and_the_gradient_is_the_closed_form() -> None:
    w = gk.Tensor([1.0, 2.0], requires_grad=True)
    c = np.array([3.0, -4.0])
    y = np.sum(np.sin(w * c))
    c2 = c.copy()
    c2[0] = 7.0  # a copy changed: not the saved array
    y.backward()
    np.testing.assert_allclose(w.grad, c * np.cos(np.array([1.0, 2.0]) * c))


def test_a_leaf_written_in_place_is_caught() -> None:
    w = gk.Tensor([1.0, 2.0], requires_grad=True)
    y = np.sum(w**3)
    np.asarray(w.detach())[0] = 10.0  # the detached value shares the leaf's memory
    with pytest.raises(InPlaceError, match="leaf Tensor"):
        y.backward()


# --- gk.grad: saved arrays are read-only while it runs -----------------------------------
def test_inside_grad_a_small_saved_constant_written_is_refused_by_name() -> None:
    c = np.array([1.0, 2.0])

    def f(x):
        y = x * c
        c[0] = 5.0  # y's derivative is c as it was
        return np.sum(y)

    with pytest.raises(InPlaceError, match="gk.grad: .*argument 1 of multiply"):
        gk.grad(f)(np.ones(2))
    np.testing.assert_array_equal(gk.grad(lambda x: np.sum(x * c))(np.ones(2)), [5.0, 2.0])


def test_inside_grad_a_large_saved_constant_is_read_only_until_the_end() -> None:
    from gradkit.autodiff.reverse import SMALL

    n = SMALL // 8 + 1  # more than SMALL bytes: locked instead of copied
    c = np.linspace(1.0, 2.0, n)

    def f(x):
        y = x * c
        c[0] = 5.0  # NumPy refuses the write where it is made
        return np.sum(y)

    with pytest.raises(ValueError, match="read-only"):
        gk.grad(f)(np.ones(n))
    assert c.flags.writeable  # restored on the way out of the error
    g = gk.grad(lambda x: np.sum(x * c))(np.ones(n))
    np.testing.assert_array_equal(g, c)
    assert c.flags.writeable  # and after a normal return


def test_grad_restores_views_bases_and_leaves_read_only_arrays_read_only() -> None:
    base = np.arange(3000.0).reshape(2, 1500).copy()  # owns its memory; rows of 12 KB
    frozen = np.linspace(2.0, 3.0, 1500)
    frozen.flags.writeable = False
    seen = {}

    def f(x):
        y = x * base[1] * frozen
        seen["base"] = base.flags.writeable
        return np.sum(y)

    g = gk.grad(f)(np.ones(1500))
    np.testing.assert_array_equal(g, base[1] * frozen)
    assert seen["base"] is False  # a write through the base would have raised
    assert base.flags.writeable and not frozen.flags.writeable


def test_inside_grad_a_constant_only_added_may_be_written() -> None:
    def f(x):
        acc = np.zeros(2)
        y = x + acc
        acc[0] = 1.0  # add saves nothing
        return np.sum(y * y)

    np.testing.assert_allclose(gk.grad(f)(np.array([1.0, 2.0])), [2.0, 4.0])


def test_nested_grad_restores_every_lock() -> None:
    c = np.array([2.0])
    d2 = gk.grad(gk.grad(lambda x: np.sum(x**3 * c)))(np.array(1.5))
    np.testing.assert_allclose(d2, 6 * 1.5 * 2.0)
    assert c.flags.writeable


# --- custom rules --------------------------------------------------------------------------
def _square():
    @gk.primitive
    def square(x):
        return x**2

    return square


@pytest.mark.parametrize(
    "maker, error, match",
    [
        (lambda ans, x: lambda g: None, TypeError, "returned None"),
        (lambda ans, x: lambda g: np.sum(g * 2 * x), ValueError, r"shape \(\), but the argument"),
        (lambda ans, x: lambda g: np.ones(5), ValueError, r"shape \(5,\)"),
        (lambda ans, x: lambda g: g * 2 * x + 0j, TypeError, "complex value for a real"),
    ],
)
def test_a_bad_vjp_rule_output_is_an_error_naming_the_rule(maker, error, match) -> None:
    square = _square()
    gk.defvjp(square, maker)
    with pytest.raises(error, match=f"VJP rule for argument 0 of square .*{match}"):
        gk.grad(lambda x: np.sum(square(x)))(np.array([1.0, 2.0]))


@pytest.mark.parametrize(
    "rule, error, match",
    [
        (lambda g, ans, x: None, TypeError, "returned None"),
        (lambda g, ans, x: np.ones(5), ValueError, r"shape \(5,\), but the output"),
        (lambda g, ans, x: 2j * g, TypeError, "complex value for a real"),
    ],
)
def test_a_bad_jvp_rule_output_is_an_error_naming_the_rule(rule, error, match) -> None:
    square = _square()
    gk.defjvp(square, rule)
    with pytest.raises(error, match=f"JVP rule for argument 0 of square .*{match}"):
        gk.jvp(square, (np.array([1.0, 2.0]),), (np.ones(2),))
    with pytest.raises(error, match="JVP rule"):  # batched directions: each is checked
        gk.jacfwd(square)(np.array([1.0, 2.0]))


def test_good_custom_rules_that_rely_on_broadcasting_still_work() -> None:
    @gk.primitive
    def scale(x, s):
        return x * s

    # s is a scalar: its cotangent has x's shape and is summed to s's by the engine
    gk.defvjp(scale, lambda ans, x, s: lambda g: g * s, lambda ans, x, s: lambda g: g * x)
    gk.defjvp(scale, lambda g, ans, x, s: g * s, lambda g, ans, x, s: g * x)
    x = np.array([1.0, 2.0, 3.0])
    gx, gs = gk.grad(lambda x, s: np.sum(scale(x, s)), argnums=(0, 1))(x, 2.0)
    np.testing.assert_allclose(gx, [2.0, 2.0, 2.0])
    np.testing.assert_allclose(gs, 6.0)
    _, t = gk.jvp(lambda s: scale(x, s), (2.0,), (1.0,))
    np.testing.assert_allclose(t, x)


def test_vjp_refuses_a_constant_or_a_primal_modified_before_vjp_fn() -> None:
    c = np.array([2.0, 3.0])
    x = np.array([1.0, -1.0])
    out, vjp_fn = gk.vjp(lambda x: np.sin(x) * c, x)
    np.testing.assert_allclose(vjp_fn(np.ones(2))[0], np.cos(x) * c)  # unchanged: right
    c[1] = 30.0
    with pytest.raises(InPlaceError, match="argument 1 of multiply"):
        vjp_fn(np.ones(2))
    c[1] = 3.0  # back as it was: accepted again
    np.testing.assert_allclose(vjp_fn(np.ones(2))[0], np.cos(x) * c)
    x[0] = 5.0
    with pytest.raises(InPlaceError, match="primal argument 0"):
        vjp_fn(np.ones(2))
