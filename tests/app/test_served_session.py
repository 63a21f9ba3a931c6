"""A session served to a room keeps its startup heap out of the collector's full passes; a local one does not."""

from __future__ import annotations

import gc
import weakref

import pytest

import backprop_tui.app
from backprop_tui.startup_heap import freeze_startup_heap


@pytest.mark.parametrize("role", ["attendee", "instructor", None])
async def test_a_served_session_freezes_its_startup_heap_once_drawn(launch, monkeypatch, role):
    if role is None:
        monkeypatch.delenv("BACKPROP_ROLE", raising=False)
    else:
        monkeypatch.setenv("BACKPROP_ROLE", role)
    calls = []
    monkeypatch.setattr(backprop_tui.app, "freeze_startup_heap", lambda: calls.append(1))  # not this test process
    app, pilot = await launch()
    await pilot.pause()
    assert calls == ([1] if role else [])


def test_freezing_collects_cyclic_garbage_first_and_then_skips_what_is_left():
    class Node:
        pass

    garbage = Node()
    garbage.itself = garbage  # a cycle: only the collector frees it
    dead = weakref.ref(garbage)
    kept = Node()
    del garbage
    try:
        freeze_startup_heap()
        assert dead() is None  # not frozen along with the rest
        assert gc.get_freeze_count() > 0 and not any(obj is kept for obj in gc.get_objects())
    finally:
        gc.unfreeze()  # this is a test process: its objects go back to the collector
