"""np.fft on traced values: values, derivative rules, argument handling and errors.

The checks are independent of gradkit's own answers:

- values equal NumPy's own ``np.fft`` for every function, shape, ``n``/``s``, axis and
  norm drawn;
- each primitive's rules (``rules/fft.py``) satisfy the dot-product identity
  ``Re(sum(ct * J v)) == Re(sum(vjp(ct) * v))`` (JAX's convention: no conjugation), with
  ``J v`` from the forward rule and, independently, from central differences of the plain
  NumPy function along real and imaginary directions;
- the whole functions do the same through ``gk.jvp``/``gk.vjp``;
- real-valued losses built from them (Parseval's energy, a circular convolution, a
  spectral loss) have the closed-form gradients, in both modes, and second derivatives
  that match central differences.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradkit as gk
from gradkit.autodiff import numpy_fft
from gradkit.autodiff.errors import InPlaceError
from gradkit.autodiff.rules import fft as rules

NORMS = [None, "backward", "ortho", "forward"]
H = 1e-3


def central(f, x, v, h=H):
    """d/ds f(x + s v) at 0 by the five-point stencil, for complex values too."""
    return (f(x - 2 * h * v) - 8 * f(x - h * v) + 8 * f(x + h * v) - f(x + 2 * h * v)) / (12 * h)


def close(actual, expected, scale=None):
    """Equal to rounding: relative to the largest entry of ``expected`` (or ``scale``)."""
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1.0) if scale is None else scale
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-10 * scale)


def pairing(c, v):
    """How a cotangent meets a tangent: Re(sum(c * v)), with no conjugation."""
    return float(np.real(np.sum(np.asarray(c) * np.asarray(v))))


def signal(rng, shape, complex_=True):
    x = rng.standard_normal(shape)
    return x + 1j * rng.standard_normal(shape) if complex_ else x


# the primitives ---------------------------------------------------------------------------
def _check_rules(prim, x, params, rng):
    """Forward rule against central differences of ``impl``, reverse rule by the pairing,
    and the batched forward rule against one direction at a time."""
    ans = prim.impl(x, **params)
    ct = signal(rng, ans.shape, np.iscomplexobj(ans))
    directions = [rng.standard_normal(x.shape)]
    if np.iscomplexobj(x):
        directions.append(1j * rng.standard_normal(x.shape))
    (vjp,) = [rule(ct, ans, x, **params) for rule in prim.vjps]
    assert vjp.shape == x.shape
    if not np.iscomplexobj(x):
        assert vjp.dtype.kind == "f", "a real input gets a real cotangent"
    for v in directions:
        jv = prim.jvp(0, 0, v, ans, x, **params)
        close(jv, central(lambda z: prim.impl(z, **params), x, v))
        close(pairing(ct, jv), pairing(vjp, v), scale=np.sum(np.abs(ct)) * np.max(np.abs(jv)))
    stacked = np.stack(directions)
    batched = prim.jvp(1, 0, stacked, ans, x, **params)
    close(batched, np.stack([prim.jvp(0, 0, v, ans, x, **params) for v in directions]))


shapes = st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple)


@settings(deadline=None)
@given(shape=shapes, data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_c2c_rules(shape, data, seed):
    rng = np.random.default_rng(seed)
    nd = len(shape)
    axes = tuple(data.draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True)))
    params = dict(axes=axes, inverse=data.draw(st.booleans()),
                  norm=data.draw(st.sampled_from(rules.NORMS)))  # fmt: skip
    _check_rules(rules.c2c_p, signal(rng, shape, data.draw(st.booleans())), params, rng)


@settings(deadline=None)
@given(shape=shapes, data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_r2c_rules(shape, data, seed):
    rng = np.random.default_rng(seed)
    axis = data.draw(st.integers(0, len(shape) - 1))
    params = dict(axis=axis, norm=data.draw(st.sampled_from(rules.NORMS)))
    _check_rules(rules.r2c_p, signal(rng, shape, False), params, rng)


@settings(deadline=None)
@given(shape=shapes, data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_c2r_rules(shape, data, seed):
    """irfft's half spectrum: both parities of n (Nyquist bin or not), complex and real
    spectra, DC and Nyquist imaginary parts that the transform ignores."""
    rng = np.random.default_rng(seed)
    axis = data.draw(st.integers(0, len(shape) - 1))
    n = data.draw(st.integers(1, 9))
    shape = shape[:axis] + (n // 2 + 1,) + shape[axis + 1 :]
    params = dict(axis=axis, n=n, norm=data.draw(st.sampled_from(rules.NORMS)))
    _check_rules(rules.c2r_p, signal(rng, shape, data.draw(st.booleans())), params, rng)


def test_c2r_gives_no_gradient_to_the_ignored_imaginary_parts():
    """irfft ignores Im(y[0]) and, for even n, Im(y[n/2]): their cotangent is real."""
    rng = np.random.default_rng(1)
    for n in (6, 7):
        y = signal(rng, (n // 2 + 1,))
        ct = rng.standard_normal(n)
        g = rules.c2r_p.vjps[0](ct, None, y, axis=0, n=n, norm="backward")
        assert g[0].imag == 0.0
        assert (g[-1].imag == 0.0) == (n % 2 == 0)


def test_c2r_reads_only_the_real_part_of_a_complex_cotangent():
    """A real output's tangent meets only Re(c): Re(c * v) = Re(c) v for real v."""
    rng = np.random.default_rng(4)
    y, ct = signal(rng, (4,)), signal(rng, (7,))
    rule = rules.c2r_p.vjps[0]
    close(rule(ct, None, y, axis=0, n=7, norm="ortho"),
          rule(ct.real, None, y, axis=0, n=7, norm="ortho"))  # fmt: skip


