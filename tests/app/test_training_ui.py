"""Whole epochs in the app: parity with headless training, pause, divergence, reopening, branches, quitting."""

from __future__ import annotations

import re

import numpy as np
import pytest

from backprop_tui.cell_format import format_short
from backprop_tui.config import RunConfig, build_run
from backprop_tui.messages import OpenEpoch
from backprop_tui.screens.training_screen import TrainingScreen
from backprop_tui.session import Session
from backprop_tui.training import RunState
from backprop_tui.widgets.curve import Curve
from backprop_tui.widgets.loss_plot import LossPlot
from scratchnet import train
from tests.helpers import build_app, painted

SIZE = (160, 48)


def headless_losses(**changes) -> list[float]:
    run = build_run(RunConfig(**changes))
    config = run.config
    return train(run.network, run.dataset.X, run.dataset.y, config.learning_rate, config.epochs).losses


async def finish(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_a_default_run_matches_headless_train(launch):
    app, pilot = await launch('--speed', 'max', size=SIZE)
    await pilot.press("e")
    assert isinstance(app.screen, TrainingScreen)
    await finish(app, pilot)
    losses = app.session.losses
    assert app.training.state is RunState.DONE and len(losses) == 125
    assert losses == headless_losses()
    assert losses[-1] < 0.01
    assert len(app.session.parameters) == 126


async def test_a_run_held_at_the_gate_is_in_progress(launch):
    app, pilot = await launch('--speed', 'max', size=SIZE)
    app.training.trainer.gate.clear()  # the worker waits here before its first epoch
    await pilot.press("e")
    await pilot.pause()
    assert app.training.running and app.session.trained_epochs == 1
    app.training.trainer.gate.set()
    await finish(app, pilot)
    assert app.session.losses == headless_losses()


async def test_pause_and_resume(launch):
    app, pilot = await launch('--speed', '2', size=SIZE)
    await pilot.press("e", "space")
    assert app.training.state is RunState.PAUSED and app.training.trainer.paused
    for _ in range(500):  # until the worker is at the gate (bounded; no sleeping on a guess)
        if app.training.trainer.holding.is_set():
            break
        await pilot.pause(0.01)
    assert app.training.trainer.holding.is_set()
    await pilot.pause()  # the hand-over made before holding has arrived
    held = app.session.trained_epochs
    for _ in range(3):
        await pilot.pause()
    assert app.session.trained_epochs == held and app.training.running
    await pilot.press("space")
    assert app.training.state is RunState.RUNNING and not app.training.trainer.paused
    await pilot.press("m")
    assert app.training.trainer.speed is None
    await finish(app, pilot)
    assert app.session.losses == headless_losses()


async def test_stop_ends_the_run_early_and_e_continues_it(launch):
    app, pilot = await launch('--speed', 'max', size=SIZE)
    app.training.trainer.gate.clear()
    await pilot.press("e", "x")
    await finish(app, pilot)
    assert app.training.state is RunState.STOPPED and app.session.trained_epochs < 125
    app.training.trainer.gate.set()
    await pilot.press("e")
    await finish(app, pilot)
    assert app.session.losses == headless_losses()


async def test_e_after_a_finished_run_watches_it_again_from_epoch_0(launch):
    app, pilot = await launch('--speed', 'max', '--epochs', '40', size=SIZE)
    await pilot.press("e")
    await finish(app, pilot)
    first = list(app.session.losses)
    await pilot.press("escape", "end", "right", "right")  # the debugger at epoch 1, then back to the run
    assert app.session.epoch == 1
    app.training.trainer.gate.clear()  # hold the new run at its first epoch, to see it start over
    await pilot.press("e", "e")
    await pilot.pause()
    assert app.training.running and app.session.trained_epochs < 40 and app.session.epoch == 0
    app.training.trainer.gate.set()
    await finish(app, pilot)
    assert app.training.state is RunState.DONE and app.session.losses == first == headless_losses()[:40]


async def test_divergence_stops_the_run_and_the_app_stays_alive(launch):
    app, pilot = await launch('--lr', '5', '--speed', 'max', size=SIZE)
    await pilot.press("e")
    await finish(app, pilot)
    assert app.training.state is RunState.DIVERGED
    k = app.session.diverged_at
    assert k is not None and f"diverged at epoch {k}" in app.training.message
    plot = app.screen.query_one(LossPlot)
    assert plot.frame is not None
    await pilot.press("L", "P")  # the log scale, then pictures off: the sparkline strip holds finite values only
    await pilot.pause()
    curve = app.screen.query_one(Curve)
    assert curve.display and all(np.isfinite(curve.sparkline.data))
    await pilot.press("escape", "right")
    assert app.is_running and app.session.phase.key == "forward.2"


def stepped_tape(epoch: int):
    session = Session.start(RunConfig())
    while session.epoch < epoch:
        session.next_phase()
    return session.tape


def assert_same_tape(a, b) -> None:
    assert a.keys == b.keys and a.epoch == b.epoch
    for pa, pb in zip(a, b):
        for name in (*pa.inputs, *pa.outputs):
            assert np.array_equal(pa.matrix(name), pb.matrix(name)), (pa.key, name)


async def test_reopening_an_epoch_gives_the_tape_stepping_there_makes(launch):
    app, pilot = await launch('--speed', 'max', size=SIZE)
    await pilot.press("e")
    await finish(app, pilot)
    await pilot.press("o", *"7", "enter")
    assert not isinstance(app.screen, TrainingScreen)
    assert (app.session.epoch, app.session.phase.key) == (7, "forward.1")
    assert_same_tape(app.session.tape, stepped_tape(7))


async def test_the_loss_table_and_the_sparkline_open_epochs(launch):
    app, pilot = await launch('--speed', 'max', size=SIZE)
    await pilot.press("e")
    await finish(app, pilot)
    table = app.screen.query_one("#loss-table")
    table.move_cursor(row=2)
    await pilot.press("enter")
    assert app.session.epoch == 40
    await pilot.press("e")
    await pilot.pause()
    plot = app.screen.query_one(LossPlot)
    y = plot.region.y + plot.region.height // 2
    x = next(x for x in range(plot.region.x, plot.region.right) if plot.epoch_at(x, y) == 62)
    await pilot.click(plot, offset=(x - plot.region.x, y - plot.region.y))
    assert not isinstance(app.screen, TrainingScreen)
    assert app.session.epoch == 62


async def test_a_branch_reruns_from_the_same_initial_weights_with_another_eta(launch):
    app, pilot = await launch('--speed', 'max', size=SIZE)
    await pilot.press("e")
    await finish(app, pilot)
    await pilot.press("b", *"0.03 40", "enter")
    await finish(app, pilot)
    branch = app.session.branches[0]
    assert branch.learning_rate == 0.03 and branch.losses == headless_losses(learning_rate=0.03, epochs=40)
    legend = painted(app.screen.query_one(LossPlot).legend)
    assert "training · η = 0.01" in legend and "branch · η = 0.03" in legend


async def test_quitting_mid_run_ends_the_training_thread():
    app = build_app("--speed", "max")
    async with app.run_test(size=SIZE) as pilot:
        app.training.trainer.gate.clear()  # held mid-run
        await pilot.press("e")
        await pilot.pause()
        assert app.training.running and not app.training.thread_done.is_set()
        await pilot.press("q")
    assert app.training.thread_done.wait(timeout=5), "the training thread did not return after quitting"


def test_training_shortens_gil_handoffs_and_restores_the_interval():
    import sys
    import threading

    from backprop_tui.gil_handoff import TRAINING_SWITCH_INTERVAL, quick_handoffs

    before = sys.getswitchinterval()
    inside = threading.Event()
    release = threading.Event()

    def worker():
        with quick_handoffs():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=worker)
    thread.start()
    assert inside.wait(5)
    with quick_handoffs():  # nested from another thread: the first one out must not restore yet
        assert sys.getswitchinterval() == pytest.approx(TRAINING_SWITCH_INTERVAL)
    assert sys.getswitchinterval() == pytest.approx(TRAINING_SWITCH_INTERVAL)
    release.set()
    thread.join(5)
    assert sys.getswitchinterval() == before


