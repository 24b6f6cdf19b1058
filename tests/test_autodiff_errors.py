"""Every error the engine raises on purpose: its type, and that its message names what went
wrong and says what to do instead. None of these may end in a silent wrong gradient.
"""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
from gradkit.autodiff import (
    GradCheckError,
    GradkitError,
    InPlaceError,
    LeakedTracerError,
    NoRuleError,
    TracerConversionError,
)

X = np.array([0.3, -1.2, 2.0])


# --- grad of a non-scalar output ------------------------------------------------------------
def test_grad_of_a_vector_output() -> None:
    def double(x):
        return 2 * x

    with pytest.raises(TypeError) as info:
        gk.grad(double)(X)
    msg = str(info.value)
    assert "double" in msg and "(3,)" in msg and "scalar" in msg
    assert "gk.jacobian" in msg and "gk.elementwise_grad" in msg


def test_grad_of_a_tuple_output_suggests_has_aux() -> None:
    with pytest.raises(TypeError, match="has_aux=True"):
        gk.grad(lambda x: (np.sum(x), x))(X)


def test_value_and_grad_of_a_matrix_output() -> None:
    with pytest.raises(TypeError, match=r"shape \(3, 3\).*jacobian"):
        gk.value_and_grad(lambda x: np.outer(x, x))(X)


def test_has_aux_without_a_pair() -> None:
    with pytest.raises(ValueError, match=r"has_aux=True.*pair \(output, aux\)"):
        gk.grad(lambda x: np.sum(x), has_aux=True)(X)


def _forgot_return(x):
    np.sum(x**2)


_NOT_DIFFERENTIABLE = [
    (lambda x: x > 0, r"returned a boolean \(a comparison\), which has no derivative"),
    (lambda x: np.sum(x) * 1j, r"returned a complex value; \w+ differentiates a real output"),
    (lambda x: "loss", r"returned str 'loss', which is not a number"),
]


@pytest.mark.parametrize("transform", ["grad", "value_and_grad", "hessian", "elementwise_grad"])
@pytest.mark.parametrize(
    "fun, match",
    [(_forgot_return, r"_forgot_return returned None.*is a `return` missing\?")]
    + _NOT_DIFFERENTIABLE,
)
def test_reverse_mode_refuses_an_output_it_cannot_differentiate(transform, fun, match) -> None:
    # Each of these gave a gradient of zeros (the complex one the real part's, with only
    # a ComplexWarning), silently.
    with pytest.raises(TypeError, match=f"gk.{transform}: .*{match}"):
        getattr(gk, transform)(fun)(1.0)


@pytest.mark.parametrize("fun, match", _NOT_DIFFERENTIABLE)
def test_jacrev_refuses_an_output_leaf_it_cannot_differentiate(fun, match) -> None:
    # (None is an empty container for jacrev, as in JAX: its Jacobian is None.)
    with pytest.raises(TypeError, match=match):
        gk.jacrev(lambda x: {"ok": x, "bad": fun(x)})(np.array([1.0, 2.0]))


def test_integer_outputs_are_constants_and_forward_mode_keeps_complex_ones() -> None:
    # d/dx of a count of positives is 0 wherever it is defined; jacfwd carries complex
    # outputs (d(x * 1j)/dx = 1j), as JAX's does, while reverse mode refuses them.
    np.testing.assert_array_equal(gk.grad(lambda x: np.sum(x > 0))(X), np.zeros_like(X))
    assert gk.jacfwd(lambda x: x * 1j)(2.0) == 1j
    with pytest.raises(TypeError, match="which is not a number"):
        gk.jacfwd(lambda x: "a")(2.0)


# --- no rule -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fn", "name"),
    [
        (lambda x: np.unwrap(x), "np.unwrap"),
        (lambda x: np.histogram(x)[0], "np.histogram"),
        (lambda x: np.polyfit(x, x, 1), "np.polyfit"),
        (lambda x: np.emath.log(x), "np.lib.scimath.log"),
        (lambda x: np.interp(x, x, x, period=1.0), "np.interp with period="),
    ],
)
def test_numpy_function_without_a_rule_is_named(fn, name) -> None:
    with pytest.raises(NoRuleError) as info:
        gk.grad(lambda x: np.sum(fn(x)))(X)
    msg = str(info.value)
    assert name in msg and "no derivative rule" in msg
    assert "gk.primitive" in msg and "gk.defvjp" in msg


