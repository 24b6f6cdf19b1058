"""The ``gradkit`` command line: calculus questions answered from the shell.

Each subcommand lives in :mod:`gradkit.cli_commands`; this module builds the argparse
parser, turns option text into numbers, and turns every known error into one clear line
on stderr with exit status 2 (never a traceback).

>>> main(["--version"])
gradkit 0.1.0
0
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import warnings
from collections.abc import Sequence
from typing import Any

__all__ = [
    "main",
    "build_parser",
    "parse_point",
    "parse_vector",
    "parse_number",
    "AtValue",
    "CliError",
]


#: The commands whose work is symbolic, each run under a deadline of COMMAND_SECONDS.
_SYMBOLIC_COMMANDS = ("derive", "grad", "check", "plot", "graph")
#: Seconds a symbolic command may take before it stops with a one-line error (exit 2).
COMMAND_SECONDS = 30.0


class CliError(ValueError):
    """A problem with the command line's input, reported as one line with exit status 2."""


class AtValue(float):
    """A number from the command line that remembers the exact value typed.

    ``--at pi/2`` is the float 1.5707963267948966 for NumPy and the exact ``pi/2`` for
    SymPy (``exact``), so that ``cos`` there is exactly 0; ``text`` is what was typed.
    """

    exact: Any
    text: str

    def __new__(cls, number: float, exact: Any, text: str) -> AtValue:
        value = super().__new__(cls, number)
        value.exact, value.text = exact, text
        return value


# A plain decimal number (ASCII digits only: float() also reads '١٠'), or inf/nan so
# that they get their own message below.
_PLAIN = re.compile(
    r"\s*[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf(?:inity)?|nan)\s*",
    re.IGNORECASE,
)


def parse_number(text: str, what: str = "value") -> float:
    """Return the number written in ``text``: a decimal, or a constant expression such as
    ``pi/2``, ``2π``, ``e``, ``-pi/4`` or ``√2`` read by the safe parser (never ``eval``).

    The result is an :class:`AtValue` when the text was an expression, carrying the exact
    value. NaN and infinities are returned as floats (the caller decides).

    Args:
        text: the number's text.
        what: names the option in error messages.

    >>> parse_number("2.5")
    2.5
    >>> parse_number("pi/2")
    1.5707963267948966
    >>> parse_number("2π").exact
    2*pi
    """
    if _PLAIN.fullmatch(text):
        return float(text)
    from gradkit.symbolic import parse

    try:
        expr = parse(text)
    except ValueError as error:
        reason = getattr(error, "reason", str(error))
        raise CliError(f"{what} {text!r} is not a number ({reason})") from None
    if expr.free_symbols:
        names = ", ".join(sorted(s.name for s in expr.free_symbols))
        raise CliError(
            f"{what} {text!r} is not a number ({names} has no value); write a number or a "
            "constant expression such as pi/2, 2π, e or -pi/4"
        )
    number = complex(expr.evalf())
    if number.imag != 0:
        raise CliError(f"{what} {text!r} is not a real number")
    return AtValue(number.real, expr, text.strip())


def parse_vector(text: str, name: str = "vector") -> list[float]:
    """Return the numbers of a comma-separated list such as ``"1,-2.5,3e-2"``.

    Each entry is read by :func:`parse_number` (so ``-pi,pi`` works).

    Args:
        text: the option's text.
        name: what the option is, used in the error message.

    >>> parse_vector("1, -2.5,3e-2")
    [1.0, -2.5, 0.03]
    """
    parts = [part.strip() for part in text.split(",")]
    if not text.strip() or any(not part for part in parts):
        raise CliError(f"{name} {text!r}: expected numbers separated by commas, e.g. 1,2")
    return [parse_number(part, what=name) for part in parts]


