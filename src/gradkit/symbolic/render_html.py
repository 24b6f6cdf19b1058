"""A derivation as HTML with MathML formulas, for Jupyter's ``_repr_html_``.

Browsers typeset MathML themselves, so the steps read as mathematics with no network and
no script (the LaTeX of ``to_latex`` needs MathJax or KaTeX). Each step is a list item,
nested under the step it belongs to: the rule's name, ``d/dx [expr] = result`` as
MathML, then the rule's sentence.

>>> from gradkit.symbolic.derivation import derive
>>> page = to_html(derive("x^2"))
>>> page.count("<li>"), "<mi>x</mi>" in page
(1, True)
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from sympy.printing.mathml import mathml

if TYPE_CHECKING:
    from gradkit.symbolic.derivation import Derivation, Step

__all__ = ["expr_mathml", "to_html"]


def expr_mathml(expr: Any) -> str:
    """Return an expression as presentation MathML (no ``<math>`` wrapper).

    >>> import sympy
    >>> expr_mathml(sympy.Symbol("x") ** 2)
    '<msup><mi>x</mi><mn>2</mn></msup>'
    """
    return mathml(expr, printer="presentation")


def _d_mathml(var: Any, partial: bool) -> str:
    d = "<mo>&part;</mo>" if partial else "<mi>d</mi>"
    return f"<mfrac>{d}<mrow>{d}{expr_mathml(var)}</mrow></mfrac>"


def _equation(step_or_root: Step, expr: Any, result: Any) -> str:
    """``d/dx [expr] = result`` as one ``<math>`` element."""
    d = _d_mathml(step_or_root.var, step_or_root.partial)
    return (
        f'<math display="inline">{d}<mrow><mo>[</mo>{expr_mathml(expr)}<mo>]</mo></mrow>'
        f"<mo>=</mo>{expr_mathml(result)}</math>"
    )


def _piece_html(piece: Any) -> str:
    if isinstance(piece, str):
        return html.escape(piece)
    if hasattr(piece, "latex") and hasattr(piece, "text"):  # a Math formula
        return f"<code>{html.escape(piece.text)}</code>"
    return f'<math display="inline">{expr_mathml(piece)}</math>'


def _step_html(step: Step) -> str:
    if step.rule == "simplify":
        head = (
            f"<b>{html.escape(step.title)}:</b> "
            f'<math display="inline">{expr_mathml(step.expr)}<mo>=</mo>'
            f"{expr_mathml(step.result)}</math>"
        )
    else:
        head = f"<b>{html.escape(step.title)}:</b> {_equation(step, step.expr, step.result)}"
        if step.explanation:
            head += " &mdash; " + "".join(_piece_html(piece) for piece in step.explanation)
    if step.substeps:
        head += "<ul>" + "".join(f"<li>{_step_html(sub)}</li>" for sub in step.substeps)
        head += "</ul>"
    return head


def to_html(derivation: Derivation) -> str:
    """Return the derivation as an HTML list of steps with MathML formulas, then the result.

    Args:
        derivation: the result of :func:`~gradkit.symbolic.derive`.

    >>> from gradkit.symbolic.derivation import derive
    >>> "Result:" in to_html(derive("sin(x)"))
    True
    """
    steps = "".join(f"<li>{_step_html(step)}</li>" for step in derivation.steps)
    root = derivation.steps[0]
    result = _equation(root, derivation.expr, derivation.result)
    return f'<div class="gradkit-derivation"><ul>{steps}</ul><p><b>Result:</b> {result}</p></div>'
