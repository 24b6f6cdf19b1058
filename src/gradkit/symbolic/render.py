"""Rendering a derivation: plain text for a terminal, LaTeX for slides, Markdown for notes.

Each step becomes a header ``Rule: d/dx [expr] = result`` and its sentence, indented
under the step it belongs to. A sentence is stored as pieces (prose, SymPy expressions
and :class:`~gradkit.symbolic.derivation.Math` formulas), so each format writes the
mathematics its own way.

>>> from gradkit.symbolic.derivation import derive
>>> print(to_text(derive("3x^2")))
Constant multiple rule: d/dx [3x²] = 6x
  3 is a constant factor: keep it and differentiate x²
  Power rule: d/dx [x²] = 2x
    bring the exponent n = 2 down and lower it by one: n uⁿ⁻¹
Result: d/dx [3x²] = 6x
>>> print(to_text(derive("3x^2"), unicode=False).splitlines()[-1])
Result: d/dx [3*x^2] = 6*x
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy
from sympy.printing.str import StrPrinter

from gradkit.symbolic.unicode import expr_unicode, prose_unicode

if TYPE_CHECKING:
    from gradkit.symbolic.derivation import Derivation, Step

__all__ = [
    "expr_text",
    "expr_latex",
    "sentence_text",
    "to_text",
    "to_latex",
    "to_markdown",
    "MAX_TEXT_STEPS",
    "MAX_FORMULA_CHARS",
]

#: Steps shown by :func:`to_text` before the rest are summarized in one line: a deeply
#: nested formula has hundreds, each printing a long formula, and the reader wants the
#: first few and the result.
MAX_TEXT_STEPS = 60
#: Characters of one formula in a step's header before it is cut with an ellipsis.
MAX_FORMULA_CHARS = 300

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


def _piece_text(piece: Any, unicode: bool = False) -> str:
    if isinstance(piece, str):
        return prose_unicode(piece) if unicode else piece
    if hasattr(piece, "latex") and hasattr(piece, "text"):
        return prose_unicode(piece.text) if unicode else piece.text
    return _formula(piece, unicode)


def _formula(expr: Any, unicode: bool) -> str:
    # A formula of thousands of parts prints in seconds and reads as noise in a step:
    # it is summarized by its size (the result line still shows the result in full).
    parts = 0
    for _ in sympy.preorder_traversal(expr):
        parts += 1
        if parts > 4 * MAX_FORMULA_CHARS:
            return f"[a formula of more than {4 * MAX_FORMULA_CHARS} parts]"
    text = expr_unicode(expr) if unicode else expr_text(expr)
    if len(text) > MAX_FORMULA_CHARS:
        text = text[: MAX_FORMULA_CHARS - 1] + "…"
    return text


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


def sentence_text(pieces: tuple[Any, ...], unicode: bool = False) -> str:
    """Return the pieces of a step's explanation joined as plain text.

    Args:
        pieces: the step's ``explanation``.
        unicode: write formulas as :func:`~gradkit.symbolic.unicode.expr_unicode` does.

    >>> import sympy
    >>> sentence_text(("let u = ", sympy.Symbol("x") ** 2))
    'let u = x^2'
    >>> sentence_text(("let u = ", sympy.Symbol("x") ** 2), unicode=True)
    'let u = x²'
    """
    return "".join(_piece_text(piece, unicode) for piece in pieces)


def _d_text(step: Step) -> str:
    d = "∂" if step.partial else "d"
    return f"{d}/{d}{step.var}"


def _d_latex(step: Step) -> str:
    d = r"\partial" if step.partial else "d"
    return rf"\frac{{{d}}}{{{d} {sympy.latex(step.var)}}}"


def _header_text(step: Step, unicode: bool = False) -> str:
    expr, result = _formula(step.expr, unicode), _formula(step.result, unicode)
    if step.rule == "simplify":
        return f"Simplify: {expr} = {result}"
    return f"{step.title}: {_d_text(step)} [{expr}] = {result}"


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


def _final_text(derivation: Derivation, unicode: bool = False) -> str:
    root = derivation.steps[0]
    show = expr_unicode if unicode else expr_text
    expr, result = show(derivation.expr), show(derivation.result)
    return f"Result: {_d_text(root)} [{expr}] = {result}"


def to_text(
    derivation: Derivation, unicode: bool = True, max_steps: int | None = MAX_TEXT_STEPS
) -> str:
    """Return the derivation as indented plain text, one rule per header line.

    Args:
        derivation: the result of :func:`~gradkit.symbolic.derive`.
        unicode: formulas as a textbook prints them (``x²``, ``2x``, ``√x``); False
            writes them in ASCII (``x^2``, ``2*x``, ``sqrt(x)``).
        max_steps: show this many steps, then one line counting the rest (None: all).
            The last line, the result, is always shown in full.

    >>> from gradkit.symbolic.derivation import derive
    >>> print(to_text(derive("x + 1")).splitlines()[0])
    Sum / difference rule: d/dx [x + 1] = 1
    """
    out = []
    lines = _lines(derivation)
    shown = lines if max_steps is None else lines[:max_steps]
    for depth, step in shown:
        pad = "  " * depth
        out.append(pad + _header_text(step, unicode))
        if step.rule != "simplify" and step.explanation:
            out.append(pad + "  " + sentence_text(step.explanation, unicode))
    if len(shown) < len(lines):
        out.append(f"… {len(lines) - len(shown)} more steps not shown")
    out.append(_final_text(derivation, unicode))
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
