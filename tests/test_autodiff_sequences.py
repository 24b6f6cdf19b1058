"""Arrays built from Python sequences that hold traced values (gradkit.autodiff.sequences).

Each program below is plain NumPy code of the kind autograd's tests and user code write:
``np.array([a * b, np.sin(c)])``, ``np.asarray``, nested lists mixed with constants,
``np.r_``/``np.c_``, ``np.append`` of a list, reductions and norms of lists. For random
inputs the tests check, against NumPy itself and central finite differences (tests/fd.py),

- the value under ``gk.vjp`` and ``gk.jvp`` equals NumPy's own, bit for bit, dtype too;
- reverse mode (a random cotangent) and forward mode (a random tangent);
- first and second derivatives in every mix of modes (``gk.check_grads``, order 2);
- ``gk.jit`` and ``gk.jit(gk.grad(...))`` give the same answers as without jit, on
  several inputs (so the replay is not a frozen recording).
"""

from __future__ import annotations

import fd
import numpy as np
import pytest

import gradkit as gk
from gradkit import TracerConversionError


def _pair_norm(x):
    return np.linalg.norm([x[0], x[1]]) + np.linalg.norm([x[1], 2.0, x[2]], ord=1)


PROGRAMS = {
    "np.array of expressions": (lambda x: np.array([x[0] * x[1], np.sin(x[2])]), (3,)),
    "np.array with constants": (lambda x: np.array([x[0], 2.0, 3, x[1] ** 2]), (2,)),
    "np.array of a 0-d value": (lambda x: np.array([x * 2.0, np.cos(x)]), ()),
    "nested lists and tuples": (lambda x: np.array([[x[0], 1.0], (x[1] * x[2], -x[0])]) ** 2, (3,)),
    "np.array of arrays": (lambda x: np.array([x, x**2, np.ones(3)]), (3,)),
    "np.array of 2-d arrays": (lambda x: np.array([x, np.tanh(x)]).sum(axis=1), (2, 3)),
    "np.asarray then NumPy": (lambda x: np.sum(np.asarray(x) * np.arange(3.0)) * x, (3,)),
    "np.asarray of a list": (lambda x: np.asarray([x[1], x[0]]) @ np.array([2.0, -1.0]), (2,)),
    "ufunc of an object array": (lambda x: np.exp(np.array([x[0], x[1]])), (2,)),
    "object array meets a tensor": (lambda x: np.array([x[1], x[0], 1.0]) * x, (3,)),
    "tensor meets an object array": (lambda x: x - np.array([x[1], x[0]]), (2,)),
    "arctan2 of object arrays": (
        lambda x: np.arctan2(np.array([x[0], x[1]]), np.array([x[2], 1.5])),
        (3,),
    ),
    "list beside a tensor": (lambda x: x * [x[1], 2.0, x[0]], (3,)),
    "list into a ufunc": (lambda x: np.maximum([x[1] + 5.0, 0.0], x[:2]), (3,)),
    "np.dot of a list": (lambda x: np.dot([x[0], 1.0, x[1]], x), (3,)),
    "np.mean of a list, axis=0": (lambda x: np.mean([x, x + 2.0, x**2], axis=0), (3,)),
    "np.sum of a list": (lambda x: np.sum([x[0], x[1] ** 2, 1.0]), (2,)),
    # (fewer than 8 entries: NumPy sums 8 or more pairwise, the object loop in order, so
    # longer sums may differ in the last bits)
    "np.mean of a list of arrays": (lambda x: np.mean([x, x + 2.0]), (3,)),
    "np.var and np.std of lists": (lambda x: np.var([x, x**2]) + np.std([x, 2.0 * x]), (2,)),
    "np.linalg.norm of a list of arrays": (lambda x: np.linalg.norm([x, x**2]), (2,)),
    "np.linalg.norm of a list": (_pair_norm, (3,)),
    "np.r_": (lambda x: np.r_[x, 0.5, x[:2] * 3.0], (3,)),
    "np.c_": (lambda x: np.c_[x, x**2, np.ones(3)], (3,)),
    "np.append of a list": (lambda x: np.append([x[0], 2.0], x**2), (3,)),
    "np.stack of lists": (lambda x: np.stack([[x[0], x[1]], [x[2], 1.0]]), (3,)),
    "np.concatenate of a list": (lambda x: np.concatenate([[x[0], 2.0], x]), (3,)),
    "np.where with a list": (lambda x: np.where([True, False, True], x, [x[1], 0.0, 1.0]), (3,)),
    "returned list of arrays": (lambda x: np.hstack([np.array([x[0], x[1]]), x]), (2,)),
    "np.max of an object array": (lambda x: np.array([x[0], x[1] + 3.0, x[2]]).max(), (3,)),
}


