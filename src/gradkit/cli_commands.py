"""The work behind each ``gradkit`` subcommand (the parser lives in :mod:`gradkit.cli`).

Every ``run_<command>(args)`` takes the parsed arguments, prints through rich (plain text
when the output is not a terminal) and returns the exit status. Bad input raises
:class:`gradkit.cli.CliError` (or another ValueError), which ``main`` turns into one line.
Expressions are only ever read by :func:`gradkit.symbolic.parse`, never evaluated as Python.

>>> from gradkit.cli import build_parser
>>> run_derive(build_parser().parse_args(["derive", "x**3", "--at", "2"]))
d/dx [x³]
Power rule: d/dx [x³] = 3x²
  bring the exponent n = 3 down and lower it by one: n uⁿ⁻¹
Result: d/dx [x³] = 3x²
at x = 2: f = 8, df/dx = 12
0
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from gradkit.cli import CliError, parse_point, parse_vector


def _console(stderr: bool = False) -> Any:
    """A rich Console on the *current* stdout/stderr (so redirection and capture work)."""
    from rich.console import Console

    return Console(file=sys.stderr if stderr else sys.stdout, highlight=False)


def _fmt(value: float) -> str:
    """A number printed with 12 significant digits; differences keep their exponent."""
    return f"{float(value):.12g}"


def _parse(text: str) -> Any:
    from gradkit import symbolic

    return symbolic.parse(text)


def _show(expr: Any) -> str:
    """An expression as the CLI prints it: Unicode mathematics (``x²``, ``2x``, ``√x``,
    ``π``, ``e^x``) that :func:`gradkit.symbolic.parse` reads back."""
    from gradkit.symbolic.unicode import expr_unicode

    return expr_unicode(expr)


def _free_names(expr: Any) -> list[str]:
    return sorted(symbol.name for symbol in expr.free_symbols)


def _exact_point(expr: Any, point: dict[str, float]) -> dict:
    """``point`` as exact substitutions for ``expr``'s symbols: each float's own binary
    value as a Rational (see :func:`_evaluate`)."""
    return {symbol: _exact(point[symbol.name]) for symbol in expr.free_symbols}


def _exact(value: float) -> Any:
    """The exact SymPy value of a ``--at`` number: the constant typed (``pi/2``), or the
    float's own binary value as a Rational."""
    import sympy

    exact = getattr(value, "exact", None)
    # as_integer_ratio: the float's binary value exactly, whatever mpmath's precision
    return exact if exact is not None else sympy.Rational(*float(value).as_integer_ratio())


def _exact_names(point: dict[str, float]) -> dict[str, Any]:
    return {name: _exact(value) for name, value in point.items()}


def _evaluate(expr: Any, point: dict[str, float], what: str = "the expression") -> float:
    """The real value of a SymPy expression at ``point`` as a float; a clear error if it
    is not real or (for the float computations of grad and check) beyond the float range."""
    from gradkit.cli_math import evaluate

    missing = [name for name in _free_names(expr) if name not in point]
    if missing:
        raise CliError(
            f"{what} uses {', '.join(missing)}: give a value with --at, e.g. "
            + ",".join(f"{name}=1" for name in [*point, *missing])
        )
    # The values go in exactly (the float's own binary value as a Rational, or the
    # constant typed) and the expression is then evaluated, so x - 1 at x = 1 is exactly
    # 0 and 1/(x - 1) there is complex infinity, and sin(10^23 x) at x = 1 is sin of the
    # integer 10^23; see gradkit.cli_math.
    value = evaluate(expr, _exact_names(point), what)
    if not np.isfinite(value.number) or (value.number == 0 and value.text != "0"):
        where = ", ".join(f"{name}={_fmt(v)}" for name, v in point.items())
        raise CliError(
            f"{what} at {where} is {value.text}; this command compares float "
            "computations, which cannot hold it (gradkit derive states such values)"
        )
    return value.number


def _point_for(expr: Any, at: str, default_var: str | None = None) -> dict[str, float]:
    """The ``--at`` values, checked to cover the expression's variables and no others."""
    point = parse_point(at, default_var=default_var)
    names = _free_names(expr)
    missing = [name for name in names if name not in point]
    if missing:
        raise CliError(
            f"--at {at!r} gives no value for {', '.join(missing)}: e.g. --at "
            + ",".join(f"{name}=1" for name in names)
        )
    return point


def _numpy_function(expr: Any, variables: list[str]) -> Any:
    """``f(v)`` on a vector, built by gradkit.symbolic.lambdify, for gk.grad and gk.numerical."""
    from gradkit import symbolic

    f = symbolic.lambdify(expr, variables)

    def f_vector(v: Any) -> Any:
        return f(*[v[i] for i in range(len(variables))])

    return f_vector


