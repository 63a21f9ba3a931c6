"""Break conditions, the small language a learner types to say where training should stop.

    nan                      any non-finite value in the loss, the gradients or the new parameters
    loss_up                  the epoch's loss rose above the epoch before's
    loss < 0.05              the epoch's loss (test_loss: the held-out rows')
    acc >= 0.9               the epoch's accuracy (test_acc: the held-out rows')
    epoch == 40
    norm(dW1) > 10           ‖dW₁‖, the Frobenius norm of any matrix of the tape (ASCII or pretty names)
    ratio(W1) > 0.01         ‖W₁' − W₁‖ / ‖W₁‖, how far this update moved the weights
    … and … or … not … ( … )

A recursive-descent parser of our own, never `eval`: a condition can only read the quantities above, and every
mistake is a `ConditionError` that says where it is. `str(condition)` prints it back in a normal form that parses
to the same condition. Whether a name exists in a network is checked apart (`Condition.matrices`), because parsing
happens before a network is built.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from scratchnet.debugger.names import canonical_name

EPOCH_QUANTITIES = ("loss", "test_loss", "acc", "test_acc", "epoch")
"""Quantities of an epoch (the parameters it started from), on training rows unless `test_`."""
MATRIX_QUANTITIES = ("norm", "ratio")
"""Quantities of one matrix of the iteration."""
FLAGS = ("nan", "loss_up")
COMPARISONS = ("<=", ">=", "==", "!=", "<", ">")
KEYWORDS = ("and", "or", "not")


class ConditionError(ValueError):
    """A condition that cannot be read, with the column (from 1) of the place it goes wrong."""

    def __init__(self, message: str, column: int, text: str) -> None:
        super().__init__(f"{message} (column {column} of {text!r})")
        self.message = message
        self.column = column
        self.text = text


@dataclass(frozen=True)
class Quantity:
    kind: str
    """One of EPOCH_QUANTITIES or MATRIX_QUANTITIES."""
    matrix: str | None = None
    """For norm and ratio: the matrix's canonical name (dW2, W2', dL/dŷ)."""
    column: int = field(default=0, compare=False)
    """Where the matrix's name was written (from 1), for a message saying the network has no such matrix."""

    def __str__(self) -> str:
        if self.matrix is None:
            return self.kind
        from scratchnet.debugger.names import ascii_name

        return f"{self.kind}({ascii_name(self.matrix)})"


@dataclass(frozen=True)
class Compare:
    quantity: Quantity
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.quantity} {self.op} {_number_text(self.value)}"


@dataclass(frozen=True)
class Flag:
    name: str
    """nan or loss_up."""

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Not:
    operand: Condition

    def __str__(self) -> str:
        inner = str(self.operand)
        return f"not {inner}" if isinstance(self.operand, (Compare, Flag, Not)) else f"not ({inner})"


@dataclass(frozen=True)
class Both:
    """`and` of two or more conditions."""

    operands: tuple[Condition, ...]

    def __str__(self) -> str:
        return " and ".join(f"({operand})" if isinstance(operand, Either) else str(operand)
                            for operand in self.operands)


@dataclass(frozen=True)
class Either:
    """`or` of two or more conditions."""

    operands: tuple[Condition, ...]

    def __str__(self) -> str:
        return " or ".join(str(operand) for operand in self.operands)


Condition = Compare | Flag | Not | Both | Either


def _number_text(value: float) -> str:
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def leaves(condition: Condition) -> Iterator[Compare | Flag]:
    """Every comparison and flag in the condition, left to right."""
    if isinstance(condition, (Compare, Flag)):
        yield condition
    elif isinstance(condition, Not):
        yield from leaves(condition.operand)
    else:
        for operand in condition.operands:
            yield from leaves(operand)


def matrices(condition: Condition) -> list[str]:
    """The canonical names of the matrices a condition reads (norm and ratio), in order, once each."""
    names: list[str] = []
    for leaf in leaves(condition):
        if isinstance(leaf, Compare) and leaf.quantity.matrix is not None and leaf.quantity.matrix not in names:
            names.append(leaf.quantity.matrix)
    return names


