"""fit: steps equal hand-computed gradient descent, minibatches are shuffled and seeded,
history is complete, NaN stops training, errors are clear, and real data is learned."""

import re
import warnings

import numpy as np
import pytest

import gradkit as gk
import gradkit.nn as nn
from gradkit.nn import datasets


def linear_problem(n=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = X @ np.array([[1.0], [-2.0], [0.5]]) + 0.3
    return X, y


def test_full_batch_sgd_step_equals_the_closed_form_mse_gradient_step():
    X, y = linear_problem()
    model = nn.Linear(3, 1, rng=0)
    w0, b0 = model.params["weight"], model.params["bias"]
    nn.fit(
        model,
        X,
        y,
        loss="mse",
        optimizer=gk.optim.sgd(0.1),
        epochs=1,
        batch_size=None,
        verbose=False,
    )
    residual = X @ w0 + b0 - y
    np.testing.assert_allclose(
        model.params["weight"], w0 - 0.1 * 2 * X.T @ residual / len(X), rtol=1e-12
    )
    np.testing.assert_allclose(
        model.params["bias"], b0 - 0.1 * 2 * residual.sum(0) / len(X), rtol=1e-12
    )


def test_minibatches_are_the_shuffled_order_of_the_seed():
    X, y = linear_problem(n=10)
    model = nn.Linear(3, 1, rng=0)
    w, b = model.params["weight"], model.params["bias"]
    nn.fit(
        model,
        X,
        y,
        loss="mse",
        optimizer=gk.optim.sgd(0.05),
        epochs=1,
        batch_size=4,
        verbose=False,
        seed=7,
    )
    order = np.random.default_rng(7).permutation(10)
    for batch in (order[:4], order[4:8], order[8:]):  # the last batch is the remainder
        residual = X[batch] @ w + b - y[batch]
        w, b = (
            w - 0.05 * 2 * X[batch].T @ residual / len(batch),
            b - 0.05 * 2 * residual.sum(0) / len(batch),
        )
    np.testing.assert_allclose(model.params["weight"], w, rtol=1e-12)
    np.testing.assert_allclose(model.params["bias"], b, rtol=1e-12)


def test_same_seed_same_run_other_seed_other_run():
    X, y = linear_problem(n=20)
    runs = []
    for seed in (1, 1, 2):
        model = nn.Linear(3, 1, rng=0)
        nn.fit(
            model,
            X,
            y,
            optimizer=gk.optim.sgd(0.05),
            epochs=2,
            batch_size=5,
            verbose=False,
            seed=seed,
        )
        runs.append(model.params["weight"])
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_history_records_every_epoch_for_plots():
    pytest.importorskip("matplotlib")  # the viz extra draws the plot
    X, y = datasets.two_moons(120, noise=0.1, rng=0)
    X_val, y_val = datasets.two_moons(40, noise=0.1, rng=1)
    model = nn.Sequential(nn.Linear(2, 16, rng=0), nn.Tanh(), nn.Linear(16, 2, rng=1))
    history = nn.fit(
        model,
        X,
        y,
        loss="cross_entropy",
        optimizer=gk.optim.adam(0.05),
        epochs=5,
        batch_size=32,
        validation=(X_val, y_val),
        verbose=False,
    )
    assert history.epochs == [1, 2, 3, 4, 5] and history.steps == 5 * 4
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "seconds"):
        assert len(history[key]) == 5
    assert history.loss[-1] < history.loss[0]
    final_loss, final_accuracy = nn.evaluate(model, X_val, y_val, loss="cross_entropy")
    assert history.val_loss[-1] == pytest.approx(final_loss)
    predictions = np.argmax(model(X_val), axis=1)
    assert history.val_accuracy[-1] == pytest.approx(np.mean(predictions == y_val))
    assert final_accuracy == history.val_accuracy[-1]
    assert not history.stopped and history.message == ""
    assert set(history.as_dict()) >= {"epoch", "loss", "val_loss"}
    gk.viz.plot_training_history(history)


def test_the_tutorial_network_as_layers_trained_by_fit():
    X, y = datasets.tutorial_data()
    model = nn.tutorial_model(rng=0)
    history = nn.fit(
        model,
        X,
        y,
        loss="binary_cross_entropy",
        optimizer=gk.optim.sgd(0.5),
        epochs=200,
        batch_size=None,
        verbose=False,
    )
    assert history.accuracy[-1] >= 0.95
    assert np.mean((model(X) > 0.5) == (y > 0.5)) == history.accuracy[-1]


