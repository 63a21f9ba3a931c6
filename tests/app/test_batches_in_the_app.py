"""Mini-batches and Adam on screen: where the debugger is, the update's state, and a session that reopens a batch."""

from __future__ import annotations

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