def table_rows(screen) -> list[tuple[str, str]]:
    table = screen.query_one("#loss-table")
    return [tuple(str(cell) for cell in table.get_row_at(index)[:2]) for index in range(table.row_count)]


def expected_rows(losses: list[float]) -> list[tuple[str, str]]:
    from backprop_tui.cell_format import format_value
    from backprop_tui.loss_rows import loss_rows

    return [(str(epoch), format_value(loss).strip()) for epoch, loss in loss_rows(losses, 20)]


async def test_the_loss_table_follows_a_run_that_stops_and_continues(launch):
    app, pilot = await launch('--speed', 'max', size=SIZE)
    app.training.trainer.gate.clear()
    await pilot.press("e", "x")
    await finish(app, pilot)
    app.screen.refresh_view()
    partial = list(app.session.losses)
    assert len(partial) < 125 and table_rows(app.screen) == expected_rows(partial)
    app.training.trainer.gate.set()
    await pilot.press("e")
    await finish(app, pilot)
    full = table_rows(app.screen)
    assert full == expected_rows(app.session.losses) and full[-1][0] == "124"
    assert len(full) == len(expected_rows(app.session.losses))  # no row of the stopped run left behind


async def test_the_loss_tables_running_last_row_is_edited_in_place(launch):
    app, pilot = await launch('--speed', 'max', size=SIZE)
    await pilot.press("e")
    await finish(app, pilot)
    full = list(app.session.losses)
    screen = app.screen
    for seen in (57, 58, 99, 125, 30):  # the table as a run shows it going, then a shorter run's
        app.session.losses[:] = full[:seen]
        screen.refresh_view()
        assert table_rows(screen) == expected_rows(full[:seen])