def _gradient_values(gradient: Any, variables: list[str], point: dict[str, float]) -> Any:
    """The symbolic gradient's components evaluated at ``point``, as a float array."""
    return np.array(
        [
            _evaluate(g, point, f"df/d{name}")
            for g, name in zip(list(gradient), variables, strict=True)
        ]
    )


# --------------------------------------------------------------------------- derive
def run_derive(args: argparse.Namespace) -> int:
    """``gradkit derive EXPR [--var x] [--at VALUE] [--latex]``: the named steps and result.

    Returns 0 after printing the steps in Unicode (or, with ``--latex``, only LaTeX), whose
    last line is the result, and with ``--at`` the values of the function and the
    derivative there. A derivative that is infinite or does not exist where the function
    has a value, and values beyond the float range, are stated (status 0).

    Args:
        args: the parsed ``derive`` arguments (``expr``, ``var``, ``at``, ``latex``).

    >>> from gradkit.cli import build_parser
    >>> run_derive(build_parser().parse_args(["derive", "exp(2*t)", "--var", "t"]))
    d/dt [e^(2t)]
    ...
    Result: d/dt [e^(2t)] = 2e^(2t)
    0
    """
    from rich.text import Text

    from gradkit import symbolic

    if not args.var.isidentifier():
        raise CliError(f"--var {args.var!r} is not a variable name (e.g. --var x)")
    expr = symbolic.parse(args.expr)
    derivation = symbolic.derive(expr, var=args.var)
    # a bad --at is refused before anything is printed
    point = None if args.at is None else _point_for(expr, args.at, default_var=args.var)
    lines = [] if point is None else _values_at(expr, derivation, point)
    console = _console()
    if args.latex:
        # LaTeX goes out raw so it can be pasted; rich would wrap and reinterpret it.
        sys.stdout.write(_latex_with_values(derivation.to_latex(), lines) + "\n")
        return 0
    d = "∂" if derivation.partial else "d"
    console.print(Text(f"{d}/{d}{args.var} [{_show(expr)}]", style="bold"))
    console.print(_styled_steps(derivation.to_text()))
    for text, _latex, note in lines:
        console.print(Text(text, style="yellow" if note else ""))
    return 0


def _values_at(expr: Any, derivation: Any, point: dict[str, float]) -> list:
    """(text, LaTeX, is_note) lines for the values at ``point``: f and its derivative, or a
    sentence saying why the derivative has no value there."""
    from gradkit.cli_math import evaluate, show_point, singular_derivative
    from gradkit.symbolic.render import expr_latex

    exact = _exact_names(point)
    var = derivation.var.name
    d, dl = ("∂", r"\partial") if derivation.partial else ("d", "d")
    where, where_latex = (
        show_point(exact),
        ", ".join(
            f"{expr_latex(_symbol(name))} = "
            + (_latex_number(_fmt(float(value))) if value.is_Rational else expr_latex(value))
            for name, value in exact.items()
        ),
    )
    value = evaluate(expr, exact)
    lines = []
    try:
        slope = evaluate(derivation.result, exact, what="the derivative")
    except CliError as error:
        if "no finite real value" not in str(error):
            raise
        sentence = singular_derivative(derivation.result, derivation.var, exact)
        lines.append(
            (
                f"at {where}: f = {value.text}",
                rf"\text{{at }} {where_latex}:\ "
                rf"f = {_latex_number(value.text)}",
                False,
            )
        )
        lines.append((sentence, _latex_text(sentence), True))
        return lines
    lines.append(
        (
            f"at {where}: f = {value.text}, {d}f/{d}{var} = {slope.text}",
            rf"\text{{at }} {where_latex}:\ f = {_latex_number(value.text)},\ "
            rf"\frac{{{dl} f}}{{{dl} {expr_latex(_symbol(var))}}} = {_latex_number(slope.text)}",
            False,
        )
    )
    note = _kink_note(expr, point, jump=True) or _kink_note(derivation.result, point)
    if note:
        lines.append((note, _latex_text(note), True))
    return lines


def _symbol(name: str) -> Any:
    import sympy

    return sympy.Symbol(name)


def _latex_number(text: str) -> str:
    r"""A value's text in LaTeX: ``1.5e+20`` as ``1.5 \cdot 10^{20}``, notes as text."""
    number, _, rest = text.partition(" (")
    match = re.fullmatch(r"(-?[0-9.]+)e([+-][0-9]+)", number)
    if match:
        number = rf"{match.group(1)} \cdot 10^{{{int(match.group(2))}}}"
    else:
        number = re.sub(r"\^\(([^()]*)\)", r"^{\1}", number)
        number = re.sub(r"\^\((.*)\)", r"^{\1}", number)
        number = re.sub(r"([0-9.]+)e\+?(-?)0*([0-9]+)", r"\1 \\cdot 10^{\2\3}", number)
    return number + (rf"\ {_latex_text('(' + rest)}" if rest else "")


