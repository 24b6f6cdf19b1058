"""The layers past the MLP: convolution, pooling, normalization, embedding, recurrent and
attention layers.

Independent answers: direct loop implementations written here (one output element at a
time, the textbook definitions), closed forms, central finite differences (tests/fd.py)
for every gradient, and -- where torch is installed -- torch itself with the same
weights (skipped otherwise).
"""

from __future__ import annotations

import fd
import numpy as np
import pytest

import gradkit as gk
from gradkit import nn
from gradkit.nn import functional as F

RNG = np.random.default_rng(20261207)


def _naive_conv2d(x, w, b, stride, pad, dil, groups):
    """Cross-correlation by its definition, one output element at a time."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    oh = (h + 2 * pad[0] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * pad[1] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    per = o // groups
    for ni in range(n):
        for oi in range(o):
            g = oi // per
            for i in range(oh):
                for j in range(ow):
                    total = 0.0 if b is None else b[oi]
                    for ci in range(cg):
                        for a in range(kh):
                            for d in range(kw):
                                total += (
                                    w[oi, ci, a, d]
                                    * xp[
                                        ni,
                                        g * cg + ci,
                                        i * stride[0] + a * dil[0],
                                        j * stride[1] + d * dil[1],
                                    ]
                                )
                    out[ni, oi, i, j] = total
    return out


@pytest.mark.parametrize(
    "stride,pad,dil,groups",
    [((1, 1), (0, 0), (1, 1), 1), ((2, 1), (1, 2), (1, 1), 1), ((1, 2), (2, 1), (2, 1), 2)],
)
def test_conv2d_equals_its_definition(stride, pad, dil, groups):
    x = RNG.standard_normal((2, 4, 7, 6))
    w = RNG.standard_normal((6, 4 // groups, 3, 2))
    b = RNG.standard_normal(6)
    got = F.conv2d(x, w, b, stride, pad, dil, groups)
    np.testing.assert_allclose(got, _naive_conv2d(x, w, b, stride, pad, dil, groups), atol=1e-12)


def test_conv1d_is_conv2d_on_a_row_and_same_padding_keeps_the_length():
    x, w = RNG.standard_normal((2, 3, 9)), RNG.standard_normal((4, 3, 4))
    expected = _naive_conv2d(x[:, :, None], w[:, :, None], None, (1, 1), (0, 0), (1, 1), 1)[:, :, 0]
    np.testing.assert_allclose(F.conv1d(x, w), expected, atol=1e-12)
    assert F.conv1d(x, w, padding="same", dilation=2).shape == (2, 4, 9)
    # torch's 'same': total padding d (k - 1), the extra element on the right
    padded = np.pad(x, ((0, 0), (0, 0), (3, 3)))
    np.testing.assert_allclose(
        F.conv1d(x, w, padding="same", dilation=2), F.conv1d(padded, w, dilation=2), atol=1e-12
    )


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    # <conv2d(x, w), y> = <x, conv_transpose2d(y, w)>: the definition of the transpose.
    for stride, pad, dil in [(1, 0, 1), (2, 1, 1), (2, 0, 2)]:
        x = RNG.standard_normal((2, 3, 9, 8))
        w = RNG.standard_normal((5, 3, 3, 3))
        y = F.conv2d(x, w, stride=stride, padding=pad, dilation=dil)
        cot = RNG.standard_normal(y.shape)
        back = F.conv_transpose2d(cot, w, stride=stride, padding=pad, dilation=dil)
        extra = np.array(x.shape[2:]) - np.array(back.shape[2:])
        back = F.conv_transpose2d(
            cot,
            w,
            stride=stride,
            padding=pad,
            dilation=dil,
            output_padding=tuple(int(e) for e in extra),
        )
        assert back.shape == x.shape
        np.testing.assert_allclose(np.sum(y * cot), np.sum(x * back), rtol=1e-12)


def _naive_pool(x, k, s, reduce):
    n, c, h, w = x.shape
    oh, ow = (h - k) // s + 1, (w - k) // s + 1
    out = np.empty((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = reduce(x[:, :, i * s : i * s + k, j * s : j * s + k], axis=(2, 3))
    return out


def test_pooling_equals_its_definition():
    x = RNG.standard_normal((2, 3, 7, 8))
    np.testing.assert_array_equal(F.max_pool2d(x, 3, 2), _naive_pool(x, 3, 2, np.max))
    np.testing.assert_allclose(F.avg_pool2d(x, 2), _naive_pool(x, 2, 2, np.mean), atol=1e-15)
    np.testing.assert_allclose(F.adaptive_avg_pool2d(x, 1)[..., 0, 0], x.mean(axis=(2, 3)))
    # padding: max pads with -inf (never chosen), avg counts the zeros (torch's default)
    padded = F.avg_pool2d(x, 3, 1, padding=1)
    np.testing.assert_allclose(padded[..., 0, 0], x[..., :2, :2].sum(axis=(2, 3)) / 9)
    assert F.max_pool2d(-np.abs(x) - 1, 3, 1, padding=1).max() < 0


def test_normalizations_have_zero_mean_unit_variance():
    x = RNG.standard_normal((4, 6, 5)) * 3 + 2
    for y, axes in [
        (F.batch_norm(x, training=True, eps=0.0), (0, 2)),
        (F.layer_norm(x, (6, 5), eps=0.0), (1, 2)),
    ]:
        np.testing.assert_allclose(y.mean(axis=axes), 0, atol=1e-12)
        np.testing.assert_allclose(y.var(axis=axes), 1, atol=1e-12)
    g = F.group_norm(x, 3, eps=0.0).reshape(4, 3, -1)
    np.testing.assert_allclose(g.var(axis=-1), 1, atol=1e-12)


def test_batch_norm_running_statistics_follow_torch_formula():
    bn = nn.BatchNorm1d(3, momentum=0.25)
    x = RNG.standard_normal((8, 3))
    bn(x)
    np.testing.assert_allclose(bn.running_mean, 0.25 * x.mean(axis=0))
    np.testing.assert_allclose(bn.running_var, 0.75 + 0.25 * x.var(axis=0, ddof=1))
    assert int(bn.num_batches_tracked) == 1
    bn.eval()
    expected = (x - bn.running_mean) / np.sqrt(bn.running_var + 1e-5)
    np.testing.assert_allclose(bn(x), expected)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn.train()(x[:1])


def test_lstm_and_gru_cells_equal_their_equations():
    x, h, c = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 4)), RNG.standard_normal((2, 4))
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    w_ih, w_hh, b = (
        RNG.standard_normal((16, 3)),
        RNG.standard_normal((16, 4)),
        RNG.standard_normal(16),
    )
    z = x @ w_ih.T + h @ w_hh.T + b
    i, f, g, o = z[:, :4], z[:, 4:8], z[:, 8:12], z[:, 12:]
    c_new = sig(f) * c + sig(i) * np.tanh(g)
    h_new, c_got = F.lstm_cell(x, (h, c), w_ih, w_hh, b, None)
    np.testing.assert_allclose(c_got, c_new, atol=1e-14)
    np.testing.assert_allclose(h_new, sig(o) * np.tanh(c_new), atol=1e-14)
    w_ih, w_hh = w_ih[:12], w_hh[:12]
    a, bh = x @ w_ih.T, h @ w_hh.T
    r, u = sig(a[:, :4] + bh[:, :4]), sig(a[:, 4:8] + bh[:, 4:8])
    n = np.tanh(a[:, 8:] + r * bh[:, 8:])
    np.testing.assert_allclose(F.gru_cell(x, h, w_ih, w_hh), (1 - u) * n + u * h, atol=1e-14)


def test_attention_equals_softmax_formula_and_causal_mask_hides_the_future():
    q, k, v = (
        RNG.standard_normal((2, 5, 4)),
        RNG.standard_normal((2, 6, 4)),
        RNG.standard_normal((2, 6, 3)),
    )
    s = q @ k.transpose(0, 2, 1) / 2.0
    w = np.exp(s - s.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    np.testing.assert_allclose(F.scaled_dot_product_attention(q, k, v), w @ v, atol=1e-14)
    q = k = RNG.standard_normal((1, 4, 4))
    v = RNG.standard_normal((1, 4, 2))
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    changed = v.copy()
    changed[0, 3] += 10.0  # the last position: only the last query may see it
    np.testing.assert_allclose(
        F.scaled_dot_product_attention(q, k, changed, is_causal=True)[0, :3], out[0, :3]
    )


def _models():
    return [
        (
            "conv",
            nn.Sequential(
                nn.Conv2d(2, 3, 3, padding=1, rng=1),
                nn.Tanh(),
                nn.MaxPool2d(2),
                nn.Flatten(),
                nn.Linear(12, 2, rng=2),
            ),
            RNG.standard_normal((2, 2, 4, 4)),
        ),
        (
            "convT",
            nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1, output_padding=1, rng=3),
            RNG.standard_normal((1, 2, 3, 3)),
        ),
        (
            "norms",
            nn.Sequential(nn.BatchNorm1d(3), nn.LayerNorm(3), nn.GroupNorm(1, 3)).eval(),
            RNG.standard_normal((4, 3)),
        ),
        (
            "lstm",
            nn.LSTM(2, 3, num_layers=2, bidirectional=True, rng=4),
            RNG.standard_normal((3, 2, 2)),
        ),
        ("gru", nn.GRU(2, 3, batch_first=True, rng=5), RNG.standard_normal((2, 3, 2))),
        ("rnn", nn.RNN(2, 3, nonlinearity="relu", rng=6), RNG.standard_normal((3, 1, 2))),
        (
            "encoder",
            nn.TransformerEncoderLayer(
                4, 2, dim_feedforward=6, dropout=0.0, batch_first=True, rng=7
            ),
            RNG.standard_normal((2, 3, 4)),
        ),
    ]


@pytest.mark.parametrize("name,model,x", _models(), ids=[m[0] for m in _models()])
def test_layer_gradients_match_finite_differences(name, model, x):
    def out(p, xx):
        y = model.apply(p, xx)
        return y[0] if isinstance(y, tuple) else y

    params = model.params
    cot = RNG.standard_normal(np.shape(out(params, x)))
    gp, gx = gk.grad(lambda p, xx: np.sum(out(p, xx) * cot), argnums=(0, 1))(params, x)
    np.testing.assert_allclose(
        gx, fd.gradient(lambda xx: np.sum(out(params, xx) * cot), (x,)), rtol=1e-6, atol=1e-8
    )
    for key in list(params)[:4]:

        def f(v, key=key):
            return np.sum(out({**params, key: v}, x) * cot)

        np.testing.assert_allclose(gp[key], fd.gradient(f, (params[key],)), rtol=1e-6, atol=1e-8)


def test_torch_state_dict_round_trip_and_linear_layout():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.ReLU(), nn.Linear(4, 2, rng=1))
    sd = model.torch_state_dict()
    assert sd["0.weight"].shape == (4, 3)  # torch's (out, in)
    np.testing.assert_array_equal(sd["0.weight"], model.params["0.weight"].T)
    other = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).load_torch_state_dict(sd)
    x = RNG.standard_normal((5, 3))
    np.testing.assert_array_equal(other(x), model(x))
    with pytest.raises(nn.ParameterError, match="'2.bias' is missing"):
        other.load_torch_state_dict({k: v for k, v in sd.items() if k != "2.bias"})
    with pytest.raises(nn.ParameterError, match="has shape"):
        other.load_torch_state_dict({**sd, "0.weight": np.zeros((3, 4))})
    with pytest.raises(nn.ParameterError, match="unexpected key 'extra'"):
        other.load_torch_state_dict({**sd, "extra": np.zeros(1)})


def test_bad_inputs_get_clear_errors():
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="smaller than the kernel"):
        F.conv2d(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 3, 3)))
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        F.conv2d(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), stride=2, padding="same")
    with pytest.raises(ValueError, match="expects inputs"):
        nn.LSTM(3, 4)(np.zeros((2, 5, 2)))
    with pytest.raises(IndexError, match=r"indices must lie in \[0, 5\)"):
        nn.Embedding(5, 2)(np.array([1, 5]))
    with pytest.raises(ValueError, match="divisible by num_heads"):
        nn.MultiheadAttention(5, 2)


def test_embedding_padding_row_gets_no_gradient():
    emb = nn.Embedding(4, 2, padding_idx=1, rng=0)
    params = {"weight": RNG.standard_normal((4, 2))}
    idx = np.array([0, 1, 1, 3])
    np.testing.assert_array_equal(emb.apply(params, idx), params["weight"][idx])
    g = gk.grad(lambda p: np.sum(emb.apply(p, idx) ** 2))(params)["weight"]
    np.testing.assert_array_equal(g[1], 0.0)
    np.testing.assert_allclose(g[0], 2 * params["weight"][0])


def test_containers_name_parameters_like_torch_and_print():
    blocks = nn.ModuleDict({"enc": nn.Linear(2, 3), "dec": nn.ModuleList([nn.Linear(3, 2)])})
    assert sorted(blocks.params) == ["dec.0.bias", "dec.0.weight", "enc.bias", "enc.weight"]
    text = repr(blocks)
    assert "(enc): Linear(in_features=2, out_features=3, bias=True)" in text
    assert "(0): Linear(in_features=3, out_features=2, bias=True)" in text
    again = nn.Module.from_spec(blocks.spec())
    assert sorted(again.param_shapes().items()) == sorted(blocks.param_shapes().items())


# --- torch, where installed -------------------------------------------------------------


def _torch():
    return pytest.importorskip("torch")


def _parity(gk_model, t_model, x, pick=lambda o: o, call_kwargs=None, train=False):
    t = _torch()
    t.set_default_dtype(t.float64)
    call_kwargs = call_kwargs or {}
    sd = {k: v.detach().numpy().copy() for k, v in t_model.state_dict().items()}
    gk_model.load_torch_state_dict(sd)
    gk_model.train(train)
    t_model.train(train)
    t_model.zero_grad()
    xt = t.tensor(x, requires_grad=True)
    t_kwargs = {k: t.tensor(v) if isinstance(v, np.ndarray) else v for k, v in call_kwargs.items()}
    t_out = pick(t_model(xt, **t_kwargs))
    cot = RNG.standard_normal(tuple(t_out.shape))
    (t_out * t.tensor(cot)).sum().backward()
    out = pick(gk_model.apply(gk_model.params, x, **call_kwargs))
    gp, gx = gk.grad(
        lambda p, xx: np.sum(pick(gk_model.apply(p, xx, **call_kwargs)) * cot), argnums=(0, 1)
    )(gk_model.params, x)
    np.testing.assert_allclose(out, t_out.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-10, atol=1e-10)
    gk_model.params = gp
    grads = gk_model.torch_state_dict()
    for name, p in t_model.named_parameters():
        np.testing.assert_allclose(
            grads[name], p.grad.numpy(), rtol=1e-10, atol=1e-10, err_msg=name
        )
    assert gk_model.num_parameters() == sum(p.numel() for p in t_model.parameters())


def test_torch_parity_cnn():
    t = _torch()
    t.set_default_dtype(t.float64)
    tm = t.nn.Sequential(
        t.nn.Conv2d(1, 4, 3, padding=1),
        t.nn.BatchNorm2d(4),
        t.nn.ReLU(),
        t.nn.MaxPool2d(2),
        t.nn.Conv2d(4, 8, 3, groups=2, stride=2, padding=1),
        t.nn.AvgPool2d(2),
        t.nn.AdaptiveAvgPool2d(1),
        t.nn.Flatten(),
        t.nn.Linear(8, 3),
    )
    gm = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3, groups=2, stride=2, padding=1),
        nn.AvgPool2d(2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, 3),
    )
    x = RNG.standard_normal((3, 1, 8, 8))
    _parity(gm, tm, x)
    _parity(gm, tm, x, train=True)
    assert repr(gm) == repr(tm)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize(
    "options", [{}, {"num_layers": 2, "batch_first": True, "bidirectional": True}]
)
def test_torch_parity_recurrent(kind, options):
    t = _torch()
    t.set_default_dtype(t.float64)
    tm, gm = getattr(t.nn, kind)(3, 4, **options), getattr(nn, kind)(3, 4, **options)
    x = RNG.standard_normal((5, 2, 3))
    _parity(gm, tm, x, pick=lambda o: o[0])
    if kind == "LSTM":
        _parity(gm, tm, x, pick=lambda o: o[1][1])
    else:
        _parity(gm, tm, x, pick=lambda o: o[1])
    _parity(gm, tm, x[:, 0], pick=lambda o: o[0])  # unbatched
    assert repr(gm) == repr(tm)


@pytest.mark.parametrize("options", [{}, {"norm_first": True, "activation": "gelu"}])
def test_torch_parity_transformer_encoder_layer(options):
    t = _torch()
    t.set_default_dtype(t.float64)
    tm = t.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True, **options)
    gm = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True, **options)
    x = RNG.standard_normal((3, 5, 8))
    _parity(gm, tm, x)
    mask = RNG.random((3, 5)) > 0.7
    mask[:, 0] = False
    _parity(gm, tm, x, call_kwargs={"src_key_padding_mask": mask})


def test_torch_parity_multihead_attention_masks():
    t = _torch()
    t.set_default_dtype(t.float64)
    tm = t.nn.MultiheadAttention(8, 2, batch_first=True)
    gm = nn.MultiheadAttention(8, 2, batch_first=True)
    gm.load_torch_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    x = RNG.standard_normal((3, 5, 8))
    pad = RNG.random((3, 5)) > 0.7
    pad[:, 0] = False
    causal = np.triu(np.ones((5, 5), dtype=bool), 1)
    out, w = gm(x, x, x, key_padding_mask=pad, attn_mask=causal)
    t_out, t_w = tm(*(t.tensor(x),) * 3, key_padding_mask=t.tensor(pad), attn_mask=t.tensor(causal))
    np.testing.assert_allclose(out, t_out.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(w, t_w.detach().numpy(), atol=1e-12)


def test_torch_parity_embedding_and_norms():
    t = _torch()
    t.set_default_dtype(t.float64)
    _parity(nn.LayerNorm(5), t.nn.LayerNorm(5), RNG.standard_normal((3, 5)))
    _parity(nn.GroupNorm(2, 4), t.nn.GroupNorm(2, 4), RNG.standard_normal((3, 4, 5)))
    _parity(nn.BatchNorm1d(4), t.nn.BatchNorm1d(4), RNG.standard_normal((3, 4, 5)), train=True)
    _parity(
        nn.Conv1d(4, 6, 3, padding="same", dilation=2),
        t.nn.Conv1d(4, 6, 3, padding="same", dilation=2),
        RNG.standard_normal((2, 4, 9)),
    )
    _parity(
        nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1),
        t.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1),
        RNG.standard_normal((2, 4, 5, 5)),
    )
    for g, tm in [
        (nn.LayerNorm(5), t.nn.LayerNorm(5)),
        (nn.GroupNorm(2, 4), t.nn.GroupNorm(2, 4)),
        (nn.Embedding(10, 4, padding_idx=2), t.nn.Embedding(10, 4, padding_idx=2)),
        (nn.MaxPool2d(2), t.nn.MaxPool2d(2)),
        (nn.AvgPool2d(2), t.nn.AvgPool2d(2)),
        (nn.Conv1d(2, 3, 4), t.nn.Conv1d(2, 3, 4)),
        (nn.Flatten(), t.nn.Flatten()),
    ]:
        assert repr(g) == repr(tm)
