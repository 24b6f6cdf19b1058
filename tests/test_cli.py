"""The ``gradkit`` command line: every subcommand runs, numbers checked against closed forms,
and every bad input ends with one clear line and exit status 2."""

from __future__ import annotations

import math
import re
import subprocess
import sys

import pytest

from gradkit.cli import CliError, main, parse_point, parse_vector


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    # rich folds table cells to the terminal width; a wide one keeps each number on one line
    monkeypatch.setenv("COLUMNS", "200")


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def numbers(text):
    return [float(s) for s in re.findall(r"-?\d+\.?\d*(?:e[-+]?\d+)?", text)]


def has_number(text, value, rel=1e-9):
    return any(math.isclose(v, value, rel_tol=rel, abs_tol=1e-12) for v in numbers(text))


def assert_one_line_error(status, err, *fragments):
    assert status == 2
    lines = err.strip().splitlines()
    assert "Traceback" not in err
    last = lines[-1]
    for fragment in fragments:
        assert fragment in last, (fragment, err)


# ----------------------------------------------------------------- top level
def test_version_in_process(capsys):
    import gradkit

    status, out, _ = run(capsys, "--version")
    assert status == 0
    assert out.strip() == f"gradkit {gradkit.__version__}"


def test_version_in_a_real_subprocess():
    import gradkit

    done = subprocess.run(
        [sys.executable, "-m", "gradkit", "--version"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"gradkit {gradkit.__version__}"


def test_no_command_prints_help(capsys):
    status, out, _ = run(capsys)
    assert status == 0
    for command in ("derive", "grad", "plot", "optimize", "train", "check", "graph", "tour"):
        assert command in out


@pytest.mark.parametrize(
    "command", ["derive", "grad", "plot", "optimize", "train", "check", "graph", "tour"]
)
def test_help_shows_an_example(capsys, command):
    status, out, _ = run(capsys, command, "--help")
    assert status == 0
    assert "example:" in out
    assert f"gradkit {command}" in out.split("example:")[1]


def test_unknown_option_exits_2_with_a_clear_last_line(capsys):
    status, _, err = run(capsys, "derive", "x**2", "--frobnicate")
    assert_one_line_error(status, err, "unrecognized arguments: --frobnicate")


def test_unknown_command_exits_2(capsys):
    status, _, err = run(capsys, "integrate", "x")
    assert_one_line_error(status, err, "invalid choice")


def test_bad_option_value_exits_2(capsys):
    status, _, err = run(capsys, "optimize", "rosenbrock", "--steps", "many")
    assert_one_line_error(status, err, "--steps", "many")


# ----------------------------------------------------------------- option parsing
def test_parse_point_and_vector():
    assert parse_point("x=1, y=-2.5") == {"x": 1.0, "y": -2.5}
    assert parse_point("3", default_var="t") == {"t": 3.0}
    assert parse_vector("1,2e-3") == [1.0, 0.002]


@pytest.mark.parametrize("text", ["x=", "x=1,x=2", "1=x", "x=a", "x=1,,y=2", "3"])
def test_parse_point_rejects(text):
    with pytest.raises(CliError):
        parse_point(text)


@pytest.mark.parametrize("text", ["", "1,,2", "a,b", "1;2"])
def test_parse_vector_rejects(text):
    with pytest.raises(CliError):
        parse_vector(text)


# ----------------------------------------------------------------- derive
def test_derive_prints_steps_result_and_value(capsys):
    status, out, _ = run(capsys, "derive", "x**2 * sin(x)", "--at", "1")
    assert status == 0
    assert "product" in out.lower()
    # one result line, in Unicode
    results = [line for line in out.splitlines() if line.lower().startswith("result")]
    assert results == ["Result: d/dx [x²·sin(x)] = x·(x·cos(x) + 2sin(x))"]
    # d/dx x^2 sin x = 2x sin x + x^2 cos x, at 1: 2 sin 1 + cos 1
    assert has_number(out, 2 * math.sin(1) + math.cos(1), rel=1e-9)
    assert has_number(out, math.sin(1), rel=1e-9)


def test_derive_other_variable_and_latex(capsys):
    status, out, _ = run(capsys, "derive", "exp(a*x)", "--var", "a", "--latex")
    assert status == 0
    assert "\\" in out or "e^{" in out  # LaTeX markup
    assert "x" in out


def test_derive_at_a_kink_says_which_convention_gave_the_value(capsys) -> None:
    """|x|' = sign(x) has no value at 0: the CLI prints the convention's 0 and says so;
    away from the kink, and for functions without one, there is no note."""
    status, out, _ = run(capsys, "derive", "abs(x)", "--at", "0")
    assert status == 0 and "df/dx = 0" in out
    flat = " ".join(out.split())
    assert "note: x = 0 here, at the kink" in flat and "sign(0) = 0" in flat
    status, out, _ = run(capsys, "derive", "relu(x - 1) * y", "--at", "x=1,y=2")
    assert status == 0 and "Heaviside(0) = 0" in " ".join(out.split())
    status, out, _ = run(capsys, "derive", "sign(x)", "--at", "0")
    assert status == 0 and "where sign jumps" in " ".join(out.split())
    for expr, at in (("abs(x)", "1"), ("x**2", "0"), ("relu(x)", "-2"), ("sign(x)", "2")):
        status, out, _ = run(capsys, "derive", expr, "--at", at)
        assert status == 0 and "note:" not in out


def test_derive_value_needs_every_variable(capsys):
    status, _, err = run(capsys, "derive", "x*y", "--at", "2")
    assert_one_line_error(status, err, "y")


def test_bad_expression_reports_the_position(capsys):
    status, _, err = run(capsys, "derive", "x + * 2")
    assert_one_line_error(status, err, "position 4")
    assert len(err.strip().splitlines()) == 1


def test_expression_is_never_evaluated_as_python(capsys, tmp_path):
    marker = tmp_path / "pwned"
    status, _, err = run(capsys, "derive", f"__import__('os').mkdir('{marker}')")
    assert status == 2
    assert not marker.exists()
    assert "position" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["derive", "1/x", "--at", "0"],
        ["grad", "1/x + y", "--at", "x=0,y=1"],
        ["check", "log(x)", "--at", "0"],
        ["graph", "1/x", "--at", "x=0", "--out", "never-written.dot"],
    ],
)
def test_a_point_outside_the_domain_is_one_line(capsys, argv):
    status, _, err = run(capsys, *argv)
    assert_one_line_error(status, err, "no finite real value at x=0")