def _inputs(rng, shape):
    return rng.uniform(0.3, 1.2, size=shape)


@pytest.fixture(params=list(PROGRAMS), ids=list(PROGRAMS))
def program(request):
    return PROGRAMS[request.param]


def test_value_is_numpys_own_bit_for_bit(program) -> None:
    fn, shape = program
    x = _inputs(np.random.default_rng(0), shape)
    reference = fn(x)  # NumPy alone: x is a plain array
    value, _ = gk.vjp(fn, x)
    value_f, _ = gk.jvp(fn, (x,), (np.ones_like(x),))
    for v in (value, value_f):
        assert np.result_type(v) == np.result_type(reference)
        assert np.shape(v) == np.shape(reference)
        np.testing.assert_array_equal(v, reference)


@pytest.mark.parametrize("seed", [1, 2])
def test_both_modes_match_finite_differences(program, seed) -> None:
    fn, shape = program
    rng = np.random.default_rng(seed)
    x = _inputs(rng, shape)
    out = np.asarray(fn(x), dtype=float)
    cot = rng.standard_normal(out.shape)
    _, vjp_fn = gk.vjp(fn, x)
    (g,) = vjp_fn(cot)
    reference = fd.gradient(lambda a: np.sum(cot * fn(a)), (x,))
    np.testing.assert_allclose(g, reference, rtol=1e-6, atol=1e-7)
    t = rng.standard_normal(x.shape)
    _, tangent = gk.jvp(fn, (x,), (t,))
    np.testing.assert_allclose(tangent, fd.directional(fn, (x,), (t,)), rtol=1e-6, atol=1e-7)
    jac = fd.jacobian(fn, (x,))
    np.testing.assert_allclose(gk.jacfwd(fn)(x), jac, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(gk.jacrev(fn)(x), jac, rtol=1e-6, atol=1e-7)


def test_second_order_in_every_mix_of_modes(program) -> None:
    fn, shape = program
    x = _inputs(np.random.default_rng(3), shape)
    gk.check_grads(fn, modes=("fwd", "rev"), order=2, seed=3)(x)


#: Programs whose value (np.max's comparisons of an object array) reads the values, which
#: a recording cannot replay: gk.jit refuses them with a JitError. (np.maximum's
#: derivative is recorded from comparisons, so it replays.)
JIT_READS_VALUE = {"np.max of an object array"}
JIT_READS_DERIVATIVE = JIT_READS_VALUE


def test_jit_replays_the_same_answers(request, program) -> None:
    fn, shape = program
    name = request.node.callspec.id
    rng = np.random.default_rng(4)
    jitted = gk.jit(fn)
    loss = gk.jit(gk.grad(lambda a: np.sum(fn(a) ** 3)))
    if name in JIT_READS_VALUE:
        with pytest.raises(gk.JitError, match="value of a traced array was read"):
            jitted(_inputs(rng, shape))
    else:
        for _ in range(3):  # recorded once, then replayed on new inputs
            x = _inputs(rng, shape)
            # to 1 ulp: the replay may sum in another order (np.add.reduce for a chain)
            np.testing.assert_array_max_ulp(jitted(x), np.asarray(fn(x)), maxulp=1)
    if name in JIT_READS_DERIVATIVE:
        with pytest.raises(gk.JitError, match="value of a traced array was read"):
            loss(_inputs(rng, shape))
        return
    for _ in range(3):
        x = _inputs(rng, shape)
        reference = fd.gradient(lambda a: np.sum(fn(a) ** 3), (x,))
        np.testing.assert_allclose(loss(x), reference, rtol=1e-6, atol=1e-7)


# --- what the arrays are ---------------------------------------------------------------------
X = np.array([0.5, -1.5, 2.0])


def test_asarray_of_a_traced_value_is_a_read_only_object_array() -> None:
    seen = {}

    def f(x):
        a = np.asarray(x)
        seen["a"] = a
        with pytest.raises(ValueError, match="read-only"):
            a[0] = 0.0  # NumPy would write into x: refused rather than lost
        return np.sum(x)

    gk.grad(f)(X)
    a = seen["a"]
    assert a.dtype == object and a.shape == (3,) and not a.flags.writeable
    assert all(type(e) is gk.Tensor and e.shape == () for e in a)  # 0-d traced values


def test_np_array_copies_as_numpy_does() -> None:
    def f(x):
        a = np.array(x)  # a copy: writing into it leaves x alone
        a[0] = 10.0
        return np.sum(a * x)

    np.testing.assert_array_equal(gk.grad(f)(X), [10.0, 2 * X[1], 2 * X[2]])


def test_float32_elements_keep_numpy_dtype() -> None:
    x32 = X.astype(np.float32)

    def f(x):
        return np.array([x[0], x[1] * x[2]])

    value, vjp_fn = gk.vjp(f, x32)
    assert value.dtype == f(x32).dtype == np.float32
    assert vjp_fn(np.ones(2, np.float32))[0].dtype == np.float32
    mixed = gk.vjp(lambda x: np.array([x[0], 1.0]), x32)[0]  # a Python float: float64
    assert mixed.dtype == np.array([x32[0], 1.0]).dtype


def test_closed_form_gradient_of_a_stacked_expression() -> None:
    # f = |(a b, sin c)|^2 = a^2 b^2 + sin(c)^2: grad (2 a b^2, 2 a^2 b, 2 sin c cos c)
    a, b, c = X

    def f(x):
        v = np.array([x[0] * x[1], np.sin(x[2])])
        return np.sum(v * v)

    expected = [2 * a * b**2, 2 * a**2 * b, 2 * np.sin(c) * np.cos(c)]
    np.testing.assert_allclose(gk.grad(f)(X), expected, rtol=1e-14)
    np.testing.assert_allclose(gk.hessian(f)(X)[2, 2], 2 * np.cos(2 * c), rtol=1e-12)


def test_nested_transforms_keep_their_perturbations_apart() -> None:
    # d/dx [x * d/dy np.array([x + y, 2 y]).sum()] = d/dx [3 x] = 3
    def outer(x):
        inner = gk.grad(lambda y: np.sum(np.array([x + y, 2.0 * y])))(1.0)
        return x * inner

    assert gk.grad(outer)(2.0) == 3.0


def test_eager_tensors_build_arrays_too() -> None:
    a = gk.Tensor(2.0, requires_grad=True)
    b = gk.Tensor(3.0, requires_grad=True)
    loss = np.sum(np.array([a * b, np.sin(b), 1.0]) ** 2)
    loss.backward()
    assert float(a.grad) == 2 * 2.0 * 3.0**2
    np.testing.assert_allclose(float(b.grad), 2 * 4.0 * 3.0 + np.sin(6.0), rtol=1e-14)


def test_ufunc_methods_exist_for_object_loops() -> None:
    t = gk.Tensor([0.25, 0.5])
    np.testing.assert_array_equal(t.sin().numpy(), np.sin([0.25, 0.5]))
    np.testing.assert_array_equal(t.arctan2(2.0).numpy(), np.arctan2([0.25, 0.5], 2.0))
    g = gk.grad(lambda x: np.sum(np.sqrt(np.array([x[0], x[1]]))))(X[:2] + 2.0)
    np.testing.assert_allclose(g, 0.5 / np.sqrt(X[:2] + 2.0), rtol=1e-14)


# --- what stays loud -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "convert",
    [
        lambda x: np.asarray(x, dtype=float),
        lambda x: np.array([x[0], x[1]], dtype=np.float64),
    ],
    ids=["asarray(dtype=float)", "array(list, dtype=float)"],
)
def test_asking_for_floats_is_refused(convert) -> None:
    with pytest.raises(TracerConversionError, match="gradient"):
        gk.grad(lambda x: np.sum(convert(x)))(X)


