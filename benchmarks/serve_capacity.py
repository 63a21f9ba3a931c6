"""Capacity of one node serving a room: N attendees follow an instructor, over loopback.

For each N (10, 20, 40, 80) a fresh `backprop-tui serve` is started on loopback with the
instructor's token and `--max-sessions N + 1`. The benchmark opens the instructor's websocket,
then N attendees' (each one an app process, 160×48 like the step benchmark), waits until every
screen shows phase 1 and the room has gone quiet, and then presses → on the instructor's socket
once per phase of an epoch (phase 1 to the last), waiting for the room to settle after each key.
Every key is then the first visit of its phase for every session, as in a lecture.

Per key it records, for every attendee, when its output first showed the new phase in the
status line (the frame that carries the whole new screen: the redraw a student sees) and when
its last frame arrived before the room fell quiet. An attendee gets two frames per key: the
redraw, then a repaint of the matrix area that changes nothing on screen (Textual lays the
screen out a second time when a layout has changed a widget's virtual size), 43% of the bytes.
The lag of a key is the last attendee's time; the table gives the median and the worst key.
Beside the lag: the CPU the attendees' processes, the server and this client used per key and
attendee (utime + stime from /proc; what idle sessions use over the same time is taken off), each
session's resident memory (RSS, and PSS: shared library pages split among the processes that map
them, which is what a machine full of sessions pays), the server's RSS, and the bytes each
attendee receives per key. The CPU the machine spent on anything else from the key to the last
redraw is printed too: the machine may be shared, and other work lengthens the lag.

From those it derives how many attendees one core holds at a lag of at most 0.5 s, both from
the CPU a follow step costs and from the lag curve (a straight line fitted through the medians),
and how many machines like this one a hall of 300 needs.

Every process is cleaned up at the end, on Ctrl+C and on SIGTERM as well. Run time: about
2¼ minutes on the README's 2-core machine, 45 s of it starting the 154 app processes.
`--sizes 10,20 --keys 5` is a quick look; `--per-key` prints each key's lag and CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import _timing
import aiohttp

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SIZE = (160, 48)
SIZES = (10, 20, 40, 80)
TARGET_LAG = 0.5
"""Seconds from the instructor's key to the last attendee's redraw that a room still calls live."""
HALL = 300
QUIET = 0.4
"""Seconds without a frame on any socket after which a key's redraws are over (a repaint follows its
redraw within about 30 ms on an idle machine)."""
STEP_TIMEOUT = 60.0
START_TIMEOUT = 300.0
IDLE_SECONDS = 3.0
BUSY_ELSEWHERE = 0.3
"""Cores busy with anything but the room during its keys (the interrupt work of loopback networking, which no
process is charged with, counts there too) above which its lags are said to be disturbed."""
PHASE = re.compile(rb"phase (\d+)/(\d+)")
TICKS = os.sysconf("SC_CLK_TCK")


# --- processes, through /proc ------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str]:
    """Fields of /proc/PID/stat after the command name (which may hold spaces): index 0 is the state."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far, all threads; 0 once it has gone."""
    try:
        fields = _stat_fields(pid)
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def children_of(pid: int) -> list[int]:
    """Processes whose parent is pid: the server's app processes (each in a session of its own, so not
    in the server's process group, and found by parent instead)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat_fields(int(entry.name))[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return sorted(found)


def start_time(pid: int) -> int | None:
    """When the process started (clock ticks since boot): with the pid, it names one process, even
    after its pid is reused."""
    try:
        return int(_stat_fields(pid)[19])
    except (OSError, IndexError, ValueError):
        return None


@dataclass(frozen=True)
class Memory:
    rss: float
    pss: float


def memory_mb(pid: int) -> Memory:
    """Resident and proportional set size in MB (smaps_rollup; zeros once the process has gone)."""
    values = {"Rss:": 0.0, "Pss:": 0.0}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            name, _, rest = line.partition(" ")
            if name in values:
                values[name] = int(rest.split()[0]) / 1024
    except OSError:
        pass
    return Memory(values["Rss:"], values["Pss:"])


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine has spent on anything but idling and waiting for disk."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(value) for value in fields]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / TICKS


class Processes:
    """Every process this benchmark made, directly or through a server, so that nothing outlives it."""

    def __init__(self) -> None:
        self.servers: list[subprocess.Popen[bytes]] = []
        self.apps: dict[int, int | None] = {}

    def note_apps_of(self, server: subprocess.Popen[bytes]) -> list[int]:
        pids = children_of(server.pid)
        for pid in pids:
            self.apps.setdefault(pid, start_time(pid))
        return pids

    def stop_server(self, server: subprocess.Popen[bytes]) -> None:
        """SIGTERM lets the server stop its sessions itself; whatever is left after that is killed."""
        self.note_apps_of(server)
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        self.kill_leftover_apps()

    def kill_leftover_apps(self) -> None:
        for pid, started in list(self.apps.items()):
            if started is not None and start_time(pid) == started:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)  # each app leads a session (and group) of its own
            del self.apps[pid]

    def stop_all(self) -> None:
        for server in self.servers:
            self.stop_server(server)
        self.kill_leftover_apps()


PROCESSES = Processes()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def serving(attendees: int, token: str, pycache: str, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A real `backprop-tui serve` from this checkout on a free loopback port, room for the attendees and
    the instructor; stopped, with every app process it started, on the way out."""
    port = _free_port()
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode cached as after any first run:
    environment["PYTHONPYCACHEPREFIX"] = pycache  # otherwise each of the sessions compiles our modules
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environment.get("PYTHONPATH")]))
    argv = [sys.executable, "-m", "backprop_tui", "serve", "--host", HOST, "--port", str(port),
            "--max-sessions", str(attendees + 1), "--instructor-token", token]
    with log.open("wb") as output:
        server = subprocess.Popen(argv, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
    PROCESSES.servers.append(server)
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as probe:
                if probe.connect_ex((HOST, port)) == 0:
                    break
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start:\n" + log.read_text(errors="replace"))
            time.sleep(0.1)
        yield f"http://{HOST}:{port}", server
    finally:
        PROCESSES.stop_server(server)
        PROCESSES.servers.remove(server)


# --- screens, as the websockets deliver them ---------------------------------------------------


@dataclass
class Room:
    """When the last frame arrived on any socket: the room is quiet when nobody has drawn for a while."""

    last_frame: float = field(default_factory=time.perf_counter)


@dataclass
class Screen:
    """One session's output: frames counted and timed, and when the awaited phase first showed."""

    room: Room
    awaited: bytes = b""
    shown_at: float | None = None
    last_at: float = 0.0
    frames: int = 0
    received: int = 0
    after_shown: int = 0
    """Bytes that came after the frame showing the awaited phase: repaints of what was already on screen."""
    phase: tuple[int, int] | None = None
    _tail: bytes = b""

    def expect(self, marker: bytes) -> None:
        """Start a new key: count afresh, and wait for marker (a status line's `phase k/n`)."""
        self.awaited, self.shown_at, self.frames, self.received, self.after_shown = marker, None, 0, 0, 0
        self._tail = b""

    def take(self, data: bytes, now: float) -> None:
        self.room.last_frame = self.last_at = now
        self.frames += 1
        self.received += len(data)
        if self.shown_at is not None:
            self.after_shown += len(data)
        if self.shown_at is None and self.awaited:
            if self.awaited in self._tail + data:  # (a frame is one write of the app's; the tail is a safeguard)
                self.shown_at = now
            self._tail = data[-32:]
        if self.phase is None and (match := PHASE.search(data)):
            self.phase = (int(match[1]), int(match[2]))

    async def read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type is aiohttp.WSMsgType.BINARY:
                self.take(message.data, time.perf_counter())


async def settle(room: Room, screens: list[Screen], timeout: float, quiet: float = QUIET,
                 on_shown: Callable[[], None] | None = None) -> None:
    """Until every screen has shown what it awaits (then on_shown is called) and no frame has arrived for
    `quiet` seconds."""
    deadline = time.perf_counter() + timeout
    while True:
        now = time.perf_counter()
        if all(screen.shown_at is not None for screen in screens):
            if on_shown is not None:
                on_shown()
                on_shown = None
            if now - room.last_frame >= quiet:
                return
        if now > deadline:
            missing = sum(1 for screen in screens if screen.shown_at is None)
            raise TimeoutError(f"{missing} of {len(screens)} screens did not show {screens[0].awaited!r} "
                               f"within {timeout:.0f} s")
        await asyncio.sleep(0.02)


# --- one room --------------------------------------------------------------------------------


@dataclass
class Key:
    """What one key of the instructor cost the room."""

    shown: list[float]
    settled: list[float]
    frames: list[int]
    received: list[int]
    after_shown: list[int]
    instructor_shown: float
    instructor_cpu: float
    attendees_cpu: float
    server_cpu: float
    client_cpu: float
    elsewhere_cpu: float
    """CPU seconds the machine spent on anything but the room between the key and the last redraw."""
    until_shown: float
    wall: float


@dataclass
class Result:
    attendees: int
    keys: list[Key]
    memory: list[Memory]
    memory_after: list[Memory]
    server_rss: float
    server_rss_after: float
    idle_cpu_per_second: float
    start_seconds: float

    def per_key_session(self, what: str) -> float:
        """CPU seconds per key and attendee, summed over the keys (so a quiet key weighs what it cost). The
        attendees' is what the key cost them: what idle sessions use over the same time is taken off."""
        total = sum(getattr(key, what) for key in self.keys)
        if what == "attendees_cpu":
            total -= self.idle_cpu_per_second * self.attendees * sum(key.wall for key in self.keys)
        return total / (len(self.keys) * self.attendees)

    @property
    def busy_elsewhere(self) -> float:
        """Cores busy with anything but the room, on average, from each key until every attendee had redrawn."""
        return sum(key.elsewhere_cpu for key in self.keys) / sum(key.until_shown for key in self.keys)

    @property
    def shown(self) -> list[float]:
        return [max(key.shown) for key in self.keys]

    @property
    def settled(self) -> list[float]:
        return [max(key.settled) for key in self.keys]


def _cpu(pids: list[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


async def measure_room(attendees: int, keys: int | None, pycache: str, log: Path) -> Result:
    token = secrets.token_urlsafe(12)
    started = time.perf_counter()
    with serving(attendees, token, pycache, log) as (url, server):
        connector = aiohttp.TCPConnector(limit=0)
        jar = aiohttp.CookieJar(unsafe=True)  # the instructor's cookie, set for an IP address as browsers do
        async with aiohttp.ClientSession(connector=connector, cookie_jar=jar) as client:
            async with client.get(url + "/?instructor=" + token) as response:
                if "/ws/instructor" not in await response.text():
                    raise RuntimeError("the server did not take the instructor's token")
            room = Room()
            query = f"?width={SIZE[0]}&height={SIZE[1]}"
            origin = {"Origin": url}
            tasks: list[asyncio.Task[None]] = []
            try:
                teacher = Screen(room, awaited=b"phase 1/")
                instructor = await client.ws_connect(url + "/ws/instructor" + query, headers=origin)
                tasks.append(asyncio.create_task(teacher.read(instructor)))
                await settle(room, [teacher], START_TIMEOUT)
                (instructor_pid,) = PROCESSES.note_apps_of(server)
                sockets = await asyncio.gather(*(
                    client.ws_connect(url + "/ws" + query, headers=origin) for _ in range(attendees)))
                screens = [Screen(room, awaited=b"phase 1/") for _ in sockets]
                tasks += [asyncio.create_task(screen.read(ws)) for screen, ws in zip(screens, sockets)]
                await settle(room, screens, START_TIMEOUT, quiet=1.5)
                start_seconds = time.perf_counter() - started
                pids = [pid for pid in PROCESSES.note_apps_of(server) if pid != instructor_pid]
                if len(pids) != attendees:
                    raise RuntimeError(f"{len(pids)} attendee processes, expected {attendees}")
                memory = [memory_mb(pid) for pid in pids]
                server_rss = memory_mb(server.pid).rss
                phases = teacher.phase[1] if teacher.phase else 18
                idle_before = _cpu(pids)
                await asyncio.sleep(IDLE_SECONDS)
                idle_cpu_per_second = (_cpu(pids) - idle_before) / IDLE_SECONDS / attendees
                results = []
                for phase in range(2, 2 + (phases - 1 if keys is None else keys)):
                    results.append(await one_key(room, instructor, teacher, screens, pids,
                                                 (server.pid, instructor_pid), phase))
                memory_after = [memory_mb(pid) for pid in pids]
                server_rss_after = memory_mb(server.pid).rss
                await asyncio.gather(instructor.close(), *(ws.close() for ws in sockets))
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
    return Result(attendees, results, memory, memory_after, server_rss, server_rss_after, idle_cpu_per_second,
                  start_seconds)


async def one_key(room: Room, instructor: aiohttp.ClientWebSocketResponse, teacher: Screen, screens: list[Screen],
                  pids: list[int], others: tuple[int, int], phase: int) -> Key:
    """→ on the instructor's socket, then wait until every attendee shows `phase` and the room is quiet."""
    marker = f"phase {phase}/".encode()
    for screen in (teacher, *screens):
        screen.expect(marker)
    server_pid, instructor_pid = others

    def ours() -> float:
        return _cpu(pids) + cpu_seconds(server_pid) + cpu_seconds(instructor_pid) + time.process_time()

    def redrawn() -> None:  # every screen shows the key: how busy was the machine with anything else till now
        shown.extend((time.perf_counter(), machine_busy_seconds() - busy_before, ours() - ours_before))

    shown: list[float] = []
    before = (_cpu(pids), cpu_seconds(server_pid), time.process_time(), cpu_seconds(instructor_pid))
    busy_before, ours_before = machine_busy_seconds(), ours()
    pressed = time.perf_counter()
    await instructor.send_json(["stdin", "\x1b[C"])
    await settle(room, [teacher, *screens], STEP_TIMEOUT, on_shown=redrawn)
    wall = time.perf_counter() - pressed
    after = (_cpu(pids), cpu_seconds(server_pid), time.process_time(), cpu_seconds(instructor_pid))
    assert teacher.shown_at is not None
    return Key(
        shown=[screen.shown_at - pressed for screen in screens if screen.shown_at is not None],
        settled=[screen.last_at - pressed for screen in screens],
        frames=[screen.frames for screen in screens],
        received=[screen.received for screen in screens], after_shown=[screen.after_shown for screen in screens],
        instructor_shown=teacher.shown_at - pressed, instructor_cpu=after[3] - before[3],
        attendees_cpu=after[0] - before[0], server_cpu=after[1] - before[1], client_cpu=after[2] - before[2],
        elsewhere_cpu=max(0.0, shown[1] - shown[2]), until_shown=shown[0] - pressed, wall=wall,
    )


# --- what it means ---------------------------------------------------------------------------


def fit_line(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares intercept and slope of y over x."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x in xs)
    return mean_y - slope * mean_x, slope


LEGEND = """\
lag: the instructor's key → the frame showing the new phase on the last attendee's screen (median, worst key)
settled: the key → the last attendee's last frame before the room went quiet
CPU per key and attendee: the attendees' app processes; the server (relaying frames); this client (reading
  them: a real hall's browsers are elsewhere)
others: cores busy with anything but these processes, from the key to the last redraw (other work, and the
  kernel's loopback networking)
RSS, PSS: median per attendee's session; KB/key, frames: what one attendee received per key (median)
start: opening the room until every screen was drawn"""


def report(results: list[Result], cores: int) -> None:
    ms = 1000
    print()
    print(f"{'N':>3}  {'lag median':>10}  {'lag max':>8}  {'settled':>8}  {'CPU/key/session':>15}  "
          f"{'server':>7}  {'client':>7}  {'others':>7}  {'RSS':>7}  {'PSS':>7}  {'server RSS':>10}  "
          f"{'KB/key':>7}  {'frames':>6}  {'start':>6}")
    for r in results:
        rss = statistics.median(m.rss for m in r.memory)
        pss = statistics.median(m.pss for m in r.memory)
        others = r.busy_elsewhere
        received = statistics.median(v for k in r.keys for v in k.received) / 1024
        frames = statistics.median(v for k in r.keys for v in k.frames)
        print(f"{r.attendees:>3}  {statistics.median(r.shown):>9.3f}s  {max(r.shown):>7.3f}s  "
              f"{statistics.median(r.settled):>7.3f}s  {r.per_key_session('attendees_cpu') * ms:>12.1f} ms  "
              f"{r.per_key_session('server_cpu') * ms:>4.1f} ms  {r.per_key_session('client_cpu') * ms:>4.1f} ms  "
              f"{others:>5.2f} c  {rss:>4.1f} MB  {pss:>4.1f} MB  {r.server_rss:>7.1f} MB  {received:>7.1f}  "
              f"{frames:>6.0f}  {r.start_seconds:>5.0f}s")
    print(LEGEND)
    for r in results:
        if r.busy_elsewhere > BUSY_ELSEWHERE:
            print(f"N={r.attendees}: {r.busy_elsewhere:.2f} cores were busy elsewhere while the room redrew: its lags "
                  "are longer than this machine alone gives; the CPU figures stand")
    for r in results:
        growth = statistics.median(a.rss - b.rss for a, b in zip(r.memory_after, r.memory))
        pss_after = statistics.median(m.pss for m in r.memory_after)
        repainted = sum(sum(k.after_shown) for k in r.keys) / sum(sum(k.received) for k in r.keys)
        instructor = statistics.median(k.instructor_shown for k in r.keys)
        print(f"N={r.attendees}: idle session {r.idle_cpu_per_second * ms:.2f} ms CPU per second; "
              f"RSS per session {growth:+.1f} MB over the walk (PSS then {pss_after:.1f} MB); "
              f"server {r.server_rss:.1f} → {r.server_rss_after:.1f} MB; "
              f"the instructor's own redraw {instructor * ms:.0f} ms (median); "
              f"{repainted:.0%} of the bytes sent after the redraw")

    if len({r.attendees for r in results}) < 2:
        print("\n(a lag curve needs two sizes of room or more: nothing derived)")
        return
    # One core, from the CPU a follow step costs: the room's work for one key is N × (app + server) CPU
    # seconds, spread over the cores; the lag is that plus what does not grow with N (the intercept).
    # From the lag curve: its slope is per attendee on all the cores here, so one core's is cores × slope.
    intercept, slope = fit_line([(r.attendees, statistics.median(r.shown)) for r in results])
    worst_intercept, worst_slope = fit_line([(r.attendees, max(r.shown)) for r in results])
    app = statistics.median(r.per_key_session("attendees_cpu") for r in results)
    server = statistics.median(r.per_key_session("server_cpu") for r in results)
    per_session = app + server
    fixed = max(0.0, intercept)
    by_cpu = (TARGET_LAG - fixed) / per_session
    by_curve = (TARGET_LAG - intercept) / slope / cores if slope > 0 else math.inf
    by_worst = (TARGET_LAG - worst_intercept) / worst_slope / cores if worst_slope > 0 else math.inf
    per_core = math.floor(min(by_cpu, by_curve))
    per_machine = per_core * cores
    pss = statistics.median(m.pss for r in results for m in r.memory_after)  # once every phase has been drawn
    print()
    print(f"lag curve (median lag over N, least squares): {intercept * ms:.0f} ms + {slope * ms:.2f} ms × N "
          f"on {cores} cores; the worst key's: {worst_intercept * ms:.0f} ms + {worst_slope * ms:.2f} ms × N")
    print(f"CPU per follow step and attendee: {per_session * ms:.1f} ms (app {app * ms:.1f} + server "
          f"{server * ms:.1f}; medians over N)")
    print(f"one core at ≤ {TARGET_LAG} s: {by_cpu:.1f} attendees from the CPU per step "
          f"(({TARGET_LAG} s − {fixed * ms:.0f} ms) / {per_session * ms:.1f} ms), {by_curve:.1f} from the lag "
          f"curve (({TARGET_LAG} s − {intercept * ms:.0f} ms) / {slope * ms:.2f} ms / {cores} cores): {per_core} "
          f"(the smaller, whole); {by_worst:.1f} if the worst key must stay within {TARGET_LAG} s")
    machines = math.ceil(HALL / per_machine) if per_machine else math.inf
    strict = math.floor(min(by_cpu, by_worst)) * cores
    print(f"a hall of {HALL} at ≤ {TARGET_LAG} s: {machines} machines of {cores} cores ({per_machine} attendees "
          f"each; {per_machine} × {pss:.0f} MB PSS after a walk through the epoch = "
          f"{per_machine * pss / 1024:.1f} GB of memory each); "
          f"{math.ceil(HALL / strict) if strict else math.inf} if no key may take longer ({strict} each)")
    print(f"or one machine of {math.ceil(HALL / (per_machine / cores))} such cores and {HALL * pss / 1024:.0f} GB "
          f"for all {HALL} in one room server (its own share: {server * HALL * ms:.0f} ms of one core per key)")


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="attendees per room, comma-separated")
    parser.add_argument("--keys", type=int, default=None, help="keys per room (default: one epoch's phases)")
    parser.add_argument("--per-key", action="store_true", help="print each key's lag too")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    print("\n".join(_timing.machine_lines()))
    cores = len(os.sched_getaffinity(0))
    print(f"load average before: {os.getloadavg()[0]:.2f}; screens {SIZE[0]}×{SIZE[1]}; "
          "app flags: none (the default run)")
    began = time.perf_counter()
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="serve-capacity-") as scratch:
            for attendees in sizes:
                print(f"N = {attendees}: starting the room…", flush=True)
                result = asyncio.run(measure_room(attendees, args.keys, scratch, Path(scratch) / "server.log"))
                results.append(result)
                print(f"N = {attendees}: lag median {statistics.median(result.shown):.3f} s, "
                      f"max {max(result.shown):.3f} s", flush=True)
                if args.per_key:
                    print("  each key's lag (s): " + " ".join(f"{lag:.2f}" for lag in result.shown))
                    print("  each key's CPU per attendee (ms): " + " ".join(
                        f"{key.attendees_cpu / attendees * 1000:.0f}" for key in result.keys), flush=True)
    except KeyboardInterrupt:
        PROCESSES.stop_all()
        print("stopped; every process this run started has been ended", file=sys.stderr)
        sys.exit(130)
    finally:
        PROCESSES.stop_all()
    report(results, cores)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}; run time {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