def test_derive_not_real_at_the_point(capsys):
    status, _, err = run(capsys, "derive", "log(x)", "--at", "-1")
    assert_one_line_error(status, err, "real")


# ----------------------------------------------------------------- grad
def test_grad_gradient_directional_and_hessian(capsys):
    status, out, _ = run(
        capsys, "grad", "x**2 * y + sin(y)", "--at", "x=1,y=2", "--direction", "1,1"
    )
    assert status == 0
    # closed forms: grad = (2xy, x^2 + cos y) = (4, 1 + cos 2); H = [[2y, 2x], [2x, -sin y]]
    assert has_number(out, 4.0)
    assert has_number(out, 1 + math.cos(2))
    assert has_number(out, (4 + 1 + math.cos(2)) / math.sqrt(2), rel=1e-9)
    assert has_number(out, -math.sin(2))
    assert "Hessian" in out


def test_negative_option_values(capsys):
    status, out, _ = run(capsys, "grad", "x*y", "--at", "x=1,y=2", "--direction", "-1,0")
    assert status == 0
    assert has_number(out, -2.0)  # grad (y, x) = (2, 1) along (-1, 0)


def test_grad_direction_of_wrong_length(capsys):
    status, _, err = run(capsys, "grad", "x*y", "--at", "x=1,y=2", "--direction", "1,2,3")
    assert_one_line_error(status, err, "--direction")