def test_ufunc_method_without_a_rule() -> None:
    with pytest.raises(NoRuleError, match=r"np\.subtract\.accumulate"):
        gk.grad(lambda x: np.sum(np.subtract.accumulate(x)))(X)


def test_custom_primitive_without_rules() -> None:
    @gk.primitive
    def mystery(x):
        return x * 2.0

    with pytest.raises(NoRuleError, match=r"mystery.*gk\.defvjp"):
        gk.grad(lambda x: np.sum(mystery(x)))(X)
    with pytest.raises(NoRuleError, match=r"mystery.*gk\.defjvp"):
        gk.jvp(mystery, (X,), (X,))


def test_custom_primitive_with_only_a_vjp_fails_in_forward_mode() -> None:
    @gk.primitive
    def half(x):
        return x / 2.0

    gk.defvjp(half, lambda ans, x: lambda g: g / 2.0)
    np.testing.assert_allclose(gk.grad(lambda x: np.sum(half(x)))(X), 0.5)
    with pytest.raises(NoRuleError, match=r"half: no forward-mode \(JVP\) rule"):
        gk.jacfwd(half)(X)


def test_defvjp_needs_a_primitive() -> None:
    with pytest.raises(TypeError, match=r"@gk\.primitive"):
        gk.defvjp(np.sin, lambda ans, x: lambda g: g)
    with pytest.raises(TypeError, match=r"@gk\.primitive"):
        gk.defjvp(lambda x: x, lambda g, ans, x: g)


def test_invalid_norm_order_is_named() -> None:
    # every order NumPy takes is differentiated (ord=2 of a matrix is its largest
    # singular value); an order NumPy refuses is refused the same way, with its value
    with pytest.raises(ValueError, match=r"linalg\.norm: invalid norm order 3 for matrices"):
        gk.grad(lambda a: np.linalg.norm(a, ord=3))(np.eye(2))
    with pytest.raises(ValueError, match=r"linalg\.norm: invalid norm order 'nuc' for vectors"):
        gk.grad(lambda a: np.linalg.norm(a, ord="nuc"))(np.ones(2))


# --- leaving the traced world -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("convert", "what"),
    [
        (lambda t: np.asarray(t, dtype=float), "np.asarray"),
        (lambda t: np.array(t, dtype=np.float64), "np.asarray/np.array"),
        (lambda t: float(t[0]), "float()"),
        (lambda t: int(t[0]), "int()"),
        (lambda t: t[0].item(), ".item()"),
        (lambda t: t.tolist(), ".tolist()"),
        (lambda t: complex(t[0]), "complex()"),
        (lambda t: range(t[0]), "operator.index()"),
    ],
)
@pytest.mark.parametrize("transform", ["grad", "jacfwd", "jacrev", "hessian"])
def test_conversion_of_a_traced_value_raises(convert, what, transform) -> None:
    def f(x):
        convert(x)
        return np.sum(x**2)

    with pytest.raises(TracerConversionError) as info:
        getattr(gk, transform)(f)(X)
    msg = str(info.value)
    assert what.split("(")[0].split(".")[-1] in msg
    assert "gradient" in msg and "stop_gradient" in msg


def test_conversion_message_names_shape_and_transform() -> None:
    with pytest.raises(TracerConversionError, match=r"float\(\).*shape \(\).*gk\.grad"):
        gk.grad(lambda x: float(x))(1.0)


def test_conversion_in_jvp_raises_too() -> None:
    with pytest.raises(TracerConversionError):
        gk.jvp(lambda x: np.asarray(x, dtype=float) * 2.0, (X,), (X,))


def test_eager_tensors_convert_freely() -> None:
    t = gk.Tensor([1.5, 2.5], requires_grad=True)
    np.testing.assert_array_equal(t.numpy(), [1.5, 2.5])
    assert float(t[0]) == 1.5 and t[1].item() == 2.5 and int(t[0]) == 1
    with pytest.raises(TracerConversionError, match="detach"):
        np.asarray(t, dtype=float)  # still refused: it would silently cut the graph of t


# --- in-place writes into NumPy arrays ------------------------------------------------------
def test_augmented_assignment_into_a_numpy_array() -> None:
    def f(x):
        a = np.zeros(3)
        a += x
        return np.sum(a)

    with pytest.raises(InPlaceError, match=r"np\.add with out=.*`a = a \+ t`"):
        gk.grad(f)(X)


