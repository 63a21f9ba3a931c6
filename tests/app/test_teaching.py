"""Teaching features: quiz, themes, zoom, exports, session files, lessons, and the Markdown handout."""

from __future__ import annotations

import re

import numpy as np
import pytest

from backprop_tui.cli import main
from backprop_tui.handout import matrix_markdown, phase_markdown, tape_markdown
from backprop_tui.lesson import LessonError, load_lesson, parse_lesson, parse_pin
from backprop_tui.quiz import judge, parse_shape, parse_values
from backprop_tui.session_file import SessionError, load_session, save_session
from backprop_tui.widgets.inspector import Inspector
from backprop_tui.widgets.matrix_view import MatrixView
from backprop_tui.widgets.phase_list import PhaseList
from backprop_tui.widgets.status_line import StatusLine
from scratchnet import TapeRecorder
from tests.helpers import build_app, painted, screen_text

SIZE = (160, 48)


def visible_names(app) -> list[str]:
    return [v.shown.name for v in app.query(MatrixView) if v.display and v.shown is not None and v.parent.display]


def painted_with_hue(view: MatrixView) -> bool:
    """Whether any painted cell of the matrix has a coloured (not grey) background."""
    for y in range(1, min(6, view.size.height)):
        for segment in view.render_line(y):
            colour = segment.style.bgcolor if segment.style else None
            if colour is not None and len(set(colour.get_truecolor())) > 1:
                return True
    return False


# --- quiz --------------------------------------------------------------------------------


def test_judge_reads_shapes_and_values():
    assert parse_shape("1000x4") == parse_shape("1000×4") == parse_shape("(1000, 4)") == (1000, 4)
    assert parse_shape("7.5") is None and parse_values("0.12, −3.4") == [0.12, -3.4]
    assert judge("1000x4", np.zeros((1000, 4))).right
    assert not judge("4x1000", np.zeros((1000, 4))).right
    assert judge("0.12; 1x1", np.array([[0.1234]])).right and not judge("0.13", np.array([[0.1234]])).right
    assert judge("scalar; 7.58", np.array(7.5809)).right
    assert "at most 4 cells" in judge("1, 2", np.zeros((3, 3))).message


async def test_quiz_hides_everything_derived_from_the_result_until_answered(launch):
    app, pilot = await launch('--quiz', size=SIZE)
    await pilot.press("end")  # update.3: W3' and b3' are small, values are asked
    phase = app.session.phase
    assert app.hiding and "W3'" not in visible_names(app) and "b3'" not in visible_names(app)
    assert not app.query_one(Inspector).display and app.query_one(Inspector).explanation is None
    assert phase.shapes.rsplit("→", 1)[1].strip() not in str(app.query_one("#equation").render())
    assert "loss" not in str(app.query_one(StatusLine).render())
    text = screen_text(app)
    for value in np.atleast_2d(phase.outputs["W3'"]).ravel():
        assert f"{value:.4f}".replace("-", "−") not in text
    await pilot.press(*"1x4", "enter")  # wrong: W3' is 4×1
    assert app.quiz.score == [0, 1] and "not 1x4" in app.quiz.feedback and not app.hiding
    assert "W3'" in visible_names(app)
    await pilot.press("left")
    assert app.session.phase.key == "update.2" and app.hiding
    await pilot.press(*"8x4", "enter")  # right
    assert app.quiz.score == [1, 2] and app.quiz.feedback.startswith("Right")


async def test_enter_on_nothing_reveals_and_Q_toggles_quiz(launch):
    app, pilot = await launch(size=SIZE)
    await pilot.press("Q")
    assert app.quiz_mode and app.hiding
    await pilot.press("enter")
    assert not app.hiding and app.quiz.score == [0, 0] and "Z1" in visible_names(app)


