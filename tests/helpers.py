"""Helpers shared by the test tiers: apps built as the command line builds them, real servers, CSV files.

Test modules import from here (and from `tests/reference.py`), never from each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp

from backprop_tui.app import BackpropApp
from backprop_tui.cli import make_app

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent


def build_app(*argv: str) -> BackpropApp:
    """The app exactly as `backprop-tui ARGV` would build it, with animations off for Pilot."""
    app = make_app(list(argv))
    app.animation_level = "none"
    return app


def write(tmp_path: Path, text: str | bytes, name: str = "houses.csv") -> Path:
    """A data file in tmp_path, written as bytes so BOMs, CRLF and bad UTF-8 reach the loader unchanged."""
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serving(*flags: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """A real `backprop-tui serve` process on a free loopback port, stopped (and waited for) afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "backprop_tui", "serve", "--host", HOST, "--port", str(port), *flags],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex((HOST, port)) == 0:
                break
        if process.poll() is not None:
            assert process.stdout is not None
            raise AssertionError(process.stdout.read().decode())
        time.sleep(0.1)
    try:
        yield f"http://{HOST}:{port}", process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def children_of(pid: int) -> list[int]:
    result = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(line) for line in result.stdout.split()]


def screen_text(app: BackpropApp) -> str:
    """Every character on screen, in order (the SVG export's text, unescaped, spaces as spaces)."""
    svg = app.export_screenshot()
    return html.unescape("".join(re.findall(r">([^<]*)</text>", svg))).replace("\xa0", " ")


def painted(widget) -> str:
    """The text a widget paints, line by line, as a person reads it on the screen."""
    return "\n".join("".join(segment.text for segment in widget.render_line(y)) for y in range(widget.size.height))


class Browser:
    """One browser of a served room whose sessions run stand-in app processes (tests/system/room_puppet.py): its
    own cookies (the attendee id our page sets), and one websocket session at a time. `hello` is what its
    session's process said first: its role, its pid and its server's."""

    def __init__(self, url: str, client: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.url, self.client, self.ws = url, client, ws
        self.heard: list[dict[str, Any]] = []
        self.hello: dict[str, Any] = {}
        self._buffer = b""

    @classmethod
    async def open(cls, url: str, instructor: bool = False) -> Browser:
        client = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))  # cookies on an IP, as browsers do
        async with client.get(url + ("/?instructor=teach" if instructor else "/")) as page:
            assert page.status == 200
        ws = await client.ws_connect(url + ("/ws/instructor" if instructor else "/ws"), headers={"Origin": url})
        browser = cls(url, client, ws)
        browser.hello = await browser.next()
        assert browser.hello["role"] == ("instructor" if instructor else "attendee")
        return browser

    async def reload(self) -> Browser:
        """The same browser opens a new session (a reload, a second tab) while its first is still open."""
        ws = await self.client.ws_connect(self.url + "/ws", headers={"Origin": self.url})
        browser = Browser(self.url, self.client, ws)
        browser.hello = await browser.next()
        assert browser.hello["role"] == "attendee"
        return browser

    async def say(self, packet: dict[str, Any]) -> None:
        """What this session's app process writes to the server."""
        await self.ws.send_json(["stdin", json.dumps(packet)])

    async def next(self, seconds: float = 10) -> dict[str, Any]:
        async with asyncio.timeout(seconds):
            while b"\n" not in self._buffer:
                message = await self.ws.receive()
                assert message.type == aiohttp.WSMsgType.BINARY, message
                self._buffer += message.data
        line, self._buffer = self._buffer.split(b"\n", 1)
        packet = json.loads(line)
        self.heard.append(packet)
        return packet

    async def report(self, until: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The first room report (as this session's process was sent it) that passes `until`."""
        while True:
            packet = (await self.next()).get("received", {})
            if packet.get("type") == "backprop_room" and until(packet):
                return packet

    async def drain(self, seconds: float = 0.6) -> list[dict[str, Any]]:
        """Everything this session's process has been sent, waiting `seconds` for more."""
        with contextlib.suppress(TimeoutError):
            while True:
                await self.next(seconds)
        return [packet["received"] for packet in self.heard if "received" in packet]

    async def close(self) -> None:
        await self.ws.close()

    async def quit(self) -> None:
        await self.ws.close()
        await self.client.close()
