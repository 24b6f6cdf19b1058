"""PyTorch's eager controls on gk.Tensor: no_grad and friends, backward's arguments,
hooks, retain_grad, requires_grad_, detach, and detect_anomaly. Checked against closed
forms, finite differences and stop_gradient (CI), and against torch where installed."""

from __future__ import annotations

import inspect
import re
import threading
import tracemalloc

import fd
import numpy as np
import pytest

import gradkit as gk
from gradkit.autodiff import AnomalyError, InPlaceError, grad_mode, reverse
from gradkit.autodiff.forward import ForwardTrace
from gradkit.autodiff.reverse import ReverseTrace


def leaf(data) -> gk.Tensor:
    return gk.Tensor(np.asarray(data, dtype=float), requires_grad=True)


def here() -> int:
    """The line number of the caller (for the lines detect_anomaly names)."""
    return inspect.currentframe().f_back.f_lineno


def _originals_in_place() -> bool:
    return all(getattr(cls, name) is fn for (cls, name), fn in grad_mode._ORIGINAL.items())


# --- no_grad, enable_grad, set_grad_enabled on hand-made Tensors -------------------------------
def test_no_grad_results_are_constants_and_leaves_stay_leaves() -> None:
    x = leaf([1.0, 2.0])
    with gk.no_grad():
        assert not gk.is_grad_enabled()
        y = np.sin(x) * 2 + x
        z = x @ x
    assert gk.is_grad_enabled()
    assert not y.requires_grad and not z.requires_grad
    np.testing.assert_allclose(y.numpy(), 2 * np.sin([1.0, 2.0]) + [1.0, 2.0])
    assert x.requires_grad and x.is_leaf
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()
    assert _originals_in_place()  # no checking methods once every block has ended


def test_no_grad_as_a_decorator_and_enable_grad_inside() -> None:
    x = leaf([3.0])

    @gk.no_grad()
    def frozen(t):
        return t * t

    @gk.enable_grad()
    def recorded(t):
        return t * t

    assert not frozen(x).requires_grad
    with gk.no_grad():
        y = recorded(x)
        with gk.enable_grad():
            z = x * 4
        w = x * 5
    assert y.requires_grad and z.requires_grad and not w.requires_grad
    (y + z).sum().backward()
    np.testing.assert_allclose(x.grad, [2 * 3.0 + 4])
    assert frozen.__name__ == "frozen"


def test_set_grad_enabled_as_call_context_and_decorator() -> None:
    x = leaf([2.0])
    with gk.set_grad_enabled(False):
        assert not (x * x).requires_grad
    assert (x * x).requires_grad
    gk.set_grad_enabled(False)  # as a call: from now on, in this thread
    try:
        assert not gk.is_grad_enabled() and not (x * x).requires_grad
    finally:
        gk.set_grad_enabled(True)
    assert gk.is_grad_enabled() and (x * x).requires_grad

    @gk.set_grad_enabled(False)
    def f(t):
        return t * 2

    assert gk.is_grad_enabled()  # decorating switches nothing
    assert not f(x).requires_grad
    with pytest.raises(TypeError, match="True or False"):
        gk.set_grad_enabled("no")
    with pytest.raises(TypeError, match="takes a function"):
        gk.no_grad()(3)
    assert _originals_in_place()


def test_sgd_step_under_no_grad_matches_the_closed_form_iterates() -> None:
    # loss = |w - t|^2: w_{k+1} = w_k - lr * 2 (w_k - t) = t + (1 - 2 lr)^(k+1) (w_0 - t)
    target, w0, lr = np.array([1.0, -2.0, 0.5]), np.array([3.0, 1.0, 0.0]), 0.1
    w = leaf(w0)
    seen = []
    w.register_hook(lambda g: seen.append(np.array(g)))  # a leaf keeps its hooks across steps
    for _ in range(5):
        np.sum((w - target) ** 2).backward()
        with gk.no_grad():
            w -= lr * w.grad
            w.grad = None
    assert w.is_leaf and w.requires_grad
    np.testing.assert_allclose(w.numpy(), target + (1 - 2 * lr) ** 5 * (w0 - target), rtol=1e-13)
    assert len(seen) == 5
    np.testing.assert_allclose(seen[-1], 2 * (1 - 2 * lr) ** 4 * (w0 - target), rtol=1e-13)


