"""scipy.special's ufuncs on traced values: closed forms, errors, and SciPy as an extra.

Every rule is also checked against finite differences in both modes and at second order
by the engine's case table (``tests/autodiff_cases_special.py``); here the derivatives
are compared with independent closed forms, and the errors and the optional import are
tested like features.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import fd
import numpy as np
import pytest

import gradkit as gk
from gradkit import NoRuleError, TracerConversionError

sc = pytest.importorskip("scipy.special")
stats = pytest.importorskip("scipy.stats")

X = np.array([-1.3, -0.2, 0.4, 1.7])
POS = np.array([0.3, 0.9, 1.6, 3.2])


def egrad(f, x):
    return gk.elementwise_grad(f)(x)


def fwd(f, x):
    return gk.jvp(f, (x,), (np.ones_like(x),))[1]


@pytest.mark.parametrize("mode", [egrad, fwd], ids=["rev", "fwd"])
def test_closed_forms(mode) -> None:
    """Derivatives against formulas from the DLMF, not against the rules' own code."""
    exact = {
        "erf": (sc.erf, X, 2 / np.sqrt(np.pi) * np.exp(-(X**2))),
        "erfc": (sc.erfc, X, -2 / np.sqrt(np.pi) * np.exp(-(X**2))),
        "gammaln": (sc.gammaln, POS, sc.psi(POS)),
        "expit": (sc.expit, X, sc.expit(X) * (1 - sc.expit(X))),
        "ndtr": (sc.ndtr, X, np.exp(-(X**2) / 2) / np.sqrt(2 * np.pi)),
        "j0": (sc.j0, X, -sc.j1(X)),
        "i0": (sc.i0, X, sc.i1(X)),
        "k0": (sc.k0, POS, -sc.k1(POS)),
        "y0": (sc.y0, POS, -sc.y1(POS)),
        "log_expit": (sc.log_expit, X, 1 - sc.expit(X)),
        "entr": (sc.entr, POS, -np.log(POS) - 1),
        "logit": (sc.logit, POS / 4, 1 / ((POS / 4) * (1 - POS / 4))),
    }
    for name, (f, x, slope) in exact.items():
        np.testing.assert_allclose(mode(f, x), slope, rtol=1e-13, atol=1e-15, err_msg=name)


def test_inverse_functions_have_reciprocal_slopes() -> None:
    y = np.array([-0.7, 0.1, 0.55])
    np.testing.assert_allclose(egrad(sc.erfinv, y) * egrad(sc.erf, sc.erfinv(y)), 1.0, rtol=1e-13)
    p = np.array([0.05, 0.5, 0.9])
    np.testing.assert_allclose(egrad(sc.ndtri, p) * egrad(sc.ndtr, sc.ndtri(p)), 1.0, rtol=1e-13)
    np.testing.assert_allclose(egrad(sc.logit, p) * egrad(sc.expit, sc.logit(p)), 1.0, rtol=1e-13)


def test_second_and_third_derivatives_closed_forms() -> None:
    d2_erf = gk.elementwise_grad(gk.elementwise_grad(sc.erf))(X)
    np.testing.assert_allclose(d2_erf, -4 * X / np.sqrt(np.pi) * np.exp(-(X**2)), rtol=1e-13)
    # d^3 gammaln = polygamma(2): through digamma's rule (zeta) and zeta's rule
    d3 = gk.elementwise_grad(gk.elementwise_grad(gk.elementwise_grad(sc.gammaln)))(POS)
    np.testing.assert_allclose(d3, sc.polygamma(2, POS), rtol=1e-12)
    hess = gk.hessian(lambda x: np.sum(sc.expit(x)))(X)
    s = sc.expit(X)
    np.testing.assert_allclose(hess, np.diag(s * (1 - s) * (1 - 2 * s)), rtol=1e-12, atol=1e-15)


def test_bessel_order_derivative_recurrence() -> None:
    """d/dx J_v = (J_{v-1} - J_{v+1}) / 2, checked against finite differences at several v."""
    for v in (0.0, 0.5, 2.0, 3.7):
        got = egrad(lambda x, v=v: sc.jv(v, x), POS)
        ref = fd.gradient(lambda x, v=v: np.sum(sc.jv(v, x)), (POS,))
        np.testing.assert_allclose(got, ref, rtol=1e-8)


def test_gammainc_slope_is_the_gamma_density() -> None:
    a = 2.5
    np.testing.assert_allclose(
        egrad(lambda x: sc.gammainc(a, x), POS), stats.gamma.pdf(POS, a), rtol=1e-13
    )
    np.testing.assert_allclose(
        egrad(lambda x: sc.betainc(2.0, 3.0, x), POS / 4), stats.beta.pdf(POS / 4, 2.0, 3.0),
        rtol=1e-13,
    )  # fmt: skip


def test_xlogy_at_zero_has_a_finite_gradient_in_y() -> None:
    gy = gk.grad(lambda y: sc.xlogy(0.0, y))(0.0)
    assert gy == 0.0
    gx = gk.grad(lambda x: sc.xlogy(x, 2.0))(0.0)
    assert gx == pytest.approx(np.log(2.0), rel=1e-15)


def test_values_are_scipys() -> None:
    value, grad = gk.value_and_grad(lambda x: np.sum(sc.gammaln(x) * sc.erf(x)))(POS)
    assert value == np.sum(sc.gammaln(POS) * sc.erf(POS))
    assert grad.shape == POS.shape


def test_jit_replays_scipy_ufuncs() -> None:
    f = gk.jit(lambda x: sc.erf(x) * sc.jv(1.5, x))
    f(POS)
    other = POS + 0.25
    np.testing.assert_array_equal(f(other), sc.erf(other) * sc.jv(1.5, other))