def test_grad_zero_direction(capsys):
    status, _, err = run(capsys, "grad", "x*y", "--at", "x=1,y=2", "--direction", "0,0")
    assert_one_line_error(status, err, "nonzero")


def test_grad_missing_variable(capsys):
    status, _, err = run(capsys, "grad", "x*y*z", "--at", "x=1,y=2")
    assert_one_line_error(status, err, "z")


# ----------------------------------------------------------------- check
def test_check_three_ways_agree(capsys):
    status, out, _ = run(capsys, "check", "log(1 + x**2) * y", "--at", "x=0.5,y=3")
    assert status == 0
    # d/dx = 2xy/(1+x^2) = 2.4, d/dy = log(1.25)
    assert sum(has_number(out, v, rel=1e-6) for v in (2.4,)) == 1
    assert has_number(out, math.log(1.25), rel=1e-6)
    for word in ("symbolic", "numerical", "autodiff"):
        assert word in out


def test_check_bare_number_for_one_variable(capsys):
    status, out, _ = run(capsys, "check", "sin(t)", "--at", "0.5")
    assert status == 0
    assert has_number(out, math.cos(0.5), rel=1e-9)


def test_check_bad_point(capsys):
    status, _, err = run(capsys, "check", "x*y", "--at", "x=1,y=two")
    assert_one_line_error(status, err, "two")


# ----------------------------------------------------------------- plot
def test_plot_writes_an_image(capsys, tmp_path):
    out_file = tmp_path / "sub" / "plot.png"  # the folder is made only with --mkdir
    status, out, _ = run(
        capsys,
        "plot",
        "sin(x) * exp(-x/4)",
        "--range",
        "-2,8",
        "--at",
        "1",
        "--out",
        str(out_file),
        "--mkdir",
    )
    assert status == 0
    assert out_file.stat().st_size > 1000
    assert out_file.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_bad_suffix_and_range(capsys, tmp_path):
    status, _, err = run(capsys, "plot", "x**2", "--out", str(tmp_path / "plot.txt"))
    assert_one_line_error(status, err, ".png")
    status, _, err = run(capsys, "plot", "x**2", "--range", "3,1", "--out", str(tmp_path / "p.png"))
    assert_one_line_error(status, err, "--range")


def test_plot_unwritable_output_is_one_line(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    status, _, err = run(capsys, "plot", "x**2", "--out", str(blocker / "sub" / "p.png"))
    assert_one_line_error(status, err, "file")


def test_plot_needs_one_variable(capsys, tmp_path):
    status, _, err = run(capsys, "plot", "x*y", "--out", str(tmp_path / "p.png"))
    assert_one_line_error(status, err, "y")


# ----------------------------------------------------------------- optimize
def test_optimize_prints_the_race_and_draws_it(capsys, tmp_path):
    out_file = tmp_path / "race.png"
    status, out, _ = run(
        capsys,
        "optimize",
        "rosenbrock",
        "--optimizers",
        "gd,momentum,adam",
        "--lr",
        "1e-3",
        "--steps",
        "300",
        "--out",
        str(out_file),
    )
    assert status == 0
    for name in ("gd", "momentum", "adam"):
        assert name in out
    assert out_file.stat().st_size > 1000


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["optimize", "banana"], "banana"),
        (["optimize", "rosenbrock", "--optimizers", "gd,warp"], "warp"),
        (["optimize", "rosenbrock", "--lr", "-1"], "--lr"),
        (["optimize", "rosenbrock", "--steps", "0"], "--steps"),
        (["optimize", "rosenbrock", "--start", "1,2,3"], "start"),
    ],
)
def test_optimize_bad_input(capsys, argv, fragment):
    status, _, err = run(capsys, *argv)
    assert_one_line_error(status, err, fragment)


