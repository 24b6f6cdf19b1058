"""grad, value_and_grad, jacfwd, jacrev and hessian take one set of arguments (argnums,
has_aux, holomorphic), as JAX's do, and each honours them."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import gradkit as gk

TRANSFORMS = [gk.grad, gk.value_and_grad, gk.jacfwd, gk.jacrev, gk.hessian]


@pytest.mark.parametrize("transform", TRANSFORMS, ids=lambda t: t.__name__)
def test_one_signature(transform):
    params = inspect.signature(transform).parameters
    public = [(n, p.default) for n, p in params.items() if not n.startswith("_")]
    assert public == [
        ("fun", inspect.Parameter.empty),
        ("argnums", 0),
        ("has_aux", False),
        ("holomorphic", False),
    ]


def test_has_aux_everywhere_against_closed_forms():
    x, y = np.array([0.5, -1.0]), np.array([2.0, 3.0])

    def f(x, y):
        return np.sum(x**3 * y), {"note": np.sum(y)}

    # d/dy (x^3 y) = x^3, d2/dy2 = 0; d/dx = 3 x^2 y, d2/dx2 = diag(6 x y)
    g, aux = gk.grad(f, argnums=1, has_aux=True)(x, y)
    np.testing.assert_allclose(g, x**3)
    assert aux["note"] == 5.0
    (value, aux), g = gk.value_and_grad(f, has_aux=True)(x, y)
    np.testing.assert_allclose(g, 3 * x**2 * y)
    assert value == np.sum(x**3 * y) and aux["note"] == 5.0
    for jac in (gk.jacfwd, gk.jacrev):
        j, aux = jac(lambda x, y: (x**2 * y, np.sum(x)), has_aux=True)(x, y)
        np.testing.assert_allclose(j, np.diag(2 * x * y))
        assert aux == np.sum(x)
    h, aux = gk.hessian(f, has_aux=True)(x, y)
    np.testing.assert_allclose(h, np.diag(6 * x * y))
    assert aux["note"] == 5.0
    hess, aux = gk.hessian(f, argnums=(0, 1), has_aux=True)(x, y)
    np.testing.assert_allclose(hess[0][1], np.diag(3 * x**2))  # d2/dx dy
    np.testing.assert_allclose(hess[1][1], np.zeros((2, 2)))
    z = np.complex128(1 + 1j)
    h, aux = gk.hessian(lambda z: (z**3, 1), holomorphic=True, has_aux=True)(z)
    np.testing.assert_allclose(h, 6 * z)


def test_hessian_has_aux_needs_a_pair():
    with pytest.raises(ValueError, match="has_aux=True.*pair"):
        gk.hessian(lambda x: np.sum(x**2), has_aux=True)(np.ones(2))