def _latex_text(sentence: str) -> str:
    from gradkit.symbolic.render import _piece_latex

    return _piece_latex(sentence.replace("∞", "infinity"))


def _latex_with_values(latex: str, lines: list) -> str:
    """The derivation's ``aligned`` block with the value lines as rows of their own."""
    if not lines:
        return latex.rstrip()
    rows = "".join(f" \\\\\n& {row}" for _text, row, _note in lines)
    head, end = latex.rstrip().rsplit("\n\\end{aligned}", 1)
    return head + rows + "\n\\end{aligned}" + end


def _kink_note(expr: Any, point: dict, jump: bool = False) -> str | None:
    """A note when a ``sign`` or ``Heaviside`` in ``expr`` sees 0 at ``point``.

    In a derivative (``jump`` False) that is a kink of abs or relu; in the function
    itself (``jump`` True) a jump. Either way the derivative may not exist there (|x| and
    x sign(x) at 0 have none; x|x| and x^2 sign(x) have one) and the value shown uses the
    convention, 0, as PyTorch does."""
    import sympy

    subs = _exact_point(expr, point)
    for atom in sorted(expr.atoms(sympy.sign, sympy.Heaviside), key=sympy.default_sort_key):
        if atom.args[0].subs(subs, simultaneous=True) == 0:
            name = "sign" if atom.func is sympy.sign else "Heaviside"
            if jump:
                return (
                    f"note: {_show(atom.args[0])} = 0 here, where {name} jumps, so the "
                    "derivative may not exist; the value above is 0 by the convention PyTorch "
                    "uses"
                )
            return (
                f"note: {_show(atom.args[0])} = 0 here, at the kink of an abs or relu, where "
                "the derivative may not exist; the value above takes "
                f"{name}(0) = {_fmt(float(atom.subs(subs)))}, the convention PyTorch uses"
            )
    return None


def _styled_steps(text: str) -> Any:
    """The steps as rich Text with each rule's name in bold (plain when not a terminal)."""
    from rich.text import Text

    styled = Text()
    for line in text.rstrip().splitlines():
        match = re.match(r"(\s*)([A-Z][\w /-]*?):", line)
        if match:
            styled.append(match.group(1))
            styled.append(match.group(2), style="bold cyan")
            styled.append(line[match.end(2) :] + "\n")
        else:
            styled.append(line + "\n", style="dim" if line.startswith("  ") else "")
    styled.rstrip()
    return styled


# --------------------------------------------------------------------------- grad
def run_grad(args: argparse.Namespace) -> int:
    """``gradkit grad EXPR --at x=1,y=2 [--direction 1,1]``: gradient, D_u f and Hessian.

    Returns 0 after printing the symbolic gradient with its value (checked by autodiff on
    the lambdified expression), the directional derivative along ``u/|u|`` and the Hessian.

    Args:
        args: the parsed ``grad`` arguments (``expr``, ``at``, ``direction``).

    >>> from gradkit.cli import build_parser
    >>> run_grad(build_parser().parse_args(["grad", "x*y", "--at", "x=1,y=2",
    ...                                      "--direction", "0,1"]))
    f = x·y   at x=1, y=2:   f = 2
    ...
    directional derivative along u/|u| = (0, 1): 1   autodiff: 1
    ...
    0
    """
    from rich.table import Table

    import gradkit as gk
    from gradkit import symbolic

    expr = _parse(args.expr)
    point = _point_for(expr, args.at)
    variables = list(point)
    value = _evaluate(expr, point)
    x = np.array([point[name] for name in variables])
    gradient = symbolic.gradient(expr, variables)
    hessian = symbolic.hessian(expr, variables)
    g_symbolic = _gradient_values(gradient, variables, point)
    h_symbolic = np.array(
        [
            [
                _evaluate(
                    hessian[i, j] if hasattr(hessian, "shape") else hessian[i][j],
                    point,
                    "the Hessian",
                )
                for j in range(len(variables))
            ]
            for i in range(len(variables))
        ]
    )
    f = _numpy_function(expr, variables)
    g_auto = np.asarray(gk.grad(f)(x), dtype=float)
    h_auto = np.asarray(gk.hessian(f)(x), dtype=float)

    console = _console()
    where = ", ".join(f"{name}={_fmt(v)}" for name, v in point.items())
    console.print(f"f = {_show(expr)}   at {where}:   f = {_fmt(value)}", markup=False)
    table = Table(title="gradient (symbolic, checked by autodiff)")
    for column in ("partial", "symbolic", "value", "autodiff", "|difference|"):
        table.add_column(column, overflow="fold")
    for name, g, value, auto in zip(variables, gradient, g_symbolic, g_auto, strict=True):
        table.add_row(f"∂f/∂{name}", _show(g), _fmt(value), _fmt(auto), f"{abs(value - auto):.1e}")
    console.print(table)
    if args.direction is not None:
        u = np.array(parse_vector(args.direction, name="--direction"))
        if u.shape != x.shape:
            raise CliError(
                f"--direction {args.direction!r} has {u.size} components; "
                f"the point has {x.size} ({', '.join(variables)})"
            )
        norm = float(np.linalg.norm(u))
        if norm == 0.0 or not np.isfinite(norm):
            raise CliError(f"--direction {args.direction!r} must be a nonzero finite vector")
        dd = float(g_symbolic @ (u / norm))
        dd_auto = float(gk.directional_derivative(f, x, u))
        unit = ", ".join(_fmt(v) for v in u / norm)
        console.print(
            f"directional derivative along u/|u| = ({unit}): "
            f"{_fmt(dd)}   autodiff: {_fmt(dd_auto)}",
            markup=False,
        )
    table = Table(title="Hessian (symbolic)")
    table.add_column("")
    for name in variables:
        table.add_column(f"d/d{name}", overflow="fold")
    for i, name in enumerate(variables):
        table.add_row(f"d/d{name}", *[_fmt(v) for v in h_symbolic[i]])
    console.print(table)
    console.print(
        f"max |Hessian difference| symbolic vs autodiff: {np.max(np.abs(h_symbolic - h_auto)):.1e}",
        markup=False,
    )
    return 0


