"""The debugger's state without Textual: the run, the one live tape, and ONE position.

Every way of moving (keys, clicks, the palette, reopening an epoch) goes through
this class, so the app only has to draw what it says. Parameters are kept for
every epoch visited (they are small), each with the optimizer's state at that point
(momentum's velocities, Adam's moments), so an epoch reopens exactly; activations
live only on the current tape. With mini-batches the position carries the iteration
(the batch) too: stepping past an iteration's last phase opens the next batch, and
a batch in the middle of an epoch is reached by replaying the batches before it from
the epoch's start, on the fast path (the very steps training takes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from backprop_tui.breakpoints import Breakpoints
from backprop_tui.config import Run, RunConfig, build_run
from scratchnet import Batches, Phase, Tape, TapeRecorder, diverged, run_epochs
from scratchnet.health import gradient_norms, update_ratios
from scratchnet.labels import accuracy
from scratchnet.network import Parameters
from scratchnet.training import EpochEnd, HeldOut, batch, replay_iterations

Cell = tuple[int, int]


@dataclass(frozen=True)
class View:
    """What is looked at inside one phase: the focused matrix, and each matrix's cell and scroll."""

    matrix: str | None = None
    """None: the phase list has focus."""
    cells: tuple[tuple[str, Cell], ...] = ()
    scrolls: tuple[tuple[str, Cell], ...] = ()

    def cell_of(self, name: str) -> Cell:
        return dict(self.cells).get(name, (0, 0))

    def scroll_of(self, name: str) -> Cell:
        return dict(self.scrolls).get(name, (0, 0))

    @property
    def cell(self) -> Cell:
        """The focused matrix's cell."""
        return self.cell_of(self.matrix) if self.matrix else (0, 0)


@dataclass(frozen=True)
class Pin:
    """A watched cell, e.g. W2[3,1]."""

    name: str
    cell: Cell


@dataclass
class Branch:
    """A rerun from the same initial weights with another η, kept to compare loss curves."""

    learning_rate: float
    epochs: int
    losses: list[float]
    diverged_at: int | None = None


@dataclass(frozen=True)
class EpochResult:
    """What one epoch run adds to the session, whoever ran it (the app's training thread, or the session itself
    on its way to an epoch): scratchnet's `EpochEnd` without the network, with the parameters it ended with."""

    loss: float
    """The data loss of the parameters the epoch started from, over every training row."""
    parameters: Parameters
    """What the epoch ended with (what the next one starts from), the optimizer's state with them."""
    running_loss: float
    """The mean of its batch losses (its loss, for the full batch)."""
    test_loss: float | None = None
    accuracy: float | None = None
    test_accuracy: float | None = None
    gradient_norms: tuple[float, ...] = ()
    """‖dWₗ‖ of each trainable layer, from the epoch's last step (its only one for the full batch)."""

    @classmethod
    def of(cls, end: EpochEnd) -> EpochResult:
        return cls(end.loss, end.network.parameters, end.running_loss, end.test_loss, end.accuracy, end.test_accuracy,
                   gradient_norms(end.network))


@dataclass(frozen=True)
class Position:
    epoch: int = 0
    phase: int = 0
    view: View = View()
    iteration: int = 0
    """The batch within the epoch, from 0 (always 0 for the article's full batch)."""


