"""The design's speed workloads, each as hand-written NumPy, gradkit and the peers.

Every workload is a function ``make_<name>()`` returning a dict of zero-argument
callables: ``"numpy"`` (the baseline), ``"gradkit"``, and, when the peer is installed,
``"autograd"``, ``"torch"``, ``"jax"``. Each callable does the whole unit of work once
(one training step, one gradient, one Hessian). ``check_<name>`` asserts that gradkit and
the baseline compute the same numbers, so a speed-up can never come from a wrong answer.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

import numpy as np

import gradkit as gk


def have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _jax():
    """JAX, set to the same float64 arithmetic as the others; imported only by the
    workloads that time it, so importing this module stays cheap."""
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


# --- one SGD step through each engine's gradient -----------------------------------------
def _grad_step(grad_fn: Callable, init: list, data: tuple, lr: float) -> Callable:
    """An SGD step for an engine whose ``grad_fn(params, *data)`` returns plain arrays."""
    state = {"p": [a.copy() for a in init]}

    def step():
        p = state["p"]
        g = grad_fn(p, *data)
        state["p"] = [w - lr * dw for w, dw in zip(p, g)]

    return step


def _torch_step(loss_fn: Callable, init: list, data: tuple, lr: float) -> Callable:
    """An SGD step in PyTorch eager mode; ``loss_fn(params, *data)`` returns a tensor."""
    import torch

    tdata = [torch.tensor(d) for d in data]
    tp = [torch.tensor(a, requires_grad=True) for a in init]

    def step():
        gs = torch.autograd.grad(loss_fn(tp, *tdata), tp)
        with torch.no_grad():
            for w, dw in zip(tp, gs):
                w -= lr * dw

    return step


def _jax_step(loss_fn: Callable, init: list, data: tuple, lr: float) -> Callable:
    """An SGD step compiled with jax.jit (gradient and update in one program)."""
    jax = _jax()
    import jax.numpy as jnp

    @jax.jit
    def jstep(params, *data):
        g = jax.grad(loss_fn)(params, *data)
        return [w - lr * dw for w, dw in zip(params, g)]

    state = {"p": [jnp.asarray(a) for a in init]}
    jdata = [jnp.asarray(d) for d in data]

    def step():
        state["p"] = jstep(state["p"], *jdata)
        jax.block_until_ready(state["p"])

    return step


# --- 1. the seed's 2-4-1 sigmoid network, 100 samples, one training step ---------------
def _tutorial_data(seed: int = 42):
    rng = np.random.RandomState(seed)
    X = rng.randn(100, 2)
    y = (X[:, 0] + X[:, 1] > 0).astype(float).reshape(-1, 1)
    W1 = rng.randn(2, 4) * 0.5
    W2 = rng.randn(4, 1) * 0.5
    return X, y, [W1, np.zeros(4), W2, np.zeros(1)]


def _tiny_net_loss(params: list, X: np.ndarray, y: np.ndarray):
    """As a gradkit user writes it: the library's sigmoid, and the mean binary
    cross-entropy of sigmoid(z2) written stably from the logits."""
    W1, b1, W2, b2 = params
    a1 = gk.nn.sigmoid(X @ W1 + b1)
    z2 = a1 @ W2 + b2
    return np.mean(np.logaddexp(0.0, z2) - y * z2)


def make_tiny_net() -> dict[str, Callable]:
    """One SGD step of the tutorial's network on mean binary cross-entropy."""
    X, y, init = _tutorial_data()
    lr = 0.1
    m = X.shape[0]

    state = {"p": [a.copy() for a in init]}

    def numpy_step():
        # The tutorial's SimpleNeuralNetwork.forward + backward, verbatim in substance.
        W1, b1, W2, b2 = state["p"]
        z1 = X @ W1 + b1
        a1 = 1 / (1 + np.exp(-z1))
        z2 = a1 @ W2 + b2
        a2 = 1 / (1 + np.exp(-z2))
        dz2 = a2 - y
        dW2 = (a1.T @ dz2) / m
        db2 = np.sum(dz2, axis=0) / m
        dz1 = (dz2 @ W2.T) * (a1 * (1 - a1))
        dW1 = (X.T @ dz1) / m
        db1 = np.sum(dz1, axis=0) / m
        state["p"] = [W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2]

    out = {
        "numpy": numpy_step,
        "gradkit": _grad_step(gk.grad(_tiny_net_loss), init, (X, y), lr),
        "gradkit_jit": _grad_step(gk.jit(gk.grad(_tiny_net_loss)), init, (X, y), lr),
    }
    if have("autograd"):
        import autograd
        import autograd.numpy as anp

        def aloss(params, X, y):
            W1, b1, W2, b2 = params
            a1 = 1 / (1 + anp.exp(-(anp.dot(X, W1) + b1)))
            z2 = anp.dot(a1, W2) + b2
            return anp.mean(anp.logaddexp(0.0, z2) - y * z2)

        out["autograd"] = _grad_step(autograd.grad(aloss), init, (X, y), lr)
    if have("torch"):
        import torch

        def tloss(params, X, y):
            W1, b1, W2, b2 = params
            z2 = torch.sigmoid(X @ W1 + b1) @ W2 + b2
            return torch.nn.functional.binary_cross_entropy_with_logits(z2, y)

        out["torch"] = _torch_step(tloss, init, (X, y), lr)
    if have("jax"):
        jax = _jax()
        import jax.numpy as jnp

        def jloss(params, X, y):
            W1, b1, W2, b2 = params
            z2 = jax.nn.sigmoid(X @ W1 + b1) @ W2 + b2
            return jnp.mean(jnp.logaddexp(0.0, z2) - y * z2)

        out["jax"] = _jax_step(jloss, init, (X, y), lr)
    return out


