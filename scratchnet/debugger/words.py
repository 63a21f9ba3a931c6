"""What every phase says besides its numbers: a title, the equation in Unicode and LaTeX, a legend, a note.

The words of each operation live with that operation (`scratchnet/layer.py` holds the dense layer's);
this module holds only what they share.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Equation:
    unicode: str
    latex: str

    def as_dict(self) -> dict[str, str]:
        return {"unicode": self.unicode, "latex": self.latex}


@dataclass(frozen=True)
class Words:
    title: str
    equation: Equation
    legend: str
    note: str
