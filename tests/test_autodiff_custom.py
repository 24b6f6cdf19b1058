"""gk.custom_vjp and gk.custom_jvp: rules with residuals, JAX's semantics.

Derivatives are checked against closed forms and central finite differences (tests/fd.py)
of a numerically stable reference, never against the engine itself."""

from __future__ import annotations

import fd
import numpy as np
import pytest

import gradkit as gk

RNG = np.random.default_rng(2525)


def _sigmoid(x):
    return 0.5 * (1 + np.tanh(x / 2))


def _log1pexp_ref(x):  # plain NumPy, stable
    return np.logaddexp(0.0, x)


# --- a numerically stable log1pexp, with each kind of rule ----------------------------
@gk.custom_vjp
def log1pexp_vjp(x):
    return np.log1p(np.exp(x))  # overflows at x = 1000: the rule is what makes it work


def _fwd(x):
    return np.logaddexp(0.0, x), x  # residual: x


def _bwd(x, g):
    return (g * _sigmoid(x),)


log1pexp_vjp.defvjp(_fwd, _bwd)


@gk.custom_jvp
def log1pexp_jvp(x):
    return np.log1p(np.exp(x))


@log1pexp_jvp.defjvp
def _log1pexp_rule(primals, tangents):
    (x,), (t,) = primals, tangents
    return np.logaddexp(0.0, x), t * _sigmoid(x)


KINDS = [log1pexp_vjp, log1pexp_jvp]


@pytest.mark.parametrize("f", KINDS, ids=["custom_vjp", "custom_jvp"])
def test_log1pexp_value_and_gradient_at_1000(f):
    value, g = gk.value_and_grad(f)(1000.0)
    assert float(value) == 1000.0 and float(g) == 1.0
    value, g = gk.value_and_grad(f)(-1000.0)
    assert float(value) == 0.0 and float(g) == pytest.approx(0.0, abs=1e-300)


