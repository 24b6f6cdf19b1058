"""gk.scipy: SciPy's Python-level functions written for gradkit.

Each function's value is compared with SciPy's own on the same inputs; its derivatives
with central finite differences of SciPy's function (``tests/fd.py``) in both modes
(``gk.vjp`` with a random cotangent, ``gk.jvp`` along a random tangent), and at second
order with ``gk.check_grads`` where the function supports it.
"""

from __future__ import annotations

import fd
import numpy as np
import pytest

import gradkit as gk
from gradkit import NoRuleError

sp = pytest.importorskip("scipy")
import scipy.integrate as si  # noqa: E402
import scipy.linalg as sl  # noqa: E402
import scipy.signal as ss  # noqa: E402
import scipy.special as sc  # noqa: E402
import scipy.stats as st  # noqa: E402
from scipy.spatial import distance as sd  # noqa: E402

G = gk.scipy


def _rng(seed=0):
    return np.random.default_rng(seed)


def _spd(rng, n):
    a = rng.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


class Case:
    def __init__(self, name, ours, theirs, make, argnums=(0,), order=2):
        self.name, self.ours, self.theirs, self.make = name, ours, theirs, make
        self.argnums, self.order = argnums, order

    def __repr__(self) -> str:
        return self.name


def _cases():
    out = []

    def add(name, ours, theirs, make, argnums=(0,), order=2):
        out.append(Case(name, ours, theirs, make, argnums, order))

    # special
    x34 = lambda r: (r.normal(size=(3, 4)),)  # noqa: E731
    add("logsumexp", G.special.logsumexp, sc.logsumexp, x34)
    add(
        "logsumexp axis=1 keepdims",
        lambda a: G.special.logsumexp(a, 1, keepdims=True),
        lambda a: sc.logsumexp(a, 1, keepdims=True),
        x34,
    )
    add(
        "logsumexp axis=(0, 1)",
        lambda a: G.special.logsumexp(a, axis=(0, 1)),
        lambda a: sc.logsumexp(a, axis=(0, 1)),
        x34,
    )
    add(
        "logsumexp b",
        lambda a, b: G.special.logsumexp(a, 0, b=b),
        lambda a, b: sc.logsumexp(a, 0, b=b),
        lambda r: (r.normal(size=(3, 4)), r.uniform(0.5, 2, size=(3, 4))),
        (0, 1),
    )
    add(
        "logsumexp b broadcast",
        lambda a, b: G.special.logsumexp(a, 1, b=b),
        lambda a, b: sc.logsumexp(a, 1, b=b),
        lambda r: (r.normal(size=(3, 4)), r.uniform(0.5, 2, size=(4,))),
        (0, 1),
    )
    add(
        "logsumexp return_sign",
        lambda a, b: G.special.logsumexp(a, b=b, return_sign=True)[0],
        lambda a, b: sc.logsumexp(a, b=b, return_sign=True)[0],
        lambda r: (0.3 * r.normal(size=(5,)), np.array([1.0, -0.2, 0.5, -0.1, 0.3])),
        (0, 1),
    )
    add("softmax", G.special.softmax, sc.softmax, x34)
    add("softmax axis=0", lambda a: G.special.softmax(a, 0), lambda a: sc.softmax(a, 0), x34)
    add(
        "log_softmax axis=1",
        lambda a: G.special.log_softmax(a, 1),
        lambda a: sc.log_softmax(a, 1),
        x34,
    )
    add(
        "polygamma",
        lambda x: G.special.polygamma(np.array([0, 1, 3]), x),
        lambda x: sc.polygamma(np.array([0, 1, 3]), x),
        lambda r: (r.uniform(0.5, 3, size=3),),
    )
    # stats
    xs = lambda r: (r.normal(size=5), np.array(0.3), np.array(1.7))  # noqa: E731
    for m in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"):
        add(f"norm.{m}", getattr(G.stats.norm, m), getattr(st.norm, m), xs, (0, 1, 2))
        add(
            f"t.{m}",
            lambda x, df, s, m=m: getattr(G.stats.t, m)(x, df, scale=s),
            lambda x, df, s, m=m: getattr(st.t, m)(x, df, scale=s),
            lambda r: (r.normal(size=5), np.array(3.5), np.array(1.3)),
            (0, 2) if "cdf" in m or "sf" in m else (0, 1, 2),
        )
        add(
            f"gamma.{m}",
            lambda x, a, s, m=m: getattr(G.stats.gamma, m)(x, a, scale=s),
            lambda x, a, s, m=m: getattr(st.gamma, m)(x, a, scale=s),
            lambda r: (r.uniform(0.3, 4, size=5), np.array(2.5), np.array(1.3)),
            (0, 2) if "cdf" in m or "sf" in m else (0, 1, 2),
        )
        add(
            f"beta.{m}",
            lambda x, a, b, m=m: getattr(G.stats.beta, m)(x, a, b),
            lambda x, a, b, m=m: getattr(st.beta, m)(x, a, b),
            lambda r: (r.uniform(0.1, 0.9, size=5), np.array(2.5), np.array(1.5)),
            (0,) if "cdf" in m or "sf" in m else (0, 1, 2),
        )
    ks = lambda r: (np.array([0.0, 1.0, 3.0, 7.0]), np.array(2.3))  # noqa: E731
    add("poisson.logpmf", G.stats.poisson.logpmf, st.poisson.logpmf, ks, (1,))
    add("poisson.pmf", G.stats.poisson.pmf, st.poisson.pmf, ks, (1,))
    add("poisson.cdf", G.stats.poisson.cdf, st.poisson.cdf, ks, (1,))
    alpha = np.array([1.5, 2.0, 3.0])
    add(
        "dirichlet.logpdf",
        lambda a: G.stats.dirichlet.logpdf(_rng(1).dirichlet(alpha, 3).T, a),
        lambda a: st.dirichlet.logpdf(_rng(1).dirichlet(alpha, 3).T, a),
        lambda r: (alpha + r.uniform(0, 0.5, 3),),
    )
    add(
        "dirichlet.pdf (K-1 entries)",
        lambda a: G.stats.dirichlet.pdf(np.array([0.2, 0.5]), a),
        lambda a: st.dirichlet.pdf(np.array([0.2, 0.5]), a),
        lambda r: (alpha,),
    )
    add(
        "multivariate_normal.logpdf",
        lambda x, m, c: G.stats.multivariate_normal.logpdf(x, m, c),
        lambda x, m, c: st.multivariate_normal.logpdf(x, m, c),
        lambda r: (r.normal(size=(4, 3)), r.normal(size=3), _spd(r, 3)),
        (0, 1, 2),
    )
    add(
        "multivariate_normal.pdf (diagonal cov)",
        lambda x, c: G.stats.multivariate_normal.pdf(x, np.zeros(3), c),
        lambda x, c: st.multivariate_normal.pdf(x, np.zeros(3), c),
        lambda r: (r.normal(size=3), r.uniform(0.5, 2, size=3)),
        (0, 1),
    )
    # signal
    for mode in ("full", "valid", "same"):
        for shapes in (((7,), (3,)), ((3,), (6,)), ((4, 5), (2, 3))):
            make = lambda r, s=shapes: (r.normal(size=s[0]), r.normal(size=s[1]))  # noqa: E731
            for fn in ("convolve", "correlate"):
                add(
                    f"{fn} {mode} {shapes}",
                    lambda a, b, f=fn, m=mode: getattr(G.signal, f)(a, b, m),
                    lambda a, b, f=fn, m=mode: getattr(ss, f)(a, b, m),
                    make,
                    (0, 1),
                )
            if len(shapes[0]) == 2:
                for fn in ("convolve2d", "correlate2d"):
                    add(
                        f"{fn} {mode}",
                        lambda a, b, f=fn, m=mode: getattr(G.signal, f)(a, b, m),
                        lambda a, b, f=fn, m=mode: getattr(ss, f)(a, b, m),
                        make,
                        (0, 1),
                    )
    # linalg
    tri = lambda r: (np.tril(r.normal(size=(4, 4))) + 3 * np.eye(4), r.normal(size=(4, 2)))  # noqa: E731
    for trans in (0, 1, "T"):
        for lower in (True, False):
            for unit in (False, True):
                add(
                    f"solve_triangular trans={trans} lower={lower} unit={unit}",
                    lambda a, b, t=trans, lo=lower, u=unit: G.linalg.solve_triangular(
                        a if lo else a.T, b, t, lo, u
                    ),
                    lambda a, b, t=trans, lo=lower, u=unit: sl.solve_triangular(
                        a if lo else a.T, b, t, lo, u
                    ),
                    tri,
                    (0, 1),
                )
    add(
        "solve_triangular vector b",
        lambda a, b: G.linalg.solve_triangular(a, b[:, 0], lower=True),
        lambda a, b: sl.solve_triangular(a, b[:, 0], lower=True),
        tri,
        (0, 1),
    )
    add("expm", G.linalg.expm, sl.expm, lambda r: (0.5 * r.normal(size=(4, 4)),))
    add("expm batched", G.linalg.expm, sl.expm, lambda r: (0.5 * r.normal(size=(2, 3, 3)),))
    add("sqrtm", G.linalg.sqrtm, sl.sqrtm, lambda r: (_spd(r, 3),))
    add(
        "solve_sylvester",
        G.linalg.solve_sylvester,
        sl.solve_sylvester,
        lambda r: (_spd(r, 3), _spd(r, 2), r.normal(size=(3, 2))),
        (0, 1, 2),
    )
    add(
        "cho_factor lower",
        lambda a: np.tril(G.linalg.cho_factor(a, lower=True)[0]),
        lambda a: np.tril(sl.cho_factor(a, lower=True)[0]),
        lambda r: (_spd(r, 4),),
    )
    add(
        "cho_factor upper",
        lambda a: np.triu(G.linalg.cho_factor(a)[0]),
        lambda a: np.triu(sl.cho_factor(a)[0]),
        lambda r: (_spd(r, 4),),
    )
    for lower in (False, True):
        add(
            f"cho_solve lower={lower}",
            lambda a, b, lo=lower: G.linalg.cho_solve(G.linalg.cho_factor(a, lo), b),
            lambda a, b, lo=lower: sl.cho_solve(sl.cho_factor(a, lo), b),
            lambda r: (_spd(r, 4), r.normal(size=(4, 2))),
            (0, 1),
        )
    pivoting = lambda r: (r.normal(size=(4, 4)), r.normal(size=(4, 2)))  # noqa: E731
    add(
        "lu_factor",
        lambda a: G.linalg.lu_factor(a)[0],
        lambda a: sl.lu_factor(a)[0],
        lambda r: pivoting(r)[:1],
    )
    for trans in (0, 1):
        add(
            f"lu_solve trans={trans}",
            lambda a, b, t=trans: G.linalg.lu_solve(G.linalg.lu_factor(a), b, t),
            lambda a, b, t=trans: sl.lu_solve(sl.lu_factor(a), b, t),
            pivoting,
            (0, 1),
        )
    for lu in ((1, 1), (2, 0), (0, 2), (2, 1)):

        def band(r, lu=lu):
            ab = r.normal(size=(sum(lu) + 1, 6))
            ab[lu[1]] += 5.0
            return ab, r.normal(size=(6, 2))

        add(
            f"solve_banded {lu}",
            lambda ab, b, lu=lu: G.linalg.solve_banded(lu, ab, b),
            lambda ab, b, lu=lu: sl.solve_banded(lu, ab, b),
            band,
            (0, 1),
        )

    # spatial
    def pts(r):  # for the kinked metrics: no zero differences, no ties for the largest
        return r.uniform(0, 1, size=(4, 3)), r.uniform(2, 3, size=(5, 3)) * [1.0, 2.0, 3.0]

    for metric, kw in (
        ("euclidean", {}),
        ("sqeuclidean", {}),
        ("cityblock", {}),
        ("minkowski", {"p": 3.0}),
        ("chebyshev", {}),
        ("cosine", {}),
    ):
        add(
            f"cdist {metric}",
            lambda a, b, m=metric, kw=kw: G.spatial.distance.cdist(a, b, m, **kw),
            lambda a, b, m=metric, kw=kw: sd.cdist(a, b, m, **kw),
            pts,
            (0, 1),
        )
    return out  # fmt: skip


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=repr)
@pytest.mark.parametrize("seed", [0, 1])
def test_value_and_derivatives_match_scipy(case, seed) -> None:
    rng = _rng(seed)
    args = case.make(rng)
    ours = np.asarray(case.ours(*args), dtype=float)
    theirs = np.asarray(case.theirs(*args), dtype=float)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-13 * max(1, np.abs(theirs).max()))

    # Only the differentiated arguments are traced (the others are constants).
    ours_d, theirs_d = _restricted(case.ours, case, args), _restricted(case.theirs, case, args)
    diff = tuple(args[i] for i in case.argnums)
    cot = rng.normal(size=theirs.shape)
    _, back = gk.vjp(ours_d, *diff)
    grads = back(cot)
    for k, grad in enumerate(grads):
        reference = fd.gradient(lambda *a: np.sum(cot * theirs_d(*a)), diff, k)
        np.testing.assert_allclose(grad, reference, rtol=1e-6, atol=1e-7, err_msg=f"arg {k}")
    tangents = tuple(rng.normal(size=np.shape(a)) for a in diff)
    _, tangent = gk.jvp(ours_d, diff, tangents)
    reference = fd.directional(theirs_d, diff, tangents)
    np.testing.assert_allclose(tangent, reference, rtol=1e-6, atol=1e-7)


