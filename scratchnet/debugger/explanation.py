"""What an explanation of one cell holds: the terms that make it, the samples that pull it most, what it reads of
each operand, and its words in LaTeX. Data only, apart from how it is made (`explain.py`): the tape names it as
what a phase's explainer returns, and every operation module builds one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

SHOWN_TERMS = 4
"""How many terms of a cell an explanation lists (it counts them all)."""


@dataclass(frozen=True)
class Read:
    """What an explained cell reads of one operand: a row, a column, or (both set) one cell."""

    row: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class Term:
    factors: tuple[float, ...]
    value: float
    sample: int | None = None


@dataclass(frozen=True)
class Contributor:
    sample: int
    value: float
    share: float
    """|value| as a fraction of the sum of all |terms|: how much of the pull comes from this sample
    (NaN for a term that is itself NaN or ±inf: no share of a non-finite sum means anything)."""


@dataclass(frozen=True)
class LatexWords:
    """An explanation's words in LaTeX, for handouts: the operation that writes the Unicode words writes these beside
    them, as it writes its equation in both. The numbers are not here: they are the explanation's own."""

    cell: str
    """e.g. Z_{1}[0,2]"""
    formula: str
    """e.g. X[0,:] \\cdot W_{1}[:,2] + b_{1}[2]"""
    layout: Callable[[list[str]], str] | None = None
    """With the explanation's `layout`: the same body in LaTeX, from the operands written in LaTeX."""
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class Explanation:
    cell: str
    """e.g. Z₁[0,2]"""
    formula: str
    """e.g. X[0,:]·W₁[:,2] + b₁[2]"""
    terms: tuple[Term, ...]
    """The first SHOWN_TERMS terms."""
    n_terms: int
    total: float
    """The tape's own value of the cell."""
    joiner: str = " + "
    prefix: str = ""
    suffix: str = ""
    constant: float | None = None
    top: tuple[Contributor, ...] = ()
    reads: Mapping[str, Read] = field(default_factory=dict)
    before: float | None = None
    """Update phases: the old value, so old → new and Δ can be shown."""
    n_nonfinite: int = 0
    """Terms of a batch sum that are NaN or ±inf; when there are any, `top` lists the first of them."""
    divisor: int = 1
    """What the joined terms are divided by before the constant is added: N for a mean (the prefix or
    suffix says so in words)."""
    layout: Callable[[list[str]], str] | None = None
    """For a calculation that is not a sum of products (max(0, z), a softmax): writes the body from the
    written operands, in `operands` order."""
    worked: Callable[..., float] | None = None
    """With `layout`: the calculation a person does on the written operands (max(0, z), e^z/Σe^z)."""
    latex: LatexWords | None = None
    """The words in LaTeX; None for an operation that has not written them (its handout shows the text alone)."""

    def text(self, fmt: Callable[[float], str], total_fmt: Callable[[float], str] | None = None) -> str:
        """The one-line expansion: cell = formula = terms = total. `total_fmt` writes the total (default: fmt)."""
        if self.layout is not None:
            body = self.layout([f"({fmt(number).strip()})" for number in self.operands])
            return f"{self.cell} = {self.formula} = {body} = {(total_fmt or fmt)(self.total).strip()}"
        pieces = ["·".join(f"({fmt(f).strip()})" for f in term.factors) for term in self.terms]
        if self.n_terms > len(self.terms):
            pieces.append("…")
        body = self.prefix + self.joiner.join(pieces) + self.suffix
        if self.constant is not None:
            body += f" + ({fmt(self.constant).strip()})"
        return f"{self.cell} = {self.formula} = {body} = {(total_fmt or fmt)(self.total).strip()}"

    def latex_text(self, fmt: Callable[[float], str], total_fmt: Callable[[float], str] | None = None,
                   per_line: int = 0) -> str | None:
        """`text` in LaTeX, with the same terms and layout; `fmt` writes one number in LaTeX. None without `latex`.
        `per_line`: a `split` over lines instead (the cell and formula, the terms `per_line` to a line, the total),
        for a page: display math does not break lines by itself."""
        words = self.latex
        if words is None or (self.layout is not None and words.layout is None):
            return None
        if self.layout is not None:
            assert words.layout is not None  # checked above
            items = [words.layout([f"({fmt(number)})" for number in self.operands])]
        else:
            sign = "-" if self.joiner.strip() == "−" else "+"
            items = [r" \cdot ".join(f"({fmt(f)})" for f in term.factors) for term in self.terms]
            if self.n_terms > len(self.terms):
                items.append(r"\dots")
            items = [f"{sign} {item}" if position else item for position, item in enumerate(items)] or [""]
            items[0], items[-1] = words.prefix + items[0], items[-1] + words.suffix
            if self.constant is not None:
                items.append(f"+ ({fmt(self.constant)})")
        total = (total_fmt or fmt)(self.total)
        if not per_line:
            return f"{words.cell} = {words.formula} = {' '.join(items)} = {total}"
        lines = [" ".join(items[start:start + per_line]) for start in range(0, len(items), per_line)]
        body = r" \\ &\quad ".join(lines)
        return rf"\begin{{split}}{words.cell} &= {words.formula} \\ &= {body} \\ &= {total}\end{{split}}"

    @property
    def complete(self) -> bool:
        """Whether every operand is written out, so a person can redo the sum by hand."""
        return self.n_terms == len(self.terms)

    @property
    def operands(self) -> list[float]:
        """Every number the text writes before the total, in order: the terms' factors, then the constant."""
        numbers = [factor for term in self.terms for factor in term.factors]
        return numbers + ([] if self.constant is None else [self.constant])

    def by_hand(self, *operands: Fraction) -> Fraction:
        """The written calculation worked from `operands` (as `operands` lists them): what a person gets.
        Exact when given Fractions, which is how the inspector checks that its written digits suffice (a
        calculation with e^ or log is worked in floats, then taken exactly)."""
        if self.worked is not None:
            return Fraction(self.worked(*map(float, operands)))
        values = iter(operands)
        total = Fraction(0)
        for position, term in enumerate(self.terms):
            product = Fraction(1)
            for _ in term.factors:
                product = product * next(values)
            total = total - product if position and self.joiner.strip() == "−" else total + product
        total = total / self.divisor
        return total + next(values) if self.constant is not None else total

    @property
    def change(self) -> float | None:
        """New minus old, for update phases: what the step really did to this entry."""
        return None if self.before is None else self.total - self.before
