"""gk.vmap with the other transforms in every order, its in_axes/out_axes semantics and its
errors. Answers come from loops of single calls, finite differences and closed forms."""

from __future__ import annotations

import fd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradkit as gk


def _mlp_loss(params, x, y):
    h = np.tanh(x @ params["w1"] + params["b1"])
    logits = h @ params["w2"] + params["b2"]
    shifted = logits - np.max(logits)
    logp = shifted - np.log(np.sum(np.exp(shifted)))
    return -logp[y]


def _mlp(seed=0, n=5):
    rng = np.random.default_rng(seed)
    params = {
        "w1": rng.standard_normal((4, 6)) * 0.5,
        "b1": rng.standard_normal(6) * 0.1,
        "w2": rng.standard_normal((6, 3)) * 0.5,
        "b2": rng.standard_normal(3) * 0.1,
    }
    return params, rng.standard_normal((n, 4)), rng.integers(0, 3, size=n)


@pytest.mark.parametrize("jit", [False, True])
def test_per_example_gradients_of_an_mlp_equal_the_loop(jit):
    params, X, y = _mlp()
    per_example = gk.vmap(gk.grad(_mlp_loss), in_axes=(None, 0, 0))
    if jit:
        per_example = gk.jit(per_example)
    for trial in range(2):  # jit: the recording, then a replay on new data
        params, X, y = _mlp(seed=trial)
        got = per_example(params, X, y)
        for k in params:
            want = np.stack([gk.grad(_mlp_loss)(params, X[i], y[i])[k] for i in range(len(X))])
            np.testing.assert_allclose(got[k], want, rtol=1e-12, atol=1e-12)
    # and against finite differences of one example's loss
    i = 2
    fd_w2 = fd.jacobian(lambda w2: _mlp_loss({**params, "w2": w2}, X[i], y[i]), (params["w2"],))
    np.testing.assert_allclose(got["w2"][i], fd_w2.reshape(6, 3), rtol=1e-7, atol=1e-8)


def test_grad_of_vmap_against_finite_differences_and_closed_form():
    x = np.random.default_rng(1).uniform(-1, 1, (4, 3))

    def total(x):
        return np.sum(gk.vmap(lambda r: np.sin(r) @ np.cos(r))(x) ** 2)

    g = gk.grad(total)(x)
    s = np.sum(np.sin(x) * np.cos(x), axis=1, keepdims=True)
    np.testing.assert_allclose(g, 2 * s * np.cos(2 * x), rtol=1e-12)  # d(sin cos) = cos 2x
    np.testing.assert_allclose(g, fd.jacobian(total, (x,)).reshape(4, 3), rtol=1e-8)


def test_jacfwd_jacrev_and_hessian_of_vmap_and_vmap_of_them():
    x = np.random.default_rng(2).uniform(0.5, 1.5, (3, 2))

    def f(r):
        return np.array([r[0] * r[1], np.exp(r[0])])

    jf = gk.jacfwd(gk.vmap(f))(x)  # shape (3, 2, 3, 2): block diagonal in the batch
    want = np.zeros((3, 2, 3, 2))
    for i, (a, b) in enumerate(x):
        want[i, :, i, :] = [[b, a], [np.exp(a), 0.0]]
    np.testing.assert_allclose(jf, want, rtol=1e-12)
    np.testing.assert_allclose(gk.jacrev(gk.vmap(f))(x), want, rtol=1e-12)
    per = np.stack([want[i, :, i, :] for i in range(3)])
    np.testing.assert_allclose(gk.vmap(gk.jacfwd(f))(x), per, rtol=1e-12)
    np.testing.assert_allclose(gk.vmap(gk.jacrev(f))(x), per, rtol=1e-12)
    h = gk.vmap(gk.hessian(lambda r: r[0] ** 2 * r[1]))(x)
    want_h = np.stack([[[2 * b, 2 * a], [2 * a, 0.0]] for a, b in x])
    np.testing.assert_allclose(h, want_h, rtol=1e-12)