def test_losses_by_name_and_by_function_and_one_hot_targets():
    X, labels = datasets.spirals(150, n_classes=3, noise=0.05, rng=0)
    one_hot = nn.one_hot(labels, 3)

    def custom(logits, target):
        return nn.cross_entropy_with_logits(logits, target)

    results = []
    for loss, target in (("cross_entropy", labels), ("cross_entropy", one_hot), (custom, labels)):
        model = nn.Sequential(nn.Linear(2, 32, rng=0), nn.ReLU(), nn.Linear(32, 3, rng=1))
        history = nn.fit(
            model,
            X,
            target,
            loss=loss,
            optimizer=gk.optim.adam(0.02),
            epochs=3,
            batch_size=50,
            verbose=False,
        )
        results.append(model.params["2.weight"])
        assert history.loss[-1] < history.loss[0]
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)
    np.testing.assert_allclose(results[0], results[2], rtol=1e-12)
    assert history.accuracy == [None] * 3  # no accuracy for a custom loss by default


def test_mse_accepts_flat_targets_and_logit_bce_works():
    X, y = datasets.tutorial_data()
    flat = y[:, 0]
    model = nn.Sequential(nn.Linear(2, 1, rng=0))
    history = nn.fit(
        model,
        X,
        flat,
        loss="binary_cross_entropy_with_logits",
        optimizer=gk.optim.sgd(1.0),
        epochs=30,
        batch_size=None,
        verbose=False,
    )
    assert history.accuracy[-1] >= 0.95  # a straight line separates x0 + x1 > 0
    history = nn.fit(
        nn.Linear(2, 1, rng=0),
        X,
        flat,
        loss="mse",
        optimizer=gk.optim.sgd(0.1),
        epochs=2,
        verbose=False,
    )
    assert history.accuracy[-1] is not None  # 0/1 targets: thresholded accuracy


def test_dropout_is_on_while_training_and_mode_is_restored():
    X, y = datasets.two_moons(64, rng=0)
    model = nn.Sequential(
        nn.Linear(2, 8, rng=0), nn.ReLU(), nn.Dropout(0.5, rng=0), nn.Linear(8, 2, rng=1)
    )
    model.eval()
    nn.fit(model, X, y, loss="cross_entropy", optimizer=gk.optim.sgd(0.1), epochs=1, verbose=False)
    assert not model.training and not model[2].training


def test_nan_loss_stops_training_and_keeps_the_last_finite_parameters():
    X, y = linear_problem()
    calls = []

    def poisoned(y_pred, target):
        value = nn.mse_loss(target, y_pred)
        if isinstance(y_pred, np.ndarray):  # an end-of-epoch evaluation, not a step
            return value
        calls.append(1)
        return value * np.nan if len(calls) == 3 else value

    model = nn.Linear(3, 1, rng=0)
    with pytest.warns(nn.TrainingDivergedWarning, match="epoch 3, step 1 of 1"):
        history = nn.fit(
            model,
            X,
            y,
            loss=poisoned,
            optimizer=gk.optim.sgd(0.1),
            epochs=10,
            batch_size=None,
            verbose=False,
        )
    assert history.stopped and "nan" in history.message and "last step" in history.message
    assert len(history.loss) == 2 and history.steps == 2
    # losses were finite at the initial parameters and after one step; keep the latter
    reference = nn.Linear(3, 1, rng=0)
    nn.fit(
        reference,
        X,
        y,
        loss="mse",
        optimizer=gk.optim.sgd(0.1),
        epochs=1,
        batch_size=None,
        verbose=False,
    )
    np.testing.assert_array_equal(model.params["weight"], reference.params["weight"])


def test_divergence_from_a_huge_learning_rate_is_caught(capsys):
    X, y = linear_problem()
    model = nn.Linear(3, 1, rng=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = nn.fit(
            model,
            X,
            1e150 * y,
            optimizer=gk.optim.sgd(1e3),
            epochs=50,
            batch_size=None,
            verbose=True,
        )
    # one clear warning, no NumPy overflow noise
    assert [type(w.message) for w in caught] == [nn.TrainingDivergedWarning]
    # caught at the first epoch's end now (the whole set's loss at the new parameters),
    # or at the next step's loss, as before
    message = str(caught[0].message)
    assert re.search(
        r"loss (became (inf|nan) at epoch \d+, step 1|over the training set is"
        r" (inf|nan))",
        message,
    )
    assert history.stopped
    assert all(np.all(np.isfinite(v)) for v in model.params.values())
    assert " ".join(capsys.readouterr().out.split()).count("training stopped") == 1


def test_progress_shows_epoch_loss_and_accuracy(capsys):
    X, y = datasets.tutorial_data()
    nn.fit(
        nn.tutorial_model(rng=0),
        X,
        y,
        loss="binary_cross_entropy",
        optimizer=gk.optim.sgd(0.5),
        epochs=3,
        batch_size=50,
        verbose=True,
        validation=(X, y),
    )
    out = capsys.readouterr().out
    assert "epoch 3/3" in out and "loss 0." in out and "acc " in out and "%" in out
    nn.fit(nn.tutorial_model(rng=0), X, y, epochs=1, verbose=False)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"loss": "hinge"}, ValueError, "unknown loss 'hinge'"),
        ({"epochs": -1}, ValueError, "epochs must be"),
        ({"batch_size": 0}, ValueError, "batch_size must be"),
        ({"optimizer": "adam"}, TypeError, "gk.optim optimizer"),
        ({"validation": np.zeros(3)}, ValueError, "validation must be a pair"),
    ],
)
def test_fit_argument_errors(kwargs, error, message):
    X, y = linear_problem()
    with pytest.raises(error, match=message):
        nn.fit(nn.Linear(3, 1), X, y, verbose=False, **kwargs)


