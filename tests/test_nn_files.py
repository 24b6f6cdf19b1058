"""Model files read as untrusted input: each attack of issue #28 reproduced, plus a fuzz test.

Every check is measured, not assumed: tracemalloc's peak (NumPy reports its array
buffers to it) bounds what a load allocated, and a wall clock bounds how long it took.
"""

import json
import os
import signal
import struct
import subprocess
import sys
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradkit import nn
from gradkit.nn import file_checks
from gradkit.nn import io as nn_io

MB = 2**20


def load_measured(path, **kwargs):
    """Return (model or the ParameterError raised, peak bytes allocated, seconds)."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = nn.load(path, **kwargs)
    except nn.ParameterError as error:
        result = error
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result, peak, seconds


def npy_header(shape, dtype="<f8"):
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    text = repr(header).encode("latin1")
    text += b" " * (63 - (10 + len(text)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text


def write_deflated_zip(path, name, chunks, size, crc):
    """Write a one-entry zip whose entry is the raw deflate stream ``chunks`` (the way a
    zip bomb is built: zipfile would have to compress every byte itself)."""
    data = b"".join(chunks)
    encoded = name.encode()
    fields = (20, 0, zipfile.ZIP_DEFLATED, 0, 0, crc, len(data), size, len(encoded), 0)
    local = struct.pack("<4s5HL2L2H", b"PK\x03\x04", *fields) + encoded
    central = struct.pack("<4s6HL2L5HLL", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, 0) + encoded
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local) + len(data), 0
    )
    path.write_bytes(local + data + central + end)


def architecture_file(path, model_spec, **params):
    header = {"format": nn_io.FORMAT, "model": model_spec}
    arrays = {"param:" + name: value for name, value in params.items()}
    np.savez(path, __architecture__=np.array(json.dumps(header)), **arrays)
    return path


# ------------------------------------------------------------------------ the attacks


def test_a_zip_bomb_is_refused_before_it_inflates(tmp_path):
    """3 MB of deflated zeros declaring 3 GB of parameters: refused from the sizes the
    archive declares, without inflating (np.load would have allocated 3 GB)."""
    values = 3 * 10**9 // 8
    header = npy_header((values,))
    size = len(header) + 8 * values
    block = bytes(16 * MB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(header) + compressor.flush(zlib.Z_FULL_FLUSH)
    # after a full flush the compressor starts afresh, so one compressed block of zeros
    # repeats as it is
    zeros = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    count, rest = divmod(8 * values, len(block))
    tail = compressor.compress(bytes(rest)) + compressor.flush()
    crc = zlib.crc32(header)
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(bytes(rest), crc)
    bomb = tmp_path / "bomb.npz"
    write_deflated_zip(bomb, "param:weight.npy", [head] + [zeros] * count + [tail], size, crc)
    assert bomb.stat().st_size < 4 * MB and size > 3 * 10**9
    with zipfile.ZipFile(bomb) as archive:  # a valid zip: zipfile would inflate it
        with archive.open("param:weight.npy") as stream:
            assert stream.read(len(header) + 100) == header + bytes(100)
    error, peak, seconds = load_measured(bomb)
    assert isinstance(error, nn.ParameterError)
    assert "would inflate from" in str(error) and "zip bomb" in str(error)
    assert peak < 4 * MB and seconds < 1


def test_an_architecture_without_parameters_allocates_nothing_large(tmp_path):
    """A 734-byte file asked load() for 1.1 GB; a 15 KB one for 6.4 GB. The layers are
    now rebuilt without drawing parameters and the file's shapes compared first."""
    small = architecture_file(tmp_path / "small.npz", nn.Linear(12_000, 12_000).spec())
    assert small.stat().st_size < 1000
    error, peak, _ = load_measured(small)
    assert isinstance(error, nn.ParameterError)
    assert "has no parameter 'weight'" in str(error)
    assert peak < 2 * MB
    layers = [nn.Linear(2, 2).spec()] + [nn.Linear(10_000, 10_000).spec()] * 40
    large = architecture_file(
        tmp_path / "large.npz",
        {"type": "Sequential", "config": {"layers": layers}},
        **{"0.weight": np.ones((2, 2)), "0.bias": np.zeros(2)},
    )
    assert large.stat().st_size < 25_000  # it asked for 40 * 800 MB
    error, peak, _ = load_measured(large)
    assert "has no parameter '1.weight'" in str(error) and peak < 4 * MB
    # 100 such layers name more sizes than any file of 6 parameter values can justify
    layers += [nn.Linear(10_000, 10_000).spec()] * 60
    larger = architecture_file(
        tmp_path / "larger.npz",
        {"type": "Sequential", "config": {"layers": layers}},
        **{"0.weight": np.ones((2, 2)), "0.bias": np.zeros(2)},
    )
    error, peak, _ = load_measured(larger)
    assert "sizes add up to 2000004, more than its 6 parameter values" in str(error)


