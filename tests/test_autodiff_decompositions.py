"""np.linalg's decompositions against closed forms, at degenerate inputs, and batched.

The finite-difference checks of every function live in ``tests/autodiff_cases_linalg.py``
(run by ``tests/test_autodiff_primitives.py``); here the derivatives are compared with
results known in closed form, the documented conventions are pinned down (the triangle
eigh and cholesky read, ties, rank deficiency), and a stack of matrices is checked
against the same matrices one at a time.
"""

from __future__ import annotations

import fd
import numpy as np
import pytest

import gradkit as gk
from gradkit.autodiff.errors import NoRuleError

RNG = np.random.default_rng(20261207)


def _spd(n, rng=RNG):
    b = rng.standard_normal((n, n))
    return b @ b.T + n * np.eye(n)


def _onto_lower(g):
    """The gradient of a function of the symmetric matrix NumPy reads from the lower
    triangle, given the symmetric gradient ``g``: lower entries twice, diagonal once."""
    return np.tril(2 * g, -1) + np.diag(np.diag(g))


# closed forms ------------------------------------------------------------------------------
def test_logdet_through_cholesky_and_eigh_is_the_inverse_on_the_lower_triangle():
    a = _spd(4)
    inv = np.linalg.inv(a)

    def by_cholesky(a):
        return 2 * np.sum(np.log(np.diagonal(np.linalg.cholesky(a))))

    def by_eigh(a):
        return np.sum(np.log(np.linalg.eigvalsh(a)))

    for f in (by_cholesky, by_eigh):
        np.testing.assert_allclose(f(a), np.linalg.slogdet(a)[1], rtol=1e-12)
        np.testing.assert_allclose(gk.grad(f)(a), _onto_lower(inv), rtol=1e-10, atol=1e-12)
    # through a symmetric construction every convention agrees: d logdet(X + X^T) = 2 A^-1
    x = np.triu(a) / 2 + np.tril(a, -1) / 2
    np.testing.assert_allclose(
        gk.grad(lambda x: by_cholesky(x + x.T))(x), 2 * inv, rtol=1e-10, atol=1e-12
    )
    # slogdet's own rule: inv(A)^T, for any square A
    b = RNG.standard_normal((3, 3))
    np.testing.assert_allclose(
        gk.grad(lambda b: np.linalg.slogdet(b)[1])(b), np.linalg.inv(b).T, rtol=1e-10
    )


def test_logdet_second_derivative_is_minus_trace_of_a_inverse_h_squared():
    a, h = _spd(3), RNG.standard_normal((3, 3))
    h = np.tril(h) + np.tril(h, -1).T  # a symmetric direction, as eigh reads it
    inv = np.linalg.inv(a)
    expected = -np.trace(inv @ h @ inv @ h)

    def by_eigh(a):
        return np.sum(np.log(np.linalg.eigvalsh(a)))

    second = np.sum(gk.hvp(by_eigh, a, h) * np.tril(h))  # H lives on the lower triangle
    np.testing.assert_allclose(second, expected, rtol=1e-9)


def test_third_derivative_of_logdet_through_every_decomposition():
    """d^3/ds^3 log det(A + s H) = 2 tr((A^-1 H)^3), through eigh, cholesky, qr and svd."""
    a, h = _spd(3), RNG.standard_normal((3, 3))
    h = h + h.T
    m = np.linalg.solve(a, h)
    expected = 2 * np.trace(m @ m @ m)
    routes = {
        "eigh": lambda x: np.sum(np.log(np.linalg.eigvalsh(x))),
        "cholesky": lambda x: 2 * np.sum(np.log(np.diagonal(np.linalg.cholesky(x)))),
        "qr": lambda x: np.sum(np.log(np.abs(np.diagonal(np.linalg.qr(x)[1])))),
        "svd": lambda x: np.sum(np.log(np.linalg.svd(x)[1])),
        "svd vectors": lambda x: np.sum(
            np.log(np.diagonal(np.linalg.svd(x)[0].T @ x @ np.linalg.svd(x)[2].T))
        ),
    }
    for name, logdet in routes.items():
        third = gk.grad(gk.grad(gk.grad(lambda s, f=logdet: f(a + s * h))))(0.0)
        np.testing.assert_allclose(third, expected, rtol=1e-8, err_msg=name)


