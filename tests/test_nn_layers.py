"""Layers, parameters, modes, saving and loading (NumPy-only parts)."""

import os
from pathlib import Path

import numpy as np
import pytest

import gradkit.nn as nn
from gradkit.nn import io as nn_io


def small_model(seed=0):
    return nn.Sequential(nn.Linear(3, 4, rng=seed), nn.ReLU(), nn.Linear(4, 2, rng=seed + 1))


# ----------------------------------------------------------------------------- layers


def test_linear_computes_x_at_w_plus_b_with_in_out_layout():
    layer = nn.Linear(3, 2)
    W = np.arange(6.0).reshape(3, 2)
    b = np.array([1.0, -1.0])
    layer.params = {"weight": W, "bias": b}
    X = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(layer(X), X @ W + b)
    no_bias = nn.Linear(3, 2, bias=False)
    assert sorted(no_bias.params) == ["weight"]


def test_sequential_matches_a_hand_written_forward_pass():
    model = small_model()
    p = model.params
    assert sorted(p) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    X = np.random.default_rng(0).normal(size=(5, 3))
    hidden = np.maximum(X @ p["0.weight"] + p["0.bias"], 0)
    np.testing.assert_allclose(model(X), hidden @ p["2.weight"] + p["2.bias"])


def test_apply_uses_the_given_parameters_and_leaves_the_model_alone():
    model = small_model()
    before = model.params
    zeros = {k: np.zeros_like(v) for k, v in before.items()}
    np.testing.assert_array_equal(model.apply(zeros, np.ones((2, 3))), np.zeros((2, 2)))
    for key in before:
        np.testing.assert_array_equal(model.params[key], before[key])


def test_params_setter_reaches_the_layers():
    model = small_model()
    new = {k: np.full_like(v, 0.5) for k, v in model.params.items()}
    model.params = new
    np.testing.assert_array_equal(model[2].params["weight"], np.full((4, 2), 0.5))


def test_initialize_is_seedable_and_layers_are_seedable():
    a, b = small_model(0), small_model(0)
    for key in a.params:
        np.testing.assert_array_equal(a.params[key], b.params[key])
    c = small_model(7)
    assert not np.array_equal(a.params["0.weight"], c.params["0.weight"])
    c.initialize(3)
    first = c.params["2.weight"]
    c.initialize(3)
    np.testing.assert_array_equal(first, c.params["2.weight"])


def test_activation_layers_apply_their_functions():
    x = np.array([[-1.0, 0.5, 2.0]])
    pairs = [
        (nn.Sigmoid(), nn.sigmoid(x)),
        (nn.ReLU(), nn.relu(x)),
        (nn.Tanh(), np.tanh(x)),
        (nn.LeakyReLU(0.2), nn.leaky_relu(x, 0.2)),
        (nn.ELU(0.5), nn.elu(x, 0.5)),
        (nn.Softplus(), nn.softplus(x)),
        (nn.GELU(), nn.gelu(x)),
        (nn.SiLU(), nn.silu(x)),
        (nn.GELU(approximate=False), nn.gelu(x, approximate=False)),
        (nn.Softmax(), nn.softmax(x)),
        (nn.LogSoftmax(), nn.log_softmax(x)),
    ]
    for layer, expected in pairs:
        np.testing.assert_array_equal(layer(x), expected)
        assert layer.params == {}


def test_dropout_trains_with_scaled_masks_and_evaluates_as_identity():
    layer = nn.Dropout(0.25, rng=0)
    out = layer(np.ones((200, 50)))
    kept = out != 0
    assert 0.7 < kept.mean() < 0.8
    np.testing.assert_allclose(out[kept], 1 / 0.75)
    model = nn.Sequential(nn.Linear(2, 2, rng=0), nn.Dropout(0.5, rng=1))
    model.eval()
    assert not model[1].training
    x = np.ones((3, 2))
    np.testing.assert_array_equal(model(x), model[0](x))
    model.train()
    assert model[1].training


def test_num_parameters_and_repr():
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    assert model.num_parameters() == 64 * 64 + 64 + 64 * 10 + 10
    assert "(2): Linear(in_features=64, out_features=10, bias=True)" in repr(model)


