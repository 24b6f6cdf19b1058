"""Saving and loading models as ``.npz`` files, atomically.

A file holds every parameter under its name plus the architecture as a JSON string,
so ``Module.load(path)`` rebuilds the model and ``model.load(path)`` checks that the
file fits. Nothing is unpickled: files are read with ``allow_pickle=False``.

A save writes a temporary file in the target's folder and renames it over the target
(``os.replace``, atomic on POSIX and Windows), so an interrupted save leaves the old
file as it was.

>>> import tempfile, pathlib
>>> from gradkit.nn import Linear, Sequential, ReLU
>>> model = Sequential(Linear(2, 3, rng=0), ReLU(), Linear(3, 1, rng=0))
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> path = save(model, folder / "model.npz")
>>> again = load(path)
>>> bool(np.all(again.params["2.weight"] == model.params["2.weight"]))
True
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from gradkit.nn.layers import Module, ParameterError

__all__ = ["save", "load", "FORMAT"]

FORMAT = "gradkit.nn/1"
_ARCHITECTURE_KEY = "__architecture__"
_PARAM_PREFIX = "param:"


def _target_path(path: str | os.PathLike[str]) -> Path:
    target = Path(os.fspath(path))
    if target.suffix != ".npz":
        target = target.with_name(target.name + ".npz")
    return target


def save(model: Module, path: str | os.PathLike[str]) -> Path:
    """Write ``model``'s architecture and parameters to ``path`` and return the path.

    ``.npz`` is appended when ``path`` lacks it (as ``numpy.savez`` does). The file is
    written next to the target under a temporary name, flushed to disk, then renamed
    over the target, so readers never see a half-written file.

    Args:
        model: the module to save.
        path: the file to write.

    >>> import tempfile, pathlib
    >>> from gradkit.nn.layers import Linear
    >>> save(Linear(1, 1), pathlib.Path(tempfile.mkdtemp()) / "tiny").name
    'tiny.npz'
    """
    if not isinstance(model, Module):
        raise TypeError(f"save() needs a gradkit.nn Module, got {type(model).__name__}")
    target = _target_path(path)
    if not target.parent.is_dir():
        raise FileNotFoundError(
            f"cannot save to {target}: the folder {target.parent} does not exist"
        )
    arrays = {_PARAM_PREFIX + name: np.asarray(value) for name, value in model.params.items()}
    header = {"format": FORMAT, "model": model.spec()}
    arrays[_ARCHITECTURE_KEY] = np.array(json.dumps(header))
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    try:
        # mkstemp creates the file for its owner only (0600); a saved model gets the
        # permissions any new file of the user's gets (0666 less the umask), as
        # numpy.savez's would
        os.chmod(temporary, 0o666 & ~_umask())
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, **arrays)  # type: ignore[arg-type]  # numpy's stub: names vs allow_pickle
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    return target


def _umask() -> int:
    """The process's umask (read by setting it, then restoring it at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _read(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    source = Path(os.fspath(path))
    if not source.exists() and _target_path(source).exists():
        source = _target_path(source)
    try:
        loaded = np.load(source, allow_pickle=False)
    except FileNotFoundError:
        raise FileNotFoundError(f"no saved model at {source}") from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:  # empty, truncated
        raise ParameterError(f"{source} is not a gradkit model file ({error})") from None
    if not isinstance(loaded, np.lib.npyio.NpzFile):  # a single .npy array
        raise ParameterError(f"{source} holds one array, not a gradkit model file (.npz)")
    try:
        with loaded as archive:
            contents = {name: archive[name] for name in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:  # a damaged entry
        raise ParameterError(f"{source} is damaged: {error}") from None
    if _ARCHITECTURE_KEY not in contents:
        raise ParameterError(
            f"{source} is an .npz file but not one written by gradkit's save(); "
            "it has no architecture entry"
        )
    try:
        header = json.loads(str(contents.pop(_ARCHITECTURE_KEY)))
    except json.JSONDecodeError:
        raise ParameterError(f"{source}: the architecture entry is not valid JSON") from None
    if not isinstance(header, dict) or not isinstance(header.get("model"), dict):
        raise ParameterError(f"{source}: the architecture entry is not a gradkit header")
    if header.get("format") != FORMAT:
        raise ParameterError(
            f"{source} has format {header.get('format')!r}; this gradkit reads {FORMAT!r}"
        )
    params = {
        name[len(_PARAM_PREFIX) :]: value
        for name, value in contents.items()
        if name.startswith(_PARAM_PREFIX)
    }
    for name, value in params.items():
        if value.dtype.kind not in "fiu":  # strings ('1.5') or complex would be converted
            raise ParameterError(
                f"{source}: parameter {name!r} has dtype {value.dtype}; a gradkit model "
                "file holds real numbers"
            )
    return header, params


def load(path: str | os.PathLike[str], into: Module | None = None) -> Module:
    """Return the model saved at ``path``.

    Args:
        path: a file written by :func:`save`.
        into: a model to load the parameters into; its architecture must match the
            file's parameter for parameter. Without it the saved architecture is rebuilt.

    Raises:
        ParameterError: naming the first parameter that is missing, unexpected or of
            another shape in ``into``, or when the file is not a gradkit model.

    >>> import tempfile, pathlib
    >>> from gradkit.nn.layers import Linear
    >>> path = save(Linear(2, 1), pathlib.Path(tempfile.mkdtemp()) / "m.npz")
    >>> load(path, into=Linear(3, 1))
    Traceback (most recent call last):
    ...
    gradkit.nn.layers.ParameterError: ... 'weight' has shape (2, 1) in the file but (3, 1) ...
    """
    header, params = _read(path)
    if into is not None:
        model = into
    else:
        try:
            model = Module.from_spec(header["model"])
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ParameterError(
                f"{path}: the saved architecture cannot be rebuilt ({type(error).__name__}: "
                f"{error}); was it written by another version of gradkit?"
            ) from None
    _compare(path, model, params)
    model.params = params
    return model


def _compare(path: Any, model: Module, params: dict[str, np.ndarray]) -> None:
    """Raise a ParameterError naming the first parameter where file and model differ."""
    expected = model.param_shapes()
    where = f"cannot load {path} into this {type(model).__name__}"
    for name, shape in expected.items():
        if name not in params:
            raise ParameterError(
                f"{where}: the file has no parameter {name!r}, which the model needs "
                f"(the file has {sorted(params)})"
            )
        if params[name].shape != tuple(shape):
            raise ParameterError(
                f"{where}: parameter {name!r} has shape {params[name].shape} in the file "
                f"but {tuple(shape)} in the model"
            )
    for name in params:
        if name not in expected:
            raise ParameterError(
                f"{where}: the file's parameter {name!r} has no place in the model "
                f"(the model has {sorted(expected)})"
            )