def parse_point(text: str, default_var: str | None = None) -> dict[str, float]:
    """Return the variable values of ``"x=1,y=2"`` as a dict, in the order given.

    A bare number such as ``"1.5"`` is accepted when ``default_var`` names the variable.
    Values may be constant expressions (``x=pi/2``, ``θ=2π``), read by the safe parser.

    Args:
        text: the ``--at`` option's text.
        default_var: the variable a bare number belongs to, or None to require ``name=value``.

    >>> parse_point("x=1, y=-2.5")
    {'x': 1.0, 'y': -2.5}
    >>> parse_point("0.5", default_var="t")
    {'t': 0.5}
    """
    if "=" not in text and default_var is not None:
        values = parse_vector(text, name="--at")
        if len(values) != 1:
            raise CliError(f"--at {text!r}: give one number, or name=value pairs like x=1,y=2")
        return {default_var: _finite(values[0], text, default_var)}
    point: dict[str, float] = {}
    for item in text.split(","):
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name.isidentifier():
            raise CliError(f"--at {text!r}: expected name=value pairs like x=1,y=2")
        if name in point:
            raise CliError(f"--at {text!r}: {name} is given twice")
        if not value:
            raise CliError(f"--at {text!r}: no value for {name}")
        point[name] = _finite(parse_number(value, what=f"--at {name}="), text, name)
    return point


def _finite(value: float, text: str, name: str) -> float:
    """``value``, or a CliError when it is nan or infinite (no point to evaluate at)."""
    if not math.isfinite(value):
        raise CliError(f"--at {text!r}: {name} must be a finite number, got {value}")
    return value


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors end with one clear line and raise instead of exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise _UsageError(f"{self.prog}: error: {message}")


class _UsageError(Exception):
    pass


_EXAMPLES = {
    "derive": (
        "Differentiate an expression, showing each named rule.",
        'gradkit derive "x**2 * sin(x)" --at 1\n  gradkit derive "exp(a*x)" --var a --latex',
    ),
    "grad": (
        "Gradient, directional derivative and Hessian of a function of several variables.",
        'gradkit grad "x**2 * y + sin(y)" --at x=1,y=2 --direction 1,1',
    ),
    "plot": (
        "Draw a function of one variable and its derivative (PNG, SVG or PDF).",
        'gradkit plot "sin(x) * exp(-x/4)" --range -2,8 --at 1 --out plot.png',
    ),
    "optimize": (
        "Race optimizers on a test function: prints the table and draws the trajectories.",
        "gradkit optimize rosenbrock --optimizers gd,momentum,adam --steps 1000 "
        "--out race.png\n  gradkit optimize himmelblau --optimizers adam,rmsprop --lr 0.05 "
        "--start 0,0",
    ),
    "train": (
        "Train a small network on a built-in dataset, with a progress bar.",
        "gradkit train spirals --hidden 64 --epochs 300 --lr 0.02 --out history.png",
    ),
    "check": (
        "Compare numerical, symbolic and automatic derivatives side by side.",
        'gradkit check "log(1 + x**2) * y" --at x=0.5,y=3',
    ),
    "graph": (
        "Draw the computational graph of an expression with forward values and gradients.",
        'gradkit graph "sigmoid(w*x + b)" --at w=0.5,x=2,b=-1 --out graph.svg',
    ),
    "tour": (
        "Write the tour of the tutorial (index.html and its images) into a folder.",
        "gradkit tour --out gradkit-tour",
    ),
}


def _subparser(commands: Any, name: str) -> argparse.ArgumentParser:
    description, example = _EXAMPLES[name]
    return commands.add_parser(
        name,
        help=description,
        description=description,
        epilog=f"example:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _add_mkdir(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--mkdir",
        action="store_true",
        help="create the folder of --out if it is missing (otherwise that is an error)",
    )