def test_setitem_on_a_leaf_under_no_grad_keeps_it_a_leaf_and_old_graphs_intact() -> None:
    w = leaf([1.0, 2.0, 3.0])
    old = np.sum(w**2)  # recorded at the old value
    with gk.no_grad():
        w[1] = 10.0
    np.testing.assert_allclose(w.numpy(), [1.0, 10.0, 3.0])
    old.backward()  # the recorded graph keeps its values: gradient at [1, 2, 3]
    np.testing.assert_allclose(w.grad, [2.0, 4.0, 6.0])
    with pytest.raises(InPlaceError, match="written in place"):
        w[0] = 0.0  # outside no_grad: refused as before


def test_a_computed_tensor_written_under_no_grad_becomes_a_constant() -> None:
    x = leaf([1.0, 2.0])
    y = x * 2
    with gk.no_grad():
        y[0] = 5.0  # PyTorch would keep y's old graph beside its new value
    assert not y.requires_grad
    np.testing.assert_allclose(y.numpy(), [5.0, 4.0])
    np.sum(x * 3 + y).backward()  # only x * 3 reaches x
    np.testing.assert_allclose(x.grad, [3.0, 3.0])


# --- no_grad inside transforms: stop_gradient, as torch.func ---------------------------------
def _f_no_grad(x):
    with gk.no_grad():
        c = x**2
    return np.sum(np.sin(x) * c + x**3)


def _f_stop(x):
    c = gk.stop_gradient(x**2)
    return np.sum(np.sin(x) * c + x**3)


@pytest.mark.parametrize("shape", [(), (3,), (2, 2)])
def test_no_grad_inside_transforms_is_stop_gradient(shape) -> None:
    rng = np.random.default_rng(len(shape))
    x = rng.uniform(0.5, 1.5, shape)
    c = x**2  # a constant to every derivative: f' = cos(x) c + 3x^2, f'' = -sin(x) c + 6x
    g_closed = np.cos(x) * c + 3 * x**2
    for g in (gk.grad(_f_no_grad)(x), gk.jacrev(_f_no_grad)(x), gk.jacfwd(_f_no_grad)(x)):
        np.testing.assert_allclose(g, g_closed, rtol=1e-13)
    h = gk.hessian(_f_no_grad)(x)
    np.testing.assert_allclose(h, gk.hessian(_f_stop)(x), rtol=1e-13)
    n = x.size
    np.testing.assert_allclose(
        np.reshape(h, (n, n)), np.diag((-np.sin(x) * c + 6 * x).ravel()), atol=1e-13
    )
    v = rng.standard_normal(shape)
    np.testing.assert_allclose(gk.jvp(_f_no_grad, (x,), (v,))[1], np.sum(g_closed * v))
    if shape == ():
        np.testing.assert_allclose(gk.grad(gk.grad(_f_no_grad))(x), -np.sin(x) * c + 6 * x)
    assert _originals_in_place()


def test_a_transform_called_inside_no_grad_differentiates_its_own_function() -> None:
    x = np.array([0.3, 1.2])
    with gk.no_grad():
        g = gk.grad(lambda t: np.sum(np.sin(t) * t))(x)
        h = gk.hessian(lambda t: np.sum(t**3))(x)
    np.testing.assert_allclose(g, np.cos(x) * x + np.sin(x), rtol=1e-14)
    np.testing.assert_allclose(h, np.diag(6 * x), rtol=1e-14)


def test_no_grad_inside_a_transform_stops_the_outer_one_only() -> None:
    # d/dx [x * d/dy (x y)|_(y=x)], with x frozen inside no_grad: the inner grad is x
    # (its own variable y is differentiated), but a constant to the outer one: d/dx [x c] = c
    def inner(x):
        with gk.no_grad():
            dy = gk.grad(lambda y: x * y)(x)
        return x * dy

    np.testing.assert_allclose(gk.grad(inner)(2.0), 2.0)
    np.testing.assert_allclose(gk.grad(lambda x: x * gk.grad(lambda y: x * y)(x))(2.0), 4.0)