async def test_a_quiz_at_launch_takes_keys_at_once():
    app = build_app("--quiz")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")  # right after launch: reveals, like Enter after Q
        assert not app.hiding and app.session.phase.key == "forward.1" and app.quiz.feedback
    app = build_app("--quiz")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"1000x8", "enter")  # typed at once, nothing lost
        assert app.quiz.score == [1, 1] and app.quiz.feedback.startswith("Right")


async def test_the_placeholder_shows_the_format_without_a_real_shape():
    app = build_app("--quiz")
    async with app.run_test(size=SIZE) as pilot:
        shown = set()
        for _ in range(len(app.session.tape)):
            phase = app.session.phase
            result = np.asarray(phase.outputs[phase.result_name])
            placeholder = app.query_one("#quiz-answer").placeholder
            shown.add(placeholder)
            for spelling in ("x".join(map(str, result.shape)), "×".join(map(str, result.shape))):
                assert not result.shape or spelling not in placeholder, (phase.key, placeholder)
            await pilot.press("enter", "right")
        assert len(shown) == 1 and "3x2" in shown.pop()


async def test_bracket_keys_type_into_the_answer_without_a_lesson():
    app = build_app("--quiz")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("end", "left_square_bracket", *"0.1", "right_square_bracket")
        assert app.query_one("#quiz-answer").value == "[0.1]"


# --- themes and zoom ----------------------------------------------------------------------


@pytest.mark.parametrize("theme,textual", [("dark", "textual-dark"), ("light", "textual-light"),
                                           ("high-contrast", "backprop-high-contrast"),
                                           ("monochrome", "backprop-monochrome")])
async def test_every_theme(launch, theme, textual):
    app, pilot = await launch('--theme', theme, size=SIZE)
    await pilot.press("right", "tab", "j")
    assert app.theme == textual
    view = app.query_one("#result-0", MatrixView)
    assert painted_with_hue(view) is (theme != "monochrome")  # monochrome paints brightness only
    assert "Z₂" in screen_text(app)


async def test_zoom_shows_only_the_results_with_fewer_decimals(launch):
    app, pilot = await launch('--zoom', size=SIZE)
    await pilot.pause()
    assert not app.query_one("#operands").display or not app.query_one("#operands").region.width
    view = app.query_one("#result-0", MatrixView)
    assert view._decimals == 2 and view.cell_width > 9
    await pilot.press("z")
    assert view._decimals == 4 and app.query_one("#operands").region.width > 0


# --- exports -------------------------------------------------------------------------------