def evaluate(condition: Condition, value_of: Callable[[Compare | Flag], float | bool | None]) -> bool:
    """Whether the condition holds, each leaf's value given by `value_of`: a number for a quantity (None or NaN:
    not measured, so no comparison with it holds), a bool for a flag."""
    if isinstance(condition, Flag):
        return bool(value_of(condition))
    if isinstance(condition, Compare):
        value = value_of(condition)
        if value is None or isinstance(value, bool) or math.isnan(value):
            return False
        return _COMPARE[condition.op](float(value), condition.value)
    if isinstance(condition, Not):
        return not evaluate(condition.operand, value_of)
    if isinstance(condition, Both):
        return all(evaluate(operand, value_of) for operand in condition.operands)
    return any(evaluate(operand, value_of) for operand in condition.operands)


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
}

Values = float | bool | None | np.ndarray
"""A leaf's value over many iterations: one for all of them, or an array with one each."""


def holds_where(condition: Condition, value_of: Callable[[Compare | Flag], Values], rows: int) -> np.ndarray:
    """`evaluate` over `rows` iterations at once: for each, whether the condition holds there, exactly as `evaluate`
    says of that iteration's values. A leaf's value is shared by every iteration (a number, a bool, None), or an
    array with one each (floats for a quantity, bools for a flag). A block of iterations is checked in a few NumPy
    calls instead of a few Python calls per iteration."""
    return np.broadcast_to(_holds_where(condition, value_of), (rows,))


def _holds_where(condition: Condition, value_of: Callable[[Compare | Flag], Values]) -> np.ndarray | bool:
    if isinstance(condition, (Compare, Flag)):
        value = value_of(condition)
        if not isinstance(value, np.ndarray):
            return evaluate(condition, lambda _: value)
        if isinstance(condition, Flag):
            return value.astype(bool)
        with np.errstate(invalid="ignore"):
            compared = np.asarray(_COMPARE[condition.op](value, condition.value))  # type: ignore[arg-type]
        return compared & ~np.isnan(value) if condition.op == "!=" else compared  # NaN: not measured, never holds
    if isinstance(condition, Not):
        return np.logical_not(_holds_where(condition.operand, value_of))
    combine = np.logical_and if isinstance(condition, Both) else np.logical_or
    held: np.ndarray | bool = _holds_where(condition.operands[0], value_of)
    for operand in condition.operands[1:]:
        held = combine(held, _holds_where(operand, value_of))
    return held

# --- reading ----------------------------------------------------------------------------------------------------

_SUBSCRIPT_DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<op><=|>=|==|!=|<|>)
  | (?P<open>\()
  | (?P<close>\))
  | (?P<minus>-)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