def test_sizes_an_architecture_cannot_justify_are_refused(tmp_path):
    """Layers that allocate buffers (BatchNorm's running statistics) as they are built:
    the architecture's sizes must be justified by the parameters in the file."""
    spec = {"type": "BatchNorm1d", "config": {"num_features": 10**9, "affine": False}}
    error, peak, _ = load_measured(architecture_file(tmp_path / "bn.npz", spec))
    assert isinstance(error, nn.ParameterError)
    assert "sizes add up to 1000000000" in str(error) and peak < 2 * MB
    # a genuine file of the same layer loads
    model = nn.BatchNorm1d(300, affine=False)
    again = nn.load(model.save(tmp_path / "ok.npz"))
    assert isinstance(again, nn.BatchNorm1d) and again.num_features == 300


def test_a_deeply_nested_architecture_is_a_clear_error(tmp_path):
    depth = 100_000
    text = json.dumps({"format": nn_io.FORMAT, "model": {"type": "Sequential", "config": {}}})
    text = text.replace('"config": {}', '"config": {"layers": ' + "[" * depth + "]" * depth + "}")
    with pytest.raises(RecursionError):  # what load() raised before
        json.loads(text)
    np.savez(tmp_path / "deep.npz", __architecture__=np.array(text))
    with pytest.raises(nn.ParameterError, match="nested 100003 deep; .* at most 100 deep"):
        nn.load(tmp_path / "deep.npz")
    # brackets inside strings do not count
    assert file_checks._json_depth('{"a": "[[[[{{{{\\"[["}') == 1


@pytest.mark.parametrize("name", ["Activation", "Container", "_Pool", "_BatchNorm", "Module"])
def test_abstract_or_private_classes_do_not_load_as_layers(tmp_path, name):
    path = architecture_file(tmp_path / "abstract.npz", {"type": name, "config": {}})
    with pytest.raises(nn.ParameterError, match=f"names '{name}', which is not a concrete"):
        nn.load(path)
    with pytest.raises(nn.ParameterError, match="unknown layer type"):
        nn.Module.from_spec({"type": name, "config": {}})


def test_every_concrete_layer_type_still_round_trips(tmp_path):
    models = [
        nn.Sequential(nn.Conv2d(2, 3, 3, rng=0), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten()),
        nn.Sequential(nn.Embedding(10, 4, rng=0), nn.LayerNorm(4), nn.GELU()),
        nn.LSTM(3, 4, rng=0),
        nn.MultiheadAttention(4, 2, rng=0),
        nn.ModuleList([nn.Linear(2, 2, rng=0), nn.Softmax()]),
    ]
    for index, model in enumerate(models):
        again = nn.load(model.save(tmp_path / f"m{index}.npz"))
        assert repr(again) == repr(model)
        assert again.params.keys() == model.params.keys()
        for name, value in model.params.items():
            np.testing.assert_array_equal(again.params[name], value)
    assert "Activation" not in nn.Module.registry and "ReLU" in nn.Module.registry


