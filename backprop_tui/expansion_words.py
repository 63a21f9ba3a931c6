"""The inspector's words about one explained cell, as plain lines: the widget and the handouts say the same.

No Textual or Rich here: the inspector styles these lines, the Markdown handout writes them as they are.
"""

from __future__ import annotations

from backprop_tui.cell_format import expansion_text, format_short
from scratchnet.debugger.explain import Explanation


def explanation_lines(explanation: Explanation) -> list[str]:
    """The expansion, then for a sum over the batch the samples that pull hardest, then for an update old → new."""
    lines = [expansion_text(explanation)]
    if explanation.top and explanation.n_nonfinite:  # no share of a NaN or infinite sum is worth a number
        picks = ", ".join(f"sample {c.sample} ({format_short(c.value)})" for c in explanation.top)
        lines.append(f"{explanation.n_terms:,} terms, one per sample; {explanation.n_nonfinite:,} of them NaN or ±∞, "
                     f"the first: {picks}")
    elif explanation.top:
        picks = ", ".join(f"sample {c.sample} ({format_short(c.value)}, {c.share:.1%})" for c in explanation.top)
        lines.append(f"{explanation.n_terms:,} terms, one per sample; largest |term| "
                     f"(% = its share of the sum of all |terms|): {picks}")
    change, before = explanation.change, explanation.before
    if change is not None and before is not None:  # both set together, on update phases
        lines.append(f"old → new: {format_short(before)} → {format_short(explanation.total)}    "
                     f"Δ = new − old = {format_short(change)}")
    return lines
