"""Issue #30's seven workloads, each as hand-written NumPy, gradkit and the peers.

Every ``make_<name>()`` returns a dict of zero-argument callables that each compute the
*same gradient* (a list of arrays, or tensors for the peers): ``"numpy"`` (the
hand-written backward pass, the baseline), ``"gradkit"`` (``gk.grad``), ``"gradkit_jit"``
(``gk.jit(gk.grad)``, recorded once then replayed) and, when installed, ``"autograd"``,
``"torch"`` (eager, or ``torch.func`` where it applies) and ``"jax"``. :func:`check`
calls every callable three times (so a ``gk.jit`` replay is compared too) and asserts
each result equals the hand-written gradient, so a fast wrong answer cannot be timed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from workloads import _jax, have

import gradkit as gk

# name: (label, target ratio or None, what the target is measured against)
TARGETS = {
    "per_example": ("per-example gradients, MLP 20-64-10, 64 examples", None, "numpy"),
    "hessian500": ("Hessian n = 500 of x'Ax/2 + logsumexp(x) (vs its closed form)", None,
                   "numpy"),
    "transformer": ("attention + MLP block, post-norm, d 64, seq 32, batch 8", None, "numpy"),
    "cnn": ("two 3x3 conv layers (1->8->16) + linear, 8x1x28x28, cross-entropy", None,
            "numpy"),
    "rnn1": ("tanh RNN, hidden 64, 50 steps, batch 1", None, "numpy"),
    "rnn16": ("tanh RNN, hidden 64, 50 steps, batch 16", None, "numpy"),
    "logreg": ("logistic regression, n 10,000, d 100", None, "numpy"),
    "bigchain": ("200 elementwise ops on 1e6 elements, gradient", None, "numpy"),
}  # fmt: skip

# Workloads whose one call takes seconds: at most this many rounds.
MAX_ROUNDS = {"bigchain": 5, "hessian500": 21}


def _torch():
    import torch

    return torch


def _tt(arrays, grad: bool = False):
    torch = _torch()
    return [torch.tensor(a, requires_grad=grad) for a in arrays]


def as_arrays(result) -> list:
    """A gradient as a list of NumPy arrays, whichever library computed it."""
    if isinstance(result, (list, tuple)):
        return [np.asarray(r.detach().numpy() if hasattr(r, "detach") else r) for r in result]
    return as_arrays([result])


def check(fns: dict, name: str) -> None:
    """Every implementation's gradient equals the hand-written one (three calls each)."""
    want = as_arrays(fns["numpy"]())
    for impl, fn in fns.items():
        for call in range(3):
            got = as_arrays(fn())
            if len(got) != len(want):
                raise AssertionError(f"{name}/{impl}: {len(got)} gradients, want {len(want)}")
            for k, (g, w) in enumerate(zip(got, want)):
                scale = max(1.0, float(np.max(np.abs(w))))
                np.testing.assert_allclose(
                    g,
                    w,
                    rtol=1e-8,
                    atol=1e-11 * scale,
                    err_msg=f"{name}/{impl} call {call} grad {k}",
                )


def _gk_pair(loss: Callable, params: list, *data) -> dict:
    g = gk.grad(loss)
    jg = gk.jit(gk.grad(loss))
    return {"gradkit": lambda: g(params, *data), "gradkit_jit": lambda: jg(params, *data)}


def _torch_grad(loss: Callable, params: list, *data) -> Callable:
    torch = _torch()
    tp = _tt(params, grad=True)
    td = [torch.tensor(d) for d in data]
    return lambda: torch.autograd.grad(loss(tp, *td), tp)


# --- 1. per-example gradients, MLP 20-64-10, 64 examples --------------------------------
def _pe_data():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((64, 20))
    y = rng.integers(0, 10, 64)
    params = [rng.standard_normal((20, 64)) / np.sqrt(20), np.zeros(64),
              rng.standard_normal((64, 10)) / 8.0, np.zeros(10)]  # fmt: skip
    return params, X, y


def _pe_loss(params, x, onehot):
    """One example's softmax cross-entropy through a tanh layer. The label comes one-hot:
    an integer label is a static input to gk.jit, which would record again per label."""
    W1, b1, W2, b2 = params
    z = np.tanh(x @ W1 + b1) @ W2 + b2
    m = gk.stop_gradient(np.max(z))
    return np.log(np.sum(np.exp(z - m))) + m - np.sum(z * onehot)