def check_tiny_net() -> None:
    X, y, init = _tutorial_data()
    W1, b1, W2, b2 = init
    m = X.shape[0]
    a1 = 1 / (1 + np.exp(-(X @ W1 + b1)))
    a2 = 1 / (1 + np.exp(-(a1 @ W2 + b2)))
    dz2 = a2 - y
    dz1 = (dz2 @ W2.T) * (a1 * (1 - a1))
    hand = [(X.T @ dz1) / m, dz1.sum(0) / m, (a1.T @ dz2) / m, dz2.sum(0) / m]

    def loss(params):
        W1, b1, W2, b2 = params
        a1 = 1 / (1 + np.exp(-(X @ W1 + b1)))
        z2 = a1 @ W2 + b2
        return np.mean(np.logaddexp(0.0, z2) - y * z2)

    for h, g in zip(hand, gk.grad(loss)(init)):
        np.testing.assert_allclose(g, h, rtol=1e-10, atol=1e-14)
    step = gk.jit(gk.grad(_tiny_net_loss))  # the benchmark's loss, replayed
    for _ in range(3):
        for h, g in zip(hand, step(init, X, y)):
            np.testing.assert_allclose(g, h, rtol=1e-10, atol=1e-14)


# --- 2. MLP 784-256-128-10, batch 128, softmax cross-entropy, one SGD step --------------
def _mlp_data(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((128, 784))
    labels = rng.integers(0, 10, 128)
    sizes = [784, 256, 128, 10]
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        params += [rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in), np.zeros(n_out)]
    return X, labels, params


def _mlp_hand_grads(params: list, X: np.ndarray, onehot: np.ndarray) -> list:
    """The MLP's gradient written by hand: forward, then backpropagation."""
    W1, b1, W2, b2, W3, b3 = params
    n = X.shape[0]
    z1 = X @ W1 + b1
    h1 = np.maximum(z1, 0)
    z2 = h1 @ W2 + b2
    h2 = np.maximum(z2, 0)
    z3 = h2 @ W3 + b3
    e = np.exp(z3 - z3.max(axis=1, keepdims=True))
    d3 = (e / e.sum(axis=1, keepdims=True) - onehot) / n
    d2 = (d3 @ W3.T) * (z2 > 0)
    d1 = (d2 @ W2.T) * (z1 > 0)
    return [X.T @ d1, d1.sum(0), h1.T @ d2, d2.sum(0), h2.T @ d3, d3.sum(0)]


