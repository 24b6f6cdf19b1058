"""Issue #30's benchmark workloads and the harness's pinning, repeats and header.

The hand-written gradients are checked against finite differences (tests/fd.py, which
imports nothing from gradkit); every implementation's gate against them is run; the
harness is run once as a command in a subprocess. No timing is asserted.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fd import directional

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import machine  # noqa: E402
import run  # noqa: E402
import workloads_more as wm  # noqa: E402


def _fd_check(loss, params, hand, seed=0, rtol=1e-7, h=1e-3):
    """<hand gradient, v> equals the central difference of the loss along v."""
    rng = np.random.default_rng(seed)
    for _ in range(2):
        dirs = [rng.standard_normal(np.shape(p)) for p in params]
        norm = np.sqrt(sum(float(np.sum(v * v)) for v in dirs))
        dirs = tuple(v / norm for v in dirs)  # a unit step: the stencil's h is the step
        want = directional(lambda *p: loss(list(p)), tuple(params), dirs, h=h)
        got = sum(float(np.sum(g * v)) for g, v in zip(hand, dirs))
        assert np.isclose(got, want, rtol=rtol, atol=1e-9), (got, want)


def test_hand_written_rnn_gradients_match_finite_differences():
    for batch in (1, 3):
        params, xs, y = wm._rnn_data(batch)
        xs = xs[:6]  # a short sequence keeps the differences cheap; same code path
        _fd_check(lambda p, xs=xs, y=y: wm._rnn_loss(p, xs, y), params, wm._rnn_hand(params, xs, y))


def test_hand_written_logistic_regression_gradient_matches_finite_differences():
    params, X, y = wm._lr_data()
    X, y = X[:300], y[:300]
    _fd_check(lambda p: wm._lr_loss(p, X, y), params, wm._lr_hand(params, X, y))


def test_hand_written_transformer_gradient_matches_finite_differences():
    params, x, T = wm._tf_data()
    x, T = x[:2], T[:2] * 4.0  # the loss divides by 256 = 8 * 32: keep its scale
    _fd_check(lambda p: wm._tf_loss(p, x, T), params, wm._tf_hand(params, x, T))


def test_hand_written_cnn_gradient_matches_finite_differences():
    params, x, labels = wm._cnn_data()
    hand = wm._cnn_hand(params, x, labels)
    # ReLUs: a step of 1e-3 crosses some of the 100,000 kinks; 1e-6 crosses none
    _fd_check(lambda p: wm._cnn_loss(p, x, labels), params, hand, rtol=1e-6, h=1e-6)


def test_hand_written_per_example_gradients_match_finite_differences():
    params, X, y = wm._pe_data()
    hand = wm._pe_hand(params, X, y)
    onehot = np.eye(10)[y]
    for i in (0, 17, 63):
        mine = [g[i] for g in hand]
        _fd_check(lambda p, i=i: wm._pe_loss(p, X[i], onehot[i]), params, mine, seed=i)


def test_hand_written_chain_gradient_matches_finite_differences():
    x = np.linspace(-1.0, 1.0, 50)
    (g,) = wm._chain_hand(x)
    _fd_check(lambda p: wm._chain(p[0]), [x], [g], rtol=1e-6)


def test_hessian_closed_form_matches_differences_of_the_gradient():
    A, x = wm._h_data(20)

    def grad(v):  # the gradient in closed form: A v + softmax(v)
        e = np.exp(v - v.max())
        return A @ v + e / e.sum()

    H = wm._h_closed(A, x)
    v = np.random.default_rng(1).standard_normal(20)
    np.testing.assert_allclose(H @ v, directional(grad, (x,), (v,)), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", list(wm.WORKLOADS))
def test_every_implementation_passes_the_gate(name):
    fns = wm.make_bigchain(n=1000) if name == "bigchain" else wm.WORKLOADS[name]()
    assert "numpy" in fns and any(k.startswith("gradkit") for k in fns)
    wm.check(fns, name)


def test_the_gate_refuses_a_wrong_gradient():
    fns = wm.make_logreg()
    real = fns["numpy"]
    fns["numpy"] = lambda: [g * (1 + 1e-6) for g in real()]
    with pytest.raises(AssertionError, match="logreg/gradkit"):
        wm.check(fns, "logreg")
    fns["numpy"] = lambda: real()[:1]
    with pytest.raises(AssertionError, match="2 gradients, want 1"):
        wm.check(fns, "logreg")


def test_spread_reports_median_and_range_over_whole_runs():
    runs = [{"workloads": {"w": {"ratios": {"gradkit": r}}}} for r in (1.2, 1.0, 1.5)]
    assert run.spread(runs) == {"w": {"gradkit": (1.2, 1.0, 1.5)}}
    assert "gradkit 1.20x [1.00-1.50]" in run._spread_lines(run.spread(runs), 3)[1]


def test_threads_are_read_from_the_command_line():
    assert machine.requested_threads(["--quick"]) == 1
    assert machine.requested_threads(["--threads", "3"]) == 3
    assert machine.requested_threads(["--threads=2", "--quick"]) == 2
    assert machine.requested_threads(["--threads", "x"]) == 1


def test_run_refuses_unknown_workloads_and_bad_counts(capsys):
    with pytest.raises(SystemExit):
        run.main(["--only", "logreg,nonesuch"])
    assert "unknown workload nonesuch" in capsys.readouterr().err
    for flag in ("--repeat", "--threads"):
        with pytest.raises(SystemExit):
            run.main([flag, "0"])
        assert f"{flag} must be a whole number >= 1" in capsys.readouterr().err


def test_the_harness_prints_machine_threads_load_and_a_row_per_workload():
    cmd = [sys.executable, str(BENCH / "run.py"), "--quick", "--only", "logreg,rnn1",
           "--no-numerical", "--repeat", "2"]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    for field in ("machine: ", "versions: ", "threads: ", "load average before: ",
                  "load average after: "):  # fmt: skip
        assert any(line.startswith(field) for line in lines), (field, out.stdout)
    threads = next(line for line in lines if line.startswith("threads: "))
    assert "pinned to 1" in threads and "NOT pinned" not in threads, threads
    for name in ("logreg", "rnn1"):
        rows = [line for line in lines if line.startswith(f"{name} ")]
        assert len(rows) == 3, out.stdout  # one per run, one in the spread table
        assert "gradkit" in rows[0] and "load " in rows[0]
    assert any(line.startswith("spread over 2 whole runs") for line in lines)
    assert not any(line.startswith(("tiny_net", "mlp ", "cnn")) for line in lines)
