"""The transforms: grad, value_and_grad, vjp, jvp, Jacobians, Hessians, and their nesting.

Results are checked against closed forms, written out here and in ``tests/closed_forms.py``,
and against the independent finite differences of ``tests/fd.py``; the two modes are also
checked against each other.
"""

from __future__ import annotations

import fd
import numpy as np
import pytest
from closed_forms import rosenbrock, rosenbrock_gradient, rosenbrock_hessian
from hypothesis import given, settings
from hypothesis import strategies as st

import gradkit as gk
from gradkit.tree import tree_flatten

SEEDS = st.integers(0, 2**32 - 1)


# --- grad and value_and_grad --------------------------------------------------------------
def test_grad_closed_form() -> None:
    x = np.array([0.3, -1.2, 2.0])
    g = gk.grad(lambda x: np.sum(np.sin(x) * x))(x)
    np.testing.assert_allclose(g, np.cos(x) * x + np.sin(x), rtol=1e-14)


def test_grad_of_scalar_float_is_scalar() -> None:
    g = gk.grad(lambda x: x**3)(2.0)
    assert np.ndim(g) == 0 and g == pytest.approx(12.0)


def test_value_and_grad() -> None:
    x = np.array([1.0, 2.0, 3.0])
    value, g = gk.value_and_grad(lambda x: np.sum(x**2) / 2)(x)
    assert value == pytest.approx(7.0)
    np.testing.assert_allclose(g, x)


def test_argnums_int_tuple_and_negative() -> None:
    f = lambda x, y, z: np.sum(x * y**2 + z)
    x, y, z = np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([5.0, 6.0])
    np.testing.assert_allclose(gk.grad(f)(x, y, z), y**2)
    np.testing.assert_allclose(gk.grad(f, argnums=1)(x, y, z), 2 * x * y)
    np.testing.assert_allclose(gk.grad(f, argnums=-1)(x, y, z), np.ones(2))
    gx, gz = gk.grad(f, argnums=(0, 2))(x, y, z)
    np.testing.assert_allclose(gx, y**2)
    np.testing.assert_allclose(gz, np.ones(2))
    single = gk.grad(f, argnums=(1,))(x, y, z)
    assert isinstance(single, tuple) and len(single) == 1


def test_has_aux_on_grad_and_value_and_grad() -> None:
    def loss(w, x):
        pred = x @ w
        return np.sum(pred**2), {"pred": pred, "n": 3}

    w, x = np.array([1.0, -1.0]), np.array([[1.0, 2.0], [3.0, 5.0], [0.5, 0.5]])
    g, aux = gk.grad(loss, has_aux=True)(w, x)
    np.testing.assert_allclose(g, 2 * x.T @ (x @ w))
    np.testing.assert_allclose(aux["pred"], x @ w)
    assert aux["n"] == 3 and type(aux["pred"]) is np.ndarray  # aux comes out as plain values
    (value, aux2), g2 = gk.value_and_grad(loss, has_aux=True)(w, x)
    assert value == pytest.approx(np.sum((x @ w) ** 2))
    np.testing.assert_allclose(g2, g)
    np.testing.assert_allclose(aux2["pred"], x @ w)


def test_has_aux_on_jacobians() -> None:
    f = lambda x: (x**2, np.sum(x))
    x = np.array([1.0, 2.0, 3.0])
    for jac in (gk.jacfwd, gk.jacrev):
        j, aux = jac(f, has_aux=True)(x)
        np.testing.assert_allclose(j, np.diag(2 * x))
        assert aux == pytest.approx(6.0)


# --- containers ------------------------------------------------------------------------
def _same_structure(a, b) -> bool:
    return tree_flatten(a)[1] == tree_flatten(b)[1]


def test_grad_of_dict_tuple_list_params_has_their_structure() -> None:
    params = {"w": np.array([[1.0, 2.0], [3.0, 4.0]]), "b": (np.array([0.5, -0.5]), [2.0])}
    x = np.array([1.0, -2.0])

    def f(p):
        return np.sum(np.tanh(p["w"] @ x + p["b"][0])) * p["b"][1][0]

    g = gk.grad(f)(params)
    assert _same_structure(g, params)
    assert isinstance(g, dict) and isinstance(g["b"], tuple) and isinstance(g["b"][1], list)
    z = params["w"] @ x + params["b"][0]
    s = params["b"][1][0]
    sech2 = 1 - np.tanh(z) ** 2
    np.testing.assert_allclose(g["w"], s * np.outer(sech2, x))
    np.testing.assert_allclose(g["b"][0], s * sech2)
    assert g["b"][1][0] == pytest.approx(np.sum(np.tanh(z)))


def test_jacobian_nesting_follows_jax_output_then_input() -> None:
    """jac[out_structure][argnums tuple][in_structure] with block shapes out.shape + in.shape."""

    def f(p, q):
        return {"prod": p["a"] * q, "first": p["b"][0] * 2.0}

    p = {"a": np.array([1.0, 2.0]), "b": [np.array(3.0)]}
    q = np.array([5.0, 7.0])
    for jac in (gk.jacfwd, gk.jacrev):
        j = jac(f, argnums=(0, 1))(p, q)
        assert set(j) == {"prod", "first"}
        jp, jq = j["prod"]
        assert set(jp) == {"a", "b"} and isinstance(jp["b"], list)
        np.testing.assert_allclose(jp["a"], np.diag(q))
        assert jp["b"][0].shape == (2,)
        np.testing.assert_allclose(jp["b"][0], 0.0)
        np.testing.assert_allclose(jq, np.diag(p["a"]))
        jfp, jfq = j["first"]
        assert jfp["a"].shape == (2,) and jfp["b"][0].shape == ()
        assert jfp["b"][0] == pytest.approx(2.0)
        np.testing.assert_allclose(jfq, np.zeros(2))


