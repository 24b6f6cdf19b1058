"""Activations and their closed-form derivatives, written once.

Each activation is plain NumPy code, so it runs on arrays and, unchanged, on the
engine's traced values inside ``gk.grad``; each ``*_derivative`` is the closed form
of the derivative *at x*, which the plots, the tour and the tests use. Every
function here is numerically stable: ``sigmoid(-1000)`` is 0 and ``sigmoid(1000)``
is 1 with no overflow, ``softmax`` of logits 1000 apart is exact, and nothing
returns NaN for finite input.

The tutorial's ``sigmoid_derivative(a)`` takes the *activation* ``a = sigmoid(x)``
and returns ``a * (1 - a)``; here ``sigmoid_derivative(x)`` takes the input ``x``,
like every other derivative in this module, and the tutorial's form is
``sigmoid_derivative_from_output(a)``.

>>> import numpy as np
>>> float(sigmoid(0.0)), float(sigmoid_derivative(0.0))
(0.5, 0.25)
>>> softmax(np.array([0.0, 1000.0]))
array([0., 1.])
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

__all__ = [
    "sigmoid",
    "relu",
    "tanh",
    "leaky_relu",
    "elu",
    "softplus",
    "gelu",
    "silu",
    "linear",
    "softmax",
    "log_softmax",
    "logsumexp",
    "sigmoid_derivative",
    "sigmoid_derivative_from_output",
    "relu_derivative",
    "tanh_derivative",
    "leaky_relu_derivative",
    "elu_derivative",
    "softplus_derivative",
    "gelu_derivative",
    "normal_cdf",
    "silu_derivative",
    "softmax_jacobian",
]

ArrayLike = Any  # an ndarray, a scalar, a list of numbers, or a traced value of the engine

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_CUBIC = 0.044715


def _as_input(x: ArrayLike) -> Any:
    """Turn Python numbers, lists and integer or boolean arrays into float64 arrays; pass
    float arrays and traced values on.

    Integer arrays must not reach the formulas as they are: ``x - max(x)`` wraps around
    for unsigned integers, and NumPy computes ``tanh``/``exp`` of int8, uint8 and bool in
    float16 (``tanh(1)`` would be 0.7617).
    """
    if type(x) is np.ndarray:
        return x if x.dtype.kind == "f" else _integers_as_float(x)
    if type(x) in _TRACED:
        return x  # the commonest inputs: isinstance fails slowly on a traced value
    if isinstance(x, (list, tuple, int, float)):
        return np.asarray(x, dtype=float)
    if isinstance(x, np.generic):
        return _integers_as_float(x)
    return x


def _integers_as_float(x: Any) -> Any:
    """An integer or boolean array (or NumPy scalar) as float64; anything else unchanged."""
    return x.astype(np.float64) if x.dtype.kind in "biu" else x


def stop_gradient(x: Any) -> Any:
    """Return ``x`` as a constant: its value, with no gradient flowing through it.

    Plain arrays pass through without loading the engine, so these functions stay
    pure NumPy until they are differentiated.

    >>> stop_gradient(np.array([1.0, 2.0]))
    array([1., 2.])
    """
    if isinstance(x, (np.ndarray, np.generic, int, float)):
        return x
    from gradkit.autodiff import stop_gradient as engine_stop_gradient

    return engine_stop_gradient(x)


# ----------------------------------------------------------------------------- activations


def sigmoid(x: ArrayLike) -> Any:
    """Return the logistic sigmoid ``1 / (1 + exp(-x))``, elementwise.

    Computed as ``exp(-softplus(-x))`` so no exponential ever overflows and both tails
    keep full relative precision (``sigmoid(-40)`` is 4.2e-18, not 0).

    Args:
        x: input array or scalar.

    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """
    if type(x) not in _TRACED:
        x = _as_input(x)
        if isinstance(x, (np.ndarray, np.generic)):
            return _sigmoid_values(x)
    # One recorded operation instead of several: the network's hot activation.
    return _sigmoid_primitive()(x)


def _sigmoid_values(x: Any) -> Any:
    # With e = exp(-|x|) <= 1 nothing overflows: sigmoid(x) = 1 / (1 + e) for x >= 0 and
    # e / (1 + e) for x < 0, each with full relative precision (down to the subnormals).
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    if x.ndim == 0:
        return _sigmoid_values(x.reshape(1))[0]  # a NumPy scalar, as ufuncs give
    e = np.abs(x)
    np.negative(e, out=e)
    np.exp(e, out=e)
    numerator = np.where(x >= 0, 1.0, e)
    e += 1.0
    return np.divide(numerator, e, out=e)


def _sigmoid_rule(g: Any, ans: Any, x: Any) -> Any:
    """The cotangent (or tangent) through sigmoid: g * s * (1 - s), from the output s."""
    return g * (ans * (1.0 - ans))


def _elementwise_primitive(values: Any, name: str, rule: Any) -> Any:
    """A one-input elementwise primitive whose rule ``rule(g, ans, x)`` is linear in g.

    The rule is given in the engine's own form and called directly (defvjp's closures
    would add two calls per use of a hot activation); being elementwise, one formula
    serves reverse mode and batched forward mode.
    """
    from gradkit.autodiff import primitive

    prim = primitive(values)
    prim.name = name
    prim.elementwise = True
    prim.vjps = (rule,)
    prim.jvp = lambda nb, i, t, ans, x: rule(t, ans, x)
    _note_traced_type()
    return prim


@functools.lru_cache(maxsize=1)
def _sigmoid_primitive() -> Any:
    # Registered on first use, so importing gradkit.nn does not load the engine.
    return _elementwise_primitive(_sigmoid_values, "sigmoid", _sigmoid_rule)


def relu(x: ArrayLike) -> Any:
    """Return ``max(x, 0)`` elementwise, with derivative 0 at x = 0.

    One recorded operation when differentiated, whose derivative is 1 where ``x > 0``
    and 0 elsewhere, the kink included, as in :func:`relu_derivative`. NaN stays NaN
    (as in PyTorch), so a diverged network shows it.

    Args:
        x: input array or scalar.

    >>> relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    if type(x) not in _TRACED:
        x = _as_input(x)
        if isinstance(x, (np.ndarray, np.generic)):
            return _relu_values(x)
    return _relu_primitive()(x)


