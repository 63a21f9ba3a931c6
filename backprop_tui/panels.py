"""What the matrix panels and the inspector show, built from the session: no Textual here.

The app hands these to its widgets. A matrix comes with its stats, computed once per array
(a `StatsCache`) and never per frame; the table of predictions beside targets is built once
per tape. Gradient checks, once run, are kept here by (epoch, phase) so stepping back to a
phase shows its check again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from backprop_tui.cell_format import MINUS, column_format, format_short, format_value, reproducing
from backprop_tui.session import Session
from scratchnet import Tape
from scratchnet.debugger.explain import Explanation, change_matrix, changed_outputs, explain, largest_changes
from scratchnet.debugger.names import pretty_name
from scratchnet.debugger.stats import MatrixStats, StatsCache, matrix_stats
from scratchnet.labels import class_indices, predicted_classes

if TYPE_CHECKING:  # the gradient check loads when first used: launch stays quick
    from scratchnet.debugger.gradcheck import GradientCheck

Cell = tuple[int, int]


@dataclass(frozen=True)
class Shown:
    """What a view shows: a name, the array (never copied) and its cached stats."""

    name: str
    array: np.ndarray
    stats: MatrixStats
    column_labels: tuple[str, ...] | None = None
    title: str | None = None
    column_formats: tuple[Callable[[float], str], ...] | None = None
    """Per-column formatting, e.g. dollars; None: the standard 4-decimal cells."""
    heat: bool = True
    """False for views that mix units, where one colour scale would mislead."""
    missing: str | None = None
    """Text for NaN cells that mean "not computed" rather than a NaN result."""
    marked: frozenset[tuple[int, int]] = frozenset()
    """Cells to mark with ◆ (e.g. the largest changes of an update)."""
    stats_text: str | None = None
    """The bottom border's words where stats over every column would mix units; None: `stats_line`."""
    row_labels: np.ndarray | None = None
    """The number each row is shown with, where it is not its position: a batch's rows by their data row."""


def thousands(value: float) -> str:
    """Prices in thousands fit a cell: 2,065.8 for $2,065,820, and −103.2 with the minus sign of every other cell."""
    return f"{value / 1000:,.1f}".replace("-", MINUS) if abs(value) < 1e8 else format_value(value / 1000)