def build_parser() -> argparse.ArgumentParser:
    """Return the ``gradkit`` argument parser with all its subcommands.

    >>> build_parser().parse_args(["derive", "x**2", "--at", "3"]).command
    'derive'
    """
    from gradkit import __version__

    parser = _Parser(
        prog="gradkit",
        description="gradkit: the calculus of deep learning on the command line.",
        epilog='example:\n  gradkit derive "x**2 * sin(x)" --at 1\n  gradkit tour',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"gradkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = _subparser(commands, "derive")
    p.add_argument("expr", metavar="EXPR", help="the expression, e.g. 'x**2 * sin(x)'")
    p.add_argument("--var", default="x", help="the variable to differentiate by (default x)")
    p.add_argument("--at", help="evaluate there: a number for VAR, or x=1,y=2")
    p.add_argument("--latex", action="store_true", help="print the steps as LaTeX")

    p = _subparser(commands, "grad")
    p.add_argument("expr", metavar="EXPR")
    p.add_argument("--at", required=True, help="the point, e.g. x=1,y=2 (sets the variables)")
    p.add_argument("--direction", help="a direction for the directional derivative, e.g. 1,1")

    p = _subparser(commands, "plot")
    p.add_argument("expr", metavar="EXPR")
    p.add_argument("--var", default="x", help="the variable on the horizontal axis")
    p.add_argument("--range", dest="xrange", default="-3,3", help="LO,HI (default -3,3)")
    p.add_argument("--at", help="draw the tangent line at this point")
    p.add_argument("--out", required=True, help="the image file to write (.png, .svg, .pdf)")
    _add_mkdir(p)

    p = _subparser(commands, "optimize")
    p.add_argument("function", metavar="FUNCTION", help="a test function, e.g. rosenbrock")
    p.add_argument("--optimizers", default="gd,momentum,adam", help="comma-separated names")
    p.add_argument("--lr", type=float, help="learning rate for every optimizer")
    p.add_argument("--steps", type=int, default=1000, help="steps per optimizer (default 1000)")
    p.add_argument("--start", help="starting point, e.g. -1.5,-1.5")
    p.add_argument("--out", help="the image file for the trajectories")
    _add_mkdir(p)

    p = _subparser(commands, "train")
    p.add_argument(
        "dataset",
        metavar="DATASET",
        choices=["tutorial", "moons", "spirals", "digits"],
        help="tutorial, moons, spirals or digits",
    )
    p.add_argument("--epochs", type=int, default=100, help="passes over the data (default 100)")
    p.add_argument(
        "--model",
        default="mlp",
        choices=["mlp", "cnn", "lstm", "transformer"],
        help="mlp (default), cnn (two convolutions), lstm or transformer (2 layers; these "
        "two read each digit row by row); all but mlp on digits only",
    )
    p.add_argument("--hidden", type=int, default=32, help="hidden units (default 32)")
    p.add_argument("--optimizer", default="adam", help="sgd, momentum, adam, ... (default adam)")
    p.add_argument("--lr", type=float, default=0.01, help="learning rate (default 0.01)")
    p.add_argument("--batch-size", type=int, default=32, help="minibatch size (default 32)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", help="an image file for the training history")
    _add_mkdir(p)

    p = _subparser(commands, "check")
    p.add_argument("expr", metavar="EXPR")
    p.add_argument("--at", required=True, help="the point, e.g. x=1,y=2 (a bare number: x)")

    p = _subparser(commands, "graph")
    p.add_argument("expr", metavar="EXPR")
    p.add_argument("--at", required=True, help="the point, e.g. x=1,y=2")
    p.add_argument("--out", required=True, help=".dot (always), .svg, .png or .pdf")
    _add_mkdir(p)

    p = _subparser(commands, "tour")
    p.add_argument("--out", default="gradkit-tour", help="output folder (default gradkit-tour)")
    _add_mkdir(p)
    p.add_argument(
        "--notebook",
        nargs="?",
        const="gradkit-tour.ipynb",
        metavar="PATH",
        help="write it as a Jupyter notebook instead (default gradkit-tour.ipynb)",
    )
    return parser


# Options whose value may start with a minus sign ("--range -2,8"); argparse would take
# such a value for an option, so main() joins them as "--range=-2,8" first.
_SIGNED_OPTIONS = ("--at", "--range", "--direction", "--start", "--lr")
_NEGATIVE = re.compile(r"-(?!-)")


def _join_signed_values(argv: list[str]) -> list[str]:
    joined: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        if token in _SIGNED_OPTIONS and i + 1 < len(argv) and _NEGATIVE.match(argv[i + 1]):
            # a negative number or expression: --at -1.5, --at -pi/4, --range -π,π
            joined.append(f"{token}={argv[i + 1]}")
            i += 2
            continue
        if token == "--":  # everything after "--" is positional
            joined.extend(argv[i:])
            break
        if token.startswith("-") and not token.startswith("--") and token not in ("-h",):
            # gradkit has no short options but -h: "-x^2" or "-2x" is a formula, which
            # argparse would take for an unknown option. A leading space keeps it a value
            # (the parser ignores it).
            token = " " + token
        joined.append(token)
        i += 1
    return joined


def _known_errors() -> tuple[type[BaseException], ...]:
    """The error classes that mean bad input rather than a bug in gradkit."""
    # OSError: an --out path that cannot be written is a bad option, not a gradkit bug.
    known: list[type[BaseException]] = [ValueError, TypeError, ArithmeticError, OSError]
    # Only look at modules already loaded: importing sympy just to name an error is slow.
    for module_name, attr in (
        ("gradkit.symbolic", "ParseError"),
        ("gradkit.autodiff.errors", "GradkitError"),
    ):
        module = sys.modules.get(module_name)
        if module is not None and hasattr(module, attr):
            known.append(getattr(module, attr))
    return tuple(known)


def _one_line(error: BaseException) -> str:
    reason, position = getattr(error, "reason", None), getattr(error, "position", None)
    if reason is not None and position is not None:  # gk.symbolic.ParseError
        text = getattr(error, "text", "")
        shown = f" {text!r}" if isinstance(text, str) and len(text) <= 60 else ""
        return f"cannot read the expression{shown} at position {position}: {reason}"
    text = " ".join(str(error).split()) or type(error).__name__
    if position is not None and "position" not in text:
        text = f"{text} (at position {position})"
    return text


def _one_line_warning(command: str) -> Any:
    """A ``warnings.showwarning`` that prints each distinct warning once, on one line
    (NumPy's overflow warnings name a line of library source otherwise)."""
    seen: set = set()

    def show(message: Any, category: Any, *rest: Any, **kw: Any) -> None:
        text = str(message)
        if text not in seen:
            seen.add(text)
            sys.stderr.write(f"gradkit {command}: warning: {text}\n")

    return show


def _missing_extra(error: ImportError) -> str:
    """The one-line message for a missing optional dependency, naming its extra.

    >>> _missing_extra(ModuleNotFoundError("No module named 'sympy'", name="sympy"))
    'this command needs sympy, which is not installed: pip install "gradkit[cli]"'
    """
    from gradkit._optional import EXTRAS

    name = (getattr(error, "name", None) or "").split(".")[0]
    if name in EXTRAS:
        return f'this command needs {name}, which is not installed: pip install "gradkit[cli]"'
    return _one_line(error)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status.

    Status 0 on success, 2 for a bad expression or option (one line on stderr).

    Args:
        argv: the arguments after the program name.

    >>> main(["--version"])
    gradkit 0.1.0
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(_join_signed_values(list(sys.argv[1:] if argv is None else argv)))
    except _UsageError as error:
        sys.stderr.write(f"{error}\n")
        return 2
    except SystemExit as stop:  # --help and --version end here with status 0
        return stop.code if isinstance(stop.code, int) else 0
    if args.command is None:
        parser.print_help(sys.stdout)
        return 0
    try:
        from gradkit._optional import require

        require("rich", "the gradkit command")
        from gradkit import cli_commands

        run = getattr(cli_commands, f"run_{args.command}")
        with warnings.catch_warnings():
            # each warning shown once, as one line (never raised: a -W error filter in
            # the caller would turn NumPy's overflow notes into crashes)
            warnings.simplefilter("default")
            warnings.showwarning = _one_line_warning(args.command)
            if args.command not in _SYMBOLIC_COMMANDS:
                return int(run(args) or 0)
            from gradkit.symbolic.deadline import time_limit

            with time_limit(COMMAND_SECONDS, f"gradkit {args.command}"):
                return int(run(args) or 0)
    except ImportError as error:  # an extra that is not installed: name it
        sys.stderr.write(f"gradkit {args.command}: error: {_missing_extra(error)}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("gradkit: interrupted\n")
        return 130
    except MemoryError:
        sys.stderr.write(
            f"gradkit {args.command}: error: not enough memory for this run; "
            "use smaller sizes (--hidden, --batch-size, --steps, ...)\n"
        )
        return 2
    except RecursionError:
        sys.stderr.write(
            f"gradkit {args.command}: error: the expression is nested too deeply for SymPy "
            "to work with; write it with fewer levels\n"
        )
        return 2
    except Exception as error:
        if not isinstance(error, _known_errors()):
            # a bug in gradkit, not the user's input: still one line, never a traceback
            sys.stderr.write(
                f"gradkit {args.command}: internal error: {type(error).__name__}: "
                f"{_one_line(error)} (please report this with the command line)\n"
            )
            return 1
        sys.stderr.write(f"gradkit {args.command}: error: {_one_line(error)}\n")
        return 2
    except BaseException as error:  # a symbolic deadline's signal escaping its block
        if type(error).__name__ != "_Expired":
            raise
        sys.stderr.write(f"gradkit {args.command}: error: stopped at the time limit\n")
        return 2
