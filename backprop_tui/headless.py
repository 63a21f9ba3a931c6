"""`trace` and `train`: the tape and the loss table as text, JSON, Markdown or a NumPy .npz file, without a UI.

This module must not import Textual or Rich (a test checks it in a subprocess):
these commands feed other tools and must start fast. Only a run that goes on for more
than a second loads Rich, for a progress bar on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from backprop_tui import handout, memory
from backprop_tui.article import ARTICLE_LOSSES, is_article_setup
from backprop_tui.config import Run, RunConfig, build_run
from backprop_tui.loss_rows import loss_rows
from backprop_tui.progress import EpochProgress
from backprop_tui.usage import UsageError
from scratchnet import Tape, TapeRecorder, TrainingRun, diverged, divergence_message, run_epochs, train
from scratchnet.breaking import Breaker, Hit, StopPlace, matrix_names, run_until, stop_place
from scratchnet.conditions import Condition, ConditionError, check_matrices
from scratchnet.debugger.names import ascii_name, pretty_name
from scratchnet.debugger.tape import shape_text
from scratchnet.training import EpochEnd, batch, replay_iterations

if TYPE_CHECKING:
    from backprop_tui.lesson import Lesson

EXIT_DIVERGED = 3
EXIT_BROKEN_PIPE = 1
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl+C


def json_matrix(array: np.ndarray) -> object:
    """Nested lists at full float precision, with None (JSON null) for NaN and ±inf."""
    array = np.asarray(array, dtype=np.float64)
    finite = np.isfinite(array)
    if finite.all():
        return array.tolist()
    cells = array.astype(object)
    cells[~finite] = None
    return cells.tolist()


def json_loss(loss: float) -> float | None:
    return loss if np.isfinite(loss) else None


def trace_json(config: RunConfig, tape: Tape, classes: tuple[str, ...] | None = None) -> str:
    """`classes`: the class names of a classification run's data (its `config` says them). `batch_rows`: the
    original data rows of the iteration's batch, in the order its X and y hold them."""
    document = {
        "config": {**config.as_dict(tape.sizes, classes), "epoch": tape.epoch, "iteration": tape.iteration},
        "batch_rows": tape.data_rows().tolist(),
        "phases": [
            {
                "key": phase.key,
                "title": phase.title,
                "equation": phase.equation.as_dict(),
                "shapes": phase.shapes,
                "code": phase.code,
                "note": phase.note,
                "inputs": {name: json_matrix(array) for name, array in phase.inputs.items()},
                "outputs": {name: json_matrix(array) for name, array in phase.outputs.items()},
            }
            for phase in tape
        ],
    }
    return json.dumps(document, allow_nan=False, ensure_ascii=False)


def trace_text(tape: Tape) -> str:
    blocks = []
    if tape.iterations > 1:
        rows = tape.data_rows()
        shown = ", ".join(map(str, rows[:8].tolist())) + (", …" if rows.size > 8 else "")
        blocks.append(f"epoch {tape.epoch} · iteration {tape.iteration} of {tape.iterations} (0–{tape.iterations - 1}): "
                      f"a batch of {rows.size} rows, data rows {shown}")
    for number, phase in enumerate(tape, 1):
        lines = [
            f"── {number}/{len(tape)} {phase.key} · {phase.title} " + "─" * 20,
            f"  {phase.equation.unicode}",
        ]
        if phase.legend:
            lines.append(f"  where {phase.legend}")
        lines += [f"  shapes: {phase.shapes}"]
        lines += [f"  code:   {line}" for line in phase.code.splitlines()]
        lines += [f"  {phase.note}"]
        for role, matrices in (("in", phase.inputs), ("out", phase.outputs)):
            for name, array in matrices.items():
                body = np.array2string(np.asarray(array), precision=4, threshold=40, edgeitems=3,
                                       suppress_small=False, max_line_width=110)
                lines.append(f"  {role:>3} {pretty_name(name)} ({shape_text(array)}, {array.dtype})")
                lines += ["      " + row for row in body.splitlines()]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _built(config: RunConfig) -> Run:
    """The run, with any notes about its data on stderr, once (a CSV's left-out text columns, a generated
    feature that came out constant)."""
    run = build_run(config)
    for note in run.dataset.notes:
        print(f"backprop-tui: note: {note}", file=sys.stderr)
    return run


