"""Fidelity: generated NumPy programs give NumPy's answers under every transform.

For each program of tests/fidelity_programs.py (hypothesis, derandomized): its value
under gk.grad, gk.jvp, gk.vjp and eager Tensors equals NumPy's own to 1 ulp; its
gradient (gk.grad, eager backward) and directional derivative (gk.jvp) equal central
finite differences of the same program run on plain NumPy arrays; under gk.jit and
gk.jit(gk.grad) it gives the same answers as without jit on three inputs (the first
recorded, the others replayed).

The 1-ulp bar is per component, for complex intermediates too: their real results are
NumPy's bit for bit (gradkit computes an operator between two NumPy scalars with NumPy's
scalar math, as NumPy does; see autodiff/operator_forms.py), so no measure relative to
|z| is needed.

One family the engine cannot follow is listed in PENDING, with a test that expects a
failure (strict), so the day it is supported its test fails and says to move it to
SUPPORTED: "object arrays", NumPy computing on an array built from a list of traced
values before gradkit meets it. ``np.array([...])`` returns an ndarray whatever it holds
(NumPy offers no hook to return anything else), so with traced values it is an object
array, and NumPy's object loops compute on it: a sum adds its entries in order where
NumPy's float sum adds 8 or more pairwise, a product ``@`` multiplies and adds in order
where BLAS may fuse and reorder (last bits differ); an object array holding Python floats
has no ``np.sin`` (NumPy's TypeError); a comparison (``np.maximum``) reads the values,
which gk.jit refuses. Building such arrays ("sequences": np.array, np.asarray, nested
lists with constants, np.r_, np.c_, np.append, np.mean and np.linalg.norm of lists) is
supported: its values are NumPy's, bit for bit.
"""

from __future__ import annotations

import pytest
from fidelity_programs import (
    FAMILIES,
    Mismatch,
    check_jit,
    check_values_and_gradients,
)
from fidelity_programs import chain_programs as programs
from hypothesis import HealthCheck, Phase, given, settings

PENDING = {
    "object arrays": "NumPy's object loops on arrays built from lists of traced values",
}
SUPPORTED = tuple(f for f in FAMILIES if f not in PENDING)
#: The corpus: this many programs, every run the same ones.
CORPUS = 300

_corpus_settings = settings(
    max_examples=CORPUS,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@_corpus_settings
@given(programs(SUPPORTED))
def test_every_program_agrees_with_numpy_finite_differences_and_itself_under_jit(p) -> None:
    check_values_and_gradients(p)
    check_jit(p)


def test_the_corpus_holds_every_supported_family() -> None:
    seen: list = []

    @_corpus_settings
    @given(programs(SUPPORTED))
    def collect(p) -> None:
        seen.append(p)

    collect()
    assert len(seen) >= CORPUS
    for family in SUPPORTED:
        assert sum(family in p.families for p in seen) >= CORPUS // 20, family
    assert sum(len(p.shapes) == 2 for p in seen) >= CORPUS // 5  # programs of two inputs


@pytest.mark.parametrize("family", sorted(PENDING))
@pytest.mark.xfail(strict=True, raises=(Mismatch, Exception), reason="pending: see PENDING")
def test_a_pending_family_still_fails(family) -> None:
    # an object array comes from a sequence line first
    @settings(max_examples=200, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck),
              phases=[Phase.generate])  # fmt: skip  # (no shrinking: a failure is expected)
    @given(programs(("sequences", family)))
    def run(p) -> None:
        check_values_and_gradients(p)
        check_jit(p)

    run()


def test_the_checks_catch_a_wrong_gradient_a_wrong_value_and_a_jit_difference(monkeypatch) -> None:
    # The oracle itself: a rule made wrong on purpose is caught by each check.
    import numpy as np
    from fidelity_programs import ChainProgram as Program

    import gradkit as gk
    from gradkit.autodiff.rules import elementwise

    p = Program("def program(x0):\n    v1 = np.sin(x0)\n    return v1\n",
                {"W": np.ones(3)}, ((3,),), frozenset({"elementwise"}))  # fmt: skip
    check_values_and_gradients(p)  # right as it is
    sin = elementwise.P["sin"]
    monkeypatch.setattr(sin, "vjps", (lambda g, ans, x: g * np.cos(x) * 1.001,))
    with pytest.raises(Mismatch, match="gradient"):
        check_values_and_gradients(p)
    monkeypatch.undo()
    monkeypatch.setattr(sin, "impl", lambda x: np.sin(x) + 1e-12)
    with pytest.raises(Mismatch, match="value"):
        check_values_and_gradients(p)
    monkeypatch.undo()
    calls = []
    real_jit = gk.jit

    def drifting_jit(fun, **kw):
        jitted = real_jit(fun, **kw)

        def run(*a):
            calls.append(1)
            out = jitted(*a)
            return out * (1 + 1e-12) if len(calls) > 2 else out  # replays drift

        return run

    monkeypatch.setattr(gk, "jit", drifting_jit)
    with pytest.raises(Mismatch, match="jit"):
        check_jit(p)
