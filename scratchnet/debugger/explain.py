"""Where one number on the tape comes from, with the real numbers.

Each explanation lists the terms that make a cell (the first few, how many there
are) and, for sums over the batch, the samples that contribute most. The terms
are re-multiplied to be shown, but the total is always the tape's own value,
never a recomputation. Each operation writes out the cells it made (the dense
layer's in `scratchnet/layer.py`); this module holds what they share. Everything is vectorised: a dW cell over 100,000 samples
is a couple of array operations, not a Python loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from scratchnet.debugger.tape import Phase, Tape

SHOWN_TERMS = 4
TOP = 3


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


def _top(values: np.ndarray, total_abs: float) -> tuple[Contributor, ...]:
    """The largest |terms| with their shares; if any term is NaN or ±inf, the first such terms instead."""
    if values.size == 0:
        return ()
    with np.errstate(all="ignore"):
        magnitudes = np.abs(values)
    finite = np.isfinite(magnitudes)
    if not finite.all():
        return tuple(Contributor(int(i), float(values[i]), float("nan")) for i in np.flatnonzero(~finite)[:TOP])
    if not np.isfinite(total_abs):  # finite terms whose sum overflows: shares of the sum scaled by the largest
        largest = float(magnitudes.max())
        magnitudes = magnitudes / largest
        total_abs = float(np.sum(magnitudes, dtype=np.float64))
    count = min(TOP, values.size)
    picked = np.argpartition(-magnitudes, count - 1)[:count] if values.size > count else np.arange(values.size)
    picked = picked[np.argsort(-magnitudes[picked], kind="stable")]
    return tuple(
        Contributor(int(i), float(values[i]), float(magnitudes[i] / total_abs) if total_abs > 0 else 0.0)
        for i in picked
    )


def batch_sum(cell: str, formula: str, factor_columns: list[np.ndarray], total: float,
               reads: Mapping[str, Read]) -> Explanation:
    """A sum over the samples: the first terms, how many, the total, and the top contributors."""
    with np.errstate(all="ignore"):
        values = factor_columns[0] if len(factor_columns) == 1 else factor_columns[0] * factor_columns[1]
        total_abs = float(np.sum(np.abs(values), dtype=np.float64))
    shown = tuple(
        Term(tuple(float(column[i]) for column in factor_columns), float(values[i]), i)
        for i in range(min(SHOWN_TERMS, values.size))
    )
    n_nonfinite = int(values.size - np.count_nonzero(np.isfinite(values)))
    return Explanation(cell, formula, shown, int(values.size), total, top=_top(values, total_abs), reads=reads,
                       n_nonfinite=n_nonfinite)


def explain(tape: Tape, phase: Phase, name: str, row: int, column: int) -> Explanation:
    """How output `name`[row, column] of `phase` (a phase of `tape`) was made: the operation that made
    the phase writes it out."""
    return phase.explain(tape, name, row, column)


def cell_value(array: np.ndarray, row: int, column: int) -> float:
    """The tape's own value of a cell (a scalar has one cell)."""
    return float(array) if array.ndim == 0 else float(array[row, column])


def change_matrix(phase: Phase, name: str) -> np.ndarray:
    """W' − W for an update phase's output `name`: what the step actually did to each entry (vW' − vW for an
    optimizer's state). An output with nothing before it (Adam's bias-corrected m̂W, made afresh at every update)
    has no change: all NaN (`changed_outputs` leaves it out)."""
    stem = name.rstrip("'")
    if stem not in phase.inputs:
        return np.full(np.shape(phase.outputs[name]), np.nan)
    with np.errstate(all="ignore"):
        return phase.outputs[name] - phase.inputs[stem]


def changed_outputs(phase: Phase) -> list[str]:
    """The outputs of an update phase that replace an input (W2' replaces W2, vW2' replaces vW2): those with a Δ."""
    return [name for name in phase.outputs if name.endswith("'") and name.rstrip("'") in phase.inputs]


def largest_changes(change: np.ndarray, count: int = TOP) -> list[tuple[int, int]]:
    """The cells of `change` with the largest |Δ|, biggest first."""
    matrix = np.atleast_2d(change)
    top = np.finfo(matrix.dtype).max if np.issubdtype(matrix.dtype, np.floating) else None  # float32 stays float32
    magnitudes = np.nan_to_num(np.abs(matrix), nan=0.0, posinf=top).ravel()
    count = min(count, magnitudes.size)
    order = np.argsort(-magnitudes, kind="stable")[:count]
    rows, columns = np.unravel_index(order, matrix.shape)
    return [(int(row), int(column)) for row, column in zip(rows, columns)]
