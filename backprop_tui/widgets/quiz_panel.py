"""Quiz mode's panel: the prompt, the answer box and the verdict on the last answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from backprop_tui.quiz import Quiz, prompt
from scratchnet import Phase

if TYPE_CHECKING:  # the answer box loads when a quiz first asks: an Input's import costs the first frame
    from textual.widgets import Input

    from backprop_tui.widgets.quiz_answer import QuizAnswer


class QuizPanel(Vertical):
    class Answered(Message):
        """Enter in the answer box: `answer` is what was typed (nothing: reveal without an answer)."""

        def __init__(self, answer: str) -> None:
            super().__init__()
            self.answer = answer

    def __init__(self, *, box_at_once: bool = False, id: str | None = None) -> None:
        """`box_at_once`: a quiz asked at launch has its box from the first frame, so it takes keys at once."""
        super().__init__(id=id)
        self._box_at_once = box_at_once

    def compose(self) -> ComposeResult:
        yield Static(id="quiz-prompt")
        if self._box_at_once:
            from backprop_tui.widgets.quiz_answer import QuizAnswer

            yield QuizAnswer(id="quiz-answer")
        yield Static(id="quiz-feedback")

    def answer_box(self) -> QuizAnswer:
        """Made the first time a quiz asks: most sessions never ask, and an Input costs the first frame."""
        from backprop_tui.widgets.quiz_answer import QuizAnswer

        for answer in self.query("#quiz-answer").results(QuizAnswer):
            return answer
        answer = QuizAnswer(id="quiz-answer")
        self.mount(answer, after="#quiz-prompt")
        return answer

    def show(self, on: bool, asking: bool, phase: Phase, quiz: Quiz) -> None:
        """`on`: quiz mode; `asking`: this phase's result is still to be predicted."""
        self.display = on
        if not on:
            for answer in self.query("#quiz-answer"):
                answer.disabled = True
            return
        # Out of the focus chain unless there is something to answer, so typed keys reach the app.
        self.answer_box().disabled = not asking
        right, asked = quiz.score
        self.border_title = f"Quiz · score {right}/{asked}"
        self.query_one("#quiz-prompt", Static).update(prompt(phase, asking))
        self.query_one("#quiz-feedback", Static).update(quiz.feedback)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Answered(event.value))
        event.input.value = ""
