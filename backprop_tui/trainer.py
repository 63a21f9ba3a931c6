"""Whole epochs for the app: paced so a room can watch, handed to the UI in batches.

No Textual here. The app runs `Trainer.run` in a thread worker on its own network
(a copy of the session's, built on the same parameter arrays, which are never changed
in place), so the debugger can keep recording tapes on the session's network while a
run is going. The epochs themselves are scratchnet's one loop, `run_epochs`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from backprop_tui.gil_handoff import quick_handoffs
from backprop_tui.session import EpochResult
from scratchnet import DenseNetwork, run_epochs
from scratchnet.breaking import Breaker, run_until
from scratchnet.training import FULL_BATCH, Batches, EpochEnd, HeldOut

FLUSH_HZ = 30
"""How often at most the UI hears about new epochs."""

DEFAULT_SPEED = 25.0
"""Epochs per second: the default 125 epochs take about 5 s, slow enough to watch."""


@dataclass(frozen=True)
class Outcome:
    last_epoch: int | None
    diverged_at: int | None = None
    stopped: bool = False


Deliver = Callable[[int, list[EpochResult]], None]
"""(first epoch of the batch, what each of its epochs made)."""


class Trainer:
    def __init__(self, speed: float | None = DEFAULT_SPEED, clock: Callable[[], float] = time.monotonic) -> None:
        self.speed = speed
        """Epochs per second, or None for as fast as possible."""
        self.gate = threading.Event()
        """Set while running; cleared to pause (tests also hold a run here)."""
        self.gate.set()
        self.holding = threading.Event()
        """Set while the run waits at the gate: every finished epoch has been handed over."""
        self._clock = clock

    @property
    def paused(self) -> bool:
        return not self.gate.is_set()

    @quick_handoffs()  # a fresh context per call: GIL hand-offs stay short while this run goes
    def run(
        self,
        network: DenseNetwork,
        X: np.ndarray,
        y: np.ndarray,
        learning_rate: float,
        start: int,
        end: int,
        first_loss: float | None,
        deliver: Deliver,
        should_stop: Callable[[], bool],
        *,
        classes: bool = False,
        batches: Batches = FULL_BATCH,
        held_out: HeldOut | None = None,
        breaker: Breaker | None = None,
    ) -> Outcome:
        """Epochs start … end−1 on `network` (the app's structural copy, holding the parameters epoch `start`
        begins from, with the optimizer's state they carry), paced, paused at the gate, handed over in batches;
        scratchnet's loop does the epochs. `batches` and `held_out`: the run's (`Session.batches`,
        `Session.held_out`), so the epochs are those the debugger steps through. `classes`: measure accuracy
        too (for the full batch from the logits the epoch's own step made; with batches, on the extra pass).
        `breaker`: a continue's conditions (its `hit` says where it stopped); the divergence rule then gives way,
        and the run ends where it stops."""
        results: list[EpochResult] = []
        clock = self._clock
        last_flush = clock()
        origin_time, origin_epoch, origin_speed = clock(), start, self.speed
        last_epoch: int | None = None
        batch_start = start

        def flush() -> None:
            nonlocal results, last_flush, batch_start
            if results:
                deliver(batch_start, results)
                batch_start += len(results)
                results = []
            last_flush = clock()

        def may_go_on(next_epoch: int) -> bool:
            """Hold at the gate while paused; False when told to stop."""
            nonlocal origin_time, origin_epoch
            if not self.gate.is_set():
                flush()
                self.holding.set()
                try:
                    while not self.gate.wait(0.05):
                        if should_stop():
                            return False
                finally:
                    self.holding.clear()
                origin_time, origin_epoch = clock(), next_epoch
            return not should_stop()

        def after_epoch(done: EpochEnd) -> bool:
            nonlocal last_epoch, origin_time, origin_epoch, origin_speed
            results.append(EpochResult.of(done))
            last_epoch = done.epoch
            if done.diverged and breaker is None:
                return True
            speed = self.speed
            if speed != origin_speed:
                origin_time, origin_epoch, origin_speed = clock(), done.epoch, speed
            if speed:
                wait = origin_time + (done.epoch + 1 - origin_epoch) / speed - clock()
                while wait > 0 and not should_stop() and self.gate.is_set():  # a pause cuts the wait short
                    time.sleep(min(wait, 0.05))
                    wait = origin_time + (done.epoch + 1 - origin_epoch) / speed - clock()
            if clock() - last_flush >= 1 / FLUSH_HZ:
                flush()
            return done.epoch + 1 < end and not may_go_on(done.epoch + 1)

        if start < end and not may_go_on(start):
            flush()
            return Outcome(last_epoch, stopped=True)
        if breaker is not None:
            ran = run_until(network, X, y, learning_rate, start, end, breaker, batches=batches, held_out=held_out,
                            accuracy=classes, first_loss=first_loss, after_epoch=after_epoch)
            flush()
            return Outcome(last_epoch, stopped=ran.stopped_at is not None)
        ran = run_epochs(network, X, y, learning_rate, start, end, batches=batches, held_out=held_out,
                         accuracy=classes, first_loss=first_loss, after_epoch=after_epoch)
        flush()
        if ran.diverged_at is not None:
            return Outcome(ran.diverged_at, diverged_at=ran.diverged_at)
        return Outcome(last_epoch, stopped=ran.stopped_at is not None)
