"""Rules that may overwrite their cotangent: used only when nobody else can see it.

A primitive's optional ``vjp_in_place`` rule writes its result into the cotangent it is
given. The backward pass may hand it only an array that it made itself and that no one
else refers to; these tests check both that it is used (so the saving is real) and that
it is never used on an array someone can still see (so no result can change).
"""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
from gradkit.autodiff.reverse import EXACT_REFCOUNTS


def _doubling(calls: list):
    """A primitive 2x whose in-place rule records each use."""

    @gk.primitive
    def double(x):
        return 2.0 * x

    gk.defvjp(double, lambda ans, x: lambda g: 2.0 * g)
    gk.defjvp(double, lambda t, ans, x: 2.0 * t)

    def in_place(g, ans, x):
        calls.append(g)
        g *= 2.0
        return g

    double.vjp_in_place = in_place
    return double


def test_a_fresh_cotangent_is_overwritten_and_the_gradient_is_right():
    calls: list = []
    double = _doubling(calls)
    c = np.array([1.0, -3.0, 0.5])
    x = np.array([0.3, 0.2, 0.1])
    g = gk.grad(lambda x: np.sum(double(x) * c))(x)  # mul's rule makes a fresh g * c
    np.testing.assert_array_equal(g, 2.0 * c)
    assert len(calls) == (1 if EXACT_REFCOUNTS else 0)  # off where counts are not exact


def test_a_cotangent_given_by_the_caller_is_never_written():
    calls: list = []
    double = _doubling(calls)
    _, vjp_fn = gk.vjp(double, np.array([1.0, 2.0]))
    ct = np.array([5.0, 7.0])
    (g,) = vjp_fn(ct)
    np.testing.assert_array_equal(ct, [5.0, 7.0])
    np.testing.assert_array_equal(g, [10.0, 14.0])
    assert calls == []


def test_a_cotangent_shared_by_two_consumers_is_written_only_by_the_last():
    calls: list = []
    double = _doubling(calls)
    c = np.array([1.0, 2.0])

    def f(x):
        y = x * c  # its cotangent reaches both doubles through add, as one array
        return np.sum(double(y) + double(y))

    g = gk.grad(f)(np.array([0.5, 0.25]))
    np.testing.assert_array_equal(g, 4.0 * c)
    assert len(calls) <= 1  # the first consumer must not overwrite what the second reads


def test_redefining_the_rule_drops_the_in_place_one():
    calls: list = []
    double = _doubling(calls)
    gk.defvjp(double, lambda ans, x: lambda g: 3.0 * g)  # a different rule
    assert double.vjp_in_place is None
    c = np.array([1.0, 2.0])
    g = gk.grad(lambda x: np.sum(double(x) * c))(np.array([0.1, 0.2]))
    np.testing.assert_array_equal(g, 3.0 * c)
    assert calls == []


def test_the_seed_of_ones_is_never_written():
    calls: list = []
    double = _doubling(calls)
    g1 = gk.grad(lambda x: np.sum(double(x)))(np.array([1.0, 2.0]))
    g2 = gk.elementwise_grad(double)(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(g1, [2.0, 2.0])
    np.testing.assert_array_equal(g2, [2.0, 2.0])
    np.testing.assert_array_equal(gk.grad(lambda x: np.sum(x))(np.ones(2)), [1.0, 1.0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_relu_in_place_masks_like_where_non_finite_cotangents_included(dtype):
    """ReLU's in-place rule gives exactly np.where(x > 0, g, 0), bit for bit: an inf or
    NaN cotangent of a dead unit gives 0, a live one passes through, -0.0 stays -0.0."""
    x = np.array([-1.0, 2.0, 0.0, 3.0, -4.0, 5.0, np.nan], dtype=dtype)
    up = np.array([np.inf, -0.0, np.nan, np.nan, -np.inf, 2.5, 1.0], dtype=dtype)

    def f(x):
        return np.sum(gk.nn.relu(x) * up)  # mul's rule hands relu a fresh g = up

    with np.errstate(invalid="ignore"):
        got = gk.grad(f)(x)
    want = np.where(x > 0, up, dtype(0.0))
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8))


def test_relu_in_place_on_a_batch_and_under_second_derivatives():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 5))
    w = rng.standard_normal((6, 5))
    g = gk.grad(lambda x: np.sum(gk.nn.relu(x) * w))(x)
    np.testing.assert_array_equal(g, np.where(x > 0, w, 0.0))
    # the Hessian of a ReLU net is 0 away from the kinks, whatever path its rules take
    h = gk.hessian(lambda x: np.sum(gk.nn.relu(x) * w))(x[0])
    np.testing.assert_array_equal(h, np.zeros((5, 5)))
