"""Layers with parameters: the ``Module`` base class, ``Linear`` and ``Sequential``.

The parameter-free layers (activations, ``Dropout``) are in
:mod:`gradkit.nn.activation_layers`.

A model's parameters are a flat dict of arrays (``{"0.weight": ..., "0.bias": ...}``),
which ``gk.grad`` differentiates and ``gk.optim`` updates directly. ``model(X)`` runs
the model with its own parameters; ``model.apply(params, X)`` runs it with the given
ones -- that is the function to differentiate::

    loss, grads = gk.value_and_grad(lambda p: loss_fn(model.apply(p, X), y))(model.params)

Weights are laid out ``(in_features, out_features)`` as in the tutorial, so ``Linear``
computes ``x @ W + b`` (PyTorch stores ``(out, in)`` and computes ``x @ W.T + b``).

>>> import numpy as np
>>> from gradkit.nn import ReLU
>>> model = Sequential(Linear(2, 3, rng=0), ReLU(), Linear(3, 1, rng=1))
>>> sorted(model.params)
['0.bias', '0.weight', '2.bias', '2.weight']
>>> model(np.zeros((5, 2))).shape
(5, 1)
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import numpy as np

from gradkit.nn.functional import linear
from gradkit.nn.init import RNGLike, get_initializer, make_rng

__all__ = ["ParameterError", "Module", "Linear", "Sequential"]

Params = dict[str, Any]

# set while a saved architecture is rebuilt (gradkit.nn.io): layers skip drawing their
# parameters, so a file's claimed sizes are checked before anything that size is allocated
_SKIP_INIT: contextvars.ContextVar[bool] = contextvars.ContextVar("skip_init", default=False)


@contextlib.contextmanager
def _without_initial_parameters() -> Iterator[None]:
    token = _SKIP_INIT.set(True)
    try:
        yield
    finally:
        _SKIP_INIT.reset(token)


def _skippable(init_params: Callable[..., Params]) -> Callable[..., Params]:
    @functools.wraps(init_params)
    def wrapper(self: Module, *args: Any, **kwargs: Any) -> Params:
        return {} if _SKIP_INIT.get() else init_params(self, *args, **kwargs)

    wrapper._skippable = True  # type: ignore[attr-defined]
    return wrapper


class ParameterError(ValueError):
    """Parameters that do not fit a model: a missing, unexpected or wrongly shaped array."""


def _as_batch(x: Any) -> Any:
    if isinstance(x, (list, tuple, int, float)):
        return np.asarray(x, dtype=float)
    return x


def _real_array(name: str, value: Any) -> np.ndarray:
    """``value`` as a float array, or a :class:`ParameterError` if it is not real numbers
    (complex would lose its imaginary part, and strings such as '0.5' be parsed)."""
    try:
        array = np.asarray(value)
    except ValueError:  # a ragged list
        array = None
    if array is None or array.dtype.kind not in "biuf":
        kind = "a ragged list" if array is None else f"dtype {array.dtype}"
        raise ParameterError(f"parameter {name!r} must be an array of real numbers, got {kind}")
    return np.asarray(array, dtype=float)


class _class_or_instance_method:
    """A method that receives the class when called on it and the instance otherwise."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.__doc__ = fn.__doc__

    def __get__(self, obj: Any, owner: type) -> Callable[..., Any]:
        return functools.partial(self.fn, owner if obj is None else obj)