def test_vjp_and_jvp_with_containers() -> None:
    def f(x, y):
        return (x * y, [np.sum(x)])

    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    out, vjp_fn = gk.vjp(f, x, y)
    np.testing.assert_allclose(out[0], x * y)
    gx, gy = vjp_fn((np.array([1.0, 10.0]), [np.array(2.0)]))
    np.testing.assert_allclose(gx, np.array([1.0, 10.0]) * y + 2.0)
    np.testing.assert_allclose(gy, np.array([1.0, 10.0]) * x)
    primal, tangent = gk.jvp(f, (x, y), (np.array([1.0, 0.0]), np.array([0.0, 1.0])))
    np.testing.assert_allclose(tangent[0], [y[0], x[1]])
    assert tangent[1][0] == pytest.approx(1.0)
    value, t = gk.jvp(lambda d: d["u"] * d["v"], ({"u": 2.0, "v": 3.0},), ({"u": 1.0, "v": 0.5},))
    assert value == pytest.approx(6.0) and t == pytest.approx(3.0 + 1.0)


# --- forward mode and the Jacobian transforms -------------------------------------------
def test_jvp_is_the_directional_derivative() -> None:
    x, v = np.array([0.5, 1.5]), np.array([2.0, -1.0])
    f = lambda x: np.array([1.0, 0.0]) * np.exp(x[0]) * x[1] + np.array([0.0, 1.0]) * x[0] ** 3
    value, tangent = gk.jvp(f, (x,), (v,))
    jac = np.array([[np.exp(x[0]) * x[1], np.exp(x[0])], [3 * x[0] ** 2, 0.0]])
    np.testing.assert_allclose(value, f(x))
    np.testing.assert_allclose(tangent, jac @ v, rtol=1e-14)


def test_jacobian_is_jacrev_and_matches_closed_form() -> None:
    assert gk.jacobian is gk.jacrev
    x = np.array([0.3, 0.7, 1.1])
    f = lambda x: np.stack([x[0] * x[1], np.sin(x[2]) * x[0], np.sum(x**2)])
    expected = np.array([[x[1], x[0], 0.0], [np.sin(x[2]), 0.0, x[0] * np.cos(x[2])], 2 * x])
    for jac in (gk.jacfwd, gk.jacrev, gk.jacobian):
        np.testing.assert_allclose(jac(f)(x), expected, rtol=1e-14)


def test_jacobian_shapes_out_then_in() -> None:
    x = np.ones((2, 3))
    f = lambda x: np.sum(x, axis=0) ** 2
    for jac in (gk.jacfwd, gk.jacrev):
        j = jac(f)(x)
        assert j.shape == (3, 2, 3)
        expected = np.zeros((3, 2, 3))
        for k in range(3):
            expected[k, :, k] = 2 * np.sum(x[:, k])
        np.testing.assert_allclose(j, expected)


def test_hvp_and_hessian_closed_form() -> None:
    x, v = np.array([-1.2, 1.0, 0.5, 2.0]), np.array([1.0, -2.0, 0.5, 3.0])
    h = rosenbrock_hessian(x)
    np.testing.assert_allclose(gk.hessian(rosenbrock)(x), h, rtol=1e-13)
    np.testing.assert_allclose(gk.hvp(rosenbrock, x, v), h @ v, rtol=1e-13)


def test_directional_derivative_normalizes_u() -> None:
    x = np.array([1.0, 2.0, -1.0])
    f = lambda x: np.sum(x**2) + x[0] * x[1]
    g = 2 * x + np.array([x[1], x[0], 0.0])
    u = np.array([3.0, 0.0, 4.0])
    dd = gk.directional_derivative(f, x, u)
    assert dd == pytest.approx(g @ u / 5.0)
    assert gk.directional_derivative(f, x, 10 * u) == pytest.approx(dd)


def test_elementwise_grad() -> None:
    x = np.linspace(-2, 2, 7)
    np.testing.assert_allclose(gk.elementwise_grad(np.tanh)(x), 1 - np.tanh(x) ** 2, rtol=1e-14)
    sig = lambda z: 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(gk.elementwise_grad(sig)(x), sig(x) * (1 - sig(x)), rtol=1e-12)
    gx, gy = gk.elementwise_grad(lambda a, b: a * b, argnums=(0, 1))(x, 2 * x)
    np.testing.assert_allclose(gx, 2 * x)
    np.testing.assert_allclose(gy, x)


def test_stop_gradient() -> None:
    assert gk.grad(lambda x: x * gk.stop_gradient(x))(3.0) == pytest.approx(3.0)
    assert gk.jvp(lambda x: x * gk.stop_gradient(x**2), (3.0,), (1.0,))[1] == pytest.approx(9.0)


