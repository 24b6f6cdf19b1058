"""Rendering a derivation: plain text for a terminal, LaTeX for slides, Markdown for notes.

Each step becomes a header ``Rule: d/dx [expr] = result`` and its sentence, indented
under the step it belongs to. A sentence is stored as pieces (prose, SymPy expressions
and :class:`~gradkit.symbolic.derivation.Math` formulas), so each format writes the
mathematics its own way.

>>> from gradkit.symbolic.derivation import derive
>>> print(to_text(derive("3x^2")))
Constant multiple rule: d/dx [3*x^2] = 6*x
  3 is a constant factor: keep it and differentiate x^2
  Power rule: d/dx [x^2] = 2*x
    bring the exponent n = 2 down and lower it by one: n u^(n-1)
Result: d/dx [3*x^2] = 6*x
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy
from sympy.printing.str import StrPrinter

if TYPE_CHECKING:
    from gradkit.symbolic.derivation import Derivation, Step

__all__ = ["expr_text", "expr_latex", "sentence_text", "to_text", "to_latex", "to_markdown"]

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "^": r"\^{}",
    "_": r"\_",
    "%": r"\%",
    "~": r"\~{}",
}


class _TextPrinter(StrPrinter):
    """SymPy's text printer, with Euler's number written ``e`` as the parser reads it.

    SymPy writes it ``E``, which a reader can take for a variable named E.
    """

    def _print_Exp1(self, expr: Any) -> str:
        return "e"


def expr_text(expr: Any, power: str = "^") -> str:
    """Return an expression as one line of text, with ``^`` (or ``power``) for powers.

    Euler's number is written ``e``, as :func:`~gradkit.symbolic.parse` reads it.

    >>> import sympy
    >>> expr_text(sympy.Symbol("x") ** 2 / 3)
    'x^2/3'
    >>> expr_text(sympy.E * sympy.Symbol("x") ** (sympy.E - 1), power="**")
    'e*x**(-1 + e)'
    """
    text = _TextPrinter().doprint(expr)
    return text if power == "**" else text.replace("**", power)


def expr_latex(expr: Any) -> str:
    """Return an expression as LaTeX (SymPy's printer, with the activations named).

    >>> import sympy
    >>> expr_latex(sympy.sqrt(sympy.Symbol("x")))
    '\\\\sqrt{x}'
    """
    return sympy.latex(expr)


def _piece_text(piece: Any) -> str:
    if isinstance(piece, str):
        return piece
    if hasattr(piece, "latex") and hasattr(piece, "text"):
        return piece.text
    return expr_text(piece)


def _piece_latex(piece: Any) -> str:
    if isinstance(piece, str):
        return r"\text{" + "".join(_LATEX_SPECIALS.get(c, c) for c in piece) + "}"
    if hasattr(piece, "latex") and hasattr(piece, "text"):
        return piece.latex
    return expr_latex(piece)


def _piece_markdown(piece: Any) -> str:
    if isinstance(piece, str):
        return "".join("\\" + c if c in "*_`[]<>|" else c for c in piece)
    if hasattr(piece, "latex") and hasattr(piece, "text"):
        return f"${piece.latex}$"
    return f"${expr_latex(piece)}$"


def sentence_text(pieces: tuple[Any, ...]) -> str:
    """Return the pieces of a step's explanation joined as plain text.

    >>> import sympy
    >>> sentence_text(("let u = ", sympy.Symbol("x") + 1))
    'let u = x + 1'
    """
    return "".join(_piece_text(piece) for piece in pieces)


def _d_text(step: Step) -> str:
    d = "∂" if step.partial else "d"
    return f"{d}/{d}{step.var}"


def _d_latex(step: Step) -> str:
    d = r"\partial" if step.partial else "d"
    return rf"\frac{{{d}}}{{{d} {sympy.latex(step.var)}}}"


def _header_text(step: Step) -> str:
    if step.rule == "simplify":
        return f"Simplify: {expr_text(step.expr)} = {expr_text(step.result)}"
    return f"{step.title}: {_d_text(step)} [{expr_text(step.expr)}] = {expr_text(step.result)}"


def _header_latex(step: Step) -> str:
    if step.rule == "simplify":
        return f"{expr_latex(step.expr)} = {expr_latex(step.result)}"
    return (
        rf"{_d_latex(step)}\left[{expr_latex(step.expr)}\right] = "
        rf"{expr_latex(step.result)}"
    )


def _lines(derivation: Derivation) -> list[tuple[int, Step]]:
    """(depth, step) in reading order, without recursion."""
    lines: list[tuple[int, Step]] = []
    stack = [(0, step) for step in reversed(derivation.steps)]
    while stack:
        depth, step = stack.pop()
        lines.append((depth, step))
        stack.extend((depth + 1, sub) for sub in reversed(step.substeps))
    return lines


def _final_text(derivation: Derivation) -> str:
    root = derivation.steps[0]
    expr, result = expr_text(derivation.expr), expr_text(derivation.result)
    return f"Result: {_d_text(root)} [{expr}] = {result}"


def to_text(derivation: Derivation) -> str:
    """Return the derivation as indented plain text, one rule per header line.

    Args:
        derivation: the result of :func:`~gradkit.symbolic.derive`.

    >>> from gradkit.symbolic.derivation import derive
    >>> print(to_text(derive("x + 1")).splitlines()[0])
    Sum / difference rule: d/dx [x + 1] = 1
    """
    out = []
    for depth, step in _lines(derivation):
        pad = "  " * depth
        out.append(pad + _header_text(step))
        if step.rule != "simplify" and step.explanation:
            out.append(pad + "  " + sentence_text(step.explanation))
    out.append(_final_text(derivation))
    return "\n".join(out)


def to_latex(derivation: Derivation) -> str:
    r"""Return the derivation as a LaTeX ``aligned`` block, each step on its own row.

    Wrap it in ``$$ ... $$`` or an ``equation*`` environment; Jupyter does that itself.

    Args:
        derivation: the result of :func:`~gradkit.symbolic.derive`.

    >>> from gradkit.symbolic.derivation import derive
    >>> print(to_latex(derive("x")).splitlines()[1])
    & \textbf{Identity rule:}\ \frac{d}{d x}\left[x\right] = 1 \\
    """
    rows = []
    for depth, step in _lines(derivation):
        pad = r"\qquad " * depth
        rows.append(rf"& {pad}\textbf{{{step.title}:}}\ {_header_latex(step)}")
        if step.rule != "simplify" and step.explanation:
            sentence = " ".join(_piece_latex(piece) for piece in step.explanation)
            rows.append(rf"& {pad}\qquad {sentence}")
    root = derivation.steps[0]
    rows.append(
        rf"& \textbf{{Result:}}\ {_d_latex(root)}\left[{expr_latex(derivation.expr)}"
        rf"\right] = {expr_latex(derivation.result)}"
    )
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def to_markdown(derivation: Derivation) -> str:
    r"""Return the derivation as a Markdown nested list with ``$...$`` math.

    Args:
        derivation: the result of :func:`~gradkit.symbolic.derive`.

    >>> from gradkit.symbolic.derivation import derive
    >>> print(to_markdown(derive("x")).splitlines()[0])
    - **Identity rule**: $\frac{d}{d x}\left[x\right] = 1$ — the derivative of x ...
    """
    out = []
    for depth, step in _lines(derivation):
        pad = "  " * depth
        line = f"{pad}- **{step.title}**: ${_header_latex(step)}$"
        if step.rule != "simplify" and step.explanation:
            line += " — " + "".join(_piece_markdown(piece) for piece in step.explanation)
        out.append(line)
    root = derivation.steps[0]
    out.append("")
    out.append(
        rf"**Result**: ${_d_latex(root)}\left[{expr_latex(derivation.expr)}\right] = "
        rf"{expr_latex(derivation.result)}$"
    )
    return "\n".join(out)
