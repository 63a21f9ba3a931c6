"""The served debugger in a real browser: Debian's Chromium, driven by Playwright, on loopback.

The terminal is painted on a canvas, so the test reads what the app sends over the
websocket to see the first phase, then the next after →, and saves a screenshot.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from tests.helpers import ROOT, serving

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOT = ROOT / "screenshots" / "browser.png"

playwright = pytest.importorskip("playwright.async_api")
if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI must install Debian's chromium for the browser test (see .ci/run)")
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


async def test_the_page_runs_the_debugger_and_steps_with_the_arrow_key():
    with serving() as (url, _):
        async with playwright.async_playwright() as driver:
            browser = await driver.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                page = await browser.new_page(viewport={"width": 1600, "height": 900})
                received: list[bytes] = []
                arrived = asyncio.Event()

                def on_websocket(ws):
                    def on_frame(payload):
                        received.append(payload if isinstance(payload, bytes) else payload.encode())
                        arrived.set()

                    ws.on("framereceived", on_frame)

                page.on("websocket", on_websocket)
                await page.goto(url + "/")

                async def wait_for(needle: bytes, seconds: float = 30) -> None:
                    async with asyncio.timeout(seconds):
                        while needle not in b"".join(received):
                            arrived.clear()
                            await arrived.wait()

                await wait_for(b"forward.1")
                await page.mouse.click(800, 450)
                received.clear()
                await page.keyboard.press("ArrowRight")
                await wait_for(b"forward.2")
                await asyncio.sleep(0.5)  # let the canvas paint the frame before the picture
                await page.screenshot(path=str(SHOT))
                assert SHOT.stat().st_size > 10_000
            finally:
                await browser.close()
