"""σ over the batch's Z beside an activation phase: shown on activation phases only, with the counts the tape's
Z gives, shrunk on a short screen and gone on a tiny one, and readable without colour."""

from __future__ import annotations

import numpy as np
from rich.color import Color

from backprop_tui.widgets.activation_plot import HELD_BACK, ActivationPlot, percent
from tests.helpers import painted

ARGV = ("--dataset", "circle", "--hidden", "8:relu,4:tanh", "--samples", "200")


def plot(app) -> ActivationPlot:
    return app.query_one(ActivationPlot)


def is_shown(widget) -> bool:
    return bool(widget.display and widget.parent.display and widget.size.height > 0)


async def test_the_plot_shows_on_activation_phases_only(launch):
    app, pilot = await launch(*ARGV)
    keys = app.session.tape.keys
    for key in keys:
        app.go_to_phase(key)
        await pilot.pause()
        activation = key.startswith("activation.") or key.endswith(".activation")
        assert is_shown(plot(app)) is activation, key


async def test_a_relu_phase_counts_the_entries_of_Z_at_or_below_0(launch):
    app, pilot = await launch(*ARGV)
    app.go_to_phase("activation.1")
    await pilot.pause()
    Z = app.session.phase.inputs["Z1"]
    share = np.count_nonzero(Z <= 0) / Z.size
    dead = int(np.count_nonzero(np.all(Z <= 0, axis=0)))
    text = painted(plot(app))
    assert f"{share:.0%} of Z₁ ≤ 0: they pass no gradient back" in text
    assert plot(app).border_title == "relu(z) over Z₁"
    assert plot(app).border_subtitle == f"{dead} of 8 units dead (≤ 0 for every sample)"
    bars = next(line for line in text.splitlines() if "Z₁ │" in line).split("│", 1)[1]
    assert len(bars.strip()) > 0 and set(bars) <= set(" ▁▂▃▄▅▆▇█")


async def test_the_backward_phase_draws_sigma_prime_and_a_tanh_counts_saturation(launch):
    app, pilot = await launch(*ARGV)
    app.go_to_phase("backward.2.activation")
    await pilot.pause()
    Z = app.session.phase.inputs["Z2"]
    saturated = int(np.count_nonzero(1 - np.tanh(Z) ** 2 <= 0.01))
    assert plot(app).border_title == "tanh'(z) over Z₂"
    assert plot(app).profile.held.entries == saturated
    assert plot(app).count_text == (f"{percent(saturated / Z.size)} of Z₂ saturated (σ' ≤ 0.01): they pass almost "
                                    "no gradient back")
    top_label = painted(plot(app)).splitlines()[0].split("┤")[0]
    assert 0 < float(top_label) <= 1  # σ' of tanh peaks at 1, at z = 0


async def test_held_back_columns_are_orange_in_colour_and_dim_and_dashed_in_monochrome(launch):
    for theme, held_style in (("dark", "colour"), ("monochrome", "dim")):
        app, pilot = await launch(*ARGV, "--theme", theme)
        app.go_to_phase("activation.1")
        await pilot.pause()
        widget = plot(app)
        lines = [list(widget.render_line(y)) for y in range(widget.size.height)]
        axis = next(line for line in lines if "└" in "".join(s.text for s in line))
        assert "╌" in "".join(s.text for s in axis) and "─" in "".join(s.text for s in axis)
        bars = next(line for line in lines if "Z₁ │" in "".join(s.text for s in line))
        styles = [s.style for s in bars for char in s.text if char in "▁▂▃▄▅▆▇█"]
        held = [style for style in styles if style.color == Color.parse(HELD_BACK) or style.dim]
        live = [style for style in styles if style not in held]
        assert held and live
        if held_style == "dim":  # brightness, not hue: no bar is coloured at all
            assert all(style.dim for style in held) and not any(style.dim for style in live)
            assert not any(style.color == Color.parse(HELD_BACK) for style in styles)
        else:
            assert all(style.color == Color.parse(HELD_BACK) for style in held)


async def test_a_short_screen_keeps_the_count_and_a_tiny_one_hides_the_plot(launch):
    app, pilot = await launch(*ARGV, size=(80, 24))
    app.go_to_phase("activation.1")
    await pilot.pause()
    assert is_shown(plot(app)) and plot(app).outer_size.height == 3
    assert "of Z₁ ≤ 0" in painted(plot(app)).splitlines()[-1]
    await pilot.resize_terminal(40, 12)
    await pilot.pause()
    assert not is_shown(plot(app))
    await pilot.resize_terminal(160, 48)
    await pilot.pause()
    assert is_shown(plot(app)) and plot(app).outer_size.height == 11


async def test_the_quiz_hides_the_plot_until_the_result_is_revealed(launch):
    app, pilot = await launch(*ARGV, "--quiz")
    app.go_to_phase("activation.1")
    await pilot.pause()
    assert app.hiding and not is_shown(plot(app))
    await pilot.press("enter")
    await pilot.pause()
    assert not app.hiding and is_shown(plot(app))


async def test_the_article_network_never_shows_it(launch):
    app, pilot = await launch()
    for key in app.session.tape.keys:
        app.go_to_phase(key)
        await pilot.pause()
        assert not is_shown(plot(app))


async def test_a_large_Z_is_counted_in_a_worker_and_only_its_own_result_is_shown(launch, monkeypatch):
    from backprop_tui.widgets import activation_plot

    monkeypatch.setattr(activation_plot, "IN_STEP", 100)  # the 200 × 8 Z₁ now counts as large
    app, pilot = await launch(*ARGV)
    app.go_to_phase("activation.1")
    app.go_to_phase("activation.2")  # the first worker is cancelled, or its result arrives for a Z left behind
    assert plot(app).profile is None and plot(app).count_text == "counting the 800 entries of Z₂…"
    while any(not worker.is_finished for worker in app.workers):
        await pilot.pause(0.01)
    await pilot.pause()
    Z = app.session.phase.inputs["Z2"]
    widget = plot(app)
    assert widget.Z is Z and widget.profile is not None
    assert widget.profile.held.entries == np.count_nonzero(1 - np.tanh(Z) ** 2 <= 0.01)
    assert widget.profile.held.size == Z.size and "of Z₂ saturated" in painted(widget)
