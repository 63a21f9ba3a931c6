"""Pilot tests of the inspector: selecting cells, the expansion, origins, highlights, Δ, watch and gradient check."""

from __future__ import annotations

import numpy as np

from backprop_tui.cell_format import format_value
from backprop_tui.widgets.inspector import Inspector
from backprop_tui.widgets.matrix_view import MatrixView
from backprop_tui.widgets.watch_panel import WatchPanel, sparkline
from tests.helpers import build_app

SIZE = (160, 48)


def view(app, name) -> MatrixView:
    return next(v for v in app.query(MatrixView) if v.display and v.shown is not None and v.shown.name == name)


def inspector_text(app) -> str:
    return app.query_one(Inspector).text


def explanation_of(app):
    """What the inspector explains now."""
    return app.query_one(Inspector).explanation


async def test_tab_focuses_the_result_and_keys_move_the_cursor(launch):
    app, pilot = await launch(size=SIZE)
    await pilot.press("tab")
    z1 = view(app, "Z1")
    assert app.focused is z1 and z1.cursor == (0, 0)
    await pilot.press("j", "j", "l", "shift+down", "shift+right", "k", "h", "shift+left", "shift+up")
    assert z1.cursor == (1, 0)
    await pilot.press("G")
    assert z1.cursor == (999, 7)
    await pilot.press("g")
    assert z1.cursor == (0, 0)
    await pilot.press("h", "k")
    assert z1.cursor == (0, 0)  # clamped at the edges


async def test_the_expansion_uses_the_tapes_own_value_for_every_cell_visited(launch):
    app, pilot = await launch(size=SIZE)
    await pilot.press("tab", "j", "j", "l", "l")
    z1 = app.session.phase.outputs["Z1"]
    explanation = explanation_of(app)
    assert explanation.cell == "Z₁[2,2]" and explanation.total == z1[2, 2]
    X, W1 = app.session.phase.inputs["X"], app.session.phase.inputs["W1"]
    assert [t.value for t in explanation.terms] == [X[2, k] * W1[k, 2] for k in range(4)]
    assert "Z₁[2,2] = X[2,:]·W₁[:,2] + b₁[2]" in inspector_text(app)


async def test_click_selects_a_cell(launch):
    app, pilot = await launch(size=SIZE)
    z1 = view(app, "Z1")
    gutter, width = z1.gutter_width, z1.cell_width
    # border (1) + gutter, then the third column; header line + border, then the fourth row
    await pilot.click(z1, offset=(1 + gutter + 2 * width + 3, 1 + 1 + 3))
    assert app.focused is z1 and z1.cursor == (3, 2)
    assert explanation_of(app).cell == "Z₁[3,2]"


async def test_first_arrival_shows_the_top_left_and_coming_back_shows_the_selected_cell(launch):
    app, pilot = await launch(size=SIZE)
    await pilot.press("right")
    assert explanation_of(app).cell == "Z₂[0,0]"
    await pilot.press("tab", "j", "j", "j", "l")
    assert explanation_of(app).cell == "Z₂[3,1]"
    await pilot.press("right", "right", "left", "left")
    assert app.session.phase.key == "forward.2"
    assert explanation_of(app).cell == "Z₂[3,1]"


async def test_every_phase_kind_has_an_expansion_equal_to_the_tape(launch):
    app, pilot = await launch(size=SIZE)
    for phase in app.session.tape:
        app.go_to_phase(phase.key)
        await pilot.pause()
        result = phase.outputs[phase.result_name]
        expected = float(result) if result.ndim == 0 else float(result[0, 0])
        assert explanation_of(app) is not None and explanation_of(app).total == expected, phase.key


