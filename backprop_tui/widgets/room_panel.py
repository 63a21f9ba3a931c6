"""Reading the room, on the instructor's screen when served: for the phase shown, how many answered the quiz and how
many were right, the most common wrong answers, who follows and who explores, and where the explorers are.

It shows only what the server's report says (counts, never who), and is drawn again at its own width, so the
explorers' bars fit a 24-column panel at 80×24 as well as a wide one. Answers are drawn as plain text: nothing
an attendee typed is read as markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widget import Widget

from backprop_tui.room_packets import Report

BAR = "█"


class RoomPanel(Widget):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.report: Report | None = None
        self._order: tuple[str, ...] = ()

    def show(self, report: Report, order: Sequence[str]) -> None:
        """The latest report; `order` is the tape's phase keys, the order the explorers' histogram is drawn in."""
        self.report, self._order = report, tuple(order)
        self.border_title = f"Room · {report.attendees} here"
        self.add_class("-on")
        self.refresh()

    def render(self) -> Text:
        report = self.report
        if report is None:
            return Text()
        width = max(8, self.content_size.width)
        answers: list[Text] = []
        if report.place is not None:
            where = f"{report.place.phase} · epoch {report.place.epoch}"
            if report.place.iteration:
                where += f" · batch {report.place.iteration + 1}"
            answers.append(Text(_cut(where, width), style="bold"))
        answers.append(Text(f"answered {report.answered}/{report.attendees}"))
        answers += _pair(f"✓ right {report.right}", f"✗ wrong {report.answered - report.right}", width)
        groups = [answers]
        if report.wrong:
            groups.append([Text("Most common wrong", style="dim"), *_counts(report.wrong, width, bars=False)])
        groups.append(_pair(f"following {report.following}", f"exploring {report.exploring}", width))
        if report.explorers:
            rank = {key: index for index, key in enumerate(self._order)}
            ordered = sorted(report.explorers, key=lambda pair: rank.get(pair[0], len(rank)))
            groups.append([Text("Explorers are on", style="dim"), *_counts(tuple(ordered), width, bars=True)])
        spaced = sum(map(len, groups)) + len(groups) - 1 <= self.content_size.height  # a blank line between, if it fits
        lines = [line for index, group in enumerate(groups) for line in ([Text()] if spaced and index else []) + group]
        return Text("\n", no_wrap=True).join(lines)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _pair(first: str, second: str, width: int) -> list[Text]:
    """On one line if they fit, else one under the other."""
    together = f"{first} · {second}"
    return [Text(together)] if len(together) <= width else [Text(_cut(first, width)), Text(_cut(second, width))]


def _counts(pairs: tuple[tuple[str, int], ...], width: int, *, bars: bool) -> list[Text]:
    """One line per (name, count): the name, cut to fit, then a bar scaled to the largest count, then the count."""
    digits = max(len(str(count)) for _, count in pairs)
    top = max(count for _, count in pairs)
    bar_width = (width - digits - 3) // 3 if bars else 0
    label_width = max(1, min(max(len(name) for name, _ in pairs), width - digits - 3 - bar_width))
    lines = []
    for name, count in pairs:
        line = Text(" " + _cut(name, label_width).ljust(label_width) + " ", no_wrap=True)
        if bars:
            line.append((BAR * max(1, round(bar_width * count / top))).ljust(bar_width), style="bold")
        line.append(str(count).rjust(width - line.cell_len))
        lines.append(line)
    return lines
