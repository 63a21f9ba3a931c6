"""Mini-batches and Adam on screen: where the debugger is, the update's state, and a session that reopens a batch."""

from __future__ import annotations

from backprop_tui.cell_format import format_short
from backprop_tui.session_file import load_session
from backprop_tui.widgets.matrix_view import MatrixView
from backprop_tui.widgets.status_line import StatusLine
from tests.helpers import build_app, painted

ARGV = ("--batch-size", "100", "--optimizer", "adam", "--samples", "250")


async def test_the_status_line_says_which_batch_and_right_past_the_last_phase_opens_the_next(launch):
    app, pilot = await launch(*ARGV, size=(160, 48))
    assert "epoch 0 · batch 1/3" in painted(app.query_one(StatusLine))
    await pilot.press("end", "right")
    await pilot.pause()
    assert app.session.iteration == 1 and "epoch 0 · batch 2/3" in painted(app.query_one(StatusLine))


async def test_delta_on_an_adam_update_leaves_out_what_had_no_value_before(launch):
    app, pilot = await launch(*ARGV, size=(160, 48))
    app.go_to_phase("update.1")
    await pilot.pause()
    await pilot.press("tab", "d")
    await pilot.pause()
    names = [v.shown.name for v in app.query(MatrixView) if v.display and v.shown is not None]
    assert "ΔW1" in names and "ΔmW1" in names and not any(name.startswith("Δm̂") or name.startswith("Δŝ")
                                                         for name in names)


async def test_a_session_file_reopens_the_batch_it_was_saved_on(tmp_path):
    path = tmp_path / "batches.toml"
    app = build_app(*ARGV, "--session", str(path))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("end", "right", "right", "q")
    assert load_session(path).iteration == 1
    again = build_app("--session", str(path))
    async with again.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert again.session.iteration == 1 and again.session.phase.key == "forward.2"


async def test_a_batchs_x_and_y_rows_are_numbered_by_their_data_rows(launch):
    app, pilot = await launch(*ARGV, size=(160, 48))
    rows = app.session.tape.batch_rows
    assert rows is not None and not (rows == range(len(rows))).all()
    view = next(v for v in app.query(MatrixView) if v.display and v.shown is not None and v.shown.name == "X")
    first_row = "".join(segment.text for segment in view.render_line(1)).split()[0]
    assert first_row == str(rows[0])


async def test_a_batch_cell_of_x_says_which_data_row_it_came_from(launch):
    from backprop_tui.widgets.inspector import Inspector

    app, pilot = await launch(*ARGV, size=(160, 48))
    rows = app.session.tape.batch_rows
    await pilot.press("tab", "tab")  # the result, then X
    await pilot.pause()
    text = app.query_one(Inspector).text
    assert f"(the batch's row 0, data row {rows[0]})" in text
    standardized = format_short(float(app.session.run.dataset.X[rows[0], 0]))  # that data row's value, not row 0's
    assert text.split("\n")[-1].endswith(f"= {standardized}") or f"= {standardized}" in text
