"""The debugger's panels for one position: the phase list and watched cells on the left; the equation, the
lesson's note, the quiz, the matrices and the inspector in the middle; the room (the instructor's, served) on the
right.

It draws what the session, the panel contents and the quiz say, and keeps the session's view (focused
matrix, cells, scrolls) up to date as the cursor and focus move; moving the position is the app's job.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from textual import events, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.worker import get_current_worker

from backprop_tui.messages import GradientChecked
from backprop_tui.panels import Panels
from backprop_tui.quiz import Quiz
from backprop_tui.session import Session
from backprop_tui.themes import MONOCHROME_THEMES
from backprop_tui.widgets.activation_plot import ActivationPlot
from backprop_tui.widgets.equation_panel import EquationPanel
from backprop_tui.widgets.health_panel import HealthPanel
from backprop_tui.widgets.inspector import Inspector
from backprop_tui.widgets.lesson_panel import LessonPanel
from backprop_tui.widgets.matrix_area import MatrixArea
from backprop_tui.widgets.matrix_view import MatrixView
from backprop_tui.widgets.phase_list import PhaseList
from backprop_tui.widgets.quiz_panel import QuizPanel
from backprop_tui.widgets.room_panel import RoomPanel
from backprop_tui.widgets.watch_panel import WatchPanel
from scratchnet import Tape
from scratchnet.activation_profile import activation_at

if TYPE_CHECKING:  # lessons load only when one is given
    from backprop_tui.lesson import LessonTour


class DebuggerView(Horizontal):
    def __init__(self, session: Session, panels: Panels, quiz: Quiz, tour: LessonTour | None, *,
                 quiz_at_once: bool = False, id: str | None = None) -> None:
        """`quiz_at_once`: a quiz asked at launch, whose answer box must take keys from the first frame."""
        super().__init__(id=id)
        self.session = session
        self.panels = panels
        self.quiz = quiz
        self.tour = tour
        self._quiz_at_once = quiz_at_once
        self.hiding = False
        """Quiz mode, and this phase's result not yet revealed: nothing derived from it shows."""
        self._shown_as = (False, True)
        """(quiz mode, dark theme) as last shown."""

    def compose(self) -> ComposeResult:
        with Vertical(id="left"):
            yield PhaseList(id="phases")
            yield WatchPanel(id="watch")
        with Vertical(id="work"):
            yield EquationPanel(id="equation")
            yield LessonPanel(id="lesson")
            yield QuizPanel(box_at_once=self._quiz_at_once, id="quiz")
            yield MatrixArea(id="matrices")
            yield Inspector(id="inspector")
            yield HealthPanel(id="debugger-health")
        yield RoomPanel(id="room")  # hidden until the server reports on the room, which it does to the instructor only

    def use_session(self, session: Session, panels: Panels) -> None:
        """Another run (a lesson's step on another network): what is shown next comes from it."""
        self.session, self.panels = session, panels

    @property
    def matrices(self) -> MatrixArea:
        return self.query_one(MatrixArea)

    def show(self, *, quiz_mode: bool, hiding: bool, dark: bool) -> None:
        """Every panel at the session's position; the focus where the session's view had it."""
        self.hiding, self._shown_as = hiding, (quiz_mode, dark)
        session, phase = self.session, self.session.phase
        if (tape := self.panels.cold_tape()) is not None:  # after this frame is painted: the first frame comes sooner
            self.app.call_after_refresh(self.panels.warm, tape)
        self.query_one(PhaseList).show(session.tape, session.position.phase, frozenset(session.breakpoints.phases()))
        self.query_one(EquationPanel).show(phase, dark=dark, hide_result_shape=hiding)
        matrices = self.matrices
        matrices.show([] if hiding else self.panels.results(), self.panels.operands(), session.view, hiding)
        at = None if hiding else activation_at(session.run.network, phase)  # the curve would give σ(Z) away
        self.query_one(ActivationPlot).show(at, None if at is None else phase.inputs[at.z_name])
        quiz_panel = self.query_one(QuizPanel)
        quiz_panel.show(quiz_mode, hiding, phase, self.quiz)
        if hiding:
            quiz_panel.answer_box().focus()
        else:
            focus = matrices.named(session.view.matrix) if session.view.matrix else None
            (focus or self.query_one(PhaseList)).focus()
        self.show_inspection()
        self.show_watch()
        self.show_health()
        self.query_one(LessonPanel).show(self.tour)

    def redraw(self) -> None:
        """Again as last shown, with what the panels now hold (the session's view kept)."""
        self.save_view()
        self.show(quiz_mode=self._shown_as[0], hiding=self.hiding, dark=self._shown_as[1])

    def set_zoom(self, zoomed: bool) -> None:
        """Projector mode: only the results (the screen's -zoom class), larger, with fewer decimals."""
        self.screen.set_class(zoomed, "-zoom")
        self.matrices.set_zoom(zoomed)

    def apply_palette(self) -> None:
        """The heat map in the theme's colours (brightness only in a monochrome theme)."""
        variables = self.app.get_css_variables()
        background = variables.get("surface", "#1e1e1e")
        foreground = variables.get("foreground", "#e0e0e0")
        self.matrices.set_palette(background, foreground, self.app.theme in MONOCHROME_THEMES)

    def selected_cell(self) -> tuple[str, tuple[int, int]] | None:
        """The cell w watches: the focused matrix's, else the explained one; None if it is not of this phase."""
        focused = self.screen.focused
        target = focused if isinstance(focused, MatrixView) else self.inspected()
        if target is None or target.shown is None or target.shown.name not in self.session.phase.matrix_names:
            return None
        return target.shown.name, target.cursor

    def check_gradient(self) -> bool:
        """Check this phase's gradient by central differences, in a worker; the inspector says meanwhile.
        False (and nothing checked) on a phase that makes no gradient."""
        from scratchnet.debugger.gradcheck import is_gradient_phase

        if not is_gradient_phase(self.session.phase):
            return False
        self.panels.checking()
        self.show_inspection()
        self._run_check(self.session.tape, self.session.phase.key)
        return True

    @work(thread=True, exclusive=True, group="gradcheck")
    def _run_check(self, tape: Tape, key: str) -> None:
        from scratchnet.debugger.gradcheck import Cancelled, check_gradient

        worker = get_current_worker()
        with contextlib.suppress(Cancelled):
            self.post_message(GradientChecked(tape.epoch, key, check_gradient(
                tape, key, should_stop=lambda: worker.is_cancelled)))

    def on_gradient_checked(self, message: GradientChecked) -> None:
        if self.panels.checked(message.epoch, message.key, message.result):
            self.redraw()

    def inspected(self) -> MatrixView | None:
        """The output cell being explained: the focused output, else the phase's result."""
        focused = self.screen.focused
        if isinstance(focused, MatrixView) and focused.shown is not None and focused.shown.name in self.session.phase.outputs:
            return focused
        return self.matrices.named(self.session.phase.result_name)

    def show_inspection(self) -> None:
        target = self.inspected()
        explanation = None
        if target is not None and target.shown is not None:  # inspected() only returns views that show a matrix
            explanation = self.panels.explanation(target.shown.name, target.cursor)
        focused = self.screen.focused
        self.matrices.highlight_reads(explanation.reads if explanation else {}, focused)
        origin = None
        if isinstance(focused, MatrixView) and focused.shown and focused.shown.name in self.session.phase.inputs:
            origin = self.panels.origin(focused.shown.name, focused.cursor)
        inspector = self.query_one(Inspector)
        inspector.set_class(self.hiding, "-hidden")  # a class, not .display, so a tiny screen's rule still holds
        inspector.show(None if self.hiding else explanation, origin, *self.panels.check_here())

    def toggle_health(self) -> bool:
        """H: the gradient health panel under the inspector, or not. Returns whether it shows now."""
        panel = self.query_one(HealthPanel)
        panel.display = not panel.display
        self.show_health()
        return bool(panel.display)

    def show_health(self) -> None:
        panel = self.query_one(HealthPanel)
        if panel.display:
            panel.show(self.session.health(), self.session.loss_warning())

    def show_watch(self) -> None:
        session = self.session
        self.query_one(WatchPanel).show([] if self.hiding else [  # a pinned cell could give the result away
            (pin.name, pin.cell, session.pin_value(pin), session.pin_history(pin)) for pin in session.pins
        ])

    def save_view(self) -> None:
        """The focused matrix and every shown matrix's cell and scroll, into the session's position."""
        self.session.set_view(self.matrices.view(self.screen.focused))

    def on_matrix_view_cursor_moved(self, event: MatrixView.CursorMoved) -> None:
        self.save_view()
        self.show_inspection()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if isinstance(event.widget, (MatrixView, PhaseList)):
            self.save_view()
            self.show_inspection()
