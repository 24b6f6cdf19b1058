"""Complex numbers end to end, under JAX's conventions.

A cotangent ``c`` of a complex value pairs with a tangent ``v`` by ``Re(sum(c * v))``.
So for a real-valued ``f`` of ``z = x + iy``, ``grad(f)(z) = df/dx - i df/dy``; for a
holomorphic ``f``, ``grad(f, holomorphic=True)(z) = f'(z)``; a real input whose
intermediate values are complex gets the real part of its complex cotangent.

Every derivative is checked against independent answers: NumPy's own values, central
finite differences of the real and imaginary parts taken separately (d/dx and d/dy,
``tests/fd.py``), and closed forms.
"""

from __future__ import annotations

import fd
import numpy as np
import pytest

import gradkit as gk

RNG = np.random.default_rng(7)
X = np.array([0.7, -1.3, 0.4])
Z = np.array([1.0 + 2.0j, -0.5 + 0.3j, 0.8 - 1.1j])


def wirtinger_fd(f, z):
    """``df/dx - i df/dy`` of a real-valued ``f`` at complex ``z``, by finite differences
    in ``x`` and ``y`` separately."""
    x, y = z.real.copy(), z.imag.copy()
    dx = fd.gradient(lambda a, b: f(a + 1j * b), (x, y), 0)
    dy = fd.gradient(lambda a, b: f(a + 1j * b), (x, y), 1)
    return dx - 1j * dy


def complex_directional_fd(f, z, v):
    """``d/ds f(z + s v)`` at 0 for complex-valued ``f`` (real and imaginary parts
    differenced separately)."""
    re = fd.directional(lambda s: np.real(f(z + s * v)), (0.0,), (1.0,))
    im = fd.directional(lambda s: np.imag(f(z + s * v)), (0.0,), (1.0,))
    return re + 1j * im


# --- real -> complex -> real -------------------------------------------------------------
REAL_ROUND_TRIPS = [
    ("abs(x (1+2j))", lambda x: np.sum(np.abs(x * (1 + 2j)))),
    ("real(exp(1j x))", lambda x: np.sum(np.real(np.exp(1j * x)))),
    ("imag(exp(1j x)**2)", lambda x: np.sum(np.imag(np.exp(1j * x) ** 2))),
    ("angle((1+x j)(2-1j))", lambda x: np.sum(np.angle((1 + 1j * x) * (2 - 1j)))),
    ("conj product", lambda x: np.sum(np.real(np.conjugate(x * (1 - 3j)) * (x + 2j)))),
    ("|z|**2 of a product", lambda x: np.sum(np.abs((x + 1j * x**2) * (2 - 1j * x)) ** 2)),
    ("sum of complex values", lambda x: np.abs(np.sum(np.exp(1j * x) * x))),
    ("complex power", lambda x: np.sum(np.real((1 + 2j) ** x))),
    ("complex base traced", lambda x: np.sum(np.imag((x + 1j) ** 2.5))),
    ("sign of complex", lambda x: np.sum(np.real(np.sign(x + 0.5j)) * x)),
    ("matmul", lambda x: np.abs(np.sum((x * 1j + 1) @ np.array([[1, 2j], [3, 1], [1j, 1]])))),
    ("einsum", lambda x: np.real(np.einsum("i,i->", x * (1 + 1j), np.exp(1j * x)))),
    ("Tensor .real .imag", lambda x: np.sum(np.exp(1j * x).real * np.exp(2j * x).imag)),
    ("vdot conjugates", lambda x: np.real(np.vdot(x * (1 + 1j), np.exp(1j * x)))),
    ("norm of complex", lambda x: np.linalg.norm(x * (1 + 2j) + 0.5j)),
    ("var of complex", lambda x: np.var(np.exp(1j * x) * x)),
    ("prod and cumsum", lambda x: np.abs(np.prod(x + 1j)) + np.sum(np.abs(np.cumsum(x * 1j)))),
]


@pytest.mark.parametrize("name, f", REAL_ROUND_TRIPS, ids=[n for n, _ in REAL_ROUND_TRIPS])
def test_real_to_complex_to_real_in_both_modes_and_second_order(name, f) -> None:
    x = X if "matmul" in name else X
    reference = fd.gradient(f, (x,))
    np.testing.assert_allclose(gk.grad(f)(x), reference, rtol=1e-7, atol=1e-8)
    basis = np.eye(x.size)
    forward = np.array([gk.jvp(f, (x,), (e,))[1] for e in basis])
    np.testing.assert_allclose(forward, reference, rtol=1e-7, atol=1e-8)
    hess = gk.hessian(f)(x)
    np.testing.assert_allclose(hess, fd.jacobian(gk.grad(f), (x,)), rtol=1e-6, atol=1e-7)
    gk.check_grads(f, order=2)(x)