def _relu_values(x: Any) -> Any:
    return np.maximum(x, 0.0)


@functools.lru_cache(maxsize=1)
def _relu_primitive() -> Any:
    from gradkit.autodiff.primitives import Operand
    from gradkit.autodiff.rules.elementwise import _masked, _select

    def rule(g: Any, ans: Any, x: Any) -> Any:
        # g where x > 0, else 0; ans > 0 exactly where x > 0. _select is np.where with
        # the engine's branch-free path for a plain g.
        return _select(ans > 0, g, 0.0)

    def rule_in_place(g: Any, ans: Any, x: Any) -> Any:
        # The same, written into g (a fresh array the engine owns) with a fresh mask.
        if type(ans) is np.ndarray:
            out = _masked(ans > 0, g, overwrite=True)
            if out is not None:
                return out
        return rule(g, ans, x)

    prim = _elementwise_primitive(_relu_values, "relu", rule)
    prim.vjp_in_place = rule_in_place
    prim.lower = lambda x: [(np.maximum, (Operand(0), 0.0))]
    return prim


def tanh(x: ArrayLike) -> Any:
    """Return the hyperbolic tangent, elementwise (never overflows).

    Args:
        x: input array or scalar.

    >>> tanh(np.array([0.0, 1000.0]))
    array([0., 1.])
    """
    return np.tanh(_as_input(x))


def leaky_relu(x: ArrayLike, negative_slope: float = 0.01) -> Any:
    """Return ``x`` where ``x > 0`` and ``negative_slope * x`` elsewhere.

    Args:
        x: input array or scalar.
        negative_slope: slope for non-positive inputs (PyTorch's default, 0.01).

    >>> leaky_relu(np.array([-2.0, 3.0]), negative_slope=0.1)
    array([-0.2,  3. ])
    """
    x = _as_input(x)
    return np.where(x > 0, x, negative_slope * x)


def elu(x: ArrayLike, alpha: float = 1.0) -> Any:
    """Return the exponential linear unit: ``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``
    (computed with ``expm1``).

    The exponential only ever sees non-positive numbers, so it cannot overflow.

    Args:
        x: input array or scalar.
        alpha: the value the function approaches as x -> -inf is ``-alpha``.

    >>> elu(np.array([-1000.0, 0.0, 2.0]))
    array([-1.,  0.,  2.])
    """
    x = _as_input(x)
    negative_part = np.where(x > 0, 0.0, x)
    # expm1, not exp - 1: exact near 0, where exp(x) - 1 loses digits (x = -1e-8)
    return np.where(x > 0, x, alpha * np.expm1(negative_part))


