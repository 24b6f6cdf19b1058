"""Step-by-step derivatives: a tree of named rules, built over a SymPy expression.

:func:`derive` walks the expression from the outside in. At each node it picks the
rule that applies (sum, constant multiple, quotient, product, power, chain, one of
the function rules in :data:`~gradkit.symbolic.rules.FUNCTION_RULES`, or logarithmic
differentiation for ``f(x)^g(x)``), records a :class:`Step` with what is
differentiated, what comes out, and a sentence saying why, and recurses into the
parts. SymPy does the algebra of combining the parts; the steps are gradkit's.

>>> d = derive("x^2 sin(x)")
>>> d.result
x*(x*cos(x) + 2*sin(x))
>>> [step.rule for step in d.walk()]
['product', 'power', 'trigonometric', 'simplify']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import sympy

from gradkit.symbolic.deadline import with_time_limit
from gradkit.symbolic.inputs import as_expression, as_variable
from gradkit.symbolic.rules import FUNCTION_RULES, RULES

__all__ = ["Math", "Step", "Derivation", "DerivativeError", "derive"]

_MAX_DEPTH = 150  # nested sub-expressions; parse() output stays far below this
_MAX_SIMPLIFY_OPS = 200  # larger results are shown as built rather than risk a slow simplify
_MAX_EXPANDED_DEGREE = 12  # no cancel/factor (which expand and factor) above this exponent,
_MAX_TOTAL_DEGREE = 40  # this degree of the whole expression multiplied out,
_MAX_EXPANDED_TERMS = 400  # or this many terms multiplied out


#: What a real derivative never contains: SymPy's infinities, NaN and the imaginary unit.
_UNDEFINED = (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo, sympy.I)


class DerivativeError(ValueError):
    """Raised when a derivative has no real value, with where and why in the message.

    Attributes: ``expr`` (the part of the formula that has no real derivative) and
    ``reason`` (the message).

    >>> try:
    ...     derive("0^x")
    ... except DerivativeError as error:
    ...     print(error.expr)
    0**x
    """

    def __init__(self, reason: str, expr: Any) -> None:
        self.reason = reason
        self.expr = expr
        super().__init__(reason)


class Math(NamedTuple):
    """A formula inside a sentence, written both as plain text and as LaTeX."""

    text: str
    latex: str


@dataclass(frozen=True, eq=False)
class Step:
    """One application of a rule: ``d/d{var} [expr] = result``, with the reasons.

    Attributes:
        rule: the key of the rule in :data:`~gradkit.symbolic.rules.RULES`.
        expr: the SymPy expression differentiated at this step.
        result: its derivative.
        var: the variable of differentiation (a chain rule's outer step uses ``u``).
        explanation: the sentence, as pieces: prose strings, SymPy expressions and
            :class:`Math` formulas (the renderers format each piece).
        substeps: the steps this one combines.
        partial: whether other variables are present (written with a ∂).
    """

    rule: str
    expr: Any
    result: Any
    var: Any
    explanation: tuple[Any, ...] = ()
    substeps: tuple[Step, ...] = ()
    partial: bool = False

    @property
    def title(self) -> str:
        """The rule's human name.

        >>> derive("x sin(x)").steps[0].title
        'Product rule'
        """
        return RULES[self.rule].title

    @property
    def sentence(self) -> str:
        """The explanation as one line of plain text.

        >>> derive("sin(2x)").steps[0].sentence
        "let u = 2*x; then d/dx f(u) = f'(u) · du/dx"
        """
        from gradkit.symbolic.render import sentence_text

        return sentence_text(self.explanation)

    def walk(self) -> Iterator[Step]:
        """Yield this step and every substep, depth first, in reading order.

        >>> [step.rule for step in derive("e^(3x)").steps[0].walk()]
        ['chain', 'exponential', 'constant multiple', 'identity']
        """
        stack = [self]
        while stack:
            step = stack.pop()
            yield step
            stack.extend(reversed(step.substeps))


class Derivation:
    """The derivative of an expression together with the named steps that produce it.

    Attributes: ``expr``, ``var``, ``result`` (simplified when that shortens it),
    ``raw_result`` (as the rules built it), ``steps`` (the top-level steps: the rule
    tree, then a ``simplify`` step when simplifying changed the result).
    """

    def __init__(self, expr: Any, var: Any, steps: tuple[Step, ...], result: Any) -> None:
        self.expr = expr
        self.var = var
        self.steps = steps
        self.result = result
        self.raw_result = steps[0].result
        self.partial = steps[0].partial

    def walk(self) -> Iterator[Step]:
        """Yield every step of the derivation in reading order.

        >>> [step.result for step in derive("x^3 + x").walk()]
        [3*x**2 + 1, 1, 3*x**2]
        """
        for step in self.steps:
            yield from step.walk()

    @property
    def rules(self) -> list[str]:
        """The rule names used, in order of first use.

        >>> derive("x^x").rules
        ['logarithmic differentiation', 'product', 'identity', 'logarithm']
        """
        return list(dict.fromkeys(step.rule for step in self.walk()))

    def to_text(self, unicode: bool = True, max_steps: int | None = 60) -> str:
        """Return the derivation as indented plain text for a terminal.

        Args:
            unicode: formulas as a textbook prints them (``x²``, ``2x``, ``√x``);
                False writes ASCII (``x^2``, ``2*x``, ``sqrt(x)``).
            max_steps: steps shown before one line counts the rest (None: all).

        >>> print(derive("x sin(x)").to_text())
        Product rule: d/dx [x·sin(x)] = x·cos(x) + sin(x)
          a product f g with f = x and g = sin(x): (f g)' = f' g + f g'
          Identity rule: d/dx [x] = 1
            the derivative of x with respect to itself is 1
          Trigonometric rule: d/dx [sin(x)] = cos(x)
            the derivative of sine is cosine
        Result: d/dx [x·sin(x)] = x·cos(x) + sin(x)
        """
        from gradkit.symbolic.render import to_text

        return to_text(self, unicode=unicode, max_steps=max_steps)

    def to_latex(self) -> str:
        r"""Return the derivation as a LaTeX ``aligned`` block (no surrounding ``$$``).

        >>> print(derive("x^2").to_latex().splitlines()[1])
        & \textbf{Power rule:}\ \frac{d}{d x}\left[x^{2}\right] = 2 x \\
        """
        from gradkit.symbolic.render import to_latex

        return to_latex(self)

    def to_markdown(self) -> str:
        r"""Return the derivation as a Markdown nested list with ``$...$`` math.

        >>> print(derive("e^x").to_markdown())
        - **Exponential rule**: $\frac{d}{d x}\left[e^{x}\right] = e^{x}$ — e^u is its ...
        <BLANKLINE>
        **Result**: $\frac{d}{d x}\left[e^{x}\right] = e^{x}$
        """
        from gradkit.symbolic.render import to_markdown

        return to_markdown(self)

    def to_html(self) -> str:
        """Return the derivation as HTML: nested steps with MathML formulas (Jupyter's view).

        >>> "<math" in derive("x^3").to_html()
        True
        """
        from gradkit.symbolic.render_html import to_html

        return to_html(self)

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_latex_(self) -> str:
        return "$$" + self.to_latex() + "$$"

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        from gradkit.symbolic.render import expr_text

        def short(text: str, limit: int = 70) -> str:  # a repr stays one short line
            return text if len(text) <= limit else text[: limit - 3] + "..."

        d = "∂" if self.partial else "d"
        expr, result = short(expr_text(self.expr, "**")), short(expr_text(self.result, "**"))
        return f"<Derivation {d}/{d}{self.var} [{expr}] = {result}>"


class _Builder:
    """Recursive construction of the step tree for one variable."""

    def __init__(self, var: Any, expr: Any) -> None:
        self.var = var
        self.partial = bool(expr.free_symbols - {var})
        self.reserved = {s.name for s in expr.free_symbols} | {var.name}
        self.letters: list[Any] = []
        self.depth = 0
        self.chain_level = 0

    def letter(self) -> Any:
        """The placeholder ``u`` for the current chain-rule nesting level."""
        candidates = ("u", "v", "w") + tuple(f"u_{i}" for i in range(1, 1000))
        while len(self.letters) <= self.chain_level:
            name = next(c for c in candidates[len(self.letters) :] if c not in self.reserved)
            self.reserved.add(name)
            self.letters.append(sympy.Symbol(name, real=True))
        return self.letters[self.chain_level]

    def step(
        self,
        rule: str,
        expr: Any,
        result: Any,
        explanation: tuple[Any, ...],
        substeps: tuple[Step, ...] = (),
    ) -> Step:
        return Step(rule, expr, result, self.var, explanation, substeps, self.partial)

    def derive(self, expr: Any) -> Step:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise ValueError(
                f"expression nested too deeply to show steps (more than {_MAX_DEPTH} levels)"
            )
        try:
            for applies, handler in self.dispatch:
                if applies(self, expr):
                    return handler(self, expr)
            return self.fallback(expr)
        finally:
            self.depth -= 1

    # -- the rules -----------------------------------------------------------------
    def constant(self, expr: Any) -> Step:
        others = sorted(expr.free_symbols, key=str)
        if not others:
            why: tuple[Any, ...] = (expr, " is a number, so its derivative is 0")
        else:
            held = ", ".join(str(s) for s in others)
            why = (
                expr,
                f" does not contain {self.var}: with {held} held fixed it is a "
                "constant, so its derivative is 0",
            )
        return self.step("constant", expr, sympy.S.Zero, why)

    def identity(self, expr: Any) -> Step:
        return self.step(
            "identity",
            expr,
            sympy.S.One,
            (f"the derivative of {self.var} with respect to itself is 1",),
        )

    def sum(self, expr: Any) -> Step:
        parts = tuple(self.derive(term) for term in expr.args)
        result = sympy.Add(*(part.result for part in parts))
        kind = "difference" if any(t.could_extract_minus_sign() for t in expr.args) else "sum"
        why = (
            f"differentiate term by term: the derivative of a {kind} is the {kind} of the "
            "derivatives",
        )
        return self.step("sum", expr, result, why, parts)

    def product_or_quotient(self, expr: Any) -> Step:
        coefficient, rest = expr.as_independent(self.var, as_Add=False)
        if coefficient != 1:
            return self.constant_multiple(expr, coefficient, rest)
        factors = list(expr.args)
        numerator = [f for f in factors if not _is_denominator(f)]
        denominator = [f.base**-f.exp for f in factors if _is_denominator(f)]
        if denominator and (numerator or len(denominator) > 1):
            return self.quotient(expr, sympy.Mul(*numerator), sympy.Mul(*denominator))
        return self.product(expr, factors)

    def constant_multiple(self, expr: Any, coefficient: Any, rest: Any) -> Step:
        base = _log_base(coefficient, rest)
        if base is not None:
            return self.log_base(expr, rest.args[0], base)
        inner = self.derive(rest)
        why: tuple[Any, ...] = (
            coefficient,
            " is a constant factor",
        )
        if coefficient.free_symbols:
            why += (f" (it does not contain {self.var})",)
        why += (": keep it and differentiate ", rest)
        return self.step("constant multiple", expr, coefficient * inner.result, why, (inner,))

    def quotient(self, expr: Any, f: Any, g: Any) -> Step:
        df, dg = self.derive(f), self.derive(g)
        result = (df.result * g - f * dg.result) / g**2
        why = (
            "a quotient f/g with f = ",
            f,
            " and g = ",
            g,
            ": ",
            Math(
                "(f/g)' = (f' g - f g') / g^2",
                r"\left(\frac{f}{g}\right)' = \frac{f' g - f g'}{g^2}",
            ),
        )
        return self.step("quotient", expr, result, why, (df, dg))

    def product(self, expr: Any, factors: list[Any]) -> Step:
        parts = tuple(self.derive(f) for f in factors)
        result = sympy.Add(
            *(
                sympy.Mul(*factors[:i], part.result, *factors[i + 1 :])
                for i, part in enumerate(parts)
            )
        )
        if len(factors) == 2:
            why: tuple[Any, ...] = (
                "a product f g with f = ",
                factors[0],
                " and g = ",
                factors[1],
                ": ",
                Math("(f g)' = f' g + f g'", "(f g)' = f' g + f g'"),
            )
        else:
            why = (
                f"a product of {len(factors)} factors: differentiate one factor at a time, "
                "keep the others, and add the results",
            )
        return self.step("product", expr, result, why, parts)

    def power(self, expr: Any) -> Step:
        base, exponent = expr.base, expr.exp
        if not exponent.has(self.var):
            return self.outer_and_chain(
                expr,
                base,
                lambda u: u**exponent,
                lambda u: exponent * u ** (exponent - 1),
                "power",
                _power_note(exponent),
            )
        if not base.has(self.var):
            _check_constant_base(expr, base, exponent)
            note = ("for a constant base a = ", base, ": the derivative of a^u is a^u ln(a)")
            return self.outer_and_chain(
                expr,
                exponent,
                lambda u: base**u,
                lambda u: base**u * sympy.log(base),
                "exponential",
                note,
            )
        return self.logarithmic(expr, base, exponent)

    def logarithmic(self, expr: Any, base: Any, exponent: Any) -> Step:
        log_form = exponent * sympy.log(base)
        inner = self.derive(log_form)
        why = (
            "both the base ",
            base,
            " and the exponent ",
            exponent,
            f" contain {self.var}; let y = ",
            expr,
            ", take logarithms: ln y = ",
            log_form,
            "; differentiate both sides: y'/y = (",
            log_form,
            ")', so y' = y (",
            log_form,
            ")'",
        )
        return self.step("logarithmic differentiation", expr, expr * inner.result, why, (inner,))

    def function(self, expr: Any) -> Step:
        entry = FUNCTION_RULES[expr.func]
        func, rest = expr.func, expr.args[1:]  # rest: constants, as H(u, 0)'s value at 0
        build = (lambda u: func(u, *rest)) if rest else func
        return self.outer_and_chain(
            expr, expr.args[0], build, entry.derivative, entry.rule, (entry.note,)
        )

    def log_base(self, expr: Any, argument: Any, base: Any) -> Step:
        note = (
            "log base ",
            base,
            " of u is ln(u)/ln(",
            base,
            "), so its derivative is 1/(u ln(",
            base,
            "))",
        )
        return self.outer_and_chain(
            expr,
            argument,
            lambda u: sympy.log(u) / sympy.log(base),
            lambda u: 1 / (u * sympy.log(base)),
            "logarithm",
            note,
        )

    def outer_and_chain(
        self,
        expr: Any,
        inner: Any,
        build: Callable[[Any], Any],
        outer: Callable[[Any], Any],
        rule: str,
        note: tuple[Any, ...],
    ) -> Step:
        """Apply ``rule`` to ``f(inner)``; wrap it in a chain step unless ``inner`` is x."""
        if inner == self.var:
            return self.step(rule, expr, outer(self.var), note)
        u = self.letter()
        outer_step = Step(rule, build(u), outer(u), u, note)
        self.chain_level += 1
        try:
            inner_step = self.derive(inner)
        finally:
            self.chain_level -= 1
        x = self.var
        d = "∂" if self.partial else "d"
        dl = r"\partial" if self.partial else "d"
        why = (
            "let ",
            u,
            " = ",
            inner,
            "; then ",
            Math(
                f"{d}/{d}{x} f({u}) = f'({u}) · {d}{u}/{d}{x}",
                rf"\frac{{{dl}}}{{{dl} {x}}} f({u}) = f'({u}) \cdot "
                rf"\frac{{{dl} {u}}}{{{dl} {x}}}",
            ),
        )
        return self.step(
            "chain", expr, outer(inner) * inner_step.result, why, (outer_step, inner_step)
        )

    def fallback(self, expr: Any) -> Step:
        name = getattr(expr.func, "__name__", str(expr.func))
        why = (f"gradkit has no named rule for {name}; SymPy differentiates it",)
        return self.step("sympy", expr, sympy.diff(expr, self.var), why)

    dispatch: tuple[tuple[Callable[[Any, Any], bool], Callable[[Any, Any], Step]], ...] = (
        (lambda self, e: not e.has(self.var), constant),
        (lambda self, e: e == self.var, identity),
        (lambda self, e: e.is_Add, sum),
        (lambda self, e: e.is_Mul, product_or_quotient),
        (lambda self, e: e.is_Pow, power),
        (
            lambda self, e: (
                e.func in FUNCTION_RULES and not any(a.has(self.var) for a in e.args[1:])
            ),
            function,
        ),
    )


def _text(expr: Any) -> str:
    from gradkit.symbolic.render import expr_text

    return expr_text(expr)


def _check_constant_base(expr: Any, base: Any, exponent: Any) -> None:
    """Refuse ``a^u`` with a constant ``a <= 0``: the rule ``a^u ln(a)`` needs ``a > 0``."""
    if not base.is_number:
        return  # a symbol such as a: a^u ln(a) holds wherever a > 0
    value = complex(base.evalf(15))  # the parser keeps constants bounded and real
    power, u = _text(expr), _text(exponent)
    if base.is_zero or value == 0:
        raise DerivativeError(
            f"{power} has no derivative where {u} <= 0: a power of 0 is 0 where the exponent "
            f"is positive, 1 where it is 0 and undefined where it is negative, so the "
            f"derivative of {power} is 0 where {u} > 0 and does not exist elsewhere (the "
            "exponential rule a^u ln(a) needs a base a > 0)",
            expr,
        )
    if value.real < 0:
        raise DerivativeError(
            f"{power} has no real derivative: its base {_text(base)} is negative, so it is "
            f"not a real number wherever {u} is not a whole number (a negative number to the "
            "power 1/2 is complex); the exponential rule a^u ln(a) needs a base a > 0",
            expr,
        )


def _is_undefined(expr: Any) -> bool:
    return any(expr.has(atom) for atom in _UNDEFINED)


def _undefined_step(step: Step) -> Step | None:
    """The innermost step whose result is undefined or complex, or None."""
    if not _is_undefined(step.result):
        return None
    for sub in step.substeps:
        found = _undefined_step(sub)
        if found is not None:
            return found
    return step


def _check_real(expr: Any, root: Step) -> None:
    """Refuse a derivative that SymPy built with an infinity, NaN or the imaginary unit."""
    step = _undefined_step(root)
    if step is not None:
        raise DerivativeError(
            f"the derivative of {_text(expr)} has no real value: the {step.title.lower()} "
            f"step for {_text(step.expr)} gives an infinite, undefined or complex result; "
            f"{_text(step.expr)} is not differentiable as a real function there",
            step.expr,
        )


def _is_denominator(factor: Any) -> bool:
    return factor.is_Pow and factor.exp.is_Number and factor.exp.is_negative


def _log_base(coefficient: Any, rest: Any) -> Any:
    """The base b when ``coefficient * rest`` is ``log(u) / log(b)``, else None."""
    if rest.func is not sympy.log:
        return None
    reciprocal = 1 / coefficient
    if reciprocal.func is sympy.log and len(reciprocal.args) == 1:
        return reciprocal.args[0]
    return None


def _power_note(exponent: Any) -> tuple[Any, ...]:
    if exponent == sympy.S.Half:
        return ("sqrt(u) = u^(1/2), so the power rule with n = 1/2 gives 1/(2 sqrt(u))",)
    if exponent.is_Number and exponent.is_negative:
        return (
            "the power rule holds for negative exponents: n = ",
            exponent,
            ", so bring n down and lower the exponent by one",
        )
    if exponent.is_Rational and not exponent.is_Integer:
        return (
            "the power rule holds for fractional exponents: n = ",
            exponent,
            ", so bring n down and lower the exponent by one",
        )
    return (
        "bring the exponent n = ",
        exponent,
        " down and lower it by one: ",
        Math("n u^(n-1)", "n u^{n-1}"),
    )


def _simplify(expr: Any) -> Any:
    """A shorter equal form of ``expr``, or ``expr`` itself when none is found or it is big.

    ``sympy.simplify`` is thorough but can take seconds and likes forms such as
    ``sqrt(2) sin(x + pi/4)``; pulling out common factors, cancelling and factoring
    give the forms a textbook prints, in milliseconds. The shortest candidate wins,
    and the result as built wins ties.
    """
    size = sympy.count_ops(expr)
    if size > _MAX_SIMPLIFY_OPS:
        return expr
    candidates = [sympy.factor_terms(expr)]
    if not _has_large_power(expr):
        # cancel and factor expand polynomials first: harmless for textbook degrees.
        candidates += [sympy.factor_terms(sympy.cancel(expr)), sympy.factor(expr)]
    best = min(candidates, key=sympy.count_ops)
    return best if sympy.count_ops(best) < size else expr


def _has_large_power(expr: Any) -> bool:
    """Whether polynomial algorithms would see a high degree or many terms in ``expr``.

    ``cancel`` and ``factor`` expand first: they read ``x**50`` as degree 50,
    ``exp(99 y)`` as ``exp(y)**99``, ``((x+1)**12 + 1)**12`` as degree 144 and
    ``(a + b + ... + k)**12`` as tens of thousands of terms. Expanding and factoring
    such polynomials can take minutes, so then only the cheap ``factor_terms`` is tried.
    """
    for power in expr.atoms(sympy.Pow, sympy.exp):
        exponent = power.exp if power.is_Pow else power.args[0]
        for term in sympy.Add.make_args(exponent):
            if _size(term.as_coeff_Mul()[0]) > _MAX_EXPANDED_DEGREE:
                return True
    degree, terms = _expanded(expr)
    return degree > _MAX_TOTAL_DEGREE or terms > _MAX_EXPANDED_TERMS


def _size(number: Any) -> float:
    if number.is_Rational:
        return max(abs(number.p), number.q)
    return abs(float(number))


def _expanded(expr: Any) -> tuple[float, float]:
    """Upper bounds on the degree and the number of terms of ``expr`` multiplied out,
    reading each function call as one more variable (as ``cancel`` does)."""
    if expr.is_Number:
        return 0, 1
    if expr.is_Add or expr.is_Mul:
        parts = [_expanded(arg) for arg in expr.args]
        if expr.is_Add:
            return max(d for d, _ in parts), sum(t for _, t in parts)
        return sum(d for d, _ in parts), math.prod(t for _, t in parts)
    if expr.is_Pow:
        degree, terms = _expanded(expr.base)
        n = _size(expr.exp) if expr.exp.is_Number else math.inf
        if not degree:
            return 0, 1
        if n == math.inf:
            return math.inf, math.inf
        # the terms of a multinomial of `terms` terms to the power n: C(terms + n - 1, n)
        count = math.comb(int(terms + n - 1), int(n)) if terms + n < 10_000 else math.inf
        return degree * n, count
    return 1, 1  # a symbol, or a function call seen as a variable


def _check_depth(expr: Any) -> None:
    """Refuse expressions deeper than the step builder (and SymPy) can recurse into, and
    products of more factors than ``LIMITS["max_factors"]``: the product rule turns n
    factors into n terms of n factors each, and 285 factors took minutes to show."""
    from gradkit.symbolic.tokenizer import LIMITS

    most = LIMITS["max_factors"]
    stack = [(expr, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > _MAX_DEPTH:
            raise ValueError(
                f"expression nested too deeply to show steps (more than {_MAX_DEPTH} levels)"
            )
        if node.is_Mul and len(node.args) > most:
            raise ValueError(
                f"a product of {len(node.args)} factors: gradkit.symbolic differentiates "
                f"products of at most {most} (the product rule makes n terms of n factors "
                "each); group factors into powers, or use gk.grad on NumPy code"
            )
        stack.extend((arg, depth + 1) for arg in node.args)


@with_time_limit("the derivative")
def derive(expr_or_text: Any, var: Any = "x", simplify: bool = True) -> Derivation:
    """Differentiate with every step named: the derivative and the reasoning behind it.

    Args:
        expr_or_text: a formula (parsed safely by :func:`~gradkit.symbolic.parse`) or a
            SymPy expression. Variables are treated as real.
        var: the variable, as a name or a ``sympy.Symbol``. Every other symbol is held
            constant (a partial derivative), and the steps say so.
        simplify: add a final ``simplify`` step when SymPy finds a shorter equal form.

    Returns:
        A :class:`Derivation` with ``.result``, ``.steps``, ``.to_text()``,
        ``.to_latex()`` and ``.to_markdown()``; it displays itself in Jupyter.

    Raises:
        DerivativeError: (a ``ValueError``) when the derivative has no real value, such
            as for ``0^x`` or ``(-2)^x``; the message says where it does not exist.
        ParseError: when the text is not a formula gradkit reads.
        SymbolicTimeout: (a ``ValueError``) when the work takes longer than
            :data:`~gradkit.symbolic.deadline.MAX_SECONDS` (see
            :func:`~gradkit.symbolic.deadline.time_limit`).

    >>> derive("sin(x^2)").result
    2*x*cos(x**2)
    >>> print(derive("x y^2", "y").to_text())
    Constant multiple rule: ∂/∂y [x·y²] = 2x·y
      x is a constant factor (it does not contain y): keep it and differentiate y²
      Power rule: ∂/∂y [y²] = 2y
        bring the exponent n = 2 down and lower it by one: n uⁿ⁻¹
    Result: ∂/∂y [x·y²] = 2x·y
    """
    expr = as_expression(expr_or_text)
    _check_depth(expr)
    if _is_undefined(expr):
        raise DerivativeError(
            f"{_text(expr)} is not a real formula (it holds an infinity, NaN or the imaginary "
            "unit I); gradkit differentiates real formulas",
            expr,
        )
    symbol = as_variable(expr, var)
    root = _Builder(symbol, expr).derive(expr)
    _check_real(expr, root)
    steps: tuple[Step, ...] = (root,)
    result = root.result
    if simplify:
        simpler = _simplify(result)
        if simpler != result:
            steps += (
                Step(
                    "simplify",
                    result,
                    simpler,
                    symbol,
                    ("rewrite the result in a shorter, equal form",),
                ),
            )
            result = simpler
    return Derivation(expr, symbol, steps, result)