# ----------------------------------------------------------------- train
def test_train_reaches_a_good_accuracy(capsys, tmp_path):
    out_file = tmp_path / "history.png"
    status, out, _ = run(
        capsys,
        "train",
        "tutorial",
        "--epochs",
        "60",
        "--hidden",
        "8",
        "--lr",
        "0.05",
        "--out",
        str(out_file),
    )
    assert status == 0
    match = re.search(r"test accuracy (\d+\.\d)%", out)
    assert match and float(match.group(1)) >= 90.0
    assert out_file.stat().st_size > 1000


@pytest.mark.parametrize("dataset, n_samples", [("moons", 200), ("spirals", 300), ("digits", 1797)])
def test_train_every_dataset_holds_out_a_quarter(capsys, dataset, n_samples):
    status, out, _ = run(capsys, "train", dataset, "--epochs", "1")
    assert status == 0
    held_out = int(re.search(r"on (\d+) held-out samples", out).group(1))
    assert held_out == round(0.25 * n_samples)


def test_train_a_cnn_on_digits(capsys):
    # two epochs of the CNN already beat chance (10%) by far on the held-out quarter
    status, out, _ = run(
        capsys, "train", "digits", "--model", "cnn", "--epochs", "2", "--lr", "0.003"
    )
    assert status == 0
    match = re.search(r"test accuracy (\d+\.\d)%", out)
    assert match and float(match.group(1)) >= 80.0
    status, _, err = run(capsys, "train", "moons", "--model", "cnn")
    assert_one_line_error(status, err, "digits")


def test_train_bad_dataset_and_options(capsys):
    status, _, err = run(capsys, "train", "imagenet")
    assert_one_line_error(status, err, "imagenet")
    status, _, err = run(capsys, "train", "moons", "--epochs", "0")
    assert_one_line_error(status, err, "--epochs")
    status, _, err = run(capsys, "train", "moons", "--optimizer", "magic")
    assert_one_line_error(status, err, "magic")


# ----------------------------------------------------------------- graph
def test_graph_writes_dot_with_values_and_gradients(capsys, tmp_path):
    out_file = tmp_path / "graph.dot"
    status, _, _ = run(capsys, "graph", "x*y + sin(x)", "--at", "x=2,y=3", "--out", str(out_file))
    assert status == 0
    dot = out_file.read_text()
    assert dot.lstrip().startswith("digraph")
    # forward value 6 + sin 2 and gradient d/dx = y + cos x = 3 + cos 2 appear on the nodes
    assert has_number(dot, 6 + math.sin(2), rel=1e-3)
    assert has_number(dot, 3 + math.cos(2), rel=1e-3)


def test_graph_png(capsys, tmp_path):
    out_file = tmp_path / "graph.png"
    status, _, _ = run(capsys, "graph", "exp(-x) * x", "--at", "x=1", "--out", str(out_file))
    assert status == 0
    assert out_file.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_graph_bad_suffix(capsys, tmp_path):
    status, _, err = run(capsys, "graph", "x", "--at", "x=1", "--out", str(tmp_path / "g.doc"))
    assert_one_line_error(status, err, ".dot")


# ----------------------------------------------------------------- tour
def test_tour_command_writes_the_page(capsys, tmp_path, monkeypatch):
    # the whole tour runs in test_tour.py; here one real section is enough for the command
    from gradkit.viz import tour_sections

    monkeypatch.setattr(tour_sections, "SECTIONS", tour_sections.SECTIONS[:1])
    status, out, _ = run(capsys, "tour", "--out", str(tmp_path / "tour"))
    assert status == 0
    assert (tmp_path / "tour" / "index.html").exists()
    assert "index.html" in out


# ----------------------------------------------------------------- properties
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(st.lists(_finite, min_size=1, max_size=6))
def test_parse_vector_round_trips(values):
    assert parse_vector(",".join(repr(v) for v in values)) == values


