"""What gradkit cannot honour it refuses by name (issue 23, point 5).

- ``np.matrix``, masked arrays (``np.ma``), other ndarray subclasses and foreign array
  types, as inputs, as operands beside a traced value, as arguments of NumPy functions,
  and when built from a traced value: an UnsupportedArrayTypeError naming the type and
  what to do;
- ``round()``, ``int()``, ``math.sin(t)`` on a traced value: an error naming the NumPy
  spelling to use;
- ``np.kron`` of 0-d values has NumPy's shape ``()``.
"""

from __future__ import annotations

import math
from math import exp as math_exp

import numpy as np
import pytest

import gradkit as gk
from gradkit import TracerConversionError, UnsupportedArrayTypeError

pytestmark = pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")

X = np.array([0.5, 1.5])


def _matrix():
    return np.matrix([[1.0, 2.0], [3.0, 4.0]])


class Foreign:
    """A stand-in for an array library with NumPy overrides of its own."""

    def __init__(self, data):
        self.data = np.asarray(data)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return NotImplemented

    def __array__(self, dtype=None, copy=None):
        return self.data


class Sub(np.ndarray):
    """An ndarray subclass gradkit knows nothing of."""


def _masked():
    return np.ma.masked_array([1.0, 2.0], mask=[False, True])


@pytest.mark.parametrize(
    ("make", "named"),
    [
        (_matrix, r"np\.matrix.*matrix product.*np\.asarray"),
        (_masked, r"masked array \(np\.ma\).*filled"),
        (lambda: np.ones(2).view(Sub), r"ndarray subclass .*Sub.*np\.asarray"),
        (lambda: Foreign([1.0, 2.0]), r"array type .*Foreign.*np\.asarray"),
    ],
    ids=["matrix", "masked", "subclass", "foreign"],
)
@pytest.mark.parametrize("transform", ["grad", "jvp", "jacfwd", "jit"])
def test_an_unsupported_input_is_refused_by_name(make, named, transform) -> None:
    value = make()

    def f(x):
        return np.sum(x * x)

    with pytest.raises(UnsupportedArrayTypeError, match=named):
        if transform == "jvp":
            gk.jvp(f, (value,), (value,))
        elif transform == "jit" and isinstance(value, Foreign):
            pytest.skip("gk.jit takes a foreign leaf as a static argument")
        else:
            getattr(gk, transform)(f)(value)


@pytest.mark.parametrize(
    "use",
    [
        lambda x: x * _matrix(),  # Tensor operator
        lambda x: _matrix() * x,  # np.matrix's operator: it calls np.asmatrix on the tensor
        lambda x: np.multiply(x, _matrix()),  # ufunc
        lambda x: np.dot(_matrix(), x),  # NumPy function
        lambda x: np.matrix(x),  # built from a traced value
        lambda x: x + _masked(),
        lambda x: _masked() * x,
        lambda x: np.ma.array(x),
        lambda x: x * np.ones(2).view(Sub),
        lambda x: x * Foreign([1.0, 2.0]),
    ],
    ids=[
        "t*M",
        "M*t",
        "multiply",
        "dot",
        "matrix(t)",
        "t+ma",
        "ma*t",
        "ma.array(t)",
        "t*sub",
        "t*foreign",
    ],
)
def test_an_unsupported_operand_is_refused_by_name(use) -> None:
    with pytest.raises(UnsupportedArrayTypeError, match=r"gradkit cannot differentiate through"):
        gk.grad(lambda x: np.sum(use(x)))(X)


def test_the_same_programs_on_plain_arrays_are_untouched() -> None:
    # outside transforms nothing is refused: NumPy's own semantics apply
    assert isinstance(X * _matrix(), np.matrix)
    assert np.ma.is_masked(X + _masked())


# --- conversions to Python numbers ---------------------------------------------------------
@pytest.mark.parametrize(
    ("convert", "advice"),
    [
        (lambda t: round(t[0]), r"round\(\).*np\.round\(x\)"),
        (lambda t: round(t[0], 2), r"round\(\).*np\.round\(x\)"),
        (lambda t: int(t[0]), r"int\(\).*np\.floor.*gk\.stop_gradient\(x\)\.astype\(int\)"),
        (lambda t: math.sin(t[0]), r"math\.sin works on Python floats.*np\.sin\(x\)"),
        (lambda t: math_exp(t[1]), r"math\.exp works on Python floats.*np\.exp\(x\)"),
        (lambda t: math.lgamma(t[1]), r"math\.lgamma.*the NumPy function of that name"),
    ],
    ids=["round", "round(ndigits)", "int", "math.sin", "from math import exp", "math.lgamma"],
)
def test_a_conversion_names_the_numpy_spelling(convert, advice) -> None:
    with pytest.raises(TracerConversionError, match=advice):
        gk.grad(lambda x: convert(x) * np.sum(x))(X)


def test_the_advice_works() -> None:
    g = gk.grad(lambda x: np.sum(np.sin(x) * np.round(x)))(X)  # round: zero derivative
    np.testing.assert_allclose(g, np.cos(X) * np.round(X), rtol=1e-15)
    g = gk.grad(lambda x: np.sum(x * gk.stop_gradient(x).astype(int)))(X)
    np.testing.assert_array_equal(g, X.astype(int))


def test_conversions_of_constants_and_eager_tensors_still_work() -> None:
    assert round(gk.Tensor(2.6)) == 3 and round(gk.Tensor(2.567), 2) == 2.57
    t = gk.Tensor([1.7], requires_grad=True)
    assert round(t[0]) == 2 and math.floor(gk.Tensor(1.7)) == 1.0
    assert math.sin(gk.Tensor(0.5)) == math.sin(0.5)


def test_math_floor_of_a_traced_value_is_numpys_floor() -> None:
    # math.floor asks the value for __floor__: np.floor, a traced zero-derivative value
    g = gk.grad(lambda x: np.sum(x * math.floor(x[1])))(X)
    np.testing.assert_array_equal(g, [1.0, 1.0])


# --- np.kron of 0-d values -----------------------------------------------------------------
def test_kron_of_scalars_has_numpys_shape() -> None:
    a, b = np.float64(1.5), np.float64(-2.0)
    value, vjp_fn = gk.vjp(np.kron, a, b)
    assert np.shape(value) == np.shape(np.kron(a, b)) == ()
    assert value == np.kron(a, b)
    assert vjp_fn(np.float64(1.0)) == (b, a)  # d(ab) = b da + a db
    _, tangent = gk.jvp(np.kron, (a, b), (np.float64(1.0), np.float64(0.0)))
    assert np.shape(tangent) == () and tangent == b


# --- functions without a rule are named by their module path ----------------------------
@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda x: np.histogram(x), "np.histogram"),
        (lambda x: np.emath.log(x), r"np\.lib\.scimath\.log"),
        (
            lambda x: np.polynomial.polynomial.polyval2d(x, x, np.ones((2, 2))),
            r"np\.polynomial\.polynomial\.polyval2d",
        ),
    ],
)
def test_a_function_without_a_rule_is_named_by_its_module_path(call, name) -> None:
    if "polyval2d" in name and not hasattr(np.polynomial.polynomial.polyval2d, "_implementation"):
        pytest.skip("this NumPy computes polyval2d with operators (no dispatch): no error")
    with pytest.raises(gk.NoRuleError, match=rf"^{name} has no derivative rule"):
        gk.grad(lambda x: np.sum(call(x)))(X)
    obj = np  # the name is a real path users can write
    for part in name.replace("\\", "").split(".")[1:]:
        obj = getattr(obj, part)
    assert callable(obj)
