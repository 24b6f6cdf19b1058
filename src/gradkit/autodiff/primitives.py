"""The primitive registry: each primitive is a forward function plus its derivative rules.

A primitive's rules are data held on the :class:`Primitive` object:

- ``vjps[i](g, ans, *args, **kw)`` returns the cotangent of argument ``i`` given the
  output cotangent ``g`` (reverse mode);
- ``vjp_in_place(g, ans, x)`` (optional, one-input primitives) is ``vjps[0]`` allowed
  to overwrite ``g``, which the backward pass hands it only when no one else can see
  ``g``: so a ReLU masks its cotangent where it lies instead of allocating another;
- ``jvp(nb, i, t, ans, *args, **kw)`` returns the output tangent contributed by the
  tangent ``t`` of argument ``i`` (forward mode). ``nb`` is the number of leading batch
  dimensions ``t`` carries (0, or 1 inside ``jacfwd``/``hessian``, which push every basis
  direction through one pass);
- ``lower(*args, **kw)`` (optional) returns the plain NumPy calls that compute ``impl``
  for arguments of these types, shapes and dtypes, as a list of ``(function,
  arguments)`` whose :class:`Operand` arguments name the primitive's arguments and the
  earlier calls' results (or None: replay ``impl``). :func:`~gradkit.jit` replays those
  calls instead of ``impl``'s Python, and may write a ufunc's result into an operand no
  one needs any more.

Rules are written with NumPy calls, so when they run on traced values they are themselves
recorded: that is how derivatives of any order work.

Every primitive application goes through :func:`bind`, which finds the innermost trace
among the arguments and lets it record the operation.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

from gradkit.autodiff import arraytypes
from gradkit.autodiff.errors import JitError, NoRuleError, TracerConversionError

__all__ = [
    "Primitive", "bind", "primitive", "defvjp", "defjvp", "value_of", "peek", "strip",
    "apply_constant", "value_for", "Operand", "REGISTRY",
]  # fmt: skip

#: Every primitive by name: the one table of derivative rules.
REGISTRY: dict[str, Primitive] = {}

#: Containers NumPy reads as arrays when they stand beside one (``x ** [1, 2, 3]``);
#: the rules need them as arrays too, so the entry points convert them.
SEQUENCES = frozenset((list, tuple))

# Filled in by tensor.py (import cycle: Tensor needs bind, bind needs Tensor).
_Tensor: Any = None


class Primitive:
    """A function with derivative rules, applied through :func:`bind`.

    ``elementwise`` primitives broadcast their arguments; the engine undoes broadcasting
    in reverse mode and aligns batched tangents in forward mode, so their rules are the
    plain elementwise formulas. ``variadic`` primitives take any number of arrays and
    have one ``vjp_any(i, g, ans, *args, **kw)`` rule for all of them.
    """

    def __init__(
        self,
        name: str,
        impl: Callable,
        *,
        elementwise: bool = False,
        register: bool = True,
    ) -> None:
        self.name = name
        self.impl = impl
        self.elementwise = elementwise
        self._vjps: Any = _Rules(self, ())
        self._vjp_any: Callable | None = None
        self.jvp: Callable | None = None
        self.user_jvps: tuple = ()
        #: Optional, for one-input primitives: ``vjp_in_place(g, ans, x)`` computes what
        #: ``vjps[0]`` does but may write its result into ``g``. The backward pass uses it
        #: only for a cotangent that is a fresh array nothing else refers to.
        self.vjp_in_place: Callable | None = None
        #: Optional: ``lower(*args, **kw)`` -> the NumPy calls gk.jit replays for impl.
        self.lower: Callable | None = None
        functools.update_wrapper(self, impl)  # type: ignore[arg-type]
        if register:
            REGISTRY[name] = self

    def __call__(self, *args: Any, **kw: Any) -> Any:
        if not kw and len(args) <= 2:
            # One traced argument (beside a constant): no search needed.
            rules = self._vjps
            a = args[0] if args else None
            if len(args) == 1:
                if type(a) is _Tensor and a._trace is not None and rules.complete and len(rules):
                    return a._trace.unary(self, a)
            elif rules.complete:
                b = args[1]
                if type(a) is _Tensor:
                    if type(b) is not _Tensor and a._trace is not None and len(rules):
                        return a._trace.with_constant(self, a, b, 0)
                elif type(b) is _Tensor and b._trace is not None and len(rules) > 1:
                    return b._trace.with_constant(self, b, a, 1)
        for a in args:  # the first traced argument's trace records it (or passes it up)
            if type(a) is _Tensor and a._trace is not None:
                return a._trace.process(self, args, kw)
        return bind(self, args, kw)

    @property
    def vjps(self) -> Any:
        """The reverse-mode rules by argument number (``rules[i](g, ans, *args, **kw)``)."""
        return self._vjps

    @vjps.setter
    def vjps(self, rules: tuple) -> None:
        self._vjps = _Rules(self, tuple(rules))
        self.vjp_in_place = None  # it computed the old rule; set it again after this

    @property
    def vjp_any(self) -> Callable | None:
        """For variadic primitives: one rule ``vjp_any(i, g, ans, *args, **kw)`` for all."""
        return self._vjp_any

    @vjp_any.setter
    def vjp_any(self, rule: Callable | None) -> None:
        self._vjp_any = rule
        if rule is not None:
            self._vjps = _AnyRules(self, rule)

    def __repr__(self) -> str:
        return f"<gradkit primitive {self.name}>"

    def vjp_rule(self, i: int) -> Callable:
        """Return the reverse-mode rule for argument ``i``, or raise a clear error."""
        rules = self._vjps
        rule = rules[i] if i < len(rules) else None
        if rule is not None:
            return rule
        raise NoRuleError(
            f"{self.name}: no reverse-mode (VJP) rule for argument {i}. Register one with "
            f"gk.defvjp({self.name}, *[lambda ans, *args: lambda g: ...]) or pass this "
            "argument as a constant."
        )

    def jvp_rule(self) -> Callable:
        """Return the forward-mode rule, or raise a clear error."""
        if self.jvp is not None:
            return self.jvp
        raise NoRuleError(
            f"{self.name}: no forward-mode (JVP) rule. Register one with "
            f"gk.defjvp({self.name}, lambda g, ans, *args: ...), one function per argument."
        )


class Operand(int):
    """In a primitive's ``lower`` form, an argument that is not a constant: operand ``i``
    is the primitive's argument ``i``, and after its ``n`` arguments, operand ``n + j``
    is the result of the form's call ``j``.

    >>> import numpy as np
    >>> form = [(np.matmul, (Operand(0), Operand(1))), (np.add, (Operand(3), Operand(2)))]
    >>> [(f.__name__, args) for f, args in form]  # linear(x, w, b): x @ w, then + b
    [('matmul', (0, 1)), ('add', (3, 2))]
    """

    __slots__ = ()


class _Rules(tuple):
    """Rules by argument number; an index past the end means "no rule" (None)."""

    def __new__(cls, prim: Primitive, rules: tuple) -> _Rules:
        self = super().__new__(cls, rules)
        self.complete = all(r is not None for r in rules)  # type: ignore[attr-defined]
        return self


class _AnyRules:
    """Rules of a variadic primitive: the one rule with the argument number bound."""

    complete = True

    def __init__(self, prim: Primitive, rule: Callable) -> None:
        self.rule = rule

    def __getitem__(self, i: int) -> Callable:
        return functools.partial(self.rule, i)

    def __len__(self) -> int:
        return sys.maxsize


def bind(prim: Primitive, args: tuple | list, kw: dict) -> Any:
    """Apply ``prim`` to ``args``: record it on the innermost trace among them, if any."""
    Tensor = _Tensor
    top = None
    const = False
    for a in args:
        if type(a) is Tensor:
            tr = a._trace
            if tr is None:
                const = True
            elif top is None or tr.level > top.level:
                top = tr
    if top is None and kw:
        top = _keyword_trace(kw)  # an index that gk.jit records (x[np.argsort(y)])
    if top is not None:
        return top.process(prim, args, kw)
    if const:
        vals = [a._value if type(a) is Tensor else a for a in args]
        return Tensor._const(prim.impl(*vals, **kw))
    return prim.impl(*args, **kw)


def _keyword_trace(kw: dict) -> Any:
    """The trace of a traced value among keyword arguments (or inside a tuple of them)."""
    Tensor = _Tensor
    for v in kw.values():
        for e in v if type(v) is tuple else (v,):
            if type(e) is Tensor and e._trace is not None:
                return e._trace
    return None


def shape_of(x: Any) -> tuple:
    """``np.shape`` without NumPy's dispatch (arrays, Tensors and scalars)."""
    try:
        return x.shape
    except AttributeError:
        import numpy as np

        return np.shape(x)