def test_ufunc_out_argument_with_a_traced_value() -> None:
    def f(x):
        out = np.empty(3)
        np.sin(x, out=out)
        return np.sum(out)

    with pytest.raises(InPlaceError, match=r"np\.sin with out="):
        gk.grad(f)(X)


def test_function_out_argument_with_a_traced_value() -> None:
    def f(x):
        out = np.empty(())
        np.sum(x, out=out)
        return out

    with pytest.raises(InPlaceError, match=r"np\.sum\(\.\.\., out=\.\.\.\).*y = np\.sum"):
        gk.grad(f)(X)


def test_slice_assignment_into_a_numpy_array() -> None:
    def f(x):
        a = np.zeros(3)
        a[:] = x
        return np.sum(a)

    with pytest.raises(TracerConversionError, match=r"a\[i\] = t.*np\.stack"):
        gk.grad(f)(X)


@pytest.mark.xfail(
    strict=True,
    raises=ValueError,
    reason="engine bug: NumPy turns the TracerConversionError of Tensor.__float__ into "
    "'ValueError: setting an array element with a sequence' for a 0-d value (tensor.py)",
)
def test_element_assignment_into_a_numpy_array() -> None:
    def f(x):
        a = np.zeros(3)
        a[0] = x[0]
        return np.sum(a)

    with pytest.raises(TracerConversionError, match=r"a\[i\] = t"):
        gk.grad(f)(X)


def test_element_assignment_into_a_numpy_array_never_gives_a_silent_gradient() -> None:
    """Whatever the message, writing a traced scalar into an ndarray must fail loudly."""

    def f(x):
        a = np.zeros(3)
        a[0] = x[0]
        return np.sum(a) + np.sum(x)

    with pytest.raises((TracerConversionError, ValueError)) as info:
        gk.grad(f)(X)
    # NumPy wraps the engine's error, but keeps it as the cause shown in the traceback.
    err = info.value
    assert isinstance(err, TracerConversionError) or isinstance(
        err.__cause__, TracerConversionError
    )
    assert "no gradient" in str(err if isinstance(err, TracerConversionError) else err.__cause__)


def test_out_argument_is_refused_for_reductions_of_eager_tensors() -> None:
    t = gk.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(InPlaceError, match="out="):
        np.multiply(t, 2.0, out=np.empty(2))


# --- inputs to the transforms ------------------------------------------------------------------
@pytest.mark.parametrize("transform", ["grad", "value_and_grad", "jacfwd", "jacrev", "hessian"])
def test_integer_scalar_input(transform) -> None:
    with pytest.raises(TypeError, match=r"argument 0 is the integer 3.*Pass 3\.0"):
        getattr(gk, transform)(lambda x: x * x)(3)


def test_integer_array_input() -> None:
    with pytest.raises(TypeError, match=r"argument 0 has dtype int64.*astype\(float\)"):
        gk.grad(lambda x: np.sum(x * x))(np.arange(3))


def test_bool_input() -> None:
    with pytest.raises(TypeError, match="integer True"):
        gk.grad(lambda x: x * 1.0)(True)


def test_object_and_string_inputs() -> None:
    with pytest.raises(TypeError, match="dtype object"):
        gk.grad(lambda x: np.sum(x))(np.array([1.0, None]))
    with pytest.raises(TypeError, match="floating-point"):
        gk.grad(lambda x: x)("abc")


def test_integer_leaf_inside_a_container() -> None:
    with pytest.raises(TypeError, match="argument 0 is the integer 2"):
        gk.grad(lambda p: p["a"] * p["b"])({"a": 1.5, "b": 2})


def test_integer_input_to_jvp() -> None:
    with pytest.raises(TypeError, match="integer"):
        gk.jvp(lambda x: x * x, (3,), (1.0,))


def test_non_differentiated_integer_arguments_are_fine() -> None:
    assert gk.grad(lambda x, n: x**n)(2.0, 3) == pytest.approx(12.0)


def test_tensor_of_strings() -> None:
    with pytest.raises(TypeError, match=r"real floating-point.*dtype <U1"):
        gk.Tensor(np.array(["a"]))


