"""Serve under load, on loopback only, bounded: 100 concurrent connection attempts against --max-sessions 40."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from tests.helpers import children_of, serving

ATTEMPTS = 100
CAP = 40


async def test_the_cap_holds_under_a_burst_and_nothing_is_left_behind():
    with serving("--max-sessions", str(CAP)) as (url, server):
        async with aiohttp.ClientSession() as client:

            async def attempt():
                try:
                    return await client.ws_connect(url + "/ws?width=80&height=24", headers={"Origin": url})
                except aiohttp.WSServerHandshakeError as refused:
                    return refused.status

            results = await asyncio.wait_for(asyncio.gather(*(attempt() for _ in range(ATTEMPTS))), 120)
            sockets = [r for r in results if not isinstance(r, int)]
            refused = [r for r in results if isinstance(r, int)]
            assert len(sockets) == CAP and refused == [503] * (ATTEMPTS - CAP)
            async with client.get(url + "/") as response:  # the server still answers
                assert response.status == 503
            await sockets[0].send_bytes(b"\x00" * 70_000)  # oversized: that session ends, the server stays
            await sockets[1].send_str("{not json")
            for ws in sockets:
                await ws.close()
            deadline = time.monotonic() + 90
            while children_of(server.pid) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            assert children_of(server.pid) == []
            async with client.get(url + "/") as response:
                assert response.status == 200