def ndim_of(x: Any) -> int:
    """``np.ndim`` without NumPy's dispatch."""
    try:
        return len(x.shape)
    except AttributeError:
        import numpy as np

        return np.ndim(x)


def value_of(x: Any) -> Any:
    """The plain value under any number of trace boxes (no gradient flows through it).

    Under :func:`~gradkit.jit` the values are those of the one call being recorded, so a
    result computed from them would be replayed unchanged for every later input: reading
    a value ``jit`` traces raises :class:`~gradkit.autodiff.errors.JitError` instead. Code
    that needs only a shape or a dtype uses :func:`peek`.
    """
    Tensor = _Tensor
    while type(x) is Tensor:
        tr = x._trace
        if tr is not None and (tr.jit or tr.batched):  # vmap's: one value per example
            raise tr.escape_error()
        x = x._value
    return x


def peek(x: Any) -> Any:
    """The plain value under every box, jit's included: for its shape and dtype only.

    Under :func:`~gradkit.vmap` that is one example's value (the first), whose shape is
    the one the function sees."""
    Tensor = _Tensor
    batch_axes = 0
    while type(x) is Tensor:
        tr = x._trace
        if tr is not None and tr.batched:
            batch_axes += 1
        x = x._value
    return _first_example(x, batch_axes) if batch_axes else x