# --- argnums ------------------------------------------------------------------------------------
@pytest.mark.parametrize("transform", ["grad", "value_and_grad", "jacfwd", "jacrev", "hessian"])
@pytest.mark.parametrize("argnums", [2, -3, (0, 5)])
def test_argnums_out_of_range(transform, argnums) -> None:
    f = lambda x, y: np.sum(x * y)
    with pytest.raises(ValueError, match=r"argnums=.* out of range.*2 positional.*0 to 1"):
        getattr(gk, transform)(f, argnums=argnums)(X, X)


def test_argnums_empty() -> None:
    with pytest.raises(ValueError, match="argnums is empty"):
        gk.grad(lambda x: np.sum(x), argnums=())(X)


def test_elementwise_grad_argnums_out_of_range() -> None:
    with pytest.raises(ValueError, match="out of range"):
        gk.elementwise_grad(np.sin, argnums=1)(X)


# --- jvp tangents ---------------------------------------------------------------------------------
def test_tangent_shape_mismatch() -> None:
    with pytest.raises(
        ValueError, match=r"tangent 0 has shape \(2,\) but its primal has shape \(3,\)"
    ):
        gk.jvp(np.sin, (X,), (np.ones(2),))


def test_tangent_dtype_mismatch() -> None:
    with pytest.raises(TypeError, match=r"tangent 0 has dtype float32.*float64.*astype"):
        gk.jvp(np.sin, (X,), (np.ones(3, np.float32),))


def test_tangent_count_and_structure_mismatch() -> None:
    with pytest.raises(ValueError, match=r"2 primal\(s\) but 1 tangent"):
        gk.jvp(lambda a, b: a * b, (X, X), (X,))
    with pytest.raises(ValueError, match="structure"):
        gk.jvp(lambda p: p[0] * p[1], ((X, X),), ((X,),))
    with pytest.raises(TypeError, match=r"tuples, e\.g\. jvp\(f, \(x,\), \(v,\)\)"):
        gk.jvp(np.sin, X, X)


def test_vjp_cotangent_mismatch() -> None:
    _, vjp_fn = gk.vjp(np.sin, X)
    with pytest.raises(ValueError, match=r"cotangent of shape \(2,\).*shape \(3,\)"):
        vjp_fn(np.ones(2))
    with pytest.raises(ValueError, match="structure"):
        vjp_fn((np.ones(3), np.ones(3)))


def test_backward_errors() -> None:
    x = gk.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*\.sum\(\)"):
        (x * 2).backward()
    with pytest.raises(
        ValueError, match=r"gradient has shape \(3,\) but the output has shape \(2,\)"
    ):
        (x * 2).backward(np.ones(3))
    with pytest.raises(RuntimeError, match="requires_grad=True"):
        gk.Tensor([1.0]).sum().backward()


# --- hessian and directional derivative ----------------------------------------------------------
def test_hessian_of_a_non_scalar_function() -> None:
    with pytest.raises(TypeError, match=r"hessian.*shape \(3,\).*scalar"):
        gk.hessian(lambda x: x**2)(X)


def test_directional_derivative_errors() -> None:
    with pytest.raises(ValueError, match="length 0"):
        gk.directional_derivative(lambda x: np.sum(x), X, np.zeros(3))
    with pytest.raises(TypeError, match="scalar"):
        gk.directional_derivative(lambda x: x, X, np.ones(3))


# --- leaked tracers ------------------------------------------------------------------------------
def test_using_a_value_after_its_transform_returned() -> None:
    kept = []

    def f(x):
        kept.append(x)
        return np.sum(x)

    gk.grad(f)(X)
    with pytest.raises(LeakedTracerError, match="already returned"):
        gk.grad(lambda y: np.sum(kept[0] * y))(X)


# --- check_grads ----------------------------------------------------------------------------------
def _one_percent_off_vjp():
    @gk.primitive
    def sin_bad_rev(x):
        return np.sin(x)

    gk.defvjp(sin_bad_rev, lambda ans, x: lambda g: 1.01 * g * np.cos(x))
    gk.defjvp(sin_bad_rev, lambda g, ans, x: g * np.cos(x))
    return sin_bad_rev


