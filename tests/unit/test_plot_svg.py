"""The SVG export of the loss plot, read back with xml.etree: axes, ticks, one group per curve, the log scale
said, NaN and inf cut out and marked, curves told apart by dashes and marker shapes, the same bytes each time."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from backprop_tui.loss_curves import CurveKind, LossSeries
from backprop_tui.plot_svg import loss_svg, write_loss_svg

SVG = "{http://www.w3.org/2000/svg}"
FALLING = [7.5 * math.exp(-epoch / 18) + 0.0033 for epoch in range(125)]


def parse(text: str) -> ET.Element:
    return ET.fromstring(text.encode("utf-8"))


def group(root: ET.Element, name: str) -> ET.Element:
    found = root.find(f".//{SVG}g[@class='{name}']")
    assert found is not None, name
    return found


def tick_labels(axis: ET.Element) -> list[tuple[str, float]]:
    """(label, its y) for each tick label of an axis, in the file's order."""
    return [(text.text or "", float(text.get("y", "nan"))) for text in axis.iter(f"{SVG}text")
            if text.get("class") == "tick-label"]


def curves() -> list[LossSeries]:
    return [LossSeries("training", FALLING),
            LossSeries("held-out", [loss * 1.2 for loss in FALLING], kind=CurveKind.HELD_OUT),
            LossSeries("η = 0.05", [loss * 1.5 for loss in FALLING[:80]], kind=CurveKind.BRANCH)]


def test_axes_have_epoch_and_loss_ticks_and_titles():
    root = parse(loss_svg(curves(), log_scale=False, title="Loss per epoch"))
    assert root.tag == f"{SVG}svg" and root.get("data-scale") == "linear"
    x_axis, y_axis = group(root, "x-axis"), group(root, "y-axis")
    assert [label for label, _ in tick_labels(x_axis)] == ["0", "20", "40", "60", "80", "100", "120"]
    assert [label for label, _ in tick_labels(y_axis)] == ["0", "2", "4", "6", "8", "10"]  # up to 11.25
    ys = [y for _, y in tick_labels(y_axis)]
    steps = [a - b for a, b in zip(ys, ys[1:])]
    assert max(steps) - min(steps) < 0.05 and min(steps) > 0  # equal losses, equal steps up the page
    titles = {text.text for text in root.iter(f"{SVG}text") if text.get("class") == "axis-label"}
    assert titles == {"epoch", "loss"}
    assert len(x_axis.findall(f"{SVG}line[@class='tick']")) == 7


def test_a_log_scale_is_said_and_its_powers_of_ten_are_evenly_spaced():
    losses = [10.0 ** (1 - 3 * epoch / 124) for epoch in range(125)]
    root = parse(loss_svg([LossSeries("training", losses)], log_scale=True))
    y_axis = group(root, "y-axis")
    assert root.get("data-scale") == "log" and y_axis.get("data-scale") == "log"
    assert any("log₁₀" in (text.text or "") for text in y_axis.iter(f"{SVG}text") if text.get("class") == "axis-label")
    ticks = tick_labels(y_axis)
    assert [label for label, _ in ticks] == ["10⁻²", "10⁻¹", "10⁰", "10¹"]
    ys = [y for _, y in ticks]
    steps = [a - b for a, b in zip(ys, ys[1:])]
    assert max(steps) - min(steps) < 0.05
    # The curve, a straight line on this scale, runs from the top-left corner to the bottom-right one.
    frame = root.find(f"{SVG}rect[@class='frame']")
    assert frame is not None
    points = [tuple(map(float, point.split(","))) for point in
              group(root, "series").find(f"{SVG}polyline").get("points", "").split()]  # type: ignore[union-attr]
    top, bottom = float(frame.get("y", "0")), float(frame.get("y", "0")) + float(frame.get("height", "0"))
    assert points[0][1] == pytest.approx(top, abs=0.01) and points[-1][1] == pytest.approx(bottom, abs=0.01)