def test_vmap_of_vmap_equals_a_double_loop_with_axes_and_none():
    rng = np.random.default_rng(3)
    a, w = rng.standard_normal((4, 5, 3)), rng.standard_normal(3)

    def f(row, w):
        return np.tanh(row * w).sum() + row[0]

    got = gk.vmap(gk.vmap(f, in_axes=(0, None)), in_axes=(1, None))(a, w)
    want = np.array([[f(a[i, j], w) for i in range(4)] for j in range(5)])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    g = gk.grad(lambda a: np.sum(gk.vmap(gk.vmap(f, in_axes=(0, None)), in_axes=(0, None))(a, w)))
    loop = lambda a: np.sum([[f(a[i, j], w) for j in range(5)] for i in range(4)])  # noqa: E731
    np.testing.assert_allclose(g(a), fd.jacobian(loop, (a,)).reshape(a.shape), rtol=1e-8)


def test_vmap_of_jvp_and_vjp_and_hvp_of_many_vectors():
    x = np.array([0.3, -0.7, 1.1])
    V = np.eye(3)[:2] + 0.5

    def f(x):
        return np.sum(np.sin(x) * x**2)

    hess = gk.hessian(f)(x)
    np.testing.assert_allclose(gk.vmap(lambda v: gk.hvp(f, x, v))(V), V @ hess, rtol=1e-12)
    tangents = gk.vmap(lambda v: gk.jvp(np.sin, (x,), (v,))[1])(V)
    np.testing.assert_allclose(tangents, V * np.cos(x), rtol=1e-12)
    _, vjp_fn = gk.vjp(np.sin, x)
    np.testing.assert_allclose(gk.vmap(vjp_fn)(V)[0], V * np.cos(x), rtol=1e-12)


def test_in_axes_pytrees_negative_axes_out_axes_keywords_and_axis_size():
    rng = np.random.default_rng(4)
    tree = {"a": rng.standard_normal((2, 3)), "b": rng.standard_normal(3)}
    x = rng.standard_normal((4, 3))

    def f(t, x, scale=1.0):
        return {"s": np.sum(t["a"] @ x) * scale, "v": t["b"] * x}

    xs = x[:, :3]
    batch_b = rng.standard_normal((3, 4))
    got = gk.vmap(f, in_axes=({"a": None, "b": 0}, 1), out_axes={"s": 0, "v": -1})(
        {"a": tree["a"], "b": batch_b[:, :3]}, xs[:3].T
    )
    for i in range(3):
        one = f({"a": tree["a"], "b": batch_b[i, :3]}, xs[:3].T[:, i])
        np.testing.assert_allclose(got["s"][i], one["s"], rtol=1e-12)
        np.testing.assert_allclose(got["v"][..., i], one["v"], rtol=1e-12)
    # keyword arguments are mapped along axis 0, as JAX maps them
    scales = np.array([1.0, 2.0, 3.0, 4.0])
    got = gk.vmap(lambda x, scale: np.sum(x) * scale)(x, scale=scales)
    np.testing.assert_allclose(got, x.sum(1) * scales)
    # nothing mapped: axis_size gives the batch, every output repeats
    np.testing.assert_allclose(gk.vmap(lambda w: w * 2, in_axes=None, axis_size=3)(x[0]),
                               np.stack([x[0] * 2] * 3))  # fmt: skip
    # an output that does not depend on the mapped input, with out_axes None
    out = gk.vmap(lambda x, w: (x * w, w + 1), in_axes=(0, None), out_axes=(0, None))(x, 1.0)
    assert float(out[1]) == 2.0