def _one_percent_off_jvp():
    @gk.primitive
    def sin_bad_fwd(x):
        return np.sin(x)

    gk.defvjp(sin_bad_fwd, lambda ans, x: lambda g: g * np.cos(x))
    gk.defjvp(sin_bad_fwd, lambda g, ans, x: 1.01 * g * np.cos(x))
    return sin_bad_fwd


def test_check_grads_catches_a_reverse_rule_one_percent_wrong() -> None:
    f = _one_percent_off_vjp()
    with pytest.raises(GradCheckError) as info:
        gk.check_grads(f, modes=("rev",), order=1)(X)
    msg = str(info.value)
    assert "reverse mode" in msg and "order 1" in msg
    assert "automatic" in msg and "reference" in msg and "relative error 1.0" in msg


def test_check_grads_catches_a_forward_rule_one_percent_wrong() -> None:
    f = _one_percent_off_jvp()
    with pytest.raises(GradCheckError) as info:
        gk.check_grads(f, modes=("fwd",), order=1)(X)
    msg = str(info.value)
    assert "forward mode" in msg and "order 1" in msg and "relative error 1.0" in msg


def test_check_grads_compares_the_modes() -> None:
    for f in (_one_percent_off_vjp(), _one_percent_off_jvp()):
        with pytest.raises(GradCheckError, match="order 1"):
            gk.check_grads(f, modes=("fwd", "rev"), order=2)(X)


def test_check_grads_catches_a_second_order_error() -> None:
    """First derivatives right, second derivatives 1% wrong: only order 2 sees it."""

    @gk.primitive
    def cube(x):
        return x**3

    @gk.primitive
    def cube_prime(x):
        return 3 * x**2

    gk.defvjp(cube_prime, lambda ans, x: lambda g: g * 6.06 * x)
    gk.defjvp(cube_prime, lambda g, ans, x: g * 6.06 * x)
    gk.defvjp(cube, lambda ans, x: lambda g: g * cube_prime(x))
    gk.defjvp(cube, lambda g, ans, x: g * cube_prime(x))
    gk.check_grads(cube, order=1)(X)
    for mode in ("fwd", "rev"):
        with pytest.raises(GradCheckError, match="order 2"):
            gk.check_grads(cube, modes=(mode,), order=2)(X)


def test_check_grads_passes_correct_rules_and_rejects_bad_settings() -> None:
    gk.check_grads(lambda x: np.tanh(x) * x, order=3)(X)
    with pytest.raises(ValueError, match="modes"):
        gk.check_grads(np.sin, modes=("backward",))
    with pytest.raises(ValueError, match="order"):
        gk.check_grads(np.sin, order=0)


def test_every_engine_error_is_a_gradkit_error_and_a_builtin_one() -> None:
    assert issubclass(NoRuleError, TypeError) and issubclass(TracerConversionError, TypeError)
    assert issubclass(InPlaceError, ValueError) and issubclass(LeakedTracerError, ValueError)
    assert issubclass(GradCheckError, AssertionError)
    for err in (
        NoRuleError,
        TracerConversionError,
        InPlaceError,
        LeakedTracerError,
        GradCheckError,
    ):
        assert issubclass(err, GradkitError)


# --- the composed NumPy functions ---------------------------------------------------------------
def test_pad_mode_without_a_rule() -> None:
    with pytest.raises(NoRuleError, match=r"np\.pad with mode='median'.*'edge'"):
        gk.grad(lambda x: np.sum(np.pad(x, 1, mode="median")))(X)


def test_split_into_unequal_parts() -> None:
    with pytest.raises(ValueError, match="equal division"):
        gk.grad(lambda x: np.sum(np.split(x, 2)[0]))(X)


def test_inverse_of_a_non_square_matrix() -> None:
    with pytest.raises(np.linalg.LinAlgError, match=r"square matrices, got shape \(2, 3\)"):
        gk.grad(lambda a: np.sum(np.linalg.inv(a)))(np.ones((2, 3)))


@pytest.mark.parametrize(
    ("f", "pattern"),
    [
        (lambda z: np.sum(z, where=z > 0), r"sum: the argument where= is not supported"),
        (lambda z: np.sum(z, initial=1.0), r"sum: the argument initial= is not supported"),
        (lambda z: np.sum(np.exp(z, where=z > 0)), r"np\.exp\(\.\.\., where=mask\) without out="),
        (lambda z: np.sum(np.reshape(z, (3, 1), order="F")), r"only order='C'"),
    ],
)
def test_unsupported_arguments_are_named(f, pattern) -> None:
    with pytest.raises(TypeError, match=pattern):
        gk.grad(f)(X)