class Module:
    """Base class of all layers and models.

    Subclasses define ``param_shapes()``, ``init_params(rng)`` and
    ``forward(params, x)``; containers override ``params`` handling. A module is in
    training mode after construction; ``eval()`` switches behaviour such as
    ``Dropout`` off, ``train()`` back on.

    >>> layer = Linear(2, 1, rng=0)
    >>> layer.apply({"weight": np.ones((2, 1)), "bias": np.zeros(1)}, np.array([[1.0, 2.0]]))
    array([[3.]])
    """

    registry: ClassVar[dict[str, type[Module]]] = {}

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        # only concrete, public layer types can be named in a saved architecture: an
        # abstract base (``class Activation(Module, abstract=True)``) or a private helper
        # class (``_Pool``) is not a layer a file may ask for
        super().__init_subclass__(**kwargs)
        if not abstract and not cls.__name__.startswith("_"):
            Module.registry[cls.__name__] = cls
        own = cls.__dict__.get("init_params")
        if own is not None and not getattr(own, "_skippable", False):
            cls.init_params = _skippable(own)  # type: ignore[method-assign]

    def __init__(self) -> None:
        self.training = True
        self._params: Params = {}

    # -- parameters ---------------------------------------------------------------------
    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Return the name and shape of every parameter (empty for parameter-free layers).

        >>> Linear(3, 2).param_shapes()
        {'weight': (3, 2), 'bias': (2,)}
        """
        return {}

    def init_params(self, rng: RNGLike = None) -> Params:
        """Return freshly initialized parameters drawn from ``rng`` (the model is unchanged).

        >>> sorted(Sequential(Linear(2, 2), Linear(2, 1)).init_params(0))
        ['0.bias', '0.weight', '1.bias', '1.weight']
        """
        return {}

    @property
    def params(self) -> Params:
        """The model's own parameters: a new dict each time, holding the arrays themselves.

        Assigning a dict checks every name and shape (:meth:`check_params`).

        >>> layer = Linear(1, 1)
        >>> layer.params = {"weight": [[2.0]], "bias": [0.5]}
        >>> layer(np.array([[1.0]]))
        array([[2.5]])
        """
        return dict(self._params)

    @params.setter
    def params(self, new_params: Params) -> None:
        self._params = self.check_params(new_params)

    def check_params(self, params: Any) -> Params:
        """Return ``params`` as a dict of float arrays after checking names and shapes.

        Raises:
            ParameterError: naming the missing, unexpected or mis-shaped parameter.

        >>> Linear(2, 1).check_params({"weight": np.ones((3, 1)), "bias": np.zeros(1)})
        Traceback (most recent call last):
        ...
        gradkit.nn.layers.ParameterError: parameter 'weight' has shape (3, 1) but ... needs (2, 1)
        """
        if not isinstance(params, dict):
            raise ParameterError(
                f"parameters must be a dict of arrays, got {type(params).__name__}"
            )
        expected = self.param_shapes()
        missing = [name for name in expected if name not in params]
        if missing:
            raise ParameterError(
                f"parameter {missing[0]!r} is missing; this model needs {sorted(expected)}"
            )
        unexpected = [name for name in params if name not in expected]
        if unexpected:
            raise ParameterError(
                f"unexpected parameter {unexpected[0]!r}; this model has {sorted(expected)}"
            )
        checked = {}
        for name, shape in expected.items():
            value = _real_array(name, params[name])
            if value.shape != tuple(shape):
                raise ParameterError(
                    f"parameter {name!r} has shape {value.shape} but this model needs "
                    f"{tuple(shape)}"
                )
            checked[name] = value
        return checked

    def initialize(self, rng: RNGLike = None) -> Module:
        """Re-draw all parameters from ``rng`` (a seed or generator) and return ``self``.

        >>> m = Sequential(Linear(2, 2), Linear(2, 1))
        >>> a = m.initialize(0).params["1.weight"]; b = m.initialize(0).params["1.weight"]
        >>> bool(np.all(a == b))
        True
        """
        self.params = self.init_params(make_rng(rng))
        return self

    def num_parameters(self) -> int:
        """Return the number of scalar parameters.

        >>> Linear(64, 10).num_parameters()
        650
        """
        return int(sum(np.prod(shape, dtype=int) for shape in self.param_shapes().values()))

    # -- running ------------------------------------------------------------------------
    def forward(self, params: Params, x: Any) -> Any:
        """Compute the output for input ``x`` with parameters ``params`` (subclasses).

        Called by :meth:`apply`, which also turns lists into arrays.

        >>> Linear(1, 1).forward({"weight": np.ones((1, 1)), "bias": np.zeros(1)}, np.ones((1, 1)))
        array([[1.]])
        """
        raise NotImplementedError(f"{type(self).__name__} must define forward(params, x)")

    def apply(self, params: Params, x: Any, *args: Any, **kwargs: Any) -> Any:
        """Return the output for input ``x`` computed with ``params``: the differentiable form.

        Args:
            params: a dict with this model's parameter names (``self.params`` or a
                modified copy, or the engine's traced values inside ``gk.grad``).
            x: a batch of inputs, samples on the first axis.

        >>> import gradkit as gk
        >>> layer = Linear(2, 1, rng=0)
        >>> X, y = np.array([[1.0, 2.0]]), np.array([[1.0]])
        >>> grads = gk.grad(lambda p: np.sum((layer.apply(p, X) - y) ** 2))(layer.params)
        >>> sorted(grads), grads["weight"].shape
        (['bias', 'weight'], (2, 1))
        """
        return self.forward(params, _as_batch(x), *args, **kwargs)

    def __call__(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        """Return the output for input ``x`` with the model's own parameters.

        >>> Linear(2, 3, init="zeros")([[1.0, 1.0]])
        array([[0., 0., 0.]])
        """
        return self.apply(self._params_for_call(), x, *args, **kwargs)

    def _params_for_call(self) -> Params:
        return self._params

    def train(self, mode: bool = True) -> Module:
        """Switch training mode on (or off with ``mode=False``) and return ``self``.

        >>> model = Sequential(Linear(2, 2))
        >>> model.train(False)[0].training, model.train()[0].training
        (False, True)
        """
        self.training = bool(mode)
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Switch to evaluation mode (``Dropout`` passes inputs through) and return ``self``.

        >>> Linear(1, 1).eval().training
        False
        """
        return self.train(False)

    def children(self) -> list[Module]:
        """Return the direct sub-modules (none for a plain layer).

        >>> Sequential(Linear(1, 1), Linear(1, 2)).children()  # doctest: +NORMALIZE_WHITESPACE
        [Linear(in_features=1, out_features=1, bias=True),
         Linear(in_features=1, out_features=2, bias=True)]
        """
        return []

    def named_children(self) -> list[tuple[str, Module]]:
        """Return ``(name, module)`` for each direct sub-module; its parameters are
        ``"name.<its parameter>"`` (as in torch).

        >>> [name for name, _ in Sequential(Linear(1, 1), Linear(1, 2)).named_children()]
        ['0', '1']
        """
        return [(str(i), child) for i, child in enumerate(self.children())]

    def buffers(self) -> dict[str, np.ndarray]:
        """Return the module's own non-trainable state (e.g. running statistics).

        >>> Linear(1, 1).buffers()
        {}
        """
        return {}

    # -- PyTorch weights ------------------------------------------------------------------
    def _to_torch(self, name: str, value: Any) -> np.ndarray:
        """One parameter in torch's layout (the identity unless a layer's layout differs)."""
        return np.asarray(value)

    def _from_torch(self, name: str, value: Any) -> np.ndarray:
        """One torch parameter in this layer's layout."""
        return np.asarray(value)

    def torch_state_dict(self) -> dict[str, np.ndarray]:
        """Return the parameters (and buffers) keyed and laid out as the equivalent
        ``torch.nn`` model's ``state_dict()``, as NumPy arrays.

        ``model.params = grads; model.torch_state_dict()`` lays gradients out as torch's.

        >>> sd = Linear(3, 2, rng=0).torch_state_dict()
        >>> {k: v.shape for k, v in sd.items()}                # torch keeps (out, in)
        {'weight': (2, 3), 'bias': (2,)}
        """
        entries = self.named_children()
        if entries:
            out: dict[str, np.ndarray] = {}
            for prefix, child in entries:
                for key, value in child.torch_state_dict().items():
                    out[f"{prefix}.{key}"] = value
            return out
        out = {name: self._to_torch(name, value) for name, value in self.params.items()}
        out.update({name: np.array(value) for name, value in self.buffers().items()})
        return out

    def load_torch_state_dict(self, state_dict: dict[str, Any]) -> Module:
        """Load a torch ``state_dict`` (a dict of NumPy arrays, or anything ``np.asarray``
        takes) into this model and return it; every key must be there, with its shape.

        Raises:
            ParameterError: naming the missing, unexpected or mis-shaped entry.

        >>> layer = Linear(3, 2).load_torch_state_dict(
        ...     {"weight": np.arange(6.0).reshape(2, 3), "bias": np.zeros(2)})
        >>> layer.params["weight"].shape
        (3, 2)
        """
        expected = self.torch_state_dict()
        given = {key: np.asarray(value) for key, value in state_dict.items()}
        for key, value in expected.items():
            if key not in given:
                raise ParameterError(
                    f"load_torch_state_dict: {key!r} is missing; this model needs "
                    f"{sorted(expected)}"
                )
            if given[key].shape != value.shape:
                raise ParameterError(
                    f"load_torch_state_dict: {key!r} has shape {given[key].shape} but this "
                    f"model needs {value.shape}"
                )
        unexpected = sorted(set(given) - set(expected))
        if unexpected:
            raise ParameterError(
                f"load_torch_state_dict: unexpected key {unexpected[0]!r}; this model has "
                f"{sorted(expected)}"
            )
        self._load_torch(given)
        return self

    def _load_torch(self, given: dict[str, np.ndarray]) -> None:
        entries = self.named_children()
        if entries:
            for prefix, child in entries:
                start = prefix + "."
                mine = {k[len(start) :]: v for k, v in given.items() if k.startswith(start)}
                child._load_torch(mine)
            return
        buffers = self.buffers()
        self.params = {
            name: self._from_torch(name, value)
            for name, value in given.items()
            if name not in buffers
        }
        for name, value in buffers.items():
            value[...] = given[name]

    # -- description and files -------------------------------------------------------
    def config(self) -> dict[str, Any]:
        """Return the constructor arguments that rebuild this module (for saving).

        >>> Linear(2, 1, bias=False, init="he_normal").config()
        {'in_features': 2, 'out_features': 1, 'bias': False, 'init': 'he_normal'}
        """
        return {}

    def spec(self) -> dict[str, Any]:
        """Return ``{"type": class name, "config": ...}``: the architecture, JSON-ready.

        >>> Linear(2, 1).spec()
        {'type': 'Linear', 'config': {'in_features': 2, 'out_features': 1, 'bias': True, \
'init': 'xavier_uniform'}}
        """
        return {"type": type(self).__name__, "config": self.config()}

    @staticmethod
    def from_spec(spec: dict[str, Any]) -> Module:
        """Build an untrained module from :meth:`spec` output.

        >>> Module.from_spec(Linear(3, 2).spec())
        Linear(in_features=3, out_features=2, bias=True)
        """
        try:
            cls = Module.registry[spec["type"]]
        except (KeyError, TypeError):
            raise ParameterError(
                f"unknown layer type in architecture description: {spec!r}"
            ) from None
        return cls._from_config(spec.get("config", {}))

    @classmethod
    def _from_config(cls, config: dict[str, Any]) -> Module:
        return cls(**config)

    def save(self, path: Any) -> Any:
        """Save the architecture and parameters to ``path`` (``.npz``), atomically.

        See :func:`gradkit.nn.io.save`; returns the path written.

        >>> import tempfile, pathlib
        >>> Linear(2, 1).save(pathlib.Path(tempfile.mkdtemp()) / "layer.npz").name
        'layer.npz'
        """
        from gradkit.nn.io import save

        return save(self, path)

    @_class_or_instance_method
    def load(target: Any, path: Any) -> Module:
        """Load a model saved by :meth:`save`.

        ``Module.load(path)`` (on a class) rebuilds the saved architecture and its
        parameters; ``model.load(path)`` (on an instance) loads the parameters into this
        model and raises :class:`ParameterError` naming the first parameter that does not
        fit. Both return the model. See :func:`gradkit.nn.io.load`.

        >>> import tempfile, pathlib
        >>> path = Linear(2, 1, rng=0).save(pathlib.Path(tempfile.mkdtemp()) / "layer.npz")
        >>> Module.load(path)
        Linear(in_features=2, out_features=1, bias=True)
        >>> Linear(2, 1).load(path).params["weight"].shape
        (2, 1)
        """
        from gradkit.nn.io import load

        if isinstance(target, Module):
            return load(path, into=target)
        model = load(path)
        if not isinstance(model, target):
            raise ParameterError(f"{path} holds a {type(model).__name__}, not a {target.__name__}")
        return model

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