# errors --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "f, arg",
    [
        (lambda v: sc.jv(v, 1.5), "v"),
        (lambda n: sc.yn(n, 1.5), "n"),
        (lambda a: sc.gammainc(a, 1.5), "a"),
        (lambda b: sc.betainc(2.0, b, 0.5), "b"),
        (lambda v: sc.kv(v, 1.5), "v"),
        (lambda s: sc.zeta(s, 1.5), "s"),
    ],
)
def test_order_arguments_are_not_differentiated(f, arg) -> None:
    with pytest.raises(
        NoRuleError, match=rf"scipy\.special\.\w+: .*x only, not its argument {arg}"
    ):
        gk.grad(f)(2.0)
    with pytest.raises(NoRuleError, match=rf"not its argument {arg}"):
        gk.jvp(f, (2.0,), (1.0,))


def test_order_error_points_at_the_call_not_the_backward_pass() -> None:
    def f(v):
        return sc.iv(v, 1.0)  # the error is raised here, while recording

    with pytest.raises(NoRuleError) as info:
        gk.grad(f)(1.0)
    assert any(entry.name == "f" for entry in info.traceback)


def test_an_unsupported_scipy_ufunc_is_named_by_its_scipy_path() -> None:
    with pytest.raises(NoRuleError, match=r"^scipy\.special\.hyp2f1 has no derivative rule"):
        gk.grad(lambda x: sc.hyp2f1(1.0, 1.0, 2.0, x))(0.5)
    with pytest.raises(NoRuleError, match=r"^scipy\.special\.zeta has no derivative rule"):
        gk.grad(lambda x: sc.zeta(x))(2.5)  # the one-argument (Riemann) zeta, in s
    with pytest.raises(NoRuleError, match=r"^np\.ldexp has no derivative rule"):
        gk.grad(lambda x: np.ldexp(x, 2))(0.5)


@pytest.mark.parametrize(
    "f, scipy_name",
    [
        (lambda x: sc.logsumexp(x), "scipy.special.logsumexp"),
        (lambda x: sc.softmax(x), "scipy.special.softmax"),
        (lambda x: sc.polygamma(1, x), "scipy.special.polygamma"),
        (lambda x: stats.norm.logpdf(x), "scipy.stats.norm.logpdf"),
        (lambda x: stats.norm(0.0, 1.0).cdf(x), "scipy.stats.norm.cdf"),
        (lambda x: stats.multivariate_normal.logpdf(x, np.zeros(2)),
         "scipy.stats.multivariate_normal.logpdf"),
    ],
)  # fmt: skip
def test_scipy_python_functions_point_to_their_gk_version(f, scipy_name) -> None:
    with pytest.raises(TracerConversionError) as info:
        gk.grad(lambda x: np.sum(f(x)))(np.array([0.5, 1.0]))
    message = str(info.value)
    assert f"It was {scipy_name}, which converts" in message
    assert f"use gk.{scipy_name} instead" in message


def test_a_scipy_function_gk_does_not_have_is_named_without_a_false_pointer() -> None:
    with pytest.raises(TracerConversionError, match=r"scipy\.stats\.cauchy\.logpdf.*gk\.scipy "
                                                    r"has no version"):  # fmt: skip
        gk.grad(lambda x: stats.cauchy.logpdf(x))(0.5)


def test_user_conversion_mentions_no_scipy() -> None:
    with pytest.raises(TracerConversionError) as info:
        gk.grad(lambda x: np.sum(np.asarray(x, dtype=float)))(np.ones(2))
    assert "scipy" not in str(info.value).lower()


def test_gk_scipy_table_matches_the_package() -> None:
    """The engine's list of what gk.scipy offers (for its errors) is gk.scipy's contents."""
    import importlib

    from gradkit.autodiff.scipy_names import GK_SCIPY

    for module, names in GK_SCIPY.items():
        gk_module = importlib.import_module("gradkit." + module)
        original = importlib.import_module(module)
        for name in names:
            ours, theirs = gk_module, original
            for part in name.split("."):
                ours, theirs = getattr(ours, part), getattr(theirs, part)
            assert callable(ours) and callable(theirs), f"{module}.{name}"
        offered = {n.split(".")[0] for n in names}
        assert offered == set(gk_module.__all__), module


# SciPy is optional ---------------------------------------------------------------------
def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def test_import_gradkit_does_not_import_scipy() -> None:
    result = _run(
        """
        import sys
        import numpy as np
        import gradkit as gk
        gk.grad(lambda x: np.sum(np.sin(x)))(np.ones(3))
        assert not any(m == "scipy" or m.startswith("scipy.") for m in sys.modules), "scipy"
        import scipy.special as sc
        print(float(gk.grad(sc.erf)(0.0)))
        """
    )
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) == pytest.approx(2 / np.sqrt(np.pi), rel=1e-15)


def test_gradkit_works_without_scipy() -> None:
    result = _run(
        """
        import sys
        sys.modules["scipy"] = None  # as if SciPy were not installed
        import numpy as np
        import gradkit as gk
        x = np.array([0.0, np.log(3.0)])
        assert np.allclose(gk.grad(lambda x: np.sum(np.tanh(x)))(x), 1 - np.tanh(x) ** 2)
        assert np.allclose(gk.grad(gk.scipy.special.logsumexp)(x), [0.25, 0.75])
        try:
            gk.grad(lambda x: np.ldexp(x, 2))(1.0)
        except gk.NoRuleError as err:
            assert "np.ldexp" in str(err)
        try:
            gk.scipy.stats
        except ImportError as err:
            print(err)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "gk.scipy.stats needs SciPy" in result.stdout
    assert "pip install 'gradkit[scipy]'" in result.stdout