@given(st.dictionaries(st.sampled_from(["x", "y", "z", "w1", "alpha"]), _finite, min_size=1))
def test_parse_point_round_trips(point):
    text = ",".join(f"{name}={value!r}" for name, value in point.items())
    assert parse_point(text) == point


@given(
    a=st.integers(-9, 9),
    b=st.integers(-9, 9),
    c=st.integers(-9, 9),
    x=st.floats(min_value=-3, max_value=3, allow_nan=False),
)
def test_check_matches_the_closed_form_of_a_random_quadratic(a, b, c, x):
    import io
    from contextlib import redirect_stderr, redirect_stdout

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(["check", f"{a}*x**2 + {b}*x + {c}", "--at", f"x={x!r}"])
    assert status == 0, err.getvalue()
    expected = 2 * a * x + b  # d/dx (a x^2 + b x + c)
    row = next(line for line in out.getvalue().splitlines() if "d/dx" in line and "│" in line)
    cells = [cell.strip() for cell in row.split("│") if cell.strip()]
    symbolic_value, numerical_value, automatic_value = (float(v) for v in cells[1:4])
    assert math.isclose(symbolic_value, expected, rel_tol=1e-11, abs_tol=1e-11)
    assert math.isclose(automatic_value, expected, rel_tol=1e-11, abs_tol=1e-11)
    assert math.isclose(numerical_value, expected, rel_tol=1e-8, abs_tol=1e-8)


def test_version_and_help_do_not_load_heavy_modules():
    code = (
        "import sys; from gradkit.cli import main; main(['--version']); main([]); "
        "print(sorted(m for m in ('sympy', 'matplotlib', 'rich') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(
    "expr,at,what",
    [
        ("1/(x-1)", "1", "the expression"),
        ("1/(x-0.1)", "0.1", "the expression"),
        ("(x**2-1)/(x-1)", "1", "the expression"),  # 0/0 (its limit, 2, is not its value)
        ("log(x)/(x-1)", "1", "the expression"),
    ],
)
def test_derive_refuses_a_point_where_a_value_is_not_finite(capsys, expr, at, what):
    # Evaluated with evalf(subs=...), x - 1 at 1 came out as 2e-125, and these printed
    # 1e+135-sized numbers with exit status 0.
    status, out, err = run(capsys, "derive", expr, f"--at={at}")
    assert status == 2
    assert f"{what} has no finite real value at x={at}" in err


def test_derive_prints_an_exact_zero_where_the_value_cancels(capsys):
    status, out, _ = run(capsys, "derive", "x-1", "--at=1")
    assert status == 0
    assert "f = 0, df/dx = 1" in out
    status, out, _ = run(capsys, "derive", "sqrt(1-x**2)", "--at=0.6")
    assert status == 0
    assert "f = 0.8, df/dx = -0.75" in out  # -x/sqrt(1-x^2) = -0.6/0.8


@pytest.mark.parametrize(
    "command,extra",
    [("derive", []), ("graph", ["--out", "g.dot"]), ("grad", ["--direction", "1,0"])],
)
def test_the_value_commands_refuse_a_pole(capsys, tmp_path, monkeypatch, command, extra):
    monkeypatch.chdir(tmp_path)
    at = "x=1" if command != "grad" else "x=1,y=0"
    expr = "1/(x-1)" if command != "grad" else "sqrt(1-x**2)+y"
    status, _, err = run(capsys, command, expr, "--at", at, *extra)
    assert status == 2
    assert "no finite real value" in err
    assert "Traceback" not in err and "RuntimeWarning" not in err


@pytest.mark.parametrize("expr", ["x⁻", "x²⁻", "2*x⁺"])
def test_a_superscript_that_is_not_a_whole_number_is_one_line_not_a_crash(capsys, expr):
    status, _, err = run(capsys, "derive", expr)
    assert_one_line_error(status, err, "is not a whole number")