def test_hand_made_tensors_created_inside_no_grad_in_a_transform_do_not_record() -> None:
    def f(x):
        with gk.no_grad():
            w = gk.Tensor(x, requires_grad=True)
            assert not (w * 2).requires_grad
        return np.sum(x**2)

    np.testing.assert_allclose(gk.grad(f)(np.array([1.0, 2.0])), [2.0, 4.0])


def test_no_grad_stops_a_custom_vjp_inside_grad() -> None:
    @gk.custom_vjp
    def square(x):
        return x**2

    square.defvjp(lambda x: (x**2, x), lambda x, g: (2 * x * g,))

    def f(x):
        with gk.no_grad():
            c = square(x)
        return np.sum(c * x)

    x = np.array([1.5, -0.5])
    np.testing.assert_allclose(gk.grad(f)(x), x**2)


def test_no_grad_under_jit_of_grad_matches_the_plain_transform() -> None:
    x = np.array([0.2, 0.7, 1.1])
    jitted = gk.jit(gk.grad(_f_no_grad))
    for scale in (1.0, 2.0):  # the replay recomputes c at the new input
        np.testing.assert_allclose(jitted(scale * x), gk.grad(_f_stop)(scale * x), rtol=1e-13)


def test_no_grad_in_one_thread_leaves_other_threads_recording() -> None:
    entered, done = threading.Event(), threading.Event()
    results = {}

    def frozen():
        with gk.no_grad():
            entered.set()
            done.wait(10)
            results["frozen"] = (leaf([1.0]) * 2).requires_grad

    thread = threading.Thread(target=frozen)
    thread.start()
    assert entered.wait(10)
    try:
        assert not _originals_in_place()  # the checking methods are in: this thread asks
        x = leaf([1.0, 2.0])
        np.sum(x**3).backward()
        g = gk.grad(lambda t: np.sum(np.sin(t)))(np.array([0.5]))
    finally:
        done.set()
        thread.join(10)
    np.testing.assert_allclose(x.grad, [3.0, 12.0])
    np.testing.assert_allclose(g, np.cos([0.5]))
    assert results["frozen"] is False
    assert _originals_in_place()


# --- backward(gradient, retain_graph, create_graph) ------------------------------------------
def test_backward_gradient_is_required_and_checked_for_non_scalars() -> None:
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*pass gradient="):
        (x * x).backward()
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\) but the output has shape"):
        (x * x).backward(np.ones(3))
    (x * x).backward(gradient=np.array([1.0, -1.0]))
    np.testing.assert_allclose(x.grad, [2.0, -4.0])


def test_a_second_backward_through_a_freed_graph_is_refused() -> None:
    x = leaf([1.0, 2.0])
    y = np.sum(np.exp(x))
    y.backward()
    with pytest.raises(RuntimeError, match=r"freed by an earlier backward\(\).*retain_graph=True"):
        y.backward()
    z = np.sum(np.exp(x)) * 2
    z.backward(retain_graph=True)
    z.backward()  # gradients add, as PyTorch's: exp(x) + 2 exp(x) + 2 exp(x)
    np.testing.assert_allclose(x.grad, 5 * np.exp([1.0, 2.0]), rtol=1e-14)
    with pytest.raises(RuntimeError, match="freed"):
        z.backward()


def test_backward_returns_the_forward_passes_memory_unless_retained() -> None:
    rng = np.random.default_rng(0)
    ws = [leaf(rng.standard_normal((64, 64)) / 8) for _ in range(10)]
    x = rng.standard_normal((256, 64))
    held = {}
    for retain in (True, False):
        tracemalloc.start()
        try:
            h = gk.Tensor(x)
            for w in ws:
                h = np.tanh(h @ w)
            loss = np.sum(h * h)
            del h
            forward = tracemalloc.get_traced_memory()[0]
            loss.backward(retain_graph=retain)
            held[retain] = tracemalloc.get_traced_memory()[0] - forward
        finally:
            tracemalloc.stop()
        del loss
        for w in ws:
            w.grad = None
    # 10 layers of two 256x64 float64 arrays (128 KiB each) are recorded: freed, the
    # memory after backward() is below the forward's by most of that; retained, above it
    assert held[True] > 0
    assert held[False] < -10 * 2 * 128 * 1024 * 0.8


