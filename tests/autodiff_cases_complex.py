"""Test cases for the engine: real functions computed through complex values.

Each case takes and returns real arrays, so ``tests/test_autodiff_primitives.py`` checks
it like any other (both modes, second order, finite differences, jacobians, float32); the
complex numbers live in between: ``abs``, ``real``, ``imag``, ``conj``, ``angle``, the
sign of a complex number, and products, powers and sums of complex values. Complex
inputs are tested in ``tests/test_autodiff_complex.py``.
"""

from __future__ import annotations

import numpy as np
from autodiff_cases import BROADCAST_PAIRS, ELEMENTWISE_SHAPES, Case, away_from_zero, pair, uniform

COMPLEX = [
    Case("abs(x (1+2j))", lambda x: np.abs(x * (1 + 2j)), away_from_zero(), ELEMENTWISE_SHAPES),
    Case("real(exp(1j x))", lambda x: np.real(np.exp(1j * x)), uniform(-3, 3), ELEMENTWISE_SHAPES),
    Case(
        "imag(exp(1j x) x)",
        lambda x: np.imag(np.exp(1j * x) * x),
        uniform(-3, 3),
        ELEMENTWISE_SHAPES,
    ),  # fmt: skip
    Case(
        "angle(x (1+2j) + 0.5j)",
        lambda x: np.angle(x * (1 + 2j) + 0.5j),
        uniform(-2, 2),
        ELEMENTWISE_SHAPES,
    ),  # fmt: skip
    Case(
        "angle deg",
        lambda x: np.angle(x + 1j * x**2 + 0.3j, deg=True),
        uniform(-2, 2),
        ELEMENTWISE_SHAPES,
    ),  # fmt: skip
    Case(
        "sign of complex",
        lambda x: np.imag(np.sign(x * (2 - 1j) + 0.5j)),
        uniform(-2, 2),
        ELEMENTWISE_SHAPES,
    ),  # fmt: skip
    Case(
        "conj of complex",
        lambda x: np.real(np.conjugate(x + 1j * x**2) * (1 + 2j)),
        uniform(-2, 2),
        ELEMENTWISE_SHAPES,
    ),  # fmt: skip
    Case(
        "|x + iy|",
        lambda x, y: np.abs(x + 1j * y),
        pair(away_from_zero(), away_from_zero()),
        BROADCAST_PAIRS,
        (0, 1),
    ),  # fmt: skip
    Case(
        "complex product",
        lambda x, y: np.imag((x + 2j * y) * (y - 1j * x) ** 2),
        pair(uniform(-2, 2), uniform(-2, 2)),
        BROADCAST_PAIRS,
        (0, 1),
    ),  # fmt: skip
    Case(
        "complex sum",
        lambda x: np.abs(np.sum(np.exp(1j * x) * x, axis=-1)),
        uniform(0.1, 1),
        [(3,), (2, 3)],
    ),  # fmt: skip
    Case("(1+2j) ** x", lambda x: np.real((1 + 2j) ** x), uniform(-2, 2), ELEMENTWISE_SHAPES),
    Case(
        "real_if_close",
        lambda x: np.real_if_close(np.exp(1j * x) * np.exp(-1j * x) * x**2),
        uniform(-2, 2),
        ELEMENTWISE_SHAPES,
    ),  # fmt: skip
]