def _pe_hand(params, X, y):
    W1, b1, W2, b2 = params
    H = np.tanh(X @ W1 + b1)
    Z = H @ W2 + b2
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    dZ = E / E.sum(axis=1, keepdims=True)
    dZ[np.arange(len(y)), y] -= 1.0
    dA = (dZ @ W2.T) * (1.0 - H * H)
    return [X[:, :, None] * dA[:, None, :], dA, H[:, :, None] * dZ[:, None, :], dZ]


def make_per_example() -> dict[str, Callable]:
    params, X, y = _pe_data()
    onehot = np.eye(10)[y]
    out = {"numpy": lambda: _pe_hand(params, X, y)}
    if hasattr(gk, "vmap"):  # per-example gradients as JAX spells them
        pe = gk.vmap(gk.grad(_pe_loss), in_axes=(None, 0, 0))
        jpe = gk.jit(gk.vmap(gk.grad(_pe_loss), in_axes=(None, 0, 0)))
        out["gradkit"] = lambda: pe(params, X, onehot)
        out["gradkit_jit"] = lambda: jpe(params, X, onehot)
    else:  # no gk.vmap on this branch: a Python loop over the examples, labelled so
        g, jg = gk.grad(_pe_loss), gk.jit(gk.grad(_pe_loss))

        def looped(fn):
            def run():
                per = [fn(params, X[i], onehot[i]) for i in range(len(y))]
                return [np.stack(k) for k in zip(*per)]

            return run

        out["gradkit_loop"] = looped(g)
        out["gradkit_jit_loop"] = looped(jg)
    if have("torch"):
        torch = _torch()
        from torch.func import grad, vmap

        def tloss(p, x, onehot):  # vmap cannot index by a batched label: a one-hot row
            W1, b1, W2, b2 = p
            z = torch.tanh(x @ W1 + b1) @ W2 + b2
            return torch.logsumexp(z, 0) - torch.sum(z * onehot)

        tp, tX, ty = _tt(params), torch.tensor(X), torch.tensor(onehot)
        tpe = vmap(grad(tloss), in_dims=(None, 0, 0))
        out["torch"] = lambda: tpe(tp, tX, ty)
    return out


# --- 2. Hessian of x'Ax/2 + logsumexp(x), n = 500 ----------------------------------------
def _h_data(n: int = 500):
    rng = np.random.default_rng(2)
    B = rng.standard_normal((n, n)) / np.sqrt(n)
    return B @ B.T + np.eye(n), rng.standard_normal(n)


def _h_closed(A, x):
    """The Hessian by hand: A + diag(p) - p p', p = softmax(x)."""
    p = np.exp(x - x.max())
    p /= p.sum()
    H = A - np.outer(p, p)
    H[np.diag_indices_from(H)] += p
    return H


def make_hessian500() -> dict[str, Callable]:
    A, x = _h_data()

    def f(v):
        m = gk.stop_gradient(np.max(v))
        return 0.5 * v @ (A @ v) + np.log(np.sum(np.exp(v - m))) + m

    h, jh = gk.hessian(f), gk.jit(gk.hessian(f))
    out = {"numpy": lambda: _h_closed(A, x), "gradkit": lambda: h(x), "gradkit_jit": lambda: jh(x)}
    if have("autograd"):
        import autograd
        import autograd.numpy as anp
        from autograd.scipy.special import logsumexp

        ah = autograd.hessian(lambda v: 0.5 * anp.dot(v, anp.dot(A, v)) + logsumexp(v))
        out["autograd"] = lambda: ah(x)
    if have("torch"):
        torch = _torch()
        tA, tx = torch.tensor(A), torch.tensor(x)
        th = torch.func.hessian(lambda v: 0.5 * v @ (tA @ v) + torch.logsumexp(v, 0))
        out["torch"] = lambda: th(tx)
    if have("jax"):
        jax = _jax()
        import jax.numpy as jnp

        jA, jx = jnp.asarray(A), jnp.asarray(x)
        jhess = jax.jit(jax.hessian(lambda v: 0.5 * v @ (jA @ v) + jax.nn.logsumexp(v)))
        out["jax"] = lambda: jhess(jx).block_until_ready()
    return out


# --- 3. a transformer block: attention + MLP, post-norm ----------------------------------
_EPS = 1e-5


def _tf_data():
    rng = np.random.default_rng(3)
    d, f = 64, 128
    x = rng.standard_normal((8, 32, d))
    T = rng.standard_normal((8, 32, d))
    shapes = [(d, d)] * 4 + [(d, f), (f,), (f, d), (d,)]
    params = [rng.standard_normal(s) / np.sqrt(s[0]) for s in shapes]
    return params, x, T


