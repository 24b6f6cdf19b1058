"""gk.jit(f).source(*args): the recorded program as readable Python/NumPy source that,
where every name resolves, runs and returns what the replay returns."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk


def _run(source: str, *args, **names):
    namespace: dict = dict(names)
    exec(compile(source, "<source>", "exec"), namespace)  # noqa: S102 - our own text
    return namespace["replay"](*args)


def loss(w, x):
    return np.sum(np.tanh(x @ w) ** 2)


def test_the_source_of_a_gradient_step_runs_and_gives_the_gradient() -> None:
    rng = np.random.default_rng(0)
    w, x = rng.normal(size=3), rng.normal(size=(4, 3))
    step = gk.jit(gk.grad(loss))
    text = step.source(w, x)
    assert "np.matmul" in text and "np.tanh" in text
    assert "f0" not in text and "c0_" not in text  # every name resolved
    (got,) = _run(text, w.copy(), x.copy())
    np.testing.assert_array_equal(got, step(w, x))
    np.testing.assert_allclose(got, gk.grad(loss)(w, x), rtol=1e-15)


def test_source_records_once_and_the_calls_that_follow_replay_it() -> None:
    f = gk.jit(lambda x: np.maximum(x, 0)[1:] * 2.0)
    f.source(np.ones(3))
    assert f.recordings == [1]
    f(np.ones(3))
    f(np.arange(3.0))
    assert f.recordings == [1]


def test_small_constants_are_literals_and_large_ones_are_listed_in_the_header() -> None:
    big = np.linspace(0.0, 1.0, 50)
    small = np.array([0.5, -1.0])

    def f(x, y):
        return np.sum(x * big) + np.sum(y * small)

    x, y = np.ones(50), np.ones(2)
    text = gk.jit(f).source(x, y)
    assert "np.array([0.5, -1.0], dtype='float64')" in text
    header = [line for line in text.splitlines() if line.startswith("#   ")]
    assert len(header) == 1 and "float64 array of shape (50,)" in header[0]
    name = header[0].split()[1].rstrip(":")
    (got,) = _run(text, x, y, **{name: big})
    assert got == f(x, y)


def test_functions_without_an_import_path_are_listed_by_name() -> None:
    @gk.primitive
    def cube(x):
        return x**3

    gk.defvjp(cube, lambda g, ans, x: g * 3 * x**2)
    text = gk.jit(lambda x: np.sum(cube(x))).source(np.ones(2))
    header = [line for line in text.splitlines() if line.startswith("#   ")]
    assert any("cube" in line for line in header), text


@pytest.mark.parametrize("x", [np.float64(2.0), np.array(np.inf), np.array([1 + 2j, -0.0j])])
def test_scalars_infinities_and_complex_values_round_trip(x) -> None:
    f = gk.jit(lambda v: v * np.inf + np.float32(1.5) + 1j)
    with np.errstate(invalid="ignore"):
        text = f.source(x)
        (got,) = _run(text, np.array(x, copy=True))
        np.testing.assert_array_equal(got, f(x))


def test_source_refuses_traced_arguments() -> None:
    f = gk.jit(lambda x: x * 2.0)
    with pytest.raises(TypeError, match="source takes the arrays"):
        gk.grad(lambda x: np.sum(f.source(x) and x))(np.ones(2))