def test_vmap_errors_are_clear():
    x, y = np.ones((3, 2)), np.ones((4, 2))
    with pytest.raises(ValueError, match=r"different sizes.*argument 0 has size 3.*size 4"):
        gk.vmap(lambda a, b: a + b)(x, y)
    with pytest.raises(ValueError, match="in_axes has 1 entries but .* 2 positional"):
        gk.vmap(lambda a, b: a + b, in_axes=(0,))(x, x)
    with pytest.raises(ValueError, match="mapped along axis 2, but it has only 2"):
        gk.vmap(np.sin, in_axes=2)(x)
    with pytest.raises(ValueError, match="scalar"):
        gk.vmap(np.sin)(1.0)
    with pytest.raises(TypeError, match="in_axes holds 'x'"):
        gk.vmap(np.sin, in_axes="x")
    with pytest.raises(ValueError, match="no argument is mapped"):
        gk.vmap(np.sin, in_axes=None)(x)
    with pytest.raises(ValueError, match="out_axes is None .* differs between examples"):
        gk.vmap(np.sin, out_axes=None)(x)
    with pytest.raises(ValueError, match="keys"):
        gk.vmap(lambda t: t["a"], in_axes=({"b": 0},))({"a": x})
    with pytest.raises(gk.TracerConversionError, match="vmap: the value of a batched array"):
        gk.vmap(lambda r: r if r[0] > 0 else -r)(x)
    with pytest.raises(gk.TracerConversionError, match="vmap"):  # a shape from values
        gk.vmap(lambda r: np.nonzero(r)[0])(x)
    with pytest.raises(ValueError, match="axis_size"):
        gk.vmap(np.sin, axis_size=-1)
    with pytest.raises(ValueError, match="axis_size=5"):
        gk.vmap(np.sin, axis_size=5)(x)
    leaked = []
    gk.vmap(lambda r: leaked.append(r) or r)(x)
    with pytest.raises(gk.LeakedTracerError, match="vmap"):
        np.sin(leaked[0])


def test_user_primitive_without_a_batching_rule_is_refused_by_name_and_can_get_one():
    @gk.primitive
    def cube(x):
        return x**3

    gk.defvjp(cube, lambda ans, x: lambda g: 3 * g * x**2)
    with pytest.raises(gk.NoRuleError, match="vmap: cube cannot be batched"):
        gk.vmap(cube)(np.ones((2, 3)))
    cube.batch = lambda batched, x: cube(x)  # elementwise: the batch passes through
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(gk.vmap(cube)(x), x**3)
    np.testing.assert_allclose(gk.vmap(gk.grad(lambda r: np.sum(cube(r))))(x), 3 * x**2)


_UNARY = [np.sin, np.tanh, np.exp, lambda r: r @ r, lambda r: np.cumsum(r[::-1])[1:],
          lambda r: np.outer(r, r).sum(0), lambda r: np.sort(r) * r, lambda r: r.T[:, None] * 2,
          lambda r: np.max(r, axis=-1, keepdims=True), lambda r: np.concatenate([r, r**2]),
          lambda r: np.linalg.norm(r), lambda r: np.where(r > 0, r, 0.1 * r)]  # fmt: skip


@settings(max_examples=30, deadline=None)
@given(
    st.integers(0, len(_UNARY) - 1),
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(-2, 1),
    st.integers(0, 2**31),
)
def test_vmap_along_any_axis_equals_the_loop(k, batch, n, axis, seed):
    """Random functions, batch sizes and mapped axes: vmap equals stacking, and so do its
    per-example gradients."""
    fn = _UNARY[k]
    x = np.random.default_rng(seed).uniform(-2, 2, (batch, n))
    moved = np.moveaxis(x, 0, axis)
    got = gk.vmap(fn, in_axes=axis)(moved)
    np.testing.assert_allclose(got, np.stack([np.asarray(fn(r)) for r in x]), rtol=1e-12)
    g = gk.grad(lambda r: np.sum(fn(r)))
    np.testing.assert_allclose(gk.vmap(g, in_axes=axis)(moved), np.stack([g(r) for r in x]),
                               rtol=1e-12, atol=1e-14)  # fmt: skip


def test_custom_rules_under_vmap():
    """vmap(grad) of custom_vjp/custom_jvp functions uses their rules (a rule that is
    deliberately not the true derivative shows it); grad of vmap refuses clearly."""

    @gk.custom_vjp
    def f(x):
        return np.sin(x)

    f.defvjp(lambda x: (np.sin(x), 2 * np.cos(x)), lambda c, g: (g * c,))

    @gk.custom_jvp
    def h(x):
        return np.sin(x)

    h.defjvp(lambda p, t: (np.sin(p[0]), 2 * np.cos(p[0]) * t[0]))
    x = np.linspace(0, 1, 6).reshape(2, 3)
    np.testing.assert_allclose(gk.vmap(f)(x), np.sin(x))
    for fn in (f, h):
        got = gk.vmap(gk.grad(lambda r, fn=fn: np.sum(fn(r))))(x)
        np.testing.assert_allclose(got, 2 * np.cos(x))
    with pytest.raises(TypeError, match="custom derivative rule.*gk.vmap\\(gk.grad"):
        gk.grad(lambda x: np.sum(gk.vmap(f)(x)))(x)


