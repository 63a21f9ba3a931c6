"""The app's whole-epoch runs without Textual: the main run's state, its pace, and branches beside it.

Runs go in threads that the app starts for us (`launch`: in the app, a Textual thread
worker; in tests, anything that calls the job). What a thread produces (epochs, a branch's
losses, a run's end) waits here under a lock, and `news` tells the app there is some: True
when it should be shown at once, False when the next redraw will do. The app then calls
`take_news` on the UI thread, as seldom as it likes; a thread never waits for the UI.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from backprop_tui.config import MAX_EPOCH
from backprop_tui.session import Branch, EpochResult, Session
from backprop_tui.trainer import DEFAULT_SPEED, Outcome, Trainer
from scratchnet import divergence_message
from scratchnet.breaking import Breaker, Hit, StopPlace, stop_place
from scratchnet.conditions import Condition
from scratchnet.training import Iteration

Batch = tuple[int, list[EpochResult]]
"""(first epoch, what each of its epochs made), as the trainer hands them over."""
MIN_SPEED, MAX_SPEED = 0.5, 10_000.0
"""Epochs per second that + and − stay between."""


class Running(Protocol):
    """A started thread as `launch` returns it (a Textual worker in the app)."""

    @property
    def is_running(self) -> bool: ...

    def cancel(self) -> None: ...


Job = Callable[[Callable[[], bool]], None]
"""What runs in a thread, given `should_stop`."""
Launch = Callable[[Job, str], Running]
"""Start a job in a thread, in a named group: "training" (one at a time) or "branch"."""


@dataclass(frozen=True)
class Stopped:
    """Where a continue stopped: the iteration, and the phase, matrix and cell to open it at."""

    hit: Hit
    iterations: int
    place: StopPlace

    @classmethod
    def at(cls, breaker: Breaker, step: Iteration, conditions: list[Condition]) -> Stopped:
        """The stopped iteration recorded again (once) to find the phase that made what the condition read."""
        hit = breaker.hit
        assert hit is not None
        held = next((condition for condition in conditions if str(condition) == hit.condition), None)
        return cls(hit, step.iterations, stop_place(breaker.replay(step), hit, held))

    @property
    def sentence(self) -> str:
        where = self.hit.describe(self.iterations)
        if self.hit.non_finite:
            return f"Stopped: the loss is not a finite number at {self.hit.where(self.iterations)}."
        return f"Stopped at {where}."


class RunState(Enum):
    NOT_STARTED = "not started (press e)"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    DONE = "done"
    DIVERGED = "diverged"
    CONTINUING = "continuing until a condition holds"
    HIT = "stopped at a condition"


class Training:
    def __init__(self, speed: float | None = DEFAULT_SPEED, launch: Launch | None = None,
                 news: Callable[[bool], object] = lambda now: None) -> None:
        self.trainer = Trainer(speed)
        self.state = RunState.NOT_STARTED
        self.stopped_at: int | None = None
        """The epochs known when x stopped the run."""
        self.message = ""
        """Why the run ended, when that needs saying (a divergence)."""
        self.thread_done = threading.Event()
        """Set when the training thread has returned: quitting must never leave it running."""
        self.thread_done.set()
        self._launch = launch
        self._news = news
        self._thread: Running | None = None
        self._lock = threading.Lock()
        self._epochs: list[Batch] = []
        self._ended: Outcome | None = None
        self._branch_losses: list[tuple[Branch, list[float]]] = []
        self._branch_ends: list[tuple[Branch, int]] = []
        self.continuing = False
        """The main run is a continue: it checks the session's conditions after every iteration."""
        self._hit: Stopped | None = None
        self.stop_here: Stopped | None = None
        """Where the last continue stopped, for the app to open (taken once: `take_stop`)."""

    @property
    def status(self) -> str:
        """The state in the training screen's words."""
        if self.state is RunState.STOPPED and self.stopped_at is not None:
            return f"stopped at epoch {self.stopped_at}"
        return self.state.value

    @property
    def running(self) -> bool:
        """A run is going, or paused."""
        return self.state in (RunState.RUNNING, RunState.PAUSED, RunState.CONTINUING)

    @property
    def thread_running(self) -> bool:
        """The main run's thread is still there (a stopped one too, until it has noticed)."""
        return self._thread is not None and self._thread.is_running

    # --- the main run: the UI thread --------------------------------------------------------------

    def train(self, session: Session, again: bool = False) -> bool:
        """e: run up to the configured epochs, continuing from the last one known; nothing while a thread
        runs. `again` (e on the training screen): a run that has ended starts over from epoch 0. Returns
        whether the session went back to epoch 0."""
        if self.thread_running:
            return False
        forgot = again and self.start_over(session)
        if (epochs := self.begin(session)) is not None and self._launch is not None:
            start, end = epochs
            self._thread = self._launch(lambda should_stop: self.run(session, start, end, should_stop), "training")
        return forgot

    @staticmethod
    def start_over(session: Session) -> bool:
        """A run that has ended is forgotten, to be watched again from epoch 0 (not one that diverged at
        epoch 0: that one ends the same way at once). True if it was."""
        ended = session.diverged_at is not None or session.trained_epochs >= session.config.epochs
        if ended and session.diverged_at != 0:
            session.forget_training()
            return True
        return False

    def begin(self, session: Session) -> tuple[int, int] | None:
        """The epochs to run now, continuing from the last one known; None when the run is over already."""
        if session.diverged_at is not None:  # also when stepping got there first: never train past it
            self.state = RunState.DIVERGED
            self.message = divergence_message(session.diverged_at, session.losses[session.diverged_at])
        elif session.trained_epochs >= session.config.epochs:
            self.state = RunState.DONE
        else:
            self.state, self.stopped_at, self.message = RunState.RUNNING, None, ""
            with self._lock:
                self._ended = None  # a run that ended before this one began has nothing more to say
            return session.trained_epochs, session.config.epochs
        return None

    def take_news(self, session: Session) -> str | None:
        """What the threads have handed over: epochs into the session, losses into their branches, and the
        end of a run. Returns a divergence to announce."""
        with self._lock:
            batches, ended, self._epochs, self._ended = self._epochs, self._ended, [], None
            hit, self._hit = self._hit, None
            branch_losses, branch_ends, self._branch_losses, self._branch_ends = (
                self._branch_losses, self._branch_ends, [], [])
        for first_epoch, results in batches:
            session.add_epochs(first_epoch, results)
        for branch, branch_batch in branch_losses:
            branch.losses.extend(branch_batch)
        for branch, epoch in branch_ends:
            branch.diverged_at = epoch
        if ended is not None and self.continuing:
            self.continuing = False
            if hit is not None:
                self.state, self.stop_here = RunState.HIT, hit
                self.message = hit.sentence
            elif ended.stopped:
                self.state, self.message = RunState.STOPPED, ""
            else:
                self.state = RunState.DONE
                self.message = f"No condition held up to epoch {ended.last_epoch}."
            return None
        return None if ended is None else self._finish(session, ended)

    def _finish(self, session: Session, outcome: Outcome) -> str | None:
        # The session checked every loss it holds with the trainer's rule, including epochs stepped to before.
        at = session.diverged_at if session.diverged_at is not None else outcome.diverged_at
        if at is not None:
            self.state = RunState.DIVERGED
            self.message = divergence_message(at, session.losses[at])
            return self.message
        self.state, self.stopped_at = (RunState.STOPPED, None) if outcome.stopped else (RunState.DONE, None)
        return None

    # --- continue: the main run, checking the conditions after every iteration ------------------------------------

    def continue_until(self, session: Session, conditions: list[Condition]) -> str | None:
        """C with conditions set: from the iteration on screen, run on (paced like a training run) until one holds
        after it, or the loss turns non-finite; the divergence rule gives way. Epochs run reach the session as
        training's do. Returns why it cannot start, or None."""
        if self.thread_running:
            return "A run is going: x stops it first."
        epoch, iteration = session.epoch, session.iteration
        config = session.config
        end = config.epochs if epoch + 1 < config.epochs else epoch + 1 + config.epochs
        self.state, self.stopped_at, self.message, self.continuing = RunState.CONTINUING, None, "", True
        self.stop_here = None
        with self._lock:
            self._ended, self._hit = None, None
        if self._launch is not None:
            self._thread = self._launch(
                lambda should_stop: self._continue(session, conditions, epoch, iteration, end, should_stop), "training")
        return None

    def _continue(self, session: Session, conditions: list[Condition], epoch: int, iteration: int, end: int,
                  should_stop: Callable[[], bool]) -> None:
        """In its thread: epochs from the one on screen (its iterations up to the one on screen replayed, not
        checked), each iteration after that checked."""
        self.thread_done.clear()
        try:
            dataset = session.run.dataset
            learning_rate = session.config.learning_rate
            breaker = Breaker(conditions, dataset.X, dataset.y, learning_rate, batches=session.batches,
                              start_parameters=session.parameters[epoch],
                              previous_loss=session.losses[epoch - 1] if epoch > 0 else None,
                              after=(epoch, iteration))

            def deliver(first_epoch: int, results: list[EpochResult]) -> None:
                with self._lock:
                    self._epochs.append((first_epoch, results))
                self._news(False)

            outcome = self.trainer.run(
                session.run.network.with_parameters(session.parameters[epoch]), dataset.X, dataset.y, learning_rate,
                epoch, end, session.losses[0] if session.losses else None, deliver=deliver, should_stop=should_stop,
                classes=dataset.class_names is not None, batches=session.batches, held_out=session.held_out,
                breaker=breaker)
            if not should_stop():
                with self._lock:
                    self._ended = outcome
                    if breaker.hit is not None and breaker.stopped is not None:
                        self._hit = Stopped.at(breaker, breaker.stopped, conditions)
                self._news(True)
        finally:
            self.thread_done.set()

    def take_stop(self) -> Stopped | None:
        """Where a continue stopped, once."""
        stop, self.stop_here = self.stop_here, None
        return stop

    def toggle_pause(self) -> None:
        if not self.thread_running:
            return
        if self.trainer.paused:
            self.trainer.gate.set()
            self.state = RunState.CONTINUING if self.continuing else RunState.RUNNING
        else:
            self.trainer.gate.clear()
            self.state = RunState.PAUSED

    def stop(self, known_epochs: int) -> None:
        """x: the thread is told to stop; a run held at the gate lets go of it to hear that."""
        if self._thread is None or not self._thread.is_running:
            return
        self._thread.cancel()
        self.trainer.gate.set()
        self.state, self.stopped_at, self.continuing = RunState.STOPPED, known_epochs, False

    def change_speed(self, factor: float | None) -> None:
        """Multiply the pace by `factor`; None toggles between max speed and the default."""
        trainer = self.trainer
        if factor is None:
            trainer.speed = DEFAULT_SPEED if trainer.speed is None else None
        else:
            trainer.speed = min(MAX_SPEED, max(MIN_SPEED, (trainer.speed or DEFAULT_SPEED) * factor))

    # --- the main run: its thread -------------------------------------------------------------------

    def run(self, session: Session, start: int, end: int, should_stop: Callable[[], bool]) -> None:
        """Epochs start … end−1 on a copy of the session's network. A stopped thread's end is no news."""
        self.thread_done.clear()
        try:
            dataset = session.run.dataset
            first = session.losses[0] if session.losses else None

            def deliver(first_epoch: int, results: list[EpochResult]) -> None:
                with self._lock:
                    self._epochs.append((first_epoch, results))
                self._news(False)

            outcome = self.trainer.run(
                session.run.network.with_parameters(session.parameters[start]), dataset.X, dataset.y,
                session.config.learning_rate, start, end, first, deliver=deliver, should_stop=should_stop,
                classes=dataset.class_names is not None, batches=session.batches, held_out=session.held_out,
            )
            if not should_stop():
                with self._lock:
                    self._ended = outcome
                self._news(True)
        finally:
            self.thread_done.set()

    # --- branches ------------------------------------------------------------------------------

    def add_branch(self, text: str, session: Session) -> str | None:
        """'0.05' or '0.05 200': a rerun from the same initial weights with another η (and epoch count),
        added to the session and started; or why the text is not one."""
        parts = text.replace(",", " ").split()
        try:
            learning_rate = float(parts[0])
            epochs = int(parts[1]) if len(parts) > 1 else session.config.epochs
        except (ValueError, IndexError):
            return f"A branch needs η and optionally epochs, like '0.05 125' (got {text!r})."
        if not (learning_rate > 0 and learning_rate < float("inf")) or not 1 <= epochs <= MAX_EPOCH:
            return f"η must be a finite number above 0, and epochs between 1 and {MAX_EPOCH:,}."
        branch = Branch(learning_rate, epochs, [])
        session.branches.append(branch)
        if self._launch is not None:
            self._launch(lambda should_stop: self.run_branch(session, branch, should_stop), "branch")
        return None

    def run_branch(self, session: Session, branch: Branch, should_stop: Callable[[], bool]) -> None:
        """In its thread: the branch's epochs at the main run's pace."""

        def deliver(_first_epoch: int, results: list[EpochResult]) -> None:
            with self._lock:
                self._branch_losses.append((branch, [result.loss for result in results]))
            self._news(False)

        dataset = session.run.dataset
        outcome = Trainer(self.trainer.speed).run(
            session.run.network.with_parameters(session.parameters[0]), dataset.X, dataset.y,
            branch.learning_rate, 0, branch.epochs, None, deliver=deliver, should_stop=should_stop,
            batches=session.batches, held_out=session.held_out,
        )
        if outcome.diverged_at is not None and not should_stop():
            with self._lock:
                self._branch_ends.append((branch, outcome.diverged_at))
            self._news(True)
