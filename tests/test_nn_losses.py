"""Losses against hand-computed values, and their closed-form gradients against finite
differences (gradients against the engine are in test_nn_autodiff.py)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gradkit as gk
import gradkit.nn as nn

RAISE = {"over": "raise", "invalid": "raise", "divide": "raise"}


def numeric_gradient(f, x, h=1e-6):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        grad[index] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


# ----------------------------------------------------------------------------- values


def test_mse_value_and_gradient_by_hand():
    y_true, y_pred = np.array([[1.0], [2.0], [3.0]]), np.array([[1.5], [2.0], [1.0]])
    assert float(nn.mse_loss(y_true, y_pred)) == pytest.approx((0.25 + 0 + 4) / 3)
    np.testing.assert_allclose(nn.mse_gradient(y_true, y_pred), [[1 / 3], [0.0], [-4 / 3]])


def test_cross_entropy_is_summed_over_classes_and_averaged_over_samples():
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    p = np.array([[0.2, 0.5, 0.3], [0.8, 0.1, 0.1]])
    expected = -(math.log(0.5) + math.log(0.8)) / 2
    assert float(nn.cross_entropy_loss(y, p)) == pytest.approx(expected)
    # One distribution: the tutorial's formula L = -sum y log p and gradient -y / p.
    assert float(nn.cross_entropy_loss(y[0], p[0])) == pytest.approx(-math.log(0.5))
    np.testing.assert_allclose(nn.cross_entropy_gradient(y[0], p[0]), -y[0] / p[0])


def test_binary_cross_entropy_by_hand():
    y, p = np.array([1.0, 0.0, 1.0]), np.array([0.9, 0.2, 0.5])
    expected = -(math.log(0.9) + math.log(0.8) + math.log(0.5)) / 3
    assert float(nn.binary_cross_entropy(y, p)) == pytest.approx(expected)


@given(st.lists(st.tuples(st.floats(-30, 30), st.sampled_from([0.0, 1.0])), min_size=1, max_size=6))
def test_bce_with_logits_equals_bce_of_sigmoid(pairs):
    z = np.array([a for a, _ in pairs])
    y = np.array([b for _, b in pairs])
    # -log sigmoid(z) = log1p(exp(-z)) and -log(1 - sigmoid(z)) = log1p(exp(z)), exactly.
    direct = np.mean(
        [b * math.log1p(math.exp(-a)) + (1 - b) * math.log1p(math.exp(a)) for a, b in zip(z, y)]
    )
    assert float(nn.binary_cross_entropy_with_logits(z, y)) == pytest.approx(
        direct, rel=1e-12, abs=1e-15
    )


def test_cross_entropy_with_logits_integer_and_one_hot_labels_agree():
    z = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]])
    labels = np.array([0, 2])
    expected = np.mean(
        [
            -(2.0 - math.log(math.exp(2) + 1 + math.exp(-1))),
            -(3.0 - math.log(2 * math.exp(0.5) + math.exp(3))),
        ]
    )
    assert float(nn.cross_entropy_with_logits(z, labels)) == pytest.approx(expected)
    one_hot = np.array([[1.0, 0, 0], [0, 0, 1.0]])
    assert float(nn.cross_entropy_with_logits(z, one_hot)) == pytest.approx(expected)
    assert float(nn.cross_entropy_with_logits(z, labels.astype(float))) == pytest.approx(expected)


def test_huber_is_quadratic_inside_and_linear_outside():
    y_true = np.zeros(3)
    y_pred = np.array([0.5, -2.0, 4.0])
    expected = (0.5 * 0.25 + 1.0 * (2.0 - 0.5) + 1.0 * (4.0 - 0.5)) / 3
    assert float(nn.huber_loss(y_true, y_pred)) == pytest.approx(expected)
    assert float(nn.huber_loss(y_true, y_pred, delta=5.0)) == pytest.approx(
        float(nn.mse_loss(y_true, y_pred)) / 2
    )


# ----------------------------------------------------------------------------- stability


def test_log_of_probability_zero_is_finite_and_silent():
    with np.errstate(**RAISE):
        ce = nn.cross_entropy_loss(np.array([1.0, 0.0]), np.array([0.0, 1.0]))
        bce = nn.binary_cross_entropy(np.array([1.0, 0.0]), np.array([0.0, 1.0]))
        ce_grad = nn.cross_entropy_gradient(np.array([1.0, 0.0]), np.array([0.0, 1.0]))
        bce_grad = nn.binary_cross_entropy_gradient(np.array([1.0, 0.0]), np.array([0.0, 1.0]))
    assert float(ce) == pytest.approx(-math.log(1e-15))
    assert float(bce) == pytest.approx(-math.log(1e-15), rel=1e-4)  # 1 - 1e-15 rounds
    assert np.all(np.isfinite(ce_grad)) and np.all(np.isfinite(bce_grad))
    assert ce_grad[0] < 0 and bce_grad[0] < 0 < bce_grad[1]  # still pointing the right way


def test_logit_losses_at_1000_are_exact_and_silent():
    with np.errstate(**RAISE):
        assert float(nn.binary_cross_entropy_with_logits(np.array([1000.0]), np.array([1.0]))) == 0
        assert (
            float(nn.binary_cross_entropy_with_logits(np.array([-1000.0]), np.array([1.0])))
            == 1000.0
        )
        assert float(nn.cross_entropy_with_logits(np.array([[0.0, 1000.0]]), [0])) == 1000.0
        grad = nn.cross_entropy_with_logits_gradient(np.array([[0.0, 1000.0]]), [0])
    np.testing.assert_array_equal(grad, [[-1.0, 1.0]])


# ----------------------------------------------------------------------------- gradients

rng = np.random.default_rng(0)
Y3 = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
P3 = np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])
Z3 = rng.normal(size=(2, 3))
CASES = {
    "mse": (lambda p: nn.mse_loss(Y3, p), lambda p: nn.mse_gradient(Y3, p), P3),
    "huber": (
        lambda p: nn.huber_loss(Y3, 3 * p, delta=0.4),
        lambda p: 3 * nn.huber_gradient(Y3, 3 * p, delta=0.4),
        P3,
    ),
    "cross_entropy": (
        lambda p: nn.cross_entropy_loss(Y3, p),
        lambda p: nn.cross_entropy_gradient(Y3, p),
        P3,
    ),
    "binary_cross_entropy": (
        lambda p: nn.binary_cross_entropy(Y3, p),
        lambda p: nn.binary_cross_entropy_gradient(Y3, p),
        P3,
    ),
    "bce_with_logits": (
        lambda z: nn.binary_cross_entropy_with_logits(z, Y3),
        lambda z: nn.binary_cross_entropy_with_logits_gradient(z, Y3),
        Z3,
    ),
    "ce_with_logits": (
        lambda z: nn.cross_entropy_with_logits(z, np.array([1, 0])),
        lambda z: nn.cross_entropy_with_logits_gradient(z, np.array([1, 0])),
        Z3,
    ),
    "ce_with_soft_labels": (
        lambda z: nn.cross_entropy_with_logits(z, 0.7 * P3),
        lambda z: nn.cross_entropy_with_logits_gradient(z, 0.7 * P3),
        Z3,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_closed_form_gradient_matches_finite_differences(name):
    loss, gradient, point = CASES[name]
    np.testing.assert_allclose(
        gradient(point), numeric_gradient(lambda p: float(loss(p)), point), rtol=1e-6, atol=1e-9
    )


# ----------------------------------------------------------------------------- errors


def test_shape_mismatch_is_refused_rather_than_broadcast():
    with pytest.raises(ValueError, match=r"shape \(3,\).*\(3, 1\).*reshape"):
        nn.mse_loss(np.zeros(3), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="must match"):
        nn.cross_entropy_gradient(np.zeros(3), np.zeros(2))


def test_swapped_logit_arguments_are_reported():
    with pytest.raises(ValueError, match="swapped"):
        nn.binary_cross_entropy_with_logits(np.array([1.0, 0.0]), np.array([2.5, -3.0]))
    with pytest.raises(ValueError, match="swapped"):
        nn.cross_entropy_with_logits(np.array([[1.0, 0.0]]), np.array([[-2.0, 3.0]]))


def test_bad_class_labels_are_reported():
    z = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        nn.cross_entropy_with_logits(z, np.array([0, 3]))
    with pytest.raises(ValueError, match="whole numbers"):
        nn.cross_entropy_with_logits(z, np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="class indices of shape"):
        nn.cross_entropy_with_logits(z, np.array([0, 1, 2]))
    with pytest.raises(TypeError, match="integers"):
        nn.one_hot(np.array(["a"]), 2)
    with pytest.raises(ValueError, match="scalar"):
        nn.cross_entropy_with_logits(np.float64(1.0), np.array(0))


def test_huber_delta_must_be_positive():
    with pytest.raises(ValueError, match="delta"):
        nn.huber_loss(np.zeros(2), np.zeros(2), delta=0.0)
    with pytest.raises(ValueError, match="delta"):
        nn.huber_gradient(np.zeros(2), np.zeros(2), delta=-1.0)


def test_one_hot():
    np.testing.assert_array_equal(nn.one_hot([1, 0], 2), [[0.0, 1.0], [1.0, 0.0]])


def test_one_hot_checks_the_range_of_labels_of_any_shape() -> None:
    np.testing.assert_array_equal(nn.one_hot(np.array([[0, 2]]), 3), [[[1, 0, 0], [0, 0, 1]]])
    for bad, low, high in (
        (np.array([[0, 5]]), 0, 5),
        (np.array([[1], [-2]]), -2, 1),
        (np.int8(-1), -1, -1),
    ):
        with pytest.raises(
            ValueError,
            match=rf"lie in \[0, 3\) for 3 classes; got values "
            rf"from {low} to {high}",
        ):
            nn.one_hot(bad, 3)


def test_one_hot_of_boolean_labels_is_class_one_and_class_zero() -> None:
    # True and False are the classes 1 and 0, one row each (not a mask over np.eye's rows)
    np.testing.assert_array_equal(
        nn.one_hot(np.array([True, False, True]), 2), [[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]
    )
    np.testing.assert_array_equal(nn.one_hot([False], 3), [[1.0, 0.0, 0.0]])
    z = np.array([[0.0, 2.0], [1.0, -1.0]])
    by_bool = nn.cross_entropy_with_logits(z, np.array([True, False]))
    by_int = nn.cross_entropy_with_logits(z, np.array([1, 0]))
    assert by_bool == pytest.approx(by_int, rel=1e-15)
    g_bool = gk.grad(lambda z: nn.cross_entropy_with_logits(z, np.array([True, False])))(z)
    g_int = gk.grad(lambda z: nn.cross_entropy_with_logits(z, np.array([1, 0])))(z)
    np.testing.assert_allclose(g_bool, g_int, atol=1e-16)


def _ce_gradient_by_hand(Z: np.ndarray, T: np.ndarray) -> np.ndarray:
    """(softmax(Z) * row mass - T) / n, written out in NumPy."""
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True) * T.sum(axis=1, keepdims=True) - T) / Z.shape[0]


@pytest.mark.parametrize("kind", ["indices", "rows"])
@pytest.mark.parametrize("how", ["backward", "grad_with_aux"])
def test_a_second_cross_entropy_on_the_same_logits_leaves_the_first_ones_gradient_alone(
    kind, how
) -> None:
    # The fused loss keeps its forward pass's softmax (and its labels' positions) for the
    # backward pass; a second loss on the same logits with other labels, here never
    # differentiated, once handed its labels' positions to the first loss's backward.
    Z = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]])
    y1, y2 = np.array([0, 2]), np.array([1, 1])
    if kind == "rows":
        y1 = np.array([[0.7, 0.2, 0.1], [0.0, 0.0, 1.0]])
        y2 = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    want = _ce_gradient_by_hand(Z, y1 if kind == "rows" else np.eye(3)[y1])
    ce = gk.nn.cross_entropy_with_logits
    if how == "backward":
        z = gk.Tensor(Z, requires_grad=True)
        first = ce(z, y1)
        ce(z, y2)
        first.backward()
        got = z.grad
    else:
        got, _ = gk.grad(lambda z: (ce(z, y1), ce(z, y2)), has_aux=True)(Z)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_cross_entropy_of_an_empty_batch_is_nan_as_the_other_losses():
    """The mean over no samples is NaN (NumPy's mean, PyTorch's cross_entropy); it was
    -0.0, a loss that looks perfect. The gradient is empty, of the logits' shape."""
    empty = np.zeros((0, 10))
    for labels in (np.zeros(0, dtype=int), np.zeros((0, 10))):
        assert np.isnan(gk.nn.cross_entropy_with_logits(empty, labels))
        value, g = gk.value_and_grad(lambda z, y=labels: gk.nn.cross_entropy_with_logits(z, y))(
            empty
        )
        assert np.isnan(value) and g.shape == (0, 10)
    with pytest.warns(RuntimeWarning):  # NumPy's "mean of empty slice"
        assert np.isnan(gk.nn.mse_loss(np.zeros(0), np.zeros(0)))  # the convention it joins