# --- any order, any mix --------------------------------------------------------------------
def test_fourth_derivative_of_sin_in_every_mode() -> None:
    for x in (0.0, 0.7, -2.3):
        rev = gk.grad(gk.grad(gk.grad(gk.grad(np.sin))))(x)
        fwd = gk.jacfwd(gk.jacfwd(gk.jacfwd(gk.jacfwd(np.sin))))(x)
        mixed = gk.grad(gk.jacfwd(gk.grad(gk.jacfwd(np.sin))))(x)
        for d4 in (rev, fwd, mixed):
            assert d4 == pytest.approx(np.sin(x), abs=1e-14)


def test_derivatives_of_sin_cycle_up_to_order_seven() -> None:
    x = 0.4
    closed = [np.sin, np.cos, lambda t: -np.sin(t), lambda t: -np.cos(t)]
    f = np.sin
    for n in range(8):
        assert f(x) == pytest.approx(closed[n % 4](x), abs=1e-13)
        f = gk.grad(f) if n % 2 else gk.jacfwd(f)


@settings(max_examples=10, deadline=None)
@given(n=st.integers(2, 7), seed=SEEDS)
def test_rosenbrock_hessian_closed_form_every_route(n: int, seed: int) -> None:
    x = np.random.default_rng(seed).uniform(-2, 2, size=n)
    expected = rosenbrock_hessian(x)
    routes = {
        "hessian": gk.hessian(rosenbrock),
        "jacfwd(jacrev)": gk.jacfwd(gk.jacrev(rosenbrock)),
        "jacrev(jacrev)": gk.jacrev(gk.jacrev(rosenbrock)),
        "jacfwd(jacfwd)": gk.jacfwd(gk.jacfwd(rosenbrock)),
        "jacrev(jacfwd)": gk.jacrev(gk.jacfwd(rosenbrock)),
        "jacfwd(grad)": gk.jacfwd(gk.grad(rosenbrock)),
    }
    for name, h in routes.items():
        np.testing.assert_allclose(h(x), expected, rtol=1e-12, atol=1e-9, err_msg=name)
    np.testing.assert_allclose(gk.grad(rosenbrock)(x), rosenbrock_gradient(x), rtol=1e-12)
    np.testing.assert_allclose(
        gk.hessian(rosenbrock)(x), fd.hessian(rosenbrock, x), rtol=1e-5, atol=1e-4
    )


def test_hessian_of_every_test_function_equals_its_closed_form() -> None:
    rng = np.random.default_rng(0)
    for f in gk.functions.ALL.values():
        for _ in range(3):
            (lo_x, hi_x), (lo_y, hi_y) = f.domain
            x = np.array([rng.uniform(lo_x, hi_x), rng.uniform(lo_y, hi_y)])
            np.testing.assert_allclose(gk.grad(f)(x), f.grad(x), rtol=1e-10, atol=1e-10)
            np.testing.assert_allclose(
                gk.hessian(f)(x), f.hessian(x), rtol=1e-10, atol=1e-10, err_msg=f.name
            )


def test_perturbations_stay_apart_in_every_mix_of_modes() -> None:
    """d/dx [x * d/dy (x + y)] = 1: the inner derivative is 1, whatever x is."""

    def rev_inner(x):
        return x * gk.grad(lambda y: x + y)(1.0)

    def fwd_inner(x):
        return x * gk.jvp(lambda y: x + y, (1.0,), (1.0,))[1]

    x = 2.0
    assert gk.grad(rev_inner)(x) == pytest.approx(1.0)
    assert gk.grad(fwd_inner)(x) == pytest.approx(1.0)
    assert gk.jvp(rev_inner, (x,), (1.0,))[1] == pytest.approx(1.0)
    assert gk.jvp(fwd_inner, (x,), (1.0,))[1] == pytest.approx(1.0)
    assert gk.jacfwd(rev_inner)(x) == pytest.approx(1.0)
    assert gk.jacrev(fwd_inner)(x) == pytest.approx(1.0)


def test_nested_derivative_that_closes_over_the_outer_variable() -> None:
    """d/dx [d/dy (x * y**2)] at y = x is d/dx [2 x y]|_{y=x} = 2 y = 2 x (y held apart)."""
    f = lambda x: gk.grad(lambda y: x * y**2)(x)  # = 2 x * x: both uses of x are outer
    for outer in (gk.grad, gk.jacfwd):
        assert outer(f)(1.5) == pytest.approx(4 * 1.5)


def test_three_argument_operation_whose_first_traced_argument_is_the_outer_one() -> None:
    """An operation of three or more arguments is handed to the trace of its first
    traced argument; when that is an outer transform's and a later argument is the inner
    one's, the inner one must still record it first (else the inner derivative is lost).

    G(x) = sum(c * F(x)) with F(x) = d/dw sum(x @ w + b) = x.T @ ones, so
    dG/dx[k, i] = sum_j c[i, j], the same for every row k."""
    rng = np.random.default_rng(3)
    x0, w0, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), np.ones(2)
    c = rng.standard_normal((3, 2))

    def G(x):
        F = gk.grad(lambda w: np.sum(gk.nn.linear(x, w, b)))(w0)
        return np.sum(c * F)

    want = np.tile(c.sum(axis=1), (4, 1))
    np.testing.assert_allclose(gk.grad(G)(x0), want, rtol=1e-12)
    np.testing.assert_allclose(gk.jacfwd(G)(x0), want, rtol=1e-12)
    # and np.where(cond, outer, inner): the inner derivative picks the inner branch
    h = lambda x: gk.grad(lambda y: np.sum(np.where(x > 0, x, y) * y))(np.array([2.0, 5.0]))
    xs = np.array([1.0, -1.0])  # d/dy sum(where(x>0, x, y) * y) = [x0, 2 y1] = [1, 10]
    np.testing.assert_allclose(h(xs), [1.0, 10.0])
    # d/dx of sum(h(x)) = d/dx (x0 [x0 > 0] + 2 y1) = [1, 0]
    np.testing.assert_allclose(gk.grad(lambda x: np.sum(h(x)))(xs), [1.0, 0.0])


