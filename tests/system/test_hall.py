"""A lecture hall on loopback: a real redis-server and nginx, started here on free ports, and several nodes.

The nodes are room servers in processes of their own (hall_node.py), each running the stand-in app process
(room_puppet.py) for its sessions, so the tests can start two nodes in a second, kill one, and read exactly what
each session was sent; nginx runs deploy/nginx/backprop-hall.conf itself, its ports changed to these. The last
test runs `backprop-tui serve --redis` with the real app. Nothing is sent beyond loopback. Where redis-server
or nginx is not installed, the tests say so and skip (.ci/run installs both).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from backprop_tui.serve.signing import Signer, channel_name, room_key
from tests.helpers import HOST, ROOT, Browser, free_port, serving

redis = pytest.importorskip("redis", reason="the hall's Redis client: pip install -e '.[hall]'")

REDIS_SERVER = shutil.which("redis-server")
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
NODE = Path(__file__).with_name("hall_node.py")
SAMPLE = ROOT / "deploy" / "nginx" / "backprop-hall.conf"
CHANNEL = channel_name(room_key("teach"))
PASSWORD = "hall-s3cret-9f2"
HEARTBEAT = 0.5

needs_redis = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed (apt-get install "
                                                               "redis-server; .ci/run does)")
needs_nginx = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx; .ci/run does)")


def wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket_to(port):
            return
        if process.poll() is not None:
            raise AssertionError(f"{process.args!r} exited with {process.returncode}")
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port} after {seconds} s")


@contextlib.contextmanager
def socket_to(port: int) -> Iterator[None]:
    import socket

    with socket.create_connection((HOST, port), timeout=1):
        yield


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class RedisServer:
    """redis-server on a free loopback port, keeping nothing on disk; stopped and started again on the same port."""

    def __init__(self, folder: Path, password: str | None = None) -> None:
        self.port, self.folder, self.password = free_port(), folder, password
        self.process: subprocess.Popen[bytes] | None = None
        auth = f":{password}@" if password else ""
        self.url = f"redis://{auth}{HOST}:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None
        args = [REDIS_SERVER, "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no",
                "--dir", str(self.folder), "--protected-mode", "yes"]
        if self.password:
            args += ["--requirepass", self.password]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, self.process)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


class Node:
    """One node of the hall (hall_node.py) on a free loopback port."""

    def __init__(self, redis_url: str, public_url: str | None = None) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, str(NODE), str(self.port), redis_url, public_url or self.url, str(HEARTBEAT)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        stop(self.process)
        assert self.process.stdout is not None
        return self.process.stdout.read().decode(errors="replace")


def proxy_config(folder: Path, port: int, nodes: list[Node]) -> Path:
    """The sample configuration, its upstream servers and listening port changed to these, in a whole nginx.conf
    that keeps everything (pid, logs, temporary files) in `folder`."""
    sample = SAMPLE.read_text()
    servers = re.findall(r"^[ \t]*server 127\.0\.0\.1:\d+[^\n]*;\n", sample, flags=re.MULTILINE)
    assert len(servers) >= 2, "the sample's upstream lists several nodes"
    ours = "".join(re.sub(r":\d+", f":{node.port}", servers[0], count=1) for node in nodes)
    sample = sample.replace("".join(servers), ours)
    assert "listen 8080;" in sample
    (folder / "backprop-hall.conf").write_text(sample.replace("listen 8080;", f"listen {HOST}:{port};"))
    temporary = " ".join(f"{name}_temp_path {folder / name};" for name in ("client_body", "proxy", "fastcgi",
                                                                           "uwsgi", "scgi"))
    conf = folder / "nginx.conf"
    conf.write_text(f"""
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    {temporary}
    include {folder / "backprop-hall.conf"};
}}
""")
    return conf


class Hall:
    """What a test starts, stopped in the reverse order when it ends."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.stack = contextlib.ExitStack()

    def redis(self, password: str | None = None) -> RedisServer:
        server = RedisServer(self.folder, password)
        server.start()
        self.stack.callback(server.stop)
        return server

    def nodes(self, count: int, redis_url: str, public_url: str | None = None) -> list[Node]:
        nodes = [Node(redis_url, public_url) for _ in range(count)]  # started together, waited for together
        for node in nodes:
            self.stack.callback(stop, node.process)
        for node in nodes:
            wait_for_port(node.port, node.process)
        return nodes

    def proxy(self, port: int, nodes: list[Node]) -> str:
        assert NGINX is not None
        folder = self.folder / "nginx"
        folder.mkdir()
        conf = proxy_config(folder, port, nodes)
        process = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log"),
                                    "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.stack.callback(stop, process)
        wait_for_port(port, process)
        return f"http://{HOST}:{port}"


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[Hall]:
    with contextlib.ExitStack() as stack:
        rig = Hall(tmp_path)
        stack.enter_context(rig.stack)
        yield rig


