"""The debugger: one training iteration, phase by phase, over the session's tape.

The app composes the screen, binds the keys, moves the session's position and routes
messages. It holds no feature's state: the session holds the run and the position, and
the quiz, the lesson tour, the training run, follow mode and what a served session tells the
room are small Textual-free objects beside it (`quiz.Quiz`, `lesson.LessonTour`,
`training.Training`, `follow_mode.FollowMode`, `room_packets.Voice`), each drawn by its own
widget; what the matrix panels and the inspector show is built in `panels.Panels`. Workers
post typed messages (`messages.py`) and never wait for the UI. The app never computes any of
the network's math itself: values come from the tape, and explanations, changes and gradient
checks from `scratchnet`.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.reactive import var
from textual.signal import Signal
from textual.worker import Worker, get_current_worker

from backprop_tui.commands import EpochCommands, PhaseCommands, ThemeCommands
from backprop_tui.exports import Exports
from backprop_tui.follow_mode import FollowMode
from backprop_tui.messages import (
    BranchRequested,
    ChannelState,
    ExportRequested,
    FollowPosition,
    OpenEpoch,
    RoomNews,
    TrainingNews,
)
from backprop_tui.panels import Panels
from backprop_tui.quiz import Quiz, normalized
from backprop_tui.room_packets import Place, Voice, clean_report
from backprop_tui.session import Session, View
from backprop_tui.startup_heap import freeze_startup_heap
from backprop_tui.themes import HIGH_CONTRAST, MONOCHROME, THEMES, theme_flag
from backprop_tui.trainer import DEFAULT_SPEED
from backprop_tui.training import Job, Stopped, Training
from backprop_tui.widgets.debugger_view import DebuggerView
from backprop_tui.widgets.key_bar import KeyBar
from backprop_tui.widgets.phase_list import PhaseList
from backprop_tui.widgets.quiz_panel import QuizPanel
from backprop_tui.widgets.room_panel import RoomPanel
from backprop_tui.widgets.status_line import StatusLine
from backprop_tui.widgets.watch_panel import MAX_PINS
from scratchnet.conditions import Condition, parse_condition

if TYPE_CHECKING:  # the screens, the lesson and the session files load when first used: launch stays quick
    from backprop_tui.config import RunConfig
    from backprop_tui.lesson import Lesson, LessonTour
    from backprop_tui.screens.training_screen import TrainingScreen
    from backprop_tui.session_file import Opening, SessionFile
    from backprop_tui.signals import SignalExit

DEBUGGER_ACTIONS = frozenset({
    "next_phase", "previous_phase", "first_phase", "last_phase", "lesson_step", "train", "pin", "check_gradient",
    "toggle_changes", "toggle_quiz", "toggle_zoom", "reset", "export_markdown", "toggle_breakpoint",
    "edit_breakpoints", "continue", "toggle_health",
})
"""What moves or changes the debugger's screen: inert while another screen is on top of it."""


class BackpropApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "backprop-tui"
    COMMANDS = App.COMMANDS | {PhaseCommands, EpochCommands}
    BINDINGS = [  # the most useful first: the key bar shows them in this order, ? and q pinned at its right end
        Binding("right,n,pagedown", "next_phase", "Next", priority=True, id="next-phase",
                tooltip="Next phase (past the last: next epoch)"),
        Binding("left,p,pageup", "previous_phase", "Back", priority=True, id="previous-phase", tooltip="Previous phase"),
        Binding("home", "first_phase", "First phase", priority=True, show=False, id="first-phase"),
        Binding("end", "last_phase", "Last phase", priority=True, show=False, id="last-phase"),
        Binding("right_square_bracket", "lesson_step(1)", "Lesson →", tooltip="Next lesson step", priority=True,
                id="lesson-next"),
        Binding("left_square_bracket", "lesson_step(-1)", "Lesson ←", tooltip="Previous lesson step", priority=True,
                id="lesson-previous"),
        Binding("e", "train", "Train", id="train", tooltip="Run the configured epochs, paced, with a live loss curve"),
        Binding("w", "pin", "Watch cell", id="watch-cell",
                tooltip="Pin the selected cell to the watch panel (again: unpin)"),
        Binding("c", "check_gradient", "Grad check", id="check-gradient",
                tooltip="Check this gradient by central finite differences"),
        Binding("d", "toggle_changes", "Δ", id="show-changes", tooltip="On an update phase: show the whole change matrix"),
        Binding("Q", "toggle_quiz", "Quiz", id="quiz", tooltip="Quiz mode: predict each result before it is shown"),
        Binding("z", "toggle_zoom", "Zoom", id="zoom", tooltip="Only the result, larger, fewer decimals: for a projector"),
        Binding("r", "reset", "Epoch 0", id="reset", tooltip="Back to epoch 0, phase 1"),
        Binding("f", "toggle_follow", "Follow", id="follow", tooltip="Follow the instructor, or explore alone"),
        Binding("m", "export_markdown", "Export .md", id="export-markdown", tooltip="This phase as Markdown, into --out"),
        Binding("s", "screenshot", "Screenshot", id="screenshot", tooltip="An SVG screenshot, into --out"),
        Binding("ctrl+s", "save_session", "Save session", tooltip="Save the session file (--session)", priority=True,
                id="save-session"),
        Binding("C", "continue", "Continue", id="continue",
                tooltip="Run on until a condition holds (B), or to the next phase breakpoint (b)"),
        Binding("b", "toggle_breakpoint", "Breakpoint", id="breakpoint",
                tooltip="A breakpoint on this phase (again: none); C continues to it"),
        Binding("B", "edit_breakpoints", "Breakpoints", id="edit-breakpoints",
                tooltip="Add, enable, disable and delete breakpoints and conditions"),
        Binding("H", "toggle_health", "Gradient health", id="gradient-health",
                tooltip="Per layer and epoch: ‖dW‖ and ‖ΔW‖/‖W‖ on a log scale"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    zoom = var(False, init=False)
    """Projector mode: only the result, larger, fewer decimals."""
    quiz_mode = var(False, init=False)
    """Each phase's result is asked before it is shown."""
    following = var(False, init=False)
    """An attendee's session goes where the instructor's goes."""

    def __init__(
        self,
        session: Session,
        speed: float | None = DEFAULT_SPEED,
        quiz: bool = False,
        theme: str = "dark",
        zoom: bool = False,
        out: Path = Path("."),
        session_path: str | None = None,
        lesson: Lesson | None = None,
        lesson_runs: Mapping[str, RunConfig] | None = None,
        opening: Opening | None = None,
        keys: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.keys = dict(keys or {})
        """Binding id → keys, from a session file's [keys] table: an instructor's clicker may send other keys."""
        self.set_keymap(self.keys)
        self.session = session
        self.panels = Panels(session)
        self.quiz = Quiz(asked=quiz)
        self.tour: LessonTour | None = None
        if lesson is not None:
            from backprop_tui.lesson import LessonTour

            self.tour = LessonTour(lesson, lesson_runs)
            self._lesson_breakpoints(session)
        self.follow = FollowMode(os.environ.get("BACKPROP_ROLE"))
        self.voice = Voice(self.follow.role)
        self.training = Training(speed, launch=self._launch, news=lambda now: self.post_message(TrainingNews(now)))
        self.training_changed: Signal[bool] = Signal(self, "training-changed")
        """Published when the training run changes: True to draw it now, False for new epochs (drawn at the
        training screen's next redraw tick)."""
        self.exports = Exports(Path(out))
        self.theme_name = theme
        self.session_path = session_path
        self._opening = opening
        self.set_reactive(BackpropApp.zoom, zoom)
        self.set_reactive(BackpropApp.quiz_mode, quiz)
        self.set_reactive(BackpropApp.following, self.follow.may_follow)
        self._signal_exit: SignalExit | None = None
        """SIGTERM, SIGHUP and SIGINT handling, installed only when running for real."""

    # --- layout ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield DebuggerView(self.session, self.panels, self.quiz, self.tour, quiz_at_once=self.quiz_mode, id="main")
        yield KeyBar()

    @property
    def debugger(self) -> DebuggerView:
        return self.query_one(DebuggerView)

    def on_mount(self) -> None:
        if not self.is_headless:  # a real run; under run_test the test runner's signal handling stays its own
            from backprop_tui.signals import exit_on_signals

            with contextlib.suppress(ValueError):  # not the main thread: nothing may set handlers there
                self._signal_exit = exit_on_signals(self, asyncio.get_running_loop(), self._driver)
        self.register_theme(HIGH_CONTRAST)
        self.register_theme(MONOCHROME)
        self.theme = THEMES[self.theme_name]
        self.debugger.set_zoom(self.zoom)
        self.theme_changed_signal.subscribe(self, lambda _theme: self.debugger.apply_palette())
        self.debugger.apply_palette()
        self._fit_to(self.size.width, self.size.height)
        if self._opening is not None:
            self._opening.open_in(self.session)
            if self._opening.note:
                self.notify(self._opening.note, title="Continue", timeout=12)
        if self.tour is not None and self._opening is None:
            self._go_to_lesson_step(0)  # a lesson opens on its first step, not on an empty panel
        else:
            self.show_position()
        for note in self.session.run.dataset.notes:  # said once, when the data are first shown
            self.notify(note, title="Data", timeout=10)
        if self.session.view.matrix is None and not self.hiding:  # a quiz that asks keeps the answer box focused
            self.query_one(PhaseList).focus()
        if self.follow.role is not None:  # a served session: its startup heap stays out of full collections
            self.call_after_refresh(freeze_startup_heap)

    def on_unmount(self) -> None:
        if self._signal_exit is not None:
            self._signal_exit.uninstall()

    def on_resize(self, event: events.Resize) -> None:
        self._fit_to(event.size.width, event.size.height)

    def _fit_to(self, width: int, height: int) -> None:
        """Collapse panels on small terminals; the current result always stays."""
        self.screen.set_class(width < 110, "-narrow").set_class(height < 34, "-short")
        self.screen.set_class(width < 60 or height < 18, "-tiny")

    # --- drawing the position ---------------------------------------------------------

    @property
    def hiding(self) -> bool:
        """Quiz mode, and this phase's result not yet revealed: nothing derived from it may show."""
        session = self.session
        return self.quiz_mode and not self.quiz.is_revealed(session.epoch, session.phase.key, session.iteration)

    def show_position(self) -> None:
        self._show_status()
        self.debugger.show(quiz_mode=self.quiz_mode, hiding=self.hiding, dark=self.current_theme.dark)
        self._publish_position()
        self._tell_room_status()
        self.refresh_bindings()  # which keys act depends on the phase (c, d) and the quiz: the key bar asks again

    def _show_status(self) -> None:
        self.query_one(StatusLine).show(
            self.session, loss_known=not self.quiz_mode or self.quiz.is_revealed(self.session.epoch, "loss",
                                                                    self.session.iteration),
            score=(self.quiz.score[0], self.quiz.score[1]) if self.quiz_mode else None, note=self.follow.channel_note)

    def on_matrix_view_cursor_moved(self) -> None:
        self._publish_position()  # (the debugger view has kept the cursor in the session's position)

    def on_phase_list_chosen(self, event: PhaseList.Chosen) -> None:
        self.go_to_phase(event.key)

    # --- moving and what acts ------------------------------------------------------------

    def _move(self, move: Callable[[], object]) -> None:
        self.debugger.save_view()
        self.quiz.feedback = ""
        self.workers.cancel_group(self.debugger, "gradcheck")
        move()
        self.show_position()

    def action_next_phase(self) -> None:
        self._move(self.session.next_phase)

    def action_previous_phase(self) -> None:
        self._move(self.session.previous_phase)

    def action_first_phase(self) -> None:
        self._move(self.session.first_phase)

    def action_last_phase(self) -> None:
        self._move(self.session.last_phase)

    def action_reset(self) -> None:
        self._move(self.session.reset)

    def go_to_phase(self, key: str) -> None:
        self._move(lambda: self.session.go_to_phase(key))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Whether a key acts now; the key bar shows exactly the keys for which this says yes.

        A screen on top (help, the command palette, the training screen) leaves the debugger behind it
        alone, though its keys are priority bindings: only the training screen's own e acts there."""
        if action in DEBUGGER_ACTIONS and len(self.screen_stack) > 1:
            return action in ("train", "continue") and self.training_screen is not None
        if action == "toggle_changes":
            return self.session.phase.kind == "update"
        if action == "check_gradient":
            from scratchnet.debugger.gradcheck import is_gradient_phase

            return is_gradient_phase(self.session.phase)
        return {"export_markdown": not self.hiding, "toggle_follow": self.follow.may_follow,
                "lesson_step": self.tour is not None, "save_session": self.session_path is not None}.get(action, True)

    # --- the matrices: watched cells, Δ, the gradient check, zoom -------------------------------

    def action_pin(self) -> None:
        selected = self.debugger.selected_cell()
        if selected is None:
            self.notify("Select a cell of a matrix first (Tab, then h j k l).", severity="warning")
            return
        if len(self.session.pins) >= MAX_PINS and selected not in [(p.name, p.cell) for p in self.session.pins]:
            self.notify(f"At most {MAX_PINS} watched cells; press w on one to unpin it.", severity="warning")
            return
        self.session.pin(*selected)
        self.debugger.show_watch()

    def action_toggle_changes(self) -> None:
        if self.session.phase.stage != "update":
            self.notify("Δ shows on update phases.", severity="information")
            return
        self.debugger.save_view()
        self.panels.show_changes = not self.panels.show_changes
        self.show_position()

    def action_check_gradient(self) -> None:
        if not self.debugger.check_gradient():
            self.notify("The gradient check works on gradient phases (∂L/∂ŷ, dW, db, dX).", severity="information")

    def action_toggle_zoom(self) -> None:
        self.zoom = not self.zoom

    def watch_zoom(self, zoom: bool) -> None:
        self.debugger.set_zoom(zoom)
        self.debugger.save_view()
        self.show_position()

    # --- the quiz and the lesson ------------------------------------------------------------

    def on_quiz_panel_answered(self, message: QuizPanel.Answered) -> None:
        if not self.hiding:
            return
        verdict = self.quiz.answer(message.answer, self.session.epoch, self.session.phase, self.session.iteration)
        if verdict is not None:
            self._tell_room(self.voice.answer(self._place, normalized(message.answer), verdict.right))
        self.debugger.save_view()
        self.show_position()

    def action_toggle_quiz(self) -> None:
        self.debugger.save_view()
        self.quiz_mode = self.quiz.toggled(self.quiz_mode)

    def watch_quiz_mode(self) -> None:
        self.show_position()

    def action_lesson_step(self, delta: int) -> None:
        if self.tour is None:
            return
        if (target := self.tour.target(delta)) is None:
            message, title = self.tour.why_not(delta)
            self.notify(message, title=title)
        else:
            self._go_to_lesson_step(target)

    def _go_to_lesson_step(self, target: int) -> None:
        assert self.tour is not None
        self.debugger.save_view()
        if (run := self.tour.switches_run(target)) is not None:
            self._switch_run(run)
        self.set_reactive(BackpropApp.quiz_mode, self.tour.enter(target, self.session, self.quiz))
        self.show_position()
        step = self.tour.lesson.steps[target]
        if step.until:
            self._continue([parse_condition(step.until)])
        elif step.train:
            self.action_train()
        elif self.training_screen is not None:
            self.pop_screen()

    def _lesson_breakpoints(self, session: Session) -> None:
        """A lesson's breakpoints join the session it opens (checked against that network when it was loaded)."""
        from backprop_tui.lesson import is_phase_key
        from scratchnet.conditions import ConditionError

        if self.tour is None:
            return
        for entry in self.tour.lesson.breakpoints:
            if is_phase_key(entry):
                if entry in session.tape.keys and not session.breakpoints.has_phase(entry):
                    session.breakpoints.toggle_phase(entry)
                continue
            with contextlib.suppress(ConditionError):  # a step's network may lack a matrix the first one had
                session.breakpoints.add_condition(entry, session.matrix_names)

    def _switch_run(self, config: RunConfig) -> None:
        """Another network for a lesson's step: a fresh session on it, the old run's threads stopped and their news
        left behind with the old `Training`, so nothing of one network reaches the other."""
        while self.training_screen is not None:
            self.pop_screen()
        self.training.stop(self.session.trained_epochs)
        self.workers.cancel_group(self, "branch")
        self.workers.cancel_group(self.debugger, "gradcheck")
        self.session = Session.start(config)
        self.panels = Panels(self.session)
        self._lesson_breakpoints(self.session)
        speed = self.training.trainer.speed
        self.training = Training(speed, launch=self._launch, news=lambda now: self.post_message(TrainingNews(now)))
        self.debugger.use_session(self.session, self.panels)

    # --- whole epochs ------------------------------------------------------------------

    @property
    def training_screen(self) -> TrainingScreen | None:
        from backprop_tui.screens.training_screen import TrainingScreen

        return self.screen if isinstance(self.screen, TrainingScreen) else None

    def _launch(self, job: Job, group: str) -> Worker[None]:
        """A training run's thread: a thread worker (one at a time in "training"), stopped by cancelling it."""

        def in_thread() -> None:
            worker = get_current_worker()
            job(lambda: worker.is_cancelled)

        return self.run_worker(in_thread, name=group, group=group, exclusive=group == "training", thread=True)

    def action_train(self, again: bool = False) -> None:
        """Run up to the configured epochs (continuing from the last one known), and show the run.
        `again` (e on the training screen): a run that has ended starts over from epoch 0."""
        if self.training_screen is None:
            from backprop_tui.screens.training_screen import TrainingScreen

            self.push_screen(TrainingScreen(self.session, self.training, self.training_changed, self._lesson_note()))
        if self.training.train(self.session, again):
            self.show_position()
        self.training_changed.publish(True)

    def on_training_news(self, message: TrainingNews) -> None:
        if (divergence := self.training.take_news(self.session)) is not None:
            self.notify(divergence, severity="error", timeout=8)
        self.training_changed.publish(message.now)
        if (stop := self.training.take_stop()) is not None:
            self._open_stop(stop)

    # --- breakpoints and continue ----------------------------------------------------------------

    def action_toggle_breakpoint(self) -> None:
        key = self.session.phase.key
        if self.session.breakpoints.toggle_phase(key):
            self.notify(f"Breakpoint on {key}: C continues to it.", timeout=3)
        self.show_position()

    def action_edit_breakpoints(self) -> None:
        from backprop_tui.screens.breakpoint_editor import BreakpointEditor

        self.push_screen(BreakpointEditor(self.session.breakpoints, self.session.matrix_names),
                         lambda _closed: self.show_position())

    def action_toggle_health(self) -> None:
        self.debugger.toggle_health()

    def action_continue(self) -> None:
        """C: a continue that is going stops; else run on until a condition holds, or go to the next phase
        breakpoint when there are no conditions."""
        session, training = self.session, self.training
        if training.continuing and training.thread_running:
            self.action_stop_training()
            return
        conditions = session.breakpoints.conditions()
        if conditions:
            self._continue(conditions)
            return
        if (place := session.next_break()) is None:
            self.notify("No breakpoints: b sets one on a phase, B adds a condition (nan, loss_up, norm(dW1) > 10).",
                        severity="warning")
            return
        epoch, iteration, key = place
        while self.training_screen is not None:
            self.pop_screen()
        self._move(lambda: session.go_to_epoch(epoch, key, iteration))

    def _continue(self, conditions: list[Condition]) -> None:
        """Continue on the training screen until one of `conditions` holds."""
        if (problem := self.training.continue_until(self.session, conditions)) is not None:
            self.notify(problem, severity="warning")
            return
        if self.training_screen is None:
            from backprop_tui.screens.training_screen import TrainingScreen

            self.push_screen(TrainingScreen(self.session, self.training, self.training_changed, self._lesson_note()))
        self.training_changed.publish(True)

    def _lesson_note(self) -> str:
        """The lesson step that trains or continues, said above the run it starts."""
        step = None if self.tour is None else self.tour.current
        return step.note if step is not None and (step.train or step.until) else ""

    def _open_stop(self, stop: Stopped) -> None:
        """The debugger at the iteration a continue stopped at, on the phase that made what the condition read."""
        while self.training_screen is not None:
            self.pop_screen()
        session, place = self.session, stop.place

        def go() -> None:
            session.go_to_epoch(stop.hit.epoch, place.phase, stop.hit.iteration)
            if place.matrix is not None:
                cell = place.cell or (0, 0)
                session.set_view(View(matrix=place.matrix, cells=((place.matrix, cell),)))

        self._move(go)
        self.notify(stop.sentence, title="Continue", severity="error" if stop.hit.non_finite else "information",
                    timeout=10)

    def action_pause_training(self) -> None:
        self.training.toggle_pause()
        self.training_changed.publish(True)

    def action_stop_training(self) -> None:
        self.training.stop(self.session.trained_epochs)
        self.training_changed.publish(True)

    def action_training_speed(self, factor: float | None) -> None:
        """Multiply the pace by `factor`; None toggles between max speed and the default."""
        self.training.change_speed(factor)
        self.training_changed.publish(True)

    def on_open_epoch(self, message: OpenEpoch) -> None:
        """Open an epoch's iteration in the debugger: the same tape stepping there would make."""
        epoch, iteration = message.epoch, message.iteration
        if (problem := self.session.not_run_yet(epoch)) is not None:
            self.notify(problem, severity="warning")
            return
        if not 0 <= iteration < (batches := self.session.iterations):
            self.notify(f"Epoch {epoch} has batches 1–{batches}, not {iteration + 1}.", severity="warning")
            return
        while self.training_screen is not None:
            self.pop_screen()
        self._move(lambda: self.session.go_to_epoch(epoch, iteration=iteration))

    def on_export_requested(self, message: ExportRequested) -> None:
        self._deliver(message.text, message.name)

    def on_branch_requested(self, message: BranchRequested) -> None:
        if (problem := self.training.add_branch(message.text, self.session)) is not None:
            self.notify(problem, severity="error")
        self.training_changed.publish(True)

    # --- exports and session files -----------------------------------------------------

    def _deliver(self, text: str, name: str, folder: Path | None = None) -> None:
        """Into `folder` (default --out), atomically; in a browser, as a download to that attendee instead."""
        if self.is_web:
            self.deliver_text(io.StringIO(text), save_filename=name)
            self.notify(f"Sent {name} to your browser.")
            return
        written, words = self.exports.write(text, name, folder)
        self.notify(words, severity="information" if written else "error")

    def action_export_markdown(self) -> None:
        if self.hiding:
            self.notify("Reveal the result first (quiz mode).", severity="warning")
            return
        self._deliver(*self.exports.markdown(self.session, self.tour))

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """An SVG named after the epoch and phase, into --out, numbered rather than overwriting an earlier
        shot; taken without the notifications (the last "Saved" among them). `filename` and `path` (the
        parameters of Textual's own screenshot action, which this replaces) choose another name and folder."""
        from backprop_tui.screenshot import shoot_without_toasts

        folder = None if path is None else Path(path)
        shoot_without_toasts(self, lambda svg: self._deliver(
            svg, filename or self.exports.screenshot_name(self.session, folder), folder))

    def session_file(self) -> SessionFile:
        from backprop_tui.session_file import session_file_of

        return session_file_of(self.session, theme_flag(self.theme), self.keys)

    def save_session_file(self) -> bool:
        if self.session_path is None:
            return False
        from backprop_tui.session_file import save_session_or_say

        self.debugger.save_view()
        if (problem := save_session_or_say(self.session_path, self.session_file())) is not None:
            self.notify(problem, severity="error")
        return problem is None

    def action_save_session(self) -> None:
        if self.save_session_file():
            self.notify(f"Session saved to {self.session_path}")

    async def action_quit(self) -> None:
        self.save_session_file()
        self.exit()

    # --- follow mode (served to a room) ----------------------------------------------------

    def _publish_position(self) -> None:
        """The instructor's session tells the server where it is; the server tells the attendees."""
        publish = getattr(self._driver, "publish_position", None)  # the room's driver has it (serve/driver.py)
        if self.follow.publishes and publish is not None:
            publish(self.follow.position_of(self.session))

    def on_follow_position(self, message: FollowPosition) -> None:
        if self.following:
            self.debugger.save_view()
            if self.follow.go(message.position, self.session):
                self.show_position()

    def on_channel_state(self, message: ChannelState) -> None:
        """The room's channel (a lecture hall's Redis) went down or came back: said once, and on the status line."""
        if self.follow.role is None:
            return
        self.follow.channel_up = message.up
        self.notify(self.follow.channel_news(self.following), severity="information" if message.up else "warning",
                    timeout=8 if message.up else 20)
        self._show_status()

    def action_toggle_follow(self) -> None:
        self.following = not self.following

    def watch_following(self, following: bool) -> None:
        self.notify("Following the instructor." if following else "Exploring on your own (f to follow again).")
        self._tell_room_status()

    # --- reading the room (served): attendees tell the server, the instructor is shown the counts ----------

    @property
    def _place(self) -> Place:
        return Place(self.session.epoch, self.session.iteration, self.session.phase.key)

    def _tell_room(self, packet: dict | None) -> None:
        tell = getattr(self._driver, "tell_room", None)  # the room's driver has it (serve/driver.py)
        if packet is not None and tell is not None:
            tell(packet)

    def _tell_room_status(self) -> None:
        self._tell_room(self.voice.status(self.following, self._place))

    def on_room_news(self, message: RoomNews) -> None:
        report = clean_report(message.report)
        if self.follow.publishes and report is not None:
            self.query_one(RoomPanel).show(report, self.session.tape.keys)

    # --- other screens ------------------------------------------------------------------

    def search_themes(self) -> None:
        """Textual's theme picker, with this app's four themes first."""
        from textual.command import CommandPalette

        self.push_screen(CommandPalette(providers=[ThemeCommands], placeholder="Search for themes…"))

    def action_help(self) -> None:
        from backprop_tui.screens.help_screen import HelpScreen, debugger_sections

        self.push_screen(HelpScreen(debugger_sections(self.BINDINGS), keymap=self.keys))