def test_values_match_numpy() -> None:
    for _, f in REAL_ROUND_TRIPS:
        value, _ = gk.value_and_grad(f)(X)
        assert np.allclose(value, f(X), rtol=1e-14, atol=0)
    z = Z
    for fn in (np.abs, np.real, np.imag, np.conjugate, np.angle, np.sign, np.exp, np.sqrt):
        out, _ = gk.jvp(fn, (z,), (np.ones_like(z),))
        np.testing.assert_array_equal(out, fn(z))
    assert np.linalg.norm(Z) == gk.jvp(np.linalg.norm, (Z,), (Z,))[0]
    np.testing.assert_allclose(gk.jvp(np.var, (Z,), (Z,))[0], np.var(Z), rtol=1e-15)
    np.testing.assert_allclose(gk.jvp(lambda z: np.vdot(z, Z * 2), (Z,), (Z,))[0],
                               np.vdot(Z, Z * 2), rtol=1e-15)  # fmt: skip


def test_closed_forms_of_the_issue() -> None:
    x = np.array([0.7, -1.3])
    f = lambda x: np.sum(np.abs(x * (1 + 2j)))  # noqa: E731
    expected = np.sqrt(5) * np.sign(x)  # was -1.342 where the truth is +2.236
    np.testing.assert_allclose(gk.grad(f)(x), expected, rtol=1e-15)
    np.testing.assert_allclose(gk.jacfwd(f)(x), expected, rtol=1e-15)
    np.testing.assert_allclose(gk.jacrev(f)(x), expected, rtol=1e-15)
    assert gk.grad(lambda t: np.real(np.exp(1j * t)))(0.5) == pytest.approx(-np.sin(0.5))
    assert gk.grad(gk.grad(lambda t: np.real(np.exp(1j * t))))(0.5) == pytest.approx(-np.cos(0.5))
    assert gk.grad(lambda t: np.imag(np.exp(1j * t)))(0.5) == pytest.approx(np.cos(0.5))
    assert gk.grad(lambda t: np.angle(np.exp(1j * t)))(0.5) == pytest.approx(1.0)
    assert gk.grad(lambda t: np.angle(t * (1 + 1j), deg=True))(0.5) == 0.0  # constant angle


def test_a_real_input_gets_a_real_gradient_of_its_own_dtype() -> None:
    for dtype in (np.float64, np.float32):
        x = X.astype(dtype)
        g = gk.grad(lambda x: np.sum(np.abs(x * (1 + 2j))))(x)
        assert g.dtype == dtype
        t = gk.Tensor(x, requires_grad=True)
        np.sum(np.abs(t * (1 + 2j))).backward()
        assert t.grad.dtype == dtype
        np.testing.assert_allclose(t.grad, np.sqrt(5) * np.sign(x), rtol=1e-6)


# --- complex inputs -------------------------------------------------------------------------
REAL_VALUED = [
    ("|z|**2", lambda z: np.sum(np.abs(z) ** 2)),
    ("abs", lambda z: np.sum(np.abs(z))),
    ("real * imag", lambda z: np.sum(np.real(z) * np.imag(z) ** 2)),
    ("angle", lambda z: np.sum(np.angle(z))),
    ("angle deg", lambda z: np.sum(np.angle(z, deg=True))),
    ("real(z conj(z) exp(z))", lambda z: np.sum(np.real(z * np.conj(z) * np.exp(z)))),
    ("abs of holomorphic", lambda z: np.sum(np.abs(np.sin(z) * z**2 + 1 / z))),
    ("sign", lambda z: np.sum(np.imag(np.sign(z)) * np.real(z))),
    ("norm", lambda z: np.linalg.norm(z)),
    ("std", lambda z: np.std(z * z)),
    ("max of real part", lambda z: np.max(np.real(z * (1 + 1j)))),
]