def position(phase: str) -> dict[str, Any]:
    return {"type": "backprop_position", "epoch": 0, "iteration": 0, "phase": phase, "matrix": None, "cell": [0, 0]}


async def heard(browser: Browser, wanted: Callable[[dict[str, Any]], bool], seconds: float = 5) -> dict[str, Any]:
    """The first packet this session's process is sent from now on that passes `wanted`."""
    async with asyncio.timeout(seconds):
        while True:
            packet = (await browser.next(seconds)).get("received", {})
            if wanted(packet):
                return packet


def follows(phase: str) -> Callable[[dict[str, Any]], bool]:
    return lambda packet: packet.get("type") == "backprop_follow" and packet.get("phase") == phase


def channel(up: bool) -> Callable[[dict[str, Any]], bool]:
    return lambda packet: packet == {"type": "backprop_channel", "up": up}


async def one_on_each(url: str, nodes: list[Node], tries: int = 24) -> dict[int, Browser]:
    """Attendees opened through the proxy until each node has one (the proxy places browsers by their cookie)."""
    placed: dict[int, Browser] = {}
    for _ in range(tries):
        browser = await Browser.open(url)
        if browser.hello["server"] in placed:
            await browser.quit()
        else:
            placed[browser.hello["server"]] = browser
        if len(placed) == len(nodes):
            return placed
    raise AssertionError(f"the proxy placed {tries} browsers on {len(placed)} of {len(nodes)} nodes")


def packets_of(browser: Browser, kind: str) -> list[dict[str, Any]]:
    return [p["received"] for p in browser.heard if p.get("received", {}).get("type") == kind]