# --------------------------------------------------------------------------- check
def run_check(args: argparse.Namespace) -> int:
    """``gradkit check EXPR --at ...``: numerical, symbolic and autodiff side by side.

    Returns 0 after printing, for each variable, the three partial derivatives and the
    differences of the numerical and automatic ones from the symbolic one.

    Args:
        args: the parsed ``check`` arguments (``expr``, ``at``).

    >>> from gradkit.cli import build_parser
    >>> run_check(build_parser().parse_args(["check", "x**3", "--at", "2"]))
    derivatives of x³ at x=2
    ...
    d/dx = 3x²
    0
    """
    from rich.table import Table

    import gradkit as gk
    from gradkit import symbolic

    expr = _parse(args.expr)
    names = _free_names(expr)
    point = _point_for(expr, args.at, default_var=names[0] if len(names) == 1 else "x")
    variables = list(point)
    x = np.array([point[name] for name in variables])
    # the symbolic values first: they say most clearly when the point is outside the domain
    _evaluate(expr, point)
    gradient = symbolic.gradient(expr, variables)
    exact = _gradient_values(gradient, variables, point)
    f = _numpy_function(expr, variables)
    try:
        numerical = np.asarray(gk.numerical.gradient(f, x), dtype=float)
    except gk.numerical.NumericalDerivativeError as error:
        raise CliError(_for_the_cli(str(error))) from None
    automatic = np.asarray(gk.grad(f)(x), dtype=float)

    _console().print(
        f"derivatives of {_show(expr)} at " + ", ".join(f"{n}={_fmt(v)}" for n, v in point.items()),
        markup=False,
    )
    table = Table()
    for column in (
        "partial",
        "symbolic",
        "numerical",
        "autodiff",
        "|numerical - symbolic|",
        "|autodiff - symbolic|",
    ):
        table.add_column(column, overflow="fold")
    for i, name in enumerate(variables):
        table.add_row(
            f"d/d{name}",
            _fmt(exact[i]),
            _fmt(numerical[i]),
            _fmt(automatic[i]),
            f"{abs(numerical[i] - exact[i]):.1e}",
            f"{abs(automatic[i] - exact[i]):.1e}",
        )
    console = _console()
    console.print(table)
    for name, g in zip(variables, gradient, strict=True):
        console.print(f"d/d{name} = {_show(g)}", markup=False)
    kink = next(
        (note for note in (_kink_note(g, point) for g in gradient) if note is not None), None
    )
    if kink is not None or _kink_note(expr, point, jump=True) is not None:
        console.print(
            "note: the point is at a kink or jump (an abs, relu, sign or Heaviside sees 0), "
            "where the derivative may not exist: the central difference averages the "
            "slopes on either side, while symbolic and autodiff use the convention "
            "sign(0) = Heaviside(0) = 0, as PyTorch does, so they may disagree there "
            "without either being wrong",
            markup=False,
            style="yellow",
        )
    return 0


_IMAGE_FORMATS = (".png", ".svg", ".pdf")


def _output_path(out: str, allowed: tuple[str, ...] = _IMAGE_FORMATS, mkdir: bool = False) -> Path:
    """The ``--out`` file, checked for a known suffix and an existing folder (created
    only with ``--mkdir``: a typo in a path should not leave new folders behind)."""
    path = Path(out)
    if path.is_dir():
        raise CliError(f"--out {out!r} is a folder; give a file name, e.g. {out}/out.png")
    if path.suffix.lower() not in allowed:
        raise CliError(f"--out {out!r}: the file name must end in {', '.join(allowed)}")
    if path.parent.exists() and not path.parent.is_dir():
        raise CliError(f"--out {out!r}: {path.parent} is not a folder")
    _parent_folder(path, out, mkdir)
    return path