def test_a_freed_shared_subgraph_is_refused_for_the_other_output() -> None:
    x = leaf([0.5])
    h = np.tanh(x)
    (h * 2).sum().backward()
    with pytest.raises(RuntimeError, match="operation tanh"):
        (h * 3).sum().backward()


def test_create_graph_gives_second_and_third_derivatives() -> None:
    x = leaf(1.3)
    y = np.sin(x) * x**2
    y.backward(create_graph=True)
    g = x.grad  # 2x sin x + x^2 cos x
    assert g.requires_grad
    np.testing.assert_allclose(g.numpy(), 2 * 1.3 * np.sin(1.3) + 1.3**2 * np.cos(1.3))
    x.grad = None
    g.backward(create_graph=True)
    h = x.grad  # 2 sin x + 4x cos x - x^2 sin x
    xv = 1.3
    np.testing.assert_allclose(
        h.numpy(), 2 * np.sin(xv) + 4 * xv * np.cos(xv) - xv**2 * np.sin(xv), rtol=1e-14
    )
    x.grad = None
    h.backward()
    third = 6 * np.cos(xv) - 6 * xv * np.sin(xv) - xv**2 * np.cos(xv)
    np.testing.assert_allclose(x.grad, third, rtol=1e-13)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_create_graph_hessian_vector_products_match_finite_differences(seed) -> None:
    rng = np.random.default_rng(seed)
    wv, v = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    xs = rng.standard_normal((4, 3))

    def loss(w):
        return np.mean(np.tanh(xs @ w) ** 2)

    w = leaf(wv)
    loss(w).backward(create_graph=True)
    g = w.grad
    w.grad = None
    np.sum(g * v).backward()  # d/dw <grad L(w), v> = H v
    hv_fd = fd.directional(lambda a: fd.gradient(loss, (a,)), (wv,), (v,))
    np.testing.assert_allclose(w.grad, hv_fd, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        w.grad.ravel(), gk.hessian(loss)(wv).reshape(6, 6) @ v.ravel(), rtol=1e-12
    )


def test_create_graph_accumulates_into_a_differentiable_grad() -> None:
    x = leaf([2.0])
    (x**3).sum().backward(create_graph=True)
    (x**2).sum().backward(create_graph=True)  # .grad = 3x^2 + 2x, still a graph
    g = x.grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad, [6 * 2.0 + 2])


# --- hooks, retain_grad, requires_grad_, detach ----------------------------------------------
def test_hooks_replace_the_gradient_where_they_are_registered() -> None:
    x = leaf([1.0, 2.0])
    y = x * 3
    seen = []
    y.register_hook(lambda g: seen.append(np.array(g)))  # observes: returns None
    y.register_hook(lambda g: g * 10)  # then scales what reaches x
    y.retain_grad()  # stored after every hook, as PyTorch's
    (y * y).sum().backward()
    np.testing.assert_allclose(seen[0], 2 * 3 * np.array([1.0, 2.0]))
    np.testing.assert_allclose(y.grad, 10 * 6 * np.array([1.0, 2.0]))
    np.testing.assert_allclose(x.grad, 3 * 10 * 6 * np.array([1.0, 2.0]))


def test_a_leaf_hook_and_its_removal() -> None:
    x = leaf([1.0, -1.0])
    handle = x.register_hook(lambda g: np.clip(g, -1.0, 1.0))
    np.sum(5 * x).backward()
    np.testing.assert_allclose(x.grad, [1.0, 1.0])
    handle.remove()
    handle.remove()  # twice: nothing
    x.grad = None
    np.sum(5 * x).backward()
    np.testing.assert_allclose(x.grad, [5.0, 5.0])
    with x.register_hook(lambda g: 0 * g):
        x.grad = None
        np.sum(5 * x).backward()
        np.testing.assert_allclose(x.grad, [0.0, 0.0])
    x.grad = None
    np.sum(5 * x).backward()
    np.testing.assert_allclose(x.grad, [5.0, 5.0])