""", re.VERBOSE)
_MATRIX_ARGUMENT = re.compile(r"\s*([^()\s]+)\s*\)")


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    column: int
    """From 1."""


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0
        self.peeked: _Token | None = None

    def fail(self, message: str, column: int | None = None) -> ConditionError:
        return ConditionError(message, self.position + 1 if column is None else column, self.text)

    def peek(self) -> _Token:
        if self.peeked is None:
            self.peeked = self._next()
        return self.peeked

    def take(self) -> _Token:
        token = self.peek()
        self.peeked = None
        return token

    def _next(self) -> _Token:
        while True:
            if self.position >= len(self.text):
                return _Token("end", "", len(self.text) + 1)
            match = _TOKEN.match(self.text, self.position)
            if match is None:
                raise self.fail(f"unexpected {self.text[self.position]!r}")
            kind = match.lastgroup
            assert kind is not None
            start, self.position = self.position, match.end()
            if kind != "space":
                return _Token(kind, match.group(), start + 1)

    def matrix_argument(self) -> tuple[str, int]:
        """The text up to the closing parenthesis of norm( … ): a matrix name in any spelling."""
        assert self.peeked is None
        match = _MATRIX_ARGUMENT.match(self.text, self.position)
        if match is None:
            raise self.fail("expected a matrix name and ')', like norm(dW2)")
        self.position = match.end()
        return match.group(1), match.start(1) + 1


def parse_condition(text: str) -> Condition:
    """The condition `text` says; ConditionError (with the column) if it says none."""
    reader = _Reader(text)
    if reader.peek().kind == "end":
        raise reader.fail("empty condition: try nan, loss_up, loss < 0.05 or norm(dW1) > 10", 1)
    condition = _either(reader)
    token = reader.peek()
    if token.kind != "end":
        raise reader.fail(f"unexpected {token.text!r} after a whole condition (join conditions with and / or)",
                          token.column)
    return condition


def _either(reader: _Reader) -> Condition:
    operands = [_both(reader)]
    while reader.peek().text == "or":
        reader.take()
        operands.append(_both(reader))
    return operands[0] if len(operands) == 1 else Either(tuple(operands))


def _both(reader: _Reader) -> Condition:
    operands = [_negation(reader)]
    while reader.peek().text == "and":
        reader.take()
        operands.append(_negation(reader))
    return operands[0] if len(operands) == 1 else Both(tuple(operands))


def _negation(reader: _Reader) -> Condition:
    if reader.peek().text == "not":
        reader.take()
        return Not(_negation(reader))
    return _primary(reader)


def _primary(reader: _Reader) -> Condition:
    token = reader.take()
    if token.kind == "open":
        inner = _either(reader)
        closing = reader.take()
        if closing.kind != "close":
            raise reader.fail(f"expected ')' to close the '(' at column {token.column}", closing.column)
        return inner
    if token.kind == "end":
        raise reader.fail("the condition ends too soon", token.column)
    if token.kind != "word":
        raise reader.fail(f"expected a condition, not {token.text!r}", token.column)
    if token.text in FLAGS:
        return Flag(token.text)
    if token.text in EPOCH_QUANTITIES:
        quantity = Quantity(token.text)
    elif token.text in MATRIX_QUANTITIES:
        opening = reader.take()
        if opening.kind != "open":
            raise reader.fail(f"{token.text} needs a matrix in parentheses, like {token.text}(dW2)", opening.column)
        spelled, column = reader.matrix_argument()
        name = _matrix_name(spelled)
        if token.text == "ratio" and not re.fullmatch(r"[Wb][1-9]\d*", name):
            raise reader.fail(f"ratio reads a weight or a bias (W1, b2), not {spelled!r}", column)
        quantity = Quantity(token.text, name, column)
    else:
        known = ", ".join((*FLAGS, *EPOCH_QUANTITIES, *(f"{kind}(…)" for kind in MATRIX_QUANTITIES)))
        raise reader.fail(f"unknown name {token.text!r} (a condition reads {known})", token.column)
    op = reader.take()
    if op.kind != "op":
        raise reader.fail(f"expected a comparison ({', '.join(COMPARISONS)}) after {quantity}", op.column)
    return Compare(quantity, op.text, _number(reader))


def _matrix_name(spelled: str) -> str:
    """The tape's name for a matrix in any spelling: dW2, dW₂, ∂L/∂W₂, W2_new, W₂', dL_dyhat."""
    plain = spelled.translate(_SUBSCRIPT_DIGITS)
    if (gradient := re.fullmatch(r"∂L/∂([A-Za-z]+\d+)", plain)) is not None:
        plain = f"d{gradient.group(1)}"
    return canonical_name(plain)


def check_matrices(condition: Condition, known: set[str], text: str) -> None:
    """ConditionError at the first norm( … ) or ratio( … ) whose matrix this network's tape does not have."""
    for leaf in leaves(condition):
        if isinstance(leaf, Compare) and (name := leaf.quantity.matrix) is not None and name not in known:
            from scratchnet.debugger.names import ascii_name

            sample = ", ".join(sorted(ascii_name(n) for n in known if re.fullmatch(r"d[WbX]\d+", n))[:6])
            raise ConditionError(f"this network has no matrix {ascii_name(name)!r} (its gradients: {sample}, …)",
                                 leaf.quantity.column or 1, text)


def _number(reader: _Reader) -> float:
    token = reader.take()
    sign = 1.0
    if token.kind == "minus":
        sign, token = -1.0, reader.take()
    if token.kind == "number":
        return sign * float(token.text)
    if token.kind == "word" and token.text == "inf":
        return sign * math.inf
    raise reader.fail(f"expected a number, not {token.text or 'the end'!r}", token.column)