def test_grad_of_jvp_and_jvp_of_grad() -> None:
    x = 0.5
    assert gk.grad(lambda x: gk.jvp(np.sin, (x,), (1.0,))[1])(x) == pytest.approx(-np.sin(x))
    assert gk.jvp(gk.grad(np.sin), (x,), (1.0,))[1] == pytest.approx(-np.sin(x))
    x3 = np.array([0.1, 0.2, 0.3])
    v = np.array([1.0, 0.0, 2.0])
    g_of_jvp = gk.grad(lambda x: gk.jvp(lambda z: np.sum(z**3), (x,), (v,))[1])(x3)
    np.testing.assert_allclose(g_of_jvp, 6 * x3 * v)


def test_tensor_backward_inside_a_transform() -> None:
    """A PyTorch-style backward() run inside gk.grad is itself differentiated."""

    def f(x):
        w = gk.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
        loss = np.sum(w * x**2)
        loss.backward()
        return np.sum(w.grad * x)  # w.grad = x**2, so this is sum(x**3)

    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(gk.grad(f)(x), 3 * x**2)
    np.testing.assert_allclose(gk.jacfwd(f)(x), 3 * x**2)


# --- jacfwd == jacrev on random compositions ---------------------------------------------
UNARY_BLOCKS = [
    ("sin", np.sin),
    ("tanh", np.tanh),
    ("square", lambda z: z * z),
    ("gauss", lambda z: np.exp(-(z**2))),
    ("softplus", lambda z: np.logaddexp(z, 0.0)),
    ("cube/3", lambda z: z**3 / 3.0),
    ("arctan", np.arctan),
]


def _random_composition(data, n: int):
    """A random chain of elementwise maps, matrix products, rolls and reductions."""
    rng = np.random.default_rng(data.draw(SEEDS, label="weights seed"))
    steps = data.draw(st.lists(st.integers(0, len(UNARY_BLOCKS) + 2), min_size=1, max_size=6))
    mats = [rng.standard_normal((n, n)) / np.sqrt(n) for _ in steps]
    out_dim = data.draw(st.sampled_from(["vector", "scalar", "matrix"]))

    def f(x):
        for k, step in enumerate(steps):
            if step < len(UNARY_BLOCKS):
                x = UNARY_BLOCKS[step][1](x)
            elif step == len(UNARY_BLOCKS):
                x = mats[k] @ x
            elif step == len(UNARY_BLOCKS) + 1:
                x = x * np.concatenate([x[1:], x[:1]])
            else:
                x = x + np.mean(x) * x[0]
        if out_dim == "scalar":
            return np.sum(x)
        if out_dim == "matrix":
            return np.outer(x, x[:2])
        return x

    return f


@settings(max_examples=25, deadline=None)
@given(data=st.data(), n=st.integers(1, 5))
def test_jacfwd_equals_jacrev_on_random_compositions(data, n: int) -> None:
    f = _random_composition(data, n)
    x = np.random.default_rng(n).uniform(-1, 1, size=n)
    jf, jr = gk.jacfwd(f)(x), gk.jacrev(f)(x)
    assert jf.shape == jr.shape == np.shape(f(x)) + (n,)
    np.testing.assert_allclose(jf, jr, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(jf, fd.jacobian(f, (x,)), rtol=1e-6, atol=1e-8)


# --- dtypes and shapes -------------------------------------------------------------------
def test_float32_is_preserved_by_every_transform() -> None:
    x = np.array([0.5, 1.0, 1.5], dtype=np.float32)
    f = lambda x: np.sum(np.sin(x) * x**2)
    results = {
        "grad": gk.grad(f)(x),
        "value_and_grad": gk.value_and_grad(f)(x)[1],
        "vjp": gk.vjp(np.sin, x)[1](np.ones(3, np.float32))[0],
        "jvp": gk.jvp(np.sin, (x,), (np.ones(3, np.float32),))[1],
        "jacfwd": gk.jacfwd(np.sin)(x),
        "jacrev": gk.jacrev(np.sin)(x),
        "hessian": gk.hessian(f)(x),
        "hvp": gk.hvp(f, x, np.ones(3, np.float32)),
        "elementwise_grad": gk.elementwise_grad(np.tanh)(x),
    }
    for name, r in results.items():
        assert r.dtype == np.float32, name
    np.testing.assert_allclose(results["grad"], np.cos(x) * x**2 + 2 * x * np.sin(x), rtol=1e-6)
    assert gk.grad(lambda s: s * s)(np.float32(2.0)).dtype == np.float32


def test_float32_param_with_float64_data_gets_a_float32_gradient() -> None:
    w = np.array([1.0, 2.0], dtype=np.float32)
    data = np.array([3.0, 4.0])  # float64: the loss is float64, the gradient still float32
    g = gk.grad(lambda w: np.sum(w * data))(w)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, data)