def _record(config: RunConfig, epoch: int, iteration: int = 0) -> tuple[Run, Tape, tuple[int, float] | None]:
    """Run `epoch` fast epochs (all of them, even past a divergence: the tape asked for is
    epoch `epoch`'s), and the iterations of epoch `epoch` before `iteration`, then record that one;
    also report where it first diverged, if it did."""
    run = _built(config)
    X, y = run.dataset.X, run.dataset.y
    batches = run.config.batches
    iterations = batches.count(X.shape[0])
    if iteration >= iterations:

        size = f"batches of {batches.size}" if iterations > 1 else "one batch of every row"
        raise UsageError(f"--iteration {iteration} is past the end of an epoch: {X.shape[0]} training rows in {size} "
                         f"make {iterations} iteration{'s' if iterations > 1 else ''}, numbered 0–{iterations - 1}")
    with EpochProgress(epoch, f"epochs before epoch {epoch}") as progress:

        def tell(end: EpochEnd) -> bool:
            progress(end.epoch + 1)
            return False

        ran = run_epochs(run.network, X, y, config.learning_rate, 0, epoch, batches=batches, stop_at_divergence=False,
                         after_epoch=tell)
    replay_iterations(run.network, X, y, config.learning_rate, batches, epoch, iteration)
    rows = batches.rows(epoch, iteration, X.shape[0])
    original = run.dataset.rows if rows is None else run.dataset.original_rows()[rows]
    recorder = TapeRecorder(epoch, iteration, iterations, original)
    with np.errstate(all="ignore"):
        loss = run.network.step(*batch(X, y, rows), config.learning_rate, record=recorder)
    if ran.diverged_at is not None:
        return run, recorder.tape, (ran.diverged_at, ran.losses[ran.diverged_at])
    if diverged(loss, ran.losses[0] if ran.losses else loss):
        return run, recorder.tape, (epoch, loss)
    return run, recorder.tape, None


def run_trace(args: argparse.Namespace, config: RunConfig, lesson: Lesson | None = None,
              steps: Sequence[int] = ()) -> int:
    """`lesson`, `steps`: the lesson given with --lesson and its steps that open on this iteration, whose notes the
    Markdown handout sets beside their phases."""
    output_format = getattr(args, "format", "text")
    target = None
    if output_format == "npz":
        from backprop_tui import npz_export

        target = npz_export.target_of(getattr(args, "out", None))  # before the run: a bad path costs no training
    epoch = getattr(args, "epoch", 0)
    run, tape, diverged_at = _record(config, epoch, getattr(args, "iteration", 0))
    config = run.config  # the run's own: its loss settled by the data
    if lesson is not None and steps:
        from backprop_tui.lesson import validate_lesson

        validate_lesson(lesson, tape.keys, {name for phase in tape for name in phase.matrix_names}, steps=steps)
    if output_format == "json":
        print(trace_json(config, tape, run.dataset.class_names))
    elif output_format == "markdown":
        print(handout.tape_markdown(tape, lesson, steps))
    elif target is not None:
        print(npz_export.write_npz(tape, target))
    else:
        print(trace_text(tape))
    if diverged_at is not None:
        print(f"backprop-tui: {divergence_message(*diverged_at)}", file=sys.stderr)
        return EXIT_DIVERGED
    return 0


def train_run(run: Run, epochs: int, after_epoch: Callable[[int], None]) -> TrainingRun:
    """`train` as the run's configuration says: its batches, its held-out rows, and for classification data the
    accuracy of each epoch (that of the parameters the epoch started with, like its loss)."""
    return train(run.network, run.dataset.X, run.dataset.y, run.config.learning_rate, epochs, after_epoch,
                 batches=run.config.batches, held_out=run.dataset.held_out, accuracy=run.dataset.is_classification)


def train_with_accuracy(run: Run, epochs: int, after_epoch: Callable[[int], None]) -> tuple[TrainingRun, list[float]]:
    """`train_run`, and the accuracy of each epoch apart (empty for a regression)."""
    history = train_run(run, epochs, after_epoch)
    return history, history.accuracies


def _accuracy_text(value: float) -> str:
    return f"{value:9.2%}" if np.isfinite(value) else f"{'nan':>9}"


