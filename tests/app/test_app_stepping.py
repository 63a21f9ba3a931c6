"""Pilot tests: stepping through the iteration, epochs, focus, resizing, clicks, help and quitting."""

from __future__ import annotations

import io

import numpy as np
import pytest
from rich.console import Console

from backprop_tui.screens.help_screen import HelpScreen
from backprop_tui.widgets.equation_panel import EquationPanel
from backprop_tui.widgets.matrix_view import MatrixView
from backprop_tui.widgets.phase_list import PhaseList
from scratchnet import phase_keys
from tests.helpers import build_app

KEYS = phase_keys(3)


def on_screen(app) -> dict:
    """What a person would read: the phase, its title, the matrices in view and the focus."""
    views = [v for v in app.query(MatrixView) if v.display and v.shown is not None]
    focused = app.focused
    return {
        "epoch": app.session.epoch,
        "key": app.session.phase.key,
        "title": app.query_one(EquationPanel).border_title,
        "matrices": [v.shown.name for v in views],
        "highlighted": app.query_one(PhaseList).highlighted_key,
        "focus": focused.shown.name if isinstance(focused, MatrixView) else type(focused).__name__,
        "cursor": focused.cursor if isinstance(focused, MatrixView) else None,
        "scroll": tuple(focused.scroll_offset) if isinstance(focused, MatrixView) else None,
    }


async def test_phase_list_has_focus_and_first_phase_is_shown():
    app = build_app()
    async with app.run_test(size=(160, 48)):
        state = on_screen(app)
        assert state["key"] == "forward.1" and state["focus"] == "PhaseList"
        assert state["matrices"] == ["Z1", "X", "W1", "b1"]
        assert "Layer 1 · forward" in state["title"]


async def test_step_forward_and_back_through_every_phase(launch):
    app, pilot = await launch(size=(160, 48))
    seen = []
    for _ in range(len(KEYS) - 1):
        seen.append(on_screen(app)["key"])
        await pilot.press("right")
    seen.append(on_screen(app)["key"])
    assert seen == KEYS
    assert on_screen(app)["highlighted"] == KEYS[-1]
    for expected in reversed(KEYS[:-1]):
        await pilot.press("left")
        assert on_screen(app)["key"] == expected
    for key in ("n", "pagedown"):
        await pilot.press(key)
    assert app.session.phase.key == KEYS[2]
    for key in ("p", "pageup"):
        await pilot.press(key)
    assert app.session.phase.key == KEYS[0]


async def test_phase_keys_step_even_when_a_matrix_has_focus(launch):
    app, pilot = await launch(size=(160, 48))
    await pilot.press("tab")
    assert on_screen(app)["focus"] == "Z1"  # the result first
    await pilot.press("right")
    assert app.session.phase.key == "forward.2"
    await pilot.press("left")
    assert app.session.phase.key == "forward.1"


async def test_home_and_end(launch):
    app, pilot = await launch(size=(160, 48))
    await pilot.press("end")
    assert app.session.phase.key == "update.3"
    await pilot.press("home")
    assert app.session.phase.key == "forward.1"


async def test_crossing_into_the_next_epoch_uses_the_updated_weights_and_comes_back(launch):
    app, pilot = await launch(size=(160, 48))
    await pilot.press("end")
    updated = app.session.phase.outputs["W3'"]
    updated_copy = np.array(updated)
    await pilot.press("right")
    assert (app.session.epoch, app.session.phase.key) == (1, "forward.1")
    await pilot.press("end")
    assert np.array_equal(app.session.phase.inputs["W3"], updated_copy)
    await pilot.press("home", "left")
    assert (app.session.epoch, app.session.phase.key) == (0, "update.3")
    assert np.array_equal(app.session.phase.outputs["W3'"], updated_copy)
    assert len(app.session.parameters) == 3  # epochs 0 and 1 recorded, and what epoch 2 starts from


async def test_r_goes_back_to_epoch_zero(launch):
    app, pilot = await launch(size=(160, 48))
    await pilot.press("end", "right", "right", "right")
    assert app.session.epoch == 1
    await pilot.press("r")
    assert (app.session.epoch, app.session.phase.key) == (0, "forward.1")