def test_cross_entropy_takes_integer_labels_in_a_constant_tensor():
    """gk.Tensor(labels) without requires_grad is a constant: read as class indices, as
    torch.tensor(labels) is (it was refused as "differentiable labels")."""
    z_values = np.array([[2.0, 0.0, 0.0, 1.0], [0.0, 0.5, 0.0, 0.0], [1.0, 1.0, 3.0, 0.0]])
    labels = np.array([0, 1, 2])
    z = gk.Tensor(z_values, requires_grad=True)
    loss = gk.nn.cross_entropy_with_logits(z, gk.Tensor(labels))
    loss.backward()
    # closed form: mean over rows of logsumexp(z) - z[label]; gradient (softmax - onehot)/n
    lse = np.log(np.exp(z_values).sum(axis=1))
    assert float(loss.item()) == pytest.approx(np.mean(lse - z_values[[0, 1, 2], labels]))
    softmax = np.exp(z_values - lse[:, None])
    np.testing.assert_allclose(z.grad, (softmax - np.eye(4)[labels]) / 3, rtol=1e-12)


def test_binary_cross_entropy_with_logits_of_an_empty_batch_has_an_empty_gradient():
    """The loss of no samples is NaN, like the other losses; its gradient is empty, as in
    PyTorch. It was a ZeroDivisionError from the fused backward pass."""
    for shape in ((0,), (0, 3)):
        empty = np.zeros(shape)
        with pytest.warns(RuntimeWarning):  # NumPy's "mean of empty slice", as for mse_loss
            value, g = gk.value_and_grad(nn.binary_cross_entropy_with_logits)(empty, empty)
        assert np.isnan(value) and g.shape == shape


