"""Data sets and initializers: reproducibility, shapes, statistics and errors."""

import gzip
import math
from pathlib import Path

import numpy as np
import pytest

import gradkit.nn as nn
from gradkit.nn import datasets
from gradkit.nn import init as I

# ----------------------------------------------------------------------------- datasets


def test_tutorial_data_is_the_tutorials_exact_data():
    saved = np.random.get_state()
    try:
        np.random.seed(42)
        X_expected = np.random.randn(100, 2)
        after = np.random.get_state()
        X, y = datasets.tutorial_data()
        # it did not touch the global generator
        assert np.array_equal(np.random.get_state()[1], after[1])
    finally:
        np.random.set_state(saved)
    np.testing.assert_array_equal(X, X_expected)
    np.testing.assert_array_equal(y[:, 0], (X_expected[:, 0] + X_expected[:, 1] > 0) * 1.0)
    assert y.shape == (100, 1) and y.dtype == float


def test_two_moons_lie_on_their_arcs_without_noise():
    X, y = datasets.two_moons(101, noise=0.0)
    assert X.shape == (101, 2) and np.bincount(y).tolist() == [51, 50]
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert np.all(upper[:, 1] >= -1e-12) and np.all(lower[:, 1] <= 0.5 + 1e-12)


def test_generators_are_seeded():
    a = datasets.two_moons(50, rng=3)[0]
    assert np.array_equal(a, datasets.two_moons(50, rng=3)[0])
    assert not np.array_equal(a, datasets.two_moons(50, rng=4)[0])
    s1, s2 = datasets.spirals(90, rng=1), datasets.spirals(90, rng=1)
    assert np.array_equal(s1[0], s2[0]) and np.array_equal(s1[1], s2[1])


def test_spirals_arms_start_at_their_angles_and_grow_outwards():
    X, y = datasets.spirals(301, n_classes=3, noise=0.0, turns=1.0)
    assert np.bincount(y).tolist() == [101, 100, 100]
    for c in range(3):
        arm = X[y == c]
        radius = np.hypot(arm[:, 0], arm[:, 1])
        assert np.all(np.diff(radius) > 0) and radius[-1] == pytest.approx(1.0)
        # the end of arm c (radius 1, one full turn later) sits at angle 2 pi c / 3
        start = 2 * math.pi * c / 3
        np.testing.assert_allclose(arm[-1], [math.cos(start), math.sin(start)], atol=1e-12)


def test_load_digits_matches_the_raw_file():
    digits = datasets.load_digits()
    path = Path(datasets.__file__).parent / "data" / "digits.csv.gz"
    with gzip.open(path, "rt") as stream:
        first = [int(v) for v in stream.readline().split(",")]
    assert digits["data"].shape == (1797, 64) and digits["data"].dtype == float
    assert digits["target"].shape == (1797,) and digits["target"].dtype.kind == "i"
    assert digits["data"][0].tolist() == first[:64] and digits["target"][0] == first[64]
    assert digits["images"][0, 0].tolist() == first[:8]
    assert np.bincount(digits["target"]).sum() == 1797 and len(np.unique(digits["target"])) == 10
    assert digits["data"].min() == 0 and digits["data"].max() == 16
    assert "CC BY 4.0" in digits["description"] and "Alpaydin" in digits["description"]


def test_load_digits_returns_fresh_copies():
    first = datasets.load_digits()
    first["data"][:] = -1
    assert datasets.load_digits()["data"].min() == 0


def test_data_readme_names_source_and_licence():
    text = (Path(datasets.__file__).parent / "data" / "README.md").read_text()
    assert "CC BY 4.0" in text and "scikit-learn" in text and "UCI" in text


def test_train_test_split_partitions_the_rows():
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.3, rng=1)
    assert len(X_test) == 3 and len(X_train) == 7
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(10))
    np.testing.assert_array_equal(X_test[:, 0], 2 * y_test)
    assert len(datasets.train_test_split(X, y, test_size=4)[1]) == 4


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: datasets.tutorial_data(0), "n_samples"),
        (lambda: datasets.two_moons(10, noise=-1.0), "noise"),
        (lambda: datasets.spirals(10, n_classes=1), "n_classes"),
        (lambda: datasets.train_test_split(np.zeros(3), np.zeros(4)), "3 samples but y has 4"),
        (lambda: datasets.train_test_split(np.zeros(3), np.zeros(3), test_size=1.5), "test_size"),
        (lambda: datasets.train_test_split(np.zeros(3), np.zeros(3), test_size=0.01), "non-empty"),
    ],
)
def test_dataset_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ----------------------------------------------------------------------------- init


def test_initializer_scales_match_their_formulas():
    shape = (400, 300)
    bound = math.sqrt(6 / 700)
    w = I.xavier_uniform(shape, rng=0)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert np.std(I.xavier_normal(shape, rng=0)) == pytest.approx(math.sqrt(2 / 700), rel=0.02)
    assert np.std(I.he_normal(shape, rng=0)) == pytest.approx(math.sqrt(2 / 400), rel=0.02)
    assert np.abs(I.he_uniform(shape, rng=0)).max() <= math.sqrt(6 / 400)
    assert np.std(I.tutorial_normal(shape, rng=0)) == pytest.approx(0.01, rel=0.02)
    assert I.glorot_uniform is I.xavier_uniform and I.kaiming_normal is I.he_normal


def test_tutorial_normal_with_a_shared_random_state_reproduces_the_tutorial():
    saved = np.random.get_state()
    try:
        np.random.seed(42)
        np.random.randn(100, 2)
        expected = np.random.randn(2, 4) * 0.01
    finally:
        np.random.set_state(saved)
    state = np.random.RandomState(42)
    state.randn(100, 2)
    np.testing.assert_array_equal(I.tutorial_normal((2, 4), rng=state), expected)


def test_initializers_are_seedable():
    assert np.array_equal(I.he_normal((3, 3), rng=5), I.he_normal((3, 3), rng=5))
    generator = np.random.default_rng(5)
    assert not np.array_equal(
        I.he_normal((3, 3), rng=generator), I.he_normal((3, 3), rng=generator)
    )


def test_initializer_errors():
    with pytest.raises(TypeError, match="rng must be"):
        I.make_rng("seed")
    with pytest.raises(ValueError, match="positive sizes"):
        I.xavier_uniform((0, 3))
    with pytest.raises(ValueError, match="unknown initializer 'lecun'"):
        I.get_initializer("lecun")
    with pytest.raises(ValueError, match="unknown initializer"):
        nn.Linear(2, 2, init="lecun")