def test_entries_whose_headers_lie_about_their_size_are_refused(tmp_path):
    path = nn.save(nn.Linear(2, 3, rng=0), tmp_path / "m.npz")
    lying = tmp_path / "lying.npz"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(lying, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "param:weight.npy":  # claims 10**9 rows, holds two
                data = npy_header((10**9, 3)) + data[data.index(b"\n") + 1 :]
            target.writestr(info.filename, data)
    error, peak, _ = load_measured(lying)
    assert isinstance(error, nn.ParameterError)
    assert "declares shape (1000000000, 3)" in str(error) and peak < 2 * MB


# ----------------------------------------------------------------- interrupted saves


def wait_for(predicate, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
def test_temporary_files_of_killed_saves_are_cleaned_on_the_next_save(tmp_path):
    target = tmp_path / "m.npz"
    nn.save(nn.Linear(2, 2, rng=0), target)
    script = (
        "import sys, time, numpy as np\n"
        "from gradkit import nn\n"
        "def slow(stream, **arrays):\n"
        "    stream.write(b'PK half a file'); stream.flush(); time.sleep(60)\n"
        "np.savez = slow\n"
        "nn.save(nn.Linear(2, 2), sys.argv[1])\n"
    )
    src = str(Path(nn.__file__).parents[2])
    env = dict(os.environ, PYTHONPATH=src)

    def temporaries():
        return sorted(name for name in os.listdir(tmp_path) if name.endswith(".tmp"))

    writer = subprocess.Popen([sys.executable, "-c", script, str(target)], env=env)
    try:
        assert wait_for(lambda: temporaries()), "the writer never started its save"
        left = temporaries()
        assert left[0].startswith(f".m.npz.{writer.pid}.")
        # while the writer lives, another save leaves its temporary file alone
        nn.save(nn.Linear(2, 2, rng=1), target)
        assert temporaries() == left
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(10)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait(10)
    assert temporaries() == left  # SIGKILL leaves it behind
    nn.save(nn.Linear(2, 2, rng=2), target)
    assert temporaries() == [] and sorted(os.listdir(tmp_path)) == ["m.npz"]
    np.testing.assert_array_equal(
        nn.load(target).params["weight"], nn.Linear(2, 2, rng=2).params["weight"]
    )


def test_old_temporary_files_are_cleaned_and_other_files_kept(tmp_path):
    target = tmp_path / "m.npz"
    old = tmp_path / ".m.npz.abc123.tmp"  # a name without a process id (or from Windows)
    recent = tmp_path / ".m.npz.def456.tmp"
    other = tmp_path / ".other.npz.1.abc.tmp"
    for path in (old, recent, other):
        path.write_bytes(b"x")
    long_ago = time.time() - nn_io.STALE_SECONDS - 60
    os.utime(old, (long_ago, long_ago))
    os.utime(other, (long_ago, long_ago))
    nn.save(nn.Linear(1, 1), target)
    assert sorted(os.listdir(tmp_path)) == sorted(["m.npz", recent.name, other.name])


# ------------------------------------------------------------------------ fuzzing


def _valid_file(folder):
    model = nn.Sequential(
        nn.Linear(3, 4, rng=0), nn.LeakyReLU(0.2), nn.BatchNorm1d(4), nn.Linear(4, 2, rng=1)
    )
    return model, nn.save(model, Path(folder) / "valid.npz").read_bytes()


@st.composite
def damaged(draw, raw):
    """A valid model file with byte flips, a truncation, a span rewritten, or a part of
    its architecture text rewritten (so the zip is valid and the JSON is not)."""
    data = bytearray(raw)
    kind = draw(st.sampled_from(["flip", "truncate", "rewrite", "architecture"]))
    if kind == "flip":
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
    elif kind == "truncate":
        del data[draw(st.integers(0, len(data) - 1)) :]
    elif kind == "rewrite":
        start = draw(st.integers(0, len(data) - 1))
        data[start : start + draw(st.integers(1, 64))] = draw(st.binary(min_size=0, max_size=64))
    else:
        return "architecture", draw(
            st.tuples(st.integers(0, 10**6), st.text(min_size=0, max_size=12))
        )
    return "bytes", bytes(data)


def _rewrite_architecture(folder, position, replacement):
    model, raw = _valid_file(folder)
    with zipfile.ZipFile(Path(folder) / "valid.npz") as archive:
        text = str(np.lib.format.read_array(archive.open("__architecture__.npy")))
    position %= len(text)
    text = text[:position] + replacement + text[position + len(replacement) :]
    arrays = {"param:" + name: value for name, value in model.params.items()}
    path = Path(folder) / "fuzzed.npz"
    np.savez(path, __architecture__=np.array(text), **arrays)
    return path


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_model_files_raise_only_parameter_errors_in_bounded_memory_and_time(tmp_path, data):
    model, raw = _valid_file(tmp_path)
    kind, change = data.draw(damaged(raw))
    if kind == "bytes":
        path = tmp_path / "fuzzed.npz"
        path.write_bytes(change)
    else:
        path = _rewrite_architecture(tmp_path, *change)
    result, peak, seconds = load_measured(path)
    assert peak < 8 * MB and seconds < 5
    if isinstance(result, nn.Module):  # the change missed everything the file's CRCs
        assert repr(result) == repr(model) or kind == "architecture"  # cover, or kept JSON valid
        for name, value in result.params.items():
            np.testing.assert_array_equal(value, model.params[name])