def _tf_loss(params, x, T):
    """Single-head attention and a ReLU MLP, each residual then layer-normalized (torch's
    default post-norm order), scored against a fixed target T."""
    Wq, Wk, Wv, Wo, W1, b1, W2, b2 = params

    def norm(r):
        c = r - np.mean(r, -1, keepdims=True)
        return c / np.sqrt(np.mean(c * c, -1, keepdims=True) + _EPS)

    s = (x @ Wq) @ np.swapaxes(x @ Wk, -1, -2) / 8.0
    e = np.exp(s - gk.stop_gradient(np.max(s, -1, keepdims=True)))
    a = e / np.sum(e, -1, keepdims=True)
    h = norm(x + (a @ (x @ Wv)) @ Wo)
    y = norm(h + np.maximum(h @ W1 + b1, 0.0) @ W2 + b2)
    return np.sum(y * T) / 256.0


def _ln(r):
    c = r - r.mean(-1, keepdims=True)
    inv = 1.0 / np.sqrt((c * c).mean(-1, keepdims=True) + _EPS)
    return c * inv, inv


def _ln_back(dy, y, inv):
    return inv * (dy - dy.mean(-1, keepdims=True) - y * (dy * y).mean(-1, keepdims=True))


def _tf_hand(params, x, T):
    Wq, Wk, Wv, Wo, W1, b1, W2, b2 = params
    d = x.shape[-1]
    q, k, v = x @ Wq, x @ Wk, x @ Wv
    s = q @ k.transpose(0, 2, 1) / 8.0
    e = np.exp(s - s.max(-1, keepdims=True))
    a = e / e.sum(-1, keepdims=True)
    o = a @ v
    h, inv1 = _ln(x + o @ Wo)
    u = h @ W1 + b1
    f = np.maximum(u, 0.0)
    y, inv2 = _ln(h + f @ W2 + b2)
    # backward
    dr2 = _ln_back(T / 256.0, y, inv2)
    flat = dr2.reshape(-1, d)
    dW2, db2 = f.reshape(-1, f.shape[-1]).T @ flat, flat.sum(0)
    du = (dr2 @ W2.T) * (u > 0)
    dW1, db1 = h.reshape(-1, d).T @ du.reshape(-1, du.shape[-1]), du.sum((0, 1))
    dr1 = _ln_back(dr2 + du @ W1.T, h, inv1)
    dWo = o.reshape(-1, d).T @ dr1.reshape(-1, d)
    do = dr1 @ Wo.T
    da = do @ v.transpose(0, 2, 1)
    dv = a.transpose(0, 2, 1) @ do
    ds = a * (da - (da * a).sum(-1, keepdims=True)) / 8.0
    dq, dk = ds @ k, ds.transpose(0, 2, 1) @ q
    x2 = x.reshape(-1, d)
    grads = [x2.T @ g.reshape(-1, d) for g in (dq, dk, dv)]
    return grads + [dWo, dW1, db1, dW2, db2]


def make_transformer() -> dict[str, Callable]:
    params, x, T = _tf_data()
    out = {"numpy": lambda: _tf_hand(params, x, T), **_gk_pair(_tf_loss, params, x, T)}
    if have("torch"):
        torch = _torch()
        F = torch.nn.functional

        def tloss(p, x, T):
            Wq, Wk, Wv, Wo, W1, b1, W2, b2 = p
            a = torch.softmax((x @ Wq) @ (x @ Wk).transpose(1, 2) / 8.0, -1)
            h = F.layer_norm(x + (a @ (x @ Wv)) @ Wo, (64,), eps=_EPS)
            y = F.layer_norm(h + torch.relu(h @ W1 + b1) @ W2 + b2, (64,), eps=_EPS)
            return torch.sum(y * T) / 256.0

        out["torch"] = _torch_grad(tloss, params, x, T)
    return out


# --- 4. a two-layer CNN ------------------------------------------------------------------
def _cnn_data():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((8, 1, 28, 28))
    labels = rng.integers(0, 10, 8)
    params = [rng.standard_normal((8, 1, 3, 3)) / 3.0, np.zeros(8),
              rng.standard_normal((16, 8, 3, 3)) / np.sqrt(72), np.zeros(16),
              rng.standard_normal((16 * 24 * 24, 10)) / 96.0, np.zeros(10)]  # fmt: skip
    return params, x, labels


def _cnn_loss(params, x, labels):
    W1, b1, W2, b2, Wl, bl = params
    conv = gk.nn.functional.conv2d
    h = gk.nn.relu(conv(gk.nn.relu(conv(x, W1, b1)), W2, b2))
    return gk.nn.cross_entropy_with_logits(h.reshape(x.shape[0], -1) @ Wl + bl, labels)


