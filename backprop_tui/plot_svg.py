"""The loss plot as a standalone SVG file: the same curves, axes, ticks and notes as the screen's widget.

A vector picture for a report or a slide, printable in black and white: each curve has its own dash
pattern and marker shape besides its colour, and the legend shows all three. The file is the same bytes
for the same losses (no dates, no random ids, numbers rounded to 0.01 px), and is written atomically. No
Textual here: the drawing is worked out by `loss_curves` and `plot_scale`, as the widget's is.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from backprop_tui.atomic import write_atomic
from backprop_tui.loss_curves import LossFrame, LossSeries, PreparedCurve, prepare

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
LEFT, RIGHT, TOP = 84, 24, 44
AXIS_BELOW = 52
"""Room under the plot for the epoch ticks and the word "epoch"."""
LINE_HEIGHT = 20
LEGEND_COLUMNS = 3
MARKER = 4.5
"""Half the size of a marker, in px."""
INK, FAINT = "#222222", "#e4e4e4"


def loss_svg(series: Sequence[LossSeries], log_scale: bool, *, title: str = "", width: int = 800,
             plot_height: int = 360) -> str:
    """The plot of `series` on a linear or log₁₀ loss axis, as the text of an SVG file `width` px wide."""
    plot_width = max(width - LEFT - RIGHT, 50)
    frame = prepare(series, log_scale, columns=plot_width, markers=10, x_ticks=9, y_ticks=7)
    box = _Box(LEFT, TOP, LEFT + plot_width, TOP + max(plot_height, 50), frame)
    legend_rows = -(-(len(frame.curves) + _has_missing(frame)) // LEGEND_COLUMNS)
    height = box.bottom + AXIS_BELOW + LINE_HEIGHT * (legend_rows + len(frame.notes)) + 12
    svg = ET.Element("svg", {"xmlns": SVG_NAMESPACE, "width": str(width), "height": str(height),
                             "viewBox": f"0 0 {width} {height}", "font-family": FONT, "font-size": "12",
                             "class": "loss-plot", "data-scale": "log" if log_scale else "linear"})
    ET.SubElement(svg, "title").text = title or "Loss per epoch"
    ET.SubElement(svg, "rect", {"width": str(width), "height": str(height), "fill": "#ffffff"})
    if title:
        _text(svg, box.left, 24, title, {"class": "title", "font-size": "15", "font-weight": "bold"})
    _axes(svg, box, frame)
    for curve in frame.curves:
        _curve(svg, box, curve)
    _legend(svg, box, frame)
    for number, note in enumerate(frame.notes):
        y = box.bottom + AXIS_BELOW + LINE_HEIGHT * (legend_rows + number) + 14
        _text(svg, LEFT, y, note, {"class": "note"})
    ET.indent(svg, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(svg, encoding="unicode") + "\n"


def write_loss_svg(path: Path | str, series: Sequence[LossSeries], log_scale: bool, *, title: str = "",
                   width: int = 800, plot_height: int = 360) -> Path:
    """Write `loss_svg(...)` to `path` atomically (the old file, if any, stays whole on failure)."""
    return write_atomic(path, loss_svg(series, log_scale, title=title, width=width, plot_height=plot_height))


class _Box:
    """The plot's rectangle in px, and where an epoch and a fraction of the loss axis land in it."""

    def __init__(self, left: float, top: float, right: float, bottom: float, frame: LossFrame) -> None:
        self.left, self.top, self.right, self.bottom = left, top, right, bottom
        self.x = frame.x

    def px(self, epochs: np.ndarray) -> np.ndarray:
        return self.left + self.x.fractions(epochs) * (self.right - self.left)

    def py(self, fractions: np.ndarray) -> np.ndarray:
        return self.bottom - np.asarray(fractions, dtype=np.float64) * (self.bottom - self.top)


def _axes(svg: ET.Element, box: _Box, frame: LossFrame) -> None:
    grid = ET.SubElement(svg, "g", {"class": "grid", "stroke": FAINT, "stroke-width": "1"})
    x_axis = ET.SubElement(svg, "g", {"class": "x-axis"})
    y_axis = ET.SubElement(svg, "g", {"class": "y-axis", "data-scale": "log" if frame.log_scale else "linear"})
    for at, label in zip(box.px(np.array(frame.x.ticks)), frame.x.labels):
        _line(grid, at, box.top, at, box.bottom, {})
        _line(x_axis, at, box.bottom, at, box.bottom + 5, {"class": "tick", "stroke": INK})
        _text(x_axis, at, box.bottom + 19, label, {"class": "tick-label", "text-anchor": "middle"})
    for at, label in zip(box.py(frame.y.tick_fractions), frame.y.labels):
        _line(grid, box.left, at, box.right, at, {})
        _line(y_axis, box.left - 5, at, box.left, at, {"class": "tick", "stroke": INK})
        _text(y_axis, box.left - 8, at + 4, label, {"class": "tick-label", "text-anchor": "end"})
    _text(x_axis, (box.left + box.right) / 2, box.bottom + 40, frame.x.title,
          {"class": "axis-label", "text-anchor": "middle"})
    middle = (box.top + box.bottom) / 2
    _text(y_axis, 18, middle, frame.y.title, {"class": "axis-label", "text-anchor": "middle",
                                               "transform": f"rotate(-90 18 {_n(middle)})"})
    ET.SubElement(svg, "rect", {"class": "frame", "x": _n(box.left), "y": _n(box.top),
                                "width": _n(box.right - box.left), "height": _n(box.bottom - box.top),
                                "fill": "none", "stroke": INK, "stroke-width": "1"})


