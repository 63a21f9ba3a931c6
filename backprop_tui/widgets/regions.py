"""Decision regions: the class the network predicts over the input plane, with the data points on top.

For a 2-feature classifier. Each text cell holds two grid cells, one above the other, drawn as ▀ in the upper
cell's colour on the lower's, so the picture has twice the rows the panel has. The predicted classes come from
`scratchnet.regions.decision_regions` (one forward pass of the network's own operations); this widget only
paints them.

Colours are Okabe and Ito's palette, told apart by every common colour-vision deficiency, faded into the
background so the markers stand out. Each class also has a marker glyph (● × ▲ ■ …), so a point's true class
reads from its shape, and a point whose shape differs from the region under it is one the network gets wrong. In
the monochrome theme the regions are textures (░ ▒ ▓ …) instead of colours.

The panel keeps the last picture as lines (Textual's Line API) and draws it again only when `show` is given new
parameters or the panel changes size.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.strip import Strip
from textual.widget import Widget

from backprop_tui.themes import MONOCHROME_THEMES
from scratchnet.labels import class_indices
from scratchnet.network import DenseNetwork
from scratchnet.regions import RegionGrid, decision_regions

OKABE_ITO = ("#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7")
"""Okabe and Ito's colour-blind-safe palette, without its black (the background of a dark theme)."""
MARKERS = "●×▲■◆+▼◇"
"""One marker glyph per class, in class order (repeating past the eighth)."""
TEXTURES = "░▒▓·╳╱╲+"
"""The regions of the monochrome theme, one texture per class."""
FADE = 0.45
"""How far a region's colour goes from the background toward the class's hue."""
UNKNOWN = "?"
"""A cell where the network's output held NaN: no class."""
Parameters = Sequence[tuple[np.ndarray, np.ndarray]]


def marker(index: int) -> str:
    return MARKERS[index % len(MARKERS)]


def texture(index: int) -> str:
    return TEXTURES[index % len(TEXTURES)]


def class_colour(index: int, background: Color) -> Color:
    return background.blend(Color.parse(OKABE_ITO[index % len(OKABE_ITO)]), FADE)


def contrasting(colour: Color) -> Color:
    """Black or white, whichever stands out on `colour`."""
    return Color(0, 0, 0) if colour.brightness > 0.5 else Color(255, 255, 255)