def _restricted(fn, case, args):
    """``fn`` of the differentiated arguments only, the others fixed to ``args``."""

    def restricted(*diff):
        full = dict(enumerate(args))
        full.update(zip(case.argnums, diff))
        return fn(*[full[k] for k in range(len(args))])

    return restricted


@pytest.mark.parametrize("case", [c for c in CASES if c.order >= 2], ids=repr)
def test_second_order(case) -> None:
    args = case.make(_rng(2))
    ours = _restricted(case.ours, case, args)
    gk.check_grads(ours, modes=("fwd", "rev"), order=2)(*[args[i] for i in case.argnums])


def test_closed_forms() -> None:
    x = np.array([0.3, -1.2, 2.0])
    np.testing.assert_allclose(gk.grad(lambda x: G.special.logsumexp(x))(x), sc.softmax(x),
                               rtol=1e-14)  # fmt: skip
    mu, s = 0.4, 1.3
    g_mu, g_s = gk.grad(lambda m, s: np.sum(G.stats.norm.logpdf(x, m, s)), argnums=(0, 1))(mu, s)
    assert g_mu == pytest.approx(np.sum(x - mu) / s**2, rel=1e-13)
    assert g_s == pytest.approx(np.sum(((x - mu) ** 2 - s**2) / s**3), rel=1e-13)
    np.testing.assert_allclose(gk.elementwise_grad(G.stats.norm.cdf)(x), st.norm.pdf(x), rtol=1e-14)
    a = np.array([[0.0, 1.0], [-1.0, 0.0]])
    np.testing.assert_allclose(gk.jvp(lambda t: G.linalg.expm(t * a), (1.0,), (1.0,))[1],
                               a @ sl.expm(a), rtol=1e-12, atol=1e-14)  # fmt: skip