def _mlp_loss(params: list, X: np.ndarray, labels: np.ndarray):
    """As a gradkit user writes it, and as the PyTorch and JAX versions are written: the
    library's linear layer, relu and softmax cross-entropy."""
    W1, b1, W2, b2, W3, b3 = params
    h1 = gk.nn.relu(gk.nn.linear(X, W1, b1))
    h2 = gk.nn.relu(gk.nn.linear(h1, W2, b2))
    return gk.nn.cross_entropy_with_logits(gk.nn.linear(h2, W3, b3), labels)


def _mlp_loss_np_ops(params: list, X: np.ndarray, labels: np.ndarray):
    """The same loss spelled in raw NumPy operations (reported, not the target's row)."""
    W1, b1, W2, b2, W3, b3 = params
    z1 = X @ W1 + b1
    h1 = np.where(z1 > 0, z1, 0.0)
    z2 = h1 @ W2 + b2
    h2 = np.where(z2 > 0, z2, 0.0)
    z3 = h2 @ W3 + b3
    shift = gk.stop_gradient(np.max(z3, axis=1, keepdims=True))
    lse = np.log(np.sum(np.exp(z3 - shift), axis=1)) + shift[:, 0]
    return np.mean(lse - z3[np.arange(X.shape[0]), labels])


def make_mlp() -> dict[str, Callable]:
    X, labels, init = _mlp_data()
    lr = 0.01
    n = X.shape[0]
    rows = np.arange(n)
    onehot = np.eye(10)[labels]
    state = {"p": [a.copy() for a in init]}

    def numpy_step():
        grads = _mlp_hand_grads(state["p"], X, onehot)
        state["p"] = [w - lr * g for w, g in zip(state["p"], grads)]

    data = (X, labels)
    out = {
        "numpy": numpy_step,
        "gradkit": _grad_step(gk.grad(_mlp_loss), init, data, lr),
        "gradkit_np_ops": _grad_step(gk.grad(_mlp_loss_np_ops), init, data, lr),
        "gradkit_jit": _grad_step(gk.jit(gk.grad(_mlp_loss)), init, data, lr),
    }
    if have("autograd"):
        import autograd
        import autograd.numpy as anp

        def aloss(params, X, labels):
            W1, b1, W2, b2, W3, b3 = params
            h1 = anp.maximum(anp.dot(X, W1) + b1, 0.0)
            h2 = anp.maximum(anp.dot(h1, W2) + b2, 0.0)
            z3 = anp.dot(h2, W3) + b3
            lse = anp.log(anp.sum(anp.exp(z3 - anp.max(z3, axis=1, keepdims=True)), axis=1))
            lse = lse + anp.max(z3, axis=1)
            return anp.mean(lse - z3[rows, labels])

        out["autograd"] = _grad_step(autograd.grad(aloss), init, (X, labels), lr)
    if have("torch"):
        import torch

        linear = torch.nn.functional.linear  # addmm, with weights laid out (out, in)

        def tloss(params, X, labels):
            W1, b1, W2, b2, W3, b3 = params
            h1 = torch.relu(linear(X, W1, b1))
            h2 = torch.relu(linear(h1, W2, b2))
            return torch.nn.functional.cross_entropy(linear(h2, W3, b3), labels)

        torch_init = [a.T.copy() if a.ndim == 2 else a for a in init]
        out["torch"] = _torch_step(tloss, torch_init, (X, labels), lr)
    if have("jax"):
        jax = _jax()
        import jax.numpy as jnp

        def jloss(params, X, labels):
            W1, b1, W2, b2, W3, b3 = params
            h1 = jax.nn.relu(X @ W1 + b1)
            h2 = jax.nn.relu(h1 @ W2 + b2)
            logp = jax.nn.log_softmax(h2 @ W3 + b3)
            return -jnp.mean(logp[jnp.arange(logp.shape[0]), labels])

        out["jax"] = _jax_step(jloss, init, (X, labels), lr)
    return out