def _parent_folder(path: Path, out: str, mkdir: bool) -> None:
    """Refuse a missing folder for ``path`` unless ``mkdir``, which creates it."""
    if path.parent.is_dir():
        return
    if not mkdir:
        raise CliError(
            f"--out {out!r}: the folder {path.parent} does not exist; create it, or add "
            "--mkdir to have gradkit create it"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CliError(f"--out {out!r}: cannot create {path.parent}: {error.strerror}") from None


def _save_figure(fig: Any, path: Path) -> None:
    try:
        fig.savefig(path, dpi=100, bbox_inches="tight")
    except OSError as error:
        raise CliError(f"cannot write {path}: {error.strerror or error}") from None
    _console().print(f"wrote {path}", markup=False)


def _for_the_cli(message: str) -> str:
    """A numerical error's message with its advice in Python arguments (``step=...``,
    ``method='forward'``) replaced by what the command line user can do."""
    for advice in ("; pass step=", "; use method="):
        cut = message.find(advice)
        if cut >= 0:
            message = message[:cut]
    return (
        message + "; check uses central differences with an adaptive step: in Python, "
        "gk.numerical.derivative takes method= and step= to choose them"
    )


# --------------------------------------------------------------------------- plot
def run_plot(args: argparse.Namespace) -> int:
    """``gradkit plot EXPR --out FILE``: the function, its derivative and a tangent line.

    Returns 0 after writing the figure (``gk.viz.plot_derivative`` with the symbolic
    derivative) to ``--out``.

    Args:
        args: the parsed ``plot`` arguments (``expr``, ``var``, ``xrange``, ``at``, ``out``).

    >>> import tempfile, pathlib
    >>> from gradkit.cli import build_parser
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "cube.png"
    >>> run_plot(build_parser().parse_args(["plot", "x**3", "--at", "1", "--out", str(out)]))
    wrote ...cube.png
    f(x) = x³;  f'(x) = 3x²
    0
    """
    import gradkit as gk
    from gradkit import symbolic

    path = _output_path(args.out, mkdir=getattr(args, "mkdir", False))
    expr = _parse(args.expr)
    others = [name for name in _free_names(expr) if name != args.var]
    if others:
        raise CliError(
            f"plot draws a function of {args.var} alone; {', '.join(others)} "
            f"has no value (substitute a number, or choose --var)"
        )
    low, high = _interval(args.xrange)
    at = None if args.at is None else parse_point(args.at, default_var=args.var)[args.var]
    derivative = symbolic.derive(expr, var=args.var).result
    f = symbolic.lambdify(expr, [args.var])
    df = symbolic.lambdify(derivative, [args.var])
    with np.errstate(all="ignore"):
        finite = np.isfinite(np.asarray(f(np.linspace(low, high, 401)), dtype=float))
    if not finite.any():
        raise CliError(
            f"{_show(expr)} has no finite real value anywhere on --range={args.xrange}; "
            "choose a range inside its domain"
        )
    if not finite.all():
        sys.stderr.write(
            f"gradkit plot: note: {_show(expr)} has no finite real value on part of "
            "the range; the curves leave a gap there\n"
        )
    fig = gk.viz.plot_derivative(f, (low, high), at=at, derivative=df, label=_show(expr))
    _save_figure(fig, path)
    _console().print(
        f"f({args.var}) = {_show(expr)};  f'({args.var}) = {_show(derivative)}", markup=False
    )
    return 0


def _interval(text: str) -> tuple[float, float]:
    values = parse_vector(text, name="--range")
    if len(values) != 2 or not values[0] < values[1] or not np.all(np.isfinite(values)):
        raise CliError(f"--range {text!r}: expected LO,HI with LO < HI, e.g. -3,3")
    return values[0], values[1]


# --------------------------------------------------------------------------- optimize
# The race's own entrants (tutorial settings, tuned learning rates) under short names.
_RACERS = {
    "gd": "gradient descent",
    "momentum": "momentum (tutorial)",
    "nesterov": "nesterov",
    "rmsprop": "rmsprop",
    "adam": "adam",
}
_OPTIMIZERS = (
    "gd",
    "sgd",
    "momentum",
    "nesterov",
    "adam",
    "adamw",
    "nadam",
    "adamax",
    "rmsprop",
    "adagrad",
    "adadelta",
)


def _racers(names: list[str], lr: float | None) -> list[Any]:
    """The race entrants for ``--optimizers`` (the race's defaults when no --lr is given)."""
    from gradkit.optim.race import Racer, default_racers

    defaults = {racer.name: racer for racer in default_racers()}
    racers = []
    for name in names:
        if name not in _OPTIMIZERS:
            raise CliError(
                f"--optimizers: unknown optimizer {name!r}; choose from " + ", ".join(_OPTIMIZERS)
            )
        if lr is None and name in _RACERS:
            racers.append(defaults[_RACERS[name]])
            continue
        rate = 1e-3 if lr is None else lr
        racers.append(Racer(name, _optimizer(name, rate), f"lr={rate:g}"))
    return racers


def run_optimize(args: argparse.Namespace) -> int:
    """``gradkit optimize FUNCTION --optimizers ...``: the race table and its picture.

    Returns 0 after printing the race table (``gk.optim.race`` with the chosen entrants)
    and, with ``--out``, writing the trajectories (``gk.viz.plot_trajectories``).

    Args:
        args: the parsed ``optimize`` arguments (``function``, ``optimizers``, ``lr``,
            ``steps``, ``start``, ``out``).

    >>> from gradkit.cli import build_parser
    >>> run_optimize(build_parser().parse_args(["optimize", "booth", "--optimizers", "adam",
    ...                                          "--steps", "5"]))
    optimizer race on booth from (-1.5, -1.5), 5 steps
    ...
    0
    """
    from rich.table import Table

    import gradkit as gk

    path = None if args.out is None else _output_path(args.out, mkdir=getattr(args, "mkdir", False))
    names = [name.strip() for name in args.optimizers.split(",") if name.strip()]
    if not names:
        raise CliError("--optimizers: give at least one name, e.g. gd,momentum,adam")
    if len(set(names)) != len(names):
        raise CliError(f"--optimizers {args.optimizers!r}: a name is given twice")
    if args.steps < 1:
        raise CliError(f"--steps {args.steps}: must be at least 1")
    if args.lr is not None and not (args.lr > 0 and np.isfinite(args.lr)):
        raise CliError(f"--lr {args.lr}: the learning rate must be a positive number")
    function = gk.functions.get(args.function)
    start = (-1.5, -1.5) if args.start is None else parse_vector(args.start, name="--start")
    if len(start) != 2:
        raise CliError(f"--start {args.start!r}: give two numbers, e.g. -1.5,-1.5")
    race = _race_with_progress(function, start, args.steps, _racers(names, args.lr))
    table = Table(
        title=f"optimizer race on {args.function} from {tuple(start)}, {args.steps} steps"
    )
    header = ["optimizer", "settings", "final f", "distance to minimum", "steps to tol"]
    for column in header:
        table.add_column(column, overflow="fold")
    for row in race.rows():
        if row["diverged_at"] is not None:
            reached = f"diverged at {row['diverged_at']}"
        elif row["steps_to_tol"] is None:
            reached = f"not in {args.steps}"
        else:
            reached = str(row["steps_to_tol"])
        table.add_row(
            row["optimizer"],
            row["settings"],
            f"{row['final_value']:.6g}",
            f"{row['distance']:.6g}",
            reached,
        )
    _console().print(table)
    if path is not None:
        _save_figure(gk.viz.plot_trajectories(function, race.results), path)
    return 0


class _Progress:
    """Progress of a long run on stderr: a line at most every ``every`` seconds, so a
    100,000-step race says what it is doing instead of staying silent for a minute."""

    def __init__(self, total: int, every: float = 5.0) -> None:
        import time

        self.clock = time.monotonic
        self.total, self.every = total, every
        self.next_report = self.clock() + every
        self.name = ""

    def __call__(self, k: int, x: Any, value: float) -> None:
        if k and k % 500 == 0 and self.clock() >= self.next_report:
            self.next_report = self.clock() + self.every
            sys.stderr.write(
                f"gradkit optimize: {self.name}: step {k:,} of {self.total:,} "
                f"({k / self.total:.0%}), f = {value:.6g}\n"
            )
            sys.stderr.flush()


def _race_with_progress(function: Any, start: Any, steps: int, racers: list[Any]) -> Any:
    """``gk.optim.race`` for the CLI: the same runs (``minimize`` with the function's
    closed-form gradient), reporting progress on stderr while they run."""
    from gradkit.optim.minimize import minimize
    from gradkit.optim.race import RaceResult

    progress = _Progress(steps)
    closed_form = getattr(function, "grad", None)
    results = {}
    for racer in racers:
        progress.name = racer.name
        results[racer.name] = minimize(
            function, start, racer.optimizer, steps=steps, grad=closed_form, callback=progress
        )
    x0 = np.asarray(start, dtype=float).reshape(-1)
    finder = getattr(function, "minimizers", None)
    return RaceResult(
        function=function,
        x0=x0,
        steps=steps,
        tol=1e-6,
        results=results,
        settings={racer.name: racer.settings for racer in racers},
        minimizers=list(finder(x0.size)) if callable(finder) else [],
    )


# --------------------------------------------------------------------------- train
def run_train(args: argparse.Namespace) -> int:
    """``gradkit train DATASET``: a small MLP (on digits also a CNN, an LSTM or a
    transformer) trained by gk.nn.fit.

    Returns 0 after training ``Linear -> ReLU -> Linear`` (``--model cnn``: two 3x3
    convolutions, max pooling and two linear layers; ``lstm``/``transformer``: see
    :mod:`gradkit.nn.sequence_models`) with softmax cross-entropy on a 75%
    split and printing the accuracy on the held-out 25%; ``--out`` saves the history.

    Args:
        args: the parsed ``train`` arguments (``dataset``, ``epochs``, ``hidden``,
            ``optimizer``, ``lr``, ``batch_size``, ``seed``, ``out``).

    >>> from gradkit.cli import build_parser
    >>> run_train(build_parser().parse_args(["train", "tutorial", "--epochs", "2"]))
    epoch 2/2 ...
    tutorial: test accuracy ...% on 25 held-out samples
    0
    """
    import gradkit as gk
    from gradkit.nn import datasets

    for option, value in (
        ("--epochs", args.epochs),
        ("--hidden", args.hidden),
        ("--batch-size", args.batch_size),
    ):
        if value < 1:
            raise CliError(f"{option} {value}: must be at least 1")
    if not (args.lr > 0 and np.isfinite(args.lr)):
        raise CliError(f"--lr {args.lr}: the learning rate must be a positive number")
    if args.seed < 0:
        raise CliError(f"--seed {args.seed}: the seed must be 0 or more")
    path = None if args.out is None else _output_path(args.out, mkdir=getattr(args, "mkdir", False))
    if args.dataset == "digits":
        digits = datasets.load_digits()
        X, y = digits["data"] / 16.0, digits["target"]
    else:
        makers: dict[str, Any] = {
            "tutorial": datasets.tutorial_data,
            "moons": datasets.two_moons,
            "spirals": datasets.spirals,
        }
        X, y = makers[args.dataset]()
    y = np.asarray(y).reshape(-1).astype(int)
    X_train, X_test, y_train, y_test = datasets.train_test_split(
        X, y, test_size=0.25, rng=args.seed
    )
    n_classes = int(y.max()) + 1
    model: gk.nn.Module
    if getattr(args, "model", "mlp") == "cnn":
        if args.dataset != "digits":
            raise CliError(
                f"--model cnn trains on images: use the digits dataset, not {args.dataset}"
            )
        X_train, X_test = X_train.reshape(-1, 1, 8, 8), X_test.reshape(-1, 1, 8, 8)
        model = gk.nn.Sequential(
            gk.nn.Conv2d(1, 16, 3, padding=1, rng=args.seed),
            gk.nn.ReLU(),
            gk.nn.Conv2d(16, 32, 3, padding=1, rng=args.seed + 1),
            gk.nn.ReLU(),
            gk.nn.MaxPool2d(2),
            gk.nn.Flatten(),
            gk.nn.Linear(32 * 16, args.hidden, rng=args.seed + 2),
            gk.nn.ReLU(),
            gk.nn.Linear(args.hidden, n_classes, rng=args.seed + 3),
        )
    elif getattr(args, "model", "mlp") in ("lstm", "transformer"):  # nn.sequence_models
        from gradkit.nn import sequence_models as seq

        if args.dataset != "digits":
            raise CliError(
                f"--model {args.model} reads digits row by row: use digits, not {args.dataset}"
            )
        X_train, X_test = seq.rows_as_sequence(X_train, 8), seq.rows_as_sequence(X_test, 8)
        try:
            model = seq.sequence_classifier(args.model, 8, n_classes, 8, args.hidden, args.seed)
        except ValueError as error:
            raise CliError(f"--hidden {args.hidden}: {error}") from None
    else:
        model = gk.nn.Sequential(
            gk.nn.Linear(X.shape[1], args.hidden, rng=args.seed),
            gk.nn.ReLU(),
            gk.nn.Linear(args.hidden, n_classes, rng=args.seed + 1),
        )
    optimizer = _optimizer(args.optimizer, args.lr)
    with warnings.catch_warnings():  # verbose=True prints the divergence already
        warnings.simplefilter("ignore", gk.nn.TrainingDivergedWarning)
        history = gk.nn.fit(
            model,
            X_train,
            y_train,
            loss="cross_entropy",
            optimizer=optimizer,
            epochs=args.epochs,
            batch_size=args.batch_size,
            validation=(X_test, y_test),
            verbose=True,
            seed=args.seed,
        )
    predictions = np.argmax(np.asarray(model(X_test)), axis=1)
    accuracy = float(np.mean(predictions == y_test))
    _console().print(
        f"{args.dataset}: test accuracy {accuracy:.1%} on {len(y_test)} held-out samples",
        markup=False,
    )
    if path is not None:
        _save_figure(gk.viz.plot_training_history(history), path)
    return 0


def _optimizer(name: str, lr: float) -> Any:
    import gradkit as gk

    makers = {
        "sgd": lambda: gk.optim.sgd(lr),
        "gd": lambda: gk.optim.sgd(lr),
        "momentum": lambda: gk.optim.momentum(lr, beta=0.9),
        "nesterov": lambda: gk.optim.sgd(lr, momentum=0.9, nesterov=True),
        "adam": lambda: gk.optim.adam(lr),
        "adamw": lambda: gk.optim.adamw(lr),
        "nadam": lambda: gk.optim.nadam(lr),
        "adamax": lambda: gk.optim.adamax(lr),
        "adadelta": lambda: gk.optim.adadelta(lr),
        "rmsprop": lambda: gk.optim.rmsprop(lr),
        "adagrad": lambda: gk.optim.adagrad(lr),
    }
    if name not in makers:
        raise CliError(f"--optimizer {name!r}: choose one of {', '.join(makers)}")
    return makers[name]()


# --------------------------------------------------------------------------- graph
def run_graph(args: argparse.Namespace) -> int:
    """``gradkit graph EXPR --at ... --out FILE``: the computational graph, DOT/SVG/PNG.

    Returns 0 after writing the graph of the lambdified expression at the point, each node
    with its forward value and gradient (``gk.viz.render_graph``: DOT text always; SVG/PNG
    through Graphviz when installed, else a matplotlib drawing).

    Args:
        args: the parsed ``graph`` arguments (``expr``, ``at``, ``out``).

    >>> import tempfile, pathlib
    >>> from gradkit.cli import build_parser
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "g.dot"
    >>> run_graph(build_parser().parse_args(["graph", "x*y", "--at", "x=2,y=3",
    ...                                       "--out", str(out)]))
    wrote ...g.dot (3 nodes)
    f = x·y = 6 at x=2, y=3
    0
    """
    import gradkit as gk
    from gradkit import symbolic
    from gradkit.autodiff.graph import trace_graph

    path = _output_path(
        args.out,
        allowed=(".dot", ".gv", ".svg", ".png", ".pdf"),
        mkdir=getattr(args, "mkdir", False),
    )
    expr = _parse(args.expr)
    point = _point_for(expr, args.at)
    variables = list(point)
    _evaluate(expr, point)  # a point outside the domain is an input error, not a graph of inf
    f = symbolic.lambdify(expr, variables)

    def named(*values: Any) -> Any:
        return f(*values)

    # trace_graph labels the inputs by the function's parameter names: give it x, y, ...
    named.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in variables]
    )
    graph = trace_graph(named, *[point[name] for name in variables])
    written = gk.viz.render_graph(graph, path)
    console = _console()
    console.print(f"wrote {written} ({len(graph.nodes)} nodes)", markup=False)
    output = graph.nodes[-1]
    console.print(
        f"f = {_show(expr)} = {_fmt(float(output.value))} at "
        + ", ".join(f"{name}={_fmt(v)}" for name, v in point.items()),
        markup=False,
    )
    return 0