@pytest.mark.parametrize("wrap", [float, np.float64, np.array])
def test_binary_cross_entropy_with_logits_takes_a_single_number(wrap):
    """One logit and one label, as for every other loss; it failed in the label check
    with NumPy's "return arrays must be of ArrayType"."""
    z, y = 2.0, 0.25
    want = y * math.log1p(math.exp(-z)) + (1 - y) * math.log1p(math.exp(z))
    assert float(nn.binary_cross_entropy_with_logits(wrap(z), wrap(y))) == pytest.approx(want)
    slope = gk.grad(nn.binary_cross_entropy_with_logits)(np.float64(z), wrap(y))
    assert float(slope) == pytest.approx(1 / (1 + math.exp(-z)) - y)
    with pytest.raises(ValueError, match="swapped"):
        nn.binary_cross_entropy_with_logits(wrap(y), wrap(z))


@pytest.mark.parametrize("name", ["binary_cross_entropy", "cross_entropy_loss"])
def test_probability_losses_refuse_predictions_outside_zero_one(name):
    """Logits handed to a loss on probabilities were clipped into [eps, 1 - eps] and gave
    a loss of about 0 for confident logits (binary_cross_entropy([1], [3]) was 1e-15);
    PyTorch's binary_cross_entropy refuses them too. 0, 1 and NaN still pass."""
    loss, gradient = getattr(nn, name), getattr(nn, name.replace("_loss", "") + "_gradient")
    y = np.array([1.0, 0.0])
    for y_pred in (np.array([3.0, -2.0]), np.array([0.5, -1e-9]), np.array([1.5, 0.0])):
        for fn in (loss, gradient, lambda y, p: gk.grad(loss, argnums=1)(y, p)):
            with pytest.raises(ValueError, match=r"\[0, 1\].*logits"):
                fn(y, y_pred)
    with np.errstate(divide="ignore"):
        assert np.isfinite(loss(y, np.array([0.0, 1.0])))
    assert np.isnan(loss(y, np.array([np.nan, 0.5])))  # a diverged model shows as NaN


def test_one_hot_and_huber_check_their_numbers():
    """Both failed inside NumPy or Python (np.eye's "negative dimensions", "'>' not
    supported between str and int"), or took True for one class."""
    for k in (-1, 2.0, None, True, "3"):
        with pytest.raises((TypeError, ValueError), match="num_classes"):
            nn.one_hot([0], k)
    assert nn.one_hot([1], np.int64(2)).tolist() == [[0.0, 1.0]]
    for delta in ("1", np.array([1.0, 2.0]), None, True):
        with pytest.raises(ValueError, match="delta must be a positive number"):
            nn.huber_loss([1.0], [2.0], delta=delta)
        with pytest.raises(ValueError, match="delta must be a positive number"):
            nn.huber_gradient([1.0], [2.0], delta=delta)
    assert float(nn.huber_loss([0.0], [3.0], delta=np.float32(2.0))) == pytest.approx(4.0)
