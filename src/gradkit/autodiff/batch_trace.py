"""The trace of gk.vmap: values with the batch in front, and how a primitive is batched.

A :class:`BatchTrace` value is a Tensor whose ``_value`` carries the batch as its leading
axis (its ``shape`` is one example's). Each primitive applied to such values is handed to
its batching rule (``Primitive.batch``: :func:`batch_rule`), which computes the whole
batch with NumPy calls on the stacked values. The rules live in
``autodiff/rules/batch_*.py``; :mod:`gradkit.autodiff.batching` holds ``vmap`` itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from gradkit.autodiff import primitives
from gradkit.autodiff.errors import NoRuleError, TracerConversionError
from gradkit.autodiff.trace import Trace

__all__ = ["BatchTrace", "BatchedIndex", "batch_rule", "UNBATCHABLE"]


class BatchedIndex:
    """An index entry (of ``x[idx]`` and the writes) that differs between examples: its
    ``value`` carries the batch as its leading axis."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class BatchTrace(Trace):
    """The trace of one ``vmap`` call: ``Tensor._value`` has the batch in front."""

    __slots__ = ("size",)
    batched = True

    def __init__(self, level: int, size: int) -> None:
        super().__init__(level, "vmap")
        self.size = size

    def box(self, value: Any) -> Any:
        """``value`` (batch axis first) as one of this trace's values."""
        return primitives._Tensor._new(value, self, self.size)

    def process(self, prim: Any, args: Any, kw: dict) -> Any:
        Tensor = primitives._Tensor
        if not self.active:
            raise self.leaked_error(prim)
        vals = list(args)
        bat = [False] * len(vals)
        for i, a in enumerate(args):
            if type(a) is Tensor:
                tr = a._trace
                if tr is self:
                    vals[i] = a._value
                    bat[i] = True
                elif tr is None:
                    vals[i] = a._value
                elif tr.level > self.level:  # an inner transform's value: it records first
                    return primitives.bind(prim, args, kw)
        if kw:
            kw = {k: self._keyword(v) for k, v in kw.items()}
        rule = batch_rule(prim)
        return self.box(rule(tuple(bat), *vals, **kw))

    def _keyword(self, v: Any) -> Any:
        """A keyword (an index, possibly a tuple) with this trace's values marked."""
        Tensor = primitives._Tensor
        if type(v) is Tensor and v._trace is self:
            return BatchedIndex(v._value)
        if type(v) is tuple:
            return tuple(self._keyword(e) for e in v)
        return v

    def escape_error(self) -> Exception:
        """The error for code that reads the value of one of this trace's arrays."""
        err = TracerConversionError(
            "gk.vmap: the value of a batched array was read (float(), bool(), an `if` on "
            "an array, np.asarray, ...). Inside vmap each example has its own value, so "
            "there is no one value to read. Use np.where instead of an `if`, or read the "
            "value outside vmap."
        )
        err.vmap = True  # type: ignore[attr-defined]  # value_for words it for vmap
        return err


#: Primitives vmap refuses, by name, with the reason (see batch_rule).
UNBATCHABLE: dict[str, str] = {}


def batch_rule(prim: Any) -> Callable:
    """The batching rule of ``prim``: ``rule(batched, *args, **kw)``, where
    ``batched[i]`` says whether ``args[i]`` carries the batch as its leading axis; it
    returns the batched output (batch axis first). Elementwise primitives without a rule
    of their own broadcast; a primitive with none raises a clear error."""
    rule = getattr(prim, "batch", None)
    if rule is not None:
        return rule
    if prim.elementwise:
        from gradkit.autodiff.rules.batch_rules import elementwise_rule

        return functools.partial(elementwise_rule, prim)
    fn = getattr(prim, "impl", None)
    if fn is not None and primitives._CONSTANT_PRIMITIVES.get(fn) is prim:  # derivative 0
        from gradkit.autodiff.rules.batch_rules import constant_rule

        return functools.partial(constant_rule, fn)
    why = UNBATCHABLE.get(prim.name, "it has no batching rule")
    raise NoRuleError(
        f"gk.vmap: {prim.name} cannot be batched: {why}. Give it a rule "
        f"(`{prim.name}_primitive.batch = lambda batched, *args, **kw: ...`, the batch axis "
        "first), or call it outside vmap."
    )