def softplus(x: ArrayLike) -> Any:
    """Return ``log(1 + exp(x))``, elementwise, without overflow (``np.logaddexp(0, x)``).

    Args:
        x: input array or scalar.

    >>> softplus(np.array([-1000.0, 1000.0]))
    array([   0., 1000.])
    >>> float(softplus(0.0))  # log 2
    0.6931471805599453
    """
    return np.logaddexp(0.0, _as_input(x))


def gelu(x: ArrayLike, approximate: bool = True) -> Any:
    """Return the Gaussian error linear unit ``x * Phi(x)``.

    With ``approximate=True`` (the default, as in JAX) the tanh form
    ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`` used by GPT-2 and BERT
    (PyTorch's ``approximate="tanh"``), which differs from the exact function by less
    than 5e-4; it is computed as ``x * sigmoid(2 u)`` (``(1 + tanh u) / 2 = sigmoid(2 u)``)
    to keep full relative precision in the left tail. With ``approximate=False`` the
    exact ``x * Phi(x)``, ``Phi`` the standard normal CDF (PyTorch's default); it runs
    Python's ``math.erfc`` per element, so it is slower.

    Args:
        x: input array or scalar.
        approximate: use the tanh form (True) or the exact normal CDF (False). Only a
            bool: PyTorch's strings are refused, since ``"none"`` (its exact form) is
            truthy.

    >>> gelu(np.array([-1000.0, 0.0, 1.0]))
    array([-0.        ,  0.        ,  0.84119199])
    >>> gelu(np.array([1.0]), approximate=False)  # 1 * Phi(1)
    array([0.84134475])
    """
    x = _as_input(x)
    if _check_approximate(approximate):
        return x * sigmoid(_gelu_inner(x) * 2.0)
    return x * normal_cdf(x)


def _check_approximate(approximate: Any) -> bool:
    """Return the GELU's ``approximate`` flag as a bool; refuse anything but a bool.

    >>> _check_approximate(False)
    False
    """
    if isinstance(approximate, (bool, np.bool_)):
        return bool(approximate)
    raise TypeError(
        f"gelu: approximate must be True (the tanh form) or False (the exact form), got "
        f"{approximate!r}; PyTorch's approximate='none' is approximate=False here and "
        "approximate='tanh' is approximate=True"
    )


_erfc = np.vectorize(math.erfc, otypes=[float])


def _normal_cdf_values(x: Any) -> np.ndarray:
    # erfc keeps full relative precision in both tails, where 1 + erf(x) would cancel
    return 0.5 * _erfc(np.asarray(x, dtype=float) * -_SQRT_HALF)


def _normal_pdf(x: Any) -> Any:
    return np.exp(-0.5 * x * x) * _INV_SQRT_2PI


@functools.lru_cache(maxsize=1)
def _normal_cdf_primitive() -> Any:
    # Registered on first use, so importing gradkit.nn does not load the engine.
    from gradkit.autodiff import defjvp, defvjp, primitive

    cdf = primitive(_normal_cdf_values)
    defvjp(cdf, lambda ans, x: lambda g: g * _normal_pdf(x))
    defjvp(cdf, lambda g, ans, x: g * _normal_pdf(x))
    return cdf


def normal_cdf(x: ArrayLike) -> Any:
    """Return the standard normal CDF ``Phi(x) = (1 + erf(x / sqrt 2)) / 2``, elementwise.

    Exact in both tails (computed from ``erfc``) and differentiable by the engine, with
    derivative the normal density ``exp(-x^2/2) / sqrt(2 pi)``.

    Args:
        x: input array or scalar.

    >>> normal_cdf(np.array([-10.0, 0.0, 1.0]))  # Phi(-10) is 7.6e-24, not 0
    array([7.61985302e-24, 5.00000000e-01, 8.41344746e-01])
    """
    if type(x) not in _TRACED:
        x = _as_input(x)
        if isinstance(x, (np.ndarray, np.generic)):
            return _normal_cdf_values(x)
    return _normal_cdf_primitive()(x)