async def test_a_run_keeps_gil_handoffs_short_until_it_ends():
    import sys

    from backprop_tui.gil_handoff import TRAINING_SWITCH_INTERVAL

    before = sys.getswitchinterval()
    app = build_app("--speed", "max")
    async with app.run_test(size=SIZE) as pilot:
        app.training.trainer.gate.clear()
        await pilot.press("e")
        for _ in range(500):  # until the worker is at the gate (bounded; no sleeping on a guess)
            if app.training.trainer.holding.is_set():
                break
            await pilot.pause(0.01)
        assert sys.getswitchinterval() == pytest.approx(TRAINING_SWITCH_INTERVAL)
        app.training.trainer.gate.set()
        await finish(app, pilot)
    assert sys.getswitchinterval() == before


def headless_divergence(**changes) -> int | None:
    run = build_run(RunConfig(**changes))
    config = run.config
    return train(run.network, run.dataset.X, run.dataset.y, config.learning_rate, config.epochs).diverged_at


def epochs_named(app) -> set[str]:
    """Every epoch number the training screen's header lines name ("epoch 1", not "2/125 epochs run")."""
    texts = [str(app.screen.query_one(selector).render()) for selector in
             ("#train-status", "#progress-label", "#train-message")]
    return set(re.findall(r"\bepoch (\d+)", " ".join(texts)))


async def test_divergence_is_counted_as_train_counts_it_on_every_line():
    expected = headless_divergence(learning_rate=5.0)
    assert expected == 1
    app = build_app("--lr", "5", "--speed", "max")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await finish(app, pilot)
        assert app.training.state is RunState.DIVERGED and app.session.diverged_at == expected
        assert epochs_named(app) == {str(expected)}
        assert f"{expected + 1}/125 epochs run" in str(app.screen.query_one("#progress-label").render())