@pytest.mark.parametrize("name, f", REAL_VALUED, ids=[n for n, _ in REAL_VALUED])
def test_real_valued_function_of_complex_input(name, f) -> None:
    expected = wirtinger_fd(f, Z)  # df/dx - i df/dy, as jax.grad
    np.testing.assert_allclose(gk.grad(f)(Z), expected, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(gk.jacrev(f)(Z), expected, rtol=1e-7, atol=1e-8)
    t = gk.Tensor(Z, requires_grad=True)
    f(t).backward()
    np.testing.assert_allclose(t.grad, expected, rtol=1e-7, atol=1e-8)
    # forward mode: the tangent along v is Re(grad * v) (the pairing), for v = 1 and 1j
    for v in (np.ones_like(Z), 1j * np.ones_like(Z), RNG.standard_normal(3) + 1j):
        tangent = gk.jvp(f, (Z,), (v,))[1]
        assert tangent == pytest.approx(np.real(np.sum(expected * v)), rel=1e-7, abs=1e-8)
    gk.check_grads(f, order=2)(Z)


def test_real_valued_closed_forms() -> None:
    z = np.complex128(3 + 4j)
    assert gk.grad(np.abs)(z) == pytest.approx(np.conj(z) / 5)  # g conj(z) / |z|
    assert gk.grad(lambda z: np.abs(z) ** 2)(z) == pytest.approx(2 * np.conj(z))
    assert gk.grad(np.real)(z) == 1.0 and gk.grad(np.real)(z).dtype == np.complex128
    assert gk.grad(np.imag)(z) == -1j
    assert gk.grad(np.angle)(z) == pytest.approx(-1j / z)
    assert gk.grad(lambda z: np.real(np.conj(z) * 1j))(z) == pytest.approx(-1j)


HOLOMORPHIC = [
    ("z**3", lambda z: z**3, lambda z: 3 * z**2),
    ("sin", np.sin, np.cos),
    ("exp(z) z", lambda z: np.exp(z) * z, lambda z: np.exp(z) * (z + 1)),
    ("log", np.log, lambda z: 1 / z),
    ("sqrt", np.sqrt, lambda z: 0.5 / np.sqrt(z)),
    ("tanh", np.tanh, lambda z: 1 / np.cosh(z) ** 2),
    ("arctan", np.arctan, lambda z: 1 / (1 + z * z)),
    ("reciprocal", lambda z: 1.0 / z, lambda z: -1 / z**2),
    ("z ** z", lambda z: z**z, lambda z: z**z * (np.log(z) + 1)),
    ("2 ** z", lambda z: 2.0**z, lambda z: np.log(2.0) * 2.0**z),
    ("conj(conj(z))", lambda z: np.conj(np.conj(z) * 2j), lambda z: -2j * np.ones_like(z)),
]


@pytest.mark.parametrize("name, f, fprime", HOLOMORPHIC, ids=[n for n, *_ in HOLOMORPHIC])
def test_holomorphic(name, f, fprime) -> None:
    for z in Z:
        g = gk.grad(f, holomorphic=True)(z)
        assert g == pytest.approx(fprime(z), rel=1e-12)
        # f'(z) = d f / dx: finite differences of the real and imaginary parts
        assert g == pytest.approx(complex_directional_fd(f, z, 1.0), rel=1e-7)
        assert g == pytest.approx(complex_directional_fd(f, z, 1j) / 1j, rel=1e-7)
    expected = np.diag(fprime(Z))
    np.testing.assert_allclose(gk.jacfwd(f, holomorphic=True)(Z), expected, rtol=1e-12)
    np.testing.assert_allclose(gk.jacrev(f, holomorphic=True)(Z), expected, rtol=1e-12)
    v = RNG.standard_normal(3) + 1j * RNG.standard_normal(3)
    out, tangent = gk.jvp(f, (Z,), (v,))
    np.testing.assert_array_equal(out, f(Z))
    np.testing.assert_allclose(tangent, fprime(Z) * v, rtol=1e-12)
    np.testing.assert_allclose(tangent, complex_directional_fd(f, Z, v), rtol=1e-7)
    out, vjp_fn = gk.vjp(f, Z)
    np.testing.assert_allclose(vjp_fn(v)[0], fprime(Z) * v, rtol=1e-12)  # transpose, no conj
    gk.check_grads(f, order=2)(Z)


def test_holomorphic_second_order() -> None:
    z = np.complex128(0.5 + 0.7j)
    d2 = gk.grad(gk.grad(lambda z: z**4, holomorphic=True), holomorphic=True)(z)
    assert d2 == pytest.approx(12 * z**2)
    hess = gk.hessian(lambda z: np.sum(np.sin(z) * z), holomorphic=True)(Z)
    np.testing.assert_allclose(hess, np.diag(2 * np.cos(Z) - Z * np.sin(Z)), rtol=1e-12)


def test_vjp_and_jvp_agree_under_the_pairing() -> None:
    # <vjp(c), v> = Re(sum(c * jvp(v))) for a function that is not holomorphic
    def f(z):
        return np.abs(z) * np.exp(1j * np.angle(z) * 2) + np.conj(z) * z[::-1]

    v = RNG.standard_normal(3) + 1j * RNG.standard_normal(3)
    c = RNG.standard_normal(3) + 1j * RNG.standard_normal(3)
    _, tangent = gk.jvp(f, (Z,), (v,))
    np.testing.assert_allclose(tangent, complex_directional_fd(f, Z, v), rtol=1e-7)
    _, vjp_fn = gk.vjp(f, Z)
    lhs = np.real(np.sum(vjp_fn(c)[0] * v))
    assert lhs == pytest.approx(np.real(np.sum(c * tangent)), rel=1e-12)


def test_jacobian_of_a_complex_output_of_real_inputs() -> None:
    jac = gk.jacfwd(lambda x: np.exp(1j * x) * x)(X)
    expected = np.diag(np.exp(1j * X) * (1j * X + 1))
    np.testing.assert_allclose(jac, expected, rtol=1e-12)


def test_complex_casts() -> None:
    # real -> complex -> real through astype: the derivative of the real part is kept
    f = lambda x: np.sum(np.abs(x.astype(complex) * (1 + 2j)))  # noqa: E731
    np.testing.assert_allclose(gk.grad(f)(X), np.sqrt(5) * np.sign(X), rtol=1e-15)
    with pytest.warns(np.exceptions.ComplexWarning):  # as NumPy warns
        g = gk.grad(lambda z: np.sum(z.astype(float) ** 2))(Z)
    np.testing.assert_allclose(g, 2 * Z.real, rtol=1e-15)
    assert g.dtype == np.complex128


# --- errors ---------------------------------------------------------------------------------
def test_complex_output_without_holomorphic_says_what_to_do() -> None:
    with pytest.raises(TypeError, match=r"returned a complex value.*holomorphic=True.*np\.real"):
        gk.grad(lambda z: np.sum(z**2))(Z)
    with pytest.raises(TypeError, match=r"jacrev.*complex value.*holomorphic=True"):
        gk.jacrev(lambda x: x * 1j)(X)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: gk.grad(lambda x: x * 1j, holomorphic=True)(1.0), r"inputs with complex dtype"),
        (lambda: gk.grad(np.abs, holomorphic=True)(1j), r"outputs with complex dtype"),
        (lambda: gk.jacfwd(lambda z: z)(Z), r"jacfwd takes real inputs.*holomorphic=True"),
        (lambda: gk.jacfwd(np.abs, holomorphic=True)(X), r"inputs with complex dtype"),
        (lambda: gk.jacrev(np.abs, holomorphic=True)(Z), r"outputs with complex dtype"),
        (lambda: gk.jvp(np.sin, (X,), (X * 1j,)), r"tangent 0 is complex.*real dtype"),
        (lambda: gk.vjp(np.sin, X)[1](X * 1j), r"complex cotangent.*real output"),
    ],
)
def test_complex_misuse_is_a_clear_error(call, match) -> None:
    with pytest.raises(TypeError, match=match):
        call()