def test_a_hook_sees_the_complete_gradient_once() -> None:
    x = leaf([2.0])
    y = x * x
    calls = []
    y.register_hook(lambda g: calls.append(float(g[0])))
    (y + 3 * y + y * y).sum().backward()  # dL/dy = 1 + 3 + 2y = 12
    assert calls == [12.0]
    np.testing.assert_allclose(x.grad, [12.0 * 2 * 2.0])


def test_hooks_that_return_a_wrong_gradient_are_named() -> None:
    x = leaf([1.0, 2.0])

    def bad_shape(g):
        return np.ones(3)

    x.register_hook(bad_shape)
    with pytest.raises(ValueError, match=r"hook .*bad_shape.*test_autodiff_eager.py.*\(3,\)"):
        np.sum(x * x).backward()
    y = leaf([1.0])
    y.register_hook(lambda g: g + 1j)
    with pytest.raises(TypeError, match="complex gradient for a real tensor"):
        np.sum(y * y).backward()
    z = leaf([1.0])
    z.register_hook(lambda g: "oops")
    with pytest.raises(TypeError, match="returned str"):
        np.sum(z * z).backward()
    with pytest.raises(TypeError, match="takes a function"):
        leaf([1.0]).register_hook(3)


def test_hooks_need_a_tensor_that_requires_grad_outside_transforms() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        gk.Tensor([1.0]).register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match="does not require grad"):
        gk.Tensor([1.0]).retain_grad()

    def f(x):
        x.register_hook(lambda g: g)
        return x

    with pytest.raises(RuntimeError, match="traced by gk.grad.*custom_vjp"):
        gk.grad(f)(1.0)


def test_retain_grad_on_a_leaf_changes_nothing_and_accumulates_on_non_leaves() -> None:
    x = leaf([1.0, 2.0])
    x.retain_grad()
    h = np.exp(x)
    h.retain_grad()
    np.sum(h).backward(retain_graph=True)
    np.testing.assert_allclose(h.grad, [1.0, 1.0])
    np.testing.assert_allclose(x.grad, np.exp([1.0, 2.0]))
    np.sum(h * 2).backward()
    np.testing.assert_allclose(h.grad, [3.0, 3.0])


def test_hooks_and_create_graph_compose() -> None:
    x = leaf(1.5)
    y = x**3
    y.register_hook(lambda g: 2 * g)  # the gradient reaching x is 2 * 3x^2
    y.backward(create_graph=True)
    g = x.grad
    x.grad = None
    g.backward()  # d/dx 6x^2 = 12x; the hook scales y's gradient in this pass too
    np.testing.assert_allclose(x.grad, 12 * 1.5)


def test_requires_grad_() -> None:
    w = gk.Tensor([1.0, 2.0])
    assert w.requires_grad_() is w and w.is_leaf and w.requires_grad
    np.sum(w**2).backward()
    np.testing.assert_allclose(w.grad, [2.0, 4.0])
    y = w * 2
    with pytest.raises(RuntimeError, match="only a leaf"):
        y.requires_grad_(False)
    w.requires_grad_(False)
    assert not w.requires_grad and not (w * 2).requires_grad
    with pytest.raises(gk.TracerConversionError, match="requires_grad_"):
        gk.grad(lambda t: t.requires_grad_())(1.0)


def test_detach_is_a_constant_sharing_the_value_and_stop_gradient_in_transforms() -> None:
    x = leaf([1.0, 2.0])
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    np.testing.assert_array_equal(d.numpy(), [1.0, 2.0])
    np.sum(x * x.detach()).backward()
    np.testing.assert_allclose(x.grad, [1.0, 2.0])
    xv = np.array([0.3, 0.9])

    def f(t):
        return np.sum(t**2 * t.detach())

    np.testing.assert_allclose(gk.grad(f)(xv), 2 * xv * xv)
    np.testing.assert_allclose(gk.jit(gk.grad(f))(xv), 2 * xv * xv)  # detach under jit
    np.testing.assert_allclose(gk.jit(gk.grad(f))(2 * xv), 8 * xv * xv)


