"""Fixtures shared by every tier. Helpers that are not fixtures live in tests/helpers.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from textual._context import active_app  # what run_test sets; no public name for it
from textual.pilot import Pilot

from backprop_tui.app import BackpropApp
from tests.helpers import build_app


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The soak's long tests go first, so parallel workers do not end waiting on one of them."""
    items.sort(key=lambda item: "tests/soak/" not in item.nodeid)


@pytest.fixture
async def launch() -> AsyncIterator[Callable[..., Awaitable[tuple[BackpropApp, Pilot]]]]:
    """`app, pilot = await launch(*argv, size=...)`: the app under Pilot, shut down when the test ends.

    Each app is held open by a task of its own, so `run_test` is entered and left in one context
    (pytest-asyncio sets a fixture up and tears it down in different ones, and Textual resets its
    context variables where it set them).
    """
    held: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    async def start(*argv: str, size: tuple[int, int] = (160, 48)) -> tuple[BackpropApp, Pilot]:
        app = build_app(*argv)
        ready: asyncio.Future[Pilot] = asyncio.get_running_loop().create_future()
        done = asyncio.Event()

        async def hold() -> None:
            async with app.run_test(size=size) as pilot:
                ready.set_result(pilot)
                await done.wait()

        task = asyncio.create_task(hold())
        held.append((done, task))
        await asyncio.wait([ready, task], return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            task.result()  # the app failed to start: raise its error here
        active_app.set(app)  # as `run_test` does for the code in its block; this runs in the test's own context
        return app, ready.result()

    yield start
    for done, task in held:
        done.set()
        await task
