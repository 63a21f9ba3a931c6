"""Pilot tests of the keys: the key bar lists what acts now, screens on top are modal, and keys can be remapped."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from textual.binding import Binding

from backprop_tui.app import BackpropApp
from backprop_tui.binding_ids import ALL_BINDING_IDS, BINDING_IDS
from backprop_tui.screens.help_screen import HelpScreen
from backprop_tui.screens.training_screen import TrainingScreen
from backprop_tui.session_file import load_session
from backprop_tui.widgets.key_bar import KeyBar
from backprop_tui.widgets.matrix_view import MatrixView
from backprop_tui.widgets.phase_list import PhaseList
from scratchnet import phase_keys
from tests.helpers import build_app, painted

KEYS = phase_keys(3)


def bar_text(app: BackpropApp) -> str:
    return painted(app.screen.query_one(KeyBar))


def help_text(app: BackpropApp) -> str:
    assert isinstance(app.screen, HelpScreen)
    console = Console(record=True, width=150, file=io.StringIO())
    console.print(app.screen.table)
    return console.export_text()


# --- the key bar ------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(160, 48), (80, 24)])
async def test_the_key_bar_shows_help_and_quit_and_only_keys_that_act(launch, size):
    app, pilot = await launch(size=size)
    text = bar_text(app)
    assert text.rstrip().endswith("? Help  q Quit"), text
    assert text.startswith(" → Next  ← Back "), text
    for idle in ("] Lesson", "[ Lesson", "f Follow", "^s Save", "d Δ", "c Grad"):  # no lesson, not served, …
        assert idle not in text, (idle, text)
    assert len(text) == size[0]


@pytest.mark.parametrize("size", [(160, 48), (80, 24)])
async def test_the_key_bar_shows_the_lesson_keys_with_a_lesson(launch, size):
    app, pilot = await launch("--lesson", "article", size=size)
    text = bar_text(app)
    assert "] Lesson →" in text and "[ Lesson ←" in text and "? Help  q Quit" in text, text


async def test_the_key_bar_shows_save_with_a_session_file(launch, tmp_path):
    app, pilot = await launch("--session", str(tmp_path / "s.toml"))
    assert "^s Save session" in bar_text(app)


async def test_the_key_bar_follows_the_phase_and_repaints_only_on_a_change(launch):
    app, pilot = await launch()
    bar = app.query_one(KeyBar)
    repaints = []
    update = bar.update
    bar.update = lambda *args, **kwargs: (repaints.append(args), update(*args, **kwargs))  # type: ignore[method-assign]
    await pilot.press("right", "right", "left")  # forward phases: the same keys act
    assert repaints == [] and "c Grad check" not in bar_text(app)
    app.go_to_phase("backward.2.weight")
    await pilot.pause()
    assert "c Grad check" in bar_text(app) and "d Δ" not in bar_text(app) and len(repaints) == 1
    await pilot.press("end")  # update.3
    assert "d Δ" in bar_text(app) and "c Grad check" not in bar_text(app)
    await pilot.press("d")
    assert any(view.display and view.shown and view.shown.name.startswith("Δ") for view in app.query(MatrixView))


async def test_a_click_on_the_key_bar_runs_that_key(launch):
    app, pilot = await launch()
    column = bar_text(app).index("Next")
    await pilot.click(KeyBar, offset=(column, 0))
    assert app.session.position.phase == 1
    column = bar_text(app).index("Help")
    await pilot.click(KeyBar, offset=(column, 0))
    assert isinstance(app.screen, HelpScreen)


async def test_the_training_screen_bar_keeps_esc_help_and_quit_at_80_columns(launch):
    app, pilot = await launch(size=(80, 24))
    await pilot.press("e")
    assert isinstance(app.screen, TrainingScreen)
    text = bar_text(app)
    assert text.rstrip().endswith("esc Debugger  ? Help  q Quit") and text.startswith(" space Pause/resume"), text
    assert "→ Next" not in text


async def test_with_the_quiz_box_focused_letters_type_and_the_bar_says_so(launch):
    """The answer box takes typed letters: w, e, q … are not keys there; ctrl+q still quits."""
    app, pilot = await launch("--quiz")
    text = bar_text(app)
    assert "→ Next" in text and "^q Quit" in text and "w Watch" not in text and "q Quit" not in text.replace("^q", "")
    await pilot.press("tab")  # out of the box: the letters are keys again
    assert "w Watch cell" in bar_text(app) and bar_text(app).rstrip().endswith("? Help  q Quit")


# --- screens on top are modal -------------------------------------------------------------------------


async def test_help_is_modal(launch):
    app, pilot = await launch("--lesson", "article")
    await pilot.press("right", "right")
    before, step = app.session.position, app.tour.step
    await pilot.press("question_mark")
    assert isinstance(app.screen, HelpScreen)
    body = app.screen.query_one("#help-body")
    await pilot.press("right", "pagedown", "n", "home", "end", "left", "p", "pageup", "right_square_bracket",
                      "left_square_bracket", "e", "r")
    assert isinstance(app.screen, HelpScreen) and app.session.position == before and app.tour.step == step
    await pilot.press("end")  # the help's own keys still act: End scrolls it
    assert body.scroll_offset.y > 0
    await pilot.press("escape", "right")
    assert not isinstance(app.screen, HelpScreen) and app.session.position.phase == before.phase + 1


async def test_the_command_palette_and_training_screen_do_not_step_the_debugger(launch):
    app, pilot = await launch()
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press("right", "pagedown", "end")
    assert app.session.position.phase == 0
    await pilot.press("escape")
    await pilot.press("e")
    assert isinstance(app.screen, TrainingScreen)
    await pilot.press("right", "n", "end", "right_square_bracket", "z")
    assert app.session.position.phase == 0 and not app.zoom
    await pilot.press("escape", "right")
    assert app.session.position.phase == 1


async def test_help_lists_enter_for_the_quiz_and_every_binding_with_its_id(launch):
    app, pilot = await launch()
    await pilot.press("question_mark")
    text = help_text(app)
    assert "⏎" in text and "Check the answer; Enter on nothing reveals" in text
    for binding_id in ALL_BINDING_IDS - {"close-help"}:
        assert binding_id in text, binding_id


# --- remapping ---------------------------------------------------------------------------------------------


def test_every_binding_has_an_id_and_the_ids_are_the_documented_ones():
    owners = {"debugger": BackpropApp, "phase list": PhaseList, "matrix": MatrixView, "training screen": TrainingScreen,
              "help screen": HelpScreen}
    for where, owner in owners.items():
        ids = [binding.id for binding in owner.BINDINGS if isinstance(binding, Binding)]
        assert len(ids) == len(owner.BINDINGS) and None not in ids, where
        assert tuple(ids) == BINDING_IDS[where], where
    assert len(ALL_BINDING_IDS) == sum(len(ids) for ids in BINDING_IDS.values())  # unique across screens


REMAPPED = '[keys]\nnext-phase = "x,f5"\nhelp = "h"\nback-to-debugger = "backspace"\n'


async def test_a_keys_table_remaps_keys_and_survives_a_save(tmp_path):
    path = tmp_path / "room.toml"
    path.write_text(REMAPPED)
    app = build_app("--session", str(path))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("x", "f5")
        assert app.session.position.phase == 2
        await pilot.press("right")  # given up for x and f5
        assert app.session.position.phase == 2
        assert bar_text(app).startswith(" x Next  ← Back ") and "h Help" in bar_text(app)
        await pilot.press("h")
        assert isinstance(app.screen, HelpScreen) and "x f5" in help_text(app)
        await pilot.press("escape", "e")
        assert isinstance(app.screen, TrainingScreen) and "⌫ Debugger" in bar_text(app)
        await pilot.press("backspace")
        assert not isinstance(app.screen, TrainingScreen)
        await pilot.press("q")
    saved = load_session(path)
    assert dict(saved.keys) == {"next-phase": "x,f5", "help": "h", "back-to-debugger": "backspace"}
    assert saved.phase == KEYS[2]
