"""The quiz's answer box: an Input that lets the lesson keys through to the app."""

from __future__ import annotations

from textual.widgets import Input

PLACEHOLDER = "shape like 3x2; values like 0.12, −0.5 · Enter with nothing typed reveals"
"""The format of an answer, with a shape no default phase has, so it gives nothing away."""

LESSON_KEYS = frozenset({"right_square_bracket", "left_square_bracket"})


class QuizAnswer(Input):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, placeholder=PLACEHOLDER)

    def check_consume_key(self, key: str, character: str | None) -> bool:
        """] and [ stay the app's lesson keys: a lesson moves on from a quiz step. Without a lesson
        the app does not take them, and they are typed here as usual."""
        if key in LESSON_KEYS:
            return False
        return super().check_consume_key(key, character)