def _conv_fwd(x, W, b):
    """Valid cross-correlation as one matrix product over the im2col patches."""
    n, c, kh, kw = x.shape[0], W.shape[1], W.shape[2], W.shape[3]
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    h, w = win.shape[2:4]
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * w, c * kh * kw)  # one copy
    out = (cols @ W.reshape(W.shape[0], -1).T).reshape(n, h, w, -1)
    return out.transpose(0, 3, 1, 2) + b[:, None, None], cols


def _conv_back(dout, x, W, cols, need_dx=True):
    """The weight gradient as one product with the saved patches; the input gradient as
    one product back to patch space, then nine shifted adds (col2im)."""
    o, c, kh, kw = W.shape
    n, _, h, w = dout.shape
    d2 = dout.transpose(0, 2, 3, 1).reshape(n * h * w, o)
    dW = (d2.T @ cols).reshape(W.shape)
    db = d2.sum(0)
    if not need_dx:
        return None, dW, db
    dcols = (d2 @ W.reshape(o, -1)).reshape(n, h, w, c, kh, kw).transpose(0, 3, 4, 5, 1, 2)
    dx = np.zeros_like(x)
    for i in range(kh):
        for j in range(kw):
            dx[:, :, i : i + h, j : j + w] += dcols[:, :, i, j]
    return dx, dW, db


def _cnn_hand(params, x, labels):
    W1, b1, W2, b2, Wl, bl = params
    n = x.shape[0]
    z1, win1 = _conv_fwd(x, W1, b1)
    h1 = np.maximum(z1, 0.0)
    z2, win2 = _conv_fwd(h1, W2, b2)
    h2 = np.maximum(z2, 0.0).reshape(n, -1)
    z = h2 @ Wl + bl
    e = np.exp(z - z.max(1, keepdims=True))
    dz = e / e.sum(1, keepdims=True)
    dz[np.arange(n), labels] -= 1.0
    dz /= n
    dWl, dbl = h2.T @ dz, dz.sum(0)
    dz2 = (dz @ Wl.T).reshape(z2.shape) * (z2 > 0)
    dh1, dW2, db2 = _conv_back(dz2, h1, W2, win2)
    _, dW1, db1 = _conv_back(dh1 * (z1 > 0), x, W1, win1, need_dx=False)
    return [dW1, db1, dW2, db2, dWl, dbl]


def make_cnn() -> dict[str, Callable]:
    params, x, labels = _cnn_data()
    out = {"numpy": lambda: _cnn_hand(params, x, labels),
           **_gk_pair(_cnn_loss, params, x, labels)}  # fmt: skip
    if have("torch"):
        torch = _torch()
        F = torch.nn.functional

        def tloss(p, x, labels):
            W1, b1, W2, b2, Wl, bl = p
            h = torch.relu(F.conv2d(torch.relu(F.conv2d(x, W1, b1)), W2, b2))
            return F.cross_entropy(h.reshape(x.shape[0], -1) @ Wl + bl, labels)

        out["torch"] = _torch_grad(tloss, params, x, labels)
    return out


# --- 5. a tanh RNN, 50 steps, hidden 64, batch 1 and 16 ----------------------------------
def _rnn_data(batch: int):
    rng = np.random.default_rng(5)
    xs = rng.standard_normal((50, batch, 32))
    y = rng.standard_normal((batch, 4))
    params = [rng.standard_normal((32, 64)) / np.sqrt(32),
              rng.standard_normal((64, 64)) / 8.0, np.zeros(64),
              rng.standard_normal((64, 4)) / 8.0]  # fmt: skip
    return params, xs, y


def _rnn_loss(params, xs, y, xp=np):
    Wx, Wh, b, Wy = params
    h = xp.tanh(xs[0] @ Wx + b)
    for t in range(1, xs.shape[0]):
        h = xp.tanh(xs[t] @ Wx + h @ Wh + b)
    r = h @ Wy - y
    return 0.5 * xp.sum(r * r) / y.shape[0]


def _rnn_hand(params, xs, y):
    Wx, Wh, b, Wy = params
    hs = [np.tanh(xs[0] @ Wx + b)]
    for t in range(1, xs.shape[0]):
        hs.append(np.tanh(xs[t] @ Wx + hs[-1] @ Wh + b))
    dr = (hs[-1] @ Wy - y) / y.shape[0]
    dWy = hs[-1].T @ dr
    dh = dr @ Wy.T
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    for t in range(xs.shape[0] - 1, -1, -1):
        da = dh * (1.0 - hs[t] * hs[t])
        dWx += xs[t].T @ da
        db += da.sum(0)
        if t:
            dWh += hs[t - 1].T @ da
            dh = da @ Wh.T
    return [dWx, dWh, db, dWy]