def _gelu_inner(x: Any) -> Any:
    return _SQRT_2_OVER_PI * (x + _GELU_CUBIC * x * x * x)


def silu(x: ArrayLike) -> Any:
    """Return the sigmoid linear unit (swish) ``x * sigmoid(x)``.

    Args:
        x: input array or scalar.

    >>> silu(np.array([-1000.0, 0.0, 1000.0]))
    array([  -0.,    0., 1000.])
    """
    x = _as_input(x)
    return x * sigmoid(x)


def linear(x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None) -> Any:
    """Return ``x @ weight + bias``: a fully connected layer, as one operation.

    ``weight`` has shape ``(in, out)``, as in :class:`gradkit.nn.Linear` (PyTorch's
    ``F.linear`` takes ``(out, in)`` and transposes it). When differentiated this is one
    recorded operation (like PyTorch's ``addmm``): the bias is added in place into the
    product, and the backward pass gives the three gradients ``g @ weight.T``,
    ``x.T @ g`` and the sum of ``g`` over the batch, from the engine's matmul rules, so
    Hessians and forward mode work as for ``x @ weight + bias`` written out.

    Args:
        x: inputs, shape ``(..., in)``.
        weight: matrix of shape ``(in, out)``.
        bias: vector of shape ``(out,)``, or None for no bias.

    >>> linear(np.array([[1.0, 2.0]]), np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]),
    ...        np.array([0.5, 0.5, 0.5]))
    array([[1.5, 2.5, 3.5]])
    """
    if type(x) is not np.ndarray and type(x) not in _TRACED:
        x = _as_input(x)
    if type(weight) is not np.ndarray and type(weight) not in _TRACED:
        weight = _as_input(weight)
    if bias is not None and type(bias) is not np.ndarray and type(bias) not in _TRACED:
        bias = _as_input(bias)
    if type(weight) is np.ndarray and type(x) is np.ndarray:
        if bias is None or type(bias) is np.ndarray:
            return _linear_values(x, weight, bias)
    # The shapes are checked by _linear_values, where every path arrives with the values.
    prim = _linear_primitive()
    return prim(x, weight) if bias is None else prim(x, weight, bias)


def _value_shape(a: Any) -> tuple:
    """The shape of an array, a NumPy scalar or anything else array-like."""
    try:
        return tuple(a.shape)
    except AttributeError:
        return np.shape(a)


def _linear_shape_error(x_shape: tuple, w_shape: tuple, bias: Any) -> None:
    if len(w_shape) != 2:
        raise ValueError(f"linear: weight must be a matrix (in, out); got shape {w_shape}")
    if not x_shape or x_shape[-1] != w_shape[0]:
        raise ValueError(
            f"linear: x has shape {x_shape}, whose last axis does not match the weight's "
            f"{w_shape[0]} inputs (weight shape {w_shape}, laid out (in, out))"
        )
    raise ValueError(
        f"linear: bias must have shape ({w_shape[1]},), one per output; got {tuple(bias.shape)}"
    )


def _linear_values(x: Any, weight: Any, bias: Any = None) -> Any:
    w_shape = weight.shape
    if len(w_shape) != 2 or (bias is not None and bias.shape != w_shape[1:]):
        _linear_shape_error(_value_shape(x), w_shape, bias)
    mismatch = False
    try:
        out = x @ weight
    except ValueError:
        x_shape = _value_shape(x)
        if x_shape and x_shape[-1] == w_shape[0]:
            raise  # not a shape linear knows of: NumPy's own message
        mismatch = True
    if mismatch:  # outside the except block, so NumPy's message is not chained to ours
        _linear_shape_error(x_shape, w_shape, bias)
    if bias is None:
        return out
    if type(out) is np.ndarray and (
        out.dtype == bias.dtype or out.dtype == np.result_type(out, bias)
    ):
        out += bias  # the product is a fresh array: add in place, as BLAS addmm does
        return out
    return out + bias