def test_sum_of_eigenvalues_is_the_trace():
    a = RNG.standard_normal((3, 3))
    sym = a + a.T
    np.testing.assert_allclose(
        gk.grad(lambda s: np.sum(np.linalg.eigvalsh(s)))(sym), np.eye(3), atol=1e-12
    )
    tri = np.triu(a) + 3 * np.diag(np.arange(3.0))  # real, distinct eigenvalues
    np.testing.assert_allclose(
        gk.grad(lambda t: np.sum(np.real(np.linalg.eigvals(t))))(tri), np.eye(3), atol=1e-12
    )
    np.testing.assert_allclose(
        gk.grad(lambda t: np.sum(np.real(np.linalg.eig(t)[0])))(tri), np.eye(3), atol=1e-12
    )


def test_eigenvalues_of_a_diagonal_matrix_move_with_their_entries():
    d = np.array([0.5, -1.0, 2.0])
    order = np.argsort(d)
    jac = gk.jacobian(lambda d: np.linalg.eigvalsh(d[:, None] * np.eye(3)))(d)
    np.testing.assert_allclose(jac, np.eye(3)[order], atol=1e-12)
    jac = gk.jacobian(lambda d: np.linalg.svd(d[:, None] * np.eye(3), compute_uv=False))(d)
    descending = np.argsort(-np.abs(d))
    np.testing.assert_allclose(jac, (np.eye(3) * np.sign(d))[descending], atol=1e-12)


def test_matrix_two_norm_and_nuclear_norm_gradients():
    a = RNG.standard_normal((4, 3))
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(
        gk.grad(lambda a: np.linalg.norm(a, 2))(a), np.outer(u[:, 0], vh[0]), atol=1e-12
    )
    np.testing.assert_allclose(
        gk.grad(lambda a: np.linalg.norm(a, -2))(a), np.outer(u[:, -1], vh[-1]), atol=1e-12
    )
    np.testing.assert_allclose(gk.grad(lambda a: np.linalg.norm(a, "nuc"))(a), u @ vh, atol=1e-12)
    for ord in (2, -2, "nuc", 1, -1, np.inf, -np.inf):
        assert np.isclose(np.linalg.norm(gk.Tensor(a), ord).numpy(), np.linalg.norm(a, ord))