def _make_rnn(batch: int) -> dict[str, Callable]:
    params, xs, y = _rnn_data(batch)
    out = {"numpy": lambda: _rnn_hand(params, xs, y), **_gk_pair(_rnn_loss, params, xs, y)}
    if have("autograd"):
        import autograd
        import autograd.numpy as anp

        ag = autograd.grad(lambda p: _rnn_loss(p, xs, y, xp=anp))
        out["autograd"] = lambda: ag(params)
    if have("torch"):
        torch = _torch()
        out["torch"] = _torch_grad(lambda p, xs, y: _rnn_loss(p, xs, y, xp=torch), params, xs, y)
    return out


def make_rnn1() -> dict[str, Callable]:
    return _make_rnn(1)


def make_rnn16() -> dict[str, Callable]:
    return _make_rnn(16)


# --- 6. logistic regression, n = 10,000, d = 100 ------------------------------------------
def _lr_data():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((10_000, 100))
    y = (X @ rng.standard_normal(100) + rng.standard_normal(10_000) > 0).astype(float)
    return [rng.standard_normal(100) * 0.1, np.zeros(1)], X, y


def _lr_loss(params, X, y, xp=np):
    w, b = params
    z = X @ w + b
    return xp.mean(xp.logaddexp(0.0 * z, z) - y * z)


def _lr_hand(params, X, y):
    w, b = params
    z = X @ w + b
    dz = (0.5 * (1.0 + np.tanh(0.5 * z)) - y) / y.size  # sigmoid(z) - y, stably
    return [X.T @ dz, np.array([dz.sum()])]


def make_logreg() -> dict[str, Callable]:
    params, X, y = _lr_data()
    out = {"numpy": lambda: _lr_hand(params, X, y), **_gk_pair(_lr_loss, params, X, y)}
    if have("autograd"):
        import autograd
        import autograd.numpy as anp

        ag = autograd.grad(lambda p: _lr_loss(p, X, y, xp=anp))
        out["autograd"] = lambda: ag(params)
    if have("torch"):
        torch = _torch()
        out["torch"] = _torch_grad(lambda p, X, y: _lr_loss(p, X, y, xp=torch), params, X, y)
    return out


# --- 7. the big chain: 200 elementwise ops on 1e6 elements --------------------------------
BIGCHAIN_SIZE = 10**6


def _chain(x, xp=np):
    fns = (xp.sin, lambda v: v * 1.5, xp.tanh, lambda v: v + 0.25, xp.cos)
    for k in range(199):
        x = fns[k % 5](x)
    return xp.sum(x)


def _chain_hand(x):
    """The derivative carried forward beside the value: two arrays live, not 200."""
    x, d = x.copy(), np.ones_like(x)
    tmp = np.empty_like(x)
    for k in range(199):
        op = k % 5
        if op == 0:
            d *= np.cos(x, out=tmp)
            np.sin(x, out=x)
        elif op == 1:
            x *= 1.5
            d *= 1.5
        elif op == 2:
            np.tanh(x, out=x)
            d *= 1.0 - np.multiply(x, x, out=tmp)
        elif op == 3:
            x += 0.25
        else:
            d *= -np.sin(x, out=tmp)
            np.cos(x, out=x)
    return [d]


def make_bigchain(n: int | None = None) -> dict[str, Callable]:
    x = np.linspace(-1.0, 1.0, n or BIGCHAIN_SIZE)
    g, jg = gk.grad(_chain), gk.jit(gk.grad(_chain))
    out = {"numpy": lambda: _chain_hand(x), "gradkit": lambda: g(x), "gradkit_jit": lambda: jg(x)}
    if have("autograd"):
        import autograd
        import autograd.numpy as anp

        ag = autograd.grad(lambda v: _chain(v, xp=anp))
        out["autograd"] = lambda: ag(x)
    if have("torch"):
        torch = _torch()
        out["torch"] = _torch_grad(lambda p: _chain(p[0], xp=torch), [x])
    return out


WORKLOADS = {
    "per_example": make_per_example,
    "hessian500": make_hessian500,
    "transformer": make_transformer,
    "cnn": make_cnn,
    "rnn1": make_rnn1,
    "rnn16": make_rnn16,
    "logreg": make_logreg,
    "bigchain": make_bigchain,
}
