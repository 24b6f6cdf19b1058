"""Small data sets: the tutorial's points, two moons, spirals, and real handwritten digits.

Every generator is seeded, so a call always returns the same data.

>>> X, y = tutorial_data()
>>> X.shape, y.shape, float(y.mean())
((100, 2), (100, 1), 0.44)
>>> digits = load_digits()
>>> digits["data"].shape, digits["target"][:5]
((1797, 64), array([0, 1, 2, 3, 4]))
"""

from __future__ import annotations

import functools
import gzip
import importlib.resources
import math
from typing import Any

import numpy as np

from gradkit.nn.init import RNGLike, make_rng

__all__ = ["tutorial_data", "two_moons", "spirals", "load_digits", "train_test_split"]

DIGITS_DESCRIPTION = """\
Optical recognition of handwritten digits (UCI ML repository, test set)
=======================================================================
1797 images of the digits 0-9, 8x8 pixels each with integer values 0-16 (the number of
"on" pixels in a 4x4 block of a 32x32 bitmap), written by 13 people.
'data' has shape (1797, 64) (images flattened row by row), 'images' (1797, 8, 8),
'target' holds the labels 0-9.

Creators: E. Alpaydin and C. Kaynak, 1998.
Source: https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits
(DOI 10.24432/C50P49); file copied unchanged from scikit-learn's bundled digits.csv.gz.
Licence: Creative Commons Attribution 4.0 International (CC BY 4.0),
https://creativecommons.org/licenses/by/4.0/ -- cite the creators when you use it.
"""