async def test_batch_sums_show_the_top_three_samples(launch):
    app, pilot = await launch(size=SIZE)
    app.go_to_phase("backward.2.weight")
    await pilot.pause()
    explanation = explanation_of(app)
    assert explanation.n_terms == 1000 and len(explanation.top) == 3
    phase = app.session.phase
    terms = phase.inputs["Z1"][:, 0] * phase.inputs["dX3"][:, 0]
    assert [c.sample for c in explanation.top] == list(np.argsort(-np.abs(terms))[:3])
    assert "1,000 terms" in inspector_text(app) and f"sample {explanation.top[0].sample}" in inspector_text(app)
    share = abs(terms[explanation.top[0].sample]) / np.abs(terms).sum()
    assert f"{share:.1%})" in inspector_text(app) and "share of the sum of all |terms|" in inspector_text(app)


async def test_operand_cells_say_where_they_came_from(launch):
    app, pilot = await launch(size=SIZE)
    await pilot.press("tab", "tab")
    assert app.focused.shown.name == "X"
    await pilot.press("j")
    dataset = app.session.run.dataset
    raw = dataset.feature_scaler.inverse(dataset.X[1:2])[0, 0]
    text = inspector_text(app)
    assert "size_sqft" in text and "sq ft" in text and f"{raw:,.4g}" in text
    await pilot.press("tab")
    assert "initial parameter" in inspector_text(app)
    app.go_to_phase("forward.2")
    await pilot.pause()
    await pilot.press("tab", "tab")
    assert "forward.1" in inspector_text(app)


async def test_a_data_cells_standardization_reproduces_by_hand_and_headers_are_whole(launch):
    import re

    app, pilot = await launch(size=SIZE)
    await pilot.press("tab", "tab")
    assert app.focused.shown.name == "X"
    headers = ""
    for _ in range(4):  # the header of each column as the cursor walks along the row
        headers += "".join(segment.text for segment in app.focused.render_line(0))
        await pilot.press("l")
    assert all(name in headers for name in app.session.run.dataset.feature_names)  # distance_km is not cut
    await pilot.press("g")
    worked = re.compile(r"\(([−\d,.e+]+) − mean ([−\d,.e+]+)\) / std ([\d,.e+]+) = ([−\d.e+]+)")
    number = lambda text: float(text.replace(",", "").replace("−", "-"))  # noqa: E731
    checked = set()
    for _ in range(4):
        for _ in range(6):
            raw, mean, std, shown = worked.search(inspector_text(app)).groups()
            assert format_value((number(raw) - number(mean)) / number(std)).strip() == shown
            checked.add(app.focused.cursor)
            await pilot.press("j")
        await pilot.press("l", *["k"] * 6)
    assert len(checked) == 24


async def test_selecting_an_output_cell_highlights_what_it_reads(launch):
    app, pilot = await launch(size=SIZE)
    await pilot.press("tab", "j", "j", "l")
    assert (view(app, "X").highlight_row, view(app, "X").highlight_column) == (2, None)
    assert (view(app, "W1").highlight_row, view(app, "W1").highlight_column) == (None, 1)
    app.go_to_phase("backward.1.weight")
    await pilot.pause()
    await pilot.press("tab", "l", "j")
    assert (view(app, "X").highlight_row, view(app, "X").highlight_column) == (None, 1)
    assert (view(app, "dX2").highlight_row, view(app, "dX2").highlight_column) == (None, 1)


async def test_every_matrix_has_a_stats_line():
    app = build_app()
    async with app.run_test(size=SIZE):
        X = app.session.phase.inputs["X"]
        subtitle = view(app, "X").border_subtitle
        assert f"min {X.min():.4f}".replace("-", "−") in subtitle
        assert "NaN 0" in subtitle and "inf 0" in subtitle and "‖·‖" in subtitle


