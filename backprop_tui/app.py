"""The debugger: one training iteration, phase by phase, over the session's tape.

The app draws what the session says and reports what the user does; it never
computes any of the network's math itself: values come from the tape, and
explanations, changes and gradient checks from `scratchnet`.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING, TypeVarTuple

import numpy as np
from textual import events, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static
from textual.worker import get_current_worker

from backprop_tui.cell_format import MINUS, column_format, format_value, reproducing
from backprop_tui.commands import PhaseCommands, ThemeCommands
from backprop_tui.session import Branch, Session, View
from backprop_tui.themes import HIGH_CONTRAST, MONOCHROME, MONOCHROME_THEMES, THEMES
from backprop_tui.trainer import DEFAULT_SPEED, Trainer
from backprop_tui.widgets.equation_panel import EquationPanel
from backprop_tui.widgets.inspector import Inspector
from backprop_tui.widgets.key_bar import KeyBar
from backprop_tui.widgets.matrix_view import MatrixView, Shown
from backprop_tui.widgets.phase_list import PhaseList
from backprop_tui.widgets.status_line import StatusLine
from backprop_tui.widgets.watch_panel import MAX_PINS, WatchPanel
from scratchnet import Tape, divergence_message
from scratchnet.debugger.explain import Explanation, change_matrix, explain, largest_changes
from scratchnet.debugger.names import pretty_name
from scratchnet.debugger.stats import StatsCache, matrix_stats

if TYPE_CHECKING:  # the screens, quiz, lesson and gradient check load when first used: launch stays quick
    from textual.widgets import Input

    from backprop_tui.lesson import Lesson
    from backprop_tui.screens.training_screen import TrainingScreen
    from backprop_tui.serve.driver import FollowPosition
    from backprop_tui.session_file import SessionFile
    from backprop_tui.signals import SignalExit
    from backprop_tui.trainer import Outcome
    from scratchnet.debugger.gradcheck import GradientCheck

_Args = TypeVarTuple("_Args")


@dataclass(frozen=True)
class Opening:
    """Where a session file says to open: position and pins."""

    epoch: int
    phase: str
    matrix: str | None
    cell: tuple[int, int]
    pins: tuple[tuple[str, tuple[int, int]], ...]

    def validate(self, session: Session, path: str) -> None:
        from backprop_tui.session_file import SessionError

        if self.phase not in session.tape.keys:
            raise SessionError(f"{path}: phase {self.phase!r} does not exist in this network")
        if self.epoch > 100_000:
            raise SessionError(f"{path}: epoch {self.epoch} is beyond what a session can reopen (100,000)")


DEBUGGER_ACTIONS = frozenset({
    "next_phase", "previous_phase", "first_phase", "last_phase", "lesson_step", "train", "pin", "check_gradient",
    "toggle_changes", "toggle_quiz", "toggle_zoom", "reset", "export_markdown",
})
"""What moves or changes the debugger's screen: inert while another screen is on top of it."""
RESULT_SLOTS = 4
OPERAND_SLOTS = 4
TALL = 12
"""Matrices with more rows than this share the leftover height; smaller ones take just their rows."""


def _thousands(value: float) -> str:
    """Prices in thousands fit a cell: 2,065.8 for $2,065,820, and −103.2 with the minus sign of every other cell."""
    return f"{value / 1000:,.1f}".replace("-", MINUS) if abs(value) < 1e8 else format_value(value / 1000)


def _fmt(value: float) -> str:
    return format_value(value).strip()


def _unused_name(folder: Path, stem: str, suffix: str) -> str:
    """stem.svg, or stem-2.svg, stem-3.svg, … when that is taken."""
    name, number = stem + suffix, 1
    while (folder / name).exists():
        number += 1
        name = f"{stem}-{number}{suffix}"
    return name


class BackpropApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "backprop-tui"
    COMMANDS = App.COMMANDS | {PhaseCommands}
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
        Binding("question_mark", "help", "Help", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

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
        opening: Opening | None = None,
        keys: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.keys = dict(keys or {})
        """Binding id → keys, from a session file's [keys] table: an instructor's clicker may send other keys."""
        self.set_keymap(self.keys)
        self.session = session
        self.quiz = quiz
        self._quiz_flag = quiz
        self.revealed: set[tuple[int, str]] = set()
        """(epoch, phase key) whose result the quiz has shown."""
        self.score = [0, 0]
        """Right answers, answers given."""
        self.quiz_feedback = ""
        self.zoom = zoom
        self.theme_name = theme
        self.role = os.environ.get("BACKPROP_ROLE")
        """'instructor' or 'attendee' when served to a room (set by the server), else None."""
        self.following = self.role == "attendee"
        self.out = Path(out)
        self.session_path = session_path
        self.lesson = lesson
        self.lesson_step = -1
        self._opening = opening
        self.trainer = Trainer(speed)
        self.training_state = "not started (press e)"
        self.training_message = ""
        self.training_done = threading.Event()
        """Set when the training thread has returned: quitting must never leave it running."""
        self.training_done.set()
        self.stats = StatsCache()
        self._warmed: Tape | None = None
        self._predictions_of: tuple[Tape, Shown] | None = None
        self.show_changes = False
        self.checks: dict[tuple[int, str], GradientCheck] = {}
        self.check_status: dict[tuple[int, str], str] = {}
        self.explanation: Explanation | None = None
        """What the inspector shows now (kept for tests and exports)."""
        self._signal_exit: SignalExit | None = None
        """SIGTERM, SIGHUP and SIGINT handling, installed only when running for real."""

    # --- layout ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield PhaseList(id="phases")
                yield WatchPanel(id="watch")
            with Vertical(id="work"):
                yield EquationPanel(id="equation")
                yield Static(id="lesson")
                with Vertical(id="quiz"):
                    yield Static(id="quiz-prompt")
                    if self.quiz:  # asked at launch: the box is there, and takes keys, from the first frame
                        from backprop_tui.widgets.quiz_answer import QuizAnswer

                        yield QuizAnswer(id="quiz-answer")
                    yield Static(id="quiz-feedback")
                with Horizontal(id="matrices"):
                    with VerticalScroll(id="results", can_focus=False):
                        for slot in range(RESULT_SLOTS):
                            yield MatrixView(id=f"result-{slot}", classes="matrix result")
                    with VerticalScroll(id="operands", can_focus=False):
                        for slot in range(OPERAND_SLOTS):
                            yield MatrixView(id=f"operand-{slot}", classes="matrix operand")
                yield Inspector(id="inspector")
        yield KeyBar()

    def on_mount(self) -> None:
        self._main_loop = asyncio.get_running_loop()
        if not self.is_headless:  # a real run; under run_test the test runner's signal handling stays its own
            from backprop_tui.signals import exit_on_signals

            with contextlib.suppress(ValueError):  # not the main thread: nothing may set handlers there
                self._signal_exit = exit_on_signals(self, self._main_loop, self._driver)
        self.register_theme(HIGH_CONTRAST)
        self.register_theme(MONOCHROME)
        self.theme = THEMES[self.theme_name]
        self.screen.set_class(self.zoom, "-zoom")
        for view in self.matrix_views:
            view.set_zoom(self.zoom)
        self.theme_changed_signal.subscribe(self, lambda _theme: self._apply_palette())
        self._apply_palette()
        self._fit_to(self.size.width, self.size.height)
        if self._opening is not None:
            opening = self._opening
            self.session.go_to_epoch(opening.epoch, opening.phase)
            for name, cell in opening.pins:  # after moving, so activation histories start where they did
                self.session.pin(name, cell)
            if opening.matrix:
                self.session.set_view(View(opening.matrix, cells=((opening.matrix, opening.cell),)))
        if self.lesson is not None and self._opening is None:
            self._go_to_lesson_step(0)  # a lesson opens on its first step, not on an empty panel
        else:
            self.show_position()
        for note in self.session.run.dataset.notes:  # said once, when the data are first shown
            self.notify(note, title="Data", timeout=10)
        if self.session.view.matrix is None and not self.hiding:  # a quiz that asks keeps the answer box focused
            self.query_one(PhaseList).focus()

    def on_unmount(self) -> None:
        if self._signal_exit is not None:
            self._signal_exit.uninstall()

    def on_resize(self, event: events.Resize) -> None:
        self._fit_to(event.size.width, event.size.height)

    def _fit_to(self, width: int, height: int) -> None:
        """Collapse panels on small terminals; the current result always stays."""
        screen = self.screen
        screen.set_class(width < 110, "-narrow")
        screen.set_class(height < 34, "-short")
        screen.set_class(width < 60 or height < 18, "-tiny")

    def _apply_palette(self) -> None:
        variables = self.get_css_variables()
        background = variables.get("surface", "#1e1e1e")
        foreground = variables.get("foreground", "#e0e0e0")
        monochrome = self.theme in MONOCHROME_THEMES
        for view in self.query(MatrixView):
            view.set_palette(background, foreground, monochrome)

    # --- what goes in the matrix panels ---------------------------------------------

    def _warm(self, tape: Tape) -> None:
        """Stats for every matrix of a new tape at once, so stepping inside it never waits on them."""
        for phase in tape:
            for array in (*phase.inputs.values(), *phase.outputs.values()):
                self.stats(array)

    def _shown(self, name: str, array: np.ndarray) -> Shown:
        labels = tuple(self.session.run.dataset.feature_names) if name == "X" else None
        return Shown(name, array, self.stats(array), column_labels=labels)

    def _predictions(self) -> Shown | None:
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
        if y_hat.shape[1] != 1:
            return None
        scaler = self.session.run.dataset.target_scaler
        dollars = self.session.run.dataset.target_unit == "$"
        table = np.column_stack([y_hat[:, 0], y[:, 0], scaler.inverse(y_hat)[:, 0], scaler.inverse(y)[:, 0]])
        # Both raw columns in one format, set by the larger of the two, so ŷ and y line up digit for digit.
        unit, raw_format = ("k$", _thousands) if dollars else ("raw", column_format(table[:, 2:]))
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

    def _changes(self) -> list[Shown]:
        """Δ = new − old for each output of an update phase, the largest changes marked."""
        phase = self.session.phase
        if phase.stage != "update" or not self.show_changes:
            return []
        shown = []
        for name in phase.outputs:
            change = change_matrix(phase, name)
            shown.append(Shown(
                f"Δ{name.rstrip(chr(39))}", change, self.stats(change),
                title=f"Δ{pretty_name(name.rstrip(chr(39)))} = {pretty_name(name)} − {pretty_name(name.rstrip(chr(39)))}"
                      "  ◆ largest",
                marked=frozenset(largest_changes(change)),
            ))
        return shown

    def _check_view(self) -> list[Shown]:
        check = self.checks.get((self.session.epoch, self.session.phase.key))
        if check is None:
            return []
        errors = check.error_matrix()
        return [Shown("relative_error", errors, self.stats(errors), missing="·",
                      title=f"rel. error of {pretty_name(check.name)} (max {check.max_relative_error:.1e})")]

    @property
    def hiding(self) -> bool:
        """Quiz mode, and this phase's result not yet revealed: nothing derived from it may show."""
        return self.quiz and (self.session.epoch, self.session.phase.key) not in self.revealed

    def show_position(self) -> None:
        session = self.session
        phase = session.phase
        hiding = self.hiding
        if session.tape is not self._warmed:  # after this frame is painted: the first frame comes sooner
            self._warmed = session.tape
            self.call_after_refresh(self._warm, session.tape)
        self.query_one(PhaseList).show(session.tape, session.position.phase)
        self.query_one(EquationPanel).show(phase, dark=self.current_theme.dark, hide_result_shape=hiding)
        loss_known = not self.quiz or (session.epoch, "loss") in self.revealed
        self.query_one(StatusLine).show(
            source=session.run.dataset.source, sizes=session.tape.sizes,
            learning_rate=session.config.learning_rate, dtype=session.tape.dtype, epoch=session.epoch,
            phase=session.position.phase, n_phases=len(session.tape), title=phase.title,
            loss=session.tape.loss if loss_known else None,
            score=(self.score[0], self.score[1]) if self.quiz else None,
            diverged_at=session.diverged_at,
        )
        if hiding:
            results = []
        else:
            results = [self._shown(name, array) for name, array in phase.outputs.items()]
            if (predictions := self._predictions()) is not None:
                results.append(predictions)
            results += self._changes() + self._check_view()
        operands = [self._shown(name, array) for name, array in phase.inputs.items()]
        view_state = session.view
        widest = 0
        for views, items in ((self.query("#results MatrixView").results(MatrixView), results),
                             (self.query("#operands MatrixView").results(MatrixView), operands)):
            for view, shown in zip_longest(views, items):
                if view is None:
                    break
                view.display = shown is not None
                if shown is None:
                    view.shown = None
                    continue
                view.show(shown, cursor=view_state.cell_of(shown.name), scroll=view_state.scroll_of(shown.name))
                view.styles.height = "1fr" if view.n_rows > TALL else "auto"
                if view.has_class("result"):
                    widest = max(widest, view.content_width)
        self.query_one("#results").styles.width = widest + 2
        self.query_one("#results").display = not hiding
        self._show_quiz()
        focus = self._view_named(view_state.matrix) if view_state.matrix else None
        if hiding:
            self._quiz_answer().focus()
        else:
            (focus or self.query_one(PhaseList)).focus()
        self._show_inspection()
        self._show_watch()
        self._show_lesson()
        self._publish_position()
        self.refresh_bindings()  # which keys act depends on the phase (c, d) and the quiz: the key bar asks again

    # --- lessons, exports, session files -----------------------------------------------------

    def _show_lesson(self) -> None:
        panel = self.query_one("#lesson", Static)
        lesson = self.lesson if self.lesson_step >= 0 else None
        panel.display = lesson is not None
        if lesson is not None:
            step = lesson.steps[self.lesson_step]
            panel.border_title = f"{lesson.title} · step {self.lesson_step + 1}/{len(lesson.steps)}  ( ] next, [ back )"
            panel.update(step.note)

    def action_lesson_step(self, delta: int) -> None:
        if self.lesson is None:
            return
        target = max(0, min(len(self.lesson.steps) - 1, self.lesson_step + delta))
        if target == self.lesson_step:
            if delta > 0:
                self.notify(f"The lesson has ended: that was step {target + 1} of {len(self.lesson.steps)}. "
                            "[ goes back; the debugger is yours.", title=self.lesson.title)
            else:
                self.notify("This is the first step.")
            return
        self._go_to_lesson_step(target)

    def _go_to_lesson_step(self, target: int) -> None:
        assert self.lesson is not None
        self.lesson_step = target
        step = self.lesson.steps[target]
        self._save_view()
        if step.pin is not None and step.pin not in [(p.name, p.cell) for p in self.session.pins]:
            self.session.pin(*step.pin)
        self.quiz = step.quiz or self._quiz_flag  # a quiz step asks; the others follow --quiz
        if step.quiz:
            self.revealed.discard((step.epoch, step.phase))
        self.session.go_to_epoch(step.epoch, step.phase)
        self.show_position()

    def _deliver(self, text: str, name: str, folder: Path | None = None) -> None:
        """Into `folder` (default --out), atomically; in a browser, as a download to that attendee instead."""
        from backprop_tui.atomic import write_atomic

        if self.is_web:
            self.deliver_text(io.StringIO(text), save_filename=name)
            self.notify(f"Sent {name} to your browser.")
            return
        target = (self.out if folder is None else folder) / name
        try:
            path = write_atomic(target, text)
        except OSError as error:
            self.notify(f"Could not write {target}: {error.strerror}", severity="error")
            return
        self.notify(f"Saved {path}")

    def _file_stem(self) -> str:
        return f"backprop-epoch{self.session.epoch}-{self.session.phase.key}"

    def action_export_markdown(self) -> None:
        from backprop_tui.handout import phase_markdown

        if self.hiding:
            self.notify("Reveal the result first (quiz mode).", severity="warning")
            return
        tape = self.session.tape
        number = self.session.position.phase + 1
        self._deliver(phase_markdown(self.session.phase, number, len(tape)), self._file_stem() + ".md")

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """An SVG named after the epoch and phase, into --out, numbered rather than overwriting an earlier
        shot; taken without the notifications (the last "Saved" among them). `filename` and `path` (the
        parameters of Textual's own screenshot action, which this replaces) choose another name and folder."""
        folder = None if path is None else Path(path)
        racks = list(self.screen.query("#textual-toastrack"))

        def shoot(tries: int) -> None:
            for rack in racks:  # (again: a shot taken just before has shown them again)
                rack.display = False
            if tries and any(toast.region for rack in racks for toast in rack.query("Toast")):  # still drawn
                self.call_after_refresh(shoot, tries - 1)
                return
            try:
                text = self.export_screenshot()
            finally:
                for rack in racks:
                    rack.display = True
            name = filename or _unused_name(self.out if folder is None else folder, self._file_stem(), ".svg")
            self._deliver(text, name, folder)

        shoot(20)

    def session_file(self) -> SessionFile:
        from backprop_tui.session_file import SessionFile, sha256_of

        config = self.session.config
        view = self.session.view
        inverse = {value: key for key, value in THEMES.items()}
        return SessionFile(
            config=config,
            data_sha256=None if config.data is None else sha256_of(config.data),
            theme=inverse.get(self.theme, "dark"),
            pins=tuple((pin.name, pin.cell) for pin in self.session.pins),
            epoch=self.session.epoch,
            phase=self.session.phase.key,
            matrix=view.matrix,
            cell=view.cell,
            keys=tuple(self.keys.items()),
        )

    def save_session_file(self) -> bool:
        if self.session_path is None:
            return False
        from backprop_tui.session_file import save_session

        self._save_view()
        try:
            save_session(self.session_path, self.session_file())
        except OSError as error:
            self.notify(f"Could not save {self.session_path}: {error.strerror}", severity="error")
            return False
        return True

    def action_save_session(self) -> None:
        if self.save_session_file():
            self.notify(f"Session saved to {self.session_path}")

    async def action_quit(self) -> None:
        self.save_session_file()
        self.exit()

    # --- follow mode (served to a room) ----------------------------------------------------

    def _publish_position(self) -> None:
        """The instructor's session tells the server where it is; the server tells the attendees."""
        if self.role != "instructor":
            return
        driver = getattr(self, "_driver", None)
        if driver is None or not hasattr(driver, "publish_position"):
            return
        view = self.session.view
        driver.publish_position({
            "epoch": self.session.epoch, "phase": self.session.phase.key,
            "matrix": view.matrix, "cell": list(view.cell),
        })

    def on_follow_position(self, message: FollowPosition) -> None:
        if not self.following:
            return
        position = message.position
        epoch, key = position.get("epoch"), position.get("phase")
        if not isinstance(epoch, int) or key not in self.session.tape.keys or not 0 <= epoch <= 100_000:
            return
        matrix, cell = position.get("matrix"), tuple(position.get("cell") or (0, 0))
        self._save_view()
        self.session.go_to_epoch(epoch, key)
        if matrix:
            self.session.set_view(View(matrix=matrix, cells=((matrix, cell),)))
        self.show_position()

    def action_toggle_follow(self) -> None:
        self.following = not self.following
        self.notify("Following the instructor." if self.following else "Exploring on your own (f to follow again).")

    # --- quiz ------------------------------------------------------------------------------

    def _show_quiz(self) -> None:
        panel = self.query_one("#quiz")
        panel.display = self.quiz
        if not self.quiz:
            for answer in self.query("#quiz-answer"):
                answer.disabled = True
            return
        # Out of the focus chain unless there is something to answer, so typed keys reach the app.
        self._quiz_answer().disabled = not self.hiding
        phase = self.session.phase
        result = phase.outputs[phase.result_name]
        right, asked = self.score
        panel.border_title = f"Quiz · score {right}/{asked}"
        if self.hiding:
            what = f"the shape of {pretty_name(phase.result_name)}"
            from backprop_tui.quiz import asks_values

            if asks_values(result):
                what += " and its values (separate them with ;)"
            self.query_one("#quiz-prompt", Static).update(f"Predict {what}. Enter checks; Enter on nothing reveals.")
        else:
            self.query_one("#quiz-prompt", Static).update("Revealed. → for the next phase.")
        self.query_one("#quiz-feedback", Static).update(self.quiz_feedback)

    def _quiz_answer(self) -> Input:
        """Made the first time a quiz asks (composed at once with --quiz): most sessions never ask, and an
        Input costs the first frame."""
        from backprop_tui.widgets.quiz_answer import QuizAnswer

        for answer in self.query("#quiz-answer").results(QuizAnswer):
            return answer
        answer = QuizAnswer(id="quiz-answer")
        self.query_one("#quiz").mount(answer, after="#quiz-prompt")
        return answer

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "quiz-answer" or not self.hiding:
            return
        phase = self.session.phase
        answer = event.value.strip()
        if answer:
            from backprop_tui.quiz import judge

            verdict = judge(answer, phase.outputs[phase.result_name])
            self.score[1] += 1
            self.score[0] += verdict.right
            self.quiz_feedback = verdict.message
        else:
            self.quiz_feedback = "Revealed without an answer."
        event.input.value = ""
        self._save_view()
        self.revealed.add((self.session.epoch, phase.key))
        self.show_position()

    def action_toggle_quiz(self) -> None:
        self._save_view()
        self.quiz = self._quiz_flag = not self.quiz
        self.quiz_feedback = ""
        self.show_position()

    def action_toggle_zoom(self) -> None:
        self.zoom = not self.zoom
        self.screen.set_class(self.zoom, "-zoom")
        for view in self.matrix_views:
            view.set_zoom(self.zoom)
        self._save_view()
        self.show_position()

    # --- the inspector, highlights and watch panel ---------------------------------

    def _inspected(self) -> MatrixView | None:
        """The output cell being explained: the focused output, else the phase's result."""
        focused = self.focused
        outputs = self.session.phase.outputs
        if isinstance(focused, MatrixView) and focused.shown is not None and focused.shown.name in outputs:
            return focused
        return self._view_named(self.session.phase.result_name)

    def _show_inspection(self) -> None:
        session = self.session
        phase = session.phase
        target = self._inspected()
        explanation = None
        if target is not None and target.shown is not None:  # _inspected only returns views that show a matrix
            row, column = target.cursor
            with np.errstate(all="ignore"):
                explanation = explain(session.tape, phase, target.shown.name, row, column)
        self.explanation = explanation
        reads = explanation.reads if explanation else {}
        for view in self.query("#operands MatrixView").results(MatrixView):
            if view.shown is None:
                continue
            read = reads.get(view.shown.name)
            view.highlight(read.row if read else None, read.column if read else None, reveal=view is not self.focused)
        focused = self.focused
        origin = None
        if isinstance(focused, MatrixView) and focused.shown and focused.shown.name in phase.inputs:
            origin = self._origin(focused.shown.name, focused.cursor)
        key = (session.epoch, phase.key)
        inspector = self.query_one(Inspector)
        inspector.set_class(self.hiding, "-hidden")  # a class, not .display, so a tiny screen's rule still holds
        if self.hiding:
            explanation = self.explanation = None
        inspector.show(explanation, origin, self.checks.get(key), self.check_status.get(key))

    def _origin(self, name: str, cell: tuple[int, int]) -> str:
        """Where an operand's cell came from: a phase of this tape, the previous update, or the data."""
        row, column = cell
        label = f"{pretty_name(name)}[{row},{column}]"
        dataset = self.session.run.dataset
        if name in ("X", "y"):
            feature, unit, raw, mean, std = dataset.raw_value(row, column, target=name == "y")
            unit = f" {unit}" if unit and unit != "$" else ""
            money = "$" if dataset.target_unit == "$" and name == "y" else ""
            standardized = _fmt(float((dataset.y if name == "y" else dataset.X)[row, column]))
            raw_text, mean_text, std_text = reproducing((raw, mean, std), lambda r, m, s: (r - m) / s, standardized)
            return (f"{label} comes from the data: {feature} = {money}{raw_text}{unit}, standardized as "
                    f"({raw_text} − mean {mean_text}) / std {std_text} = {standardized}")
        made_by = self.session.tape.made_by(name)
        if made_by is not None:
            return f"{label} was made by phase {made_by.key} ({made_by.title}) of this iteration"
        if name[0] in "Wb":
            if self.session.epoch == 0:
                return (f"{label} is an initial parameter: uniform in [−1, 1) from seed {self.session.config.seed}")
            return f"{label} was made by phase update.{name[1:]} of epoch {self.session.epoch - 1}"
        return label

    def _show_watch(self) -> None:
        session = self.session
        if self.hiding:  # a pinned cell could give the result away
            self.query_one(WatchPanel).show([])
            return
        self.query_one(WatchPanel).show([
            (pin.name, pin.cell, session.pin_value(pin), session.pin_history(pin)) for pin in session.pins
        ])

    def _save_view(self) -> None:
        views = [(v, shown) for v in self.matrix_views if v.display and (shown := v.shown) is not None]
        focused = self.focused
        self.session.set_view(View(
            matrix=focused.shown.name if isinstance(focused, MatrixView) and focused.shown else None,
            cells=tuple((shown.name, v.cursor) for v, shown in views),
            scrolls=tuple((shown.name, (int(v.scroll_offset.y), int(v.scroll_offset.x))) for v, shown in views),
        ))

    @property
    def matrix_views(self) -> list[MatrixView]:
        return list(self.query(MatrixView))

    def _view_named(self, name: str | None) -> MatrixView | None:
        for view in self.matrix_views:
            if view.display and view.shown is not None and view.shown.name == name:
                return view
        return None

    def on_matrix_view_cursor_moved(self, event: MatrixView.CursorMoved) -> None:
        self._save_view()
        self._show_inspection()
        self._publish_position()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if isinstance(event.widget, (MatrixView, PhaseList)):
            self._save_view()
            self._show_inspection()

    def on_phase_list_chosen(self, event: PhaseList.Chosen) -> None:
        self.go_to_phase(event.key)

    # --- actions ------------------------------------------------------------------------

    def _move(self, move: Callable[[], object]) -> None:
        self._save_view()
        self.quiz_feedback = ""
        self.workers.cancel_group(self, "gradcheck")
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

    def action_pin(self) -> None:
        focused = self.focused
        target = focused if isinstance(focused, MatrixView) else self._inspected()
        if target is None or target.shown is None or target.shown.name not in self.session.phase.matrix_names:
            self.notify("Select a cell of a matrix first (Tab, then h j k l).", severity="warning")
            return
        if len(self.session.pins) >= MAX_PINS and (target.shown.name, target.cursor) not in [
            (p.name, p.cell) for p in self.session.pins
        ]:
            self.notify(f"At most {MAX_PINS} watched cells; press w on one to unpin it.", severity="warning")
            return
        self.session.pin(target.shown.name, target.cursor)
        self._show_watch()

    def action_toggle_changes(self) -> None:
        if self.session.phase.stage != "update":
            self.notify("Δ shows on update phases.", severity="information")
            return
        self._save_view()
        self.show_changes = not self.show_changes
        self.show_position()

    def action_check_gradient(self) -> None:
        from scratchnet.debugger.gradcheck import is_gradient_phase

        phase = self.session.phase
        if not is_gradient_phase(phase):
            self.notify("The gradient check works on gradient phases (∂L/∂ŷ, dW, db, dX).", severity="information")
            return
        key = (self.session.epoch, phase.key)
        self.checks.pop(key, None)
        self.check_status[key] = f"checking {pretty_name(phase.result_name)} by central differences…"
        self._show_inspection()
        self._run_check(self.session.tape, phase.key)

    @work(thread=True, exclusive=True, group="gradcheck")
    def _run_check(self, tape: Tape, key: str) -> None:
        from scratchnet.debugger.gradcheck import Cancelled, check_gradient

        worker = get_current_worker()
        try:
            result = check_gradient(tape, key, should_stop=lambda: worker.is_cancelled)
        except Cancelled:
            return
        self.call_from_thread(self._checked, tape.epoch, key, result)

    def _checked(self, epoch: int, key: str, result: GradientCheck) -> None:
        self.checks[(epoch, key)] = result
        self.check_status.pop((epoch, key), None)
        if (self.session.epoch, self.session.phase.key) == (epoch, key):
            self._save_view()
            self.show_position()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Whether a key acts now; the key bar shows exactly the keys for which this says yes.

        A screen on top (help, the command palette, the training screen) leaves the debugger behind it
        alone, though its keys are priority bindings: only the training screen's own e acts there."""
        if action in DEBUGGER_ACTIONS and len(self.screen_stack) > 1:
            return action == "train" and self.training_screen is not None
        if action == "toggle_changes":
            return self.session.phase.kind == "update"
        if action == "check_gradient":
            from scratchnet.debugger.gradcheck import is_gradient_phase

            return is_gradient_phase(self.session.phase)
        if action == "export_markdown":
            return not self.hiding
        if action == "toggle_follow":
            return self.role == "attendee"
        if action == "lesson_step":
            return self.lesson is not None
        if action == "save_session":
            return self.session_path is not None
        return True

    # --- whole epochs ------------------------------------------------------------------

    @property
    def training_screen(self) -> TrainingScreen | None:
        from backprop_tui.screens.training_screen import TrainingScreen

        return self.screen if isinstance(self.screen, TrainingScreen) else None

    def _refresh_training(self) -> None:
        if (screen := self.training_screen) is not None:
            screen.refresh_view()

    @property
    def training(self) -> bool:
        return any(w.group == "training" and w.is_running for w in self.workers)

    def action_train(self, again: bool = False) -> None:
        """Run up to the configured epochs (continuing from the last one known), and show the run.
        `again` (e on the training screen): a run that has ended starts over from epoch 0."""
        if self.training_screen is None:
            from backprop_tui.screens.training_screen import TrainingScreen

            self.push_screen(TrainingScreen())
        if self.training:
            return
        session = self.session
        ended = session.diverged_at is not None or session.trained_epochs >= session.config.epochs
        if again and ended and session.diverged_at != 0:
            session.forget_training()
            self.show_position()
        if session.diverged_at is not None:  # also when stepping got there first: never train past it
            self.training_state = "diverged"
            self.training_message = divergence_message(session.diverged_at, session.losses[session.diverged_at])
        elif session.trained_epochs >= session.config.epochs:
            self.training_state = "done"
        else:
            self.training_state = "running"
            self.training_message = ""
            self._train(session.trained_epochs, session.config.epochs)
        self._refresh_training()

    @work(thread=True, exclusive=True, group="training")
    def _train(self, start: int, end: int) -> None:
        self.training_done.clear()
        try:
            self._train_epochs(start, end)
        finally:
            self.training_done.set()

    def _train_epochs(self, start: int, end: int) -> None:
        worker = get_current_worker()
        session = self.session
        dataset = session.run.dataset
        first = session.losses[0] if session.losses else None
        outcome = self.trainer.run(
            session.run.network.with_parameters(session.parameters[start]), dataset.X, dataset.y,
            session.config.learning_rate, start, end, first,
            deliver=lambda epoch, losses, made: self._post_from_thread(self._epochs_arrived, epoch, losses, made),
            should_stop=lambda: worker.is_cancelled,
        )
        if not worker.is_cancelled:
            self.call_from_thread(self._training_ended, outcome)

    def _post_from_thread(self, callback: Callable[[*_Args], object], *args: *_Args) -> None:
        """Hand results to the UI thread without waiting for it.

        `call_from_thread` blocks the worker until the UI has run the callback, so every
        frame being drawn would stall training; the event loop's own thread-safe queue
        keeps the order and lets the worker go straight on."""
        try:
            self._main_loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop has closed: the app is exiting
            pass

    def _epochs_arrived(self, first_epoch: int, losses: list[float], made: list) -> None:
        self.session.add_epochs(first_epoch, losses, made)
        if (screen := self.training_screen) is not None:
            screen.mark_dirty()

    def _training_ended(self, outcome: Outcome) -> None:
        session = self.session
        # The session checked every loss it holds with the trainer's rule, including epochs stepped to before.
        at = session.diverged_at if session.diverged_at is not None else outcome.diverged_at
        if at is not None:
            self.training_state = "diverged"
            self.training_message = divergence_message(at, session.losses[at])
            self.notify(self.training_message, severity="error", timeout=8)
        elif outcome.stopped:
            self.training_state = "stopped"
        else:
            self.training_state = "done"
        self._refresh_training()

    def toggle_pause(self) -> None:
        if not self.training:
            return
        if self.trainer.paused:
            self.trainer.gate.set()
            self.training_state = "running"
        else:
            self.trainer.gate.clear()
            self.training_state = "paused"
        self._refresh_training()

    def stop_training(self) -> None:
        if self.training:
            self.workers.cancel_group(self, "training")
            self.trainer.gate.set()
            self.training_state = f"stopped at epoch {self.session.trained_epochs}"
        self._refresh_training()

    def change_speed(self, factor: float | None) -> None:
        """Multiply the pace by `factor`; None toggles between max speed and the default."""
        trainer = self.trainer
        if factor is None:
            trainer.speed = DEFAULT_SPEED if trainer.speed is None else None
        else:
            current = trainer.speed or DEFAULT_SPEED
            trainer.speed = min(10_000.0, max(0.5, current * factor))
        self._refresh_training()

    def open_epoch(self, epoch: int) -> None:
        """Open epoch `epoch`'s iteration in the debugger: the same tape stepping there would make."""
        known = self.session.trained_epochs
        if not 0 <= epoch < max(known, 1):
            self.notify(f"Epoch {epoch} has not been run yet (known: 0–{max(known - 1, 0)}).", severity="warning")
            return
        while self.training_screen is not None:
            self.pop_screen()
        self._move(lambda: self.session.go_to_epoch(epoch))

    def branch_from_text(self, text: str) -> None:
        """'0.05' or '0.05 200': rerun from the same initial weights with another η (and epoch count)."""
        parts = text.replace(",", " ").split()
        try:
            learning_rate = float(parts[0])
            epochs = int(parts[1]) if len(parts) > 1 else self.session.config.epochs
        except (ValueError, IndexError):
            self.notify(f"A branch needs η and optionally epochs, like '0.05 125' (got {text!r}).", severity="error")
            return
        if not (learning_rate > 0 and learning_rate < float("inf")) or not 1 <= epochs <= 100_000:
            self.notify("η must be a finite number above 0, and epochs between 1 and 100,000.", severity="error")
            return
        branch = Branch(learning_rate, epochs, [])
        self.session.branches.append(branch)
        self._run_branch(branch)
        self._refresh_training()

    @work(thread=True, group="branch")
    def _run_branch(self, branch: Branch) -> None:
        worker = get_current_worker()
        session = self.session
        trainer = Trainer(self.trainer.speed)
        outcome = trainer.run(
            session.run.network.with_parameters(session.parameters[0]), session.run.dataset.X, session.run.dataset.y,
            branch.learning_rate, 0,
            branch.epochs, None,
            deliver=lambda _epoch, losses, _made: self._post_from_thread(self._branch_arrived, branch, losses),
            should_stop=lambda: worker.is_cancelled,
        )
        if outcome.diverged_at is not None and not worker.is_cancelled:
            self.call_from_thread(self._branch_diverged, branch, outcome.diverged_at)

    def _branch_arrived(self, branch: Branch, losses: list[float]) -> None:
        branch.losses.extend(losses)
        if (screen := self.training_screen) is not None:
            screen.mark_dirty()

    def _branch_diverged(self, branch: Branch, epoch: int) -> None:
        branch.diverged_at = epoch
        self._refresh_training()

    def search_themes(self) -> None:
        """Textual's theme picker, with this app's four themes first."""
        from textual.command import CommandPalette

        self.push_screen(CommandPalette(providers=[ThemeCommands], placeholder="Search for themes…"))

    def action_help(self) -> None:
        from backprop_tui.screens.help_screen import HelpScreen
        from backprop_tui.screens.training_screen import TrainingScreen

        self.push_screen(HelpScreen([
            ("Stepping", self.BINDINGS),
            ("Quiz (Q or --quiz)", [Binding("enter", "submit", "Check the answer; Enter on nothing reveals")]),
            ("In the phase list", PhaseList.BINDINGS),
            ("In a matrix", MatrixView.BINDINGS),
            ("Training screen (e)", TrainingScreen.BINDINGS),
            ("Anywhere", [Binding("tab", "focus_next", "Next panel"), Binding("shift+tab", "focus_previous", "Previous panel"),
                          Binding("ctrl+p", "command_palette", "Command palette: jump to a phase by name")]),
        ], keymap=self.keys))
