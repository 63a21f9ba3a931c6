"""One line that says where we are: data, architecture, η, epoch (and whether training had diverged by then),
phase k/n, loss."""

from __future__ import annotations

from textual.widgets import Static

from backprop_tui.cell_format import format_value
from backprop_tui.session import Session


class StatusLine(Static):
    def show(self, session: Session, *, loss_known: bool = True, score: tuple[int, int] | None = None,
             note: str | None = None) -> None:
        """`loss_known`: False while a quiz still asks for the loss; `score`: the quiz's, in quiz mode; `note`: what
        must be read first (a served session that has stopped following), at the start."""
        tape, diverged_at, epoch = session.tape, session.diverged_at, session.epoch
        loss = tape.loss if loss_known else None
        # Most useful first: a narrow terminal cuts the end of the line.
        where = f"epoch {epoch}"
        if session.iterations > 1:
            where += f" · batch {session.iteration + 1}/{session.iterations}"
        if diverged_at is not None and epoch >= diverged_at:
            where += " (diverged here)" if epoch == diverged_at else f" (past divergence at epoch {diverged_at})"
        parts = [note] if note else []
        parts += [where, f"phase {session.position.phase + 1}/{len(tape)} {session.phase.title}"]
        if loss is not None:
            parts.append(f"loss {format_value(loss).strip()}")
            if (share := session.accuracy) is not None:
                parts.append(f"accuracy {share:.1%}")
        if score is not None:
            parts.append(f"quiz {score[0]}/{score[1]}")
        parts += ["→".join(map(str, tape.sizes)), f"η = {session.config.learning_rate:g}", tape.dtype,
                  session.run.dataset.source]
        self.update(" · ".join(parts))