@functools.lru_cache(maxsize=1)
def _linear_primitive() -> Any:
    # Registered on first use, so importing gradkit.nn does not load the engine.
    from gradkit.autodiff import primitive
    from gradkit.autodiff.forward import insert_axes_after_batch
    from gradkit.autodiff.primitives import Operand
    from gradkit.autodiff.rules.linalg import _matmul_jvp, _matmul_vjp_a, _matmul_vjp_b, matmul_p

    def jvp(nb: int, i: int, t: Any, ans: Any, x: Any, weight: Any, bias: Any = None) -> Any:
        if i < 2:
            return _matmul_jvp(nb, i, t, ans, x, weight)
        # the bias tangent: batch axes in front, broadcast over the rows of the output
        return insert_axes_after_batch(t, nb, len(ans.shape) - 1)

    def vjp_bias(g: Any, ans: Any, x: Any, weight: Any, bias: Any) -> Any:
        return g  # the engine sums it over the rows it was broadcast to

    def lower(x: Any, weight: Any, bias: Any = None) -> Any:
        # gk.jit replays matmul's form, then the bias sum (operand 3: the product); it
        # adds in place where _linear_values does (the product is a fresh array).
        product = matmul_p.lower(x, weight)
        if product is None or bias is None:
            return product
        return [*product, (np.add, (Operand(3), Operand(2)))] if type(bias) is np.ndarray else None

    prim = primitive(_linear_values)
    prim.name = "linear"
    prim.vjps = (_matmul_vjp_a, _matmul_vjp_b, vjp_bias)  # they ignore the bias argument
    prim.jvp = jvp
    prim.lower = lower
    _note_traced_type()
    return prim


#: The engine's traced value type, once a primitive here or in losses has loaded the engine.
#: The functions test for it before anything else: isinstance checks that fail, as they do
#: on a traced value, cost microseconds (each looks up the value's __class__).
_TRACED: set = set()


def _note_traced_type() -> None:
    from gradkit.autodiff.tensor import Tensor

    _TRACED.add(Tensor)


_max_reduce = np.maximum.reduce
_and_reduce = np.logical_and.reduce


def _finite_max_of(x: np.ndarray, axis: Any) -> tuple[np.ndarray, bool]:
    """The maximum along ``axis`` (kept), 0 where a slice has no finite maximum; and
    whether every slice's maximum was finite."""
    # initial=-inf: the maximum of an empty slice is -inf (then shifted by 0), not an error.
    # The ufuncs' reduce methods, positionally (axis, dtype, out, keepdims, initial): the
    # np.max and .all() wrappers cost microseconds of Python on every softmax.
    shift = _max_reduce(x, axis, None, None, True, -np.inf)
    finite = bool(_and_reduce(np.isfinite(shift), None))
    if not finite:  # an all -inf slice: -inf - -inf would be NaN; shift it by 0 instead
        shift = np.where(np.isfinite(shift), shift, 0.0)
    return shift, finite


def _finite_max(x: np.ndarray, axis: Any) -> np.ndarray:
    """:func:`_finite_max_of`'s maximum alone: the operation gk.jit records."""
    return _finite_max_of(x, axis)[0]


def _max_shift(x: Any, axis: Any) -> tuple[Any, bool]:
    """:func:`_finite_max_of` as a constant (False under gk.jit, which records the
    maximum without seeing it)."""
    from gradkit.autodiff.primitives import apply_constant, strip

    v = strip(x)
    if not isinstance(v, (np.ndarray, np.generic)):  # gk.jit's value: recorded
        return apply_constant(_finite_max, (v,), {"axis": axis}), False
    return _finite_max_of(v, axis)


def _log_sum_exp_shifted(shifted: Any, axis: Any, finite: bool) -> Any:
    """``log(sum(exp(shifted)))`` along ``axis`` (kept), for logsumexp and log_softmax.

    Where a slice had no finite maximum (``finite`` is False), its sum is 0 and log 0 =
    -inf is exact: the warning is silenced then, and only then (errstate costs
    microseconds on every call).
    """
    total = np.sum(np.exp(shifted), axis=axis, keepdims=True)
    if finite:
        return np.log(total)
    with np.errstate(divide="ignore"):
        return np.log(total)


