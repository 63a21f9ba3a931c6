"""The debugger's state without Textual: the run, the one live tape, and ONE position.

Every way of moving (keys, clicks, the palette, reopening an epoch) goes through
this class, so the app only has to draw what it says. Parameters are kept for
every epoch visited (they are small); activations live only on the current tape.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from backprop_tui.config import Run, RunConfig, build_run
from scratchnet import Phase, Tape, TapeRecorder
from scratchnet.training import Parameters

Cell = tuple[int, int]


@dataclass(frozen=True)
class View:
    """What is looked at inside one phase: the focused matrix, its cell and scroll."""

    matrix: str | None = None
    """None: the phase list has focus."""
    cell: Cell = (0, 0)
    scroll: Cell = (0, 0)


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
        self.position = Position()
        self._views: dict[tuple[int, str], View] = {}
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
            self.losses.append(loss)
        return recorder.tape

    def _go(self, epoch: int, phase: int) -> None:
        if epoch != self.tape.epoch:
            self.tape = None  # let the old tape's activations go before the new ones are made
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
        with np.errstate(all="ignore"):
            while len(self.parameters) <= epoch:
                self._record_fast(len(self.parameters) - 1)
        self._go(epoch, 0 if key is None else self.tape_index_of(key))

    def _record_fast(self, epoch: int) -> None:
        network = self.run.network
        network.set_parameters(self.parameters[epoch])
        loss = network.step(self.run.dataset.X, self.run.dataset.y, self.config.learning_rate)
        self.parameters.append(network.parameters)
        if epoch == len(self.losses):
            self.losses.append(loss)

    def tape_index_of(self, key: str) -> int:
        return self.tape.index(key)

    def reset(self) -> None:
        """Back to epoch 0, phase 1, with nothing remembered."""
        self._views.clear()
        self._go(0, 0)
        self.position = Position()