def test_casting_an_object_array_to_floats_is_refused() -> None:
    # NumPy reports the element's refusal as "setting an array element with a sequence",
    # with the engine's error as the cause it shows in the traceback.
    with pytest.raises((TracerConversionError, ValueError)) as info:
        gk.grad(lambda x: np.sum(np.array([x[0], 1.0]).astype(float)))(X)
    err = info.value
    cause = err if isinstance(err, TracerConversionError) else err.__cause__ or err.__context__
    assert isinstance(cause, TracerConversionError) and "float()" in str(cause)


def test_writing_into_a_float_array_is_refused() -> None:
    def f(x):
        a = np.zeros(3)
        a[:] = x
        return np.sum(a)

    with pytest.raises(TracerConversionError, match=r"a\[i\] = t"):
        gk.grad(f)(X)


@pytest.mark.parametrize("name", ["mean", "var", "std"])
@pytest.mark.parametrize("shape", [(), (2,)])  # fewer than 8 entries: see PROGRAMS
def test_reduction_of_a_list_over_all_axes_differentiates(name, shape) -> None:
    # NumPy ends np.mean of an object array in np.float64(total / n) when the total has a
    # dtype, which would drop the gradient: a traced total shows none to NumPy's code,
    # so NumPy returns total / n itself, a traced value (scalars and arrays alike).
    reduce = getattr(np, name)

    def f(a, b):
        return reduce([a, np.sin(b) + 2.0, a * b])

    rng = np.random.default_rng(7)
    a, b = rng.uniform(-1, 1, shape), rng.uniform(-1, 1, shape)
    value, grads = gk.value_and_grad(f, argnums=(0, 1))(a, b)
    assert value == f(a, b)  # NumPy's own value, bit for bit
    for k in (0, 1):
        reference = fd.gradient(f, (a, b), k)
        np.testing.assert_allclose(grads[k], reference, rtol=1e-6, atol=1e-8)
    # hand-made Tensors: a Tensor whose backward() is right (it used to be a plain
    # np.float64 for scalars, the gradient silently dropped)
    ta, tb = gk.Tensor(a, requires_grad=True), gk.Tensor(b, requires_grad=True)
    out = f(ta, tb)
    assert type(out) is gk.Tensor and out.requires_grad and out.numpy() == f(a, b)
    out.backward()
    np.testing.assert_allclose(ta.grad, grads[0], rtol=1e-15)
    np.testing.assert_allclose(tb.grad, grads[1], rtol=1e-15)


