"""Reading the room through the real server, on loopback: several websocket clients, each its own browser.

The first tests run the room server with stand-in app processes (room_puppet.py): each client makes its
process say exactly what the test wants, honest or forged, and the instructor's process echoes each report
it is sent, so the counts can be checked exactly. The last runs the real app, answers typed into its quiz,
and reads the counts off the instructor's screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from backprop_tui.serve.server import RoomServer
from tests.helpers import HOST, Browser, free_port, serving

PUPPET = [sys.executable, str(Path(__file__).with_name("room_puppet.py"))]


@contextlib.asynccontextmanager
async def puppet_room(max_sessions: int = 8) -> AsyncIterator[str]:
    """The room server, in this process, starting a stand-in for each session's app."""
    port = free_port()
    server = RoomServer(PUPPET, host=HOST, port=port, instructor_token="teach", max_sessions=max_sessions)
    runner = web.AppRunner(await server._make_app())
    await runner.setup()
    await web.TCPSite(runner, HOST, port).start()
    try:
        yield f"http://{HOST}:{port}"
    finally:
        await runner.cleanup()


def position(phase: str, epoch: int = 0) -> dict[str, Any]:
    return {"type": "backprop_position", "epoch": epoch, "iteration": 0, "phase": phase, "matrix": None,
            "cell": [0, 0]}


def answer(text: str, right: bool, phase: str = "forward.1") -> dict[str, Any]:
    return {"type": "backprop_answer", "epoch": 0, "iteration": 0, "phase": phase, "answer": text, "right": right}


def exploring(phase: str) -> dict[str, Any]:
    return {"type": "backprop_status", "following": False, "epoch": 0, "iteration": 0, "phase": phase}


async def test_each_answer_counts_once_and_a_reconnecting_attendee_once():
    async with puppet_room() as url:
        teacher = await Browser.open(url, instructor=True)
        ann, bob, cat = [await Browser.open(url) for _ in range(3)]
        await teacher.say(position("forward.1"))
        await ann.say(answer("8×1000", False))
        await ann.say(answer("8×1000", False))  # sent twice: counted once
        await bob.say(answer("1000×8", True))
        await cat.say(answer("8×1000", False))
        report = await teacher.report(lambda r: r["answered"] == 3)
        assert (report["phase"], report["attendees"], report["right"], report["wrong"]) == (
            "forward.1", 3, 1, [["8×1000", 2]])

        ann_again = await ann.reload()  # a new session of ann's browser, the old one not yet gone
        await ann_again.say(answer("1000×8", True))  # its fresh app answers again: the latest answer counts
        report = await teacher.report(lambda r: r["right"] == 2)
        assert (report["attendees"], report["answered"], report["wrong"]) == (3, 3, [["8×1000", 1]])
        await ann.close()  # the old session goes; ann is still here in the new one
        await ann_again.say(exploring("loss"))
        report = await teacher.report(lambda r: r["exploring"] == 1)
        assert (report["attendees"], report["answered"], report["explorers"]) == (3, 3, [["loss", 1]])

        await cat.close()  # leaving takes cat's answer with it
        report = await teacher.report(lambda r: r["attendees"] == 2)
        assert (report["answered"], report["right"], report["wrong"]) == (2, 2, [])
        await teacher.say(position("forward.2"))  # the counts are for the instructor's phase
        report = await teacher.report(lambda r: r["phase"] == "forward.2")
        assert report["answered"] == 0
        for attendee in (ann_again, bob):
            assert all(packet["type"] != "backprop_room" for packet in await attendee.drain())
        for browser in (teacher, ann, ann_again, bob, cat):
            await browser.quit()


async def test_an_attendee_cannot_forge_the_instructor_or_the_room():
    async with puppet_room() as url:
        teacher = await Browser.open(url, instructor=True)
        honest, forger = await Browser.open(url), await Browser.open(url)
        await teacher.say(position("forward.1"))
        await honest.say(answer("1000×8", True))
        await teacher.report(lambda r: r["answered"] == 1)

        await forger.say(position("loss", epoch=5))  # its process claims to be the instructor
        await forger.say({"type": "backprop_room", "epoch": 0, "iteration": 0, "phase": "forward.1", "attendees": 99,
                          "answered": 99, "right": 99, "wrong": [], "following": 0, "exploring": 99,
                          "explorers": []})
        await forger.ws.send_json(["backprop_room", {"attendees": 99}])  # frames that are not keys: skipped
        await forger.ws.send_json(["meta", position("loss", epoch=5)])
        await forger.say(exploring("error"))  # the same pipe, after the forgeries: once counted, they were seen
        report = await teacher.report(lambda r: r["exploring"] == 1)
        assert (report["phase"], report["attendees"], report["answered"], report["right"]) == ("forward.1", 2, 1, 1)
        async with aiohttp.ClientSession(cookie_jar=forger.client.cookie_jar,
                                         cookies={"backprop_instructor": "guess"}) as sneaky:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await sneaky.ws_connect(url + "/ws/instructor", headers={"Origin": url})
            assert refused.value.status == 403

        for attendee in (honest, forger):
            received = await attendee.drain()
            assert all(packet["type"] != "backprop_room" for packet in received)  # never told about the room
            assert [packet["phase"] for packet in received if packet["type"] == "backprop_follow"] == ["forward.1"]
        assert all(packet.get("received", {}).get("attendees") != 99 for packet in teacher.heard)
        for browser in (teacher, honest, forger):
            await browser.quit()