def test_backward_of_a_complex_output_needs_a_gradient() -> None:
    t = gk.Tensor(Z, requires_grad=True)
    with pytest.raises(RuntimeError, match="output is complex"):
        np.sum(t * t).backward()
    out = t * t
    out.backward(gradient=np.ones(3))  # the cotangent given: transpose of 2z
    np.testing.assert_allclose(t.grad, 2 * Z, rtol=1e-15)
    with pytest.raises(TypeError, match="complex gradient was given for a real output"):
        np.abs(t).backward(gradient=np.ones(3) * 1j)


def test_real_tangent_for_a_complex_primal_is_a_direction_along_x() -> None:
    _, tangent = gk.jvp(np.abs, (Z,), (np.ones(3),))
    np.testing.assert_allclose(tangent, np.real(Z) / np.abs(Z), rtol=1e-15)


def test_under_jit() -> None:
    f = gk.jit(gk.grad(lambda x: np.sum(np.abs(x * (1 + 2j)))))
    for x in (X, -X, 2 * X):
        np.testing.assert_allclose(f(x), np.sqrt(5) * np.sign(x), rtol=1e-15)


# --- every rule on complex values ----------------------------------------------------------
# Points away from branch cuts, poles and ties (|z| < 1, distinct real parts).
ZA = np.array([0.6 + 0.4j, -0.3 + 0.5j, 0.2 - 0.45j])
ZB = np.array([0.9 - 0.2j, 0.4 + 0.7j, -0.5 - 0.3j])