# --------------------------------------------------------------------------- tour
def run_tour(args: argparse.Namespace) -> int:
    """``gradkit tour [--out DIR] [--notebook [PATH]]``: write the tour and say where it is.

    Returns 0 when every section ran, 1 when one failed (the page is still written, the
    failure marked on it and named on stderr). The tests run it; an example here would
    take the tour's ~10 s.

    Args:
        args: the parsed ``tour`` arguments (``out``).
    """
    from gradkit.viz import tour

    if args.notebook is not None:  # the tour as a notebook: viz/tour_notebook.py
        from gradkit.viz import tour_notebook as nb

        try:
            path = nb.write_tour_notebook(args.notebook)
        except nb.TourNotebookError as error:
            raise CliError(f"--notebook: {error}") from None
        except OSError as error:
            raise CliError(f"cannot write {args.notebook}: {error.strerror or error}") from None
        _console().print(f"notebook written: {path} (open it in Jupyter, run all)", markup=False)
        return 0
    if not args.out.strip():
        raise CliError("--out is empty; give a folder for the tour, e.g. --out gradkit-tour")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CliError(f"--out {args.out!r} is a file; give a folder for the tour")
    # the tour's own folder is made for it, but not a missing folder above it
    _parent_folder(out, args.out, getattr(args, "mkdir", False))
    try:
        index = tour.build_tour(out, progress=True)
    except tour.TourError as error:
        # not the user's fault: status 1, and the page (with the failure marked) exists
        sys.stderr.write(f"gradkit tour: error: {error}\n")
        return 1
    _console().print(f"tour written: {index} (open it in a browser)", markup=False)
    return 0
