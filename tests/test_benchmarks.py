"""The benchmark harness: its correctness gates pass and its ratios are computed round
by round. No timing is asserted here; speed is measured by benchmarks/run.py."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import instructions  # noqa: E402
import mlp_floor  # noqa: E402
import python_cost  # noqa: E402
import run  # noqa: E402
import workloads  # noqa: E402


def test_the_gates_compare_gradkit_with_the_hand_written_gradients() -> None:
    # Each raises if gradkit's gradient differs from the hand-written backpropagation.
    workloads.check_tiny_net()
    workloads.check_mlp()


def test_a_wrong_gradient_fails_the_mlp_gate(monkeypatch) -> None:
    real = workloads._mlp_hand_grads
    monkeypatch.setattr(workloads, "_mlp_hand_grads", lambda *a: [g * (1 + 1e-6) for g in real(*a)])
    with pytest.raises(AssertionError):
        workloads.check_mlp()


@pytest.mark.parametrize("grads", [mlp_floor.same_ops_grads, mlp_floor.tape_grads])
def test_the_floor_versions_of_the_mlp_step_compute_the_hand_written_gradients(grads) -> None:
    # The decomposition compares like with like only if every version gets the same numbers.
    X, labels, init = workloads._mlp_data()
    hand = workloads._mlp_hand_grads(init, X, np.eye(10)[labels])
    got = grads(init, X, labels)
    assert len(got) == len(hand)
    for g, h in zip(got, hand):
        assert g.shape == h.shape
        np.testing.assert_allclose(g, h, rtol=1e-9, atol=1e-12)


def test_the_tape_calls_the_hook_between_its_operations_and_keeps_its_gradients() -> None:
    X, labels, init = workloads._mlp_data()
    hand = workloads._mlp_hand_grads(init, X, np.eye(10)[labels])
    calls = []
    got = mlp_floor.tape_grads(init, X, labels, between=lambda: calls.append(1))
    assert len(calls) == python_cost.CALLS_PER_STEP == 11  # 5 in the forward pass, 6 back
    for g, h in zip(got, hand):
        np.testing.assert_allclose(g, h, rtol=1e-9, atol=1e-12)


def _no_mallopt(monkeypatch) -> None:
    # The scripts fix the allocator of their own process; not of the test run's.
    import allocator

    monkeypatch.setattr(allocator, "fix_thresholds", lambda: "allocator: (test) unchanged")


def test_the_python_cost_script_adds_calibrated_work_and_refuses_bad_amounts(
    capsys, monkeypatch
) -> None:
    _no_mallopt(monkeypatch)
    assert python_cost.loops_per_us() > 0
    python_cost.main(["--us", "20", "--rounds", "1"])
    note, line = capsys.readouterr().out.strip().splitlines()
    assert note == "allocator: (test) unchanged"
    assert line.startswith("numpy") and "tape+0us" in line and "tape+20us" in line
    for bad in (["--rounds", "0"], ["--us", "-5"]):
        with pytest.raises(SystemExit):
            python_cost.main(bad)


def test_the_floor_script_prints_one_line_of_ratios(capsys, monkeypatch) -> None:
    _no_mallopt(monkeypatch)
    mlp_floor.main(["--rounds", "1"])
    note, line = capsys.readouterr().out.strip().splitlines()
    assert note == "allocator: (test) unchanged"
    assert line.startswith("numpy") and all(k in line for k in ("same_ops", "tape", "gradkit"))
    with pytest.raises(SystemExit):
        mlp_floor.main(["--runs", "0"])


@pytest.mark.parametrize("version", instructions.VERSIONS)
def test_every_counted_step_is_one_sgd_step_with_the_true_gradient(version) -> None:
    step, state = instructions.make_step(version)
    p0 = [a.copy() for a in state["p"]]
    X, target = state["data"]
    if version == "tiny_net":  # central differences of the loss, written in plain NumPy

        def loss(params):
            W1, b1, W2, b2 = params
            z2 = 1 / (1 + np.exp(-(X @ W1 + b1))) @ W2 + b2
            return np.mean(np.logaddexp(0.0, z2) - target * z2)

        want = []
        for k, a in enumerate(p0):
            g = np.zeros_like(a)
            for i in np.ndindex(a.shape):
                hi = [b.copy() for b in p0]
                lo = [b.copy() for b in p0]
                hi[k][i] += 1e-6
                lo[k][i] -= 1e-6
                g[i] = (loss(hi) - loss(lo)) / 2e-6
            want.append(g)
        tol = 1e-7
    else:
        want = workloads._mlp_hand_grads(p0, X, np.eye(3)[target])
        tol = 1e-12
    step()
    for after, before, g in zip(state["p"], p0, want):
        np.testing.assert_allclose((before - after) / 0.01, g, atol=tol)


def test_the_instruction_counter_refuses_what_it_cannot_do(monkeypatch) -> None:
    with pytest.raises(ValueError, match="unknown version 'mlq'"):
        instructions.make_step("mlq")
    with pytest.raises(SystemExit):
        instructions.main(["--steps", "0"])
    monkeypatch.setattr(instructions.shutil, "which", lambda name: None)
    with pytest.raises(SystemExit):
        instructions.main(["--steps", "10"])


def test_ratios_are_taken_within_each_round() -> None:
    # A round where the machine is twice as slow for everyone leaves the ratio alone.
    samples = {"numpy": [1.0, 2.0, 1.0], "gradkit": [1.5, 3.0, 1.5]}
    assert run._paired(samples, "gradkit", "numpy") == [1.5, 1.5, 1.5]
    assert run._quartiles([1.0, 2.0, 3.0, 4.0, 5.0]) == (1.5, 3.0, 4.5)
    assert run._quartiles([2.0]) == (2.0, 2.0, 2.0)


def test_every_implementation_is_timed_once_per_round_after_untimed_calls() -> None:
    calls = {"a": 0, "b": 0}

    def make(k):
        def f():
            calls[k] += 1

        return f

    samples = run._time_all({k: make(k) for k in calls}, repeats=4, min_seconds=0.0)
    assert {k: len(v) for k, v in samples.items()} == {"a": 4, "b": 4}
    assert all(t >= 0 for v in samples.values() for t in v)
    # _batch's warm-up and one sizing call, then per round one untimed and one timed call
    assert calls == {"a": 2 + 4 * 2, "b": 2 + 4 * 2}


def test_the_row_printer_reports_the_target_and_the_spread() -> None:
    entry = {
        "numpy_seconds": 1e-3,
        "ratios": {"gradkit": 1.1, "gradkit_np_ops": 1.2},
        "ratio_quartiles": {"gradkit": (1.0, 1.1, 1.2)},
        "target": 1.05,
        "target_against": "numpy",
        "gradkit_vs_target_base": 1.1,
    }
    row = run._row("mlp", entry)
    assert "gradkit   1.10x (IQR 1.00-1.20)" in row
    assert "gradkit_np_ops 1.20x" in row
    assert row.endswith("1.100x NOT met")
    assert np.isclose(entry["gradkit_vs_target_base"], 1.1)


_TRIM_PATTERN = """
import resource, sys
import numpy as np
sys.path.insert(0, {bench!r})
if {fix}:
    import allocator
    print(allocator.fix_thresholds(), file=sys.stderr)
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
big = np.ones(1 << 17)  # 1 MB: mapped, then unmapped, so glibc raises its thresholds
del big
counts = []
for _ in range(6):
    before = faults()
    blocks = [np.ones(115_000) for _ in range(4)]  # 0.9 MB each, from the heap
    del blocks  # 3.6 MB free at the top of the heap
    counts.append(faults() - before)