SHAPE_PAIRS = [((), (3,)), ((3,), ()), ((2, 1), (1, 3)), ((2, 3), (3,)), ((1, 3), (2, 1, 3)),
               ((4, 1, 1), (2, 1))]  # fmt: skip


@settings(max_examples=20, deadline=None)
@given(shapes=st.sampled_from(SHAPE_PAIRS), seed=SEEDS)
def test_gradient_shape_equals_input_shape_under_broadcasting(shapes, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(0.5, 1.5, size=shapes[0]), rng.uniform(0.5, 1.5, size=shapes[1])
    w = rng.standard_normal(np.broadcast_shapes(*shapes))
    f = lambda a, b: np.sum(w * (a * b + a / b + np.maximum(a, 0.0) * np.sin(b)))
    ga, gb = gk.grad(f, argnums=(0, 1))(a, b)
    assert np.shape(ga) == shapes[0] and np.shape(gb) == shapes[1]
    np.testing.assert_allclose(ga, fd.gradient(f, (a, b), 0), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(gb, fd.gradient(f, (a, b), 1), rtol=1e-7, atol=1e-9)
    ja = gk.jacfwd(f, argnums=0)(a, b)
    assert np.shape(ja) == shapes[0]
    np.testing.assert_allclose(ja, ga, rtol=1e-12, atol=1e-12)


def test_jacfwd_and_hessian_trace_the_function_once() -> None:
    """All basis directions go through one batched pass: no Python loop over the input."""
    calls = []

    def f(x):
        calls.append(1)
        return rosenbrock(x)

    x = np.linspace(-1.0, 1.0, 50)
    gk.jacfwd(gk.grad(f))(x)
    assert len(calls) == 1
    calls.clear()
    np.testing.assert_allclose(gk.hessian(f)(x), rosenbrock_hessian(x), rtol=1e-12, atol=1e-9)
    assert len(calls) == 1
    calls.clear()
    gk.jacfwd(lambda v: np.sin(f(v) * v))(x)
    assert len(calls) == 1


def test_inner_transform_closing_over_the_outer_variable_in_every_mix() -> None:
    """f(x) = d/dy sin(x y) at y = x = x cos(x^2); f'(x) = cos(x^2) - 2 x^2 sin(x^2)."""
    x = 0.7
    expected = np.cos(x * x) - 2 * x * x * np.sin(x * x)
    for inner in (gk.grad, gk.jacfwd, gk.jacrev):
        f = lambda x, inner=inner: inner(lambda y: np.sin(x * y))(x)
        for outer in (gk.grad, gk.jacfwd, gk.jacrev):
            assert outer(f)(x) == pytest.approx(expected, abs=1e-14)


def test_jvp_with_a_tangent_that_depends_on_x() -> None:
    """d/dx [jvp(sin, (x,), (x,))] = d/dx [x cos x] = cos x - x sin x."""
    x = 0.7
    f = lambda x: gk.jvp(np.sin, (x,), (x,))[1]
    for outer in (gk.grad, gk.jacfwd):
        assert outer(f)(x) == pytest.approx(np.cos(x) - x * np.sin(x), abs=1e-14)


def test_vjp_function_and_backward_inside_other_transforms() -> None:
    x = 0.7
    assert gk.grad(lambda x: gk.vjp(lambda y: y * x, x)[1](1.0)[0])(x) == pytest.approx(1.0)

    def f(x):
        w = gk.Tensor(2.0, requires_grad=True)
        (w * x * x).backward()
        return w.grad  # x^2

    assert gk.jvp(f, (x,), (1.0,))[1] == pytest.approx(2 * x)


def test_jacrev_of_an_empty_output() -> None:
    x = -np.ones(4)
    f = lambda z: z[z > 0] ** 2  # selects nothing
    assert gk.jacfwd(f)(x).shape == (0, 4)
    np.testing.assert_array_equal(gk.jacrev(f)(x), np.zeros((0, 4)))


def test_jacfwd_of_an_empty_output() -> None:
    x = -np.ones(4)
    np.testing.assert_array_equal(gk.jacfwd(lambda z: z[z > 0] ** 2)(x), np.zeros((0, 4)))
    np.testing.assert_array_equal(gk.grad(lambda z: np.sum(z[z > 0] ** 2))(x), np.zeros(4))


# --- gradients are independent arrays -------------------------------------------------------
def test_gradients_never_share_memory_with_each_other() -> None:
    # x + y hands the same cotangent to both inputs; a.reshape hands a view of it. The
    # caller must be able to update one gradient in place without touching another.
    g = gk.grad(lambda p: np.sum(p[0] + p[1]))([np.ones(3), np.ones(3)])
    assert not np.shares_memory(g[0], g[1])
    g[0] *= 10.0
    np.testing.assert_array_equal(g[1], np.ones(3))

    ga, gb = gk.grad(lambda a, b: np.sum(a.reshape(3) + b), argnums=(0, 1))(
        np.ones((3, 1)), np.ones(3)
    )
    assert not np.shares_memory(ga, gb)
    assert ga.flags.writeable and gb.flags.writeable


def test_gradients_stay_independent_whatever_array_a_rule_returns() -> None:
    # The engine hands over a rule's array as it is only when nothing else refers to it;
    # a shared, read-only or view result is copied or finished first.
    @gk.primitive
    def pair(x, y):
        return x + y

    def same_fresh_array(ans, x, y):
        shared = np.ones(3)  # one new array, the cotangent of both inputs
        return lambda g: shared

    def read_only(ans, x, y):
        r = np.full(3, 2.0)
        r.flags.writeable = False
        return lambda g: r

    def view_of_fresh(ans, x, y):
        return lambda g: np.arange(6.0)[::2]

    for rule_x, rule_y in ((same_fresh_array, same_fresh_array), (read_only, view_of_fresh)):
        gk.defvjp(pair, rule_x, rule_y)
        gx, gy = gk.grad(lambda x, y: np.sum(pair(x, y)), argnums=(0, 1))(np.zeros(3), np.zeros(3))
        assert not np.shares_memory(gx, gy)
        assert gx.flags.writeable and gy.flags.writeable
        before = gy.copy()
        gx += 100.0
        np.testing.assert_array_equal(gy, before)
    np.testing.assert_array_equal(gy, [0.0, 2.0, 4.0])


def test_vjp_result_does_not_alias_the_callers_cotangent() -> None:
    ct = np.array([1.0, 2.0, 3.0])
    (r,) = gk.vjp(lambda x: x, np.zeros(3))[1](ct)
    np.testing.assert_array_equal(r, ct)
    r[0] = 99.0
    assert ct[0] == 1.0


def test_gradient_of_an_identity_is_a_fresh_writeable_array() -> None:
    # The backward pass starts from a shared read-only seed; what reaches the caller is
    # always their own writeable array.
    g1 = gk.grad(lambda x: x)(np.array(2.0))
    g2 = gk.grad(lambda x: x)(np.array(3.0))
    assert g1.flags.writeable and g1 is not g2
    g1[()] = 5.0
    assert float(g2) == 1.0


def test_bias_gradient_sums_rows_exactly_like_a_sum() -> None:
    # The batch-axis unbroadcast goes through BLAS; it must agree with a plain sum.
    rng = np.random.default_rng(3)
    X = rng.standard_normal((257, 5))
    b = rng.standard_normal(5)
    G = rng.standard_normal((257, 5))
    g = gk.grad(lambda b: np.sum((X + b) * G))(b)
    np.testing.assert_allclose(g, G.sum(axis=0), rtol=1e-13, atol=1e-13)
    g32 = gk.grad(lambda b: np.sum((X.astype(np.float32) + b) * G.astype(np.float32)))(
        b.astype(np.float32)
    )
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, G.sum(axis=0), rtol=1e-4, atol=1e-4)


def test_grad_frees_each_intermediate_once_the_backward_pass_is_past_it() -> None:
    # By the time the first operation's rule runs, the later operations' saved arrays
    # have been let go (grad walks its graph once), while vjp_fn, which may be called
    # again, keeps them.
    import weakref

    alive = []
    later = {}

    @gk.primitive
    def first(x):
        return x * 2.0

    @gk.primitive
    def second(x):
        out = x * 3.0
        later["ref"] = weakref.ref(out)
        return out

    def first_rule(ans, x):
        def rule(g):
            alive.append(later["ref"]() is not None)
            return 2.0 * g

        return rule

    gk.defvjp(first, first_rule)
    gk.defvjp(second, lambda ans, x: lambda g: 3.0 * g)
    f = lambda x: np.sum(second(first(x)) ** 2)
    x = np.array([1.0, -2.0])
    np.testing.assert_allclose(gk.grad(f)(x), 2 * 36.0 * x)  # f = 36 x^2
    assert alive == [False]
    out, back = gk.vjp(f, x)
    for _ in range(2):
        np.testing.assert_allclose(back(np.array(1.0))[0], 72.0 * x)
    assert alive[1:] == [True, True]


def _with_hand_made_weight(x):
    # A Tensor made with requires_grad=True inside the function lives on a trace of its own,
    # above the transform's; the output comes back boxed by it.
    w = gk.Tensor(np.array([2.0, 3.0]), requires_grad=True)
    return np.sum(w * x**2)


@pytest.mark.parametrize(
    "transform",
    ["grad", "value_and_grad", "vjp", "jvp", "jacfwd", "jacrev", "hessian", "trace_graph"],
)
def test_a_tensor_made_with_requires_grad_inside_the_function_keeps_the_derivative(transform):
    # d/dx sum(w x^2) = 2 w x, and the Hessian is diag(2 w). These were silently zero.
    from gradkit.autodiff.graph import trace_graph

    x = np.array([1.0, -1.0])
    want = np.array([4.0, -6.0])
    f = _with_hand_made_weight
    if transform == "grad":
        got = gk.grad(f)(x)
    elif transform == "value_and_grad":
        value, got = gk.value_and_grad(f)(x)
        assert float(value) == 5.0
    elif transform == "vjp":
        value, vjp_fn = gk.vjp(f, x)
        (got,) = vjp_fn(1.0)
    elif transform == "jvp":
        value, d0 = gk.jvp(f, (x,), (np.array([1.0, 0.0]),))
        _, d1 = gk.jvp(f, (x,), (np.array([0.0, 1.0]),))
        got = np.array([d0, d1])
    elif transform in ("jacfwd", "jacrev"):
        got = getattr(gk, transform)(f)(x)
    elif transform == "hessian":
        got, want = gk.hessian(f)(x), np.diag([4.0, 6.0])
    else:
        got = np.array([float(trace_graph(f, x).nodes[0].grad[k]) for k in range(2)])
    np.testing.assert_allclose(got, want)


@pytest.mark.parametrize("transform", ["grad", "vjp", "jvp", "jacfwd", "jacrev"])
def test_aux_computed_from_a_hand_made_tensor_comes_back_as_its_plain_value(transform):
    # y = w * x**2 depends on the inputs, so once the transform has returned it is a
    # plain array; w itself depends on nothing traced and comes back as the Tensor it is.
    def f(x):
        w = gk.Tensor(np.array([2.0, 3.0]), requires_grad=True)
        y = w * x**2
        return np.sum(y), (y, w)

    x = np.array([1.0, -2.0])
    if transform == "grad":
        _, (y, w) = gk.grad(f, has_aux=True)(x)
    elif transform == "vjp":
        _, _, (y, w) = gk.vjp(f, x, has_aux=True)
    elif transform == "jvp":
        _, _, (y, w) = gk.jvp(f, (x,), (np.ones(2),), has_aux=True)
    else:
        _, (y, w) = getattr(gk, transform)(f, has_aux=True)(x)
    assert type(y) is np.ndarray
    np.testing.assert_allclose(y, [2.0, 12.0])
    assert isinstance(w, gk.Tensor) and w.requires_grad
    np.testing.assert_allclose(y + 1.0, [3.0, 13.0])  # usable: no leaked tracer


@pytest.mark.parametrize("ddof", [0, 1])
def test_std_of_a_constant_slice_has_gradient_zero_not_nan(ddof) -> None:
    # d std / dx = (x - mean) / ((n - ddof) std) where std > 0; a constant row has no
    # gradient, and 0 is taken there (as for the norm of a zero vector, and as PyTorch).
    A = np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]])
    with np.errstate(all="raise"):  # no 0 * inf on the way
        got = gk.grad(lambda a: np.sum(np.std(a, axis=1, ddof=ddof)))(A)
    row = A[1]
    want = (row - row.mean()) / ((3 - ddof) * np.sqrt(np.sum((row - row.mean()) ** 2) / (3 - ddof)))
    np.testing.assert_allclose(got, [[0.0, 0.0, 0.0], want], rtol=1e-12)
    x = gk.Tensor(np.full(4, 2.5), requires_grad=True)
    np.std(x).backward()
    np.testing.assert_array_equal(x.grad, np.zeros(4))