async def test_stepping_back_restores_the_screen_that_was_there(launch):
    app, pilot = await launch(size=(160, 48))
    await pilot.press("right", "tab")
    for _ in range(40):
        await pilot.press("j")
    await pilot.press("l", "l")
    before = on_screen(app)
    assert before["cursor"] == (40, 2) and before["scroll"][1] > 0
    await pilot.press("right", "right")
    assert on_screen(app)["key"] == "error"
    await pilot.press("left", "left")
    assert on_screen(app) == before


async def test_click_on_the_phase_list_jumps(launch):
    app, pilot = await launch(size=(160, 48))
    phases = app.query_one(PhaseList)
    index = phases.line_of("error")
    await pilot.click(PhaseList, offset=(4, 1 + index))
    assert app.session.phase.key == "error"


async def test_command_palette_jumps_to_a_phase_by_name(launch):
    app, pilot = await launch(size=(160, 48))
    await pilot.press("ctrl+p")
    await pilot.press(*"Loss gradient")
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    assert app.session.phase.key == "loss_gradient"


@pytest.mark.parametrize(("typed", "key"), [("dW2", "backward.2.weight"), ("db1", "backward.1.bias"),
                                            ("dX1", "backward.1.input"), ("W3_new", "update.3")])
async def test_the_palette_finds_a_phase_by_the_ascii_name_of_its_matrix(launch, typed, key):
    app, pilot = await launch(size=(160, 48))
    await pilot.press("ctrl+p", *typed)
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    assert app.session.phase.key == key


async def test_the_theme_picker_lists_our_four_themes_first_and_marked(launch):
    from textual.command import CommandList

    app, pilot = await launch(size=(160, 48))
    app.search_themes()
    await pilot.pause(0.3)
    options = app.screen.query_one(CommandList)
    shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
    assert [text.split()[1] for text in shown[:4]] == ["dark", "light", "high-contrast", "monochrome"]
    assert all(text.startswith("★") for text in shown[:4]) and not any("★" in text for text in shown[4:])
    await pilot.press("down", "down", "enter")  # the third: high contrast
    await pilot.pause()
    assert app.theme == "backprop-high-contrast"


async def test_help_is_generated_from_the_bindings(launch):
    app, pilot = await launch(size=(160, 48))
    await pilot.press("question_mark")
    assert isinstance(app.screen, HelpScreen)
    console = Console(record=True, width=120, file=io.StringIO())
    console.print(app.screen.table)
    rendered = console.export_text()
    for binding in app.BINDINGS:
        if binding.description:
            assert binding.description in rendered
    assert "Cell ←" in rendered
    await pilot.press("escape")
    assert not isinstance(app.screen, HelpScreen)


async def test_predictions_stand_beside_targets_in_dollars_on_the_error_phase(launch):
    app, pilot = await launch(size=(160, 48))
    await pilot.press("end")
    assert "predictions" not in on_screen(app)["matrices"]
    app.go_to_phase("error")
    await pilot.pause()
    view = next(v for v in app.query(MatrixView) if v.display and v.shown and v.shown.name == "predictions")
    table = view.shown.array
    dataset = app.session.run.dataset
    y_dollars = dataset.target_scaler.std[0] * dataset.y[:, 0] + dataset.target_scaler.mean[0]
    np.testing.assert_allclose(table[:, 3], y_dollars)
    assert np.array_equal(table[:, 0], app.session.phase.inputs["Z3"][:, 0])
    await pilot.press("right", "left")  # loss, then error again: the same table, not stacked again
    again = next(v for v in app.query(MatrixView) if v.display and v.shown and v.shown.name == "predictions")
    assert again.shown.array is table
    await pilot.press("end", "right", "home", "right", "right", "right")  # epoch 1's error phase: its own
    fresh = next(v for v in app.query(MatrixView) if v.display and v.shown and v.shown.name == "predictions")
    assert app.session.epoch == 1 and fresh.shown.array is not table
    assert np.array_equal(fresh.shown.array[:, 0], app.session.phase.inputs["Z3"][:, 0])


async def test_q_quits_at_once(launch):
    app, pilot = await launch(size=(160, 48))
    await pilot.press("q")
    await pilot.pause()
    assert app.return_code == 0  # None until the app is told to exit


