"""check_grads neither cries wolf nor misses.

- Near a kink or a near-tie (np.min, np.sort, abs) a finite-difference step that
  straddles it gives a wrong reference: the step now shrinks until the differences from
  each side agree, and a point too close to the kink for any step is reported as such.
- At order 2 the derivative functions are checked in every argument, the tangent and the
  cotangent included: a rule wrong only as a function of the cotangent is caught.
- Complex arguments are checked in full, along complex directions.

Each "catches" test uses a rule that is wrong on purpose; each "passes" test a function
whose rules are right (so a failure there is a false alarm).
"""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk

GAP = 1.6e-5
NEAR_TIE = np.array([0.3, 0.3 + GAP, 1.2, -0.8])


@pytest.mark.parametrize(
    "f",
    [
        np.min,
        np.max,
        np.sort,
        lambda x: np.sort(x) * np.arange(1.0, 5.0),
        lambda x: np.min(x) * x,
        lambda x: np.maximum(x, x[::-1] + GAP / 2),
        lambda x: np.abs(x - 0.3 - GAP / 2),
    ],
    ids=["min", "max", "sort", "weighted sort", "min * x", "maximum", "abs near 0"],
)
def test_no_false_alarm_at_a_near_tie(f) -> None:
    # eps=1e-3 straddled the tie 1.6e-5 away and reported a disagreement
    gk.check_grads(f, order=2)(NEAR_TIE)


def _scaled_min(factor: float):
    @gk.primitive
    def my_min(x):
        return np.min(x)

    def vjp(ans, x):
        return lambda g: factor * g * (x == ans)

    gk.defvjp(my_min, vjp)
    gk.defjvp(my_min, lambda g, ans, x: factor * np.sum(g * (x == ans)))
    return my_min


def test_a_wrong_rule_near_a_tie_is_still_caught() -> None:
    gk.check_grads(_scaled_min(1.0), order=1)(NEAR_TIE)
    for mode in ("fwd", "rev"):
        with pytest.raises(gk.GradCheckError, match="order 1"):
            gk.check_grads(_scaled_min(1.01), modes=(mode,), order=1)(NEAR_TIE)


@pytest.mark.parametrize(
    "f, x",
    [
        (np.abs, np.array([1e-13, 1.0])),
        (np.min, np.array([0.3, 0.3 + 1e-14, 1.0])),
        (lambda x: np.maximum(x, 0.0) * 3.0, np.array([-1e-12, 2.0])),
    ],
    ids=["abs", "min", "relu"],
)
def test_a_point_too_close_to_a_kink_is_reported(f, x) -> None:
    with pytest.raises(ValueError, match="too close to a kink"):
        gk.check_grads(f, order=1)(x)


def test_the_step_shrinks_where_the_function_is_undefined_nearby() -> None:
    # log is NaN at 1e-5 - 1e-3; a smaller step checks it
    gk.check_grads(np.log, order=2)(np.array([1e-5, 2e-5]))


def test_the_step_follows_the_scale_of_the_inputs() -> None:
    # at 1e8 a step of 1e-3 drowns in rounding; one from the inputs' scale does not
    x = np.array([1e8, -2e8, 3e7])
    gk.check_grads(lambda x: x**3 / 1e16 + np.sin(x / 1e8), order=2)(x)

    @gk.primitive
    def cube(x):
        return x**3

    gk.defvjp(cube, lambda ans, x: lambda g: 1.001 * g * 3 * x**2)
    with pytest.raises(gk.GradCheckError):
        gk.check_grads(cube, modes=("rev",), order=1)(x)


# --- order 2: the derivative functions in all their arguments -------------------------------
def test_a_vjp_wrong_only_as_a_function_of_the_cotangent_is_caught() -> None:
    """The rule ignores the derivative of its cotangent: first derivatives and d/dx of the
    VJP are right, only d/du of the VJP (forward over reverse in u) is wrong."""

    @gk.primitive
    def sin(x):
        return np.sin(x)

    gk.defvjp(sin, lambda ans, x: lambda g: gk.stop_gradient(g) * np.cos(x))
    gk.defjvp(sin, lambda g, ans, x: g * np.cos(x))
    x = np.array([0.3, 1.1])
    gk.check_grads(sin, order=1)(x)
    with pytest.raises(gk.GradCheckError, match="order 2"):
        gk.check_grads(sin, modes=("rev",), order=2)(x)


def test_a_jvp_wrong_only_as_a_function_of_the_tangent_is_caught() -> None:
    @gk.primitive
    def sin(x):
        return np.sin(x)

    gk.defvjp(sin, lambda ans, x: lambda g: g * np.cos(x))
    gk.defjvp(sin, lambda g, ans, x: gk.stop_gradient(g) * np.cos(x))
    x = np.array([0.3, 1.1])
    gk.check_grads(sin, order=1)(x)
    with pytest.raises(gk.GradCheckError, match="order 2"):
        gk.check_grads(sin, modes=("fwd",), order=2)(x)


def test_order_three_passes_correct_rules() -> None:
    gk.check_grads(lambda x: np.tanh(x) * np.exp(x[::-1]), order=3)(np.array([0.2, -0.4]))


# --- complex arguments, checked in full ------------------------------------------------------
Z = np.array([1.0 + 2.0j, -0.5 + 0.3j])


def _square_with(vjp_rule, jvp_rule):
    @gk.primitive
    def square(z):
        return z * z

    gk.defvjp(square, lambda ans, z: lambda g: vjp_rule(g, z))
    gk.defjvp(square, lambda g, ans, z: jvp_rule(g, z))
    return square


def test_correct_complex_rules_pass() -> None:
    right = _square_with(lambda g, z: 2 * g * z, lambda t, z: 2 * t * z)
    gk.check_grads(right, order=2)(Z)
    gk.check_grads(lambda z: np.abs(z) ** 3 + np.angle(z), order=2)(Z)
    gk.check_grads(lambda x: np.exp(1j * x) * x, order=2)(np.array([0.3, -1.2]))


def test_a_conjugated_rule_is_caught_on_complex_inputs() -> None:
    # g * 2 conj(z) is the rule under the other (sesquilinear) convention: right for real
    # z, wrong for complex z. A checker that checks only the real part passes it.
    wrong = _square_with(lambda g, z: 2 * g * np.conj(z), lambda t, z: 2 * t * z)
    gk.check_grads(wrong, order=1)(np.array([0.5, -1.5]))
    with pytest.raises(gk.GradCheckError, match="reverse mode"):
        gk.check_grads(wrong, modes=("rev",), order=1)(Z)


def test_a_rule_wrong_only_in_the_imaginary_direction_is_caught() -> None:
    @gk.primitive
    def modulus(z):
        return np.abs(z)

    # d|z| = Re(conj(z) dz)/|z|; this rule keeps only the x part
    gk.defvjp(modulus, lambda ans, z: lambda g: g * np.real(z) / ans + 0j)
    gk.defjvp(modulus, lambda t, ans, z: np.real(t) * np.real(z) / ans)
    for mode in ("fwd", "rev"):
        with pytest.raises(gk.GradCheckError, match="order 1"):
            gk.check_grads(modulus, modes=(mode,), order=1)(Z)


def test_complex_arguments_keep_their_imaginary_part() -> None:
    seen = []

    def f(z):
        seen.append(np.asarray(gk.stop_gradient(z)).copy())
        return np.abs(z)

    gk.check_grads(f, order=1)(Z)
    assert np.array_equal(seen[0], Z)  # the point itself, not its real part