@needs_redis
@needs_nginx
async def test_an_instructor_on_one_node_drives_attendees_on_another_through_the_proxy(hall):
    store = hall.redis(password=PASSWORD)  # a Redis with a password: it works, and is never printed
    proxy_port = free_port()
    nodes = hall.nodes(2, store.url, public_url=f"http://{HOST}:{proxy_port}")
    url = hall.proxy(proxy_port, nodes)
    teacher = await Browser.open(url, instructor=True)
    attendees = await one_on_each(url, nodes)
    far = next(browser for server, browser in attendees.items() if server != teacher.hello["server"])
    near = attendees[teacher.hello["server"]]

    spy = redis.asyncio.Redis.from_url(store.url).pubsub()  # what the nodes say on Redis, as anyone there reads it
    await spy.subscribe(CHANNEL)
    started = time.monotonic()
    await teacher.say(position("forward.2"))
    await heard(far, follows("forward.2"), seconds=1)
    assert time.monotonic() - started < 1.0  # the instructor's node, Redis, the other node, its attendee
    await heard(near, follows("forward.2"), seconds=1)
    genuine = None
    async with asyncio.timeout(5):
        while genuine is None:
            message = await spy.get_message(ignore_subscribe_messages=True, timeout=1)
            if message and b'"phase":"forward.2"' in message["data"]:
                genuine = message["data"]  # captured, to be replayed later

    await far.say({"type": "backprop_answer", "epoch": 0, "iteration": 0, "phase": "forward.2",
                   "answer": "4×8", "right": False})  # an answer on the other node reaches the instructor's count
    await near.say({"type": "backprop_answer", "epoch": 0, "iteration": 0, "phase": "forward.2",
                    "answer": "1000×4", "right": True})
    report = await teacher.report(lambda r: r["answered"] == 2)
    assert (report["attendees"], report["right"], report["wrong"]) == (2, 1, [["4×8", 1]])

    await teacher.say(position("forward.3"))
    for attendee in (far, near):
        await heard(attendee, follows("forward.3"), seconds=1)
    body = {"epoch": 5, "iteration": 0, "phase": "loss", "matrix": None, "cell": [0, 0]}
    tally = {"attendees": 99, "answered": 99, "right": 99, "wrong": [], "following": 99, "exploring": 0,
             "explorers": []}
    signature, _, payload = Signer(room_key("teach")).seal("position", body).partition(b".")
    forgeries = [
        json.dumps({"v": 1, "k": "position", "n": "x", "s": 10**9, "t": time.time(), "b": body}).encode(),
        Signer(room_key("a guess")).seal("position", body),  # signed, but not with the instructor's key
        Signer(room_key("a guess")).seal("tally", tally),
        b"0" * 64 + b"." + payload,
        signature + b"." + payload.replace(b'"loss"', b'"error"'),
        genuine,  # the instructor's own, sent again after the instructor moved on
    ]
    publisher = redis.asyncio.Redis.from_url(store.url)
    for wire in forgeries:
        assert await publisher.publish(CHANNEL, wire) == 3  # both nodes and the spy heard it, and refused it
    await teacher.say(position("forward.1"))  # after the forgeries on Redis: once it arrives, they have too
    for attendee in (far, near):
        await heard(attendee, follows("forward.1"), seconds=1)
        assert [p["phase"] for p in packets_of(attendee, "backprop_follow")] == ["forward.2", "forward.3",
                                                                                  "forward.1"]
        assert packets_of(attendee, "backprop_room") == []  # no attendee is ever sent the room's counts
    await teacher.drain(1.5)  # three heartbeats: the forged tally would have been counted by now
    reports = packets_of(teacher, "backprop_room")
    assert reports[-1]["attendees"] == 2 and all(report["attendees"] < 99 for report in reports)

    await spy.aclose()
    await publisher.aclose()
    for browser in (teacher, *attendees.values()):
        await browser.quit()
    said = [node.output() for node in nodes]
    assert all(PASSWORD not in text and f"redis://:***@{HOST}:{store.port}/0" in text for text in said)
    assert all("refused a message (bad signature)" in text and "(replayed)" in text for text in said)


@needs_redis
async def test_redis_lost_mid_lecture_is_said_and_following_resumes_when_it_is_back(hall):
    store = hall.redis()
    instructors_node, other_node = hall.nodes(2, store.url)
    teacher = await Browser.open(instructors_node.url, instructor=True)
    near, far = await Browser.open(instructors_node.url), await Browser.open(other_node.url)
    await teacher.say(position("forward.2"))
    await heard(far, follows("forward.2"))

    store.stop()
    for browser in (teacher, near, far):  # every session is told, the instructor's too
        await heard(browser, channel(False), seconds=3)
    await teacher.say(position("loss"))  # dropped while Redis is away, not queued: said again once it is back
    await far.say({"type": "backprop_status", "following": False, "epoch": 0, "iteration": 0, "phase": "error"})
    await asyncio.sleep(0.5)
    assert instructors_node.process.poll() is None and other_node.process.poll() is None  # nothing crashed

    store.start()  # on the same port, empty: the nodes reconnect and subscribe again by themselves
    for browser in (near, far):
        await heard(browser, channel(True), seconds=5)
        await heard(browser, follows("loss"), seconds=3)  # the same sessions, where the instructor went meanwhile
    await heard(teacher, channel(True), seconds=5)
    report = await teacher.report(lambda r: r["exploring"] == 1)  # the other node's counts came back too
    assert (report["attendees"], report["explorers"]) == (2, [["error", 1]])
    started = time.monotonic()
    await teacher.say(position("error"))
    await heard(far, follows("error"), seconds=1)
    assert time.monotonic() - started < 1.0
    for browser in (teacher, near, far):
        await browser.quit()