async def test_update_shows_old_new_and_the_change_matrix_toggles(launch):
    app, pilot = await launch(size=SIZE)
    await pilot.press("end")
    explanation = explanation_of(app)
    phase = app.session.phase
    assert explanation.before == phase.inputs["W3"][0, 0] and explanation.total == phase.outputs["W3'"][0, 0]
    assert "old → new" in inspector_text(app)
    assert "ΔW3" not in [v.shown.name for v in app.query(MatrixView) if v.display and v.shown]
    await pilot.press("d")
    delta = view(app, "ΔW3")
    expected = phase.outputs["W3'"] - phase.inputs["W3"]
    assert np.array_equal(delta.shown.array, expected)
    biggest = np.unravel_index(np.argmax(np.abs(expected)), expected.shape)
    assert tuple(int(i) for i in biggest) in delta.shown.marked
    await pilot.press("d")
    assert "ΔW3" not in [v.shown.name for v in app.query(MatrixView) if v.display and v.shown]


async def test_watch_pins_a_cell_and_follows_it_across_epochs(launch):
    app, pilot = await launch(size=SIZE)
    app.go_to_phase("forward.2")
    await pilot.pause()
    await pilot.press("tab", "tab", "tab", "j", "j", "j", "l")  # W2[3,1]
    assert app.focused.shown.name == "W2" and app.focused.cursor == (3, 1)
    await pilot.press("w")
    panel = app.query_one(WatchPanel)
    assert panel.display
    W2_epoch0 = float(app.session.phase.inputs["W2"][3, 1])
    await pilot.press("end", "right", "right")
    assert app.session.epoch == 1
    assert len(panel.rows) == 1 and panel.rows[0][0].startswith("W₂[3,1] = ")
    pin = app.session.pins[0]
    history = app.session.pin_history(pin)
    assert history[0] == W2_epoch0 and len(history) == len(app.session.parameters)
    assert app.session.pin_value(pin) == float(app.session.phase.inputs["W2"][3, 1])
    await pilot.press("left", "left")
    assert app.session.epoch == 0 and app.session.pin_value(pin) == float(app.session.parameters[0][1][0][3, 1])


async def test_gradient_check_runs_in_a_worker_and_reports_tiny_errors(launch):
    app, pilot = await launch(size=SIZE)
    app.go_to_phase("backward.2.weight")
    await pilot.pause()
    await pilot.press("c")
    await app.workers.wait_for_complete()
    await pilot.pause()
    check = app.panels.checks[(0, "backward.2.weight")]
    assert not check.sampled and len(check.cells) == 32
    assert check.max_relative_error < 1e-9
    assert view(app, "relative_error").shown.array.shape == (8, 4)
    assert "max relative error" in inspector_text(app)


async def test_gradient_check_samples_large_gradients_and_says_so(launch):
    app, pilot = await launch(size=SIZE)
    app.go_to_phase("backward.2.input")
    await pilot.pause()
    await pilot.press("c")
    await app.workers.wait_for_complete()
    await pilot.pause()
    check = app.panels.checks[(0, "backward.2.input")]
    assert check.sampled and len(check.cells) == 1000 and check.max_relative_error < 1e-9
    assert "seeded sample of 1,000 of 8,000 cells" in inspector_text(app)


def test_watch_sparkline_scales_buckets_and_skips_non_finite():
    assert sparkline([0.0, 1.0], 10) == "▁█"
    assert sparkline([2.0, 2.0, 2.0], 10) == "▅▅▅"
    assert sparkline([0.0, float("nan"), 1.0, float("inf")], 10) == "▁█"
    assert sparkline(list(range(100)), 4) == "▁▃▆█"
    assert sparkline([], 5) == "" and sparkline([1.0], 0) == ""


async def test_batch_sums_of_nan_terms_name_them_without_shares():
    app = build_app("--lr", "5")
    async with app.run_test(size=SIZE) as pilot:
        while app.session.epoch < 5:  # diverged: the loss and every gradient are NaN
            await pilot.press("end", "right")
        for key in ("loss", "backward.3.weight", "backward.2.bias"):
            app.go_to_phase(key)
            await pilot.pause()
            text = inspector_text(app)
            assert "%" not in text and "largest |term|" not in text, (key, text)
            assert "1,000 of them NaN or ±∞, the first: sample 0 (NaN)" in text, (key, text)
