"""Session and lesson files built from random text: each loads or gives the one-line error, never a traceback."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_tui.lesson import LessonError, parse_lesson
from backprop_tui.session_file import SessionError, load_session

PIECES = ["[data]\n", "[training]\n", "[position]\n", "[[pin]]\n", "[[step]]\n", "[network]\n", "title = \"t\"\n",
          "learning_rate = 0.5\n", "learning_rate = -1\n", "epochs = 3\n", "phase = \"error\"\n", "note = \"n\"\n",
          "cell = [1, 2]\n", "cell = [-1]\n", "matrix = \"W2\"\n", "pin = \"W2[3,1]\"\n", "pin = 5\n", "quiz = true\n",
          "hidden = [8, 4]\n", "hidden = \"x\"\n", "theme = \"light\"\n", "source = \"csv\"\n", "\ufeff", "\r\n", "é",
          "= =\n", "\"\n", "[\n", "\x00"]

documents = st.lists(st.sampled_from(PIECES), max_size=14).map("".join) | st.text(max_size=80)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents)
def test_random_session_files(tmp_path, text):
    path = tmp_path / "s.toml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))  # lone surrogates make invalid UTF-8, on purpose
    try:
        load_session(path)
    except SessionError as error:
        assert "\n" not in str(error)


@settings(max_examples=200, deadline=None)
@given(documents)
def test_random_lesson_files(text):
    try:
        parse_lesson(text, "l.toml")
    except LessonError as error:
        assert "\n" not in str(error)