class DecisionRegions(Widget):
    """Call `show(network, parameters, X, y, class_names)` with the epoch's parameters, a few times a second at
    most: each call is one forward pass over the panel's grid (about 15,000 points at 160 × 48)."""

    DEFAULT_CSS = """
    DecisionRegions {
        height: 1fr;
        min-height: 4;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.grid: RegionGrid | None = None
        """The last grid painted: each cell's predicted class."""
        self._given: tuple[DenseNetwork, Parameters, np.ndarray, np.ndarray, tuple[str, ...]] | None = None
        self._lines: list[Strip] = []
        self._drawn_for: tuple[int, int, str] | None = None

    def show(self, network: DenseNetwork, parameters: Parameters, X: np.ndarray, y: np.ndarray,
             class_names: Sequence[str]) -> None:
        """The regions of `network` with `parameters` over X's plane (N×2, standardized as the network sees it),
        and X's points marked by their true class: `y` one-hot (N×K) or class indices (N)."""
        labels = class_indices(y) if np.ndim(y) == 2 else np.asarray(y, dtype=np.intp)
        self._given = (network, parameters, np.asarray(X), labels, tuple(class_names))
        self._drawn_for = None
        self.refresh()

    @property
    def grid_shape(self) -> tuple[int, int]:
        """(rows, cols) of the grid the panel holds: two rows per text line, less the legend's line."""
        width, height = self.content_size
        return 2 * max(1, height - 1), max(1, width)

    def render_line(self, y: int) -> Strip:
        key = (*self.content_size, self.app.theme)
        if self._given is not None and self._drawn_for != key:
            self._lines = self._draw()
            self._drawn_for = key
        return self._lines[y] if y < len(self._lines) else Strip.blank(self.content_size.width)

    # --- drawing --------------------------------------------------------------------------------------------

    def _draw(self) -> list[Strip]:
        assert self._given is not None
        network, parameters, X, labels, names = self._given
        rows, cols = self.grid_shape
        self.grid = grid = decision_regions(network, parameters, X, rows, cols)
        background = self.background_colors[1]  # what the panel is painted on, whatever its container
        foreground = Color.parse(self.app.get_css_variables().get("foreground", "#e0e0e0"))
        monochrome = self.app.theme in MONOCHROME_THEMES
        paint = _Monochrome(background, foreground) if monochrome else _Colour(background)
        point_rows, point_cols = grid.locate(X)
        predicted = grid.classes[point_rows, point_cols]
        order = np.argsort(predicted == labels, kind="stable")[::-1]  # points the network gets wrong drawn last
        markers = {(int(point_rows[i]) // 2, int(point_cols[i])): (int(labels[i]), int(point_rows[i]) % 2)
                   for i in order}
        lines = []
        for line in range(rows // 2):
            halves = grid.classes[2 * line].tolist(), grid.classes[2 * line + 1].tolist()
            cells = []
            for column, (upper, lower) in enumerate(zip(*halves)):
                found = markers.get((line, column))
                if found is None:
                    cells.append(paint.cell_of(upper, lower))
                else:
                    label, half = found
                    cells.append(paint.marker(label, halves[half][column]))
            lines.append(Strip(_merged(cells), cols))
        lines.append(self._legend(paint, names, cols))
        return lines

    def _legend(self, paint: _Paint, names: tuple[str, ...], width: int) -> Strip:
        """Each class: its swatch, its marker and its name; then how to read them, where there is room."""
        base = self.rich_style
        segments: list[Segment] = []
        for index, name in enumerate(names):
            text, style = paint.swatch(index)
            segments += [Segment(text, style), Segment(f" {marker(index)} {name}  ", base)]
        how = f"{paint.area}: predicted · mark: true class"
        if sum(segment.cell_length for segment in segments) + len(how) <= width:
            segments.append(Segment(how, base + Style(dim=True)))
        return Strip(segments).crop(0, width).extend_cell_length(width, base)


Cell = tuple[str, Style]


def _merged(cells: list[Cell]) -> list[Segment]:
    """Runs of cells with one style as one segment each."""
    segments: list[Segment] = []
    text, style = "", None
    for char, cell_style in cells:
        if cell_style is style:
            text += char
            continue
        if text:
            segments.append(Segment(text, style))
        text, style = char, cell_style
    if text:
        segments.append(Segment(text, style))
    return segments


class _Paint:
    """How a cell, a marker and a legend swatch look: one Style object per look, reused by every cell."""

    area: str
    """What tells the regions apart: colour, or texture."""

    def __init__(self) -> None:
        self._styles: dict[tuple[object, ...], Style] = {}
        self._cells: dict[tuple[int, int], Cell] = {}

    def cell_of(self, upper: int, lower: int) -> Cell:
        """`cell`, worked out once per pair of classes."""
        found = self._cells.get((upper, lower))
        if found is None:
            found = self._cells[(upper, lower)] = self.cell(upper, lower)
        return found

    def style(self, *key: object, color: RichColor | None = None, bgcolor: RichColor | None = None,
              bold: bool | None = None, dim: bool | None = None) -> Style:
        if key not in self._styles:
            self._styles[key] = Style(color=color, bgcolor=bgcolor, bold=bold, dim=dim)
        return self._styles[key]

    def cell(self, upper: int, lower: int) -> Cell:
        raise NotImplementedError

    def marker(self, label: int, under: int) -> Cell:
        raise NotImplementedError

    def swatch(self, index: int) -> Cell:
        raise NotImplementedError


class _Colour(_Paint):
    area = "colour"

    def __init__(self, background: Color) -> None:
        super().__init__()
        self.background = background

    def colour(self, index: int) -> Color:
        return self.background if index < 0 else class_colour(index, self.background)

    def cell(self, upper: int, lower: int) -> Cell:
        if upper < 0 and lower < 0:
            return UNKNOWN, self.style("unknown", dim=True)
        return "▀", self.style("cell", upper, lower, color=self.colour(upper).rich_color,
                               bgcolor=self.colour(lower).rich_color)

    def marker(self, label: int, under: int) -> Cell:
        region = self.colour(under)
        return marker(label), self.style("marker", label, under, color=contrasting(region).rich_color,
                                         bgcolor=region.rich_color, bold=True)

    def swatch(self, index: int) -> Cell:
        return "██", self.style("swatch", index, color=self.colour(index).rich_color)


class _Monochrome(_Paint):
    area = "texture"

    def __init__(self, background: Color, foreground: Color) -> None:
        super().__init__()
        self.texture_colour = background.blend(foreground, 0.5).rich_color
        self.foreground = foreground.rich_color

    def cell(self, upper: int, lower: int) -> Cell:
        """The upper cell's texture: two textures cannot share a character."""
        if upper < 0:
            return UNKNOWN, self.style("unknown", dim=True)
        return texture(upper), self.style("texture", color=self.texture_colour)

    def marker(self, label: int, under: int) -> Cell:
        return marker(label), self.style("marker", color=self.foreground, bold=True)

    def swatch(self, index: int) -> Cell:
        return texture(index) * 2, self.style("texture", color=self.texture_colour)
