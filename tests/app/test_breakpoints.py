"""Breakpoints in the app: b marks a phase, B edits them, C continues until one holds and opens there."""

from __future__ import annotations

from textual.widgets import DataTable

from backprop_tui.screens.breakpoint_editor import BreakpointEditor
from backprop_tui.screens.training_screen import TrainingScreen
from backprop_tui.session_file import load_session
from backprop_tui.training import RunState
from backprop_tui.widgets.phase_list import PhaseList
from tests.helpers import build_app, painted

SIZE = (160, 48)


async def test_b_marks_the_phase_and_c_goes_to_it_in_this_iteration_or_the_next(launch):
    app, pilot = await launch("--samples", "50", size=SIZE)
    app.go_to_phase("backward.2.weight")
    await pilot.pause()
    await pilot.press("b")
    await pilot.pause()
    assert app.session.breakpoints.phases() == ["backward.2.weight"]
    assert "Layer 2 · ∂L/∂W₂ ●" in painted(app.query_one(PhaseList))
    app.go_to_phase("forward.1")
    await pilot.press("C")
    await pilot.pause()
    assert (app.session.epoch, app.session.phase.key) == (0, "backward.2.weight")
    await pilot.press("C")
    await pilot.pause()
    assert (app.session.epoch, app.session.phase.key) == (1, "backward.2.weight")
    await pilot.press("b")
    await pilot.pause()
    assert app.session.breakpoints.phases() == [] and "●" not in painted(app.query_one(PhaseList))


async def test_c_without_breakpoints_says_how_to_set_one(launch):
    app, pilot = await launch("--samples", "50", size=SIZE)
    await pilot.press("C")
    await pilot.pause()
    assert app.session.phase.key == "forward.1"
    assert any("No breakpoints" in str(n.message) for n in app._notifications)


async def test_the_editor_adds_a_condition_points_at_a_mistake_and_toggles_and_deletes(launch):
    app, pilot = await launch("--samples", "50", size=SIZE)
    await pilot.press("B", *"norm(dW9) > 1", "enter")
    await pilot.pause()
    editor = app.screen
    assert isinstance(editor, BreakpointEditor) and "no matrix 'dW9'" in editor.problem
    problem = painted(editor.query_one("#breakpoint-problem"))
    assert "norm(dW9) > 1" in problem and "\u00a0" * 5 + "^ this network has no matrix 'dW9'" in problem
    assert app.session.breakpoints.entries == []
    await pilot.press(*["backspace"] * 13, *"loss<0.5 or nan", "enter")
    await pilot.pause()
    assert [entry.text for entry in app.session.breakpoints.entries] == ["loss < 0.5 or nan"]
    assert editor.problem == "" and painted(editor.query_one("#breakpoint-problem")).strip() == ""
    await pilot.press("tab", "space")  # to the table: disable it
    await pilot.pause()
    assert not app.session.breakpoints.entries[0].enabled and app.session.breakpoints.conditions() == []
    table = editor.query_one(DataTable)
    assert str(table.get_row_at(0)[0]) == "○"
    await pilot.press("space", "d")
    await pilot.pause()
    assert app.session.breakpoints.entries == []
    await pilot.press("escape")
    await pilot.pause()
    assert not isinstance(app.screen, BreakpointEditor)


async def test_continue_runs_until_the_loss_falls_below_a_value_and_opens_the_loss_phase(launch):
    app, pilot = await launch("--samples", "200", "--lr", "0.05", "--speed", "max", size=SIZE)
    app.session.breakpoints.add_condition("loss < 0.5")
    await pilot.press("C")
    await app.workers.wait_for_complete()
    await pilot.pause()
    session = app.session
    assert not isinstance(app.screen, TrainingScreen) and app.training.state is RunState.HIT
    assert session.phase.key == "loss" and session.view.matrix == "loss"
    assert session.losses[session.epoch] < 0.5 and all(loss >= 0.5 for loss in session.losses[:session.epoch])


async def test_continue_past_a_divergence_stops_at_the_first_non_finite_value_and_c_stops_a_run(launch):
    app, pilot = await launch("--samples", "200", "--lr", "2", "--speed", "max", size=SIZE)
    app.session.breakpoints.add_condition("nan")
    await pilot.press("C")
    await app.workers.wait_for_complete()
    await pilot.pause()
    session = app.session
    assert (session.epoch, session.phase.key, session.view.matrix) == (4, "forward.2", "Z2")
    assert "Stopped at epoch 4: nan" in app.training.message
    session.breakpoints.delete(0)
    session.breakpoints.add_condition("epoch == 100000")
    app.training.trainer.gate.clear()  # held at the gate: the continue cannot end before C stops it
    await pilot.press("r", "C")
    await pilot.pause()
    assert app.training.continuing and isinstance(app.screen, TrainingScreen)
    await pilot.press("C")  # C again stops it
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert app.training.state is RunState.STOPPED and not app.training.continuing


async def test_a_session_file_saves_and_reopens_breakpoints(tmp_path):
    path = tmp_path / "s.toml"
    app = build_app("--samples", "50", "--session", str(path))
    async with app.run_test(size=SIZE) as pilot:
        app.go_to_phase("update.1")
        await pilot.press("b", "B", *"ratio(W1) > 0.5", "enter", "escape", "q")
    saved = load_session(path)
    assert [(entry.kind, entry.text) for entry in saved.breakpoints] == [("phase", "update.1"),
                                                                          ("condition", "ratio(W1) > 0.5")]
    again = build_app("--session", str(path))
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert again.session.breakpoints.entries == list(saved.breakpoints)
        assert "Layer 1 · update ●" in painted(again.query_one(PhaseList))


async def test_h_shows_gradient_health_per_layer_and_a_non_finite_loss_is_said_there(launch):
    app, pilot = await launch("--samples", "200", "--lr", "2", "--epochs", "8", "--speed", "max", size=SIZE)
    await pilot.press("e")
    await app.workers.wait_for_complete()
    await pilot.press("escape", "H")
    await pilot.pause()
    panel = app.query_one("#debugger-health")
    text = " ".join(painted(panel).split())
    assert panel.display and "‖dW₁‖" in text and "ratio W₃" in text  # the run stopped at the divergence rule
    assert "The loss rose at epoch 1" in text and text.count("✗") == 1  # the legend's alone
    app.session.breakpoints.add_condition("nan")
    await pilot.press("C")  # on past the divergence, to the first non-finite value
    await app.workers.wait_for_complete()
    await pilot.pause()
    text = " ".join(painted(panel).split())
    assert text.count("✗") > 1 and "The loss is not a finite number from epoch 4" in text
    await pilot.press("H")
    await pilot.pause()
    assert not panel.display
