"""Lessons: the shipped tour is valid for the default network; every broken lesson says where, in one line."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_tui.config import RunConfig, build_run
from backprop_tui.lesson import (
    Lesson,
    LessonError,
    LessonStep,
    load_lesson,
    parse_lesson,
    parse_pin,
    shipped_lessons,
    validate_lesson,
)
from scratchnet import TapeRecorder, phase_keys


@pytest.fixture(scope="module")
def default_tape():
    run = build_run(RunConfig())
    recorder = TapeRecorder(0)
    run.network.step(run.dataset.X, run.dataset.y, run.config.learning_rate, record=recorder)
    return recorder.tape


def test_the_article_lesson_ships_and_fits_the_default_network(default_tape, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # read from the package, not from wherever the tests run
    assert "article" in shipped_lessons()
    lesson = load_lesson("article")
    assert lesson.source == "article" and lesson.title
    assert default_tape.keys == phase_keys(3)
    validate_lesson(lesson, phase_keys(3), {name for phase in default_tape for name in phase.matrix_names})
    keys = phase_keys(3)
    order = [keys.index(step.phase) for step in lesson.steps]
    assert order == sorted(order), "the tour walks the tape forwards"
    assert 10 <= len(lesson.steps) <= 14
    assert {"forward.1", "loss_gradient", "backward.3.weight", "backward.3.input", "update.3"} <= \
        {step.phase for step in lesson.steps}
    assert lesson.steps[-1].phase == "update.3" and "e" in lesson.steps[-1].note
    assert any(step.quiz for step in lesson.steps)
    assert ("W2", (3, 1)) in [step.pin for step in lesson.steps]
    for step in lesson.steps:
        sentences = [s for s in re.split(r"(?<=[.?!])\s+", step.note) if s]
        assert 1 <= len(sentences) <= 3 and len(step.note) < 300, step.note
        if step.pin is not None:
            name, (row, column) = step.pin
            matrix = next(phase.matrix(name) for phase in default_tape if name in phase.matrix_names)
            assert row < matrix.shape[0] and column < matrix.shape[1]


@pytest.mark.parametrize("text,expected", [
    ("W2[3,1]", ("W2", (3, 1))),
    ("dL_dyhat[0,0]", ("dL/dŷ", (0, 0))),
    ("W2_new[1,0]", ("W2'", (1, 0))),
    ("b3_new[0, 0]", ("b3'", (0, 0))),
    ("  dW1 [ 2 , 7 ] ", ("dW1", (2, 7))),
    ("W2'[1,0]", ("W2'", (1, 0))),
    ("dL/dŷ[4,0]", ("dL/dŷ", (4, 0))),
    ("W2[3]", None), ("W2[-1,0]", None), ("[1,2]", None), ("W2(1,2)", None), ("W2[1,2]x", None),
    ("W2[٣,1]", None), ("W2[1,2,3]", None), ("", None), ("2W[1,1]", None),
])
def test_pin_parsing(text, expected):
    assert parse_pin(text) == expected


MALFORMED = [
    ('title = "t"\n[[step]\nphase = "error"\n', 2, 7, "not valid TOML"),
    ('title = "t"\n\n[[step]]\nphase = "error"\n', 3, 1, "step 1: needs a note"),
    ('[[step]]\nphase = "error"\nnote = "n"\n\n[[step]]\nnote = "n"\n', 5, 1, "step 2: needs phase"),
    ('[[step]]\nphase = "error"\nnote = 3\n', 3, 1, "step 1: needs a note"),
    ('[[step]]\nphase = "error"\nnote = "   "\n', 3, 1, "step 1: needs a note"),
    ('[[step]]\nphase = 1\nnote = "n"\n', 2, 1, "needs phase"),
    ('[[step]]\nphase = "error"\nnote = "n"\nepoch = -1\n', 4, 1, "epoch must be a whole number ≥ 0"),
    ('[[step]]\nphase = "error"\nnote = "n"\nepoch = 1.0\n', 4, 1, "epoch must be a whole number ≥ 0"),
    ('[[step]]\nphase = "error"\nnote = "n"\nquiz = "yes"\n', 4, 1, "quiz must be true or false"),
    ('[[step]]\nphase = "error"\nnote = "n"\n\n[[step]]\nphase = "loss"\nnote = "n"\npin = "W2[3]"\n', 8, 1,
     "step 2: pin must look like W2[3,1]"),
    ('[[step]]\nphase = "error"\nnote = "n"\npin = 5\n', 4, 1, "pin must look like"),
    ('[[step]]\nphase = "error"\nnote = "n"\n  colour = "red"\n', 4, 3, "unknown key 'colour'"),
    ('title = "t"\nauthor = "me"\n[[step]]\nphase = "error"\nnote = "n"\n', 2, 1, "unknown key 'author'"),
    ('title = 3\n[[step]]\nphase = "error"\nnote = "n"\n', 1, 1, "title must be a string"),
    ('title = "t"\n', 1, 1, "needs at least one [[step]]"),
    ('title = "t"\nstep = []\n', 2, 1, "needs at least one [[step]]"),
    ('title = "t"\nstep = "x"\n', 2, 1, "step must be an array of tables"),
    ('title = "t"\n[step]\nphase = "error"\n', 2, 1, "step must be an array of tables"),
]


@pytest.mark.parametrize("text,line,column,words", MALFORMED)
def test_malformed_lessons_say_where(tmp_path, text, line, column, words):
    path = tmp_path / "lesson.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LessonError) as error:
        load_lesson(str(path))
    message = str(error.value)
    assert message.startswith(f"{path}:{line}:{column}: ") and words in message, message
    assert "\n" not in message


def test_a_good_lesson_file_and_its_lines(tmp_path):
    path = tmp_path / "l.toml"
    path.write_text('\ufefftitle = "Mine"\n\n[[step]]\nphase = "error"\nnote = "  n  "\n\n[[step]]\nphase = "loss"\n'
                    'epoch = 2\npin = "dL_dyhat[0,0]"\nquiz = true\nnote = """two\nlines"""\n', encoding="utf-8")
    lesson = load_lesson(str(path))
    assert lesson == Lesson("Mine", str(path), (
        LessonStep(phase="error", note="n", line=3),
        LessonStep(phase="loss", note="two\nlines", line=7, epoch=2, pin=("dL/dŷ", (0, 0)), quiz=True)))
    assert parse_lesson('[[step]]\nphase = "error"\nnote = "n"\n', "x").title == "Lesson"


def test_validation_names_the_step_and_its_line(default_tape):
    names = {name for phase in default_tape for name in phase.matrix_names}
    text = 'title = "t"\n\n[[step]]\nphase = "error"\nnote = "n"\n\n[[step]]\nphase = "loss"\nnote = "n"\n\n' \
           '[[step]]\nphase = "forward.9"\nnote = "x"\n'
    lesson = parse_lesson(text, "lesson.toml")
    with pytest.raises(LessonError) as error:
        validate_lesson(lesson, phase_keys(3), names)
    assert str(error.value) == \
        "lesson.toml:11:1: step 3 names unknown phase 'forward.9' (this network has forward.1 … update.3)"
    pinned = parse_lesson('[[step]]\nphase = "error"\nnote = "n"\n\n[[step]]\nphase = "loss"\nnote = "n"\n'
                          'pin = "W9_new[0,0]"\n', "m.toml")
    with pytest.raises(LessonError, match=r"^m.toml:5:1: step 2 pins unknown matrix \"W9'\"$"):
        validate_lesson(pinned, phase_keys(3), names)
    validate_lesson(parse_lesson('[[step]]\nphase = "update.3"\nnote = "n"\npin = "W3_new[0,0]"\n', "ok.toml"),
                    phase_keys(3), names)


def test_unknown_names_and_unreadable_paths(tmp_path):
    with pytest.raises(LessonError, match=r"^no lesson named 'nosuch' \(shipped: article"):
        load_lesson("nosuch")
    with pytest.raises(LessonError, match="no lesson named '../article'|cannot be read"):
        load_lesson("../article")
    with pytest.raises(LessonError, match="cannot be read"):
        load_lesson(str(tmp_path / "missing.toml"))
    (tmp_path / "folder.toml").mkdir()
    with pytest.raises(LessonError, match="is a folder"):
        load_lesson(str(tmp_path / "folder.toml"))
    (tmp_path / "latin1.toml").write_bytes(b'title = "caf\xe9"\n')
    with pytest.raises(LessonError, match=r"latin1.toml:1: not UTF-8 text"):
        load_lesson(str(tmp_path / "latin1.toml"))


PIECES = ["[[step]]\n", "[step]\n", "title = \"t\"\n", "title = 1\n", "phase = \"error\"\n", "phase = 2\n",
          "note = \"n\"\n", "note = \"\"\n", "pin = \"W2[3,1]\"\n", "pin = \"W2[\"\n", "pin = 5\n", "quiz = true\n",
          "quiz = 1\n", "epoch = 3\n", "epoch = -3\n", "step = []\n", "step = [1, {}]\n", "x = 1\n", "\ufeff",
          "\r\n", "é", "= =\n", "\"\n", "[\n", "\x00", "[[step.sub]]\n", "step.phase = \"error\"\n"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=16).map("".join) | st.text(max_size=120))
def test_random_text_parses_or_says_one_line(text):
    try:
        lesson = parse_lesson(text, "l.toml")
    except LessonError as error:
        assert "\n" not in str(error) and str(error).startswith("l.toml:")
    else:
        assert lesson.steps and all(step.line >= 1 for step in lesson.steps)


# --- lessons that change the network ------------------------------------------------------------------


def test_the_nonlinear_lesson_opens_on_the_linear_network_and_its_later_steps_add_relu(tmp_path, monkeypatch):
    from backprop_tui.cli import make_app

    monkeypatch.chdir(tmp_path)
    app = make_app(["--lesson", "nonlinear"])
    assert app.tour is not None
    config = app.session.config
    assert (config.dataset, config.hidden, config.activations, config.loss) == ("circle", (8, 8), ("none", "none"),
                                                                                 "cross-entropy")
    steps = app.tour.lesson.steps
    runs = [app.tour.run_for(index) for index in range(len(steps))]
    assert [run.activations for run in runs] == [("none", "none")] * 3 + [("relu", "relu")] * 3
    assert [step.train for step in steps].count(True) == 2
    assert any(step.phase == "backward.1.activation" for step in steps)


def test_the_learners_flags_go_over_the_lessons_and_a_steps_over_both():
    from backprop_tui.cli import make_app

    app = make_app(["--lesson", "nonlinear", "--lr", "0.2", "--activation", "tanh"])
    assert app.tour is not None
    linear, relu = app.tour.run_for(0), app.tour.run_for(3)
    assert linear is not None and relu is not None
    assert linear.learning_rate == relu.learning_rate == 0.2 and linear.dataset == "circle"
    assert linear.activations == ("tanh", "tanh") and relu.activations == ("relu", "relu")


@pytest.mark.parametrize(("text", "message"), [
    ('flags = "--theme light"\n[[step]]\nphase = "forward.1"\nnote = "n"\n',
     "bad.toml:1:1: flags may only describe the network and its data, not 'theme'"),
    ('flags = "--lr abc"\n[[step]]\nphase = "forward.1"\nnote = "n"\n',
     "bad.toml:1:1: flags '--lr abc': argument --lr:"),
    ('flags = "--lr \'0.1"\n[[step]]\nphase = "forward.1"\nnote = "n"\n', "bad.toml:1:1: flags \"--lr '0.1\": "),
    ('[[step]]\nphase = "forward.1"\nnote = "n"\n\n[[step]]\nflags = "--activation relu"\nphase = "forward.9"\n'
     'note = "n"\n', "bad.toml:5:1: step 2 names unknown phase 'forward.9'"),
    ('[[step]]\nphase = "activation.1"\nnote = "n"\n', "bad.toml:1:1: step 1 names unknown phase 'activation.1'"),
    ('flags = 3\n[[step]]\nphase = "forward.1"\nnote = "n"\n', "bad.toml:1:1: flags must be a string"),
    ('[[step]]\nphase = "forward.1"\nnote = "n"\ntrain = "yes"\n', "bad.toml:4:1: step 1: train must be true or false"),
])
def test_a_lesson_with_bad_flags_says_where_in_one_line(tmp_path, text, message):
    from backprop_tui.cli import make_app

    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(LessonError) as raised:
        make_app(["--lesson", str(path)])
    assert message.replace("bad.toml", str(path)) in str(raised.value) and "\n" not in str(raised.value)


def test_a_step_may_continue_until_a_condition_and_then_takes_no_phase(tmp_path):
    lesson = parse_lesson('[[step]]\nuntil = "NaN or loss_up"\nnote = "n"\n'.replace("NaN", "nan"), "l.toml")
    assert lesson.steps[0].until == "nan or loss_up"
    for text, message in [
        ('[[step]]\nuntil = "norm(dW1 > 1"\nnote = "n"\n', "l.toml:2:1: step 1: until: expected a matrix name"),
        ('[[step]]\nuntil = "nan"\nphase = "loss"\nnote = "n"\n', "l.toml:3:1: step 1: a step with until opens"),
        ('[[step]]\nuntil = 3\nnote = "n"\n', "l.toml:2:1: step 1: until must be a condition in a string"),
    ]:
        with pytest.raises(LessonError) as raised:
            parse_lesson(text, "l.toml")
        assert message in str(raised.value)
    names = {"dW1", "W1"}
    with pytest.raises(LessonError, match="l.toml:1:1: step 1 until: this network has no matrix 'dW4'"):
        validate_lesson(parse_lesson('[[step]]\nuntil = "norm(dW4) > 1"\nnote = "n"\n', "l.toml"), phase_keys(3), names)


@pytest.mark.parametrize("name", ["exploding", "vanishing", "nonlinear"])
def test_the_shipped_lessons_past_the_article_open_and_fit_their_networks(name):
    from backprop_tui.cli import make_app

    app = make_app(["--lesson", name])
    assert app.tour is not None and name in shipped_lessons()
    for step in app.tour.lesson.steps:
        sentences = [s for s in re.split(r"(?<=[.?!])\s+", step.note) if s]
        assert 1 <= len(sentences) <= 4 and len(step.note) < 360, step.note


def test_a_lesson_carries_breakpoints_and_a_bad_one_says_so(tmp_path):
    from backprop_tui.cli import make_app

    path = tmp_path / "l.toml"
    path.write_text('breakpoints = ["backward.1.weight", "NAN"]\n[[step]]\nphase = "forward.1"\nnote = "n"\n'
                    .replace("NAN", "norm(dW1)>3 or nan"), encoding="utf-8")
    lesson = load_lesson(str(path))
    assert lesson.breakpoints == ("backward.1.weight", "norm(dW1) > 3 or nan")
    app = make_app(["--lesson", str(path)])
    assert [(entry.kind, entry.text) for entry in app.session.breakpoints.entries] == [
        ("phase", "backward.1.weight"), ("condition", "norm(dW1) > 3 or nan")]
    for text, message in [('breakpoints = "nan"\n', "breakpoints must be a list of strings"),
                          ('breakpoints = ["loss <"]\n', "breakpoints: expected a number"),
                          ('breakpoints = ["activation.1"]\n', "phase 'activation.1' is not one of this network's"),
                          ('breakpoints = ["norm(dW7) > 1"]\n', "no matrix 'dW7'")]:
        path.write_text(text + '[[step]]\nphase = "forward.1"\nnote = "n"\n', encoding="utf-8")
        with pytest.raises(LessonError, match=re.escape(message)):
            make_app(["--lesson", str(path)])