def _overwrite_first(x):
    x[0] = 5.0  # a write into the input itself
    return np.sum(x * x)


@pytest.mark.parametrize("transform", ["grad", "vjp", "jacrev", "jacfwd", "jvp", "hessian"])
def test_a_write_into_an_input_keeps_the_inputs_gradient(transform) -> None:
    # sum(x^2) after x[0] = 5: d/dx = (0, 2 x1, 2 x2), the Hessian diag(0, 2, 2). The
    # reverse transforms once returned zeros: the box's node had become the write's.
    x = np.array([1.0, 2.0, 3.0])
    want = np.array([0.0, 4.0, 6.0])
    if transform == "grad":
        got = gk.grad(_overwrite_first)(x)
    elif transform == "vjp":
        (got,) = gk.vjp(_overwrite_first, x)[1](1.0)
    elif transform in ("jacrev", "jacfwd"):
        got = getattr(gk, transform)(_overwrite_first)(x)
    elif transform == "jvp":
        got = np.array([gk.jvp(_overwrite_first, (x,), (e,))[1] for e in np.eye(3)])
    else:
        got, want = gk.hessian(_overwrite_first)(x), np.diag([0.0, 2.0, 2.0])
    np.testing.assert_allclose(got, want)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])  # the caller's array is untouched


