"""The headless progress bar: silent for quick runs, on stderr for long ones, gone when the run ends."""

from __future__ import annotations

import io
import sys

from backprop_tui.progress import EpochProgress


def test_a_quick_run_shows_nothing_and_loads_no_rich(monkeypatch):
    monkeypatch.delitem(sys.modules, "rich.progress", raising=False)
    out = io.StringIO()
    with EpochProgress(100, "training", file=out, force_terminal=True) as progress:
        for done in range(1, 101):
            progress(done)
    assert out.getvalue() == "" and "rich.progress" not in sys.modules


def test_a_long_run_draws_a_bar_with_its_count():
    out = io.StringIO()
    with EpochProgress(50, "epochs before epoch 50", show_after=0.0, file=out, force_terminal=True) as progress:
        progress(20)
    drawn = out.getvalue()
    assert "epochs before epoch 50" in drawn and "20/50" in drawn


def test_nothing_is_drawn_where_stderr_is_not_a_terminal():
    out = io.StringIO()
    with EpochProgress(50, "training", show_after=0.0, file=out, force_terminal=False) as progress:
        progress(20)
    assert out.getvalue() == ""
