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


async def test_a_classifier_trained_in_batches_shows_running_and_held_out_losses_and_accuracies(launch):
    from textual.widgets import DataTable

    from backprop_tui.screens.training_screen import TrainingScreen

    app, pilot = await launch("--dataset", "circle", "--samples", "120", "--batch-size", "32", "--test-fraction",
                              "0.25", "--epochs", "6", "--speed", "max", size=(160, 48))
    await pilot.press("e")
    await app.workers.wait_for_complete()
    await pilot.pause()
    session = app.session
    assert len(session.losses) == len(session.running_losses) == len(session.test_losses) == 6
    assert sorted(session.accuracies) == sorted(session.test_accuracies) == list(range(6))
    assert session.running_losses != session.losses  # the mean of the batch losses is not the epoch's loss
    screen = app.screen
    assert isinstance(screen, TrainingScreen)
    table = screen.query_one(DataTable)
    assert [str(column.label) for column in table.columns.values()] == [
        "Epoch", "Loss", "Running", "Held-out", "Acc.", "Held-out acc."]
    last = [str(cell) for cell in table.get_row_at(table.row_count - 1)]
    assert last[3] == format_short(session.test_losses[5]) and last[5] == f"{session.test_accuracies[5]:.1%}"
    label = painted(screen.query_one("#progress-label"))
    assert f"held-out loss {format_short(session.test_losses[5])}" in label
    assert f"running loss {format_short(session.running_losses[5])}" in label


async def _trained(launch, epochs: int = 3):
    app, pilot = await launch(*ARGV, "--epochs", str(epochs), "--speed", "max", size=(160, 48))
    await pilot.press("e")
    await app.workers.wait_for_complete()
    await pilot.pause()
    return app, pilot


async def test_the_palette_opens_any_batch_of_an_epoch_run(launch):
    app, pilot = await _trained(launch)
    await pilot.press("escape", "ctrl+p", *"epoch 2 batch 3")
    await pilot.pause(0.3)
    await pilot.press("enter")
    await pilot.pause()
    assert (app.session.epoch, app.session.iteration, app.session.position.phase) == (2, 2, 0)
    assert "epoch 2 · batch 3/3" in painted(app.query_one(StatusLine))


async def test_the_training_screen_opens_an_epoch_and_batch_typed_and_refuses_a_batch_that_is_not_there(launch):
    app, pilot = await _trained(launch)
    await pilot.press("o", *"1 2", "enter")
    await pilot.pause()
    assert app.training_screen is None and (app.session.epoch, app.session.iteration) == (1, 1)
    await pilot.press("e")
    await app.workers.wait_for_complete()
    await pilot.press("o", *"1 4", "enter")
    await pilot.pause()
    assert app.training_screen is not None and (app.session.epoch, app.session.iteration) == (1, 1)


async def test_the_quiz_asks_again_at_each_batch(launch):
    app, pilot = await launch(*ARGV, "--quiz", size=(160, 48))
    assert app.hiding and app.session.iteration == 0
    await pilot.press("enter")  # reveal batch 1's first phase
    await pilot.pause()
    assert not app.hiding
    app.session.go_to_epoch(0, "forward.1", iteration=1)
    app.show_position()
    await pilot.pause()
    assert app.session.iteration == 1 and app.hiding  # the same phase of batch 2 is a new question
    app.session.go_to_epoch(0, "forward.1", iteration=0)
    app.show_position()
    await pilot.pause()
    assert not app.hiding  # batch 1's answer is remembered