def _lookup(params: Params, name: str, owner: Module) -> Any:
    try:
        return params[name]
    except (KeyError, TypeError):
        raise ParameterError(
            f"{owner!r}: parameter {name!r} is missing from the parameters given to apply(); "
            f"pass a dict with the keys {sorted(owner.param_shapes())}"
        ) from None


def _check_size(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class Linear(Module):
    """A fully connected layer ``x @ weight + bias`` with ``weight`` of shape ``(in, out)``.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: whether to add a learned bias (initialized to zero).
        init: weight initializer: a name from :mod:`gradkit.nn.init` (``"xavier_uniform"``,
            ``"he_normal"``, ``"tutorial"`` for ``0.01 * randn``, ...) or a function
            ``(shape, rng) -> array``.
        rng: seed or generator for the initial weights.

    >>> layer = Linear(3, 2, init="zeros")
    >>> layer(np.ones((4, 3)))
    array([[0., 0.],
           [0., 0.],
           [0., 0.],
           [0., 0.]])
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init: str | Callable[..., np.ndarray] = "xavier_uniform",
        rng: RNGLike = None,
    ) -> None:
        super().__init__()
        self.in_features = _check_size("in_features", in_features)
        self.out_features = _check_size("out_features", out_features)
        self.bias = bool(bias)
        self.init = init
        self._initializer = get_initializer(init)
        self._params = self.init_params(rng)

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        shapes = {"weight": (self.in_features, self.out_features)}
        if self.bias:
            shapes["bias"] = (self.out_features,)
        return shapes

    def init_params(self, rng: RNGLike = None) -> Params:
        generator = make_rng(rng)
        params = {"weight": self._initializer((self.in_features, self.out_features), generator)}
        if self.bias:
            params["bias"] = np.zeros(self.out_features)
        return params

    def forward(self, params: Params, x: Any) -> Any:
        shape = tuple(x.shape)
        if not shape or shape[-1] != self.in_features:
            raise ValueError(
                f"{self!r} expects inputs with {self.in_features} features on the last axis; "
                f"got an input of shape {shape}"
            )
        bias = _lookup(params, "bias", self) if self.bias else None
        return linear(x, _lookup(params, "weight", self), bias)

    def config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "in_features": self.in_features,
            "out_features": self.out_features,
            "bias": self.bias,
        }
        if isinstance(self.init, str):
            config["init"] = self.init
        return config

    def _to_torch(self, name: str, value: Any) -> np.ndarray:
        return np.asarray(value).T if name == "weight" else np.asarray(value)

    _from_torch = _to_torch  # a transpose both ways

    def __repr__(self) -> str:
        return (
            f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias})"
        )  # as torch prints it


class Sequential(Module):
    """Layers applied one after another; parameter ``name`` of layer ``i`` is ``"i.name"``.

    Args:
        *layers: the modules, in order (a single list of modules works too).

    >>> from gradkit.nn import Sigmoid
    >>> model = Sequential(Linear(2, 4, rng=0), Sigmoid(), Linear(4, 1, rng=0), Sigmoid())
    >>> model
    Sequential(
      (0): Linear(in_features=2, out_features=4, bias=True)
      (1): Sigmoid()
      (2): Linear(in_features=4, out_features=1, bias=True)
      (3): Sigmoid()
    )
    >>> model.num_parameters()
    17
    """

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for position, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(
                    f"Sequential: item {position} is a {type(layer).__name__}, not a layer; "
                    "pass modules such as Linear(2, 4) or ReLU() (note the parentheses)"
                )
        self.layers = list(layers)
        self._keys = [
            [(f"{i}.{name}", name) for name in layer.param_shapes()]
            for i, layer in enumerate(self.layers)
        ]

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        return {
            f"{i}.{name}": shape
            for i, layer in enumerate(self.layers)
            for name, shape in layer.param_shapes().items()
        }

    def init_params(self, rng: RNGLike = None) -> Params:
        generator = make_rng(rng)
        params: Params = {}
        for i, layer in enumerate(self.layers):
            for name, value in layer.init_params(generator).items():
                params[f"{i}.{name}"] = value
        return params

    def _get_params(self) -> Params:
        return {
            f"{i}.{name}": value
            for i, layer in enumerate(self.layers)
            for name, value in layer.params.items()
        }

    def _set_params(self, new_params: Params) -> None:
        checked = self.check_params(new_params)
        for layer, keys in zip(self.layers, self._keys, strict=True):
            if keys:
                layer.params = {local: checked[full] for full, local in keys}

    params = property(_get_params, _set_params, doc=Module.params.__doc__)

    def _params_for_call(self) -> Params:
        return self._get_params()

    def forward(self, params: Params, x: Any) -> Any:
        for layer, keys in zip(self.layers, self._keys, strict=True):
            if keys:
                try:
                    local = {name: params[full] for full, name in keys}
                except (KeyError, TypeError):
                    missing = next(full for full, _ in keys if full not in params)
                    raise ParameterError(
                        f"parameter {missing!r} is missing from the parameters given to "
                        f"apply(); this model has {sorted(self.param_shapes())}"
                    ) from None
            else:
                local = {}
            x = layer.forward(local, x)
        return x

    def children(self) -> list[Module]:
        return list(self.layers)

    def config(self) -> dict[str, Any]:
        return {"layers": [layer.spec() for layer in self.layers]}

    @classmethod
    def _from_config(cls, config: dict[str, Any]) -> Module:
        return cls(*[Module.from_spec(spec) for spec in config.get("layers", [])])

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def __repr__(self) -> str:
        lines = [
            f"  ({i}): " + repr(layer).replace("\n", "\n  ") for i, layer in enumerate(self.layers)
        ]
        return "Sequential(\n" + "\n".join(lines) + "\n)"