def test_an_object_array_of_vectors_is_refused() -> None:
    def f(x):
        a = np.empty(2, dtype=object)
        a[0], a[1] = x, x
        return a * x

    with pytest.raises(ValueError, match="np.stack"):
        gk.grad(lambda x: np.sum(f(x)))(X)


def test_ragged_lists_fail_as_in_numpy() -> None:
    with pytest.raises(ValueError, match="inhomogeneous"):
        gk.grad(lambda x: np.sum(x * [x[0], [1.0, 2.0]]))(X[:2])


def test_scipy_compiled_code_is_refused_by_name() -> None:
    scipy_linalg = pytest.importorskip("scipy.linalg")
    with pytest.raises(TracerConversionError, match=r"compiled code.*It was scipy\.linalg\.expm"):
        gk.grad(lambda a: np.sum(scipy_linalg.expm(a)))(np.eye(2) * 0.1)


def test_math_ufunc_of_numbers_in_an_object_array_is_numpys_error() -> None:
    # NumPy's object loop calls 2.0.sin(), which floats lack: a loud TypeError, never a
    # value. np.stack (or a Tensor on the outside) computes it.
    with pytest.raises(TypeError, match="sin"):
        gk.grad(lambda x: np.sum(np.sin(np.array([x[0], 2.0]))))(X)
    g = gk.grad(lambda x: np.sum(np.sin(np.stack([x[0], 2.0]))))(X)
    np.testing.assert_allclose(g, [np.cos(X[0]), 0.0, 0.0], rtol=1e-15)


def test_writing_a_list_into_a_tensor() -> None:
    # y[0:2] = [2 x2, 1]: sum(y^2) = 4 x2^2 + 1 + x2^2, whose gradient is (0, 0, 10 x2)
    def f(x):
        y = x * 1.0
        y[0:2] = [x[2] * 2.0, 1.0]
        return np.sum(y * y)

    np.testing.assert_allclose(gk.grad(f)(X), [0.0, 0.0, 10 * X[2]], rtol=1e-15)

    def g(x):
        y = x * 1.0
        y[0:2] = [5.0, 1.0]  # a plain list: the array NumPy reads it as
        return np.sum(y * y)

    np.testing.assert_array_equal(gk.grad(g)(X), [0.0, 0.0, 2 * X[2]])
