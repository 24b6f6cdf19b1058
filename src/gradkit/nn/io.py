"""Saving and loading models as ``.npz`` files, atomically.

A file holds every parameter under its name plus the architecture as a JSON string,
so ``Module.load(path)`` rebuilds the model and ``model.load(path)`` checks that the
file fits. Nothing is unpickled: files are read with ``allow_pickle=False``.

A save writes a temporary file in the target's folder and renames it over the target
(``os.replace``, atomic on POSIX and Windows), so an interrupted save leaves the old
file as it was; a save killed outright leaves its temporary file, which the next save
of the same target removes. Loading reads the file as untrusted input, within the limits
of :mod:`gradkit.nn.file_checks`.

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
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from gradkit.nn.file_checks import check_archive, parse_architecture, read_array
from gradkit.nn.layers import Module, ParameterError, _without_initial_parameters

__all__ = ["save", "load", "FORMAT", "STALE_SECONDS"]

FORMAT = "gradkit.nn/1"
_ARCHITECTURE_KEY = "__architecture__"
_PARAM_PREFIX = "param:"
STALE_SECONDS = 24 * 3600


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
    _remove_stale_temporaries(target)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent
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


def _remove_stale_temporaries(target: Path) -> None:
    """Delete the temporary files that interrupted saves of ``target`` left behind.

    A save killed outright (SIGKILL, a power cut) cannot remove its temporary file
    ``.<name>.<pid>.<random>.tmp``; the next save of the same target does, when that
    process is gone (POSIX) or the file is older than :data:`STALE_SECONDS`. Saves in
    progress elsewhere are left alone.
    """
    prefix, suffix = f".{target.name}.", ".tmp"
    try:
        candidates = [
            entry
            for entry in os.scandir(target.parent)
            if entry.name.startswith(prefix) and entry.name.endswith(suffix)
        ]
    except OSError:
        return
    for entry in candidates:
        writer = entry.name[len(prefix) :].split(".", 1)[0]
        try:
            stale = time.time() - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS
            if not stale and writer.isdigit() and int(writer) != os.getpid():
                stale = not _process_exists(int(writer))
            if stale and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
        except OSError:  # removed meanwhile, or not ours to remove
            continue


def _process_exists(pid: int) -> bool:
    if os.name != "posix":  # os.kill(pid, 0) would terminate it on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _umask() -> int:
    """The process's umask (read by setting it, then restoring it at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _source(path: str | os.PathLike[str]) -> Path:
    source = Path(os.fspath(path))
    if not source.exists() and _target_path(source).exists():
        source = _target_path(source)
    if not source.exists():
        raise FileNotFoundError(f"no saved model at {source}")
    return source


def load(path: str | os.PathLike[str], into: Module | None = None) -> Module:
    """Return the model saved at ``path``.

    The file is read as untrusted input (see :mod:`gradkit.nn.file_checks` for the
    limits): every size and shape it claims is checked against the file itself and
    against the architecture before memory is spent on it, and nothing is unpickled.

    Args:
        path: a file written by :func:`save`.
        into: a model to load the parameters into; its architecture must match the
            file's parameter for parameter. Without it the saved architecture is rebuilt.

    Raises:
        ParameterError: naming the first parameter that is missing, unexpected or of
            another shape in ``into``, or when the file is not a gradkit model, is
            damaged or breaks a limit.

    >>> import tempfile, pathlib
    >>> from gradkit.nn.layers import Linear
    >>> path = save(Linear(2, 1), pathlib.Path(tempfile.mkdtemp()) / "m.npz")
    >>> load(path, into=Linear(3, 1))
    Traceback (most recent call last):
    ...
    gradkit.nn.layers.ParameterError: ... 'weight' has shape (2, 1) in the file but (3, 1) ...
    """
    source = _source(path)
    with source.open("rb") as stream:
        magic = stream.read(6)
    if magic == b"\x93NUMPY":
        raise ParameterError(f"{source} holds one array, not a gradkit model file (.npz)")
    try:
        with zipfile.ZipFile(source) as archive:
            model = _load_from(source, archive, into)
    except ParameterError:
        raise
    except Exception as error:  # noqa: BLE001  # an untrusted file: any failure is its fault
        raise ParameterError(
            f"{source} is not a gradkit model file, or is damaged ({type(error).__name__}: {error})"
        ) from None
    return model


def _load_from(source: Path, archive: zipfile.ZipFile, into: Module | None) -> Module:
    entries = check_archive(source, archive)
    if _ARCHITECTURE_KEY not in entries:
        raise ParameterError(
            f"{source} is an .npz file but not one written by gradkit's save(); "
            "it has no architecture entry"
        )
    params = {
        name[len(_PARAM_PREFIX) :]: entry
        for name, entry in entries.items()
        if name.startswith(_PARAM_PREFIX)
    }
    for name, entry in params.items():
        if entry.dtype.kind not in "fiu":  # strings ('1.5') or complex would be converted
            raise ParameterError(
                f"{source}: parameter {name!r} has dtype {entry.dtype}; a gradkit model "
                "file holds real numbers"
            )
    architecture = entries[_ARCHITECTURE_KEY]
    if architecture.dtype.kind != "U" or architecture.shape != ():
        raise ParameterError(f"{source}: the architecture entry is not a JSON string")
    header = parse_architecture(
        source,
        str(read_array(archive, architecture)),
        sum(entry.size for entry in params.values()),
    )
    if header.get("format") != FORMAT:
        raise ParameterError(
            f"{source} has format {header.get('format')!r}; this gradkit reads {FORMAT!r}"
        )
    if into is not None:
        model = into
    else:
        try:
            with _without_initial_parameters():
                model = Module.from_spec(header["model"])
        except ParameterError:
            raise
        except Exception as error:  # noqa: BLE001  # any layer's own argument check
            raise ParameterError(
                f"{source}: the saved architecture cannot be rebuilt "
                f"({type(error).__name__}: {error}); was it written by another version "
                "of gradkit?"
            ) from None
    _compare(source, model, {name: entry.shape for name, entry in params.items()})
    model.params = {name: read_array(archive, entry) for name, entry in params.items()}
    return model


def _compare(path: Any, model: Module, shapes: dict[str, tuple[int, ...]]) -> None:
    """Raise a ParameterError naming the first parameter where file and model differ."""
    expected = model.param_shapes()
    where = f"cannot load {path} into this {type(model).__name__}"
    for name, shape in expected.items():
        if name not in shapes:
            raise ParameterError(
                f"{where}: the file has no parameter {name!r}, which the model needs "
                f"(the file has {sorted(shapes)})"
            )
        if shapes[name] != tuple(shape):
            raise ParameterError(
                f"{where}: parameter {name!r} has shape {shapes[name]} in the file "
                f"but {tuple(shape)} in the model"
            )
    for name in shapes:
        if name not in expected:
            raise ParameterError(
                f"{where}: the file's parameter {name!r} has no place in the model "
                f"(the model has {sorted(expected)})"
            )