def logsumexp(
    x: ArrayLike, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
) -> Any:
    """Return ``log(sum(exp(x)))`` over ``axis`` without overflow.

    The maximum is subtracted first and treated as a constant (its contribution to
    the gradient is exactly zero), so the gradient is ``softmax(x)``.

    Args:
        x: input array.
        axis: axis or axes to reduce; ``None`` reduces all.
        keepdims: keep the reduced axes with length one.

    >>> float(logsumexp(np.array([1000.0, 1000.0])))
    1000.6931471805599
    >>> logsumexp(np.array([[0.0, 0.0], [-np.inf, 5.0]]), axis=1)
    array([0.69314718, 5.        ])
    """
    x = _as_input(x)
    shift, finite = _max_shift(x, axis)
    out = _log_sum_exp_shifted(x - shift, axis, finite) + shift
    if keepdims:
        return out
    if axis is None:
        return np.reshape(out, ())
    return np.squeeze(out, axis=axis)


def softmax(x: ArrayLike, axis: int = -1) -> Any:
    """Return ``exp(x) / sum(exp(x))`` along ``axis``; rows sum to 1, never overflows.

    Args:
        x: input array (logits).
        axis: the axis that holds the classes.

    >>> softmax(np.array([[1000.0, 1000.0], [0.0, -1000.0]]))
    array([[0.5, 0.5],
           [1. , 0. ]])
    """
    x = _as_input(x)
    exps = np.exp(x - _max_shift(x, axis)[0])
    return exps / np.sum(exps, axis=axis, keepdims=True)


def log_softmax(x: ArrayLike, axis: int = -1) -> Any:
    """Return ``log(softmax(x))`` along ``axis``, computed as ``x - logsumexp(x)``.

    Finite wherever ``x`` is finite: the log of a probability that rounds to 0 in
    ``softmax`` is still a finite, exact negative number here.

    Args:
        x: input array (logits).
        axis: the axis that holds the classes.

    >>> log_softmax(np.array([0.0, -1000.0]))
    array([    0., -1000.])
    """
    x = _as_input(x)
    shift, finite = _max_shift(x, axis)
    shifted = x - shift
    return shifted - _log_sum_exp_shifted(shifted, axis, finite)


# ----------------------------------------------------------------------------- derivatives


def sigmoid_derivative(x: ArrayLike) -> Any:
    """Return ``sigmoid'(x) = sigmoid(x) * (1 - sigmoid(x))``, taking the *input* x.

    The tutorial's ``sigmoid_derivative`` takes the activation ``a = sigmoid(x)``
    instead; that form is :func:`sigmoid_derivative_from_output`.

    Args:
        x: input array or scalar.

    >>> sigmoid_derivative(np.array([0.0, 1000.0]))
    array([0.25, 0.  ])
    """
    s = sigmoid(x)
    return s * (1.0 - s)


def sigmoid_derivative_from_output(a: ArrayLike) -> Any:
    """Return ``a * (1 - a)``: the sigmoid's derivative given its *output* ``a``.

    This is the tutorial's ``sigmoid_derivative``, used in backpropagation where the
    activation is already at hand: ``sigmoid_derivative_from_output(sigmoid(x))``
    equals ``sigmoid_derivative(x)``.

    Args:
        a: sigmoid activations, in [0, 1].

    >>> float(sigmoid_derivative_from_output(0.5))
    0.25
    """
    a = _as_input(a)
    return a * (1.0 - a)


def relu_derivative(x: ArrayLike) -> Any:
    """Return 1 where ``x > 0`` and 0 elsewhere (0 at the kink x = 0, as in the tutorial).

    Args:
        x: input array or scalar.

    >>> relu_derivative(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 1.])
    """
    x = _as_input(x)
    return np.where(x > 0, 1.0, 0.0)


def tanh_derivative(x: ArrayLike) -> Any:
    """Return ``1 - tanh(x)**2``.

    Args:
        x: input array or scalar.

    >>> tanh_derivative(np.array([0.0, 1000.0]))
    array([1., 0.])
    """
    t = tanh(x)
    return 1.0 - t * t


def leaky_relu_derivative(x: ArrayLike, negative_slope: float = 0.01) -> Any:
    """Return 1 where ``x > 0`` and ``negative_slope`` elsewhere.

    Args:
        x: input array or scalar.
        negative_slope: slope for non-positive inputs.

    >>> leaky_relu_derivative(np.array([-1.0, 2.0]), negative_slope=0.1)
    array([0.1, 1. ])
    """
    x = _as_input(x)
    return np.where(x > 0, 1.0, negative_slope)


