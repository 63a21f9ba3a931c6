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
from enum import Enum
from typing import Protocol

from backprop_tui.config import MAX_EPOCH
from backprop_tui.session import Branch, EpochResult, Session
from backprop_tui.trainer import DEFAULT_SPEED, Outcome, Trainer
from scratchnet import divergence_message

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


class RunState(Enum):
    NOT_STARTED = "not started (press e)"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    DONE = "done"
    DIVERGED = "diverged"


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

    @property
    def status(self) -> str:
        """The state in the training screen's words."""
        if self.state is RunState.STOPPED and self.stopped_at is not None:
            return f"stopped at epoch {self.stopped_at}"
        return self.state.value

    @property
    def running(self) -> bool:
        """A run is going, or paused."""
        return self.state in (RunState.RUNNING, RunState.PAUSED)

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
            branch_losses, branch_ends, self._branch_losses, self._branch_ends = (
                self._branch_losses, self._branch_ends, [], [])
        for first_epoch, results in batches:
            session.add_epochs(first_epoch, results)
        for branch, branch_batch in branch_losses:
            branch.losses.extend(branch_batch)
        for branch, epoch in branch_ends:
            branch.diverged_at = epoch
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

    def toggle_pause(self) -> None:
        if not self.thread_running:
            return
        if self.trainer.paused:
            self.trainer.gate.set()
            self.state = RunState.RUNNING
        else:
            self.trainer.gate.clear()
            self.state = RunState.PAUSED

    def stop(self, known_epochs: int) -> None:
        """x: the thread is told to stop; a run held at the gate lets go of it to hear that."""
        if self._thread is None or not self._thread.is_running:
            return
        self._thread.cancel()
        self.trainer.gate.set()
        self.state, self.stopped_at = RunState.STOPPED, known_epochs

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
