"""The work behind each ``gradkit`` subcommand (the parser lives in :mod:`gradkit.cli`).

Every ``run_<command>(args)`` takes the parsed arguments, prints through rich (plain text
when the output is not a terminal) and returns the exit status. Bad input raises
:class:`gradkit.cli.CliError` (or another ValueError), which ``main`` turns into one line.
Expressions are only ever read by :func:`gradkit.symbolic.parse`, never evaluated as Python.

>>> import argparse
>>> run_derive(argparse.Namespace(expr="x**3", var="x", at="2", latex=False))  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import sys
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


def _free_names(expr: Any) -> list[str]:
    return sorted(symbol.name for symbol in expr.free_symbols)


def _evaluate(expr: Any, point: dict[str, float], what: str = "the expression") -> float:
    """The real value of a SymPy expression at ``point``; a clear error if it is not real."""
    missing = [name for name in _free_names(expr) if name not in point]
    if missing:
        raise CliError(
            f"{what} uses {', '.join(missing)}: give a value with --at, e.g. "
            + ",".join(f"{name}=1" for name in [*point, *missing])
        )
    substitutions = {symbol: point[symbol.name] for symbol in expr.free_symbols}
    value = complex(expr.evalf(subs=substitutions))
    if abs(value.imag) > 1e-12 * max(1.0, abs(value.real)) or not np.isfinite(value.real):
        where = ", ".join(f"{name}={_fmt(v)}" for name, v in point.items())
        raise CliError(f"{what} has no finite real value at {where}")
    return value.real


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
    return np.array([_evaluate(g, point, f"df/d{name}")
                     for g, name in zip(list(gradient), variables, strict=True)])


# --------------------------------------------------------------------------- derive
def run_derive(args: argparse.Namespace) -> int:
    """``gradkit derive EXPR [--var x] [--at VALUE] [--latex]``: the named steps and result."""
    from rich.text import Text

    from gradkit import symbolic

    if not args.var.isidentifier():
        raise CliError(f"--var {args.var!r} is not a variable name (e.g. --var x)")
    expr = symbolic.parse(args.expr)
    derivation = symbolic.derive(expr, var=args.var)
    console = _console()
    if args.latex:
        # LaTeX goes out raw so it can be pasted; rich would wrap and reinterpret it.
        sys.stdout.write(derivation.to_latex().rstrip() + "\n")
    else:
        console.print(Text(f"d/d{args.var} [ {expr} ]", style="bold"))
        console.print(Text(derivation.to_text().rstrip()))
    console.print(Text.assemble(("result: ", "bold"), f"d/d{args.var} [ {expr} ] = "
                                f"{derivation.result}"))
    if args.at is not None:
        point = _point_for(expr, args.at, default_var=args.var)
        where = ", ".join(f"{name} = {_fmt(v)}" for name, v in point.items())
        value = _evaluate(expr, point)
        slope = _evaluate(derivation.result, point, what="the derivative")
        console.print(Text(f"at {where}: f = {_fmt(value)}, d/d{args.var} = {_fmt(slope)}"))
    return 0


# --------------------------------------------------------------------------- grad
def run_grad(args: argparse.Namespace) -> int:
    """``gradkit grad EXPR --at x=1,y=2 [--direction 1,1]``: gradient, D_u f and Hessian."""
    from rich.table import Table

    import gradkit as gk
    from gradkit import symbolic

    expr = _parse(args.expr)
    point = _point_for(expr, args.at)
    variables = list(point)
    x = np.array([point[name] for name in variables])
    gradient = symbolic.gradient(expr, variables)
    hessian = symbolic.hessian(expr, variables)
    g_symbolic = _gradient_values(gradient, variables, point)
    h_symbolic = np.array([[_evaluate(hessian[i, j] if hasattr(hessian, "shape") else
                                      hessian[i][j], point, "the Hessian")
                            for j in range(len(variables))] for i in range(len(variables))])
    f = _numpy_function(expr, variables)
    g_auto = np.asarray(gk.grad(f)(x), dtype=float)
    h_auto = np.asarray(gk.hessian(f)(x), dtype=float)

    console = _console()
    where = ", ".join(f"{name}={_fmt(v)}" for name, v in point.items())
    console.print(f"f = {expr}   at {where}:   f = {_fmt(_evaluate(expr, point))}",
                  markup=False)
    table = Table(title="gradient (symbolic, checked by autodiff)")
    for column in ("partial", "symbolic", "value", "autodiff", "|difference|"):
        table.add_column(column, overflow="fold")
    for name, g, value, auto in zip(variables, gradient, g_symbolic, g_auto, strict=True):
        table.add_row(f"df/d{name}", str(g), _fmt(value), _fmt(auto), f"{abs(value - auto):.1e}")
    console.print(table)
    if args.direction is not None:
        u = np.array(parse_vector(args.direction, name="--direction"))
        if u.shape != x.shape:
            raise CliError(f"--direction {args.direction!r} has {u.size} components; "
                           f"the point has {x.size} ({', '.join(variables)})")
        norm = float(np.linalg.norm(u))
        if norm == 0.0 or not np.isfinite(norm):
            raise CliError(f"--direction {args.direction!r} must be a nonzero finite vector")
        dd = float(g_symbolic @ (u / norm))
        dd_auto = float(gk.directional_derivative(f, x, u))
        console.print(f"directional derivative along u = {list(u / norm)} (u/|u|): "
                      f"{_fmt(dd)}   autodiff: {_fmt(dd_auto)}", markup=False)
    table = Table(title="Hessian (symbolic value; autodiff |difference| below)")
    table.add_column("")
    for name in variables:
        table.add_column(f"d/d{name}", overflow="fold")
    for i, name in enumerate(variables):
        table.add_row(f"d/d{name}", *[_fmt(v) for v in h_symbolic[i]])
    console.print(table)
    console.print(f"max |Hessian difference| symbolic vs autodiff: "
                  f"{np.max(np.abs(h_symbolic - h_auto)):.1e}", markup=False)
    return 0


# --------------------------------------------------------------------------- check
def run_check(args: argparse.Namespace) -> int:
    """``gradkit check EXPR --at ...``: numerical, symbolic and autodiff side by side."""
    from rich.table import Table

    import gradkit as gk
    from gradkit import symbolic

    expr = _parse(args.expr)
    names = _free_names(expr)
    point = _point_for(expr, args.at, default_var=names[0] if len(names) == 1 else "x")
    variables = list(point)
    x = np.array([point[name] for name in variables])
    f = _numpy_function(expr, variables)
    numerical = np.asarray(gk.numerical.gradient(f, x), dtype=float)
    automatic = np.asarray(gk.grad(f)(x), dtype=float)
    gradient = symbolic.gradient(expr, variables)
    exact = _gradient_values(gradient, variables, point)

    table = Table(title=f"derivatives of {expr} at "
                  + ", ".join(f"{n}={_fmt(v)}" for n, v in point.items()))
    for column in ("partial", "symbolic", "numerical", "autodiff",
                   "|numerical - symbolic|", "|autodiff - symbolic|"):
        table.add_column(column, overflow="fold")
    for i, name in enumerate(variables):
        table.add_row(f"d/d{name}", _fmt(exact[i]), _fmt(numerical[i]), _fmt(automatic[i]),
                      f"{abs(numerical[i] - exact[i]):.1e}",
                      f"{abs(automatic[i] - exact[i]):.1e}")
    console = _console()
    console.print(table)
    for name, g in zip(variables, gradient, strict=True):
        console.print(f"d/d{name} = {g}", markup=False)
    return 0


# --------------------------------------------------------------------------- tour
def run_tour(args: argparse.Namespace) -> int:
    """``gradkit tour [--out DIR]``: write the tour and say where it is."""
    from gradkit.viz import tour

    index = tour.build_tour(Path(args.out), progress=True)
    _console().print(f"tour written: {index} (open it in a browser)", markup=False)
    return 0