@pytest.mark.parametrize("f", KINDS, ids=["custom_vjp", "custom_jvp"])
@pytest.mark.parametrize("shape", [(), (4,), (2, 3)])
def test_log1pexp_gradient_matches_finite_differences(f, shape):
    x = RNG.normal(scale=3.0, size=shape)
    g = gk.grad(lambda x: np.sum(f(x) ** 2))(x)
    want = fd.gradient(lambda x: np.sum(_log1pexp_ref(x) ** 2), (x,))
    np.testing.assert_allclose(g, want, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("f", KINDS, ids=["custom_vjp", "custom_jvp"])
def test_log1pexp_second_order_closed_form(f):
    x = np.array([-2.0, 0.3, 4.0])
    s = _sigmoid(x)
    np.testing.assert_allclose(gk.elementwise_grad(gk.elementwise_grad(f))(x), s * (1 - s))
    np.testing.assert_allclose(gk.hessian(lambda x: np.sum(f(x)))(x), np.diag(s * (1 - s)))
    s3 = float(_sigmoid(0.3))
    assert float(gk.grad(gk.grad(f))(0.3)) == pytest.approx(s3 * (1 - s3))


def test_custom_jvp_forward_mode():
    x = np.array([-1.0, 0.5, 1000.0])
    out, t = gk.jvp(log1pexp_jvp, (x,), (np.array([1.0, 2.0, 3.0]),))
    np.testing.assert_allclose(out, _log1pexp_ref(x))
    np.testing.assert_allclose(t, np.array([1.0, 2.0, 3.0]) * _sigmoid(x))
    np.testing.assert_allclose(gk.jacfwd(log1pexp_jvp)(x), np.diag(_sigmoid(x)))
    np.testing.assert_allclose(
        gk.jacfwd(gk.grad(lambda x: np.sum(log1pexp_jvp(x))))(x),
        np.diag(_sigmoid(x) * (1 - _sigmoid(x))),
    )


def test_outside_transforms_the_function_itself_runs():
    calls = []

    @gk.custom_vjp
    def f(x):
        calls.append("f")
        return 2 * x

    f.defvjp(lambda x: (calls.append("fwd") or 2 * x, None), lambda r, g: (2 * g,))
    assert float(f(3.0)) == 6.0 and calls == ["f"]
    assert float(gk.grad(f)(3.0)) == 2.0 and calls == ["f", "fwd"]  # f itself not rerun


def test_residuals_are_saved_not_recomputed():
    calls = {"exp": 0}

    def counted_exp(x):
        calls["exp"] += 1
        return np.exp(x)

    @gk.custom_vjp
    def softplus(x):
        return np.log1p(counted_exp(x))

    def fwd(x):
        e = counted_exp(x)
        return np.log1p(e), e

    softplus.defvjp(fwd, lambda e, g: (g * e / (1 + e),))
    x = np.array([0.1, -0.4])
    g = gk.grad(lambda x: np.sum(softplus(x)))(x)
    assert calls["exp"] == 1  # the backward pass used the saved exp(x)
    np.testing.assert_allclose(g, _sigmoid(x))


def test_pytree_arguments_and_outputs_several_arguments():
    @gk.custom_vjp
    def f(params, x):
        return {"y": params["w"] * x, "s": np.sum(params["b"] * x)}

    def fwd(params, x):
        return f.fun(params, x), (params, x)

    def bwd(res, g):
        params, x = res
        dparams = {"w": g["y"] * x, "b": g["s"] * x}
        return dparams, g["y"] * params["w"] + g["s"] * params["b"]

    f.defvjp(fwd, bwd)
    params = {"w": RNG.normal(size=3), "b": RNG.normal(size=3)}
    x = RNG.normal(size=3)

    def loss(params, x):
        out = f(params, x)
        return np.sum(np.sin(out["y"])) + out["s"] ** 2

    def ref(w, b, x):
        return np.sum(np.sin(w * x)) + np.sum(b * x) ** 2

    gp, gx = gk.grad(loss, argnums=(0, 1))(params, x)
    args = (params["w"], params["b"], x)
    np.testing.assert_allclose(gp["w"], fd.gradient(ref, args, 0), rtol=1e-7)
    np.testing.assert_allclose(gp["b"], fd.gradient(ref, args, 1), rtol=1e-7)
    np.testing.assert_allclose(gx, fd.gradient(ref, args, 2), rtol=1e-7)
    # only x traced: the constant params need no cotangent of the right kind
    np.testing.assert_allclose(gk.grad(loss, argnums=1)(params, x), gx)


def test_nondiff_argnums():
    f = gk.custom_vjp(lambda k, x: np.sin(k * x), nondiff_argnums=(0,))
    f.defvjp(lambda k, x: (np.sin(k * x), x), lambda k, x, g: (g * k * np.cos(k * x),))
    assert float(gk.grad(f, argnums=1)(3, 0.2)) == pytest.approx(3 * np.cos(0.6))

    h = gk.custom_jvp(lambda k, x: np.sin(k * x), nondiff_argnums=(0,))
    h.defjvp(lambda k, p, t: (np.sin(k * p[0]), t[0] * k * np.cos(k * p[0])))
    assert float(gk.grad(h, argnums=1)(3, 0.2)) == pytest.approx(3 * np.cos(0.6))
    assert float(gk.jvp(lambda x: h(3, x), (0.2,), (1.0,))[1]) == pytest.approx(3 * np.cos(0.6))
    with pytest.raises(TypeError, match="argument 0 is in nondiff_argnums but is traced"):
        gk.grad(f, argnums=0)(3.0, 0.2)


def test_jit_of_grad_through_a_custom_vjp():
    loss = lambda x: np.sum(log1pexp_vjp(x) * x)  # noqa: E731
    step = gk.jit(gk.grad(loss))
    for _ in range(2):
        x = RNG.normal(size=5)
        np.testing.assert_array_equal(step(x), gk.grad(loss)(x))


def test_eager_tensor_backward_through_a_custom_vjp():
    t = gk.Tensor(np.array([0.5, 1000.0]), requires_grad=True)
    np.sum(log1pexp_vjp(t)).backward()
    np.testing.assert_allclose(t.grad, _sigmoid(np.array([0.5, 1000.0])))


# --- errors --------------------------------------------------------------------------
def _with_bwd(bwd, fwd=None):
    @gk.custom_vjp
    def bad(x, y):
        return x * y

    bad.defvjp(fwd or (lambda x, y: (x * y, (x, y))), bwd)
    return bad


def test_bwd_errors_name_the_function():
    x, y = np.ones(3), np.ones(3)
    cases = [
        (lambda r, g: (g,), TypeError, r"bad: the bwd rule returned 1 cotangent\(s\) for 2"),
        (lambda r, g: g, TypeError, "bad: the bwd rule returned ndarray; it must return a tuple"),
        (lambda r, g: (g, np.ones(2)), ValueError, r"shape \(2,\) for argument 1, whose shape"),
        (lambda r, g: (g, g.astype(np.float32)), TypeError, "dtype float32 for argument 1"),
        (lambda r, g: (g, g + 1j), TypeError, "dtype complex128 for argument 1"),
        (lambda r, g: (g, [g]), TypeError, "structure .* for argument 1"),
        (lambda r, g: (g, "zero"), TypeError, "cotangent of argument 1"),
    ]
    for bwd, err, msg in cases:
        with pytest.raises(err, match=msg):
            bad = _with_bwd(bwd)
            gk.grad(lambda x, y, bad=bad: np.sum(bad(x, y)), argnums=(0, 1))(x, y)
    bad = _with_bwd(lambda r, g: (g, None), fwd=lambda x, y: x * y)
    with pytest.raises(TypeError, match="bad: the fwd rule returned .* pair"):
        gk.grad(lambda x: np.sum(bad(x, y)))(x)
    ok = _with_bwd(lambda r, g: (g * r[1], None))  # None: a zero cotangent
    np.testing.assert_array_equal(gk.grad(lambda y: np.sum(ok(x, y)))(y), np.zeros(3))


def test_mode_and_rule_errors():
    with pytest.raises(TypeError, match="log1pexp_vjp is a custom_vjp function.*forward-mode"):
        gk.jvp(log1pexp_vjp, (1.0,), (1.0,))
    with pytest.raises(TypeError, match="forward-mode"):
        gk.jacfwd(log1pexp_vjp)(np.ones(2))

    @gk.custom_vjp
    def norule(x):
        return x

    with pytest.raises(TypeError, match=r"norule is a custom_vjp function without a rule.*defvjp"):
        gk.grad(norule)(1.0)

    @gk.custom_jvp
    def nonlinear(x):
        return np.sin(x)

    nonlinear.defjvp(lambda p, t: (np.sin(p[0]), np.cos(p[0]) * t[0] ** 2))
    with pytest.raises(TypeError, match="nonlinear: .* and this rule.s is not"):
        gk.grad(nonlinear)(0.3)
    affine = gk.custom_jvp(np.sin)
    affine.defjvp(lambda p, t: (np.sin(p[0]), np.cos(p[0]) * t[0] + 1.0))
    with pytest.raises(TypeError, match="rule.s is not"):
        gk.grad(affine)(0.3)
    wrong = gk.custom_jvp(np.sin)
    wrong.defjvp(lambda p, t: (np.sin(p[0]), np.ones(3)))
    with pytest.raises(ValueError, match=r"tangent of shape \(3,\) for an output of shape \(\)"):
        gk.jvp(wrong, (0.3,), (1.0,))


def test_closure_over_a_traced_value_is_refused():
    def loss(w):
        @gk.custom_vjp
        def f(x):
            return x * w

        f.defvjp(lambda x: (x * w, None), lambda r, g: (g,))
        return f(np.float64(2.0)) + f(w)

    with pytest.raises(TypeError, match="closure over a traced value"):
        gk.grad(loss)(1.5)


def test_vjp_fn_called_twice_with_the_same_array_runs_bwd_each_time():
    calls = []

    @gk.custom_vjp
    def f(x, y):
        return x * y

    def bwd(res, g):
        calls.append(1)
        return g * res[1], g * res[0]

    f.defvjp(lambda x, y: (x * y, (x, y)), bwd)
    _, pull = gk.vjp(f, np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    c = np.array([1.0, 1.0])
    first = pull(c)
    c *= 2.0  # the same array, changed in place: the answer must follow it
    second = pull(c)
    assert len(calls) == 2  # once per backward pass, shared by both arguments
    np.testing.assert_array_equal(first[0], [3.0, 4.0])
    np.testing.assert_array_equal(second[0], [6.0, 8.0])
    np.testing.assert_array_equal(second[1], [2.0, 4.0])