def test_cholesky_of_a_known_matrix_and_its_jacobian():
    a = np.array([[4.0, 2.0], [2.0, 3.0]])
    np.testing.assert_allclose(
        np.linalg.cholesky(gk.Tensor(a)).numpy(), [[2.0, 0.0], [1.0, np.sqrt(2.0)]]
    )
    # L11 = sqrt(a11), L21 = a21 / sqrt(a11), L22 = sqrt(a22 - a21^2 / a11); a12 unread
    jac = gk.jacfwd(np.linalg.cholesky)(a)
    a11, a21, a22 = 4.0, 2.0, 3.0
    l22 = np.sqrt(a22 - a21**2 / a11)
    expected = np.zeros((2, 2, 2, 2))
    expected[0, 0, 0, 0] = 0.5 / np.sqrt(a11)
    expected[1, 0, 0, 0] = -0.5 * a21 * a11**-1.5
    expected[1, 0, 1, 0] = 1 / np.sqrt(a11)
    expected[1, 1, 0, 0] = 0.5 / l22 * a21**2 / a11**2
    expected[1, 1, 1, 0] = -0.5 / l22 * 2 * a21 / a11
    expected[1, 1, 1, 1] = 0.5 / l22
    np.testing.assert_allclose(jac, expected, atol=1e-12)
    np.testing.assert_allclose(gk.jacrev(np.linalg.cholesky)(a), expected, atol=1e-12)


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 2)])
def test_reconstructions_have_the_identity_as_derivative(shape):
    a = RNG.standard_normal(shape)
    t = RNG.standard_normal(shape)

    def svd_back(a):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        return (u * s[..., None, :]) @ vh

    def qr_back(a):
        q, r = np.linalg.qr(a)
        return q @ r

    for f in (svd_back, qr_back):
        np.testing.assert_allclose(gk.jvp(f, (a,), (t,))[1], t, atol=1e-10)
        np.testing.assert_allclose(gk.vjp(f, a)[1](t)[0], t, atol=1e-10)
    if shape[-1] == shape[-2]:
        s = a + np.swapaxes(a, -1, -2) + 4 * np.eye(shape[-1])

        def eigh_back(s):
            w, v = np.linalg.eigh(s)
            return (v * w[..., None, :]) @ np.swapaxes(v, -1, -2)

        def chol_back(s):
            c = np.linalg.cholesky(s)
            return c @ np.swapaxes(c, -1, -2)

        sym_t = np.tril(t) + np.swapaxes(np.tril(t, -1), -1, -2)  # what NumPy reads
        for f in (eigh_back, chol_back):
            np.testing.assert_allclose(gk.jvp(f, (s,), (t,))[1], sym_t, atol=1e-10)


def test_orthogonality_is_kept_to_first_order():
    a = RNG.standard_normal((4, 3))
    t = RNG.standard_normal((4, 3))
    q, dq = gk.jvp(lambda a: np.linalg.qr(a, "complete")[0], (a,), (t,))
    np.testing.assert_allclose(dq.T @ q + q.T @ dq, 0, atol=1e-12)
    u, du = gk.jvp(lambda a: np.linalg.svd(a)[0], (a,), (t,))
    np.testing.assert_allclose(du.T @ u + u.T @ du, 0, atol=1e-12)


def test_solve_has_its_own_rule_and_matches_the_closed_forms():
    a = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
    b = RNG.standard_normal((3, 2))
    g = RNG.standard_normal((3, 2))
    x = np.linalg.solve(a, b)
    _, vjp = gk.vjp(np.linalg.solve, a, b)
    ga, gb = vjp(g)
    np.testing.assert_allclose(gb, np.linalg.solve(a.T, g), rtol=1e-12)
    np.testing.assert_allclose(ga, -np.linalg.solve(a.T, g) @ x.T, rtol=1e-12)
    from gradkit.autodiff.rules import linalg

    seen = []
    original = linalg.solve_p.impl
    linalg.solve_p.impl = lambda *args: seen.append(1) or original(*args)
    try:
        gk.grad(lambda a: np.sum(np.linalg.solve(a, b)))(a)
    finally:
        linalg.solve_p.impl = original
    assert seen, "np.linalg.solve did not go through its own primitive"


def test_pinv_of_full_rank_matrices_is_a_left_or_right_inverse():
    a = RNG.standard_normal((4, 2))
    t = RNG.standard_normal((4, 2))
    # pinv(a) a = I, so d(pinv a) a + pinv(a) da = 0
    p, dp = gk.jvp(np.linalg.pinv, (a,), (t,))
    np.testing.assert_allclose(dp @ a + p @ t, 0, atol=1e-12)


def test_multi_dot_and_matrix_rank():
    a, b, c = RNG.standard_normal(3), RNG.standard_normal((3, 2)), RNG.standard_normal(2)
    g = gk.grad(lambda a: np.linalg.multi_dot([a, b, c]))(a)
    np.testing.assert_allclose(g, b @ c, rtol=1e-12)
    m = RNG.standard_normal((3, 1)) @ RNG.standard_normal((1, 3))
    assert (
        gk.grad(lambda m: np.linalg.matrix_rank(m) * np.sum(m))(m).tolist()
        == np.ones((3, 3)).tolist()
    )