def test_layer_errors_are_clear():
    with pytest.raises(ValueError, match="in_features must be a positive integer"):
        nn.Linear(0, 3)
    with pytest.raises(TypeError, match="item 1 is a type.*parentheses"):
        nn.Sequential(nn.Linear(2, 2), nn.ReLU)
    with pytest.raises(ValueError, match=r"expects inputs with 3 features.*\(5, 2\)"):
        small_model()(np.zeros((5, 2)))
    with pytest.raises(nn.ParameterError, match="'2.bias' is missing from the parameters"):
        model = small_model()
        params = model.params
        del params["2.bias"]
        model.apply(params, np.zeros((1, 3)))
    with pytest.raises(nn.ParameterError, match=r"'0.weight' has shape \(4, 3\).*\(3, 4\)"):
        model = small_model()
        model.params = {**model.params, "0.weight": np.zeros((4, 3))}
    with pytest.raises(nn.ParameterError, match="unexpected parameter '9.weight'"):
        model = small_model()
        model.params = {**model.params, "9.weight": np.zeros(1)}
    with pytest.raises(ValueError, match="p must be a probability"):
        nn.Dropout(1.0)


def test_assigned_parameters_must_be_real_numbers():
    """As a saved file's: complex weights lost their imaginary part with only a NumPy
    warning, and the string '0.5' became the number 0.5."""
    layer = nn.Linear(2, 1, init="zeros")
    bias = np.zeros(1)
    for weight in (
        np.full((2, 1), 1 + 2j),
        np.array([["0.5"], ["1"]]),
        [[1.0], [None]],
        [[1.0], [2.0, 3.0]],
    ):
        with pytest.raises(nn.ParameterError, match="parameter 'weight'.*real numbers"):
            layer.params = {"weight": weight, "bias": bias}
    assert layer(np.ones((1, 2))).tolist() == [[0.0]]  # unchanged by the refused ones
    layer.params = {"weight": np.array([[1], [2]]), "bias": [True]}  # integers, booleans
    assert layer(np.ones((1, 2))).tolist() == [[4.0]]


def test_dropout_takes_numpy_numbers_and_initializers_take_an_int_shape():
    """np.float32(0.5) was refused as "not a probability in [0, 1)"; an int shape failed
    with "'int' object is not iterable"."""
    layer = nn.Dropout(np.float32(0.5), rng=0)
    assert set(layer(np.ones(1000)).tolist()) == {0.0, 2.0}
    for name in (
        "xavier_uniform",
        "xavier_normal",
        "he_normal",
        "he_uniform",
        "tutorial_normal",
        "zeros",
    ):
        assert getattr(nn.init, name)(3, rng=0).shape == (3,), name
    with pytest.raises(ValueError, match="positive sizes"):
        nn.init.he_normal(0)


# ----------------------------------------------------------------------------- files


def test_save_and_load_round_trip(tmp_path):
    model = nn.Sequential(
        nn.Linear(3, 4, init="he_normal", rng=0),
        nn.LeakyReLU(0.2),
        nn.Dropout(0.1),
        nn.Linear(4, 2, rng=1),
        nn.Softmax(),
    )
    path = model.save(tmp_path / "model.npz")
    assert path == tmp_path / "model.npz"
    again = nn.Module.load(path)
    assert repr(again) == repr(model)
    assert again[1].negative_slope == 0.2 and again[2].p == 0.1
    X = np.random.default_rng(1).normal(size=(4, 3))
    model.eval()
    again.eval()
    np.testing.assert_array_equal(again(X), model(X))
    into = small_structure = nn.Sequential(
        nn.Linear(3, 4), nn.LeakyReLU(0.2), nn.Dropout(0.1), nn.Linear(4, 2), nn.Softmax()
    )
    assert small_structure.load(path) is into
    np.testing.assert_array_equal(into.params["3.weight"], model.params["3.weight"])
    assert isinstance(nn.Sequential.load(path), nn.Sequential)


def test_save_appends_npz_and_writes_no_pickles(tmp_path):
    path = nn.save(nn.Linear(2, 1), tmp_path / "weights")
    assert path.name == "weights.npz" and path.exists()
    with np.load(path, allow_pickle=False) as archive:
        assert "param:weight" in archive.files
    assert isinstance(nn.load(tmp_path / "weights"), nn.Linear)