async def test_exports_go_into_out_atomically(tmp_path):
    app = build_app("--out", str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right", "m", "s")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["backprop-epoch0-forward.2.md", "backprop-epoch0-forward.2.svg"]
    markdown = (tmp_path / names[0]).read_text()
    assert "$$Z_{2} = Z_{1} W_{2} + b_{2}$$" in markdown
    assert (tmp_path / names[1]).read_text().startswith("<svg")


async def test_the_markdown_export_works_out_the_inspected_cell_beside_the_lesson_steps_note(tmp_path):
    app = build_app("--lesson", "article", "--out", str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("tab", "j", "j", "l")  # the lesson opens on forward.1: Z₁, two rows down, one column right
        await pilot.pause()
        inspector = app.query_one(Inspector).text.splitlines()
        await pilot.press("m")
    markdown = (tmp_path / "backprop-epoch0-forward.1.md").read_text()
    assert inspector[0].startswith("Z₁[2,1] = ") and f"`{inspector[0]}`" in markdown
    assert "$$\\begin{split}Z_{1}[2,1] &= X[2,:] \\cdot W_{1}[:,1] + b_{1}[1] \\\\ &= " in markdown
    assert f"> **Lesson step 1/{len(app.tour.lesson.steps)}.** {app.tour.lesson.steps[0].note}" in markdown


async def test_an_out_folder_that_does_not_exist_yet_is_created(tmp_path):
    out = tmp_path / "workshop" / "exports"
    app = build_app("--out", str(out))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")
    assert [p.name for p in out.iterdir()] == ["backprop-epoch0-forward.1.md"]


def test_an_out_that_cannot_be_a_folder_is_refused(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["--out", str(tmp_path / "file")]) == 2
    assert capsys.readouterr().err == f"backprop-tui: error: --out {tmp_path / 'file'}: exists and is not a folder\n"
    assert main(["--out", str(tmp_path / "file" / "below")]) == 2
    assert "cannot be created" in capsys.readouterr().err


async def test_screenshots_of_one_phase_are_numbered_and_leave_out_the_toasts(tmp_path):
    app = build_app("--out", str(tmp_path))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("right")
        for _ in range(3):
            await pilot.press("s")
            await pilot.pause()
        await pilot.pause()
        assert "Saved" in screen_text(app)  # the toasts are still there for the person
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["backprop-epoch0-forward.2-2.svg", "backprop-epoch0-forward.2-3.svg",
                     "backprop-epoch0-forward.2.svg"]
    for name in names:
        text = "".join(re.findall(r">([^<]*)</text>", (tmp_path / name).read_text()))
        assert "Z₂" in text and "Saved" not in text, name


# --- the Markdown handout ---------------------------------------------------------------------


def test_handout_markdown():
    app_tape = build_app("--samples", "6").session.tape
    text = tape_markdown(app_tape)
    assert text.startswith("# One training iteration, epoch 0")
    for phase in app_tape:
        assert f"$${phase.equation.latex}$$" in text and phase.code in text and phase.note in text
    assert text.count("\n## ") == len(app_tape)
    small = matrix_markdown("W1", np.arange(32.0).reshape(4, 8))
    assert small.count("\n| ") == 1 + 4 and "shown" not in small
    big = matrix_markdown("X", np.arange(4000.0).reshape(1000, 4))
    assert "1000×4" in big and "first 8×4 shown" in big and "⋮" in big
    assert "−∞" in matrix_markdown("a", np.array([[-np.inf, np.nan]])) and "NaN" in matrix_markdown("a", np.array([[np.nan]]))
    one = phase_markdown(app_tape[0], 1, len(app_tape))
    assert one.startswith("## Layer 1 · forward (1/")


# --- session files ----------------------------------------------------------------------------


async def test_a_session_saves_on_quit_and_restores_the_same_screen(tmp_path):
    path = tmp_path / "room.toml"
    app = build_app("--session", str(path), "--theme", "light")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("end", "right", "right", "right", "tab", "j", "j", "l", "w")
        before = screen_text(app)
        position = app.session.position
        await pilot.press("q")
    saved = load_session(path)
    assert (saved.epoch, saved.phase, saved.matrix, saved.cell) == (1, "forward.3", "Z3", (2, 0))
    assert saved.theme == "light" and saved.pins == (("Z3", (2, 0)),)
    again = build_app("--session", str(path))
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert again.session.position.epoch == position.epoch and again.session.phase.key == "forward.3"
        assert again.focused.shown.name == "Z3" and again.focused.cursor == (2, 0)
        after = screen_text(again)
    assert after == before


async def test_presentation_flags_override_the_session_file(tmp_path):
    path = tmp_path / "room.toml"
    app = build_app("--session", str(path), "--theme", "light")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right", "q")
    again = build_app("--session", str(path), "--theme", "high-contrast", "--zoom", "--speed", "5")
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert again.theme == "backprop-high-contrast" and again.zoom and again.session.phase.key == "forward.2"


async def test_ctrl_s_saves(launch, tmp_path):
    path = tmp_path / "s.toml"
    app, pilot = await launch('--session', str(path), size=SIZE)
    await pilot.press("right", "ctrl+s")
    assert load_session(path).phase == "forward.2"


def test_round_trip_of_a_csv_session_and_its_checks(tmp_path, capsys):
    csv = tmp_path / "h.csv"
    csv.write_text("a,b,price\n1,2,3\n2,5,7\n4,1,9\n")
    session = tmp_path / "s.toml"
    app = build_app("--data", str(csv), "--session", str(session))
    save_session(session, app.session_file())
    loaded = load_session(session)
    assert loaded == app.session_file()
    assert main(["--session", str(session), "--lr", "0.5"]) == 2
    assert "contradicts the session file's learning rate 0.01" in capsys.readouterr().err
    csv.write_text("a,b,price\n1,2,3\n2,5,7\n4,1,10\n")
    assert main(["--session", str(session)]) == 2
    assert "has changed since the session was saved" in capsys.readouterr().err


@pytest.mark.parametrize("text,line,words", [
    ("version = 1\n[training]\nlearning_rate = -1\n", 3, "learning_rate must be a number above 0"),
    ("[view]\ntheme = \"neon\"\n", 2, "theme must be one of"),
    ("[position]\nphase = \"forward.x\"\n", 2, "is not a phase key"),
    ("[position]\ncell = [1]\n", 2, "two whole numbers"),
    ("[network]\nhidden = [8, 0]\n", 2, "positive whole numbers"),
    ("[training\nepochs = 3\n", 1, "not valid TOML"),
])
def test_malformed_session_files_say_where(tmp_path, text, line, words):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    before = path.read_text()
    with pytest.raises(SessionError) as error:
        load_session(path)
    message = str(error.value)
    assert words in message and f"line {line}" in message or f"bad.toml:{line}:" in message
    assert "\n" not in message and path.read_text() == before


def test_a_malformed_session_exits_2_and_is_not_overwritten(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text("[training]\nlearning_rate = \"fast\"\n")
    assert main(["--session", str(path)]) == 2
    assert "bad.toml:2:1: learning_rate must be float" in capsys.readouterr().err
    assert path.read_text() == "[training]\nlearning_rate = \"fast\"\n"


# --- lessons -------------------------------------------------------------------------------------


async def test_the_article_lesson_walks_to_its_end():
    app = build_app("--lesson", "article")
    lesson = app.tour.lesson
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert app.tour.step == 0 and lesson.steps[0].note in str(app.query_one("#lesson").render())  # at launch
        seen = [app.session.phase.key]
        for _ in range(len(lesson.steps)):
            await pilot.press("right_square_bracket")
            if app.hiding:
                await pilot.press("enter")
            seen.append(app.session.phase.key)
        assert seen[:-1] == [step.phase for step in lesson.steps] and seen[-1] == lesson.steps[-1].phase
        assert app.tour.step == len(lesson.steps) - 1
        assert lesson.steps[-1].note in str(app.query_one("#lesson").render())
        await pilot.pause()
        assert "The lesson has ended" in screen_text(app)
        assert ("W2", (3, 1)) in [(p.name, p.cell) for p in app.session.pins]
        await pilot.press("left_square_bracket")
        assert app.session.phase.key == lesson.steps[-2].phase


async def test_lesson_keys_leave_a_quiz_step_whatever_has_focus():
    app = build_app("--lesson", "article")
    lesson = app.tour.lesson
    quiz_steps = [number for number, step in enumerate(lesson.steps) if step.quiz]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*["right_square_bracket"] * quiz_steps[0])  # from step 1, where a lesson opens
        assert app.tour.step == quiz_steps[0] and app.hiding
        assert app.focused is app.query_one("#quiz-answer")
        await pilot.press("right_square_bracket")  # leaves the quiz step unanswered
        assert app.tour.step == quiz_steps[0] + 1
        assert app.session.phase.key == lesson.steps[quiz_steps[0] + 1].phase
        assert app.query_one("#quiz-answer").value == ""
        await pilot.press("left_square_bracket")  # back to the quiz step, then back again from its answer box
        assert app.tour.step == quiz_steps[0] and app.focused is app.query_one("#quiz-answer")
        await pilot.press("left_square_bracket")
        assert app.tour.step == quiz_steps[0] - 1 and app.query_one("#quiz-answer").value == ""


def test_lesson_files_and_their_errors(tmp_path, capsys):
    assert parse_pin("dL_dyhat[0,0]") == ("dL/dŷ", (0, 0)) and parse_pin("W2_new[1, 3]") == ("W2'", (1, 3))
    good = tmp_path / "l.toml"
    good.write_text('title = "t"\n[[step]]\nphase = "error"\nnote = "n"\n')
    assert load_lesson(str(good)).steps[0].phase == "error"
    bad_phase = tmp_path / "p.toml"
    bad_phase.write_text('title = "t"\n\n[[step]]\nphase = "error"\nnote = "n"\n\n[[step]]\nphase = "forward.9"\nnote = "x"\n')
    assert main(["--lesson", str(bad_phase)]) == 2
    err = capsys.readouterr().err
    assert "p.toml:7:1: step 2 names unknown phase 'forward.9'" in err and err.count("\n") == 1
    bad_pin = tmp_path / "m.toml"
    bad_pin.write_text('[[step]]\nphase = "error"\nnote = "n"\npin = "Q9[0,0]"\n')
    assert main(["--lesson", str(bad_pin)]) == 2 and "pins unknown matrix 'Q9'" in capsys.readouterr().err
    with pytest.raises(LessonError, match="needs a note"):
        parse_lesson('[[step]]\nphase = "error"\n', "x.toml")
    with pytest.raises(LessonError, match="not valid TOML"):
        parse_lesson("[[step]\n", "x.toml")
    assert main(["--lesson", "nosuch"]) == 2 and "shipped: article" in capsys.readouterr().err


def test_unknown_theme_is_a_usage_error(capsys):
    assert main(["--theme", "neon"]) == 2 and "invalid choice" in capsys.readouterr().err


def test_recorder_unused_import_guard():
    assert TapeRecorder


async def test_the_nonlinear_lesson_trains_the_linear_network_then_moves_to_relu_leaving_that_run_behind():
    from backprop_tui.screens.training_screen import TrainingScreen

    app = build_app("--lesson", "nonlinear", "--speed", "max", "--epochs", "20")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        linear = app.session
        await pilot.press("right_square_bracket", "right_square_bracket")  # step 3: train
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, TrainingScreen) and linear.trained_epochs == 20
        assert linear.config.activations == ("none", "none")
        await pilot.press("escape", "right_square_bracket")  # step 4: the same data, ReLU between the layers
        await pilot.pause()
        assert app.session is not linear and app.session.config.activations == ("relu", "relu")
        assert app.session.trained_epochs == 1 and app.session.phase.key == "activation.1"
        assert "▶ Layer 1 · relu" in painted(app.query_one(PhaseList))
        await pilot.press("right_square_bracket", "right_square_bracket")  # step 6: train the ReLU network
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, TrainingScreen) and app.screen.session is app.session
        assert app.session.trained_epochs == 20 and linear.trained_epochs == 20
        assert app.session.accuracies[19] > linear.accuracies[19]
        await pilot.press("escape", "left_square_bracket", "left_square_bracket", "left_square_bracket")
        await pilot.pause()
        assert app.session.config.activations == ("none", "none") and app.tour.step == 2


async def test_the_exploding_lesson_continues_until_nan_and_opens_where_the_first_infinity_was_made():
    app = build_app("--lesson", "exploding", "--speed", "max")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("right_square_bracket", "right_square_bracket")  # step 3: until nan
        await app.workers.wait_for_complete()
        await pilot.pause()
        session = app.session
        assert app.tour.step == 2 and (session.epoch, session.phase.key, session.view.matrix) == (4, "forward.2", "Z2")
        assert app.tour.lesson.steps[2].note in str(app.query_one("#lesson").render())
        await pilot.press("right_square_bracket")  # step 4: η = 0.05 runs to the end without a stop
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.session.config.learning_rate == 0.05 and app.session.trained_epochs == app.session.config.epochs
        assert "No condition held" in app.training.message