class Panels:
    """The result and operand panels for the session's position, and the words the inspector adds."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.stats = StatsCache()
        self.show_changes = False
        """On update phases: the whole change matrix Δ beside the new parameters (d)."""
        self.checks: dict[tuple[int, str], GradientCheck] = {}
        """Finished gradient checks by (epoch, phase key)."""
        self.check_status: dict[tuple[int, str], str] = {}
        """Checks under way, by (epoch, phase key): what the inspector says meanwhile."""
        self._warmed: Tape | None = None
        self._predictions_of: tuple[Tape, Shown] | None = None

    # --- the matrices -------------------------------------------------------------------------

    def cold_tape(self) -> Tape | None:
        """The session's tape the first time it is asked for, so its stats can be computed ahead (`warm`)."""
        tape = self.session.tape
        if tape is self._warmed:
            return None
        self._warmed = tape
        return tape

    def warm(self, tape: Tape) -> None:
        """Stats for every matrix of a new tape at once, so stepping inside it never waits on them."""
        for phase in tape:
            for array in (*phase.inputs.values(), *phase.outputs.values()):
                self.stats(array)

    def shown(self, name: str, array: np.ndarray) -> Shown:
        dataset = self.session.run.dataset
        labels: tuple[str, ...] | None = None
        if name == "X":
            labels = tuple(dataset.feature_names)
        elif dataset.class_names is not None and np.ndim(array) == 2:
            top = f"Z{len(self.session.tape.sizes) - 1}"  # the scores: one column per class, like y and P
            if name in ("y", "P", "error", top, f"dL/d{top}") and np.shape(array)[1] == len(dataset.class_names):
                labels = tuple(dataset.class_names)
        rows = None
        tape = self.session.tape
        if tape.batch_rows is not None and name in ("X", "y"):
            rows = tape.batch_rows  # a batch's rows, numbered by the data rows they are
        return Shown(name, array, self.stats(array), column_labels=labels, row_labels=rows)

    def results(self) -> list[Shown]:
        """The phase's outputs, then what explains them: predictions beside targets, Δ, a gradient check."""
        shown = [self.shown(name, array) for name, array in self.session.phase.outputs.items()]
        if (predictions := self.predictions()) is not None:
            shown.append(predictions)
        if (confusion := self.confusion()) is not None:
            shown.append(confusion)
        return shown + self.changes() + self.check_view()

    def operands(self) -> list[Shown]:
        return [self.shown(name, array) for name, array in self.session.phase.inputs.items()]

    def predictions(self) -> Shown | None:
        """ŷ beside y, in standardized units and in the target's own units."""
        tape, phase = self.session.tape, self.session.phase
        if phase.stage != "loss" or phase.gradient_of is not None:  # the loss's own phases, not its gradient
            return None
        if self._predictions_of is not None and self._predictions_of[0] is tape:
            return self._predictions_of[1]  # built once per tape: 100,000 rows are not free to stack
        compared = next((p for p in tape if p.stage == "loss" and "y" in p.inputs), None)
        if compared is None:
            return None
        y_hat, y = compared.inputs[next(iter(compared.inputs))], compared.inputs["y"]
        dataset = self.session.run.dataset
        if dataset.class_names is not None:
            shown = self._classes(y_hat, y, dataset.class_names, probabilities="P" in compared.inputs)
            self._predictions_of = (tape, shown)
            return shown
        if y_hat.shape[1] != 1:
            return None
        scaler = dataset.target_scaler
        table = np.column_stack([y_hat[:, 0], y[:, 0], scaler.inverse(y_hat)[:, 0], scaler.inverse(y)[:, 0]])
        # Both raw columns in one format, set by the larger of the two, so ŷ and y line up digit for digit.
        unit, raw_format = ("k$", thousands) if dataset.target_unit == "$" else ("raw", column_format(table[:, 2:]))
        with np.errstate(all="ignore"):
            miss = matrix_stats(table[:, 2] - table[:, 3])  # one unit, the table's own: not all four columns
        shown = Shown(
            "predictions", table, self.stats(table),
            column_labels=("ŷ", "y", f"ŷ {unit}", f"y {unit}"),
            title="predictions vs targets",
            column_formats=(format_value, format_value, raw_format, raw_format),
            heat=False,
            stats_text=(f"ŷ − y in {unit}: min {raw_format(miss.minimum).strip()}  max {raw_format(miss.maximum).strip()}"
                        f"  mean {raw_format(miss.mean).strip()}  NaN {miss.n_nan}  inf {miss.n_inf}"),
        )
        self._predictions_of = (tape, shown)
        return shown

    def _classes(self, scores: np.ndarray, y: np.ndarray, names: tuple[str, ...], probabilities: bool) -> Shown:
        """Each row's predicted class (with its probability, or its score without softmax) beside its true
        class; wrong rows marked ◆."""
        predicted, true = predicted_classes(scores), class_indices(y)
        rows = np.arange(len(predicted))
        with np.errstate(all="ignore"):
            confidence = np.where(predicted >= 0, scores[rows, np.maximum(predicted, 0)], np.nan)
        table = np.column_stack([predicted, confidence, true]).astype(np.float64)
        wrong = np.flatnonzero(predicted != true)

        def name_of(value: float) -> str:
            return names[int(value)] if value == value and 0 <= value < len(names) else "none"

        return Shown(
            "predictions", table, self.stats(table),
            column_labels=("predicted", "P" if probabilities else "score", "true"),
            title="predicted class vs true class  ◆ wrong",
            column_formats=(name_of, format_value, name_of), heat=False,
            marked=frozenset((int(row), 0) for row in wrong),
            stats_text=f"accuracy {1 - len(wrong) / max(1, len(true)):.1%}: {len(true) - len(wrong):,} of "
                       f"{len(true):,} right, {len(wrong):,} wrong",
        )

    def confusion(self) -> Shown | None:
        """On the loss phase of a classifier: how many rows of each true class went to each predicted class."""
        phase, dataset = self.session.phase, self.session.run.dataset
        if dataset.class_names is None or phase.key != "loss":
            return None
        compared = next((p for p in self.session.tape if p.stage == "loss" and "y" in p.inputs), None)
        if compared is None:
            return None
        scores, y = compared.inputs[next(iter(compared.inputs))], compared.inputs["y"]
        k = len(dataset.class_names)
        predicted, true = predicted_classes(scores), class_indices(y)
        counts = np.zeros((k, k))
        valid = predicted >= 0
        np.add.at(counts, (true[valid], predicted[valid]), 1)
        return Shown("confusion", counts, self.stats(counts), column_labels=tuple(dataset.class_names),
                     title="confusion: rows true class, columns predicted",
                     column_formats=tuple(lambda v: f"{int(v):,}" for _ in range(k)))

    def changes(self) -> list[Shown]:
        """Δ = new − old for each output of an update phase, the largest changes marked."""
        phase = self.session.phase
        if phase.stage != "update" or not self.show_changes:
            return []
        shown = []
        for name in changed_outputs(phase):  # what had a value before the update: not Adam's m̂ and ŝ
            old = name.rstrip("'")
            change = change_matrix(phase, name)
            shown.append(Shown(
                f"Δ{old}", change, self.stats(change),
                title=f"Δ{pretty_name(old)} = {pretty_name(name)} − {pretty_name(old)}  ◆ largest",
                marked=frozenset(largest_changes(change)),
            ))
        return shown

    # --- the gradient check -----------------------------------------------------------------------

    @property
    def _here(self) -> tuple[int, str]:
        return self.session.epoch, self.session.phase.key

    def check_view(self) -> list[Shown]:
        check = self.checks.get(self._here)
        if check is None:
            return []
        errors = check.error_matrix()
        return [Shown("relative_error", errors, self.stats(errors), missing="·",
                      title=f"rel. error of {pretty_name(check.name)} (max {check.max_relative_error:.1e})")]

    def checking(self) -> None:
        """A check of this phase has started: the last one's result goes, and the inspector says so."""
        self.checks.pop(self._here, None)
        self.check_status[self._here] = f"checking {pretty_name(self.session.phase.result_name)} by central differences…"

    def checked(self, epoch: int, key: str, result: GradientCheck) -> bool:
        """Keep a finished check; True when it is of the phase shown now."""
        self.checks[(epoch, key)] = result
        self.check_status.pop((epoch, key), None)
        return self._here == (epoch, key)

    def check_here(self) -> tuple[GradientCheck | None, str | None]:
        """This phase's finished check, or the words for one under way."""
        return self.checks.get(self._here), self.check_status.get(self._here)

    # --- the inspector's words ----------------------------------------------------------------------

    def explanation(self, name: str, cell: Cell) -> Explanation:
        """How a cell of one of this phase's outputs was computed."""
        with np.errstate(all="ignore"):
            return explain(self.session.tape, self.session.phase, name, *cell)

    def origin(self, name: str, cell: Cell) -> str:
        """Where an operand's cell came from: a phase of this tape, the previous update, or the data."""
        row, column = cell
        label = f"{pretty_name(name)}[{row},{column}]"
        session = self.session
        dataset = session.run.dataset
        if name in ("X", "y") and session.tape.batch_rows is not None:
            label = f"{label} (the batch's row {row}, data row {int(session.tape.batch_rows[row])})"
            row = int(session.tape.batch_rows[row])  # where it sits in the data
        if name == "y" and dataset.class_names is not None:
            true = dataset.class_names[int(np.argmax(dataset.y[row]))]
            return (f"{label} comes from the data: sample {row}'s class is {true}, so its one-hot row has 1 under "
                    f"{true} and 0 elsewhere; this cell is {dataset.class_names[column]}'s")
        if name in ("X", "y"):
            feature, unit, raw, mean, std = dataset.raw_value(row, column, target=name == "y")
            unit = f" {unit}" if unit and unit != "$" else ""
            money = "$" if dataset.target_unit == "$" and name == "y" else ""
            standardized = format_short(float((dataset.y if name == "y" else dataset.X)[row, column]))
            raw_text, mean_text, std_text = reproducing((raw, mean, std), lambda r, m, s: (r - m) / s, standardized)
            return (f"{label} comes from the data: {feature} = {money}{raw_text}{unit}, standardized as "
                    f"({raw_text} − mean {mean_text}) / std {std_text} = {standardized}")
        made_by = session.tape.made_by(name)
        if made_by is not None:
            return f"{label} was made by phase {made_by.key} ({made_by.title}) of this iteration"
        if name[0] in "Wb":
            if session.epoch == 0:
                return f"{label} is an initial parameter: uniform in [−1, 1) from seed {session.config.seed}"
            return f"{label} was made by phase update.{name[1:]} of epoch {session.epoch - 1}"
        return label