class Session:
    def __init__(self, run: Run) -> None:
        self.run = run
        self.parameters: list[Parameters] = [run.initial_parameters]
        """parameters[k]: what epoch k starts from, the optimizer's state with the weights (`.state`). Grows as
        epochs are reached."""
        self.losses: list[float] = []
        """Known loss of each epoch, in order (as far as any epoch has been run): the data loss of the parameters
        it started from, over every training row."""
        self.running_losses: list[float] = []
        """The mean of each known epoch's batch losses, beside `losses` (equal to it for the full batch)."""
        self.test_losses: list[float] = []
        """With held-out rows: their loss for each epoch in `losses` (the parameters it started from)."""
        self.accuracies: dict[int, float] = {}
        """For classes: each known epoch's share of training rows classified right (the parameters it started
        from); an epoch only stepped to in the debugger has none."""
        self.test_accuracies: dict[int, float] = {}
        self.gradient_norms: dict[int, tuple[float, ...]] = {}
        self._ratios: dict[int, tuple[float, ...]] = {}
        """‖ΔWₗ‖/‖Wₗ‖ per epoch as `health` worked them out: the panel asks at every redraw."""
        """‖dWₗ‖ per trainable layer for each epoch run (its last step's): the gradient health panel's."""
        """For classes with held-out rows: their share classified right, per epoch, like `accuracies`."""
        self.position = Position()
        self._next: tuple[int, int, Parameters] | None = None
        """(epoch, iteration, what it starts from): where the iteration after the current tape begins."""
        self._views: dict[tuple[int, int, str], View] = {}
        self.pins: list[Pin] = []
        self.branches: list[Branch] = []
        self.breakpoints = Breakpoints()
        """Phases to stop at, and conditions to continue until (b, B, C; --break; session files, lessons)."""
        self.diverged_at: int | None = None
        """The first epoch whose loss broke scratchnet's one divergence rule, however it was reached
        (stepping, reopening, training): the count `train` gives."""
        self._pin_values: dict[Pin, dict[tuple[int, int], float | None]] = {}
        """Values of pinned activations and gradients, per (epoch, iteration), as tapes were recorded
        (None where the cell lies outside the matrix; pin_history skips those)."""
        self.tape: Tape = self._record(0)

    @classmethod
    def start(cls, config: RunConfig) -> Session:
        return cls(build_run(config))

    # --- what is on screen -------------------------------------------------

    @property
    def config(self) -> RunConfig:
        return self.run.config

    @property
    def phase(self) -> Phase:
        return self.tape[self.position.phase]

    @property
    def epoch(self) -> int:
        return self.position.epoch

    @property
    def accuracy(self) -> float | None:
        """For classes: the share of rows this iteration's forward pass put in their true class (None for a
        regression)."""
        if self.run.dataset.class_names is None:
            return None
        compared = next((phase for phase in self.tape if phase.stage == "loss" and "y" in phase.inputs), None)
        if compared is None:
            return None
        return accuracy(compared.inputs[next(iter(compared.inputs))], compared.inputs["y"])

    @property
    def iteration(self) -> int:
        """The batch of the epoch on screen, from 0."""
        return self.position.iteration

    @property
    def batches(self) -> Batches:
        return self.config.batches

    @property
    def iterations(self) -> int:
        """Iterations per epoch: ⌈N/B⌉ with batches of B rows, 1 for the article's full batch."""
        return self.batches.count(self.run.dataset.n_samples)

    @property
    def held_out(self) -> HeldOut | None:
        """(X, y) of the held-out rows, if any: what a training run measures every epoch besides its loss."""
        return self.run.dataset.held_out

    @property
    def view(self) -> View:
        return self.position.view

    def set_view(self, view: View) -> None:
        """The app reports focus, cursor and scroll here, so coming back restores them."""
        self.position = replace(self.position, view=view)
        self._views[(self.epoch, self.iteration, self.phase.key)] = view

    # --- moving ---------------------------------------------------------------

    def _record(self, epoch: int, iteration: int = 0) -> Tape:
        """Re-run iteration `iteration` of epoch `epoch` from where it starts, with a recorder attached."""
        network = self.run.network
        X, y = self.run.dataset.X, self.run.dataset.y
        iterations = self.iterations
        article = iterations == 1 and self.held_out is None
        if epoch == len(self.losses) and not article:  # the epoch's loss is over all rows: run it on the fast path
            self._train(epoch, epoch + 1)
        if self._next is not None and self._next[:2] == (epoch, iteration):
            network.set_parameters(self._next[2])
        else:
            network.set_parameters(self.parameters[epoch])
            replay_iterations(network, X, y, self.config.learning_rate, self.batches, epoch, iteration)
        rows = self.batches.rows(epoch, iteration, X.shape[0])
        original = self.run.dataset.rows if rows is None else self.run.dataset.original_rows()[rows]
        recorder = TapeRecorder(epoch, iteration, iterations, original)
        with np.errstate(all="ignore"):
            loss = network.step(*batch(X, y, rows), self.config.learning_rate, record=recorder)
        after = network.parameters
        if iteration + 1 == iterations and epoch + 1 == len(self.parameters):
            self.parameters.append(after)
        self._next = (epoch, iteration + 1, after) if iteration + 1 < iterations else (epoch + 1, 0, after)
        if epoch == len(self.losses):  # the article's full batch: the step's own loss is the epoch's
            classes = self.run.dataset.class_names is not None
            self._add_epoch(EpochResult(loss, after, loss, accuracy=accuracy(network.logits, y) if classes else None,
                                        gradient_norms=gradient_norms(network)))
        for pin in self.pins:
            self._remember(pin, recorder.tape)
        return recorder.tape

    def _go(self, epoch: int, phase: int, iteration: int = 0) -> None:
        if (epoch, iteration) != (self.tape.epoch, self.tape.iteration):
            del self.tape  # let the old tape's activations go before the new ones are made
            self.tape = self._record(epoch, iteration)
        phase = max(0, min(phase, len(self.tape) - 1))
        view = self._views.get((epoch, iteration, self.tape[phase].key), View())
        self.position = Position(epoch, phase, view, iteration)

    def next_phase(self) -> None:
        """Past the last phase, the next batch, or the next epoch after the last batch, starts from the updated
        weights."""
        if self.position.phase + 1 < len(self.tape):
            self._go(self.epoch, self.position.phase + 1, self.iteration)
        elif self.iteration + 1 < self.iterations:
            self._go(self.epoch, 0, self.iteration + 1)
        else:
            self._go(self.epoch + 1, 0)

    def previous_phase(self) -> None:
        """Before the first phase, the last phase of the batch before (of the epoch before, from its first)."""
        if self.position.phase > 0:
            self._go(self.epoch, self.position.phase - 1, self.iteration)
        elif self.iteration > 0:
            self._go(self.epoch, len(self.tape) - 1, self.iteration - 1)
        elif self.epoch > 0:
            self._go(self.epoch - 1, len(self.tape) - 1, self.iterations - 1)

    def first_phase(self) -> None:
        self._go(self.epoch, 0, self.iteration)

    def last_phase(self) -> None:
        self._go(self.epoch, len(self.tape) - 1, self.iteration)

    def go_to_phase(self, key: str) -> None:
        self._go(self.epoch, self.tape.index(key), self.iteration)

    def go_to_epoch(self, epoch: int, key: str | None = None, iteration: int = 0) -> None:
        """Open batch `iteration` (from 0) of epoch `epoch`, training forward on the fast path if it has not been
        reached yet. Raises ValueError for an iteration past the epoch's last."""
        if not 0 <= iteration < self.iterations:
            raise ValueError(f"iteration {iteration} is not one of this run's 0–{self.iterations - 1}")
        start = len(self.parameters) - 1
        if start < epoch:
            self._train(start, epoch)
        self._go(epoch, 0 if key is None else self.tape_index_of(key), iteration)

    def _train(self, start: int, end: int) -> None:
        """Epochs start … end−1 on the fast path from parameters[start] (its loss may be known already), keeping
        what each ends with and each new epoch's losses (and held-out loss, and accuracies for classes)."""
        network = self.run.network
        network.set_parameters(self.parameters[start])
        results: list[EpochResult] = []

        def keep(end: EpochEnd) -> bool:
            results.append(EpochResult.of(end))
            return False

        run_epochs(network, self.run.dataset.X, self.run.dataset.y, self.config.learning_rate, start, end,
                   batches=self.batches, held_out=self.held_out, accuracy=self.run.dataset.class_names is not None,
                   first_loss=self.losses[0] if self.losses else None, stop_at_divergence=False,
                   after_epoch=keep)
        self.add_epochs(start, results)

    def _add_epoch(self, result: EpochResult) -> None:
        """The next epoch's losses, checked against the first with the rule headless `train` uses."""
        epoch = len(self.losses)
        self.losses.append(result.loss)
        self.running_losses.append(result.running_loss)
        if result.test_loss is not None and len(self.test_losses) == epoch:
            self.test_losses.append(result.test_loss)
        if result.accuracy is not None:
            self.accuracies[epoch] = result.accuracy
        if result.test_accuracy is not None:
            self.test_accuracies[epoch] = result.test_accuracy
        if result.gradient_norms:
            self.gradient_norms[epoch] = result.gradient_norms
        if self.diverged_at is None and diverged(result.loss, self.losses[0]):
            self.diverged_at = epoch

    def health(self) -> list[tuple[int, tuple[float, ...], tuple[float, ...]]]:
        """(epoch, ‖dWₗ‖ per layer, ‖ΔWₗ‖/‖Wₗ‖ per layer over the epoch) for every epoch whose both are known."""
        rows = []
        for epoch in range(min(len(self.parameters) - 1, len(self.losses))):
            if (norms := self.gradient_norms.get(epoch)) is not None:
                if (ratios := self._ratios.get(epoch)) is None:  # parameters are never changed: once per epoch
                    ratios = self._ratios[epoch] = update_ratios(self.parameters[epoch], self.parameters[epoch + 1])
                rows.append((epoch, norms, ratios))
        return rows

    def loss_warning(self, rising: bool = True) -> str | None:
        """Where the loss first turned non-finite, or that it is rising now (the last epoch's above the one before),
        said with what to do about it. A rise long past is not news: mini-batches make the loss wobble.
        `rising` False: only the non-finite loss, which is always news."""
        losses = self.losses
        bad = next((epoch for epoch, loss in enumerate(losses) if not math.isfinite(loss)), None)
        if bad is not None:
            return (f"The loss is not a finite number from epoch {bad}: B, add nan, then C stops at the phase that "
                    "first made one (or start with --break nan).")
        if rising and len(losses) >= 2 and losses[-1] > losses[-2]:
            return (f"The loss rose at epoch {len(losses) - 1}: the condition loss_up (B, or --break loss_up) stops "
                    "where it does.")
        return None

    @property
    def matrix_names(self) -> set[str]:
        """Every matrix an iteration of this network records: what a condition may read."""
        return {name for phase in self.tape for name in phase.matrix_names}

    def next_break(self) -> tuple[int, int, str] | None:
        """Where continue stops with phase breakpoints alone: the next one after the phase on screen in this
        iteration, else the first of the next iteration (epoch, iteration, phase); None without any."""
        phases = set(self.breakpoints.phases())
        keys = self.tape.keys
        later = [key for key in keys[self.position.phase + 1:] if key in phases]
        if later:
            return self.epoch, self.iteration, later[0]
        first = next((key for key in keys if key in phases), None)
        if first is None:
            return None
        if self.iteration + 1 < self.iterations:
            return self.epoch, self.iteration + 1, first
        return self.epoch + 1, 0, first

    def tape_index_of(self, key: str) -> int:
        return self.tape.index(key)

    # --- whole epochs --------------------------------------------------------------

    @property
    def trained_epochs(self) -> int:
        """Epochs whose loss is known; the next to run starts from parameters[trained_epochs]."""
        return len(self.losses)

    def not_run_yet(self, epoch: int) -> str | None:
        """Why `epoch` cannot be opened (it has not been run), or None when it can."""
        known = self.trained_epochs
        if 0 <= epoch < max(known, 1):
            return None
        return f"Epoch {epoch} has not been run yet (known: 0–{max(known - 1, 0)})."

    def add_epochs(self, first_epoch: int, results: list[EpochResult]) -> None:
        """Results of epochs first_epoch, first_epoch+1, …; epochs already known are skipped (stepping there in
        the debugger produced the very same numbers), and so is what an epoch ended with once it is kept."""
        for epoch, result in enumerate(results, first_epoch):
            if epoch + 1 == len(self.parameters):
                self.parameters.append(result.parameters)
            if epoch == len(self.losses):
                self._add_epoch(result)

    def forget_training(self) -> None:
        """Back to where the run began, to watch it again: only epoch 0 is kept (its loss and where its
        update leads are the same on every run), and the debugger goes to epoch 0."""
        if self.epoch > 0:
            self._go(0, self.position.phase, min(self.iteration, self.iterations - 1))
        if self._next is not None and self._next[0] > 1:
            self._next = None
        del self.parameters[2:]
        del self.losses[1:]
        self.accuracies = {epoch: share for epoch, share in self.accuracies.items() if epoch == 0}
        self.test_accuracies = {epoch: share for epoch, share in self.test_accuracies.items() if epoch == 0}
        self.gradient_norms = {epoch: norms for epoch, norms in self.gradient_norms.items() if epoch == 0}
        self._ratios = {epoch: ratios for epoch, ratios in self._ratios.items() if epoch == 0}
        del self.running_losses[1:]
        del self.test_losses[1:]
        if self.diverged_at is not None and self.diverged_at > 0:
            self.diverged_at = None
        self._views = {key: view for key, view in self._views.items() if key[0] == 0}
        for values in self._pin_values.values():
            for at in [at for at in values if at[0] > 0]:
                del values[at]

    # --- watched cells ----------------------------------------------------------------

    def pin(self, name: str, cell: Cell) -> Pin:
        """Watch `name`[cell]; pinning it again un-pins it."""
        pin = Pin(name, cell)
        if pin in self.pins:
            self.pins.remove(pin)
            self._pin_values.pop(pin, None)
        else:
            self.pins.append(pin)
            self._remember(pin, self.tape)
        return pin

    def _remember(self, pin: Pin, tape: Tape) -> None:
        array = tape.matrix(pin.name)
        if array is not None and _parameter_offset(pin.name) is None:
            self._pin_values.setdefault(pin, {})[(tape.epoch, tape.iteration)] = _cell_value(array, pin.cell)

    def pin_value(self, pin: Pin) -> float | None:
        """The pinned cell as it stands at the current phase (None if it does not exist here)."""
        phase = self.phase
        if pin.name in phase.outputs or pin.name in phase.inputs:
            return _cell_value(phase.matrix(pin.name), pin.cell)
        offset = _parameter_offset(pin.name)
        if offset is not None:
            return self._parameter_value(pin, self.epoch + offset)
        array = self.tape.matrix(pin.name)
        return None if array is None else _cell_value(array, pin.cell)

    def pin_history(self, pin: Pin) -> list[float]:
        """The pinned cell across the epochs kept so far: every epoch for weights and biases,
        the recorded iterations for activations, gradients and the optimizer's state."""
        offset = _parameter_offset(pin.name)
        if offset is not None:
            epochs = range(len(self.parameters) - offset)
            values = [self._parameter_value(pin, epoch + offset) for epoch in epochs]
        else:
            values = [value for _, value in sorted(self._pin_values.get(pin, {}).items())]
        return [value for value in values if value is not None]

    def _parameter_value(self, pin: Pin, epoch: int) -> float | None:
        if not 0 <= epoch < len(self.parameters):
            return None
        stem = pin.name.rstrip("'")
        layer = int(stem[1:])
        weight, bias = self.parameters[epoch][layer - 1]
        return _cell_value(weight if stem[0] == "W" else bias, pin.cell)

    def reset(self) -> None:
        """Back to epoch 0, phase 1, with nothing remembered."""
        self._views.clear()
        self._go(0, 0)
        self.position = Position()


def _cell_value(array: np.ndarray, cell: Cell) -> float | None:
    matrix = np.atleast_2d(array)
    row, column = cell
    if row < matrix.shape[0] and column < matrix.shape[1]:
        return float(matrix[row, column])
    return None


def _parameter_offset(name: str) -> int | None:
    """0 for W2/b2 (what the epoch starts from), 1 for W2'/b2' (what it ends with), None otherwise."""
    stem = name.rstrip("'")
    if len(stem) > 1 and stem[0] in "Wb" and stem[1:].isdigit():
        return 1 if name.endswith("'") else 0
    return None