def _complex_ufuncs() -> list:
    from gradkit.autodiff.rules import elementwise

    out = []
    for ufunc in elementwise.UFUNC_PRIMITIVES:
        try:
            with np.errstate(all="raise"):
                ufunc(*(ZA, ZB)[: ufunc.nin])
        except TypeError:  # NumPy has no complex loop for it (cbrt, arctan2, hypot, ...)
            continue
        out.append(ufunc)
    return out


@pytest.mark.parametrize("ufunc", _complex_ufuncs(), ids=lambda u: u.__name__)
def test_every_ufunc_with_a_complex_loop_differentiates_complex_values(ufunc) -> None:
    """Each holomorphic rule serves complex numbers unchanged under the pairing (and each
    that is not has its own): both modes and second order against finite differences of
    the real and imaginary parts along complex directions (check_grads)."""
    args = (ZA, ZB)[: ufunc.nin]
    gk.check_grads(lambda *a: ufunc(*a), order=2)(*args)


COMPLEX_FUNCTIONS = [
    ("sum", lambda z: np.sum(z * z)),
    ("mean", np.mean),
    ("prod", np.prod),
    ("max", np.max),
    ("min", np.min),
    ("cumsum", np.cumsum),
    ("cumprod", np.cumprod),
    ("matmul", lambda z: np.outer(z, z) @ z),
    ("einsum", lambda z: np.einsum("i,j->ij", z, z * 2)),
    ("dot", lambda z: np.dot(z, z)),
    ("tensordot", lambda z: np.tensordot(z, z, 1)),
    ("kron", lambda z: np.kron(z, z)),
    ("cross", lambda z: np.cross(z, z[::-1] * 1j)),
    ("where", lambda z: np.where(np.array([True, False, True]), z, z * z)),
    ("sort", np.sort),
    ("concatenate", lambda z: np.concatenate([z, z * z])),
    ("reshape, transpose", lambda z: np.reshape(z, (3, 1)).T * z),
    ("getitem", lambda z: z[::-1] * z[0]),
    ("pad, roll, diff", lambda z: np.diff(np.roll(np.pad(z, 1), 1) * z[0])),
    ("var", np.var),
    ("std", np.std),
    ("norm", np.linalg.norm),
    ("vdot", lambda z: np.vdot(z, z * z)),
    ("trace", lambda z: np.trace(np.outer(z, z))),
    ("inv", lambda z: np.linalg.inv(np.outer(z, z) + np.eye(3))),
    ("det", lambda z: np.linalg.det(np.outer(z, z[::-1]) + np.eye(3))),
    ("slogdet", lambda z: np.linalg.slogdet(np.outer(z, z[::-1]) + np.eye(3))[1]),
    ("slogdet sign", lambda z: np.linalg.slogdet(np.outer(z, z[::-1]) + np.eye(3))[0]),
    ("powers", lambda z: z**3 + z**2.5 + 2.0**z),
    (
        "real, imag, conj, angle, sign",
        lambda z: np.real(z) * np.imag(z) + np.conj(z) * np.angle(z) + np.sign(z),
    ),  # fmt: skip
    ("nansum, average", lambda z: np.nansum(z * z) + np.average(z)),
]


@pytest.mark.parametrize("name, f", COMPLEX_FUNCTIONS, ids=[n for n, _ in COMPLEX_FUNCTIONS])
def test_composed_functions_of_complex_values(name, f) -> None:
    gk.check_grads(f, order=2)(ZA)


def test_slogdet_of_a_complex_matrix_keeps_numpy_values() -> None:
    a = np.outer(ZA, ZA[::-1]) + np.eye(3)
    (sign, logabs), _ = gk.jvp(np.linalg.slogdet, (a,), (np.ones((3, 3)) + 0j,))
    expected = np.linalg.slogdet(a)
    assert sign == expected[0] and logabs == expected[1]
    # d sign = sign * i Im(tr(inv(a) da)), against finite differences
    da = RNG.standard_normal((3, 3)) + 1j * RNG.standard_normal((3, 3))
    _, (dsign, _) = gk.jvp(np.linalg.slogdet, (a,), (da,))
    reference = complex_directional_fd(lambda m: np.linalg.slogdet(m)[0], a, da)
    assert dsign == pytest.approx(reference, rel=1e-7)