@settings(deadline=None)
@given(shape=shapes, data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_resize_rules(shape, data, seed):
    rng = np.random.default_rng(seed)
    new = tuple(data.draw(st.integers(1, 6)) for _ in shape)
    _check_rules(rules.resize_p, signal(rng, shape, data.draw(st.booleans())), {"shape": new},
                 rng)  # fmt: skip


def test_bin_weights():
    np.testing.assert_array_equal(rules.bin_weights(6, np.complex128), [1, 2, 2, 1])
    np.testing.assert_array_equal(rules.bin_weights(7, np.complex128), [1, 2, 2, 2])
    np.testing.assert_array_equal(rules.bin_weights(1, np.complex128), [1])
    assert rules.bin_weights(4, np.complex64).dtype == np.float32


# the NumPy functions: values -----------------------------------------------------------------
ONE_AXIS = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
REAL_IN = {"rfft", "ihfft"}
SEVERAL_AXES = ["fftn", "ifftn", "rfftn", "irfftn", "fft2", "ifft2", "rfft2", "irfft2"]


@st.composite
def one_axis_call(draw):
    name = draw(st.sampled_from(ONE_AXIS))
    shape = draw(shapes)
    if name in ("irfft", "hfft"):  # the default n, 2 (m - 1), must be at least 1
        shape = tuple(max(k, 2) for k in shape)
    kw = {"axis": draw(st.integers(-len(shape), len(shape) - 1))}
    n = draw(st.one_of(st.none(), st.integers(1, 8)))
    if n is not None:
        kw["n"] = n
    norm = draw(st.sampled_from(NORMS + ["absent"]))
    if norm != "absent":
        kw["norm"] = norm
    return name, shape, kw


@st.composite
def several_axes_call(draw):
    name = draw(st.sampled_from(SEVERAL_AXES))
    nd = draw(st.integers(2 if name.endswith("2") else 1, 3))
    shape = tuple(draw(st.integers(2, 4)) for _ in range(nd))
    kw = {}
    if not name.endswith("2"):
        axes = draw(st.one_of(st.none(), st.lists(st.integers(-nd, nd - 1), min_size=1,
                                                  max_size=nd, unique=True)))  # fmt: skip
        if axes is not None:
            kw["axes"] = axes
    k = 2 if name.endswith("2") else len(kw.get("axes", shape))
    if draw(st.booleans()):
        if name.endswith("2") or "axes" in kw:  # s without axes is deprecated in NumPy 2
            kw["s"] = [draw(st.sampled_from([-1, 1, 2, 3, 5])) for _ in range(k)]
    norm = draw(st.sampled_from(NORMS))
    if norm is not None:
        kw["norm"] = norm
    return name, shape, kw


def _input(rng, name, shape):
    return signal(rng, shape, name not in REAL_IN and not name.startswith("rfft"))


@settings(deadline=None)
@given(call=st.one_of(one_axis_call(), several_axes_call()), seed=st.integers(0, 2**32 - 1))
def test_values_equal_numpys(call, seed):
    """The wrappers' argument handling (n, s, axes, norm) gives NumPy's own values, on
    plain arrays and on traced ones."""
    name, shape, kw = call
    x = _input(np.random.default_rng(seed), name, shape)
    expected = getattr(np.fft, name)(x, **kw)
    ours = getattr(numpy_fft, name)(x, **kw)
    assert ours.shape == expected.shape and ours.dtype == expected.dtype
    close(ours, expected)
    traced = gk.Tensor(x.real) if not np.iscomplexobj(x) else None
    if traced is not None:  # through __array_function__ dispatch
        close(np.asarray(getattr(np.fft, name)(traced, **kw)), expected)


def test_repeated_axes_transform_twice_as_numpy():
    x = signal(np.random.default_rng(0), (3, 4))
    close(numpy_fft.fftn(x, axes=(0, 0)), np.fft.fftn(x, axes=(0, 0)))
    close(numpy_fft.fftn(x, s=(5, 2), axes=(1, 1)), np.fft.fftn(x, s=(5, 2), axes=(1, 1)))
    close(numpy_fft.ifftn(x, axes=()), x)


def test_s_without_axes_warns_as_numpy_and_keeps_its_meaning():
    x = signal(np.random.default_rng(0), (3, 4))
    with pytest.warns(DeprecationWarning, match="axes"):
        ours = numpy_fft.fftn(x, s=(2, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        close(ours, np.fft.fftn(x, s=(2, 5)))


@pytest.mark.parametrize("name", ["fftshift", "ifftshift"])
@pytest.mark.parametrize("axes", [None, 0, -1, (0, 1), (1, 0, 1)])
def test_shifts_equal_numpys(name, axes):
    x = signal(np.random.default_rng(0), (5, 4))
    np.testing.assert_array_equal(getattr(numpy_fft, name)(x, axes), getattr(np.fft, name)(x, axes))
    t = np.asarray(getattr(np.fft, name)(gk.Tensor(x.real), axes))
    np.testing.assert_array_equal(t, getattr(np.fft, name)(x.real, axes))


def test_shifts_undo_each_other_and_move_the_gradient():
    # sum(P x * x) with P = fftshift, a permutation whose transpose is ifftshift: the
    # gradient is P x + P^T x
    x = np.arange(7.0)
    np.testing.assert_array_equal(gk.grad(lambda x: np.sum(np.fft.fftshift(x) * x))(x),
                                  np.fft.fftshift(x) + np.fft.ifftshift(x))  # fmt: skip
    y = gk.jvp(lambda x: np.fft.ifftshift(np.fft.fftshift(x)), (x,), (x,))[1]
    np.testing.assert_array_equal(y, x)


# the NumPy functions: derivatives of real inputs ---------------------------------------------
@settings(deadline=None)
@given(call=st.one_of(one_axis_call(), several_axes_call()), seed=st.integers(0, 2**32 - 1))
def test_real_input_derivatives(call, seed):
    """Every function on a real input: gk.jvp against central differences of NumPy's own
    function, gk.vjp by the pairing with it, both of the cotangent's real shape."""
    name, shape, kw = call
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    fn = getattr(np.fft, name)
    out = fn(x, **kw)
    v = rng.standard_normal(shape)
    ct = signal(rng, out.shape, np.iscomplexobj(out))
    value, jv = gk.jvp(lambda x: fn(x, **kw), (x,), (v,))
    close(value, out)
    close(jv, central(lambda z: fn(z, **kw), x, v))
    value, vjp_fn = gk.vjp(lambda x: fn(x, **kw), x)
    (g,) = vjp_fn(ct)
    assert g.shape == x.shape and g.dtype == x.dtype
    close(pairing(ct, jv), pairing(g, v), scale=np.sum(np.abs(ct)) * np.max(np.abs(jv)))


@pytest.mark.parametrize("norm", NORMS)
def test_fft_vjp_is_fft_of_the_cotangent(norm):
    """The DFT matrix is symmetric: the transpose of each norm's fft is itself."""
    rng = np.random.default_rng(2)
    x, ct = rng.standard_normal(6), signal(rng, 6)
    (g,) = gk.vjp(lambda x: np.fft.fft(x, norm=norm), x)[1](ct)
    close(g, np.real(np.fft.fft(ct, norm=norm)))
    (g,) = gk.vjp(lambda x: np.fft.ifft(x, norm=norm), x)[1](ct)
    close(g, np.real(np.fft.ifft(ct, norm=norm)))


@pytest.mark.parametrize("n", [3, 5, 8])
def test_rfft_jacobian_is_the_dft_rows(n):
    """jacfwd of rfft(x, n): the first n//2+1 rows of the DFT matrix, times the map that
    crops or zero-pads x to n points."""
    x = np.random.default_rng(3).standard_normal(5)
    dft = np.exp(-2j * np.pi * np.outer(np.arange(n // 2 + 1), np.arange(n)) / n)
    expected = dft @ np.eye(n, 5)  # padding: the first 5 columns; cropping: zero columns
    close(gk.jacfwd(lambda x: np.fft.rfft(x, n))(x), expected)


# errors ---------------------------------------------------------------------------------------
def test_errors_name_the_function_and_the_fix():
    t = gk.Tensor(np.ones(4))
    with pytest.raises(ValueError, match=r"np\.fft\.fft: invalid norm value 'bad'.*ortho"):
        np.fft.fft(t, norm="bad")
    with pytest.raises(ValueError, match=r"np\.fft\.ifft: invalid number of FFT data points \(0\)"):
        np.fft.ifft(t, n=0)
    with pytest.raises(TypeError, match=r"np\.fft\.rfft: the number of points must be an integer"):
        np.fft.rfft(t, n=2.5)
    with pytest.raises(np.exceptions.AxisError, match="axis 1 is out of bounds"):
        np.fft.fft(t, axis=1)
    with pytest.raises(ValueError, match=r"np\.fft\.irfft: invalid number of FFT data points"):
        np.fft.irfft(gk.Tensor(np.ones(1)))  # default n = 2 (1 - 1) = 0
    with pytest.raises(ValueError, match="shape and axes have different lengths"):
        np.fft.fftn(gk.Tensor(np.ones((2, 2))), s=(2,), axes=(0, 1))
    with pytest.raises(InPlaceError, match="out="):
        np.fft.fft(t, out=np.zeros(4, complex))
    with pytest.raises(ValueError, match="at least one dimension"):
        np.fft.fft(gk.Tensor(1.0))


def test_rfft_of_a_complex_value_is_refused_with_a_pointer_to_fft():
    with pytest.raises(TypeError, match=r"np\.fft\.rfft takes real input.*np\.fft\.fft"):
        numpy_fft.rfft(np.ones(3) + 1j)
    with pytest.raises(TypeError, match=r"np\.fft\.ihfft takes real input"):
        numpy_fft.ihfft(np.ones(3) + 1j)


# frequencies -----------------------------------------------------------------------------------
@pytest.mark.parametrize("fn, n", [(np.fft.fftfreq, 6), (np.fft.fftfreq, 7), (np.fft.rfftfreq, 6)])
def test_fftfreq_is_differentiable_in_the_spacing(fn, n):
    """fftfreq(n, d) = k / (n d) runs on a traced d as arithmetic: d/dd = -k / (n d^2)."""
    d = 0.25
    k = fn(n) * n  # the integers k
    close(gk.jacfwd(lambda d: fn(n, d))(d), -k / (n * d**2))
    close(gk.jacrev(lambda d: fn(n, d))(d), -k / (n * d**2))
    close(gk.jvp(lambda d: fn(n, d), (d,), (1.0,))[0], fn(n, d))


# complex inputs, through the engine ------------------------------------------------------------
def _of_parts(fn, **kw):
    """``fn(re + 1j * im, **kw)``: a complex input as two real ones, so the check does
    not depend on how gradients with respect to a complex input are reported."""
    return lambda re, im: fn(re + 1j * im, **kw)


@settings(deadline=None)
@given(call=st.one_of(one_axis_call(), several_axes_call()), seed=st.integers(0, 2**32 - 1))
def test_complex_input_derivatives(call, seed):
    """Every function that takes complex input, along real and imaginary directions:
    gk.jvp against central differences of NumPy's own function, gk.vjp by the pairing."""
    name, shape, kw = call
    if name in REAL_IN or name.startswith("rfft"):
        return
    rng = np.random.default_rng(seed)
    re, im = rng.standard_normal(shape), rng.standard_normal(shape)
    f = _of_parts(getattr(np.fft, name), **kw)
    out = f(re, im)
    ct = signal(rng, out.shape, np.iscomplexobj(out))
    dre, dim = rng.standard_normal(shape), rng.standard_normal(shape)
    value, jv = gk.jvp(f, (re, im), (dre, dim))
    close(value, out)
    close(jv, central(lambda s: f(re + s * dre, im + s * dim), 0.0, 1.0))
    g_re, g_im = gk.vjp(f, re, im)[1](ct)
    assert g_re.dtype.kind == g_im.dtype.kind == "f"
    scale = np.sum(np.abs(ct)) * np.max(np.abs(jv))
    close(pairing(ct, jv), pairing(g_re, dre) + pairing(g_im, dim), scale=scale)


# real-valued losses: closed forms and second order ---------------------------------------------
NORM_SCALE = {None: 0.0, "backward": 0.0, "ortho": 0.5, "forward": 1.0}  # fft scales by n^-p


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", [None, 3, 9])
def test_parseval_energy_gradient_and_hessian(norm, n):
    """sum |fft(x, m)|^2 = m^(1 - 2p) sum |x[:m]|^2 (p: the norm's power of 1/m), so the
    gradient is 2 m^(1 - 2p) x on the kept entries and 0 on the cropped ones, in both
    parts of a complex x, and the Hessian is 2 m^(1 - 2p) times the kept entries' identity."""
    rng = np.random.default_rng(5)
    re, im = rng.standard_normal(6), rng.standard_normal(6)
    m = 6 if n is None else n
    kept = (np.arange(6) < m).astype(float)
    c = 2.0 * m ** (1.0 - 2.0 * NORM_SCALE[norm])

    def energy(re, im):
        return np.sum(np.abs(np.fft.fft(re + 1j * im, n=n, norm=norm)) ** 2)

    g_re, g_im = gk.grad(energy, argnums=(0, 1))(re, im)
    close(g_re, c * kept * re)
    close(g_im, c * kept * im)
    close(gk.jvp(lambda re: energy(re, im), (re,), (kept,))[1], c * np.sum(kept * re))
    close(gk.hessian(lambda re: energy(re, im))(re), c * np.diag(kept))
    close(gk.jacfwd(gk.grad(lambda im: energy(re, im)))(im), c * np.diag(kept))


def _circulant(h):
    """C with C x the circular convolution of h and x: C[j, k] = h[(j - k) mod n]."""
    n = len(h)
    return h[(np.arange(n)[:, None] - np.arange(n)[None, :]) % n]


@pytest.mark.parametrize("n", [5, 8])
def test_circular_convolution_gradients(n):
    """real(ifft(fft(x) * fft(h))) = C_h x, and irfft(rfft(x) * rfft(h)) too: for the loss
    sum(w * (C_h x)^2) the gradient is 2 C_h^T (w * C_h x) in x, and the same with x and h
    exchanged; its Hessian in x is 2 C_h^T diag(w) C_h."""
    rng = np.random.default_rng(n)
    x, h, w = rng.standard_normal(n), rng.standard_normal(n), rng.standard_normal(n)
    cx, ch = _circulant(x), _circulant(h)

    def by_fft(x, h):
        return np.sum(w * np.real(np.fft.ifft(np.fft.fft(x) * np.fft.fft(h))) ** 2)

    def by_rfft(x, h):
        return np.sum(w * np.fft.irfft(np.fft.rfft(x) * np.fft.rfft(h), n=n) ** 2)

    for loss in (by_fft, by_rfft):
        close(loss(x, h), np.sum(w * (ch @ x) ** 2))
        gx, gh = gk.grad(loss, argnums=(0, 1))(x, h)
        close(gx, 2 * ch.T @ (w * (ch @ x)))
        close(gh, 2 * cx.T @ (w * (cx @ h)))
        close(gk.hessian(loss)(x, h), 2 * ch.T @ np.diag(w) @ ch)
        close(gk.jacrev(gk.grad(loss))(x, h), 2 * ch.T @ np.diag(w) @ ch)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", [6, 7])
def test_spectral_loss_against_the_explicit_dft_matrix(norm, n):
    """L = sum |rfft(x, norm) - t|^2 with rfft written as an explicit matrix R:
    gradient 2 Re(R^H (R x - t)), Hessian 2 Re(R^H R)."""
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n)
    t = signal(rng, n // 2 + 1)
    scale = n ** -NORM_SCALE[norm]
    r = scale * np.exp(-2j * np.pi * np.outer(np.arange(n // 2 + 1), np.arange(n)) / n)

    def loss(x):
        return np.sum(np.abs(np.fft.rfft(x, norm=norm) - t) ** 2)

    close(gk.grad(loss)(x), 2 * np.real(r.conj().T @ (r @ x - t)))
    close(gk.hessian(loss)(x), 2 * np.real(r.conj().T @ r))


@settings(deadline=None, max_examples=max(3, settings().max_examples // 3))
@given(call=st.one_of(one_axis_call(), several_axes_call()), seed=st.integers(0, 2**32 - 1))
def test_second_order_in_both_modes(call, seed):
    """A nonlinear real function of each transform (weighted squares of its real and
    imaginary parts): gk.check_grads at order 2, every mix of modes, real and complex
    inputs, against finite differences."""
    name, shape, kw = call
    fn = getattr(np.fft, name)
    rng = np.random.default_rng(seed)
    out_shape = fn(_input(rng, name, shape), **kw).shape
    wr, wi = rng.standard_normal(out_shape), rng.standard_normal(out_shape)

    def loss(y):
        return np.sum(wr * np.real(y) ** 2 + wi * np.imag(y) ** 2 + np.real(y))

    if name in REAL_IN or name.startswith("rfft"):
        gk.check_grads(lambda x: loss(fn(x, **kw)), seed=seed % 1000)(rng.standard_normal(shape))
    else:
        gk.check_grads(lambda re, im: loss(fn(re + 1j * im, **kw)), seed=seed % 1000)(
            rng.standard_normal(shape), rng.standard_normal(shape)
        )


@pytest.mark.parametrize("norm", NORMS)
def test_gradient_with_respect_to_a_complex_signal_follows_jax(norm):
    """For a real f of complex z = x + iy, gk.grad gives df/dx - i df/dy (JAX's
    convention): for Parseval's energy n^(1 - 2p) |z|^2 that is 2 n^(1 - 2p) conj(z)."""
    rng = np.random.default_rng(7)
    z = signal(rng, (3, 4))
    c = 2.0 * z.size ** (1.0 - 2.0 * NORM_SCALE[norm])
    g = gk.grad(lambda z: np.sum(np.abs(np.fft.fft2(z, norm=norm)) ** 2))(z)
    close(g, c * np.conj(z))
    g = gk.grad(lambda z: np.sum(np.abs(np.fft.ifftn(z, norm=norm)) ** 2))(z)
    close(g, 2.0 * z.size ** (2.0 * NORM_SCALE[norm] - 1.0) * np.conj(z))


def test_jit_replays_fft_gradients_for_new_inputs():
    """gk.jit records the transforms (values, n, norm fixed) and replays them: the
    gradient for a new input equals the one computed without jit, bit for bit."""
    rng = np.random.default_rng(8)
    h = rng.standard_normal((3, 4))

    def loss(x):
        spectrum = np.fft.rfft2(x, s=(3, 6), norm="ortho") * np.fft.rfft2(h, s=(3, 6))
        return np.sum(np.abs(np.fft.fftshift(spectrum)) ** 2) + np.sum(
            np.fft.irfft2(spectrum, s=(3, 6)) ** 3
        )

    fast = gk.jit(gk.grad(loss))
    fast(rng.standard_normal((3, 4)))
    for _ in range(2):
        x = rng.standard_normal((3, 4))
        np.testing.assert_array_equal(fast(x), gk.grad(loss)(x))