def test_one_group_per_curve_told_apart_by_dashes_and_marker_shapes():
    root = parse(loss_svg(curves(), log_scale=True))
    series = root.findall(f".//{SVG}g[@class='series']")
    assert [one.get("data-label") for one in series] == ["training", "held-out", "η = 0.05"]
    dashes = {one.find(f"{SVG}polyline").get("stroke-dasharray") for one in series}  # type: ignore[union-attr]
    assert len(dashes) == 3
    shapes = {tuple(sorted({(marker.tag, marker.get("d", "")[:1]) for marker in one.find(f"{SVG}g[@class='markers']")}))  # type: ignore[union-attr]
              for one in series}
    assert len(shapes) == 3 and all(shapes)
    legend = [entry.get("data-label") for entry in group(root, "legend")]
    assert legend == ["training", "held-out", "η = 0.05"]


def test_nan_and_inf_cut_the_line_and_are_marked_and_said():
    losses = [*FALLING[:50], math.nan, math.inf, *FALLING[52:]]
    text = loss_svg([LossSeries("training", losses)], log_scale=False)
    assert "nan" not in text.lower().replace("nan or inf", "")
    root = parse(text)
    series = group(root, "series")
    assert len(series.findall(f"{SVG}polyline")) == 2, "the line stops at the missing losses"
    marks = series.findall(f".//{SVG}*[@class='missing-mark']")
    assert sorted(int(mark.get("data-epoch", "-1")) for mark in marks) == [50, 51]
    notes = [text.text or "" for text in root.iter(f"{SVG}text") if text.get("class") == "note"]
    assert notes == ["✗ training: 2 epochs NaN or inf (first: epoch 50), not drawn"]
    assert "not drawn" in [entry.get("data-label") for entry in group(root, "legend")]


def test_losses_at_or_below_zero_are_left_out_of_a_log_scale_and_said():
    root = parse(loss_svg([LossSeries("training", [1.0, 0.0, -2.0, 0.5, 0.25])], log_scale=True))
    notes = [text.text or "" for text in root.iter(f"{SVG}text") if text.get("class") == "note"]
    assert notes == ["✗ training: 2 epochs ≤ 0, which a log scale cannot show (first: epoch 1), not drawn"]


@pytest.mark.parametrize("losses", [[], [math.nan], [5.0], [1e308, 1.7e308, 1e-300]])
def test_what_cannot_be_placed_still_gives_a_valid_file(losses):
    for log_scale in (False, True):
        root = parse(loss_svg([LossSeries("training", losses)], log_scale))
        assert tick_labels(group(root, "y-axis")) and tick_labels(group(root, "x-axis"))


def test_ten_thousand_epochs_are_thinned_to_the_width_and_a_spike_survives():
    losses = [1.0 / (1 + epoch) for epoch in range(10_000)]
    losses[6_543] = 5.0
    root = parse(loss_svg([LossSeries("training", losses)], log_scale=False, width=800))
    points = group(root, "series").find(f"{SVG}polyline").get("points", "").split()  # type: ignore[union-attr]
    assert len(points) <= 2 * 800
    frame = root.find(f"{SVG}rect[@class='frame']")
    assert frame is not None
    assert min(float(point.split(",")[1]) for point in points) == pytest.approx(float(frame.get("y", "0")), abs=0.01)


def test_the_file_is_deterministic_and_written_whole(tmp_path):
    target = tmp_path / "loss.svg"
    target.write_text("old")
    written = write_loss_svg(target, curves(), log_scale=True, title="Loss")
    assert written == target
    assert target.read_text(encoding="utf-8") == loss_svg(curves(), log_scale=True, title="Loss")
    assert loss_svg(curves(), log_scale=True) == loss_svg(curves(), log_scale=True)
    assert [path.name for path in tmp_path.iterdir()] == ["loss.svg"]
