"""Memory over a long session: 10,000 steps across 50 epochs, forward and back.

Resident memory after a warm-up against the end (goal: < 10% growth), and whether tapes
of epochs left behind are freed (weak references to them must die). Then the same walk
through the app's keys under run_test, shorter, since each press also paints.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from pathlib import Path

import _timing

from backprop_tui.cli import make_app
from backprop_tui.config import RunConfig
from backprop_tui.session import Session

STEPS = 10_000
EPOCHS = 50


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def walk(session: Session, steps: int, tapes: list) -> None:
    forward = True
    for _ in range(steps):
        before = session.tape
        if forward:
            session.next_phase()
            forward = session.epoch < EPOCHS
        else:
            session.previous_phase()
            forward = session.epoch == 0 and session.position.phase == 0
        if session.tape is not before:
            tapes.append(weakref.ref(before))


async def app_walk(presses: int) -> tuple[float, float]:
    app = make_app([])
    app.animation_level = "none"
    async with app.run_test(size=(160, 48)) as pilot:
        warm = None
        for number in range(presses):
            await pilot.press("right" if (number // (18 * 5)) % 2 == 0 else "left")
            if number == presses // 5:
                gc.collect()
                warm = rss_mb()
        gc.collect()
        return warm, rss_mb()


def main() -> None:
    print("\n".join(_timing.machine_lines()))
    session = Session.start(RunConfig())
    tapes: list = []
    walk(session, 1_000, tapes)
    gc.collect()
    warm = rss_mb()
    walk(session, STEPS - 1_000, tapes)
    gc.collect()
    end = rss_mb()
    alive = sum(1 for ref in tapes if ref() is not None)
    print(f"session: {STEPS:,} steps across {EPOCHS} epochs: RSS {warm:.1f} MB after warm-up → {end:.1f} MB "
          f"({(end / warm - 1) * 100:+.1f}%, goal < +10%: {'PASS' if end < warm * 1.1 else 'FAIL'})")
    print(f"tapes left behind: {len(tapes)}, still alive: {alive} ({'PASS' if alive == 0 else 'FAIL'})")
    warm, end = asyncio.run(app_walk(2_000))
    print(f"app: 2,000 key presses (→ and ← across epochs): RSS {warm:.1f} MB after warm-up → {end:.1f} MB "
          f"({(end / warm - 1) * 100:+.1f}%)")


if __name__ == "__main__":
    main()
