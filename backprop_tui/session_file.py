"""Session files: everything needed to reopen exactly the same screen, as TOML.

Read with the standard library's tomllib, written with our small writer, always
atomically. Every problem is one line naming the file and, where it can, the line
and column.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from backprop_tui.atomic import write_atomic
from backprop_tui.config import RunConfig
from backprop_tui.toml_writer import dumps
from scratchnet.data import DEFAULT_NOISE
from scratchnet.names import ascii_name, canonical_name

THEME_NAMES = ("dark", "light", "high-contrast", "monochrome")
_PHASE_KEY = re.compile(r"^(forward\.\d+|error|loss|loss_gradient|backward\.\d+\.(weight|bias|input)|update\.\d+)$")
Cell = tuple[int, int]


class SessionError(ValueError):
    """One line: what is wrong with a session file, and where."""


@dataclass(frozen=True)
class SessionFile:
    config: RunConfig
    data_sha256: str | None
    theme: str
    pins: tuple[tuple[str, Cell], ...]
    epoch: int
    phase: str
    matrix: str | None
    cell: Cell


def sha256_of(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def save_session(path: str | Path, session: SessionFile) -> None:
    config = session.config
    if config.data is None:
        data = {"source": "generated", "samples": config.samples, "noise": float(config.noise)}
    else:
        data = {"source": "csv", "path": config.data, "sha256": session.data_sha256 or sha256_of(config.data)}
        if config.target is not None:
            data["target"] = config.target
    position = {"epoch": session.epoch, "phase": session.phase, "cell": list(session.cell)}
    if session.matrix is not None:
        position["matrix"] = ascii_name(session.matrix)
    document = {
        "version": 1,
        "data": data,
        "network": {"hidden": list(config.hidden), "dtype": config.dtype, "seed": config.seed},
        "training": {"learning_rate": float(config.learning_rate), "epochs": config.epochs},
        "view": {"theme": session.theme},
        "position": position,
        "pin": [{"matrix": ascii_name(name), "cell": list(cell)} for name, cell in session.pins],
    }
    write_atomic(path, dumps(document))


def _where(text: str, table: str | None, key: str) -> str:
    """line:column of `key =` inside [table] (or at the top), found in the source."""
    in_table = table is None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_table = stripped.strip("[]").strip() == table
            continue
        if in_table and re.match(rf"^{re.escape(key)}\s*=", stripped):
            return f"{number}:{line.index(key) + 1}"
    return "1:1"


class _Reader:
    """Typed access to a parsed document that reports errors at their line and column."""

    def __init__(self, path: Path, text: str, document: dict) -> None:
        self.path, self.text, self.document = path, text, document

    def fail(self, table: str | None, key: str, message: str) -> SessionError:
        return SessionError(f"{self.path}:{_where(self.text, table, key)}: {message}")

    def table(self, name: str) -> dict:
        value = self.document.get(name, {})
        if not isinstance(value, dict):
            raise SessionError(f"{self.path}:{_where(self.text, None, name)}: [{name}] must be a table")
        return value

    def get(self, table: str, key: str, kind, default=None, required: bool = False):
        section = self.table(table)
        if key not in section:
            if required:
                raise SessionError(f"{self.path}: [{table}] needs {key}")
            return default
        value = section[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(table, key, f"{key} must be {kind.__name__}")
        return value


def _cell(reader: _Reader, table: str, value, key: str = "cell") -> Cell:
    if not (isinstance(value, list) and len(value) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)):
        raise reader.fail(table, key, f"{key} must be two whole numbers ≥ 0, like [3, 1]")
    return (value[0], value[1])


def load_session(path: str | Path) -> SessionFile:
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except IsADirectoryError:
        raise SessionError(f"{path}: is a directory, not a session file") from None
    except UnicodeDecodeError:
        raise SessionError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise SessionError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SessionError(f"{path}: not valid TOML: {error}") from None
    reader = _Reader(path, text, document)
    known = {"version", "data", "network", "training", "view", "position", "pin"}
    for key in document:
        if key not in known:
            raise reader.fail(None, key, f"unknown key {key!r}")

    source = reader.get("data", "source", str, "generated")
    data = target = sha = None
    samples, noise = RunConfig.samples, DEFAULT_NOISE
    if source == "csv":
        data = reader.get("data", "path", str, required=True)
        if not Path(data).is_absolute():
            data = str(path.parent / data)
        target = reader.get("data", "target", str)
        sha = reader.get("data", "sha256", str, required=True)
    elif source == "generated":
        samples = reader.get("data", "samples", int, samples)
        if samples < 2:
            raise reader.fail("data", "samples", "samples must be at least 2")
        noise = reader.get("data", "noise", float, noise)
        if not math.isfinite(noise) or noise < 0:
            raise reader.fail("data", "noise", "noise must be a finite number ≥ 0")
    else:
        raise reader.fail("data", "source", "source must be 'generated' or 'csv'")

    hidden = reader.get("network", "hidden", list, [8, 4])
    if not all(isinstance(h, int) and not isinstance(h, bool) and h >= 1 for h in hidden):
        raise reader.fail("network", "hidden", "hidden must be a list of positive whole numbers")
    dtype = reader.get("network", "dtype", str, "float64")
    if dtype not in ("float64", "float32"):
        raise reader.fail("network", "dtype", "dtype must be float64 or float32")
    seed = reader.get("network", "seed", int, 0)
    if seed < 0:
        raise reader.fail("network", "seed", "seed must be ≥ 0")
    learning_rate = reader.get("training", "learning_rate", float, 0.01)
    if not math.isfinite(learning_rate) or learning_rate <= 0:
        raise reader.fail("training", "learning_rate", "learning_rate must be a number above 0")
    epochs = reader.get("training", "epochs", int, 125)
    if epochs < 0:
        raise reader.fail("training", "epochs", "epochs must be ≥ 0")
    theme = reader.get("view", "theme", str, "dark")
    if theme not in THEME_NAMES:
        raise reader.fail("view", "theme", f"theme must be one of {', '.join(THEME_NAMES)}")

    epoch = reader.get("position", "epoch", int, 0)
    if epoch < 0:
        raise reader.fail("position", "epoch", "epoch must be ≥ 0")
    phase = reader.get("position", "phase", str, "forward.1")
    if not _PHASE_KEY.match(phase):
        raise reader.fail("position", "phase", f"{phase!r} is not a phase key (like forward.1 or update.3)")
    matrix = reader.get("position", "matrix", str)
    cell = _cell(reader, "position", reader.get("position", "cell", list, [0, 0]))

    pins_raw = document.get("pin", [])
    if not isinstance(pins_raw, list):
        raise reader.fail(None, "pin", "pin must be an array of tables ([[pin]])")
    pins = []
    for pin in pins_raw:
        if not isinstance(pin, dict) or not isinstance(pin.get("matrix"), str):
            raise reader.fail("pin", "matrix", "each [[pin]] needs matrix = \"W2\" and cell = [r, c]")
        pins.append((canonical_name(pin["matrix"]), _cell(reader, "pin", pin.get("cell"))))

    config = RunConfig(hidden=tuple(hidden), learning_rate=learning_rate, samples=samples, seed=seed, noise=noise,
                       epochs=epochs, dtype=dtype, data=data, target=target)
    return SessionFile(config, sha, theme, tuple(pins), epoch, phase,
                       None if matrix is None else canonical_name(matrix), cell)


def check_data(session: SessionFile, path: str | Path) -> None:
    """A CSV session only reopens on the very table it was saved with."""
    data = session.config.data
    if data is None:
        return
    if not Path(data).is_file():
        raise SessionError(f"{path}: its data {data} is missing")
    if sha256_of(data) != session.data_sha256:
        raise SessionError(f"{path}: {data} has changed since the session was saved (sha256 differs)")


_FLAG_FIELDS = {"hidden": "hidden", "lr": "learning_rate", "samples": "samples", "seed": "seed", "noise": "noise",
                "epochs": "epochs", "dtype": "dtype", "data": "data", "target": "target"}


def merge_flags(session: SessionFile, given: dict[str, object], path: str | Path) -> RunConfig:
    """The file decides; a flag that says otherwise is an error, one that agrees is fine."""
    for flag, field in _FLAG_FIELDS.items():
        if flag not in given:
            continue
        value, saved = given[flag], getattr(session.config, field)
        if flag == "data" and saved is not None:
            same = Path(str(value)).resolve() == Path(saved).resolve()
        else:
            same = value == saved
        if not same:
            shown = ",".join(map(str, value)) if isinstance(value, tuple) else value
            raise SessionError(f"--{flag} {shown} contradicts the session file's {field.replace('_', ' ')} "
                               f"{saved} ({path})")
    return session.config
