"""Helpers shared by the test tiers: apps built as the command line builds them, real servers, CSV files.

Test modules import from here (and from `tests/reference.py`), never from each other.
"""

from __future__ import annotations

import contextlib
import html
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

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
