"""gk.vmap: every primitive's batching rule against the loop it replaces, compositions with
the other transforms (checked against stacked single calls, finite differences and closed
forms), in_axes/out_axes semantics and the errors."""

from __future__ import annotations

import numpy as np
import pytest
from test_autodiff_primitives import ALL_CASES

import gradkit as gk
from gradkit.autodiff import batch_trace
from gradkit.autodiff.primitives import REGISTRY
from gradkit.autodiff.rules import complex_parts
from gradkit.autodiff.rules import linalg as rules_linalg
from gradkit.autodiff.rules.batch_rules import BATCH_REFUSED

BATCH = 3


#: NumPy-level functions whose result's shape or dtype depends on the values (a mask, a
#: rank, a real-or-complex answer, the entries kept per slice): vmap refuses them with an
#: error that says why, as gk.jit does.
READS_VALUES = {
    "x[bool mask]", "real_if_close", "lstsq x", "lstsq residuals and s",
    "quantile(traced q)", "nanmedian", "nanquantile", "nanpercentile", "piecewise",
}  # fmt: skip
#: ... and the reverse-mode rules that do (eigvals matches the vectors to the values).
GRAD_READS_VALUES = READS_VALUES | {"linalg.eigvals (real)"}


def _draws(case, spec, seed=0, n=BATCH):
    rng = np.random.default_rng(seed)
    return [tuple(np.asarray(a) for a in case.make(rng, spec)) for _ in range(n)]


def _stack(draws, k):
    return np.stack([d[k] for d in draws])


def _close(got, want, tol=1e-9):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def _call(case, draws, in_axes, axis=0):
    """vmap of the case over ``draws`` (the arguments whose in_axes entry is None taken
    from the first draw), and the stacked single calls it must equal."""
    args = [
        draws[0][k] if ax is None else np.stack([d[k] for d in draws], axis=ax)
        for k, ax in enumerate(in_axes)
    ]
    singles = [
        [d[k] if ax is not None else draws[0][k] for k, ax in enumerate(in_axes)] for d in draws
    ]
    return args, singles


@pytest.mark.parametrize("case", ALL_CASES, ids=repr)
def test_vmap_equals_stacking_single_calls(case):
    """vmap(f)(stacked) == stack(f(x) for x), with the arguments the case differentiates
    mapped (the others shared, as grad sees them constant), then with the first of them
    mapped along its last axis alone (the rules' unbatched operands)."""
    for spec in case.specs[:3]:
        draws = _draws(case, spec)
        n = len(draws[0])
        variants = [tuple(0 if k in case.argnums else None for k in range(n))]
        first = case.argnums[0]
        if np.ndim(draws[0][first]):
            variants.append(tuple(-1 if k == first else None for k in range(n)))
        for in_axes in variants:
            args, singles = _call(case, draws, in_axes)
            if case.name in READS_VALUES:
                try:
                    got = gk.vmap(case.fn, in_axes=in_axes)(*args)
                except gk.GradkitError as err:
                    assert "vmap" in str(err)
                    continue
                _close(got, np.stack([np.asarray(case.fn(*a)) for a in singles]))
                continue
            outs = [np.asarray(case.fn(*a)) for a in singles]
            if len({o.shape for o in outs}) > 1:  # a shape that depends on the values
                with pytest.raises(gk.GradkitError, match="vmap"):
                    gk.vmap(case.fn, in_axes=in_axes)(*args)
                continue
            _close(gk.vmap(case.fn, in_axes=in_axes)(*args), np.stack(outs))


@pytest.mark.parametrize("case", ALL_CASES, ids=repr)
def test_vmap_of_grad_equals_stacked_gradients(case):
    """Per-example gradients through every primitive's batched VJP rules."""
    spec = case.specs[0]
    draws = _draws(case, spec, seed=1)
    out = np.asarray(case.fn(*draws[0]))
    w = np.random.default_rng(2).standard_normal(out.shape)

    def scalar(*args):
        return np.sum(np.real(case.fn(*args)) * w)

    argnums = case.argnums
    g = gk.grad(scalar, argnums=argnums)
    in_axes = tuple(0 if k in argnums else None for k in range(len(draws[0])))
    args, singles = _call(case, draws, in_axes)
    want = [g(*a) for a in singles]
    try:
        got = gk.vmap(g, in_axes=in_axes)(*args)
    except gk.GradkitError as err:
        assert case.name in GRAD_READS_VALUES, err  # refused with a clear error
        assert "vmap" in str(err)
        return
    for j in range(len(argnums)):
        _close(got[j], np.stack([wk[j] for wk in want]), 1e-8)


def test_every_registered_primitive_has_a_batching_rule():
    """Each primitive in the registry is batched by a rule (its own or the elementwise
    one), or refused by name in BATCH_REFUSED."""
    missing = [
        name
        for name, p in REGISTRY.items()
        if getattr(p, "batch", None) is None and not p.elementwise and name not in BATCH_REFUSED
    ]
    assert missing == []


def test_every_batching_rule_is_exercised(monkeypatch):
    """The cases above reach the batching rule of every registered primitive."""
    reached = set()
    original = batch_trace.batch_rule

    def recording(prim):
        reached.add(prim.name)
        return original(prim)

    monkeypatch.setattr(batch_trace, "batch_rule", recording)
    for case in ALL_CASES:
        draws = _draws(case, case.specs[0])
        in_axes = tuple(0 if k in case.argnums else None for k in range(len(draws[0])))
        args, _ = _call(case, draws, in_axes)
        try:
            gk.vmap(case.fn, in_axes=in_axes)(*args)
            w = np.ones(np.shape(case.fn(*draws[0])))
            scalar = lambda *a, fn=case.fn, w=w: np.sum(np.real(fn(*a)) * w)  # noqa: E731
            gk.vmap(gk.grad(scalar, argnums=case.argnums), in_axes=in_axes)(*args)
        except gk.GradkitError:
            pass  # refused with a clear error (tested above)
    for fn, x in EXTRA:
        _close(gk.vmap(fn)(x), np.stack([fn(e) for e in x]))
    assert sorted(set(REGISTRY) - reached - set(BATCH_REFUSED)) == []


def _spd(n, k=BATCH, seed=3):
    a = np.random.default_rng(seed).standard_normal((k, n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


#: Primitives the NumPy-level cases reach only through a function that reads values.
EXTRA = [
    (lambda x: x.astype(np.float32).astype(np.float64) * 2, np.linspace(0, 1, 12).reshape(3, 4)),
    (lambda a: np.real(rules_linalg.logabsdet_p(a)), _spd(3)),
    (lambda a: np.real(complex_parts.logdet_p(a + 0j)), _spd(3)),
]