async def test_a_burst_of_answers_reaches_the_instructor_as_at_most_four_reports_a_second():
    async with puppet_room(max_sessions=12) as url:
        teacher = await Browser.open(url, instructor=True)
        room = [await Browser.open(url) for _ in range(10)]
        await teacher.say(position("forward.1"))
        await teacher.report(lambda r: r["attendees"] == 10 and r["phase"] == "forward.1")
        heard_before, started = len(teacher.heard), time.monotonic()
        for burst in range(60):  # 600 answers from 10 attendees, each changing its mind every 20 ms
            for index, attendee in enumerate(room):
                await attendee.say(answer(f"{burst + index}×8", burst == 59 and index < 4))
            await asyncio.sleep(0.02)
        last = await teacher.report(lambda r: r["right"] == 4)
        assert (last["attendees"], last["answered"], len(last["wrong"])) == (10, 10, 3)
        await teacher.drain(0.5)
        elapsed = time.monotonic() - started
        reports = [p for p in teacher.heard[heard_before:] if p.get("received", {}).get("type") == "backprop_room"]
        assert 2 <= len(reports) <= 1 + elapsed * 4, (len(reports), elapsed)
        for browser in (teacher, *room):
            await browser.quit()


async def test_the_real_app_counts_typed_answers_on_the_instructors_screen():
    with serving("--instructor-token", "teach", "--quiz") as (url, _):
        seen: dict[aiohttp.ClientWebSocketResponse, bytes] = {}

        async def screen(ws: aiohttp.ClientWebSocketResponse, *needles: str, seconds: float = 20) -> bytes:
            """What the session draws from now until every needle has been drawn."""
            buffer = b""
            async with asyncio.timeout(seconds):
                async for message in ws:
                    if message.type == aiohttp.WSMsgType.BINARY:
                        buffer += message.data
                        seen[ws] = seen.get(ws, b"") + message.data
                        if all(needle.encode() in buffer for needle in needles):
                            return buffer
            raise AssertionError(f"{needles!r} never shown")

        async def browser(instructor: bool = False) -> tuple[aiohttp.ClientSession, aiohttp.ClientWebSocketResponse]:
            client = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
            async with client.get(url + ("/?instructor=teach" if instructor else "/")):
                pass
            path = "/ws/instructor" if instructor else "/ws"
            return client, await client.ws_connect(url + path + "?width=120&height=40", headers={"Origin": url})

        teacher_client, teacher = await browser(instructor=True)
        (ann_client, ann), (bob_client, bob) = await browser(), await browser()
        await screen(teacher, "Room · 2 here")
        for ws in (ann, bob):
            await screen(ws, "Predict the shape")
        await ann.send_json(["stdin", "8x1000\r"])  # Z1 is 1000×8: wrong
        await bob.send_json(["stdin", "(1000, 8)\r"])
        await screen(teacher, "answered 2/2", "right 1 · ✗ wrong 1", "8×1000")
        ann_again = await ann_client.ws_connect(url + "/ws?width=120&height=40", headers={"Origin": url})  # a reload
        await screen(ann_again, "Predict the shape")
        await ann_again.send_json(["stdin", "1000x8\r"])  # the new session's answer stands for ann's
        shown = await screen(teacher, "answered 2/2", "right 2 · ✗ wrong 0")
        assert "Room · 3 here".encode() not in shown  # one browser, one attendee
        for ws in (ann, bob, ann_again):
            with contextlib.suppress(TimeoutError):
                await screen(ws, "never drawn", seconds=1)
            assert "Room ·".encode() not in seen[ws] and b"answered" not in seen[ws]
        for client in (teacher_client, ann_client, bob_client):
            await client.close()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