def _first_example(x: Any, batch_axes: int) -> Any:
    import numpy as np

    if 0 in x.shape[:batch_axes]:  # an empty batch: a stand-in of the example's shape
        return np.empty(x.shape[batch_axes:], dtype=x.dtype)
    return x[(0,) * batch_axes]


def strip(x: Any) -> Any:
    """``x`` without its differentiation boxes; a value :func:`~gradkit.jit` traces keeps
    its jit box (and so stays recorded)."""
    Tensor = _Tensor
    while type(x) is Tensor:
        tr = x._trace
        if tr is not None and (tr.jit or tr.batched):
            return x
        x = x._value
    return x


_CONSTANT_PRIMITIVES: dict = {}


def broadcasts_to(shape: tuple, target: tuple) -> bool:
    """Whether NumPy broadcasts an array of ``shape`` against one of ``target`` without
    growing the latter (``(3,)`` and ``(2, 1)`` to ``(2, 3)``: yes; ``(2, 3)`` to ``(3,)``: no).

    >>> broadcasts_to((3,), (2, 3)), broadcasts_to((2, 3), (3,)), broadcasts_to((2,), (3,))
    (True, False, False)
    """
    import numpy as np

    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def value_for(x: Any, why: str) -> Any:
    """:func:`value_of` for code that genuinely needs the values (a result whose shape or
    dtype depends on them): under :func:`~gradkit.jit` the JitError says ``why``."""
    try:
        return value_of(x)
    except JitError as e:
        raise JitError(
            f"gk.jit can't replay this: {why}. A recording fixes shapes and dtypes, so it "
            "would silently be wrong for other values. Call it without gk.jit (gk.grad "
            "and the other transforms handle it)."
        ) from e
    except TracerConversionError as e:
        if not getattr(e, "vmap", False):
            raise
        raise TracerConversionError(
            f"gk.vmap can't batch this: {why}. Each example would need its own shape or "
            "dtype, which one batched array cannot hold. Call it on one example at a time, "
            "outside gk.vmap."
        ) from e