async def test_resizing_down_to_40x12_keeps_the_result_visible(launch):
    app, pilot = await launch(size=(160, 48))
    for width, height in ((80, 24), (40, 12), (200, 60), (41, 13), (80, 24)):
        await pilot.resize_terminal(width, height)
        await pilot.press("right")
        await pilot.pause()
        result = app.query_one("#result-0", MatrixView)
        assert result.display and result.region.width > 0 and result.region.height > 0, (width, height)
    await pilot.press("tab", "j", "left", "right")
    assert app.session.phase.key == "loss_gradient"  # five steps, and ← → after the cursor moved


async def test_matrix_cells_are_whole_or_not_drawn(launch):
    """A number cut by the panel's edge would read as another number: only whole cells are painted."""
    from backprop_tui.cell_format import format_value
    from backprop_tui.widgets.matrix_view import MatrixView

    app, pilot = await launch(size=(120, 40))
    view = app.query_one("#result-0", MatrixView)
    assert 0 < view.columns_in_view < view.n_columns  # Z1's 8 columns do not all fit here
    await pilot.press("tab")
    assert app.focused is view
    for _ in range(7):
        await pilot.press("l")
        first = view.first_column
        assert first <= view.cursor[1] < first + view.columns_in_view
    for y in range(1, 6):
        row = view.scroll_offset.y + y - 1
        drawn = [token for token in view.render_line(y).text.split() if token not in "┃│"]  # the scroll track
        assert drawn[0] == str(row)
        shown = [format_value(float(v)).strip() for v in view._matrix[row, first:first + view.columns_in_view]]
        assert drawn[1:] == shown


async def test_predictions_stats_are_in_the_units_of_the_table_and_minus_is_one_sign():
    app = build_app()
    async with app.run_test(size=(160, 48)) as pilot:
        app.go_to_phase("error")
        await pilot.pause()
        view = next(v for v in app.query(MatrixView) if v.display and v.shown and v.shown.name == "predictions")
        table = view.shown.array
        miss = (table[:, 2] - table[:, 3]) / 1000  # ŷ − y in k$, the unit of the table's dollar columns
        words = view.border_subtitle
        assert words.startswith("ŷ − y in k$")
        for label, value in (("min", miss.min()), ("max", miss.max()), ("mean", miss.mean())):
            assert f"{label} {value:,.1f}".replace("-", "−") in words, (label, words)
        assert "-" not in words
        negative = table[table[:, 2] < 0, 2]
        assert negative.size and all(view.shown.column_formats[2](v).startswith("−") for v in negative)
        painted = "".join(segment.text for y in range(view.size.height) for segment in view.render_line(y))
        assert "-" not in painted


async def test_at_80x24_every_phase_shows_its_whole_note_and_no_stray_scrollbar(launch):
    from backprop_tui.widgets.equation_panel import EquationPanel

    app, pilot = await launch(size=(80, 24))
    panel = app.query_one(EquationPanel)
    for _ in range(len(app.session.tape)):
        await pilot.pause()
        assert panel.max_scroll_y == 0, app.session.phase.key  # nothing of the note is below the panel's edge
        painted = " ".join("".join(s.text for s in panel.render_line(y)) for y in range(panel.size.height))
        assert " ".join(app.session.phase.note.split()[-3:]) in " ".join(painted.split()), app.session.phase.key
        for column in ("#results", "#operands"):
            assert app.query_one(column).scrollbar_size_vertical == 0
        await pilot.press("right")


async def test_a_csv_names_its_text_columns_once_and_its_raw_predictions_share_one_format(tmp_path):
    from tests.helpers import screen_text, write

    rows = "".join(f"{i},Oslo,{(i * 7919) % 300000 - 150000 if i % 3 else 92500.25}\n" for i in range(1, 40))
    path = write(tmp_path, "size,city,price\n" + rows)
    app = build_app("--data", str(path))
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await pilot.pause()
        assert "column 'city' has no numbers, so it is not a feature" in screen_text(app)
        app.go_to_phase("error")
        await pilot.pause()
        view = next(v for v in app.query(MatrixView) if v.display and v.shown and v.shown.name == "predictions")
        raw = view.shown.array[:, 2:]
        texts = [view.shown.column_formats[2](value) for value in raw.ravel()]
        decimals = {len(t.split(".")[1]) if "." in t else 0 for t in texts}
        assert len(decimals) == 1 and all(len(t) <= 8 for t in texts)
