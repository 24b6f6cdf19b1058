"""JAX-style transforms on plain NumPy functions: grad, jvp, vjp, Jacobians, Hessians.

Every transform opens its own trace, so transforms nest in any order and mix freely:
``grad(grad(f))``, ``jacfwd(jacrev(f))``, ``jvp`` of ``grad``, ``grad`` of ``jvp``.
Arguments and results may be arrays, scalars, or tuples/lists/dicts of them; a
derivative has the structure of what it is taken with respect to.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gradkit.autodiff.batching import batched_rows
from gradkit.autodiff.errors import InPlaceError, NoRuleError, TracerConversionError
from gradkit.autodiff.forward import ForwardTrace
from gradkit.autodiff.primitives import peek, shape_of, value_of
from gradkit.autodiff.reverse import EXACT_REFCOUNTS, ReverseTrace, backward_pass, fingerprint
from gradkit.autodiff.sequences import check_input, pack_output
from gradkit.autodiff.tensor import Tensor
from gradkit.autodiff.trace import next_level, opened, running
from gradkit.shared_arrays import readonly_ones
from gradkit.tree import tree_flatten, tree_unflatten

__all__ = [
    "grad",
    "value_and_grad",
    "vjp",
    "jvp",
    "jacfwd",
    "jacrev",
    "jacobian",
    "hessian",
    "hvp",
    "directional_derivative",
    "elementwise_grad",
]

Argnums = int | Sequence[int]
_INTS = (int, np.integer)
_refcount = sys.getrefcount
_SCALARS = (int, float, np.integer, np.floating)
_SCALAR_SHAPES = ((), (1,))


# --- inputs ----------------------------------------------------------------------------
def _argnums(argnums: Argnums, nargs: int, who: str) -> tuple[int, ...]:
    if type(argnums) is int and 0 <= argnums < nargs:
        return (argnums,)
    nums = (argnums,) if isinstance(argnums, _INTS) else tuple(argnums)
    if not nums:
        raise ValueError(f"{who}: argnums is empty; name at least one argument to differentiate")
    for a in nums:
        if not isinstance(a, _INTS) or not -nargs <= a < nargs:
            raise ValueError(
                f"{who}: argnums={argnums!r} is out of range for a call with {nargs} positional "
                f"argument(s); use an index from 0 to {nargs - 1}"
            )
    return tuple(int(a) % nargs for a in nums)


def _input(x: Any, who: str, argnum: int) -> Any:
    """Check a value to be differentiated and make it an array (or keep a traced one).
    A float array passes through ``np.asarray`` unchanged; :func:`_inputs` takes the many
    float arrays of a training step without the call."""
    if type(x) is Tensor:
        if x._trace is None:
            x = x._value
        else:
            kind = np.result_type(peek(x)).kind
            if kind not in "fc":
                raise TypeError(f"{who}: argument {argnum} is a Tensor of dtype {x.dtype}")
            return x
    check_input(x, who, argnum)  # np.matrix, np.ma, foreign arrays: refused by name
    if isinstance(x, _INTS):
        raise TypeError(
            f"{who}: argument {argnum} is the integer {x!r}; derivatives are taken with respect "
            f"to floating-point (real or complex) values. Pass {float(x)!r} instead."
        )
    try:
        arr = np.asarray(x)
    except Exception as err:  # pragma: no cover - unusual array-likes
        raise TypeError(f"{who}: argument {argnum} is not an array: {type(x).__name__}") from err
    if arr.dtype.kind not in "fc":
        hint = " Use x.astype(float)." if arr.dtype.kind in "biu" else ""
        raise TypeError(
            f"{who}: argument {argnum} has dtype {arr.dtype}; derivatives are taken with respect "
            f"to real floating-point (or complex) arrays.{hint}"
        )
    return arr


def _inputs(xs: list, who: str, argnum: int) -> list:
    """:func:`_input` of each of ``xs``, in one call: float arrays, the commonest inputs,
    are taken as they are, without a call each."""
    return [
        x if type(x) is np.ndarray and x.dtype.kind == "f" else _input(x, who, argnum) for x in xs
    ]


def _box_inputs(args: tuple, nums: tuple, who: str, tr: Any) -> tuple:
    """Replace the arguments at ``nums`` by leaves boxed on trace ``tr``.

    Returns the new arguments, the leaves' nodes, the treedefs and the original leaves.
    The nodes are taken here, before the function runs: a write into an input, such as
    ``x[0] = 5.0``, gives its box the node of the write, and the gradient belongs to the
    input as it was passed.
    """
    new_args = list(args)
    nodes, defs, originals = [], [], []
    for a in nums:
        leaves, treedef = tree_flatten(args[a])
        leaf_nodes: list = []
        leaf_boxes = tr.leaves(_inputs(leaves, who, a), leaf_nodes)
        new_args[a] = tree_unflatten(treedef, leaf_boxes)
        nodes.append(leaf_nodes)
        defs.append(treedef)
        originals.append(leaves)
    return new_args, nodes, defs, originals


def _split_aux(out: Any, who: str) -> tuple[Any, Any]:
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise ValueError(
            f"{who}(..., has_aux=True): the function must return a pair (output, aux), "
            f"got {type(out).__name__}"
        )
    return out[0], out[1]


def _own_output(out: Any, tr: Any) -> Any:
    """Take off the boxes of traces opened inside ``tr`` from the leaves of ``out``.

    A Tensor made with ``requires_grad=True`` inside a transform lives on a trace of its
    own, one level above the transform's; a result computed from it and the transform's
    inputs comes back boxed by that trace, with the transform's own value inside. Without
    this, the transform would not recognise its output and report a zero derivative.
    """
    if type(out) is Tensor:
        t = out._trace
        if t is tr or t is None or t.level < tr.level:
            return out  # the transform's own output (the common case), or a constant
    leaves, treedef = tree_flatten(out)
    return tree_unflatten(treedef, [_under_inner_boxes(v, tr) for v in leaves])


def _under_inner_boxes(v: Any, tr: Any) -> Any:
    """``v`` without the boxes of traces opened inside ``tr`` (levels above its own)."""
    while type(v) is Tensor and v._trace is not None and v._trace.level > tr.level:
        v = v._value
    return v


def _lower(x: Any, tr: Any) -> Any:
    """Strip the boxes of trace ``tr`` from every leaf of ``x``.

    A leaf boxed by a trace opened inside ``tr`` (a hand-made Tensor's) around one of
    ``tr``'s values is computed from the transform's inputs and cannot be differentiated
    once the transform has returned: it is returned as its plain value. A hand-made
    Tensor that does not depend on the inputs is returned as it is.
    """
    if type(x) is Tensor:
        return _lower_leaf(x, tr)
    leaves, treedef = tree_flatten(x)
    return tree_unflatten(treedef, [_lower_leaf(v, tr) if type(v) is Tensor else v for v in leaves])


def _lower_leaf(v: Any, tr: Any) -> Any:
    if v._trace is tr:
        return v._value
    inner = _under_inner_boxes(v, tr)
    if type(inner) is Tensor and inner._trace is tr:
        return inner._value
    return v


def _finish(g: Any, like: Any, original: Any) -> Any:
    """Give a cotangent the shape and dtype of its input (and a writeable array)."""
    lv = peek(like)  # its shape and dtype
    dtype = np.result_type(lv)
    if type(g) is Tensor:  # traced by an enclosing transform: fixed up with traced calls
        gv = peek(g)
        if gv.shape != shape_of(lv):
            g = np.broadcast_to(g, shape_of(lv))
        if gv.dtype != dtype:
            if gv.dtype.kind == "c" and dtype.kind != "c":
                g = np.real(g)  # a real input's share of a complex cotangent
            g = g.astype(dtype)
        return g
    if g is None:
        g = np.zeros(shape_of(lv), dtype=dtype)
    else:
        g = np.asarray(g)
        if g.dtype.kind == "c" and dtype.kind != "c":
            g = g.real
        if g.shape != shape_of(lv) or g.dtype != dtype or not g.flags.writeable:
            g = np.array(np.broadcast_to(g, shape_of(lv)), dtype=dtype)
    if isinstance(original, (float, complex, np.inexact)) and not isinstance(original, np.ndarray):
        return g[()]
    return g


def _gradients(grads: dict, nodes: list, defs: list, originals: list, given: tuple = ()) -> list:
    """Each input's gradient (``nodes``: their leaf nodes), finished, in its argument's
    structure.

    No two returned arrays share memory, and none shares memory with an array in
    ``given`` (the caller's own cotangents): one backward pass can hand the same
    cotangent to several inputs (``x + y``), and a gradient updated in place must not
    change another. Takes the gradients out of ``grads``.
    """
    returned: list = list(given)
    ids = {id(a) for a in given} if given else set()
    views = bool(given)
    per_arg = []
    take = grads.pop
    for leaf_nodes, treedef, orig in zip(nodes, defs, originals):
        gs = []
        for node, o in zip(leaf_nodes, orig):
            g = take(node, None)
            if (  # already right: an array of the input's shape and dtype, writeable
                type(g) is np.ndarray
                and type(o) is np.ndarray  # so the leaf holds o itself
                and g.shape == o.shape
                and g.dtype == o.dtype
                and g.flags.writeable
            ):
                if EXACT_REFCOUNTS and _refcount(g) == 2 and g.base is None:
                    # Held by `g` alone: no other gradient, view or caller's array can
                    # share its memory, so there is nothing to compare it with.
                    gs.append(g)
                    continue
            else:
                g = _finish(g, node.ans, o)
            if type(g) is np.ndarray:
                if g.base is not None:
                    views = True
                if id(g) in ids or (views and any(np.may_share_memory(g, r) for r in returned)):
                    g = g.copy()
                ids.add(id(g))
                returned.append(g)
            gs.append(g)
        per_arg.append(tree_unflatten(treedef, gs))
    return per_arg


def _pack(per_arg: list, nums_given: Argnums) -> Any:
    return per_arg[0] if isinstance(nums_given, _INTS) else tuple(per_arg)


# --- reverse mode ----------------------------------------------------------------------
def _reverse(fun, args, kwargs, nums, who, has_aux, guard=None):
    tr = ReverseTrace(next_level(), who, guard=guard)
    stack = running()
    stack.append(tr)  # what `with opened(tr)` does, without its three calls
    try:
        new_args, nodes, defs, originals = _box_inputs(args, nums, who, tr)
        out = fun(*new_args, **kwargs)
        if type(out) is not Tensor:  # np.array([...]) of traced values: one array
            out = pack_output(out)
        aux = None
        if has_aux:
            out, aux = _split_aux(out, who)
    except BaseException:
        tr.unlock()
        raise
    finally:
        stack.pop()
        tr.active = False
    return tr, _own_output(out, tr), aux, nodes, defs, originals


def _real_output(value: Any, who: str, fun: Callable, allowed: str = "iuf") -> None:
    """Refuse an output reverse mode cannot differentiate: None, a boolean (a
    comparison), a complex number, or anything that is not a number. Its gradient would
    come out as zeros, or as the real part's alone, silently. ``allowed``: the dtype
    kinds accepted (forward mode carries booleans and complex numbers too)."""
    try:
        kind = value.dtype.kind  # arrays and NumPy scalars, the commonest outputs
    except AttributeError:
        try:  # not np.result_type: it reads a string as a dtype's name ("f" is float32)
            kind = "N" if value is None else np.asarray(value).dtype.kind
        except Exception:  # noqa: BLE001 - anything NumPy cannot make an array of
            kind = "O"
    if kind in allowed:  # an integer output is a constant (0 gradient), as np.sum(x > 0)
        return
    name = getattr(fun, "__name__", "the function")
    if kind == "N":
        raise TypeError(
            f"gk.{who}: {name} returned None; {who} needs it to return a number (is a "
            "`return` missing?)"
        )
    if kind == "c":
        holomorphic = (
            f"If {name} is holomorphic, pass holomorphic=True (gk.{who}(f, holomorphic=True)) "
            "for f'(z); otherwise return"
            if who in _HOLOMORPHIC
            else "Return"
        )
        raise TypeError(
            f"gk.{who}: {name} returned a complex value; {who} differentiates a real output. "
            f"{holomorphic} np.real(...), np.imag(...) or np.abs(...) of it, or use gk.vjp or "
            "gk.jvp, which carry complex outputs."
        )
    if kind == "b":
        raise TypeError(
            f"gk.{who}: {name} returned a boolean (a comparison), which has no derivative; "
            "return the real number it was computed from"
        )
    raise TypeError(
        f"gk.{who}: {name} returned {type(value).__name__} {value!r:.40}, which is not a "
        "number; return a real scalar or array"
    )


#: The transforms with a ``holomorphic`` option.
_HOLOMORPHIC = ("grad", "value_and_grad", "jacrev", "jacfwd", "hessian")


def _check_holomorphic(values: Any, who: str, what: str = "inputs") -> None:
    """With ``holomorphic=True``, every input (or output) must be complex, as in JAX."""
    for leaf in tree_flatten(values)[0]:
        dtype = np.result_type(peek(leaf))
        if dtype.kind != "c":
            fix = (
                "pass complex arrays, e.g. x.astype(complex)"
                if what == "inputs"
                else "return a complex value, or drop holomorphic=True for a real one"
            )
            raise TypeError(
                f"gk.{who} with holomorphic=True requires {what} with complex dtype, but got "
                f"{dtype}: {fix}"
            )


def _scalar_output(out: Any, who: str, fun: Callable, holomorphic: bool = False) -> None:
    if type(out) is not Tensor and isinstance(out, (tuple, list, dict)):
        raise TypeError(
            f"gk.{who}: {getattr(fun, '__name__', 'the function')} returned a "
            f"{type(out).__name__}; {who} needs a single scalar output. Use has_aux=True to "
            "return extra values, or gk.jacobian for several outputs."
        )
    value = peek(out)  # its dtype and shape
    if holomorphic:
        _check_holomorphic(value, who, "outputs")
    else:
        _real_output(value, who, fun)
    shape = shape_of(value)
    if shape != () and shape != (1,):
        raise TypeError(
            f"gk.{who}: {getattr(fun, '__name__', 'the function')} returned an array of shape "
            f"{shape}; {who} needs a scalar output. Use gk.jacobian for the full Jacobian, "
            "gk.elementwise_grad for the derivative of an elementwise function, or reduce the "
            "output (e.g. np.sum)."
        )


def _grads_from(tr, out, nodes, defs, originals, seed=None):
    grads: dict = {}
    if type(out) is Tensor and out._trace is tr:
        if seed is None:
            v = peek(out)
            seed = readonly_ones(v.shape, v.dtype)  # shared; _finish copies it out
        grads = backward_pass([(out._node, seed)], tape=tr.tape, release=True)  # walked once
    return _gradients(grads, nodes, defs, originals)


def _value_and_grad(fun, args, kwargs, argnums, has_aux, who, holomorphic=False):
    nums = _argnums(argnums, len(args), who)
    if holomorphic:
        _check_holomorphic([args[a] for a in nums], who)
    # "lock": the arrays the rules will read are guarded until the backward pass ends
    tr, out, aux, nodes, defs, originals = _reverse(fun, args, kwargs, nums, who, has_aux, "lock")
    try:
        v = out._value if type(out) is Tensor else out
        if holomorphic or not (  # the commonest outputs, a float64 scalar or a float array
            (type(v) is np.float64 or (type(v) is np.ndarray and v.dtype.kind == "f"))
            and v.shape in _SCALAR_SHAPES
        ):
            _scalar_output(out, who, fun, holomorphic)
        if tr.prints:
            tr.verify()  # the small saved arrays, before the backward pass reads them
        g = _pack(_grads_from(tr, out, nodes, defs, originals), argnums)
    finally:
        if tr.locked or tr.prints:
            tr.unlock()
    value = out._value if type(out) is Tensor and out._trace is tr else out
    if has_aux:
        return (value, _lower(aux, tr)), g
    return value, g


def value_and_grad(
    fun: Callable,
    argnums: Argnums = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
    *,
    _who: str = "value_and_grad",
) -> Callable:
    """Return a function computing ``fun``'s value and its gradient.

    Args:
        fun: a function of arrays written with NumPy, returning a scalar
            (or ``(scalar, aux)`` with ``has_aux=True``).
        argnums: which positional argument(s) to differentiate; a tuple gives a tuple.
        has_aux: ``fun`` returns ``(value, aux)``; aux is passed through untouched.
        holomorphic: ``fun`` is holomorphic, of complex inputs with a complex output:
            the gradient is ``f'(z)``, as :func:`grad`'s.

    Returns:
        A function returning ``(value, gradient)`` (``((value, aux), gradient)`` with aux).

    >>> import numpy as np
    >>> import gradkit as gk
    >>> value, g = gk.value_and_grad(lambda x: np.sum(x**2))(np.array([1.0, 2.0]))
    >>> float(value), g
    (5.0, array([2., 4.]))
    """

    @functools.wraps(fun)
    def value_and_grad_fun(*args: Any, **kwargs: Any) -> Any:
        return _value_and_grad(fun, args, kwargs, argnums, has_aux, _who, holomorphic)

    return value_and_grad_fun


def grad(
    fun: Callable, argnums: Argnums = 0, has_aux: bool = False, holomorphic: bool = False
) -> Callable:
    """Return a function computing the gradient of scalar-valued ``fun``.

    The gradient has the structure, shape and dtype of the argument(s) at ``argnums``.

    Complex numbers follow JAX's conventions. For a real-valued ``fun`` of a complex
    ``z = x + iy`` the gradient is ``df/dx - i df/dy``. With ``holomorphic=True``,
    ``fun`` of complex inputs returns a complex value and the gradient is ``f'(z)``; a
    complex output without it is an error (pass ``holomorphic=True`` or take a real part).

    >>> import numpy as np
    >>> import gradkit as gk
    >>> f = lambda x, y: np.sum(np.sin(x) * y**2)
    >>> x, y = np.array([0.0, np.pi]), np.array([1.0, 2.0])
    >>> gk.grad(f)(x, y)
    array([ 1., -4.])
    >>> [g.round(6) for g in gk.grad(f, argnums=(0, 1))(x, y)]
    [array([ 1., -4.]), array([0., 0.])]
    >>> bool(gk.grad(gk.grad(np.sin))(0.5) == -np.sin(0.5))
    True
    >>> gk.grad(lambda z: z**3, holomorphic=True)(np.complex128(1 + 1j))  # 3 z**2
    np.complex128(6j)
    >>> gk.grad(lambda z: np.abs(z) ** 2)(np.complex128(1 + 2j))  # 2x - 2iy
    np.complex128(2-4j)
    """

    @functools.wraps(fun)
    def grad_fun(*args: Any, **kwargs: Any) -> Any:
        value_aux, g = _value_and_grad(fun, args, kwargs, argnums, has_aux, "grad", holomorphic)
        return (g, value_aux[1]) if has_aux else g

    return grad_fun


def vjp(fun: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """Evaluate ``fun(*primals)`` and return ``(out, vjp_fn)``.

    ``vjp_fn(cotangent)`` takes a cotangent with the structure of ``out`` and returns a
    tuple with one cotangent per primal: backpropagation as a function.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> out, vjp_fn = gk.vjp(lambda x: x**2, np.array([1.0, 3.0]))
    >>> vjp_fn(np.array([1.0, 10.0]))
    (array([ 2., 60.]),)
    """
    nums = tuple(range(len(primals)))
    # vjp_fn may run at any later time: the arrays it will read are fingerprinted
    tr, out, aux, nodes, defs, originals = _reverse(
        fun, primals, {}, nums, "vjp", has_aux, "fingerprint"
    )
    out_leaves, out_def = tree_flatten(out)
    primal_prints = [
        (k, x, fingerprint(x)) for k, xs in enumerate(originals) for x in xs
        if type(x) is np.ndarray
    ]  # fmt: skip

    def vjp_fn(cotangent: Any) -> tuple:
        ct_leaves, ct_def = tree_flatten(cotangent)
        if ct_def != out_def:
            raise ValueError(
                f"vjp_fn: the cotangent has structure {ct_def!r} but the output has {out_def!r}"
            )
        roots = []
        for o, c in zip(out_leaves, ct_leaves):
            if shape_of(c) != shape_of(peek(o)):
                raise ValueError(
                    f"vjp_fn: a cotangent of shape {shape_of(c)} was given for an output of "
                    f"shape {shape_of(peek(o))}; they must match"
                )
            if np.result_type(peek(c)).kind == "c" and np.result_type(peek(o)).kind != "c":
                raise TypeError(
                    f"vjp_fn: a complex cotangent was given for a real output of dtype "
                    f"{np.result_type(peek(o))}; its imaginary part would be ignored. Give a "
                    "real cotangent (np.real(c))"
                )
            if type(o) is Tensor and o._trace is tr:
                roots.append((o._node, c if type(c) is Tensor else np.asarray(c)))
        for k, x, before in primal_prints:
            if fingerprint(x) != before:
                raise InPlaceError(
                    f"vjp_fn: primal argument {k} (shape {x.shape}) was modified in place "
                    "after gk.vjp evaluated the function; the cotangents would mix old and "
                    "new values. Pass a copy to gk.vjp, or call vjp_fn before writing."
                )
        grads = backward_pass(roots, tape=tr.tape, check_saved=True) if roots else {}
        given = tuple(c for c in ct_leaves if type(c) is np.ndarray)
        return tuple(_gradients(grads, nodes, defs, originals, given))

    out_plain = _lower(out, tr)
    if has_aux:
        return out_plain, vjp_fn, _lower(aux, tr)
    return out_plain, vjp_fn


def elementwise_grad(fun: Callable, argnums: Argnums = 0) -> Callable:
    """Return the derivative of an elementwise function, evaluated at every element.

    Computes the vector-Jacobian product with a cotangent of ones, i.e. the gradient of
    ``sum(fun(x))``; that equals the elementwise derivative when ``fun`` acts elementwise.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> gk.elementwise_grad(np.tanh)(np.array([0.0, 1.0])).round(6)
    array([1.      , 0.419974])
    """

    @functools.wraps(fun)
    def egrad(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums(argnums, len(args), "elementwise_grad")
        tr, out, _, nodes, defs, originals = _reverse(
            fun, args, kwargs, nums, "elementwise_grad", False
        )
        if isinstance(out, (tuple, list, dict)):
            raise TypeError("elementwise_grad: the function must return a single array")
        _real_output(peek(out), "elementwise_grad", fun)
        per_arg = _grads_from(tr, out, nodes, defs, originals)
        return _pack(per_arg, argnums)

    return egrad


# --- forward mode ----------------------------------------------------------------------
def _tangent(t: Any, primal: Any, k: int) -> Any:
    pv = peek(primal)
    pdtype = np.result_type(pv)
    if type(t) is Tensor:
        tv = peek(t)
    else:
        if isinstance(t, _SCALARS):
            t = np.asarray(t, dtype=pdtype)
        t = np.asarray(t)
        tv = t
    if shape_of(tv) != shape_of(pv):
        raise ValueError(
            f"jvp: tangent {k} has shape {shape_of(tv)} but its primal has shape {shape_of(pv)}; "
            "each tangent must have its primal's shape"
        )
    tdtype = np.result_type(tv)
    if tdtype != pdtype and pdtype.kind == "c" and tdtype.kind in "biuf":
        return t.astype(pdtype)  # a real direction in the complex plane
    if tdtype.kind == "c" and pdtype.kind != "c":
        raise TypeError(
            f"jvp: tangent {k} is complex but its primal has the real dtype {pdtype}; a "
            "complex direction leaves the real numbers. Make the primal complex "
            "(x.astype(complex)) or pass a real tangent"
        )
    if tdtype != pdtype:
        raise TypeError(
            f"jvp: tangent {k} has dtype {np.result_type(tv)} but its primal has dtype {pdtype}; "
            f"cast it with .astype({pdtype.name!r})"
        )
    return t


def jvp(fun: Callable, primals: Sequence, tangents: Sequence, has_aux: bool = False) -> tuple:
    """Evaluate ``fun(*primals)`` and its derivative along ``tangents`` (forward mode).

    Returns ``(fun(*primals), tangent_out)``: the directional derivative of ``fun`` at
    ``primals`` in the direction ``tangents``, computed by pushing tangents forward
    through every operation. Primals and tangents may be complex (a real tangent of a
    complex primal is a direction along the real axis).

    >>> import numpy as np
    >>> import gradkit as gk
    >>> f = lambda x, y: np.sum(np.sin(x) * y**2)
    >>> x, y = np.array([0.0, 1.0]), np.array([1.0, 2.0])
    >>> value, deriv = gk.jvp(f, (x, y), (np.array([1.0, 0.0]), np.zeros(2)))
    >>> float(deriv)
    1.0
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples, e.g. jvp(f, (x,), (v,))")
    if len(primals) != len(tangents):
        raise ValueError(
            f"jvp: {len(primals)} primal(s) but {len(tangents)} tangent(s); give one per primal"
        )
    tr = ForwardTrace(next_level(), "jvp")
    with opened(tr):
        args = []
        for k, (p, t) in enumerate(zip(primals, tangents)):
            p_leaves, p_def = tree_flatten(p)
            t_leaves, t_def = tree_flatten(t)
            if p_def != t_def:
                raise ValueError(
                    f"jvp: tangent {k} has structure {t_def!r} but its primal has {p_def!r}"
                )
            boxed = [
                tr.box(_input(pl, "jvp", k), _tangent(tl, pl, k))
                for pl, tl in zip(p_leaves, t_leaves)
            ]
            args.append(tree_unflatten(p_def, boxed))
        out = fun(*args)
        if type(out) is not Tensor:  # np.array([...]) of traced values: one array
            out = pack_output(out)
        aux = None
        if has_aux:
            out, aux = _split_aux(out, "jvp")
    leaves, treedef = tree_flatten(_own_output(out, tr))
    primal_out, tangent_out = [], []
    for o in leaves:
        if type(o) is Tensor and o._trace is tr:
            primal_out.append(o._value)
            tangent_out.append(o._node)
        else:
            primal_out.append(o)
            v = peek(o)
            tangent_out.append(np.zeros(shape_of(v), dtype=np.result_type(v, np.float64)))
    result = (tree_unflatten(treedef, primal_out), tree_unflatten(treedef, tangent_out))
    return (*result, _lower(aux, tr)) if has_aux else result


def jacfwd(
    fun: Callable, argnums: Argnums = 0, has_aux: bool = False, holomorphic: bool = False
) -> Callable:
    """Return a function computing the Jacobian of ``fun`` by forward mode.

    All basis directions go through ``fun`` in one batched pass (no loop over the input
    size). The Jacobian of an output of shape ``S`` with respect to an input of shape
    ``T`` has shape ``S + T``; containers nest as output structure, then input structure.

    Complex numbers follow JAX: real inputs may give complex outputs (the Jacobian is
    then complex, ``d Re f/dx + i d Im f/dx``); complex inputs need ``holomorphic=True``
    and give ``f'(z)``. For a function of complex inputs that is not holomorphic, use
    :func:`jvp` along ``1`` and ``1j``.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> gk.jacfwd(lambda x: x**2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """

    @functools.wraps(fun)
    def jac_fun(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums(argnums, len(args), "jacfwd")
        flat = []  # (argument position in nums, leaf) for every input leaf
        defs = []
        for pos, a in enumerate(nums):
            leaves, treedef = tree_flatten(args[a])
            defs.append(treedef)
            flat.extend((pos, _input(leaf, "jacfwd", a)) for leaf in leaves)
        _jacfwd_input_kinds([x for _, x in flat], holomorphic)
        sizes = [int(np.prod(shape_of(peek(x)))) for _, x in flat]
        total = sum(sizes)
        dtype = np.result_type(*[peek(x) for _, x in flat]) if flat else np.float64
        tr = ForwardTrace(next_level(), "jacfwd", batch=(total,))
        with opened(tr):
            new_args = list(args)
            boxed_by_pos: list[list] = [[] for _ in nums]
            start = 0
            for (pos, x), n in zip(flat, sizes):
                basis = np.zeros((total, n), dtype=dtype)
                basis[start : start + n] = np.eye(n, dtype=dtype)
                start += n
                shape = shape_of(peek(x))
                boxed_by_pos[pos].append(tr.box(x, basis.reshape((total,) + shape)))
            for pos, a in enumerate(nums):
                new_args[a] = tree_unflatten(defs[pos], boxed_by_pos[pos])
            out = fun(*new_args, **kwargs)
            if type(out) is not Tensor:  # np.array([...]) of traced values: one array
                out = pack_output(out)
            aux = None
            if has_aux:
                out, aux = _split_aux(out, "jacfwd")
        out_leaves, out_def = tree_flatten(_own_output(out, tr))
        jac_leaves = []
        for o in out_leaves:
            _real_output(peek(o), "jacfwd", fun, allowed="biufc")
            if type(o) is Tensor and o._trace is tr:
                t = o._node
            else:
                t = np.zeros((total,) + shape_of(peek(o)), dtype=dtype)
            out_shape = shape_of(t)[1:]
            per_pos: list[list] = [[] for _ in nums]
            start = 0
            for (pos, x), n in zip(flat, sizes):
                block = t[start : start + n]
                start += n
                block = np.moveaxis(block, 0, -1)
                per_pos[pos].append(np.reshape(block, out_shape + shape_of(peek(x))))
            trees = [tree_unflatten(defs[p], per_pos[p]) for p in range(len(nums))]
            jac_leaves.append(_pack(trees, argnums))
        jac = tree_unflatten(out_def, jac_leaves)
        return (jac, _lower(aux, tr)) if has_aux else jac

    return jac_fun


def _jacfwd_input_kinds(inputs: list, holomorphic: bool) -> None:
    if holomorphic:
        _check_holomorphic(inputs, "jacfwd")
        return
    for x in inputs:
        dtype = np.result_type(peek(x))
        if dtype.kind == "c":
            raise TypeError(
                f"gk.jacfwd: an input has the complex dtype {dtype}; jacfwd takes real inputs. "
                "For a holomorphic function pass holomorphic=True (the Jacobian is f'(z)); "
                "otherwise use gk.jacrev for a real output, or gk.jvp along 1 and 1j"
            )


def jacrev(
    fun: Callable, argnums: Argnums = 0, has_aux: bool = False, holomorphic: bool = False
) -> Callable:
    """Return a function computing the Jacobian of ``fun`` by reverse mode.

    One forward pass, then one backward pass whose cotangent is the batch of every basis
    row (:func:`~gradkit.vmap` of the VJP): no loop over the output elements (except
    through a rule that computes on plain values only, such as
    ``gk.scipy.integrate.odeint``'s, which gets one pass per row). Same layout as
    :func:`jacfwd`.

    Complex numbers follow JAX: a real output of complex inputs has the rows
    ``df/dx - i df/dy`` (each row is :func:`grad`'s); complex outputs need
    ``holomorphic=True`` (complex inputs too) and give ``f'(z)``, as :func:`jacfwd`.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> gk.jacrev(lambda x: np.array([1.0, 2.0]) * np.sum(x))(np.ones(3))
    array([[1., 1., 1.],
           [2., 2., 2.]])
    """

    @functools.wraps(fun)
    def jac_fun(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums(argnums, len(args), "jacrev")
        if holomorphic:
            _check_holomorphic([args[a] for a in nums], "jacrev")
        tr, out, aux, nodes, defs, originals = _reverse(fun, args, kwargs, nums, "jacrev", has_aux)
        out_leaves, out_def = tree_flatten(out)
        jac_leaves = []
        for o in out_leaves:
            ov = peek(o)
            if holomorphic:
                _check_holomorphic(ov, "jacrev", "outputs")
            else:
                _real_output(ov, "jacrev", fun)
            out_shape = shape_of(ov)
            m = int(np.prod(out_shape))
            mine = type(o) is Tensor and o._trace is tr
            rows = _jacobian_rows(tr, o, out_shape, m, nodes) if mine and m else None
            trees = []
            for p, leaf_nodes in enumerate(nodes):
                blocks = []
                for j, node in enumerate(leaf_nodes):
                    like = peek(node.ans)
                    if rows is None:
                        blocks.append(np.zeros(out_shape + shape_of(like), np.result_type(like)))
                    else:
                        blocks.append(np.reshape(rows[p][j], out_shape + shape_of(like)))
                trees.append(tree_unflatten(defs[p], blocks))
            jac_leaves.append(_pack(trees, argnums))
        jac = tree_unflatten(out_def, jac_leaves)
        return (jac, _lower(aux, tr)) if has_aux else jac

    return jac_fun


jacobian = jacrev


def _jacobian_rows(tr: Any, o: Any, out_shape: tuple, m: int, nodes: list) -> list:
    """The Jacobian's rows from one batched backward pass; for a graph holding a rule
    that computes on plain values only (gk.scipy.integrate.odeint's adjoint solve with
    SciPy), which refuses a batch of cotangents, one backward pass per row instead."""
    try:
        return batched_rows(tr, o, out_shape, m, nodes)
    except (NoRuleError, TracerConversionError):
        pass
    rows: list = [[[] for _ in leaf_nodes] for leaf_nodes in nodes]
    dtype = np.result_type(peek(o))
    for k in range(m):
        seed = np.zeros(m, dtype=dtype)
        seed[k] = 1.0
        grads = backward_pass([(o._node, seed.reshape(out_shape))], tape=tr.tape)
        for p, leaf_nodes in enumerate(nodes):
            for j, node in enumerate(leaf_nodes):
                rows[p][j].append(_finish(grads.get(node), node.ans, None))
    return [[np.stack(r) for r in per_arg] for per_arg in rows]


def hessian(
    fun: Callable, argnums: Argnums = 0, has_aux: bool = False, holomorphic: bool = False
) -> Callable:
    """Return a function computing the Hessian of scalar ``fun`` (forward over reverse).

    The gradient is differentiated by a batched forward pass, so every Hessian column
    comes out of one sweep. For an input of shape ``T`` the Hessian has shape ``T + T``.
    Takes :func:`grad`'s arguments: ``has_aux=True``: ``fun`` returns ``(value, aux)``
    and the result is ``(hessian, aux)``; ``holomorphic=True``: ``fun`` is holomorphic
    in complex inputs, and the result is ``f''(z)``.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> gk.hessian(lambda x: x[0] ** 2 * x[1])(np.array([1.0, 2.0]))
    array([[4., 2.],
           [2., 0.]])
    >>> h, aux = gk.hessian(lambda x: (np.sum(x**3), "aux"), has_aux=True)(np.ones(2))
    >>> h, aux
    (array([[6., 0.],
           [0., 6.]]), 'aux')
    """
    inner = value_and_grad(fun, argnums, has_aux, holomorphic=holomorphic, _who="hessian")

    def gradient_only(*args: Any, **kwargs: Any) -> Any:
        value, g = inner(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return functools.wraps(fun)(
        jacfwd(gradient_only, argnums, has_aux=has_aux, holomorphic=holomorphic)
    )


def hvp(fun: Callable, x: Any, v: Any) -> Any:
    """Hessian of scalar ``fun`` at ``x`` times ``v``, without forming the Hessian.

    Forward mode over reverse mode: the directional derivative of the gradient along
    ``v``; costs a small constant times one gradient. Many vectors at once: give ``v``
    one more leading axis than ``x`` (every leaf, the same length ``k``); the ``k``
    products come out of one batched pass (:func:`~gradkit.vmap`), stacked along it.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> gk.hvp(lambda x: np.sum(x**3), np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    array([ 6., 12.])
    >>> gk.hvp(lambda x: np.sum(x**3), np.array([1.0, 2.0]), np.eye(2))  # the Hessian's rows
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    g = value_and_grad(fun, 0, _who="hvp")

    def one(u: Any) -> Any:
        return jvp(lambda y: g(y)[1], (x,), (u,))[1]

    if _many_vectors(x, v):
        from gradkit.autodiff.batching import vmap

        return vmap(one)(v)
    return one(v)


def _many_vectors(x: Any, v: Any) -> bool:
    """Whether ``v`` stacks several vectors for ``x``: each leaf one leading axis more."""
    x_leaves, x_def = tree_flatten(x)
    v_leaves, v_def = tree_flatten(v)
    if x_def != v_def or not v_leaves:
        return False
    lengths = set()
    for xl, vl in zip(x_leaves, v_leaves):
        xs, vs = shape_of(peek(xl)), shape_of(peek(vl))
        if len(vs) != len(xs) + 1 or vs[1:] != xs:
            return False
        lengths.add(vs[0])
    return len(lengths) == 1


def directional_derivative(fun: Callable, x: Any, u: Any) -> Any:
    """The rate of change of scalar ``fun`` at ``x`` along the direction ``u``.

    ``u`` is normalized first, as the tutorial does: the result is
    ``grad f(x) . u / |u|``, computed in forward mode without forming the gradient.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> f = lambda p: p[0] ** 2 + p[1] ** 2
    >>> round(float(gk.directional_derivative(f, np.array([1.0, 1.0]), np.array([1.0, 1.0]))), 6)
    2.828427
    """
    u_leaves, u_def = tree_flatten(u)
    arrays = [np.asarray(value_of(leaf), dtype=float) for leaf in u_leaves]
    length = float(np.sqrt(sum(np.sum(a * a) for a in arrays)))
    if not np.isfinite(length) or length == 0.0:
        raise ValueError(
            "directional_derivative: the direction u has length 0 (or is not finite); "
            "give a nonzero direction"
        )
    x_leaves, _ = tree_flatten(x)
    unit = tree_unflatten(
        u_def,
        [(a / length).astype(np.result_type(peek(xl))) for a, xl in zip(arrays, x_leaves)],
    )
    value, deriv = jvp(fun, (x,), (unit,))
    _scalar_output(value, "directional_derivative", fun)
    return deriv
