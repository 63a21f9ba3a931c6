"""The room server, on loopback only: safety rules, the session cap, follow mode with two clients."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import aiohttp
import pytest

from backprop_tui.cli import app_argv_for_serve
from backprop_tui.follow_mode import clean_position
from backprop_tui.serve.hall import Hall
from backprop_tui.serve.security import is_loopback, lan_address, origin_ok, public_url_for, token_ok
from tests.helpers import HOST, children_of, free_port, serving


async def read_until(ws, needle: bytes, seconds: float = 20) -> bytes:
    buffer = b""
    async with asyncio.timeout(seconds):
        async for message in ws:
            if message.type == aiohttp.WSMsgType.BINARY:
                buffer += message.data
                if needle in buffer:
                    return buffer
    return buffer


# --- pure rules -----------------------------------------------------------------------------


def test_loopback_and_tokens_and_origins():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    assert token_ok(None, None) and token_ok("abc", "abc") and not token_ok("abc", "abd") and not token_ok("abc", None)
    assert origin_ok("http://h:1", {"http://h:1"}) and not origin_ok("http://evil:1", {"http://h:1"})
    assert not origin_ok(None, {"http://h:1"})


def test_browsers_never_get_an_unreachable_websocket_url():
    if lan_address() is not None:  # without an outward route serve refuses instead (tests/unit/test_lan_address.py)
        assert public_url_for("0.0.0.0", 8000, None) == f"http://{lan_address()}:8000"
    assert public_url_for("127.0.0.1", 8000, None) == "http://127.0.0.1:8000"
    assert public_url_for("0.0.0.0", 8000, "https://room.example/") == "https://room.example"


def test_app_flags_after_serve_are_passed_to_each_session():
    argv = ["serve", "--port", "9000", "--lr", "0.05", "--host=127.0.0.1", "--quiz", "--token", "t"]
    assert app_argv_for_serve(argv) == ["--lr", "0.05", "--quiz"]


def test_follow_hub_ignores_malformed_positions():
    assert clean_position({"epoch": 1, "phase": "error", "matrix": None, "cell": [0, 0]}) is not None
    for bad in ({"epoch": -1, "phase": "error", "cell": [0, 0]}, {"epoch": 1, "phase": 5, "cell": [0, 0]},
                {"epoch": 1, "phase": "error", "cell": [0]}, {"epoch": True, "phase": "x", "cell": [0, 0]}):
        assert clean_position(bad) is None

    async def scenario():
        hub = Hall(capacity=4).follow
        got = []

        async def send(packet):
            got.append(packet)
            return True

        await hub.join("a", send)
        assert await hub.publish({"epoch": 2, "phase": "loss", "matrix": None, "cell": [0, 0]})
        assert not await hub.publish({"epoch": -2, "phase": "loss", "matrix": None, "cell": [0, 0]})
        await hub.join("b", send)  # a late joiner starts where the instructor is
        assert [p["phase"] for p in got] == ["loss", "loss"]

    asyncio.run(scenario())


# --- a real server on loopback ------------------------------------------------------------------


async def test_default_bind_is_loopback_and_the_page_works_offline():
    with serving() as (url, _):
        async with aiohttp.ClientSession() as client:
            async with client.get(url + "/") as response:
                page = await response.text()
                assert response.status == 200
            assert "googleapis" not in page and "https://" not in page
            assert f'data-session-websocket-url="ws://{HOST}' in page
            async with client.get(url + "/static/") as response:
                assert response.status == 404  # no directory listing
            async with client.get(url + "/static/textual.js") as response:
                assert response.status == 200


async def test_a_foreign_origin_is_refused():
    with serving() as (url, _):
        async with aiohttp.ClientSession() as client:
            for origin in ("http://evil.example", None):
                headers = {"Origin": origin} if origin else {}
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    async with client.ws_connect(url + "/ws", headers=headers):
                        pass
                assert refused.value.status == 403


async def test_a_token_is_required_and_then_carried_by_a_cookie():
    with serving("--token", "s3cret") as (url, _):
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:  # cookies on an IP
            async with client.get(url + "/") as response:
                assert response.status == 403
            async with client.get(url + "/?token=wrong") as response:
                assert response.status == 403
            async with client.get(url + "/?token=s3cret") as response:
                assert response.status == 200
            async with client.get(url + "/") as response:  # the cookie now
                assert response.status == 200
            async with client.ws_connect(url + "/ws?width=120&height=40", headers={"Origin": url}) as ws:
                assert b"forward.1" in await read_until(ws, b"forward.1")
        async with aiohttp.ClientSession() as stranger:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                async with stranger.ws_connect(url + "/ws", headers={"Origin": url}):
                    pass
            assert refused.value.status == 403


def test_a_lan_bind_without_a_token_gets_one_generated():
    if lan_address() is None:
        pytest.skip("no outward route on this machine: serve --host 0.0.0.0 asks for --public-url instead")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "backprop_tui", "serve", "--host", "0.0.0.0", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    try:
        line = ""
        deadline = time.monotonic() + 30
        while "Serving" not in line and time.monotonic() < deadline:
            line = process.stdout.readline()
        assert "token=" in line and "0.0.0.0" not in line
        assert f"http://{lan_address()}:{port}/" in line  # the outward interface, never loopback
    finally:
        process.terminate()
        process.wait(timeout=15)


async def test_the_app_steps_over_the_websocket_and_leaves_no_process_behind():
    with serving() as (url, server):
        async with aiohttp.ClientSession() as client:
            async with client.ws_connect(url + "/ws?width=120&height=40", headers={"Origin": url}) as ws:
                assert b"forward.1" in await read_until(ws, b"forward.1")
                assert len(children_of(server.pid)) == 1
                await ws.send_json(["stdin", "\x1b[C"])  # →
                assert b"forward.2" in await read_until(ws, b"forward.2")
                await ws.send_str("not json")  # malformed frames are skipped
                await ws.send_json(["resize"])
                await ws.send_json(["stdin", "\x1b[C"])
                assert b"forward.3" in await read_until(ws, b"forward.3")
        deadline = time.monotonic() + 15
        while children_of(server.pid) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert children_of(server.pid) == []


async def test_the_session_cap_holds():
    with serving("--max-sessions", "2") as (url, _):
        async with aiohttp.ClientSession() as client:
            first = await client.ws_connect(url + "/ws", headers={"Origin": url})
            second = await client.ws_connect(url + "/ws", headers={"Origin": url})
            with pytest.raises(aiohttp.WSServerHandshakeError) as full:
                await client.ws_connect(url + "/ws", headers={"Origin": url})
            assert full.value.status == 503
            async with client.get(url + "/") as response:
                assert response.status == 503 and "full" in (await response.text())
            await first.close()
            await second.close()


async def test_attendees_follow_the_instructor():
    with serving("--instructor-token", "teach") as (url, _):
        jar = aiohttp.CookieJar(unsafe=True)  # accept cookies from an IP address, as browsers do
        async with aiohttp.ClientSession(cookie_jar=jar) as teacher, aiohttp.ClientSession() as student:
            async with teacher.get(url + "/?instructor=teach") as response:
                assert "/ws/instructor" in await response.text()
            instructor = await teacher.ws_connect(url + "/ws/instructor?width=120&height=40", headers={"Origin": url})
            attendee = await student.ws_connect(url + "/ws?width=120&height=40", headers={"Origin": url})
            assert b"forward.1" in await read_until(instructor, b"forward.1")
            assert b"forward.1" in await read_until(attendee, b"forward.1")
            for _ in range(3):
                await instructor.send_json(["stdin", "\x1b[C"])
            assert b"phase 4/18" in await read_until(instructor, b"phase 4/18")
            assert b"phase 4/18" in await read_until(attendee, b"phase 4/18")  # followed, without a key pressed
            await attendee.send_json(["stdin", "f"])  # explore alone
            await attendee.send_json(["stdin", "\x1b[D"])
            assert b"phase 3/18" in await read_until(attendee, b"phase 3/18")
            await instructor.send_json(["stdin", "\x1b[C"])
            assert b"phase 5/18" in await read_until(instructor, b"phase 5/18")
            await attendee.send_json(["stdin", "f"])  # follow again: the next move of the instructor is taken
            assert b"Following" in await read_until(attendee, b"Following")  # the key has been handled
            await instructor.send_json(["stdin", "\x1b[C"])
            assert b"phase 6/18" in await read_until(attendee, b"phase 6/18")
            await instructor.close()
            await attendee.close()
        async with aiohttp.ClientSession() as impostor:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await impostor.ws_connect(url + "/ws/instructor", headers={"Origin": url})
            assert refused.value.status == 403


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