# degenerate cases ---------------------------------------------------------------------------
def test_repeated_eigenvalues_values_are_differentiable_vectors_refused_clearly():
    a = np.diag([2.0, 2.0, 5.0])  # a tied pair
    b = RNG.standard_normal((3, 3))
    # functions of the values alone: exact (the tie's sum, the trace, the top value)
    tied = gk.grad(lambda a: np.sum(np.linalg.eigvalsh(a)[:2]))(a)
    np.testing.assert_allclose(tied, np.diag([1.0, 1.0, 0.0]), atol=1e-12)
    top = gk.grad(lambda a: np.linalg.eigh(a)[0][2])(a)
    np.testing.assert_allclose(top, np.diag([0.0, 0.0, 1.0]), atol=1e-12)
    np.testing.assert_allclose(
        top, fd.gradient(lambda a: np.linalg.eigvalsh(a)[2], (a,)), atol=1e-8
    )

    def rebuilt(a):  # uses the tied vectors (through V diag(w) V^T = A)
        w, v = np.linalg.eigh(a)
        return np.sum(b * ((v * w) @ v.T))

    with pytest.raises(np.linalg.LinAlgError, match="repeated eigenvalue"):
        gk.grad(rebuilt)(a)
    with pytest.raises(np.linalg.LinAlgError, match="repeated eigenvalue"):
        gk.grad(rebuilt)(np.zeros((3, 3)))  # tied at zero: the cotangent is 0 there
    t = RNG.standard_normal((3, 3))
    with pytest.raises(np.linalg.LinAlgError, match="repeated eigenvalue"):
        gk.jvp(rebuilt, (a,), (t,))  # a direction that splits the tie
    # a direction that keeps the returned basis (diagonal) has an exact tangent
    d = np.diag(RNG.standard_normal(3))
    np.testing.assert_allclose(gk.jvp(rebuilt, (a,), (d,))[1], np.sum(b * d), rtol=1e-12)
    # eig: the same at a tie
    np.testing.assert_allclose(
        gk.grad(lambda a: np.sum(np.real(np.linalg.eig(a)[0])))(a), np.eye(3), atol=1e-12
    )
    np.testing.assert_allclose(
        gk.grad(lambda a: np.sum(np.real(np.linalg.eigvals(a)) ** 2))(a), 2 * a, atol=1e-12
    )
    with pytest.raises(np.linalg.LinAlgError, match="repeated eigenvalue"):
        gk.grad(lambda a: np.sum(np.real(np.linalg.eig(a)[1]) ** 2))(a)
    # one vector away from the tie stays differentiable in forward mode along d
    _, dv = gk.jvp(lambda a: np.linalg.eigh(a)[1][:, 2] ** 2, (a,), (d,))
    assert np.all(np.isfinite(dv))


def test_singular_vectors_at_ties_and_rank_deficiency():
    w = RNG.standard_normal((3, 3))

    def rebuilt(a):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        return np.sum(w[: a.shape[0], : a.shape[1]] * ((u * s) @ vh))

    # rank 2 of 3, square: no tie, the derivative exists and is exact
    low = RNG.standard_normal((3, 2)) @ RNG.standard_normal((2, 3))
    np.testing.assert_allclose(gk.grad(rebuilt)(low), w, atol=1e-9)
    # a tie (the identity), or a zero singular value of a non-square matrix: refused
    for a in (np.eye(3), np.eye(3)[:, :2], RNG.standard_normal((3, 1)) @ np.ones((1, 2))):
        with pytest.raises(np.linalg.LinAlgError, match="repeated singular|rank deficient"):
            gk.grad(rebuilt)(a)
    # the singular values alone stay exact at ties: d nuc(I) = U V^T = I
    np.testing.assert_allclose(
        gk.grad(lambda a: np.linalg.norm(a, "nuc"))(np.eye(3)), np.eye(3), atol=1e-12
    )
    np.testing.assert_allclose(
        gk.grad(lambda a: np.sum(np.linalg.svd(a)[1]))(np.eye(3)), np.eye(3), atol=1e-12
    )