# --- detect_anomaly -----------------------------------------------------------------------------
def test_anomaly_names_the_forward_operation_and_its_line() -> None:
    x = leaf([1.0, -1.0])
    with gk.detect_anomaly(), np.errstate(invalid="ignore"), pytest.raises(AnomalyError) as err:
        y = x * 2
        line = here() + 1
        np.log(y)
    assert re.match(rf"log returned NaN .*test_autodiff_eager.py:{line} in test_", str(err.value))
    with np.errstate(invalid="ignore"):
        assert np.isnan(np.log(x).numpy()[1])  # outside the block: NumPy's NaN, as before


def test_anomaly_names_the_backward_rule_and_the_forward_line() -> None:
    x = leaf([4.0, 0.0])
    with gk.detect_anomaly(), np.errstate(divide="ignore"), pytest.raises(AnomalyError) as err:
        line = here() + 1
        y = np.sqrt(x) * 3
        np.sum(y).backward()
    expected = rf"derivative rule of sqrt gave inf .*argument 0.*test_autodiff_eager.py:{line}"
    assert re.search(expected, str(err.value))


def test_anomaly_inside_grad_forward_and_backward() -> None:
    def f(x):
        return np.sum(np.sqrt(x))

    line = inspect.getsourcelines(f)[1] + 1
    with gk.detect_anomaly(), np.errstate(divide="ignore", invalid="ignore"):
        with pytest.raises(AnomalyError, match=rf"sqrt returned NaN.*:{line} in f"):
            gk.grad(f)(np.array([-1.0, 1.0]))
        with pytest.raises(AnomalyError, match=rf"rule of sqrt gave inf.*:{line} in f"):
            gk.grad(f)(np.array([0.0, 1.0]))
        with pytest.raises(AnomalyError, match=rf"sqrt returned NaN.*:{line} in f"):
            gk.jvp(f, (np.array([-1.0]),), (np.array([1.0]),))
        np.testing.assert_allclose(gk.grad(f)(np.array([4.0])), [0.25])  # finite: no error
    assert reverse.ANOMALY[0] == 0 and _originals_in_place()


def test_anomaly_says_when_the_inputs_were_already_not_finite() -> None:
    x = leaf([np.inf, 1.0])

    @gk.detect_anomaly()
    def run():
        return np.tanh(x) * x

    with pytest.raises(AnomalyError, match=r"multiply returned inf.*argument 1 \(inf\)"):
        run()
    with gk.detect_anomaly(check_nan=False):
        assert np.isinf((np.tanh(x) * x).numpy()[0])  # checks off


def test_grad_mode_switches_leave_the_recording_methods_alone_afterwards() -> None:
    with gk.no_grad(), gk.detect_anomaly():
        assert ReverseTrace.unary is not grad_mode._ORIGINAL[ReverseTrace, "unary"]
        assert ForwardTrace.process is not grad_mode._ORIGINAL[ForwardTrace, "process"]
    assert _originals_in_place()


# --- against PyTorch ------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph:UserWarning")
def test_eager_controls_match_torch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    wv, xv = rng.standard_normal((3, 3)), rng.standard_normal(3)

    def run(lib, make, no_grad):
        w, x = make(wv), make(xv)
        h = lib.tanh(w @ x)
        h.retain_grad()
        h.register_hook(lambda g: g * 2)
        with no_grad():
            c = (h * h).sum()
        loss = (h * c).sum() + (w**2).sum() * 0.1
        loss.backward(create_graph=True)
        gw = w.grad
        w.grad = None
        (gw**2).sum().backward()
        return [
            t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)
            for t in (h.grad, gw, w.grad, x.grad)
        ]

    ours = run(np, leaf, gk.no_grad)
    theirs = run(
        torch,
        lambda a: torch.tensor(a, dtype=torch.float64, requires_grad=True),
        torch.no_grad,
    )
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_double_backward_errors_where_torch_does() -> None:
    torch = pytest.importorskip("torch")
    t = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    y = torch.exp(t).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()
    x = leaf([1.0, 2.0])
    z = np.sum(np.exp(x))
    z.backward()
    with pytest.raises(RuntimeError, match="freed"):
        z.backward()
