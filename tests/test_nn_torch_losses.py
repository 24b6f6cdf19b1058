"""Losses with torch's signatures and options (gk.nn.functional.cross_entropy, ...).

Closed forms written here from the definitions, finite differences for the gradients,
and torch itself with the same inputs where it is installed (skipped otherwise).
"""

from __future__ import annotations

import fd
import numpy as np
import pytest

import gradkit as gk

F = gk.nn.functional
RNG = np.random.default_rng(7)


def _log_softmax(x, axis=1):
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def test_cross_entropy_options_equal_their_definition():
    x = RNG.standard_normal((6, 4))
    y = np.array([0, 3, -100, 1, 2, 3])
    w = np.array([0.5, 1.0, 2.0, 1.5])
    eps = 0.2
    logp = _log_softmax(x)
    keep = y != -100
    rows = np.flatnonzero(keep)
    nll = -w[y[rows]] * logp[rows, y[rows]]
    smooth = -(logp[rows] * w).sum(axis=1)
    per = (1 - eps) * nll + eps / 4 * smooth
    got = F.cross_entropy(x, y, w, ignore_index=-100, label_smoothing=eps)
    np.testing.assert_allclose(got, per.sum() / w[y[rows]].sum(), rtol=1e-13)
    np.testing.assert_allclose(
        F.cross_entropy(x, y, w, reduction="sum", label_smoothing=eps), per.sum(), rtol=1e-13
    )
    none = F.cross_entropy(x, y, w, reduction="none", label_smoothing=eps)
    np.testing.assert_allclose(none[rows], per, rtol=1e-13)
    assert none[2] == 0.0


@pytest.mark.parametrize(
    "name,fn",
    [
        (
            "cross_entropy",
            lambda x: F.cross_entropy(
                x, np.array([0, 2, 1]), np.array([1.0, 2.0, 0.5]), label_smoothing=0.1
            ),
        ),
        ("soft targets", lambda x: F.cross_entropy(x, np.full((3, 3), 1 / 3))),
        (
            "bce",
            lambda x: F.binary_cross_entropy_with_logits(
                x, np.array([[1.0, 0.0, 1.0]] * 3), pos_weight=np.array([2.0, 1.0, 0.5])
            ),
        ),
        ("smooth_l1", lambda x: F.smooth_l1_loss(x, np.zeros((3, 3)), beta=0.5)),
        (
            "kl_div",
            lambda x: F.kl_div(_log_softmax(x), np.full((3, 3), 1 / 3), reduction="batchmean"),
        ),
        ("cosine", lambda x: F.cosine_embedding_loss(x, np.ones((3, 3)), np.array([1, -1, 1]))),
        ("triplet", lambda x: F.triplet_margin_loss(x, np.ones((3, 3)), -np.ones((3, 3)), p=3)),
    ],
)
def test_loss_gradients_match_finite_differences(name, fn):
    x = RNG.standard_normal((3, 3))
    np.testing.assert_allclose(gk.grad(fn)(x), fd.gradient(fn, (x,)), rtol=1e-7, atol=1e-9)


def test_closed_forms_of_the_simple_losses():
    a, b = np.array([1.0, -2.0, 0.3]), np.array([0.0, 1.0, 0.0])
    assert F.l1_loss(a, b) == pytest.approx((1 + 3 + 0.3) / 3)
    assert F.mse_loss(a, b, reduction="sum") == pytest.approx(1 + 9 + 0.09)
    np.testing.assert_allclose(F.huber_loss(a, b, reduction="none", delta=1.0), [0.5, 2.5, 0.045])
    assert F.margin_ranking_loss(a, b, np.array([1, -1, 1]), 0.5) == pytest.approx(
        (0 + 0 + 0.2) / 3
    )


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.l1_loss(np.zeros(2), np.zeros(2), reduction="avg")
    with pytest.raises(ValueError, match=r"class indices \(integers of shape \(2,\)\)"):
        F.cross_entropy(np.zeros((2, 3)), np.array([0.5, 1.0]))
    with pytest.raises(IndexError, match=r"targets must lie in \[0, 3\)"):
        F.cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="targets must be 1 or -1"):
        F.margin_ranking_loss(np.zeros(2), np.zeros(2), np.array([0, 1]))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(np.zeros((2, 3)), np.array([0, 1]), label_smoothing=1.5)


def test_torch_parity_of_every_loss():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    torch.set_default_dtype(torch.float64)
    x, x2, x3 = (RNG.standard_normal((5, 4)) for _ in range(3))
    y = RNG.integers(0, 4, 5)
    y[1] = -100
    w = RNG.random(4) + 0.5
    p = RNG.random((5, 4))
    p /= p.sum(1, keepdims=True)
    s = np.where(RNG.random(5) > 0.5, 1, -1)
    cases = [
        ("cross_entropy", dict(weight=w, label_smoothing=0.2), (y,)),
        ("cross_entropy", dict(reduction="none", label_smoothing=0.1), (y,)),
        ("cross_entropy", dict(weight=w, label_smoothing=0.3), (p,)),
        ("nll_loss", dict(weight=w, reduction="sum"), (y,)),
        ("binary_cross_entropy_with_logits", dict(weight=w, pos_weight=2 * w), ((p > 0.25) * 1.0,)),
        ("mse_loss", {}, (x2,)),
        ("l1_loss", dict(reduction="sum"), (x2,)),
        ("smooth_l1_loss", dict(beta=0.5), (x2,)),
        ("huber_loss", dict(delta=0.7), (x2,)),
        ("kl_div", dict(reduction="batchmean"), (p,)),
        ("cosine_embedding_loss", dict(margin=0.1), (x2, s)),
        ("triplet_margin_loss", dict(margin=2.0, p=3, swap=True), (x2, x3)),
    ]
    for name, kwargs, consts in cases:
        xt = torch.tensor(x, requires_grad=True)
        t_kwargs = {
            k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()
        }
        t_out = getattr(tf, name)(xt, *(torch.tensor(c) for c in consts), **t_kwargs)
        cot = RNG.standard_normal(tuple(t_out.shape))
        (t_out * torch.tensor(cot)).sum().backward()

        def fn(v, name=name, consts=consts, kwargs=kwargs):
            return getattr(F, name)(v, *consts, **kwargs)

        np.testing.assert_allclose(
            fn(x), t_out.detach().numpy(), rtol=1e-12, atol=1e-14, err_msg=name
        )
        g = gk.grad(lambda v, fn=fn, cot=cot: np.sum(fn(v) * cot))(x)
        np.testing.assert_allclose(g, xt.grad.numpy(), rtol=1e-10, atol=1e-14, err_msg=name)
    a, b = x[:, 0].copy(), x2[:, 0].copy()
    np.testing.assert_allclose(
        F.margin_ranking_loss(a, b, s, 0.3),
        tf.margin_ranking_loss(torch.tensor(a), torch.tensor(b), torch.tensor(s), 0.3).item(),
    )