def test_running_out_of_memory_is_one_line_not_a_traceback(capsys, monkeypatch):
    from gradkit import cli_commands

    def greedy(args):
        raise MemoryError  # what NumPy raises for --hidden=100000000

    monkeypatch.setattr(cli_commands, "run_train", greedy)
    status, _, err = run(capsys, "train", "moons")
    assert status == 2
    assert err.strip() == (
        "gradkit train: error: not enough memory for this run; use smaller "
        "sizes (--hidden, --batch-size, --steps, ...)"
    )


def test_warnings_are_printed_once_each_on_one_line(capsys, monkeypatch):
    import warnings

    from gradkit import cli_commands

    def noisy(args):
        for _ in range(3):
            warnings.warn("overflow encountered in dot", RuntimeWarning, stacklevel=1)
        return 0

    monkeypatch.setattr(cli_commands, "run_optimize", noisy)
    status, _, err = run(capsys, "optimize", "rosenbrock")
    assert status == 0
    assert err == "gradkit optimize: warning: overflow encountered in dot\n"


def test_a_diverging_training_run_says_so_once(capsys):
    status, out, err = run(capsys, "train", "moons", "--epochs", "1", "--lr=1e300")
    assert status == 0
    assert (out + err).count("the loss became nan") == 1
    assert "TrainingDivergedWarning" not in err


def test_a_negative_seed_is_refused_by_name(capsys):
    status, _, err = run(capsys, "train", "moons", "--seed=-1")
    assert status == 2
    assert err.strip() == "gradkit train: error: --seed -1: the seed must be 0 or more"


# ----------------------------------------------------------------- seventh session
def test_derive_refuses_a_bad_point_before_printing_the_derivation(capsys):
    status, out, err = run(capsys, "derive", "x**2", "--at", "x=foo")
    assert_one_line_error(status, err, "'foo' is not a number")
    assert out == ""  # the derivation used to be printed before the refusal


def test_check_advises_what_the_command_line_can_do(capsys):
    """The numerical error said "pass step=...", an argument of the Python function
    that check does not have."""
    status, _, err = run(capsys, "check", "1/(x - 1e-9)", "--at", "0")
    assert_one_line_error(status, err, "do not converge")
    assert "pass step=" not in err and "central differences" in err


def test_graph_writes_the_pdf_its_help_lists(capsys, tmp_path):
    out_file = tmp_path / "g.pdf"
    status, _, _ = run(capsys, "graph", "x*y", "--at", "x=1,y=2", "--out", str(out_file))
    assert status == 0 and out_file.read_bytes()[:5] == b"%PDF-"
    status, out, _ = run(capsys, "graph", "--help")
    assert status == 0 and ".pdf" in out  # the help listed .dot, .svg and .png only


def test_plot_refuses_a_range_where_f_has_no_value_and_notes_a_gap(capsys, tmp_path):
    out_file = tmp_path / "p.png"
    status, _, err = run(capsys, "plot", "log(x)", "--range=-3,-1", "--out", str(out_file))
    assert_one_line_error(status, err, "no finite real value anywhere")
    assert not out_file.exists()  # f' = 1/x alone used to be drawn
    status, _, err = run(capsys, "plot", "log(x)", "--range=-3,3", "--out", str(out_file))
    assert status == 0 and out_file.exists()
    assert err.count("\n") == 1 and "part of the range" in err


def test_out_paths_a_folder_and_an_empty_name_are_refused_up_front(capsys, tmp_path):
    folder = tmp_path / "looks.png"
    folder.mkdir()
    status, out, err = run(
        capsys, "optimize", "booth", "--optimizers", "adam", "--steps", "3", "--out", str(folder)
    )
    assert_one_line_error(status, err, "is a folder")
    assert out == ""  # refused before the race, not after it with "[Errno 21]"
    status, _, err = run(capsys, "tour", "--out", "")
    assert_one_line_error(status, err, "--out is empty")