def test_trace_graph_gives_the_gradient_of_an_input_written_in_place() -> None:
    from gradkit.autodiff.graph import trace_graph

    def f(a, b):
        a[()] = 5.0
        return a * b

    nodes = trace_graph(f, 2.0, 3.0).nodes
    assert [float(n.grad) for n in nodes[:2]] == [0.0, 5.0]


_SEPARATED = [
    ((1, 2, 2), (0, slice(None), np.array([0, 1, 1, 0]))),  # 4 picks = the 4 directions
    ((2, 3, 4), (1, slice(None), np.array([0, 3, 3]))),
    ((2, 3, 4), (np.array([0, 1]), slice(None), np.array([[1, 2], [3, 0]]))),
    ((2, 3, 4), (0, Ellipsis, np.array([1, 2]))),
    ((3, 4), (np.array([0, 2]), np.array([1, 3]))),  # adjacent: nothing moves
]


@pytest.mark.parametrize("shape,idx", _SEPARATED)
def test_forward_mode_through_advanced_indices_separated_by_a_slice(shape, idx) -> None:
    # NumPy moves the axes of advanced indices separated by a slice to the front, ahead of
    # the batch axes forward mode adds; jacfwd and hessian once mixed the two up. The
    # expected values come from where each output element is read from.
    x = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape) / 7.0
    source = np.arange(x.size).reshape(shape)[idx]  # flat input position of each output
    want = np.zeros(source.shape + (x.size,))
    for o in np.ndindex(source.shape):
        want[o + (source[o],)] = 2.0 * x.flat[source[o]]
    got = gk.jacfwd(lambda a: a[idx] ** 2)(x)
    np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-13)
    counts = np.bincount(source.ravel(), minlength=x.size)  # d2/dx2 sum(a[idx]^3)
    hess = gk.hessian(lambda a: np.sum(a[idx] ** 3))(x).reshape(x.size, x.size)
    np.testing.assert_allclose(hess, np.diag(6.0 * x.ravel() * counts), rtol=1e-13)


