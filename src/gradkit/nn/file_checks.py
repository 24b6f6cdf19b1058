"""Reading a model file as untrusted input: the checks :func:`gradkit.nn.io.load` makes.

A model file is a zip archive (``.npz``) of ``.npy`` entries. Everything in it is checked
against a limit or against something else in the file before memory is spent on it:

- the archive: at most :data:`MAX_ENTRIES` entries, stored or deflated only, their
  compressed sizes adding up to no more than the file (no overlapping entries), and
  their inflated sizes to at most :data:`MAX_INFLATION` times the file plus 1 MiB (a
  3 MB zip bomb that would inflate to 3 GB is refused before anything is inflated);
- each entry: its ``.npy`` header read (at most 10,000 bytes) and its shape and dtype
  checked to account exactly for the entry's size before its data is read;
- the architecture: at most :data:`MAX_ARCHITECTURE_CHARS` characters of JSON nested at
  most :data:`MAX_JSON_DEPTH` deep (checked before parsing), naming only concrete layer
  types, whose integers (sizes) add up to at most twice the file's parameter count plus
  :data:`SIZE_SLACK` -- so rebuilding it (with no parameters drawn) cannot allocate more
  than the file justifies.

Breaking any of these raises :class:`~gradkit.nn.layers.ParameterError` naming the limit.

>>> MAX_JSON_DEPTH, MAX_INFLATION
(100, 20)
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import numpy as np

from gradkit.nn.layers import Module, ParameterError

__all__ = [
    "MAX_ARCHITECTURE_CHARS",
    "MAX_ENTRIES",
    "MAX_INFLATION",
    "MAX_JSON_DEPTH",
    "SIZE_SLACK",
    "Entry",
    "check_archive",
    "parse_architecture",
    "read_array",
]

MAX_ENTRIES = 100_000
MAX_INFLATION = 20
MAX_ARCHITECTURE_CHARS = 4_000_000
MAX_JSON_DEPTH = 100
SIZE_SLACK = 2**20
_MAX_NPY_HEADER = 10_000
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


@dataclasses.dataclass(frozen=True)
class Entry:
    """One ``.npy`` entry of a model file, its header read and checked against its size.

    >>> Entry(zipfile.ZipInfo("a.npy"), (2, 3), np.dtype(float), False).size
    6
    """

    info: zipfile.ZipInfo
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    fortran_order: bool

    @property
    def size(self) -> int:
        """The number of values the entry holds."""
        return math.prod(self.shape)


def check_archive(source: os.PathLike[str] | str, archive: zipfile.ZipFile) -> dict[str, Entry]:
    """Return the archive's ``.npy`` entries by name (without ``.npy``), every header checked.

    Raises:
        ParameterError: when the archive breaks a limit in this module's description or
            an entry's header does not match its size.

    >>> import io
    >>> buffer = io.BytesIO(); np.savez(buffer, w=np.zeros((2, 2)))
    >>> entries = check_archive("w.npz", zipfile.ZipFile(buffer))
    >>> entries["w"].shape, entries["w"].dtype
    ((2, 2), dtype('float64'))
    """
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise ParameterError(
            f"{source} has {len(infos)} entries; a model file may have at most {MAX_ENTRIES}"
        )
    stream = archive.fp  # the archive's own file (or buffer): its length is the file's
    file_size = stream.seek(0, os.SEEK_END) if stream is not None else 0
    compressed = sum(info.compress_size for info in infos)
    inflated = sum(info.file_size for info in infos)
    if compressed > file_size:
        raise ParameterError(
            f"{source} is damaged: its entries claim {compressed} bytes in a file of "
            f"{file_size} (overlapping entries)"
        )
    if inflated > MAX_INFLATION * file_size + 2**20:
        raise ParameterError(
            f"{source} would inflate from {file_size} to {inflated} bytes; a model file may "
            f"inflate at most {MAX_INFLATION}-fold (is it a zip bomb?)"
        )
    entries: dict[str, Entry] = {}
    for info in infos:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ParameterError(
                f"{source}: entry {info.filename!r} uses compression method "
                f"{info.compress_type}; a model file is stored or deflated"
            )
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise ParameterError(f"{source} is damaged: entry {info.filename!r} sizes differ")
        if not info.filename.endswith(".npy"):
            continue
        name = info.filename[: -len(".npy")]
        if name in entries:
            raise ParameterError(f"{source} is damaged: entry {info.filename!r} appears twice")
        entries[name] = _entry(source, archive, info)
    return entries


def _entry(source: Any, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Entry:
    with archive.open(info) as stream:
        version = np.lib.format.read_magic(stream)
        reader = {
            (1, 0): np.lib.format.read_array_header_1_0,
            (2, 0): np.lib.format.read_array_header_2_0,
        }.get(version)
        if reader is None:
            raise ParameterError(f"{source}: entry {info.filename!r} has .npy version {version}")
        shape, fortran_order, dtype = reader(stream, max_header_size=_MAX_NPY_HEADER)
        header_bytes = stream.tell()
    if dtype.hasobject or dtype.itemsize == 0:
        raise ParameterError(f"{source}: entry {info.filename!r} has dtype {dtype}")
    expected = header_bytes + math.prod(shape) * dtype.itemsize
    if expected != info.file_size:
        raise ParameterError(
            f"{source} is damaged: entry {info.filename!r} declares shape {shape} of "
            f"{dtype} ({expected} bytes with its header) in {info.file_size} bytes"
        )
    return Entry(info, tuple(shape), dtype, bool(fortran_order))


def read_array(archive: zipfile.ZipFile, entry: Entry) -> np.ndarray:
    """Return the entry's array (its size was checked by :func:`check_archive`).

    >>> import io
    >>> buffer = io.BytesIO(); np.savez(buffer, w=np.arange(3.0))
    >>> archive = zipfile.ZipFile(buffer)
    >>> read_array(archive, check_archive("w.npz", archive)["w"])
    array([0., 1., 2.])
    """
    with archive.open(entry.info) as stream:
        array = np.lib.format.read_array(
            stream, allow_pickle=False, max_header_size=_MAX_NPY_HEADER
        )
        if stream.read(1):  # reading to the end checks the entry's CRC
            raise ParameterError(f"entry {entry.info.filename!r} has bytes past its array")
    return array


def parse_architecture(source: Any, text: str, parameter_count: int) -> dict[str, Any]:
    """Return the architecture header parsed from ``text``, every limit checked.

    ``parameter_count`` is the number of parameter values in the file: the sizes the
    architecture names must be justified by it (see this module's description).

    >>> parse_architecture("m.npz", '{"format": "f", "model": {"type": "ReLU"}}', 0)
    {'format': 'f', 'model': {'type': 'ReLU'}}
    >>> parse_architecture("m.npz", "[" * 1000 + "]" * 1000, 0)
    Traceback (most recent call last):
    ...
    gradkit.nn.layers.ParameterError: m.npz: the architecture is nested 1000 deep; ...
    """
    if len(text) > MAX_ARCHITECTURE_CHARS:
        raise ParameterError(
            f"{source}: the architecture is {len(text)} characters long; a model file's "
            f"may be at most {MAX_ARCHITECTURE_CHARS}"
        )
    depth = _json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise ParameterError(
            f"{source}: the architecture is nested {depth} deep; a model file's may be "
            f"nested at most {MAX_JSON_DEPTH} deep"
        )
    try:
        header = json.loads(text)
    except ValueError:
        raise ParameterError(f"{source}: the architecture entry is not valid JSON") from None
    if not isinstance(header, dict) or not isinstance(header.get("model"), dict):
        raise ParameterError(f"{source}: the architecture entry is not a gradkit header")
    sizes = 0
    for value in _walk(header["model"]):
        if isinstance(value, dict) and "type" in value:
            _check_layer_type(source, value["type"])
        elif isinstance(value, int) and not isinstance(value, bool):
            sizes += abs(value)
    budget = 2 * parameter_count + SIZE_SLACK
    if sizes > budget:
        raise ParameterError(
            f"{source}: the architecture's sizes add up to {sizes}, more than its "
            f"{parameter_count} parameter values can justify (at most {budget})"
        )
    return header


def _json_depth(text: str) -> int:
    """The deepest bracket nesting in JSON ``text`` (brackets inside strings ignored)."""
    bare = _STRING.sub('""', text)
    codes = np.frombuffer(bare.encode("utf-32-le"), dtype=np.uint32)
    steps = np.isin(codes, (ord("["), ord("{"))).astype(np.int64)
    steps -= np.isin(codes, (ord("]"), ord("}")))
    return int(np.cumsum(steps).max(initial=0))


def _walk(value: Any) -> Iterator[Any]:
    """Every value in a parsed JSON document (iteratively: its depth is already bounded)."""
    stack = [value]
    while stack:
        item = stack.pop()
        yield item
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _check_layer_type(source: Any, name: Any) -> None:
    if not isinstance(name, str) or name not in Module.registry:
        known = ", ".join(sorted(Module.registry)[:8])
        raise ParameterError(
            f"{source}: the architecture names {name!r}, which is not a concrete gradkit "
            f"layer type (those are registered Module subclasses such as {known}, ...)"
        )
