"""Transforms running at the same time in several threads.

Each thread has its own stack of running transforms, so one thread's transforms are
never taken for another's enclosing ones. Gradients are checked against closed forms.
"""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

import gradkit as gk
from gradkit.autodiff import trace
from gradkit.autodiff.tensor import GLOBAL_EAGER


def _in_thread(fn):
    """Start ``fn`` in a thread; return the thread and a list that gets its result or
    the exception it raised."""
    out: list = []

    def body():
        try:
            out.append(fn())
        except BaseException as err:  # handed to the test, which raises it
            out.append(err)

    t = threading.Thread(target=body)
    t.start()
    return t, out


def _result(t: threading.Thread, out: list):
    t.join(timeout=30)
    assert not t.is_alive(), "the thread did not finish"
    if isinstance(out[0], BaseException):
        raise out[0]
    return out[0]


def test_a_tensor_made_outside_any_transform_is_not_captured_by_another_threads() -> None:
    inside, release = threading.Event(), threading.Event()

    def f(x):
        inside.set()
        release.wait(10)
        return np.sum(x**3)

    t, out = _in_thread(lambda: gk.grad(f)(np.array([1.0, 2.0])))
    assert inside.wait(10)
    try:
        assert trace.running() == []  # this thread runs no transform
        x = gk.Tensor(np.array([1.0, -2.0]), requires_grad=True)
        assert x._trace is GLOBAL_EAGER
    finally:
        release.set()
    np.testing.assert_allclose(_result(t, out), [3.0, 12.0])
    y = np.sum(x * x * 5.0)
    y.backward()
    np.testing.assert_allclose(x.grad, [10.0, -20.0])


def test_transforms_that_end_in_another_order_than_they_began_keep_each_threads_stack() -> None:
    # A starts, then B; A ends first. With one stack for the process, A's exit would pop
    # B's trace, and B's hand-made Tensors would land on A's closed trace.
    a_inside, b_inside, a_done = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def fa(x):
        a_inside.set()
        assert b_inside.wait(10)
        return np.sum(np.sin(x))

    def fb(x):
        b_inside.set()
        assert a_done.wait(10)
        tr = trace.running()[-1]
        seen["stack"] = [(t.name, t.active) for t in trace.running()]
        w = gk.Tensor(np.array([2.0, 3.0]), requires_grad=True)  # made inside this transform
        seen["w_level_above_b"] = w._trace.level > tr.level
        return np.sum(w * x**2)

    ta, outa = _in_thread(lambda: gk.grad(fa)(np.array([0.5, 1.0])))
    assert a_inside.wait(10)
    tb, outb = _in_thread(lambda: gk.grad(fb)(np.array([1.0, -1.0])))
    assert b_inside.wait(10)
    np.testing.assert_allclose(_result(ta, outa), np.cos([0.5, 1.0]))
    a_done.set()
    np.testing.assert_allclose(_result(tb, outb), [4.0, -6.0])  # d/dx sum(w x^2) = 2 w x
    assert seen["stack"] == [("grad", True)]  # B's own trace alone, still running
    assert seen["w_level_above_b"]


def test_many_threads_differentiate_at_once_and_every_result_is_the_closed_form() -> None:
    rng = np.random.default_rng(7)
    xs = [rng.uniform(-1.0, 1.0, 5) for _ in range(4)]
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter allows

    def work(x):
        for _ in range(40):
            np.testing.assert_allclose(
                gk.grad(lambda v: np.sum(np.exp(v) * v))(x), np.exp(x) * (1 + x), rtol=1e-12
            )
            np.testing.assert_allclose(
                gk.hessian(lambda v: np.sum(v**4))(x), np.diag(12 * x**2), rtol=1e-12, atol=1e-12
            )
            _, tangent = gk.jvp(np.tanh, (x,), (np.ones_like(x),))
            np.testing.assert_allclose(tangent, 1 - np.tanh(x) ** 2, rtol=1e-12)
            w = gk.Tensor(x, requires_grad=True)
            np.sum(w**3).backward()
            np.testing.assert_allclose(w.grad, 3 * x**2, rtol=1e-12)
        return True

    try:
        threads = [_in_thread(lambda x=x: work(x)) for x in xs]
        assert all(_result(t, out) for t, out in threads)
    finally:
        sys.setswitchinterval(old)


@pytest.mark.parametrize("transform", ["grad", "jvp"])
def test_a_transform_that_raises_leaves_its_threads_stack_empty(transform) -> None:
    def bad(x):
        raise RuntimeError("inside")

    def run():
        with pytest.raises(RuntimeError, match="inside"):
            if transform == "grad":
                gk.grad(bad)(1.0)
            else:
                gk.jvp(bad, (1.0,), (1.0,))
        return list(trace.running())

    t, out = _in_thread(run)
    assert _result(t, out) == []


def _thread_problem(k: int):
    """Thread ``k``'s own function, argument and closed-form gradient (all different)."""
    a = 1.0 + 0.25 * k
    x = np.linspace(-1.0, 1.0, 3 + k % 3) * (1 + 0.1 * k)

    def f(v):
        return np.sum(np.sin(a * v) * v**2)

    want = a * np.cos(a * x) * x**2 + 2 * x * np.sin(a * x)
    return f, x, want


@pytest.mark.parametrize("use_jit", [False, True])
def test_eight_threads_each_get_their_own_gradient_two_thousand_times(use_jit) -> None:
    # Eight different functions differentiated at once; with jit, one jitted function of
    # (k, x) shared by all threads, so recordings and replays interleave as well.
    shared = gk.jit(gk.grad(lambda x, k: _thread_problem(k)[0](x)), static_argnums=1)
    wrong: list = []
    errors: list = []

    def work(k):
        f, x, want = _thread_problem(k)
        g = (lambda v: shared(v, k)) if use_jit else gk.grad(f)
        try:
            for _ in range(2000):
                got = g(x)
                if got.shape != want.shape or not np.allclose(got, want, rtol=1e-13, atol=1e-15):
                    wrong.append(k)
        except BaseException as err:  # handed to the test
            errors.append(err)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
    finally:
        sys.setswitchinterval(old)
    assert not any(t.is_alive() for t in threads)
    if errors:
        raise errors[0]
    assert wrong == []
    assert trace.running() == []