def test_pinv_and_lstsq_at_rank_deficiency_follow_rank_preserving_perturbations():
    b, c = RNG.standard_normal((4, 2)), RNG.standard_normal((2, 3))
    db, dc = RNG.standard_normal((4, 2)), RNG.standard_normal((2, 3))
    rhs = RNG.standard_normal(4)

    def pinv_of(b, c):
        return np.linalg.pinv(b @ c)

    def lstsq_of(b, c):
        return np.linalg.lstsq(b @ c, rhs)[0]

    for f in (pinv_of, lstsq_of):
        got = gk.jvp(f, (b, c), (db, dc))[1]
        np.testing.assert_allclose(got, fd.directional(f, (b, c), (db, dc)), rtol=1e-6, atol=1e-8)
        assert np.all(np.isfinite(gk.grad(lambda a, f=f: np.sum(f(a, c)))(b)))
    # the minimum-norm solution NumPy returns, with NumPy's rank and no residuals
    a = b @ c
    x, resid, rank, s = np.linalg.lstsq(gk.Tensor(a), rhs)
    ref = np.linalg.lstsq(a, rhs)
    np.testing.assert_allclose(x.numpy(), ref[0], atol=1e-12)
    assert rank == ref[2] == 2 and np.shape(resid) == (0,)
    np.testing.assert_allclose(np.asarray(s.numpy()), ref[3], atol=1e-12)


# errors --------------------------------------------------------------------------------------
def test_bad_inputs_raise_clear_errors():
    rect = gk.Tensor(np.ones((2, 3)))
    with pytest.raises(np.linalg.LinAlgError, match=r"eigh: expected .*square"):
        np.linalg.eigh(rect)
    with pytest.raises(np.linalg.LinAlgError, match=r"cholesky: expected .*square"):
        np.linalg.cholesky(rect)
    with pytest.raises(NoRuleError, match="mode='raw'"):
        np.linalg.qr(rect, mode="raw")
    with pytest.raises(ValueError, match="invalid norm order"):
        np.linalg.norm(rect, 3)
    with pytest.raises(ValueError, match="UPLO"):
        np.linalg.eigh(gk.Tensor(np.eye(2)), UPLO="X")
    with pytest.raises(np.linalg.LinAlgError):  # NumPy's own: not positive definite
        gk.grad(lambda a: np.sum(np.linalg.cholesky(a)))(-np.eye(2))
    vec = gk.Tensor(np.ones(3))
    with pytest.raises(ValueError, match="matrix_transpose: needs at least 2"):
        np.linalg.matrix_transpose(vec)
    with pytest.raises(ValueError, match="outer: both inputs must be 1-d"):
        np.linalg.outer(rect, vec)
    with pytest.raises(np.linalg.LinAlgError, match="tensorinv"):
        np.linalg.tensorinv(gk.Tensor(np.ones((2, 3, 4))), ind=1)
    with pytest.raises(ValueError, match="multi_dot: expecting at least two"):
        np.linalg.multi_dot([rect])
    with pytest.raises(np.linalg.LinAlgError, match="lstsq: a must be 2-d"):
        np.linalg.lstsq(gk.Tensor(np.ones((2, 3, 3))), np.ones(3))