async def test_stepping_past_divergence_marks_the_epoch_and_e_reports_where_it_began():
    expected = headless_divergence(learning_rate=5.0)
    app = build_app("--lr", "5", "--speed", "max")
    async with app.run_test(size=SIZE) as pilot:
        status = app.query_one("#status")
        assert "diverge" not in str(status.render())
        while app.session.epoch < 5:  # by now the loss is NaN
            await pilot.press("end", "right")
        assert f"epoch 5 (past divergence at epoch {expected})" in str(status.render())
        app.post_message(OpenEpoch(expected))
        await pilot.pause()
        assert f"epoch {expected} (diverged here)" in str(status.render())
        known = app.session.trained_epochs
        await pilot.press("e")
        await finish(app, pilot)
        assert app.training.state is RunState.DIVERGED and app.session.diverged_at == expected
        assert f"diverged at epoch {expected} " in app.training.message and epochs_named(app) == {str(expected)}
        assert app.session.trained_epochs == known  # nothing run past it


async def test_at_80x24_the_panels_take_turns_and_the_loss_stays_in_sight(launch, tmp_path):
    app, pilot = await launch("--dataset", "circle", "--samples", "200", "--hidden", "8:relu", "--epochs", "20",
                              "--speed", "max", "--out", str(tmp_path), size=(80, 24))
    await pilot.press("e")
    await finish(app, pilot)
    screen = app.screen
    shown = [name for name in TrainingScreen.PANELS if screen.query_one(f"#{name}").display]
    assert screen.has_class("-folded") and shown == ["loss-plot"]
    assert f"loss {format_short(app.session.losses[-1])}" in painted(screen.query_one("#progress-label"))
    for expected in TrainingScreen.PANELS[1:]:
        await pilot.press("v")
        await pilot.pause()
        assert [name for name in TrainingScreen.PANELS if screen.query_one(f"#{name}").display] == [expected]
    await pilot.press("v", "P")  # back to the plot; pictures off: the sparkline strip, the table in their place
    await pilot.pause()
    assert screen.query_one("#loss-strip").display and not screen.query_one("#loss-plot").display
    assert screen.query_one("#loss-table").display
    await pilot.resize_terminal(40, 12)
    await pilot.pause()
    assert screen.has_class("-tiny") and screen.query_one("#loss-strip").display
    assert not screen.query_one("#loss-table").display


async def test_p_writes_the_loss_plot_as_an_svg_into_out(launch, tmp_path):
    import xml.etree.ElementTree as ElementTree

    app, pilot = await launch("--samples", "100", "--epochs", "10", "--speed", "max", "--out", str(tmp_path),
                              size=SIZE)
    await pilot.press("e")
    await finish(app, pilot)
    await pilot.press("p")
    await pilot.pause()
    written = list(tmp_path.glob("backprop-loss-epoch9*.svg"))
    assert len(written) == 1 and ElementTree.parse(written[0]).getroot().tag.endswith("svg")
    assert "training · η = 0.01" in written[0].read_text(encoding="utf-8")


async def test_what_the_network_learned_is_also_said_in_dollars_per_unit(launch):
    from scratchnet.debugger.collapse import map_in_units

    app, pilot = await launch("--speed", "max", size=SIZE)
    await pilot.press("e")
    await finish(app, pilot)
    await pilot.pause(0.2)
    dataset = app.session.run.dataset
    slope, intercept = map_in_units(app.session.parameters[-1], dataset.feature_scaler.mean,
                                    dataset.feature_scaler.std, float(dataset.target_scaler.mean[0]),
                                    float(dataset.target_scaler.std[0]))
    words = painted(app.screen.query_one("#learned"))
    assert "in the data's own units, price ≈" in words and "$ per" in words
    row = next(line for line in words.splitlines() if "× size_sqft" in line)
    assert format_short(float(slope[0])) in row and "sq ft" in row and "600.0000" in row
    assert 590 < slope[0] < 610