def elu_derivative(x: ArrayLike, alpha: float = 1.0) -> Any:
    """Return 1 where ``x > 0`` and ``alpha * exp(x)`` elsewhere.

    Args:
        x: input array or scalar.
        alpha: the ELU's alpha.

    >>> elu_derivative(np.array([-1000.0, 0.0, 2.0]))
    array([0., 1., 1.])
    """
    x = _as_input(x)
    return np.where(x > 0, 1.0, alpha * np.exp(np.where(x > 0, 0.0, x)))


def softplus_derivative(x: ArrayLike) -> Any:
    """Return ``softplus'(x) = sigmoid(x)``.

    Args:
        x: input array or scalar.

    >>> float(softplus_derivative(0.0))
    0.5
    """
    return sigmoid(x)


def gelu_derivative(x: ArrayLike, approximate: bool = True) -> Any:
    """Return the derivative of :func:`gelu` at ``x``.

    Tanh form: with ``u = sqrt(2/pi) (x + 0.044715 x^3)`` and ``s = sigmoid(2 u)``,
    ``s + 2 x s (1 - s) sqrt(2/pi) (1 + 3 * 0.044715 x^2)`` (the textbook
    ``0.5 (1 + t) + 0.5 x (1 - t^2) u'`` with ``t = tanh u``). Exact form:
    ``Phi(x) + x phi(x)`` with ``phi`` the normal density.

    Args:
        x: input array or scalar.
        approximate: as in :func:`gelu`.

    >>> float(gelu_derivative(0.0)), float(gelu_derivative(0.0, approximate=False))
    (0.5, 0.5)
    """
    x = _as_input(x)
    if not _check_approximate(approximate):
        return normal_cdf(x) + x * _normal_pdf(x)
    s = sigmoid(2.0 * _gelu_inner(x))
    inner_slope = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_CUBIC * x * x)
    return s + 2.0 * x * s * (1.0 - s) * inner_slope


def silu_derivative(x: ArrayLike) -> Any:
    """Return ``sigmoid(x) * (1 + x * (1 - sigmoid(x)))``.

    Args:
        x: input array or scalar.

    >>> float(silu_derivative(0.0))
    0.5
    """
    x = _as_input(x)
    s = sigmoid(x)
    return s * (1.0 + x * (1.0 - s))


def softmax_jacobian(x: ArrayLike) -> np.ndarray:
    """Return the Jacobian of :func:`softmax` over the last axis: ``diag(s) - s s^T``.

    For input of shape ``(..., n)`` the result has shape ``(..., n, n)``; entry
    ``[i, j]`` is ``d softmax(x)_i / d x_j``.

    Args:
        x: logits, classes on the last axis.

    >>> softmax_jacobian(np.array([0.0, 0.0]))
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])
    """
    s = np.asarray(softmax(x, axis=-1), dtype=float)
    return s[..., :, None] * np.eye(s.shape[-1]) - s[..., :, None] * s[..., None, :]


# The functional forms of the layers past the MLP, under gk.nn.functional as in torch.
# They live in their own modules, which use the activations above; they are looked up
# on first use so that no two modules import each other.
_LAYER_FUNCTIONS = {
    "conv1d": "conv",
    "conv2d": "conv",
    "conv_transpose2d": "conv",
    "max_pool1d": "conv",
    "max_pool2d": "conv",
    "avg_pool1d": "conv",
    "avg_pool2d": "conv",
    "adaptive_avg_pool2d": "conv",
    "batch_norm": "normalization",
    "layer_norm": "normalization",
    "group_norm": "normalization",
    "scaled_dot_product_attention": "attention",
    "multi_head_attention": "attention",
    "rnn_cell": "recurrent",
    "lstm_cell": "recurrent",
    "gru_cell": "recurrent",
    **{
        name: "torch_losses"
        for name in (
            "cross_entropy",
            "nll_loss",
            "binary_cross_entropy_with_logits",
            "mse_loss",
            "l1_loss",
            "smooth_l1_loss",
            "huber_loss",
            "kl_div",
            "cosine_embedding_loss",
            "margin_ranking_loss",
            "triplet_margin_loss",
        )
    },
}


def __getattr__(name: str) -> Any:
    module = _LAYER_FUNCTIONS.get(name)
    if module is None:
        raise AttributeError(f"module 'gradkit.nn.functional' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"gradkit.nn.{module}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAYER_FUNCTIONS))
