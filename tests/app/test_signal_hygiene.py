"""An app run by a test (run_test, Pilot) leaves the test runner's signal handling as it found it:
a SIGTERM meant for the runner (a CI timeout) must reach the runner, not quit an app inside it."""

from __future__ import annotations

import asyncio
import signal

from tests.helpers import build_app

NUMBERS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


def signal_handling(loop: asyncio.AbstractEventLoop) -> tuple:
    """The process's handlers, the loop's own signal handlers, and the wakeup fd."""
    wakeup = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(wakeup)
    loop_handlers = dict(getattr(loop, "_signal_handlers", {}))  # asyncio keeps add_signal_handler's here
    return {number: signal.getsignal(number) for number in NUMBERS}, loop_handlers, wakeup


async def test_an_app_under_run_test_leaves_the_runners_signal_handling_as_it_found_it():
    loop = asyncio.get_running_loop()
    before = signal_handling(loop)
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("right", "e")
        assert signal_handling(loop) == before  # while it runs, too: a SIGTERM now is the runner's
        await pilot.press("x")
        await app.workers.wait_for_complete()
    assert signal_handling(loop) == before