def apply_constant(fn: Callable, args: tuple, kw: dict) -> Any:
    """Apply ``fn``, whose derivative is zero (a comparison, ``argmax``, ``floor``...).

    Differentiation sees a constant: its boxes are stripped. Under :func:`~gradkit.jit`
    the call is recorded as an operation on jit's values, so its result is recomputed
    on replay instead of frozen.
    """
    Tensor = _Tensor
    args = tuple([strip(a) for a in args])
    kw = {k: value_of(v) for k, v in kw.items()}  # keywords are fixed (jit refuses traced)
    if arraytypes.seen:  # np.argsort of a Dask array: refused before Dask computes it
        import numpy as np

        if not isinstance(fn, np.ufunc):
            arraytypes.check_function(fn, args, kw)
    for a in args:
        if type(a) is Tensor:
            prim = _CONSTANT_PRIMITIVES.get(fn)
            if prim is None:
                name = getattr(fn, "__name__", "constant")
                prim = _CONSTANT_PRIMITIVES[fn] = Primitive(name, fn, register=False)
            return a._trace.process(prim, args, kw)
    return fn(*args, **kw)


def primitive(fn: Callable) -> Primitive:
    """Turn a NumPy function into a primitive whose derivatives you give yourself.

    Returns a callable that computes ``fn`` on plain arrays and is recorded as one
    operation when called on traced values. Give its rules with :func:`defvjp` and
    :func:`defjvp`.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> @gk.primitive
    ... def cube(x):
    ...     return x**3
    >>> gk.defvjp(cube, lambda ans, x: lambda g: 3 * g * x**2)
    >>> gk.defjvp(cube, lambda g, ans, x: 3 * g * x**2)
    >>> float(gk.grad(cube)(2.0)), float(gk.jvp(cube, (2.0,), (1.0,))[1])
    (12.0, 12.0)
    """
    if isinstance(fn, Primitive):
        return fn
    name = getattr(fn, "__name__", "custom")
    return Primitive(name, fn, register=False)


def _check_primitive(fn: Any, who: str) -> Primitive:
    if not isinstance(fn, Primitive):
        raise TypeError(
            f"{who} takes a function decorated with @gk.primitive, got {fn!r}. "
            "Decorate the function first: `@gk.primitive def f(x): ...`."
        )
    return fn


def defvjp(fn: Primitive, *vjpmakers: Callable | None) -> None:
    """Give ``fn`` its reverse-mode rules, one per argument.

    Each ``vjpmaker(ans, *args)`` returns a function ``g -> cotangent of that argument``,
    where ``ans = fn(*args)``. Pass ``None`` for an argument that is never differentiated.
    Write the rules with NumPy operations so that higher derivatives work too.

    >>> import numpy as np
    >>> import gradkit as gk
    >>> @gk.primitive
    ... def logistic(x):
    ...     return 1 / (1 + np.exp(-x))
    >>> gk.defvjp(logistic, lambda ans, x: lambda g: g * ans * (1 - ans))
    >>> float(gk.grad(logistic)(0.0))
    0.25
    """
    prim = _check_primitive(fn, "defvjp")

    def wrap(i: int, maker: Callable | None) -> Callable | None:
        if maker is None:
            return None

        def rule(g: Any, ans: Any, *args: Any, **kw: Any) -> Any:
            if _integer_valued(ans):  # piecewise constant: derivative 0, whatever the rule
                return _zero_cotangent(args[i])
            r = maker(ans, *args, **kw)(g)
            _check_rule_output(r, args[i], prim, f"VJP rule for argument {i}", maker, True)
            return r

        return rule

    prim.vjps = tuple(wrap(i, m) for i, m in enumerate(vjpmakers))