def _loss_text(loss: float) -> str:
    return f"{loss:10.4f}" if 1e-4 <= abs(loss) < 1e6 or loss == 0 else f"{loss:10.4g}"


Column = tuple[str, int, Callable[[int], str]]
"""A column of the loss table: its header, its width, and the cell of an epoch."""


def _columns(run: Run, history: TrainingRun, article: dict[int, float]) -> list[Column]:
    """The table's columns after Epoch and Loss, by what the run has."""
    columns: list[Column] = []
    if run.config.batches.count(run.dataset.n_samples) > 1:
        columns.append(("Running", 10, lambda epoch: _loss_text(history.running_losses[epoch])))
    if history.test_losses:
        columns.append(("Test loss", 10, lambda epoch: _loss_text(history.test_losses[epoch])))
    if article:
        columns.append(("Article", 10, lambda epoch: f"{article[epoch]:10.4f}" if epoch in article else ""))
    if history.accuracies:
        columns.append(("Accuracy", 9, lambda epoch: _accuracy_text(history.accuracies[epoch])))
    if history.test_accuracies:
        columns.append(("Test acc.", 9, lambda epoch: _accuracy_text(history.test_accuracies[epoch])))
    return columns


def train_csv(history: TrainingRun) -> str:
    """Every epoch, one line each: epoch, loss, running_loss, then test_loss, accuracy, test_accuracy where the
    run has them; full precision (nan and inf as Python writes them)."""
    series = [("loss", history.losses), ("running_loss", history.running_losses), ("test_loss", history.test_losses),
              ("accuracy", history.accuracies), ("test_accuracy", history.test_accuracies)]
    kept = [(name, values) for name, values in series if values or name in ("loss", "running_loss")]
    lines = [",".join(["epoch", *(name for name, _ in kept)])]
    lines += [",".join([str(epoch), *(repr(float(values[epoch])) for _, values in kept)])
              for epoch in range(len(history.losses))]
    return "\n".join(lines)


@dataclass(frozen=True)
class Stop:
    """Where `train --break` stopped: the hit, and the phase of that iteration that made what the condition read."""

    hit: Hit
    iterations: int
    place: StopPlace
    value: float | None
    """The value of the matrix looked at, at the cell the place names (for nan: the first non-finite one)."""

    @property
    def sentence(self) -> str:
        at = f"phase {self.place.phase}"
        if self.place.matrix is not None:
            cell = "" if self.place.cell is None else f"[{self.place.cell[0]},{self.place.cell[1]}]"
            value = "" if self.value is None else f" = {self.value:.6g}"
            at += f" ({ascii_name(self.place.matrix)}{cell}{value})"
        if self.hit.non_finite:
            return (f"the loss is not a finite number at {self.hit.where(self.iterations)} (first in {at}) and no "
                    "condition held before; --break nan opens the app there")
        return f"stopped at {self.hit.describe(self.iterations)}, {at}"

    def as_dict(self) -> dict[str, object]:
        return {"epoch": self.hit.epoch, "iteration": self.hit.iteration, "condition": self.hit.condition,
                "values": {name: json_loss(value) for name, value in self.hit.values}, "phase": self.place.phase,
                "matrix": self.place.matrix, "cell": None if self.place.cell is None else list(self.place.cell)}


def train_until(run: Run, conditions: list[Condition], epochs: int,
                after_epoch: Callable[[int], None]) -> tuple[TrainingRun, Stop | None]:
    """`train` that stops at the first iteration where a condition holds (or the loss turns non-finite): the
    divergence rule does not end it. A condition reading a matrix this network has not got is a UsageError."""

    X, y = run.dataset.X, run.dataset.y
    known = matrix_names(run.network, X, y, run.config.learning_rate)
    texts = [str(condition) for condition in conditions]
    for condition, text in zip(conditions, texts):
        try:
            check_matrices(condition, known, text)
        except ConditionError as error:
            raise UsageError(f"--break: {error}") from None
    breaker = Breaker(conditions, X, y, run.config.learning_rate, batches=run.config.batches,
                      start_parameters=run.network.parameters)

    def tell(end: EpochEnd) -> bool:
        after_epoch(end.epoch + 1)
        return False

    history = run_until(run.network, X, y, run.config.learning_rate, 0, epochs, breaker, batches=run.config.batches,
                        held_out=run.dataset.held_out, accuracy=run.dataset.is_classification, after_epoch=tell)
    if breaker.hit is None:
        return history, None
    hit, step = breaker.hit, breaker.stopped
    assert step is not None  # the run started at an epoch's start, so every hit has its iteration
    tape = breaker.replay(step)
    held = None if hit.condition is None else conditions[texts.index(hit.condition)]
    place = stop_place(tape, hit, held)
    value = None
    if place.matrix is not None and (matrix := tape.matrix(place.matrix)) is not None:
        matrix = np.asarray(matrix)
        if matrix.size > 1 and place.cell is None:
            place = replace(place, cell=(0, 0))
        value = float(matrix[place.cell] if place.cell is not None else matrix.reshape(-1)[0])
    return history, Stop(hit, step.iterations, place, value)