def test_fit_data_errors():
    X, y = linear_problem()
    with pytest.raises(ValueError, match="X has 12 samples but y has 11"):
        nn.fit(nn.Linear(3, 1), X, y[:11], verbose=False)
    with pytest.raises(ValueError, match="NaN"):
        nn.fit(nn.Linear(3, 1), np.full((2, 3), np.nan), y[:2], verbose=False)
    with pytest.raises(ValueError, match="expects inputs with 4 features"):
        nn.fit(nn.Linear(4, 1), X, y, verbose=False)
    with pytest.raises(TypeError, match="Module"):
        nn.fit(lambda x: x, X, y, verbose=False)


def test_mlp_reaches_97_percent_on_held_out_digits():
    digits = datasets.load_digits()
    X_train, X_test, y_train, y_test = datasets.train_test_split(
        digits["data"], digits["target"], test_size=0.25, rng=0
    )
    # standardize each pixel; the +1 (one grey level of 16) keeps near-constant border
    # pixels from being blown up
    mean, scale = X_train.mean(axis=0), X_train.std(axis=0) + 1.0
    X_train, X_test = (X_train - mean) / scale, (X_test - mean) / scale
    model = nn.Sequential(
        nn.Linear(64, 64, init="he_normal", rng=0), nn.ReLU(), nn.Linear(64, 10, rng=1)
    )
    epochs, batch_size = 20, 32
    steps = epochs * -(-len(X_train) // batch_size)
    optimizer = gk.optim.adam(gk.optim.cosine_schedule(1e-2, steps))
    nn.fit(
        model,
        X_train,
        y_train,
        loss="cross_entropy",
        optimizer=optimizer,
        epochs=epochs,
        batch_size=batch_size,
        verbose=False,
        seed=0,
    )
    accuracy = np.mean(np.argmax(model(X_test), axis=1) == y_test)
    assert accuracy >= 0.97


def test_fit_keeps_finite_parameters_when_the_last_update_breaks_them():
    """The loss was checked only at the next batch, so the last update of a run went
    unchecked: RMSE at its minimum (0/0 in its gradient) left weight [[nan]] with
    stopped False; and a run whose batch losses stayed finite ended with parameters at
    which the training set's loss is inf."""
    X, y = np.ones((4, 1)), np.zeros(4)
    model = nn.Sequential(nn.Linear(1, 1, init="zeros"))
    rmse = lambda p, t: np.sqrt(np.mean((p - t) ** 2))  # noqa: E731
    with np.errstate(all="ignore"), pytest.warns(nn.TrainingDivergedWarning, match="update"):
        history = nn.fit(
            model,
            X,
            y,
            loss=rmse,
            optimizer=gk.optim.sgd(0.1),
            epochs=1,
            batch_size=None,
            verbose=False,
        )
    assert history.stopped
    assert all(np.all(p == 0.0) for p in model.params.values())  # the parameters before it
    X = np.linspace(-1, 1, 8)[:, None] * 1e3
    y = np.linspace(-1, 1, 8)
    model = nn.Sequential(nn.Linear(1, 1, rng=0))
    with pytest.warns(nn.TrainingDivergedWarning, match="over the training set"):
        history = nn.fit(
            model,
            X,
            y,
            loss="mse",
            optimizer=gk.optim.sgd(1.0),
            epochs=40,
            batch_size=None,
            verbose=False,
        )
    assert history.stopped
    pred = X @ model.params["0.weight"] + model.params["0.bias"]
    assert np.isfinite(np.mean((pred[:, 0] - y) ** 2))  # computed here, not by fit


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_evaluate_checks_its_batch_size(batch_size):
    """A batch size of 0 failed in range(), a negative one in np.concatenate; None is
    the whole set at once, as in fit."""
    X, y = linear_problem()
    model = nn.Linear(3, 1, rng=0)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        nn.evaluate(model, X, y, loss="mse", batch_size=batch_size)
    want = np.mean((X @ model.params["weight"] + model.params["bias"] - y) ** 2)
    assert nn.evaluate(model, X, y, loss="mse", batch_size=None)[0] == pytest.approx(want)