def test_hvp_of_many_vectors_equals_hessian_products_and_single_calls():
    def f(p):
        return np.sum(np.sin(p["a"])) * np.sum(p["b"] ** 3) + np.prod(p["a"])

    rng = np.random.default_rng(5)
    x = {"a": rng.uniform(-1, 1, 3), "b": rng.uniform(-1, 1, 2)}
    V = {"a": rng.standard_normal((4, 3)), "b": rng.standard_normal((4, 2))}
    got = gk.hvp(f, x, V)
    for i in range(4):
        one = gk.hvp(f, x, {"a": V["a"][i], "b": V["b"][i]})
        for k in x:
            np.testing.assert_allclose(got[k][i], one[k], rtol=1e-12, atol=1e-14)
    flat = lambda z: f({"a": z[:3], "b": z[3:]})  # noqa: E731
    hess = gk.hessian(flat)(np.concatenate([x["a"], x["b"]]))
    want = np.concatenate([V["a"], V["b"]], axis=1) @ hess
    np.testing.assert_allclose(np.concatenate([got["a"], got["b"]], axis=1), want, rtol=1e-12)
    np.testing.assert_allclose(hess, fd.jacobian(gk.grad(flat), (np.r_[x["a"], x["b"]],)),
                               rtol=1e-7, atol=1e-8)  # fmt: skip


def test_jacrev_is_one_batched_backward_pass_with_the_loops_results():
    rng = np.random.default_rng(6)
    W = rng.standard_normal((5, 4))

    def f(x):
        return {"y": np.tanh(W @ x) * x[0], "z": np.sum(x**2)}

    x = rng.standard_normal(4)
    jac = gk.jacrev(f)(x)
    rows = []
    for k in range(5):  # the loop it replaces: one VJP per output element
        _, vjp_fn = gk.vjp(f, x)
        rows.append(vjp_fn({"y": np.eye(5)[k], "z": np.float64(0.0)})[0])
    np.testing.assert_allclose(jac["y"], np.stack(rows), rtol=1e-14)
    np.testing.assert_allclose(jac["z"], 2 * x, rtol=1e-14)
    np.testing.assert_allclose(jac["y"], fd.jacobian(lambda x: f(x)["y"], (x,)), rtol=1e-8)
    np.testing.assert_allclose(gk.jacrev(f)(x)["y"], gk.jacfwd(f)(x)["y"], rtol=1e-13)


_JIT_FUNCTIONS = {
    "softmax": lambda r: np.exp(r - np.max(r)) / np.sum(np.exp(r - np.max(r))),
    "relu layer": lambda r: np.maximum(r @ np.ones((3, 2)), 0.0) + np.clip(r[:2], -0.5, 0.5),
    "label pick": lambda r: r[np.argmax(r)] - np.mean(r),
    "linalg": lambda r: np.linalg.solve(np.outer(r, r) + 4 * np.eye(3), r),
    "reshape/transpose": lambda r: (np.reshape(np.concatenate([r, r * 2]), (2, 3)).T ** 2).ravel(),
}


@pytest.mark.parametrize("name", sorted(_JIT_FUNCTIONS))
def test_jit_of_vmap_and_vmap_of_grad_replay_on_new_data(name):
    fn = _JIT_FUNCTIONS[name]
    batched = gk.jit(gk.vmap(fn))
    per_example_grads = gk.jit(gk.vmap(gk.grad(lambda r: np.sum(fn(r) ** 2))))
    for seed in range(3):  # the recording, then replays
        X = np.random.default_rng(seed).uniform(-1, 1, (5, 3))
        np.testing.assert_allclose(batched(X), np.stack([fn(r) for r in X]), rtol=1e-12)
        g = gk.grad(lambda r: np.sum(fn(r) ** 2))
        np.testing.assert_allclose(per_example_grads(X), np.stack([g(r) for r in X]), rtol=1e-12)


