"""gradkit.numerical.step_error: the truncation/round-off V, measured."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradkit.numerical import TUTORIAL_STEP, NumericalDerivativeError, step_error


def test_the_tutorial_step_is_one_point_on_the_forward_curve():
    r = step_error(np.sin, np.cos, 1.0)
    h = 1e-7
    tutorial = abs((np.sin(1.0 + h) - np.sin(1.0)) / h - np.cos(1.0))
    assert TUTORIAL_STEP == h
    assert r.tutorial_error == tutorial
    assert r.error_at("forward", h) == tutorial
    assert h in r.steps


def test_forward_curve_is_a_v():
    r = step_error(np.exp, np.exp, 1.0)
    err = r.errors["forward"]
    steps = r.steps
    # right arm: truncation, |f''| h / 2
    big = steps >= 1e-4
    np.testing.assert_allclose(
        err[big], [abs((np.exp(1 + h) - np.e) / h - np.e) for h in steps[big]], rtol=1e-12
    )
    assert err[steps == 1e-2][0] == pytest.approx(np.e * 1e-2 / 2, rel=0.01)
    # left arm: rounding, roughly eps |f| / h
    assert err[steps == 1e-14][0] > 1e-3
    # the bottom lies between, near sqrt(eps)
    assert 1e-9 <= r.best_step["forward"] <= 1e-7
    assert r.best_error["forward"] < 1e-7


def test_central_has_a_larger_best_step_and_smaller_error():
    r = step_error(np.sin, np.cos, 0.5)
    assert r.best_step["central"] > 10 * r.best_step["forward"]
    assert r.best_error["central"] < r.best_error["forward"] / 10
    assert 1e-7 < r.best_step["central"] < 1e-3


def test_predicted_best_steps_match_the_classic_formulas():
    r = step_error(np.exp, np.exp, 0.0)
    eps = np.finfo(float).eps
    assert r.predicted_best_step["forward"] == pytest.approx(math.sqrt(2 * eps), rel=1e-6)
    assert r.predicted_best_step["central"] == pytest.approx((3 * eps) ** (1 / 3), rel=1e-6)


def test_complex_step_has_no_rounding_arm():
    r = step_error(np.exp, np.exp, 1.0)
    assert np.nanmax(r.errors["complex"][r.steps <= 1e-8]) <= 4.5e-16


def test_complex_is_skipped_with_a_reason_when_f_rejects_complex():
    r = step_error(math.sin, math.cos, 1.0)
    assert "complex" not in r.errors and "complex" in r.skipped
    assert "central" in r.best_step


def test_steps_leaving_the_domain_are_gaps():
    r = step_error(np.log, lambda x: 1 / x, 1e-3)
    assert np.isnan(r.errors["central"][r.steps > 1e-3]).all()
    assert np.isfinite(r.errors["forward"]).all()


def test_table_mentions_every_method_and_the_tutorial():
    text = step_error(np.sin, np.cos, 1.0).table()
    for word in ("forward", "backward", "central", "complex", "tutorial", "1e-07"):
        assert word in text


def test_custom_steps_and_numeric_df():
    r = step_error(np.sin, np.cos(0.3), 0.3, steps=[1e-3, 1e-5], methods=("central",))
    assert list(r.errors) == ["central"]
    np.testing.assert_array_equal(r.steps, [1e-5, 1e-3])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"steps": [0.0, 1e-3]}, "positive"),
        ({"steps": []}, "positive"),
        ({"steps": ["a"]}, "numbers"),
        ({"methods": ("sideways",)}, "unknown methods"),
        ({"x": np.array([1.0, 2.0])}, "scalar"),
        ({"df": lambda x: np.nan}, "exact derivative"),
    ],
)
def test_bad_arguments(kwargs, match):
    args = {"f": np.sin, "df": np.cos, "x": 1.0} | kwargs
    with pytest.raises(NumericalDerivativeError, match=match):
        step_error(**args)


def test_error_at_unknown_method():
    with pytest.raises(NumericalDerivativeError, match="no curve"):
        step_error(np.sin, np.cos, 1.0, methods=("forward",)).error_at("central", 1e-3)