def test_forward_mode_through_a_write_at_separated_advanced_indices() -> None:
    # y = x * 1; y[0, :, [1, 2]] = x[1, :, [0, 3]]^2: each written entry's derivative is
    # 2 x at its source, every other entry's is 1 (it is x itself).
    x = np.arange(1.0, 25.0).reshape(2, 3, 4) / 5.0
    dst, src = (0, slice(None), np.array([1, 2])), (1, slice(None), np.array([0, 3]))

    def f(a):
        y = a * 1.0
        y[dst] = a[src] ** 2
        return y

    flat = np.arange(x.size).reshape(x.shape)
    want = np.eye(x.size)
    for d, s_ in zip(flat[dst].ravel(), flat[src].ravel()):
        want[d] = 0.0
        want[d, s_] = 2.0 * x.flat[s_]
    for jac in (gk.jacfwd, gk.jacrev):
        np.testing.assert_allclose(jac(f)(x).reshape(x.size, x.size), want, rtol=1e-13)


def test_fmax_and_fmin_let_a_nan_lose_in_the_value_and_the_gradient() -> None:
    x = np.array([1.0, np.nan, -2.0])
    for f, value, slope in (
        (lambda a: np.fmax(a, 0.0), [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]),
        (lambda a: np.fmin(0.0, a), [0.0, 0.0, -2.0], [0.0, 0.0, 1.0]),
    ):
        out, vjp_fn = gk.vjp(f, x)
        np.testing.assert_array_equal(out, value)
        np.testing.assert_array_equal(vjp_fn(np.ones(3))[0], slope)
        np.testing.assert_array_equal(gk.jvp(f, (x,), (np.ones(3),))[1], slope)


@pytest.mark.parametrize(
    "x,want", [(0.5, (0.0, 0.0, 1.0)), (-1.0, (0.0, 0.0, 1.0)), (2.0, (0.0, 0.0, 1.0))]
)
def test_clip_with_lo_above_hi_sends_the_gradient_to_hi(x, want) -> None:
    # np.clip(x, 1, 0) is 0 = hi for every x: d/dhi = 1, the rest 0.
    assert np.clip(x, 1.0, 0.0) == 0.0
    got = gk.grad(np.clip, argnums=(0, 1, 2))(x, 1.0, 0.0)
    assert tuple(float(v) for v in got) == want


@pytest.mark.parametrize(
    "name,f",
    [
        ("var", lambda a: np.var(a, dtype=np.float64)),
        ("std", lambda a: np.std(a, dtype=np.float64)),
        ("cumsum", lambda a: np.cumsum(a, dtype=np.float64)),
        ("cumprod", lambda a: np.cumprod(a, dtype=np.float64)),
        ("trace", lambda a: np.trace(np.outer(a, a), dtype=np.float64)),
    ],
)
def test_a_dtype_argument_is_honoured_under_a_transform(name, f) -> None:
    # It was ignored: float32 in, float32 out, where NumPy computes and returns float64.
    x = np.array([1.0, 2.0, 4.0], dtype=np.float32)
    out, vjp_fn = gk.vjp(f, x)
    want = f(x)
    assert out.dtype == want.dtype == np.float64, name
    np.testing.assert_allclose(out, want, rtol=1e-15)
    assert vjp_fn(np.ones_like(out))[0].dtype == np.float32  # the input's dtype


def test_a_reduction_refuses_an_axis_named_twice_as_numpy_does() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        np.sum(np.ones(3), axis=(0, 0))
    with pytest.raises(ValueError, match=r"sum: duplicate value in axis=\(0, 0\)"):
        gk.grad(lambda a: np.sum(a, axis=(0, 0)))(np.ones(3))


_C = [1.0, 2.0, 3.0]


@pytest.mark.parametrize(
    "f,want",
    [
        (lambda x: np.sum(x**_C), lambda x, c: c * x ** (c - 1)),
        (lambda x: np.sum(np.power(x, tuple(_C))), lambda x, c: c * x ** (c - 1)),
        (lambda x: np.sum(np.power(_C, x)), lambda x, c: c**x * np.log(c)),
        (lambda x: np.sum(_C**x), lambda x, c: c**x * np.log(c)),
        (lambda x: np.sum(np.arctan2(x, _C)), lambda x, c: c / (x * x + c * c)),
        (lambda x: np.sum(np.arctan2(_C, x)), lambda x, c: -c / (x * x + c * c)),
        (lambda x: np.sum(x * _C), lambda x, c: c),
        (lambda x: np.sum(np.cross(x, [1.0, 0.0, 0.0])), lambda x, c: np.array([0.0, -1.0, 1.0])),
    ],
)
def test_a_list_constant_is_an_array_to_the_rules_too(f, want) -> None:
    # The values worked; the rules got the list itself and failed with a bare TypeError.
    x, c = np.array([0.5, 1.5, 2.5]), np.array(_C)
    np.testing.assert_allclose(gk.grad(f)(x), want(x, c), rtol=1e-12)
    np.testing.assert_allclose(gk.jacfwd(f)(x), want(x, c), rtol=1e-12)