def test_values_inside_vmap_print_their_example_shape_and_edge_cases():
    seen = []
    gk.vmap(lambda x: seen.append(repr(x)) or x)(np.ones((2, 3)))
    gk.vmap(gk.grad(lambda x: seen.append(repr(x)) or np.sum(x)))(np.ones((2, 3)))
    assert seen == [
        "Tensor(shape=(3,), dtype=float64, traced by gk.vmap)",
        "Tensor(shape=(3,), dtype=float64, traced by gk.grad)",
    ]
    assert gk.vmap(lambda x: x.shape[0] * x)(np.ones((2, 3))).tolist() == [[3.0] * 3] * 2
    assert gk.vmap(np.sin)(np.ones((0, 3))).shape == (0, 3)  # an empty batch
    assert gk.vmap(lambda x: np.sum(x**2))(np.ones((0, 3))).shape == (0,)
    labels, table = np.array([0, 2, 1]), np.arange(9.0).reshape(3, 3)
    assert gk.vmap(lambda y, t: t[y])(labels, table).tolist() == [0.0, 5.0, 7.0]
    mask = np.array([[True, False], [False, True]])
    assert gk.vmap(lambda m, x: np.where(m, x, 0))(mask, np.ones((2, 2))).tolist() == [
        [1.0, 0.0],
        [0.0, 1.0],
    ]