def _check_count(name: str, value: int, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_noise(noise: float) -> float:
    if not (isinstance(noise, (int, float)) and math.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    return float(noise)


def tutorial_data(n_samples: int = 100, seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """Return the tutorial's data: ``X`` standard normal ``(n, 2)``, ``y = (x0 + x1 > 0)``.

    With the defaults this is exactly the tutorial's ``np.random.seed(42);
    X = np.random.randn(100, 2)``, without touching NumPy's global random state.

    Args:
        n_samples: number of points.
        seed: the legacy ``RandomState`` seed (42 in the tutorial).

    Returns:
        ``(X, y)`` with ``X`` of shape ``(n, 2)`` and ``y`` float labels of shape ``(n, 1)``.

    >>> X, y = tutorial_data(3)
    >>> X[0]
    array([ 0.49671415, -0.1382643 ])
    """
    n_samples = _check_count("n_samples", n_samples)
    X = np.random.RandomState(seed).randn(n_samples, 2)
    y = (X[:, 0] + X[:, 1] > 0).astype(float).reshape(-1, 1)
    return X, y


def two_moons(
    n_samples: int = 200, noise: float = 0.1, rng: RNGLike = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Return two interleaving half circles: a classic data set no straight line separates.

    Class 0 lies on the upper unit half circle, class 1 on a lower one shifted by
    ``(1, 0.5)``; Gaussian noise of standard deviation ``noise`` is added.

    Args:
        n_samples: total number of points (class 0 gets the extra one when odd).
        noise: standard deviation of the noise.
        rng: seed or generator.

    Returns:
        ``(X, y)``: ``X`` of shape ``(n, 2)``, integer labels ``y`` of shape ``(n,)``.

    >>> X, y = two_moons(4, noise=0.0)
    >>> np.round(X, 3).tolist()
    [[1.0, 0.0], [-1.0, 0.0], [0.0, 0.5], [2.0, 0.5]]
    """
    n_samples = _check_count("n_samples", n_samples, minimum=2)
    noise = _check_noise(noise)
    n_upper = (n_samples + 1) // 2
    n_lower = n_samples - n_upper
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n_lower)
    upper = np.column_stack([np.cos(t_upper), np.sin(t_upper)])
    lower = np.column_stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)])
    X = np.concatenate([upper, lower]) + noise * make_rng(rng).standard_normal((n_samples, 2))
    y = np.concatenate([np.zeros(n_upper, dtype=np.int64), np.ones(n_lower, dtype=np.int64)])
    return X, y


def spirals(
    n_samples: int = 300,
    n_classes: int = 3,
    noise: float = 0.1,
    turns: float = 1.0,
    rng: RNGLike = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``n_classes`` interleaved spiral arms growing out from the origin.

    Arm ``c`` starts at angle ``2 pi c / n_classes``; along it the radius grows from
    0 to 1 while the angle turns ``turns`` full circles. Noise is added to the angle
    (in radians), so points stay near their own arm.

    Args:
        n_samples: total number of points, split as evenly as possible.
        n_classes: number of arms (>= 2).
        noise: standard deviation of the angular noise.
        turns: how many full turns each arm makes.
        rng: seed or generator.

    Returns:
        ``(X, y)``: ``X`` of shape ``(n, 2)`` within the unit disc, labels ``y`` ``(n,)``.

    >>> X, y = spirals(6, n_classes=2, noise=0.0)
    >>> y
    array([0, 0, 0, 1, 1, 1])
    >>> bool(np.all(np.hypot(X[:, 0], X[:, 1]) <= 1.0))
    True
    """
    n_samples = _check_count("n_samples", n_samples, minimum=2)
    n_classes = _check_count("n_classes", n_classes, minimum=2)
    noise = _check_noise(noise)
    generator = make_rng(rng)
    counts = [n_samples // n_classes + (c < n_samples % n_classes) for c in range(n_classes)]
    points, labels = [], []
    for c, count in enumerate(counts):
        radius = np.linspace(0.0, 1.0, count)
        angle = 2.0 * np.pi * (c / n_classes + turns * radius)
        angle = angle + noise * generator.standard_normal(count)
        points.append(np.column_stack([radius * np.cos(angle), radius * np.sin(angle)]))
        labels.append(np.full(count, c, dtype=np.int64))
    return np.concatenate(points), np.concatenate(labels)


@functools.lru_cache(maxsize=1)
def _digits_table() -> np.ndarray:
    resource = importlib.resources.files("gradkit.nn").joinpath("data", "digits.csv.gz")
    with resource.open("rb") as raw, gzip.open(raw, "rt") as text:
        table = np.loadtxt(text, delimiter=",", dtype=np.int64)
    table.setflags(write=False)
    return table


def load_digits() -> dict[str, Any]:
    """Return the UCI handwritten digits (CC BY 4.0) shipped inside gradkit.

    Returns:
        A dict with ``data`` (float array ``(1797, 64)``, pixel values 0-16),
        ``images`` (``(1797, 8, 8)``), ``target`` (int labels 0-9, shape ``(1797,)``),
        ``target_names`` (``0..9``) and ``description`` (origin and licence). The
        arrays are fresh copies each call, safe to modify (``images`` is a view of
        ``data``, as in scikit-learn: writing into one changes the other).

    >>> d = load_digits()
    >>> d["images"].shape, float(d["data"].max()), np.bincount(d["target"]).tolist()[:3]
    ((1797, 8, 8), 16.0, [178, 182, 177])
    >>> "CC BY 4.0" in d["description"]
    True
    """
    table = _digits_table()
    data = table[:, :64].astype(float)
    return {
        "data": data,
        "images": data.reshape(-1, 8, 8),
        "target": table[:, 64].copy(),
        "target_names": np.arange(10),
        "description": DIGITS_DESCRIPTION,
    }


def train_test_split(
    X: Any, y: Any, test_size: float = 0.25, rng: RNGLike = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return ``X_train, X_test, y_train, y_test``: a shuffled split of the rows.

    Args:
        X: inputs, samples on the first axis.
        y: targets with the same number of samples.
        test_size: fraction (0 < f < 1) or number of samples held out for testing.
        rng: seed or generator for the shuffle.

    >>> X_train, X_test, y_train, y_test = train_test_split(np.arange(8.0), np.arange(8), 0.25)
    >>> X_train.shape, X_test.shape, bool(np.all(X_test == y_test))
    ((6,), (2,), True)
    """
    X, y = np.asarray(X), np.asarray(y)
    n = len(X)
    if len(y) != n:
        raise ValueError(f"X has {n} samples but y has {len(y)}; they must match")
    if isinstance(test_size, float) and 0.0 < test_size < 1.0:
        n_test = int(round(test_size * n))
    elif isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool):
        n_test = int(test_size)
    else:
        raise ValueError(
            "test_size must be a fraction in (0, 1) or a whole number of samples, "
            f"got {test_size!r}"
        )
    if not 0 < n_test < n:
        raise ValueError(
            f"test_size={test_size!r} leaves {n_test} of {n} samples for testing; "
            "both parts must be non-empty"
        )
    order = make_rng(rng).permutation(n)
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]