def test_a_write_error_is_one_line_in_words(capsys, monkeypatch, tmp_path):
    import matplotlib.figure

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", refuse)
    status, _, err = run(capsys, "plot", "x**2", "--out", str(tmp_path / "p.png"))
    assert_one_line_error(status, err, "cannot write")
    assert "Permission denied" in err and "Errno" not in err


def test_at_values_are_substituted_exactly_so_large_arguments_are_not_rounded(capsys):
    """sin(10^23 x) at x = 1 went through a 53-bit Float: 10^23 * 1.0 was rounded before
    sin saw it, and f = -0.324, d/dx = +9.46e22 were printed (mpmath at 60 digits:
    sin(10^23) = 0.701140639861, 10^23 cos(10^23) = -7.1302300323e22)."""
    status, out, _ = run(capsys, "derive", "sin(10^23 x)", "--at", "1")
    assert status == 0
    assert has_number(out, 0.701140639861, rel=1e-11)
    assert has_number(out, -7.1302300323e22, rel=1e-10)


def test_a_value_beyond_float_range_is_called_that_not_undefined(capsys):
    status, out, _ = run(capsys, "derive", "exp(x)", "--at", "1000")
    assert status == 0  # a true value, stated
    assert "beyond the range of a float" in out and "1.97007e+434" in out  # e^1000
    status, _, err = run(capsys, "grad", "exp(x)*y", "--at", "x=1000,y=1")
    assert_one_line_error(status, err, "beyond the range of a float", "gradkit derive")
    status, _, err = run(capsys, "derive", "1/(x - 1)", "--at", "1")
    assert "no finite real value" in err


@pytest.mark.parametrize(
    "formula, at, f, slope", [("-x^2", "2", -4.0, -4.0), ("-2x", "1", -2.0, -2.0)]
)
def test_a_formula_starting_with_a_minus_sign_is_a_formula_not_an_option(
    capsys, formula, at, f, slope
):
    status, out, err = run(capsys, "derive", formula, "--at", at)
    assert status == 0, err
    assert has_number(out, f) and has_number(out, slope)


# ----------------------------------------------------- undefined derivatives, constants
def test_derive_a_power_of_zero_is_one_line_saying_where(capsys):
    """It printed 'result: d/dx [ 0**x ] = 0**x*zoo' before failing at --at."""
    status, out, err = run(capsys, "derive", "0^x", "--at", "1")
    assert_one_line_error(status, err, "does not exist", "where x <= 0")
    assert "zoo" not in out + err


def test_derive_refuses_e_capital_and_says_to_write_e(capsys):
    status, out, err = run(capsys, "derive", "E^x")
    assert_one_line_error(status, err, "'E' is not read as a variable", "write e")
    assert out == ""


def test_derive_writes_eulers_number_as_e(capsys):
    status, out, _ = run(capsys, "derive", "x^e", "--at", "2")
    assert status == 0
    assert "Result: d/dx [x^e] = e·x^(-1 + e)" in out
    assert "E" not in out
    assert has_number(out, math.e * 2 ** (math.e - 1), rel=1e-10)


@pytest.mark.parametrize("at", ["nan", "inf", "x=-inf", "x=NaN"])
def test_at_must_be_finite(capsys, at):
    """--at nan printed 'f = 0' (SymPy's Rational(nan) is 0) and --at inf 'f = 0, d/dx = 0'."""
    status, out, err = run(capsys, "derive", "x^2 + 1", "--at", at)
    assert_one_line_error(status, err, "must be a finite number")
    assert out == ""


def test_check_with_a_complex_constant_is_one_line(capsys):
    status, _, err = run(capsys, "check", "x log(-1)", "--at", "1")
    assert_one_line_error(status, err, "log needs a positive argument")