def _curve(svg: ET.Element, box: _Box, curve: PreparedCurve) -> None:
    style = curve.style
    group = ET.SubElement(svg, "g", {"class": "series", "data-label": curve.label, "data-kind": curve.kind.value})
    for epochs, heights in curve.runs:
        points = " ".join(f"{_n(x)},{_n(y)}" for x, y in zip(box.px(epochs), box.py(heights)))
        attributes = {"class": "line", "points": points, "fill": "none", "stroke": style.colour,
                      "stroke-width": "1.6", "stroke-linejoin": "round"}
        if style.dash:
            attributes["stroke-dasharray"] = style.dash
        ET.SubElement(group, "polyline", attributes)
    markers = ET.SubElement(group, "g", {"class": "markers"})
    for x, y in zip(box.px(curve.dots[0]), box.py(curve.dots[1])):
        _marker(markers, style.shape, float(x), float(y), style.colour)
    if len(curve.missing.epochs):
        missing = ET.SubElement(group, "g", {"class": "missing"})
        for epoch, x in zip(curve.missing.epochs, box.px(curve.missing.epochs)):
            mark = _marker(missing, "cross", float(x), box.top + MARKER + 2, style.colour)
            mark.set("class", "missing-mark")
            mark.set("data-epoch", str(int(epoch)))


def _legend(svg: ET.Element, box: _Box, frame: LossFrame) -> None:
    legend = ET.SubElement(svg, "g", {"class": "legend"})
    column_width = (box.right - LEFT) / LEGEND_COLUMNS
    entries = [(curve.label, curve) for curve in frame.curves]
    for number, (label, curve) in enumerate(entries):
        x = LEFT + column_width * (number % LEGEND_COLUMNS)
        y = box.bottom + AXIS_BELOW + LINE_HEIGHT * (number // LEGEND_COLUMNS) + 8
        entry = ET.SubElement(legend, "g", {"class": "legend-entry", "data-label": label})
        sample = {"stroke": curve.style.colour, "stroke-width": "1.6"}
        if curve.style.dash:
            sample["stroke-dasharray"] = curve.style.dash
        _line(entry, x, y, x + 36, y, sample)
        _marker(entry, curve.style.shape, x + 18, y, curve.style.colour)
        _text(entry, x + 44, y + 4, label, {})
    if _has_missing(frame):
        number = len(entries)
        x = LEFT + column_width * (number % LEGEND_COLUMNS)
        y = box.bottom + AXIS_BELOW + LINE_HEIGHT * (number // LEGEND_COLUMNS) + 8
        entry = ET.SubElement(legend, "g", {"class": "legend-entry", "data-label": "not drawn"})
        _marker(entry, "cross", x + 18, y, INK)
        _text(entry, x + 44, y + 4, "not drawn (see below)", {})


def _has_missing(frame: LossFrame) -> int:
    return int(any(curve.missing.count for curve in frame.curves))


def _marker(parent: ET.Element, shape: str, x: float, y: float, colour: str) -> ET.Element:
    """A marker shape centred on (x, y): filled shapes, or strokes for the plus and the cross (the cross is
    kept for losses not drawn)."""
    r = MARKER
    filled = {"fill": colour, "stroke": "none"}
    stroked = {"fill": "none", "stroke": colour, "stroke-width": "1.8"}
    if shape == "circle":
        return ET.SubElement(parent, "circle", {"cx": _n(x), "cy": _n(y), "r": _n(r * 0.9), **filled})
    if shape == "square":
        return ET.SubElement(parent, "rect", {"x": _n(x - r * 0.8), "y": _n(y - r * 0.8), "width": _n(r * 1.6),
                                              "height": _n(r * 1.6), **filled})
    corners: tuple[tuple[float, float], ...]
    if shape == "triangle":
        corners = ((x, y - r), (x + r, y + r * 0.8), (x - r, y + r * 0.8))
    elif shape == "triangle-down":
        corners = ((x, y + r), (x - r, y - r * 0.8), (x + r, y - r * 0.8))
    elif shape == "diamond":
        corners = ((x, y - r), (x + r, y), (x, y + r), (x - r, y))
    else:
        d = (f"M{_n(x - r)},{_n(y)}H{_n(x + r)}M{_n(x)},{_n(y - r)}V{_n(y + r)}" if shape == "plus" else
             f"M{_n(x - r)},{_n(y - r)}L{_n(x + r)},{_n(y + r)}M{_n(x - r)},{_n(y + r)}L{_n(x + r)},{_n(y - r)}")
        return ET.SubElement(parent, "path", {"d": d, **stroked})
    points = " ".join(f"{_n(a)},{_n(b)}" for a, b in corners)
    return ET.SubElement(parent, "polygon", {"points": points, **filled})


def _line(parent: ET.Element, x1: float, y1: float, x2: float, y2: float, attributes: dict[str, str]) -> None:
    ET.SubElement(parent, "line", {"x1": _n(x1), "y1": _n(y1), "x2": _n(x2), "y2": _n(y2), **attributes})


def _text(parent: ET.Element, x: float, y: float, text: str, attributes: dict[str, str]) -> None:
    ET.SubElement(parent, "text", {"x": _n(x), "y": _n(y), "fill": INK, **attributes}).text = text


def _n(value: float) -> str:
    """A coordinate to 0.01 px, without trailing zeros: the same losses always give the same bytes."""
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