def test_odeint_adjoint_gradients() -> None:
    def f(y, t, a, b):
        return np.stack([a * y[0] - b * y[0] * y[1], -y[1] + 0.5 * y[0] * y[1] * np.sin(t)])

    opts = dict(rtol=1e-11, atol=1e-11)
    rng = _rng(0)
    args = (np.array([1.0, 0.5]), np.array([0.0, 0.4, 1.0, 1.7]), np.array(1.1), np.array(0.7))

    def ours(y0, t, a, b):
        return G.integrate.odeint(f, y0, t, (a, b), **opts)

    def theirs(y0, t, a, b):
        return si.odeint(f, y0, t, (a, b), **opts)

    np.testing.assert_allclose(ours(*args), theirs(*args), rtol=1e-13)
    cot = rng.normal(size=(4, 2))
    _, back = gk.vjp(ours, *args)
    grads = back(cot)
    for i in range(4):
        reference = fd.gradient(lambda *a: np.sum(cot * theirs(*a)), args, i)
        np.testing.assert_allclose(grads[i], reference, rtol=1e-6, atol=1e-8, err_msg=f"arg {i}")
        tangents = [rng.normal(size=np.shape(a)) if k == i else np.zeros(np.shape(a))
                    for k, a in enumerate(args)]  # fmt: skip
        _, tangent = gk.jvp(ours, args, tuple(tangents))
        np.testing.assert_allclose(tangent, fd.directional(theirs, args, tangents), rtol=1e-6,
                                   atol=1e-8)  # fmt: skip
    jac = gk.jacfwd(lambda y0: ours(y0, *args[1:]))(args[0])
    np.testing.assert_allclose(jac, gk.jacrev(lambda y0: ours(y0, *args[1:]))(args[0]),
                               rtol=1e-6, atol=1e-9)  # fmt: skip


