"""Modules made of named sub-modules, and the small structural layers.

A :class:`Container` keeps its parameters in its children; the parameter ``w`` of the
child ``"attn"`` is ``"attn.w"`` in the container's ``params``, as in torch's
``state_dict``. ``ModuleList`` and ``ModuleDict`` hold modules for a model's own
``forward`` to use; ``Flatten`` and ``Identity`` are the structural layers.

>>> import numpy as np
>>> from gradkit.nn.layers import Linear
>>> blocks = ModuleList([Linear(2, 2, rng=0), Linear(2, 1, rng=1)])
>>> sorted(blocks.params)
['0.bias', '0.weight', '1.bias', '1.weight']
>>> Flatten()(np.zeros((4, 2, 3))).shape
(4, 6)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from gradkit.nn.init import RNGLike, make_rng
from gradkit.nn.layers import Module, ParameterError, Params

__all__ = ["Container", "ModuleList", "ModuleDict", "Flatten", "Identity"]


class Container(Module, abstract=True):
    """A module whose parameters live in named children (subclasses call
    :meth:`add_module` in ``__init__`` and use :meth:`sub` in ``forward``)."""

    def __init__(self) -> None:
        super().__init__()
        self._modules: dict[str, Module] = {}

    def add_module(self, name: str, module: Module) -> Module:
        """Register ``module`` under ``name`` and return it.

        >>> c = ModuleDict(); _ = c.add_module("head", Identity()); list(c.keys())
        ['head']
        """
        if not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__}: {name!r} is a {type(module).__name__}, not a module "
                "(note the parentheses: Linear(2, 4), ReLU())"
            )
        if not name or "." in name:
            raise ValueError(
                f"{type(self).__name__}: module names must be non-empty without '.', got {name!r}"
            )
        self._modules[name] = module
        return module

    def named_children(self) -> list[tuple[str, Module]]:
        return list(self._modules.items())

    def children(self) -> list[Module]:
        return list(self._modules.values())

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        return {
            f"{prefix}.{name}": shape
            for prefix, child in self._modules.items()
            for name, shape in child.param_shapes().items()
        }

    def init_params(self, rng: RNGLike = None) -> Params:
        generator = make_rng(rng)
        return {
            f"{prefix}.{name}": value
            for prefix, child in self._modules.items()
            for name, value in child.init_params(generator).items()
        }

    def _get_params(self) -> Params:
        return {
            f"{prefix}.{name}": value
            for prefix, child in self._modules.items()
            for name, value in child.params.items()
        }

    def _set_params(self, new_params: Params) -> None:
        checked = self.check_params(new_params)
        for prefix, child in self._modules.items():
            start = prefix + "."
            local = {k[len(start) :]: v for k, v in checked.items() if k.startswith(start)}
            if local or child.param_shapes():
                child.params = local

    params = property(
        _get_params,
        _set_params,
        doc='The children\'s parameters, ``"child.name"``; assigning checks names and shapes.',
    )

    def _params_for_call(self) -> Params:
        return self._get_params()

    def sub(self, params: Params, name: str) -> Params:
        """The parameters of child ``name`` out of this container's ``params``.

        >>> c = ModuleDict({"a": Identity()}); c.sub({}, "a")
        {}
        """
        start = name + "."
        keys = [k for k in self._modules[name].param_shapes()]
        try:
            return {k: params[start + k] for k in keys}
        except (KeyError, TypeError):
            missing = next(start + k for k in keys if start + k not in params)
            raise ParameterError(
                f"parameter {missing!r} is missing from the parameters given to apply(); "
                f"this model has {sorted(self.param_shapes())}"
            ) from None

    def run(self, params: Params, name: str, x: Any, *args: Any, **kwargs: Any) -> Any:
        """Run child ``name`` on ``x`` with its share of ``params``."""
        return self._modules[name].forward(self.sub(params, name), x, *args, **kwargs)

    def __repr__(self) -> str:
        lines = [
            f"  ({name}): " + repr(child).replace("\n", "\n  ")
            for name, child in self._modules.items()
        ]
        head = type(self).__name__ + "(" + self.extra_repr()
        if not lines:
            return head + ")"
        return head + "\n" + "\n".join(lines) + "\n)"

    def extra_repr(self) -> str:
        """What the container prints before its children (torch's ``extra_repr``)."""
        return ""


class ModuleList(Container):
    """A list of modules, indexed like a list; parameters are ``"i.name"``.

    It has no ``forward``: a model iterates over it in its own.

    >>> from gradkit.nn.layers import Linear
    >>> layers = ModuleList([Linear(3, 3) for _ in range(2)]); len(layers), layers.num_parameters()
    (2, 24)
    """

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end and return the list."""
        self.add_module(str(len(self._modules)), module)
        return self

    def __getitem__(self, index: int) -> Module:
        return list(self._modules.values())[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def config(self) -> dict[str, Any]:
        return {"modules": [m.spec() for m in self._modules.values()]}

    @classmethod
    def _from_config(cls, config: dict[str, Any]) -> Module:
        return cls([Module.from_spec(spec) for spec in config.get("modules", [])])


class ModuleDict(Container):
    """A dict of modules by name; parameters are ``"name.param"``.

    >>> from gradkit.nn.layers import Linear
    >>> heads = ModuleDict({"a": Linear(2, 1), "b": Linear(2, 3)})
    >>> sorted(heads.param_shapes().items())[:2]
    [('a.bias', (1,)), ('a.weight', (2, 1))]
    """

    def __init__(self, modules: dict[str, Module] | None = None) -> None:
        super().__init__()
        for name, module in (modules or {}).items():
            self.add_module(name, module)

    def __getitem__(self, name: str) -> Module:
        return self._modules[name]

    def __setitem__(self, name: str, module: Module) -> None:
        self.add_module(name, module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def keys(self) -> Any:
        """The names, in order."""
        return self._modules.keys()

    def items(self) -> Any:
        """``(name, module)`` pairs, in order."""
        return self._modules.items()

    def values(self) -> Any:
        """The modules, in order."""
        return self._modules.values()

    def config(self) -> dict[str, Any]:
        return {"modules": {name: m.spec() for name, m in self._modules.items()}}

    @classmethod
    def _from_config(cls, config: dict[str, Any]) -> Module:
        return cls({k: Module.from_spec(v) for k, v in config.get("modules", {}).items()})


class Flatten(Module):
    """Flatten axes ``start_dim`` to ``end_dim`` into one, as ``torch.nn.Flatten``.

    >>> Flatten()(np.zeros((2, 3, 4, 5))).shape
    (2, 60)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def forward(self, params: Params, x: Any) -> Any:
        shape = tuple(np.shape(x))
        start, end = self.start_dim % max(len(shape), 1), self.end_dim % max(len(shape), 1)
        if start > end:
            raise ValueError(
                f"Flatten: start_dim {self.start_dim} comes after end_dim {self.end_dim} for "
                f"an input of shape {shape}"
            )
        return np.reshape(x, shape[:start] + (-1,) + shape[end + 1 :])

    def config(self) -> dict[str, Any]:
        return {"start_dim": self.start_dim, "end_dim": self.end_dim}


class Identity(Module):
    """Return the input unchanged (a placeholder layer).

    >>> Identity()(np.ones(2))
    array([1., 1.])
    """

    def forward(self, params: Params, x: Any, *args: Any, **kwargs: Any) -> Any:
        return x

    def __repr__(self) -> str:
        return "Identity()"