def test_user_jvp_rules_under_jacfwd_are_batched_by_vmap():
    """gk.defjvp and gk.custom_jvp rules see one direction; jacfwd/hessian push all of
    them through one vmap'd call (checked against closed forms)."""

    @gk.custom_jvp
    def h(x, y):
        return np.sin(x) * y

    h.defjvp(lambda p, t: (np.sin(p[0]) * p[1], np.cos(p[0]) * p[1] * t[0] + np.sin(p[0]) * t[1]))
    x, y = np.array([0.3, 0.5]), np.array([2.0, 3.0])
    jx, jy = gk.jacfwd(h, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(jx, np.diag(np.cos(x) * y), rtol=1e-14)
    np.testing.assert_allclose(jy, np.diag(np.sin(x)), rtol=1e-14)
    np.testing.assert_allclose(gk.hessian(lambda x: np.sum(h(x, y)))(x), np.diag(-np.sin(x) * y))

    @gk.primitive
    def cube(x):
        return x**3

    gk.defjvp(cube, lambda g, ans, x: 3 * g * x**2)
    np.testing.assert_allclose(gk.jacfwd(cube)(x), np.diag(3 * x**2), rtol=1e-14)

    @gk.custom_jvp
    def bad(x):
        return np.sin(x)

    bad.defjvp(lambda p, t: (np.sin(p[0]) + t[0], t[0]))
    with pytest.raises(TypeError, match="bad: the jvp rule's output .* depends on the tangents"):
        gk.jacfwd(bad)(x)


def _set(t, idx, v):
    t[idx] = v
    return t


_INDEXING = {  # (x, y, z, w) -> ..., with y, z, w integer indices that differ per example
    "x[y]": lambda x, y, z, w: x[y],
    "x[:, z]": lambda x, y, z, w: x[:, z],
    "x[y, z]": lambda x, y, z, w: x[y, z],
    "x[y, :, w]": lambda x, y, z, w: x[y, :, w],
    "x[:, z, w]": lambda x, y, z, w: x[:, z, w],
    "x[None, y]": lambda x, y, z, w: x[None, y],
    "x[1:, z]": lambda x, y, z, w: x[1:, z],
    "x[y][z]": lambda x, y, z, w: x[y][z],
    "x[[0, 2], :, w]": lambda x, y, z, w: x[[0, 2], :, w],
    "x[y, z] = 7": lambda x, y, z, w: _set(x * 1.0, (y, z), 7.0),
    "x[:, z] = x[0, :2]": lambda x, y, z, w: _set(x * 1.0, (slice(None), z), x[0, :2] ** 2),
}


@pytest.mark.parametrize("name", sorted(_INDEXING))
def test_indices_that_differ_between_examples(name):
    fn = _INDEXING[name]
    rng = np.random.default_rng(7)
    X, Y = rng.standard_normal((5, 3, 4, 2)), rng.integers(0, 3, 5)
    Z, W = rng.integers(0, 4, (5, 2)), rng.integers(0, 2, (5, 2))
    want = np.stack([fn(X[i], Y[i], Z[i], W[i]) for i in range(5)])
    if np.__version__.startswith("2.0."):  # 3 of 120 entries 1 ulp apart on NumPy 2.0
        np.testing.assert_array_max_ulp(gk.vmap(fn)(X, Y, Z, W), want, maxulp=1)
    else:
        np.testing.assert_array_equal(gk.vmap(fn)(X, Y, Z, W), want)
    g = gk.grad(lambda x, y, z, w: np.sum(fn(x, y, z, w) ** 2))
    want = np.stack([g(X[i], Y[i], Z[i], W[i]) for i in range(5)])
    np.testing.assert_allclose(gk.vmap(g)(X, Y, Z, W), want, rtol=1e-14)
    np.testing.assert_allclose(gk.jit(gk.vmap(g))(X, Y, Z, W), want, rtol=1e-14)


def test_per_example_gradients_with_dataclass_parameters():
    import dataclasses

    @gk.tree.register_dataclass
    @dataclasses.dataclass
    class Linear:
        w: np.ndarray
        b: np.ndarray

    def loss(p, x, y):
        return (np.tanh(x @ p.w + p.b) - y) ** 2

    rng = np.random.default_rng(8)
    p = Linear(rng.standard_normal(3), np.array(0.1))
    X, Y = rng.standard_normal((4, 3)), rng.standard_normal(4)
    got = gk.vmap(gk.grad(loss), in_axes=(None, 0, 0))(p, X, Y)
    assert isinstance(got, Linear)
    r = np.tanh(X @ p.w + p.b)
    common = 2 * (r - Y) * (1 - r**2)  # closed form: d/dz (tanh z - y)^2
    np.testing.assert_allclose(got.w, common[:, None] * X, rtol=1e-13)
    np.testing.assert_allclose(got.b, common, rtol=1e-13)


def test_repeated_traced_index_writes_keep_only_the_last_write_under_jit_and_vmap():
    """x[idx] = v with repeated positions in a traced index (gk.jit's argsort, vmap's
    per-example labels): only the last write to a position receives v's cotangent, as
    without the transforms. (gk.jit(gk.grad) gave every write one before.)"""

    def f(x):
        idx = np.argsort(x[:, 0]) % 2  # repeats positions 0 and 1
        return np.sum(_set(x * 1.0, (idx,), x[0] * 3) ** 2)

    x = np.arange(12.0).reshape(4, 3) / 10
    want = gk.grad(f)(x)
    np.testing.assert_allclose(want, fd.jacobian(f, (x,)).reshape(x.shape), rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(gk.jit(gk.grad(f))(x), want, rtol=1e-14)
    np.testing.assert_allclose(gk.jit(gk.grad(f))(x[::-1] * 2), gk.grad(f)(x[::-1] * 2))
    X = np.stack([x, x[::-1], x * 2])
    np.testing.assert_allclose(gk.vmap(gk.grad(f))(X), np.stack([gk.grad(f)(e) for e in X]))


def test_vmap_on_eager_tensors_backpropagates():
    """PyTorch style: vmap of Tensors that require grad, then backward()."""
    x = np.random.default_rng(9).uniform(-1, 1, (3, 4))
    t = gk.Tensor(x, requires_grad=True)
    out = gk.vmap(lambda r: np.sum(np.sin(r) ** 2))(t)
    np.testing.assert_allclose(out.numpy(), np.sum(np.sin(x) ** 2, axis=1))
    out.sum().backward()
    np.testing.assert_allclose(t.grad, np.sin(2 * x), rtol=1e-13)  # 2 sin cos
    assert np.all(gk.vmap(np.sin)(gk.Tensor(np.zeros((2, 3)))) == 0.0)  # a constant Tensor