def check_mlp() -> None:
    """gradkit's MLP gradients (both spellings of the loss) equal the hand-written ones."""
    X, labels, init = _mlp_data()
    hand = _mlp_hand_grads(init, X, np.eye(10)[labels])
    for f in (_mlp_loss, _mlp_loss_np_ops):
        for h, g in zip(hand, gk.grad(f)(init, X, labels)):
            np.testing.assert_allclose(g, h, rtol=1e-9, atol=1e-12)
    # gk.jit's replays, at the recorded parameters and at others
    step = gk.jit(gk.grad(_mlp_loss))
    moved = [a + 0.05 * np.cos(np.arange(a.size)).reshape(a.shape) for a in init]
    for params in (init, init, moved, moved):
        hand = _mlp_hand_grads(params, X, np.eye(10)[labels])
        for h, g in zip(hand, step(params, X, labels)):
            np.testing.assert_allclose(g, h, rtol=1e-9, atol=1e-12)


# --- 3. 200 elementwise ops on a 10-vector, gradient ------------------------------------
_CHAIN = (np.sin, lambda x: x * 1.5, np.tanh, lambda x: x + 0.25, np.cos)


def chain(x, n_ops: int = 200, xp=np):
    fns = (xp.sin, lambda x: x * 1.5, xp.tanh, lambda x: x + 0.25, xp.cos)
    for k in range(n_ops - 1):
        x = fns[k % 5](x)
    return xp.sum(x)


def make_chain() -> dict[str, Callable]:
    x = np.linspace(-1.0, 1.0, 10)
    g = gk.grad(chain)
    replayed = gk.jit(g)
    out = {"numpy": lambda: chain(x), "gradkit": lambda: g(x), "gradkit_jit": lambda: replayed(x)}
    if have("autograd"):
        import autograd
        import autograd.numpy as anp

        ag = autograd.grad(lambda v: chain(v, xp=anp))
        out["autograd"] = lambda: ag(x)
    if have("torch"):
        import torch

        tx = torch.tensor(x, requires_grad=True)

        def torch_grad():
            return torch.autograd.grad(chain(tx, xp=torch), tx)

        out["torch"] = torch_grad
    if have("jax"):
        jax = _jax()
        import jax.numpy as jnp

        jg = jax.jit(jax.grad(lambda v: chain(v, xp=jnp)))
        jx = jnp.asarray(x)
        out["jax"] = lambda: jg(jx).block_until_ready()
    return out


# --- 4. Hessian of the 100-d Rosenbrock function -----------------------------------------
def rosenbrock(x, xp=np):
    return xp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_hessian(x):
    """Closed form, to check the engines against."""
    n = x.size
    H = np.zeros((n, n))
    d = np.zeros(n)
    d[:-1] += 1200 * x[:-1] ** 2 - 400 * x[1:] + 2
    d[1:] += 200
    H[np.arange(n), np.arange(n)] = d
    off = -400 * x[:-1]
    H[np.arange(n - 1), np.arange(1, n)] = off
    H[np.arange(1, n), np.arange(n - 1)] = off
    return H


def make_hessian() -> dict[str, Callable]:
    x = np.linspace(-1.2, 1.2, 100)
    h = gk.hessian(rosenbrock)
    replayed = gk.jit(h)
    out = {
        "numpy": lambda: rosenbrock_hessian(x),
        "gradkit": lambda: h(x),
        "gradkit_jit": lambda: replayed(x),
    }
    if have("autograd"):
        import autograd
        import autograd.numpy as anp

        ah = autograd.hessian(lambda v: rosenbrock(v, xp=anp))
        out["autograd"] = lambda: ah(x)
    if have("torch"):
        import torch

        tx = torch.tensor(x)
        out["torch"] = lambda: torch.func.hessian(lambda v: rosenbrock(v, xp=torch))(tx)
    if have("jax"):
        jax = _jax()
        import jax.numpy as jnp

        jh = jax.jit(jax.hessian(lambda v: rosenbrock(v, xp=jnp)))
        jx = jnp.asarray(x)
        out["jax"] = lambda: jh(jx).block_until_ready()
    return out


WORKLOADS = {
    "tiny_net": make_tiny_net,
    "mlp": make_mlp,
    "chain": make_chain,
    "hessian": make_hessian,
}