# batched == looped ---------------------------------------------------------------------------
BATCHED = {
    "cholesky": (lambda a: np.sum(np.linalg.cholesky(a) ** 2), "spd"),
    "eigh": (
        lambda a: np.sum(np.linalg.eigh(a)[0] ** 3) + np.sum(np.linalg.eigh(a)[1][..., :1, :] ** 4),
        "sym",
    ),
    "svd": (lambda a: np.sum(np.linalg.svd(a)[1] ** 3) + np.sum(np.linalg.svd(a)[0] ** 4), "any"),
    "qr": (lambda a: np.sum(np.linalg.qr(a)[1] ** 3), "any"),
    "pinv": (lambda a: np.sum(np.linalg.pinv(a) ** 3), "any"),
    "eig": (lambda a: np.sum(np.real(np.linalg.eigvals(a)) ** 3), "tri"),
    "solve": (lambda a: np.sum(np.linalg.solve(a, np.arange(3.0)) ** 2), "spd"),
    "inv": (lambda a: np.sum(np.linalg.inv(a) ** 2), "spd"),
    "det": (lambda a: np.sum(np.linalg.det(a) ** 2), "spd"),
    "slogdet": (lambda a: np.sum(np.linalg.slogdet(a)[1] ** 2), "spd"),
    "norm 2": (lambda a: np.sum(np.linalg.norm(a, 2, axis=(-2, -1))), "any"),
}