def test_matmul_shape_errors_speak_in_array_terms() -> None:
    with pytest.raises(ValueError, match=r"shapes \(3,\) and \(2, 2\) do not align"):
        gk.grad(lambda z: np.sum(z @ np.ones((2, 2))))(X)
    with pytest.raises(ValueError, match=r"at least one dimension.*use \*"):
        gk.grad(lambda z: np.sum(np.matmul(2.0, z)))(X)


def test_check_grads_given_the_arguments_directly_says_how_to_call_it() -> None:
    # check_grads(fun) returns a checker; passing the point in place of modes is a
    # common slip, which used to fail with "unhashable type: 'numpy.ndarray'".
    with pytest.raises(TypeError, match=r"check_grads\(fun\)\(x\)"):
        gk.check_grads(np.sin, np.array([0.5]))
    gk.check_grads(np.sin, "rev", order=1)(np.array([0.5]))  # one mode as a string is fine
    with pytest.raises(ValueError, match="modes must be 'fwd' and/or 'rev'"):
        gk.check_grads(np.sin, ("backward",))


@pytest.mark.parametrize("scale", [1e-8, 1e-6, 1.0, 1e6])
@pytest.mark.parametrize("factor", [-1.0, 2.0, 1.01])
def test_check_grads_catches_a_wrong_rule_however_small_the_function(scale, factor):
    """The comparison's absolute tolerance was a fixed 1e-6, so for 1e-6 sin(x) a rule of
    the wrong sign, or twice the derivative, passed. It is now relative to |f|."""

    @gk.primitive
    def f(x):
        return scale * np.sin(x)

    gk.defvjp(f, lambda ans, x: lambda g: factor * scale * g * np.cos(x))
    gk.defjvp(f, lambda g, ans, x: factor * scale * g * np.cos(x))
    for modes in (("rev",), ("fwd",)):
        with pytest.raises(gk.GradCheckError):
            gk.check_grads(f, modes=modes, order=1)(np.array([0.3, -1.2, 0.7]))
    gk.defvjp(f, lambda ans, x: lambda g: scale * g * np.cos(x))  # the right rule passes
    gk.defjvp(f, lambda g, ans, x: scale * g * np.cos(x))
    gk.check_grads(f, order=1)(np.array([0.3, -1.2, 0.7]))


@pytest.mark.parametrize(
    "options, error, match",
    [
        (dict(order=1.5), TypeError, "order must be a whole number, got 1.5"),  # ran order 1
        (dict(eps=0.0), ValueError, "eps must be a finite number > 0, got 0.0"),
        (dict(eps=float("nan")), ValueError, "eps must be a finite number > 0"),
        (dict(eps=-1e-3), ValueError, "eps must be a finite number > 0"),
        (dict(rtol=-1.0), ValueError, "rtol must be a finite number >= 0"),
        (dict(atol=float("inf")), ValueError, "atol must be a finite number >= 0"),
    ],
)
def test_check_grads_refuses_bad_settings(options, error, match) -> None:
    # Before, a zero or NaN eps and a negative rtol each made check_grads report that the
    # (correct) derivative of sin "disagrees" with a reference of NaN, or within 5e-15.
    with pytest.raises(error, match=match):
        gk.check_grads(np.sin, **options)(np.array([0.3]))


@pytest.mark.parametrize(
    "fun, x, match",
    [
        (np.sin, np.array([np.nan]), "argument 0 is not finite"),
        (lambda x: 1.0 / x, np.array([0.0]), r"the function is not finite at the point"),
        # sqrt is NaN on one side of 0 however small the step
        (np.sqrt, np.array([0.0]), r"finite differences at order 1 are not finite at any step"),
    ],
)
def test_check_grads_says_when_there_is_nothing_to_compare(fun, x, match) -> None:
    # Not a GradCheckError: the derivative rules of sin, 1/x and sqrt are right; NaN and
    # inf values leave nothing to check them against. (log at 1e-5, NaN at 1e-5 - 1e-3,
    # is now checked with a smaller step: tests/test_autodiff_checks.py.)
    with pytest.raises(ValueError, match=match), np.errstate(all="ignore"):
        gk.check_grads(fun)(x)