def defjvp(fn: Primitive, *jvpfuns: Callable | None) -> None:
    """Give ``fn`` its forward-mode rules, one per argument.

    Each ``jvpfun(g, ans, *args)`` returns the tangent of the output caused by the
    tangent ``g`` of that argument (``None`` for an argument never differentiated).

    >>> import numpy as np
    >>> import gradkit as gk
    >>> @gk.primitive
    ... def double(x):
    ...     return 2 * x
    >>> gk.defjvp(double, lambda g, ans, x: 2 * g)
    >>> gk.jvp(double, (np.ones(2),), (np.array([1.0, 3.0]),))[1]
    array([2., 6.])
    """
    prim = _check_primitive(fn, "defjvp")
    prim.user_jvps = tuple(jvpfuns)
    prim.jvp = functools.partial(_user_jvp, prim)


def _integer_valued(ans: Any) -> bool:
    """Whether a custom primitive's output is integers or booleans (a constant)."""
    import numpy as np

    return np.result_type(peek(ans)).kind in "biu"


def _zero_cotangent(x: Any) -> Any:
    import numpy as np

    return np.zeros(shape_of(x), dtype=np.result_type(peek(x), 0.0))


def _user_jvp(prim: Primitive, nb: int, i: int, t: Any, ans: Any, *args: Any, **kw: Any) -> Any:
    if _integer_valued(ans):  # piecewise constant: derivative 0
        import numpy as np

        return np.zeros(shape_of(t)[:nb] + shape_of(ans), dtype=np.result_type(peek(t)))
    rules = prim.user_jvps
    rule = rules[i] if i < len(rules) else None
    if rule is None:
        raise NoRuleError(
            f"{prim.name}: no forward-mode (JVP) rule for argument {i}; add it with gk.defjvp."
        )
    if nb == 0:
        r = rule(t, ans, *args, **kw)
        _check_rule_output(r, ans, prim, f"JVP rule for argument {i}", rule, False)
        return r
    # A user rule knows nothing of batch dimensions: gk.vmap batches it over them.
    from gradkit.autodiff.batching import vmap

    def one(tk: Any) -> Any:
        r = rule(tk, ans, *args, **kw)
        _check_rule_output(r, ans, prim, f"JVP rule for argument {i}", rule, False)
        return r

    for _ in range(nb):
        one = vmap(one)
    return one(t)


def _check_rule_output(
    r: Any, like: Any, prim: Primitive, which: str, rule: Any, reverse: bool
) -> None:
    """Refuse what a custom rule returned if the engine would silently misuse it: None, a
    shape that is not ``like``'s (a VJP's may be larger: broadcasting is summed out), or
    a complex value where ``like`` is real."""
    import numpy as np

    code = getattr(rule, "__code__", None)
    where = f" ({code.co_filename}:{code.co_firstlineno})" if code is not None else ""
    name = f"the {which} of {prim.name}{where}"
    what = "argument" if reverse else "output"
    if r is None:
        raise TypeError(
            f"{name} returned None; it must return the {'cotangent' if reverse else 'tangent'} "
            f"as an array shaped like the {what} (is a `return` missing?)"
        )
    r_value, like_value = peek(r), peek(like)
    r_shape, like_shape = np.shape(r_value), np.shape(like_value)
    if r_shape != like_shape:
        # A VJP's cotangent may carry the axes broadcasting added (they are summed out);
        # a JVP's tangent may broadcast up to the output. Nothing else fits.
        target = r_shape if reverse else like_shape
        other = like_shape if reverse else r_shape
        if not broadcasts_to(other, target):
            raise ValueError(
                f"{name} returned shape {r_shape}, but the {what} has shape {like_shape}; "
                "return an array of that shape (the engine would otherwise broadcast it "
                "and give a wrong derivative)"
            )
    if np.iscomplexobj(r_value) and not np.iscomplexobj(like_value):
        raise TypeError(
            f"{name} returned a complex value for a real {what}; return the real part "
            "(np.real(...)) if that is the derivative you mean"
        )