@needs_redis
@needs_nginx
async def test_a_node_that_dies_takes_only_its_own_attendees_with_it(hall):
    store = hall.redis()
    proxy_port = free_port()
    nodes = hall.nodes(2, store.url, public_url=f"http://{HOST}:{proxy_port}")
    url = hall.proxy(proxy_port, nodes)
    teacher = await Browser.open(url, instructor=True)
    attendees = await one_on_each(url, nodes)
    survivor = next(node for node in nodes if node.pid == teacher.hello["server"])
    doomed = next(node for node in nodes if node is not survivor)
    kept, lost = attendees[survivor.pid], attendees[doomed.pid]
    await teacher.say(position("forward.2"))
    for attendee in (kept, lost):
        await heard(attendee, follows("forward.2"))
    await teacher.report(lambda r: r["attendees"] == 2)

    os.kill(doomed.pid, signal.SIGKILL)  # no goodbye: its heartbeat just stops
    async with asyncio.timeout(5):  # its sessions end: the browser shows its offline page
        message = await lost.ws.receive()
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    await teacher.say(position("forward.3"))
    await heard(kept, follows("forward.3"), seconds=1)  # the other node's attendee never noticed
    report = await teacher.report(lambda r: r["attendees"] == 1)  # three missed heartbeats: out of the counts
    assert report["following"] == 1

    again = await lost.reload()  # the browser reloads: the proxy passes it to the node that is left
    assert again.hello["server"] == survivor.pid
    await heard(again, follows("forward.3"))  # and it starts where the instructor is
    deadline = time.monotonic() + 5  # the dead node's app process saw its pipe close and ended
    while _alive(lost.hello["pid"]) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert not _alive(lost.hello["pid"])
    for browser in (teacher, kept, again):
        await browser.quit()
    await lost.client.close()


def _alive(pid: int) -> bool:
    """Running still: not gone, and not a zombie waiting for whoever adopted it to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


@needs_redis
async def test_the_real_app_follows_an_instructor_on_another_node(hall):
    store = hall.redis()
    flags = ("--redis", store.url, "--instructor-token", "teach")
    with serving(*flags) as (instructors, _), serving(*flags) as (others, _):
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
            async with client.get(instructors + "/?instructor=teach") as page:
                assert page.status == 200
            teacher = await client.ws_connect(instructors + "/ws/instructor?width=120&height=40",
                                              headers={"Origin": instructors})
            attendee = await client.ws_connect(others + "/ws?width=120&height=40", headers={"Origin": others})
            await screen(teacher, b"phase 1/18")
            await screen(attendee, b"phase 1/18")
            for _ in range(3):
                await teacher.send_json(["stdin", "\x1b[C"])
            await screen(attendee, b"phase 4/18")  # followed across nodes, without a key pressed
            store.stop()
            await screen(attendee, b"not following: the room channel is down")
            await teacher.close()
            await attendee.close()


async def screen(ws: aiohttp.ClientWebSocketResponse, needle: bytes, seconds: float = 20) -> None:
    """Wait until the session has drawn `needle`."""
    buffer = b""
    async with asyncio.timeout(seconds):
        async for message in ws:
            if message.type == aiohttp.WSMsgType.BINARY:
                buffer += message.data
                if needle in buffer:
                    return
    raise AssertionError(f"the session ended before it drew {needle!r}")


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
