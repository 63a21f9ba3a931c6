"""The debugger's state without Textual: the run, the one live tape, and ONE position.

Every way of moving (keys, clicks, the palette, reopening an epoch) goes through
this class, so the app only has to draw what it says. Parameters are kept for
every epoch visited (they are small); activations live only on the current tape.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from backprop_tui.config import Run, RunConfig, build_run
from scratchnet import Phase, Tape, TapeRecorder, diverged, run_epochs
from scratchnet.labels import accuracy
from scratchnet.network import Parameters

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
class Position:
    epoch: int = 0
    phase: int = 0
    view: View = View()


class Session:
    def __init__(self, run: Run) -> None:
        self.run = run
        self.parameters: list[Parameters] = [run.initial_parameters]
        """parameters[k]: what epoch k starts from. Grows as epochs are reached."""
        self.losses: list[float] = []
        """Known loss of each epoch, in order (as far as any epoch has been run)."""
        self.accuracies: dict[int, float] = {}
        """For classes: each epoch's accuracy where a training run reported it."""
        self.position = Position()
        self._views: dict[tuple[int, str], View] = {}
        self.pins: list[Pin] = []
        self.branches: list[Branch] = []
        self.diverged_at: int | None = None
        """The first epoch whose loss broke scratchnet's one divergence rule, however it was reached
        (stepping, reopening, training): the count `train` gives."""
        self._pin_values: dict[Pin, dict[int, float | None]] = {}
        """Values of pinned activations and gradients, per epoch, as tapes were recorded
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
    def view(self) -> View:
        return self.position.view

    def set_view(self, view: View) -> None:
        """The app reports focus, cursor and scroll here, so coming back restores them."""
        self.position = replace(self.position, view=view)
        self._views[(self.epoch, self.phase.key)] = view

    # --- moving ---------------------------------------------------------------

    def _record(self, epoch: int) -> Tape:
        """Re-run epoch `epoch` from its starting parameters with a recorder attached."""
        network = self.run.network
        network.set_parameters(self.parameters[epoch])
        recorder = TapeRecorder(epoch)
        with np.errstate(all="ignore"):
            loss = network.step(self.run.dataset.X, self.run.dataset.y, self.config.learning_rate, record=recorder)
        if epoch + 1 == len(self.parameters):
            self.parameters.append(network.parameters)
        if epoch == len(self.losses):
            self._add_loss(loss)
        for pin in self.pins:
            self._remember(pin, recorder.tape)
        return recorder.tape

    def _go(self, epoch: int, phase: int) -> None:
        if epoch != self.tape.epoch:
            del self.tape  # let the old tape's activations go before the new ones are made
            self.tape = self._record(epoch)
        phase = max(0, min(phase, len(self.tape) - 1))
        view = self._views.get((epoch, self.tape[phase].key), View())
        self.position = Position(epoch, phase, view)

    def next_phase(self) -> None:
        """Past the last phase, the next epoch starts from the updated weights."""
        if self.position.phase + 1 < len(self.tape):
            self._go(self.epoch, self.position.phase + 1)
        else:
            self._go(self.epoch + 1, 0)

    def previous_phase(self) -> None:
        if self.position.phase > 0:
            self._go(self.epoch, self.position.phase - 1)
        elif self.epoch > 0:
            self._go(self.epoch - 1, len(self.tape) - 1)

    def first_phase(self) -> None:
        self._go(self.epoch, 0)

    def last_phase(self) -> None:
        self._go(self.epoch, len(self.tape) - 1)

    def go_to_phase(self, key: str) -> None:
        self._go(self.epoch, self.tape.index(key))

    def go_to_epoch(self, epoch: int, key: str | None = None) -> None:
        """Open epoch `epoch`, training forward on the fast path if it has not been reached yet."""
        start = len(self.parameters) - 1
        if start < epoch:
            network = self.run.network
            network.set_parameters(self.parameters[start])
            ran = run_epochs(network, self.run.dataset.X, self.run.dataset.y, self.config.learning_rate, start, epoch,
                             first_loss=self.losses[0] if self.losses else None, stop_at_divergence=False,
                             keep_parameters=True)
            for done, (loss, after) in enumerate(zip(ran.losses, ran.parameters, strict=True), start):
                self.parameters.append(after)
                if done == len(self.losses):
                    self._add_loss(loss)
        self._go(epoch, 0 if key is None else self.tape_index_of(key))

    def _add_loss(self, loss: float) -> None:
        """The next epoch's loss, checked against the first with the rule headless `train` uses."""
        self.losses.append(loss)
        if self.diverged_at is None and diverged(loss, self.losses[0]):
            self.diverged_at = len(self.losses) - 1

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

    def add_epochs(self, first_epoch: int, losses: list[float], parameters: list[Parameters],
                   accuracies: list[float] | None = None) -> None:
        """Results of epochs first_epoch, first_epoch+1, …; epochs already known are skipped
        (stepping there in the debugger produced the very same numbers). `accuracies`: for classes."""
        for epoch, (loss, after) in enumerate(zip(losses, parameters, strict=True), first_epoch):
            if epoch == len(self.losses):
                self._add_loss(loss)
                self.parameters.append(after)
        for epoch, share in enumerate(accuracies or (), first_epoch):
            self.accuracies[epoch] = share

    def forget_training(self) -> None:
        """Back to where the run began, to watch it again: only epoch 0 is kept (its loss and where its
        update leads are the same on every run), and the debugger goes to epoch 0."""
        if self.epoch > 0:
            self._go(0, self.position.phase)
        del self.parameters[2:]
        del self.losses[1:]
        self.accuracies = {epoch: share for epoch, share in self.accuracies.items() if epoch == 0}
        if self.diverged_at is not None and self.diverged_at > 0:
            self.diverged_at = None
        self._views = {key: view for key, view in self._views.items() if key[0] == 0}
        for values in self._pin_values.values():
            for epoch in [epoch for epoch in values if epoch > 0]:
                del values[epoch]

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
            self._pin_values.setdefault(pin, {})[tape.epoch] = _cell_value(array, pin.cell)

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
        the recorded epochs for activations and gradients."""
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