def test_odeint_closed_form_and_tfirst() -> None:
    t = np.array([0.0, 0.5, 2.0])

    def solution(k):
        return G.integrate.odeint(lambda t, y, k: -k * y, np.array(2.0), t, (k,), rtol=1e-12,
                                  atol=1e-12, tfirst=True)[:, 0]  # fmt: skip

    np.testing.assert_allclose(gk.jacfwd(solution)(0.8), -t * 2 * np.exp(-0.8 * t), rtol=1e-8)
    np.testing.assert_allclose(gk.jacrev(solution)(0.8), -t * 2 * np.exp(-0.8 * t), rtol=1e-8)


# errors ------------------------------------------------------------------------------
def test_errors_name_what_is_wrong() -> None:
    x = np.ones(4)
    with pytest.raises(ValueError, match="acceptable mode flags"):
        G.signal.convolve(x, x, "middle")
    with pytest.raises(ValueError, match="at least as large as the other in every dimension"):
        G.signal.convolve(np.ones((2, 5)), np.ones((3, 2)), "valid")
    with pytest.raises(ValueError, match="same dimensionality"):
        G.signal.convolve(np.ones((2, 2)), x)
    with pytest.raises(NotImplementedError, match="boundary='fill'"):
        G.signal.convolve2d(np.ones((2, 2)), np.ones((2, 2)), boundary="wrap")
    with pytest.raises(ValueError, match="metric 'hamming' is not supported"):
        G.spatial.distance.cdist(np.ones((2, 2)), np.ones((2, 2)), "hamming")
    with pytest.raises(ValueError, match="same number of columns"):
        G.spatial.distance.cdist(np.ones((2, 2)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="no real square root"):
        G.linalg.sqrtm(np.array([[-1.0, 0.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match=r"ab has 2 rows, but \(l, u\) = \(1, 1\)"):
        G.linalg.solve_banded((1, 1), np.ones((2, 3)), np.ones(3))
    with pytest.raises(ValueError, match="trans must be"):
        G.linalg.solve_triangular(np.eye(2), np.ones(2), trans="X")
    with pytest.raises(NotImplementedError, match="allow_singular"):
        G.stats.multivariate_normal.logpdf(np.zeros(2), np.zeros(2), np.eye(2), True)
    with pytest.raises(ValueError, match="dimension 3"):
        G.stats.multivariate_normal.logpdf(np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match="simplex"):
        G.stats.dirichlet.logpdf(np.array([0.5, 0.6]), np.ones(2))
    with pytest.raises(TypeError, match="missing shape parameter"):
        G.stats.gamma.logpdf(1.0)
    with pytest.raises(NotImplementedError, match="full_output"):
        G.integrate.odeint(lambda y, t: -y, np.ones(1), np.array([0.0, 1.0]), full_output=1)


def test_order_and_second_derivative_errors() -> None:
    with pytest.raises(NoRuleError, match="polygamma: the order n"):
        gk.grad(lambda n: G.special.polygamma(n, 1.5))(1.0)
    with pytest.raises(NoRuleError, match=r"scipy\.special\.gammainc: .*not its argument a"):
        gk.grad(lambda a: G.stats.gamma.cdf(1.0, a))(2.0)

    def loss(k):
        y = G.integrate.odeint(lambda y, t, k: -k * y, np.ones(1), np.array([0.0, 1.0]), (k,))
        return y[-1, 0]

    with pytest.raises(NoRuleError, match="second derivative"):
        gk.grad(gk.grad(loss))(1.0)


def test_outside_support_and_invalid_parameters_are_scipys() -> None:
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    for name in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"):
        # infinities and nans where SciPy has them (assert_allclose compares those exactly)
        np.testing.assert_allclose(getattr(G.stats.beta, name)(x, 2.0, 2.0),
                                   getattr(st.beta, name)(x, 2.0, 2.0), rtol=1e-14)  # fmt: skip
        np.testing.assert_allclose(getattr(G.stats.norm, name)(x, 0.0, -1.0),
                                   getattr(st.norm, name)(x, 0.0, -1.0), rtol=1e-14)  # fmt: skip
    k = np.array([-1.0, 1.5, 2.0])
    np.testing.assert_array_equal(G.stats.poisson.logpmf(k, 2.0), st.poisson.logpmf(k, 2.0))
    inf = np.array([np.inf, 1.0])
    assert G.special.logsumexp(inf) == sc.logsumexp(inf) == np.inf
    assert G.special.logsumexp(-inf) == sc.logsumexp(-inf)


@pytest.mark.parametrize(
    "name", ["logsumexp b", "softmax axis=0", "norm.logpdf", "beta.cdf", "poisson.logpmf",
             "convolve same ((4, 5), (2, 3))", "expm", "solve_banded (2, 1)", "cdist euclidean"],
)  # fmt: skip
def test_gk_jit_replays_them(name) -> None:
    """Recorded once, replayed on other inputs: the same values as a plain call."""
    case = next(c for c in CASES if c.name == name)
    args = case.make(_rng(3))
    fast = gk.jit(case.ours)
    fast(*args)
    other = case.make(_rng(4))
    np.testing.assert_allclose(fast(*other), case.ours(*other), rtol=1e-15, atol=0)


_PRIMITIVE_CASES = [c for c in CASES if c.name.split()[0] in {
    "convolve", "correlate2d", "solve_triangular", "expm", "sqrtm", "solve_sylvester",
    "cho_factor", "cho_solve", "lu_factor", "lu_solve", "solve_banded"}]  # fmt: skip


@pytest.mark.parametrize("case", _PRIMITIVE_CASES[::3], ids=repr)
def test_batched_forward_rules_match_reverse(case) -> None:
    """jacfwd pushes every basis direction through one batched pass of each forward rule
    (a code path of its own in these primitives): it must equal jacrev."""
    args = case.make(_rng(5))
    for i in case.argnums:
        fwd = gk.jacfwd(case.ours, argnums=i)(*args)
        rev = gk.jacrev(case.ours, argnums=i)(*args)
        np.testing.assert_allclose(fwd, rev, rtol=1e-10, atol=1e-12, err_msg=f"arg {i}")


def test_lists_are_read_as_arrays_as_scipy_reads_them() -> None:
    pairs = [
        (G.special.logsumexp([1.0, 2.0]), sc.logsumexp([1.0, 2.0])),
        (G.stats.norm.logpdf([0.0, 1.0], [0.0, 1.0], 2.0),
         st.norm.logpdf([0.0, 1.0], [0.0, 1.0], 2.0)),
        (G.stats.poisson.pmf([1, 2], 2.0), st.poisson.pmf([1, 2], 2.0)),
        (G.signal.convolve([1.0, 2.0], [1.0, 1.0]), ss.convolve([1.0, 2.0], [1.0, 1.0])),
        (G.linalg.lu_solve(G.linalg.lu_factor([[1.0, 2.0], [3.0, 4.0]]), [1.0, 2.0]),
         sl.lu_solve(sl.lu_factor([[1.0, 2.0], [3.0, 4.0]]), [1.0, 2.0])),
        (G.spatial.distance.cdist([[0.0, 0.0]], [[3.0, 4.0]]),
         sd.cdist([[0.0, 0.0]], [[3.0, 4.0]])),
        (G.integrate.odeint(lambda y, t: -y, [1.0], [0.0, 1.0]),
         si.odeint(lambda y, t: -y, [1.0], [0.0, 1.0])),
    ]  # fmt: skip
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours, theirs, rtol=1e-14)