@pytest.mark.parametrize("name", sorted(BATCHED))
def test_a_stack_of_matrices_gives_each_matrix_its_own_gradient(name):
    f, kind = BATCHED[name]
    rng = np.random.default_rng(3)
    raw = rng.standard_normal((2, 3, 3))
    a = {
        "spd": raw @ np.swapaxes(raw, -1, -2) + 3 * np.eye(3),
        "sym": raw + np.swapaxes(raw, -1, -2),
        "tri": np.triu(raw) + 3 * np.diag(np.arange(3.0)),
        "any": raw,
    }[kind]
    t = rng.standard_normal(a.shape)
    stacked = gk.grad(f)(a)
    looped = np.stack([gk.grad(f)(a[k]) for k in range(2)])
    np.testing.assert_allclose(stacked, looped, rtol=1e-10, atol=1e-12)
    forward = gk.jvp(f, (a,), (t,))[1]
    np.testing.assert_allclose(
        forward, sum(gk.jvp(f, (a[k],), (t[k],))[1] for k in range(2)), rtol=1e-10
    )
    hess = gk.hessian(f)(a)
    looped_h = [gk.hessian(f)(a[k]) for k in range(2)]
    np.testing.assert_allclose(hess[0, :, :, 0], looped_h[0], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(hess[1, :, :, 1], looped_h[1], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(hess[0, :, :, 1], 0, atol=1e-10)  # matrices do not mix


def test_eig_jvp_and_vjp_agree_by_the_dot_product_identity():
    """<ct, J v> = <vjp(ct), v> for eig's values and (sign-free) vectors."""
    rng = np.random.default_rng(5)
    basis = np.eye(3) + 0.3 * rng.standard_normal((3, 3))
    a = (basis * np.array([0.0, 2.0, 4.0])) @ np.linalg.inv(basis)  # a real spectrum

    def f(a):
        w, v = np.linalg.eig(a)
        w, v = np.real(w), np.real(v)  # NumPy >= 2.5 returns complex always
        return np.concatenate([w, (v * v[:1]).ravel()])

    v = rng.standard_normal((3, 3))
    out, jv = gk.jvp(f, (a,), (v,))
    ct = rng.standard_normal(np.shape(out))
    (vjp_ct,) = gk.vjp(f, a)[1](ct)
    np.testing.assert_allclose(np.sum(ct * jv), np.sum(vjp_ct * v), rtol=1e-10)
    np.testing.assert_allclose(jv, fd.directional(f, (a,), (v,)), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", sorted(set(BATCHED) - {"slogdet"}))  # reads its sign
def test_gradients_under_jit_follow_new_inputs(name):
    """gk.jit records the rules (their tie checks and permutations included) and replays
    them for a new matrix: the same gradient as without jit."""
    f, kind = BATCHED[name]
    rng = np.random.default_rng(4)
    raw = rng.standard_normal((2, 3, 3))
    a = {
        "spd": raw @ np.swapaxes(raw, -1, -2) + 3 * np.eye(3),
        "sym": raw + np.swapaxes(raw, -1, -2),
        "tri": np.triu(raw) + 3 * np.diag(np.arange(3.0)),
        "any": raw,
    }[kind]
    jitted = gk.jit(gk.grad(f))
    jitted(a)
    b = a + 0.05 * (np.eye(3) + np.triu(np.ones((3, 3)), 1) * (kind != "spd"))
    np.testing.assert_allclose(jitted(b), gk.grad(f)(b), rtol=1e-10, atol=1e-12)


def test_values_are_numpys_bit_for_bit():
    """On traced inputs every output is the array NumPy itself returns (same LAPACK call),
    so eigenvector signs and orders are NumPy's."""
    rng = np.random.default_rng(8)
    raw = rng.standard_normal((2, 4, 4))
    sym, spd = raw + np.swapaxes(raw, -1, -2), raw @ np.swapaxes(raw, -1, -2) + np.eye(4)
    calls = [
        (np.linalg.eigh, sym), (np.linalg.eigvalsh, sym), (np.linalg.eig, raw),
        (np.linalg.eigvals, raw), (np.linalg.svd, raw[..., :3]), (np.linalg.svdvals, raw),
        (lambda a: np.linalg.svd(a, full_matrices=False), raw[..., :3, :]),
        (np.linalg.qr, raw[..., :3]), (lambda a: np.linalg.qr(a, "complete"), raw[..., :3]),
        (np.linalg.cholesky, spd), (lambda a: np.linalg.cholesky(a, upper=True), spd),
        (np.linalg.pinv, raw[..., :3]), (lambda a: np.linalg.solve(a, a[..., :2]), raw),
        (lambda a: np.linalg.svd(a, hermitian=True), sym),
    ]  # fmt: skip
    for fn, a in calls:
        got, want = fn(gk.Tensor(a)), fn(a)
        for g, w in zip(*(x if isinstance(x, tuple) else (x,) for x in (got, want))):
            assert np.array_equal(g.numpy(), w), fn


def test_jit_replays_the_tie_checks():
    """A gradient recorded away from a tie refuses the tie when replayed at one."""

    def rebuilt(a):
        w, v = np.linalg.eigh(a)
        return np.sum(((v * w) @ v.T) ** 2)

    jitted = gk.jit(gk.grad(rebuilt))
    a = np.diag([1.0, 2.0, 5.0])
    np.testing.assert_allclose(jitted(a), gk.grad(rebuilt)(a), rtol=1e-12)
    with pytest.raises(np.linalg.LinAlgError, match="repeated eigenvalue"):
        jitted(np.diag([2.0, 2.0, 5.0]))
    svd_jitted = gk.jit(gk.grad(lambda a: np.sum(np.linalg.svd(a, full_matrices=False)[0] ** 4)))
    svd_jitted(np.diag([1.0, 2.0, 5.0])[:, :2])
    with pytest.raises(np.linalg.LinAlgError, match="repeated singular value|rank deficient"):
        svd_jitted(np.eye(3)[:, :2])


# complex matrices (JAX's convention: a cotangent c pairs with a tangent v by Re sum(c v)) ---
def _complex_directional(f, a, v, h=2e-4):
    """The five-point central difference of ``f`` along a complex direction ``v``."""
    phi = [np.asarray(f(a + s * h * v)) for s in (-2, -1, 1, 2)]
    return (phi[0] - 8 * phi[1] + 8 * phi[2] - phi[3]) / (12 * h)


def _crandn(*shape, rng=RNG):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def _spectral_parts(decomposition):
    """The phase-free parts of a decomposition's outputs, as one real vector."""

    def f(a):
        parts = decomposition(a)
        return np.concatenate([np.ravel(np.abs(p) if np.iscomplexobj(p) else p) for p in parts])

    return f


def _gram(a):
    """A A^H + 4 I: Hermitian positive definite."""
    return a @ np.conj(np.swapaxes(a, -1, -2)) + 4 * np.eye(a.shape[-1])


COMPLEX_FUNCTIONS = {
    "eig of a real matrix": (lambda a: np.linalg.eig(a), (5, 5), False),
    "eig": (lambda a: np.linalg.eig(a), (4, 4), True),
    "eig batched": (lambda a: np.linalg.eig(a), (2, 3, 3), True),
    "eigvals": (lambda a: (np.linalg.eigvals(a),), (4, 4), True),
    "eigh": (lambda a: np.linalg.eigh(a), (4, 4), True),
    "eigh UPLO=U": (lambda a: np.linalg.eigh(a, "U"), (2, 3, 3), True),
    "eigvalsh": (lambda a: (np.linalg.eigvalsh(a),), (4, 4), True),
    "cholesky": (lambda a: (np.linalg.cholesky(_gram(a)),), (2, 3, 3), True),
    "cholesky upper": (lambda a: (np.linalg.cholesky(_gram(a), upper=True),), (3, 3), True),
    "svd wide": (lambda a: np.linalg.svd(a, full_matrices=False), (3, 5), True),
    "svd tall": (lambda a: np.linalg.svd(a, full_matrices=False), (2, 4, 3), True),
    "svd full": (lambda a: (np.linalg.svd(a)[1], np.abs(np.linalg.svd(a)[0][:, :2])), (4, 2), True),
    "svdvals": (lambda a: (np.linalg.svdvals(a),), (4, 3), True),
    "qr": (lambda a: np.linalg.qr(a), (4, 3), True),
    "qr wide": (lambda a: np.linalg.qr(a), (3, 4), True),
    "pinv": (lambda a: (np.linalg.pinv(a),), (4, 3), True),
    "norm 2 and nuc": (lambda a: (np.linalg.norm(a, 2), np.linalg.norm(a, "nuc")), (3, 4), True),
}


@pytest.mark.parametrize("name", sorted(COMPLEX_FUNCTIONS))
def test_complex_decompositions_match_finite_differences_in_both_modes(name):
    decomposition, shape, is_complex = COMPLEX_FUNCTIONS[name]
    rng = np.random.default_rng(11)
    a = _crandn(*shape, rng=rng) if is_complex else rng.standard_normal(shape)
    v = _crandn(*shape, rng=rng) if is_complex else rng.standard_normal(shape)
    f = _spectral_parts(decomposition)
    out, jv = gk.jvp(f, (a,), (v,))
    np.testing.assert_allclose(jv, _complex_directional(f, a, v), rtol=1e-6, atol=1e-8)
    ct = rng.standard_normal(np.shape(out))
    (back,) = gk.vjp(f, a)[1](ct)
    assert np.iscomplexobj(back) == is_complex
    # the dot-product identity Re <ct, J v> = Re <vjp(ct), v>, JAX's pairing
    np.testing.assert_allclose(np.sum(ct * jv), np.real(np.sum(back * v)), rtol=1e-9)
    gk.check_grads(f, modes=("fwd", "rev"), order=2)(a)


def test_complex_closed_forms():
    a = _crandn(3, 3)
    # sum of eigenvalues = trace, holomorphic: d/dA = I, in both eig and eigvals
    for f in (lambda a: np.sum(np.linalg.eigvals(a)), lambda a: np.sum(np.linalg.eig(a)[0])):
        np.testing.assert_allclose(gk.grad(f, holomorphic=True)(a), np.eye(3), atol=1e-10)
    # eigvalsh's sum is the real part of the (read) trace: its cotangent is I
    g = gk.grad(lambda a: np.sum(np.linalg.eigvalsh(a)))(a)
    np.testing.assert_allclose(g, np.eye(3), atol=1e-12)
    # the top singular value: d s_max pairs with u1 v1^H, i.e. its cotangent is conj(u1 v1^H)
    u, s, vh = np.linalg.svd(a)
    g = gk.grad(lambda a: np.linalg.norm(a, 2))(a)
    np.testing.assert_allclose(g, np.conj(np.outer(u[:, 0], vh[0])), atol=1e-10)
