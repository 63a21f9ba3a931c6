"""One line that says where we are: data, architecture, η, epoch (and whether training had diverged by then),
phase k/n, loss."""

from __future__ import annotations

from textual.widgets import Static

from backprop_tui.cell_format import format_value


class StatusLine(Static):
    def show(self, *, source: str, sizes: tuple[int, ...], learning_rate: float, dtype: str, epoch: int,
             phase: int, n_phases: int, title: str, loss: float | None,
             score: tuple[int, int] | None = None, diverged_at: int | None = None) -> None:
        # Most useful first: a narrow terminal cuts the end of the line.
        where = f"epoch {epoch}"
        if diverged_at is not None and epoch >= diverged_at:
            where += " (diverged here)" if epoch == diverged_at else f" (past divergence at epoch {diverged_at})"
        parts = [where, f"phase {phase + 1}/{n_phases} {title}"]
        if loss is not None:
            parts.append(f"loss {format_value(loss).strip()}")
        if score is not None:
            parts.append(f"quiz {score[0]}/{score[1]}")
        parts += ["→".join(map(str, sizes)), f"η = {learning_rate:g}", dtype, source]
        self.update(" · ".join(parts))
