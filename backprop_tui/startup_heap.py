"""A served session's startup heap, kept out of the garbage collector's full passes.

What exists once a session has drawn its first screen (imported modules, the run's data and
tape, the widgets and their caches: about 70,000 tracked objects) lives as long as the session.
CPython's full collection still walked all of it every ten or so keys (about 35 ms under
run_test), and in a room every attendee's process makes the same allocations for the same keys,
so all of them collected on the same key: in benchmarks/serve_capacity.py two keys of an epoch
cost each attendee 70-98 ms of CPU instead of about 30, and with 40 attendees on two cores they
reached the last screen 1.7 and 2.1 s after the key, against a median of 0.64 s. Frozen after
one collection (so no cyclic garbage is kept with it), the startup heap is skipped: a full pass
goes only through what later keys made (6-8 ms), the slowest key of the epoch is 1.5× the
median, and a followed key costs an attendee 27-29 ms of CPU instead of 33-36.

Only served sessions freeze: a test process that runs many apps must not keep each one's
objects for good.
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Collect once, then move every object the collector tracks out of its reach for good."""
    gc.collect()
    gc.freeze()