def test_loading_into_a_different_architecture_names_the_parameter(tmp_path):
    path = small_model().save(tmp_path / "m.npz")
    wider = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    with pytest.raises(
        nn.ParameterError, match=r"'0.weight' has shape \(3, 4\) in the file but \(3, 5\)"
    ):
        wider.load(path)
    deeper = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.ReLU(), nn.Linear(2, 2))
    with pytest.raises(nn.ParameterError, match="the file has no parameter '4.weight'"):
        deeper.load(path)
    with pytest.raises(nn.ParameterError, match="holds a Sequential, not a Linear"):
        nn.Linear.load(path)


def test_an_interrupted_save_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = small_model(0).save(tmp_path / "m.npz")
    original = path.read_bytes()

    def crash_midway(stream, **arrays):
        stream.write(b"PK\x03\x04 half a zip file")
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(nn_io.np, "savez", crash_midway)
    with pytest.raises(KeyboardInterrupt):
        small_model(5).save(path)
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ["m.npz"]  # no temporary file left behind
    monkeypatch.undo()
    np.testing.assert_array_equal(
        nn.load(path).params["0.weight"], small_model(0).params["0.weight"]
    )


def test_loading_something_else_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no saved model"):
        nn.load(tmp_path / "missing.npz")
    np.savez(tmp_path / "plain.npz", a=np.zeros(2))
    with pytest.raises(nn.ParameterError, match="not one written by gradkit"):
        nn.load(tmp_path / "plain.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(nn.ParameterError, match="not a gradkit model file"):
        nn.load(tmp_path / "junk.npz")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        nn.save(nn.Linear(1, 1), Path(tmp_path) / "no" / "such" / "dir.npz")
    with pytest.raises(TypeError, match="Module"):
        nn.save({"w": np.zeros(1)}, tmp_path / "x.npz")


def test_nested_sequential_prefixes_names_and_round_trips(tmp_path):
    inner = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh())
    model = nn.Sequential(inner, nn.Linear(4, 2, rng=1))
    assert sorted(model.params) == ["0.0.bias", "0.0.weight", "1.bias", "1.weight"]
    X = np.random.default_rng(2).normal(size=(3, 3))
    p = model.params
    expected = np.tanh(X @ p["0.0.weight"] + p["0.0.bias"]) @ p["1.weight"] + p["1.bias"]
    np.testing.assert_allclose(model(X), expected, rtol=1e-14)
    again = nn.Module.load(model.save(tmp_path / "nested.npz"))
    np.testing.assert_array_equal(again(X), model(X))
    model.params = {k: np.zeros_like(v) for k, v in p.items()}
    assert not inner.params["0.weight"].any()  # the inner layers hold the new values


def test_damaged_or_malformed_model_files_are_parameter_errors(tmp_path):
    """Each of these raised a raw error (BadZipFile, EOFError, TypeError on a renamed .npy,
    AttributeError/KeyError/TypeError on a bad header) or, for string parameters, loaded
    them as numbers."""
    import json

    path = nn.save(nn.Sequential(nn.Linear(2, 3, rng=0), nn.ReLU()), tmp_path / "m.npz")
    raw = path.read_bytes()
    (tmp_path / "half.npz").write_bytes(raw[: len(raw) // 2])
    (tmp_path / "empty.npz").write_bytes(b"")
    np.save(tmp_path / "one.npy", np.ones(3))
    (tmp_path / "one.npz").write_bytes((tmp_path / "one.npy").read_bytes())

    def with_header(name, header, **params):
        np.savez(tmp_path / name, __architecture__=np.array(json.dumps(header)), **params)
        return tmp_path / name

    spec = nn.Linear(1, 2).spec()
    broken = dict(spec, config=dict(spec.get("config", {}), bogus=3))
    cases = {
        "half.npz": "not a gradkit model file",
        "empty.npz": "not a gradkit model file",
        "one.npz": "holds one array",
        with_header("list.npz", [1, 2]).name: "not a gradkit header",
        with_header("nomodel.npz", {"format": nn_io.FORMAT}).name: "not a gradkit header",
        with_header(
            "bogus.npz", {"format": nn_io.FORMAT, "model": broken}
        ).name: "cannot be rebuilt",
        with_header(
            "text.npz",
            {"format": nn_io.FORMAT, "model": spec},
            **{"param:weight": np.array([["1.5", "nan"]]), "param:bias": np.array(["0", "0"])},
        ).name: "dtype <U3",
    }
    for name, message in cases.items():
        with pytest.raises(nn.ParameterError, match=message):
            nn.load(tmp_path / name)