def run_train(args: argparse.Namespace, config: RunConfig) -> int:
    run = _built(config)
    classification = run.dataset.is_classification
    conditions = getattr(args, "breaks", None)
    stop: Stop | None = None
    with EpochProgress(config.epochs, "training") as progress:
        if conditions:
            history, stop = train_until(run, conditions, config.epochs, progress)
        else:
            history = train_run(run, config.epochs, progress)
    every = getattr(args, "every", 20)
    output_format = getattr(args, "format", "text")
    if output_format == "json":
        document = {
            "config": run.config.as_dict(run.sizes, run.dataset.class_names),
            "losses": [json_loss(loss) for loss in history.losses],
            "diverged_at": history.diverged_at,
        }
        if run.config.batches.count(run.dataset.n_samples) > 1:  # the full batch's running loss is its loss
            document["running_losses"] = [json_loss(loss) for loss in history.running_losses]
        if classification:
            document["accuracy"] = [json_loss(value) for value in history.accuracies]
        if run.dataset.held_out is not None:
            document["test_losses"] = [json_loss(loss) for loss in history.test_losses]
            if classification:
                document["test_accuracy"] = [json_loss(value) for value in history.test_accuracies]
        if conditions:
            document["stopped"] = None if stop is None else stop.as_dict()
        print(json.dumps(document, allow_nan=False))
    elif output_format == "csv":
        print(train_csv(history))
        if stop is not None:
            print(f"backprop-tui: {stop.sentence}", file=sys.stderr)
    else:
        article = ARTICLE_LOSSES if is_article_setup(run.config) else {}
        columns = _columns(run, history, article)
        print(f"{'Epoch':>6}  {'Loss':>10}" + "".join(f"  {header:>{width}}" for header, width, _ in columns))
        for epoch, loss in loss_rows(history.losses, every):
            cells = "".join(f"  {cell(epoch):>{width}}" for _, width, cell in columns)
            print(f"{epoch:>6}  {_loss_text(loss)}{cells}".rstrip())
        if stop is not None and not stop.hit.non_finite:
            print(stop.sentence)
    if conditions:
        if stop is None:
            print(f"backprop-tui: no condition held in {len(history.losses)} epochs", file=sys.stderr)
        elif stop.hit.non_finite:
            print(f"backprop-tui: {stop.sentence}", file=sys.stderr)
            return EXIT_DIVERGED
        return 0
    if history.diverged_at is not None:
        print(f"backprop-tui: {divergence_message(history.diverged_at, history.losses[-1])}", file=sys.stderr)
        return EXIT_DIVERGED
    return 0


def purpose_of(command: str, args: argparse.Namespace) -> str:
    """What the memory estimate plans for: train, or trace in the format asked for."""
    if command == "train":
        return "train"
    output_format = getattr(args, "format", "text")
    return "trace" if output_format == "text" else f"trace-{output_format}"


def run(command: str, args: argparse.Namespace, config: RunConfig, lesson: Lesson | None = None,
        steps: Sequence[int] = ()) -> int:
    """Raises memory.NotEnoughMemory (one line) before building a run that cannot fit. `lesson`, `steps`: see
    `run_trace`."""
    memory.check(config, purpose_of(command, args), epoch=getattr(args, "epoch", 0))
    try:
        code = run_trace(args, config, lesson, steps) if command == "trace" else run_train(args, config)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader left early (`trace --format json | head`): stop quietly, and point
        # stdout at /dev/null so Python's final flush at exit does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("backprop-tui: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return code