print(max(counts[2:]))
"""


def _steady_faults(fix: bool) -> int:
    import subprocess

    bench = str(Path(__file__).resolve().parents[1] / "benchmarks")
    code = _TRIM_PATTERN.format(bench=bench, fix=fix)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt, Linux only")
def test_fixed_allocator_thresholds_stop_the_heap_being_trimmed_and_refaulted() -> None:
    # Freeing 3.6 MB at the top of the heap: glibc's adaptive trim threshold (2 MB after
    # a 1 MB block was unmapped) hands the pages back, and the next round faults on every
    # page again. With the benchmarks' fixed thresholds the heap is kept.
    default = _steady_faults(fix=False)
    if default < 100:
        pytest.skip(f"this C library did not trim the heap here ({default} faults per round)")
    assert _steady_faults(fix=True) < 20 < default


def test_the_allocator_note_says_what_was_done(monkeypatch) -> None:
    import allocator

    monkeypatch.setattr(allocator.ctypes.util, "find_library", lambda name: "no-such-libc.so")
    assert "not available" in allocator.fix_thresholds()


def test_run_refuses_a_round_count_below_one(capsys) -> None:
    for bad in ("0", "-3", "many"):
        with pytest.raises(SystemExit):
            run.main(["--rounds", bad])
        assert "--rounds must be a whole number >= 1" in capsys.readouterr().err
