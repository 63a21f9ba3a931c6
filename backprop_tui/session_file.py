"""Session files: everything needed to reopen exactly the same screen, as TOML.

People open these files in an editor, so every problem is ONE line that names the
file and, where it can, the line and column (`session.toml:7:1: …`). Written with tomli-w,
always atomically; read with the standard library's tomllib.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backprop_tui.atomic import write_atomic
from backprop_tui.binding_ids import ALL_BINDING_IDS
from backprop_tui.breakpoints import Entry
from backprop_tui.config import MAX_EPOCH, THEME_NAMES, RunConfig
from backprop_tui.text_file import read_text
from backprop_tui.toml_writer import dumps, load_toml, locate, where
from scratchnet.conditions import ConditionError, check_matrices, parse_condition
from scratchnet.datasets import DATASETS
from scratchnet.debugger.names import ascii_name, canonical_name

if TYPE_CHECKING:
    from backprop_tui.session import Session

VERSION = 1
ACTIVATION_NAMES = ("relu", "tanh", "sigmoid", "leaky_relu", "none")
LOSS_NAMES = ("mse", "cross-entropy")
DTYPES = ("float64", "float32")
PHASE_KEY = re.compile(r"forward\.[1-9]\d*|activation\.[1-9]\d*|softmax|error|loss|penalty|loss_gradient"
                       r"|backward\.[1-9]\d*\.(weight|bias|input|activation)|update\.[1-9]\d*")
MATRIX_ALIAS = re.compile(r"X|y|P|error|squared_error|sample_loss|loss|penalty|total_loss|dL_dyhat|dL_dZ[1-9]\d*"
                          r"|[WbZA][1-9]\d*|d[WbXZ][1-9]\d*|[Wb][1-9]\d*_new|[vms][Wb][1-9]\d*(?:_new)?"
                          r"|[ms]hat[Wb][1-9]\d*")
"""The ASCII aliases of the canonical matrix names (DESIGN.md): with momentum vW2, vb2 and vW2_new; with Adam
mW2, sW2, their _new, and the bias-corrected mhatW2, shatW2; with weight decay penalty and total_loss."""
OPTIMIZER_NAMES = ("sgd", "momentum", "adam")
OPTIMIZER_KEYS = {"momentum": ("momentum",), "beta1": ("adam",), "beta2": ("adam",), "eps": ("adam",)}
"""[training] keys that belong to one optimizer, and which."""
Cell = tuple[int, int]

_KEYS = {
    None: ("version", "data", "network", "training", "view", "keys", "position", "pin", "breakpoint"),
    "data": ("source", "dataset", "samples", "noise", "path", "target", "labels", "sha256", "test_fraction"),
    "network": ("hidden", "activations", "loss", "dtype", "seed"),
    "training": ("learning_rate", "epochs", "optimizer", "momentum", "beta1", "beta2", "eps", "weight_decay",
                 "batch_size"),
    "view": ("theme",),
    "position": ("epoch", "iteration", "phase", "matrix", "cell"),
    "pin": ("matrix", "cell"),
    "breakpoint": ("phase", "condition", "enabled"),
}
KEY_NAME = re.compile(r"(?:(?:ctrl|shift|alt|meta|super|hyper)\+)*(?:[a-z0-9_]+|[^\s,+]|\+)")
"""A key as Textual names it: one character, or a lowercase name (pagedown, f5, ctrl+s)."""
_SOURCE_KEYS = {"generated": ("source", "dataset", "samples", "noise", "test_fraction"),
                "csv": ("source", "path", "target", "labels", "sha256", "test_fraction")}
"""`dataset` (default "houses") and `labels` (default false) are written only when not their default, so a
file of the article's run reads as it did before they existed, and files from before them still open. So are
`test_fraction`, the [training] keys of the optimizer, weight decay and batches, and the position's
`iteration`."""


class SessionError(ValueError):
    """One line: what is wrong with a session file, and where."""


@dataclass(frozen=True)
class SessionFile:
    config: RunConfig
    data_sha256: str | None
    """The CSV's sha256 when the data is a CSV file, else None."""
    theme: str
    pins: tuple[tuple[str, Cell], ...]
    """Canonical matrix names (`W2`, `dL/dŷ`, `W2'`) and cells."""
    epoch: int
    phase: str
    matrix: str | None
    """Canonical name of the focused matrix; None when the phase list has focus."""
    cell: Cell
    keys: tuple[tuple[str, str], ...] = ()
    """Binding id → keys, as written in the [keys] table (`("next-phase", "right,n,f5")`): Textual's keymap."""
    source: str | None = field(default=None, compare=False)
    """The file this was loaded from, for messages; not part of what a session is."""
    iteration: int = 0
    """The batch of the epoch the position is in, from 0 (with --batch-size; else 0)."""
    breakpoints: tuple[Entry, ...] = ()
    """Phases and conditions ([[breakpoint]]), enabled or not; written only when there are some."""


def session_file_from(config: RunConfig, theme: str, pins: Iterable[tuple[str, Cell]], epoch: int, phase: str,
                      matrix: str | None, cell: Cell, data_sha256: str | None = None,
                      keys: Iterable[tuple[str, str]] = (), iteration: int = 0,
                      breakpoints: Iterable[Entry] = ()) -> SessionFile:
    """A SessionFile from the app's state; a CSV's hash is computed when not given."""
    if config.data is not None and data_sha256 is None:
        data_sha256 = sha256_of(config.data)
    pins = tuple((name, (int(row), int(column))) for name, (row, column) in pins)
    return SessionFile(config, data_sha256 if config.data is not None else None, theme, pins, int(epoch), phase,
                       matrix, (int(cell[0]), int(cell[1])), tuple(keys), iteration=int(iteration),
                       breakpoints=tuple(breakpoints))


def session_file_of(session: Session, theme: str, keys: Mapping[str, str]) -> SessionFile:
    """What the app saves: the session's run, position and pins, the theme and the remapped keys."""
    view = session.view
    return session_file_from(session.config, theme, [(pin.name, pin.cell) for pin in session.pins], session.epoch,
                             session.phase.key, view.matrix, view.cell, keys=keys.items(),
                             iteration=session.iteration, breakpoints=session.breakpoints.entries)


@dataclass(frozen=True)
class Opening:
    """Where a session file says to open: position and pins."""

    epoch: int
    phase: str
    matrix: str | None
    cell: Cell
    pins: tuple[tuple[str, Cell], ...]
    iteration: int = 0
    note: str = ""
    breakpoints: tuple[Entry, ...] = ()
    """Said once on opening (why it opens here: a --break that held)."""

    def validate(self, session: Session, path: str) -> None:
        if self.phase not in session.tape.keys:
            raise SessionError(f"{path}: phase {self.phase!r} does not exist in this network")
        known = session.matrix_names
        for entry in self.breakpoints:
            if entry.kind == "phase" and entry.text not in session.tape.keys:
                raise SessionError(f"{path}: [[breakpoint]] phase {entry.text!r} does not exist in this network")
            if entry.kind == "condition":
                try:
                    check_matrices(parse_condition(entry.text), known, entry.text)
                except ConditionError as error:
                    raise SessionError(f"{path}: [[breakpoint]] condition: {error}") from None
        if self.epoch > MAX_EPOCH:
            raise SessionError(f"{path}: epoch {self.epoch} is beyond what a session can reopen ({MAX_EPOCH:,})")

    def open_in(self, session: Session) -> None:
        """Move the session there: the epoch and phase, then the pins (so their histories start where they
        did), then the focused matrix and its cell."""
        from backprop_tui.session import View

        session.go_to_epoch(self.epoch, self.phase, iteration=self.iteration)
        session.breakpoints.entries.extend(entry for entry in self.breakpoints
                                           if entry not in session.breakpoints.entries)
        for name, cell in self.pins:
            session.pin(name, cell)
        if self.matrix:
            session.set_view(View(self.matrix, cells=((self.matrix, self.cell),)))


def sha256_of(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- saving ----------------------------------------------------------------------------------------


def save_session(path: Path | str, session_file: SessionFile) -> None:
    """Write atomically: a failed save leaves the previous file as it was."""
    write_atomic(path, dumps(_document(session_file, Path(path))))


def save_session_or_say(path: Path | str, session_file: SessionFile) -> str | None:
    """`save_session`, or what to tell the person when the file cannot be written."""
    try:
        save_session(path, session_file)
    except OSError as error:
        return f"Could not save {path}: {error.strerror}"
    return None


def _document(session: SessionFile, path: Path) -> dict:
    config = session.config
    if config.data is None:
        data: dict = {"source": "generated", "dataset": None if config.dataset == "houses" else config.dataset,
                      "samples": config.samples, "noise": float(config.noise)}
    else:
        data = {"source": "csv", "path": _stored_path(config.data, path), "target": config.target,
                "labels": config.labels or None, "sha256": session.data_sha256 or sha256_of(config.data)}
    data["test_fraction"] = float(config.test_fraction) if config.test_fraction else None
    position = {"epoch": session.epoch, "iteration": session.iteration or None, "phase": session.phase,
                "matrix": None if session.matrix is None else ascii_name(session.matrix), "cell": list(session.cell)}
    training: dict = {"learning_rate": float(config.learning_rate), "epochs": config.epochs}
    if config.optimizer != "sgd":  # the article's plain gradient descent is written as before optimizers existed
        training["optimizer"] = config.optimizer
    if config.optimizer == "momentum":
        training["momentum"] = float(config.momentum)
    if config.optimizer == "adam":
        training.update(beta1=float(config.beta1), beta2=float(config.beta2), eps=float(config.eps))
    if config.weight_decay:
        training["weight_decay"] = float(config.weight_decay)
    if config.batch_size is not None:
        training["batch_size"] = config.batch_size
    return {
        "version": VERSION,
        "data": data,
        "network": {"hidden": list(config.hidden),  # the article's network is written as before activations existed
                    **({"activations": list(config.activations)} if set(config.activations) - {"none"} else {}),
                    **({} if config.loss is None else {"loss": config.loss}), "dtype": config.dtype,
                    "seed": config.seed},
        "training": training,
        "view": {"theme": session.theme},
        "keys": dict(session.keys) or None,
        "position": position,
        "pin": [{"matrix": ascii_name(name), "cell": list(cell)} for name, cell in session.pins] or None,
        "breakpoint": [{entry.kind: entry.text, **({} if entry.enabled else {"enabled": False})}
                       for entry in session.breakpoints] or None,
    }


def _stored_path(data: str, session_path: Path) -> str:
    """Relative to the session's folder when the CSV lies in it or below (the two can move together),
    else absolute, so the file never depends on the folder it was saved from."""
    absolute = Path(os.path.abspath(data))
    folder = Path(os.path.abspath(session_path)).parent
    try:
        return absolute.relative_to(folder).as_posix()
    except ValueError:
        return str(absolute)


# --- loading ---------------------------------------------------------------------------------------


class _Reader:
    """Typed access to a parsed document; every complaint carries the key's line and column."""

    def __init__(self, name: str, text: str, document: dict) -> None:
        self.name, self.text, self.document = name, text, document

    def fail(self, table: str | None, key: str | None, message: str, occurrence: int = 0) -> SessionError:
        position = locate(self.text, table, key, occurrence)
        if position is None and key is not None:
            position = locate(self.text, table, None, occurrence) if table else locate(self.text, key, None)
        return SessionError(f"{where(self.name, position)}: {message}")

    def table(self, name: str) -> dict:
        value = self.document.get(name, {})
        if not isinstance(value, dict):
            raise self.fail(None, name, f"{name} must be a table ([{name}]), not {_kind(value)}")
        self.check_keys(name, value, _KEYS[name])
        return value

    def check_keys(self, table: str | None, section: dict, known: Iterable[str], occurrence: int = 0) -> None:
        for key in section:
            if key not in known:
                where_ = f"in [{table}]" if table else "at the top"
                raise self.fail(table, key, f"unknown key {key!r} {where_} (known: {', '.join(known)})", occurrence)

    def get(self, table: str, key: str, kind: type, default: object = None, required: bool = False,
            section: dict | None = None, occurrence: int = 0) -> Any:
        """`key` of [table] (or of `section`), checked to be a `kind`; `default` if absent and not required."""
        section = self.table(table) if section is None else section
        if key not in section:
            if required:
                raise self.fail(table, None, f"[{table}] needs {key}", occurrence)
            return default
        value = section[key]
        if kind is float and _is_int(value):
            value = float(value)
        if kind is int and not _is_int(value) or kind is not int and not isinstance(value, kind):
            raise self.fail(table, key, f"{key} must be {_TOML_KIND[kind]}, not {_kind(value)}", occurrence)
        return value


_TOML_KIND = {str: "string", int: "integer", float: "float", bool: "boolean", list: "an array", dict: "a table"}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _kind(value: object) -> str:
    for kind, word in _TOML_KIND.items():
        if isinstance(value, kind) and (kind is not int or not isinstance(value, bool)):
            return word
    return "a date or time" if value.__class__.__module__ == "datetime" else type(value).__name__


def _read_text(path: Path) -> str:
    return read_text(path, SessionError, "session")


def load_session(path: Path | str) -> SessionFile:
    """Read and check a session file; every problem is a one-line SessionError."""
    path = Path(path)
    name = str(path)
    text = _read_text(path)
    document = load_toml(text, name, SessionError)
    reader = _Reader(name, text, document)
    reader.check_keys(None, document, _KEYS[None])
    version = document.get("version", VERSION)
    if not _is_int(version) or version != VERSION:
        raise reader.fail(None, "version", f"version must be {VERSION} (this backprop-tui reads version {VERSION} "
                          f"session files; got {version!r})")
    config, sha = _run_config(reader, path)
    theme = reader.get("view", "theme", str, "dark")
    if theme not in THEME_NAMES:
        raise reader.fail("view", "theme", f"theme must be one of {', '.join(THEME_NAMES)} (got {theme!r})")
    epoch, phase, matrix, cell = _position(reader)
    iteration = reader.get("position", "iteration", int, 0)
    if iteration < 0:
        raise reader.fail("position", "iteration", f"iteration must be ≥ 0 (got {iteration})")
    return SessionFile(config, sha, theme, _pins(reader), epoch, phase, matrix, cell, _keys(reader), source=name,
                       iteration=iteration, breakpoints=_breakpoints(reader))


def _run_config(reader: _Reader, path: Path) -> tuple[RunConfig, str | None]:
    defaults = RunConfig()
    data = reader.table("data")
    source = reader.get("data", "source", str, "generated")
    if source not in _SOURCE_KEYS:
        raise reader.fail("data", "source", f"source must be \"generated\" or \"csv\" (got {source!r})")
    for key in data:
        if key not in _SOURCE_KEYS[source]:
            raise reader.fail("data", key, f"{key} does not apply to source = \"{source}\"")
    csv = target = sha = None
    dataset, labels = defaults.dataset, defaults.labels
    samples, noise = defaults.samples, defaults.noise
    if source == "csv":
        csv = reader.get("data", "path", str, required=True)
        if not csv.strip():
            raise reader.fail("data", "path", "path must name the CSV file")
        if not Path(csv).is_absolute():
            csv = str(path.parent / csv)
        target = reader.get("data", "target", str)
        sha = reader.get("data", "sha256", str, required=True)
        if not re.fullmatch(r"[0-9a-f]{64}", sha):
            raise reader.fail("data", "sha256", "sha256 must be 64 lowercase hex digits")
        labels = reader.get("data", "labels", bool, labels)
    else:
        dataset = reader.get("data", "dataset", str, dataset)
        if dataset not in DATASETS:
            raise reader.fail("data", "dataset", f"dataset must be one of {', '.join(DATASETS)} (got {dataset!r})")
        samples, noise = DATASETS[dataset].samples, DATASETS[dataset].noise
        samples = reader.get("data", "samples", int, samples)
        if samples < 2:
            raise reader.fail("data", "samples", f"samples must be at least 2 (got {samples})")
        noise = reader.get("data", "noise", float, noise)
        if not math.isfinite(noise) or noise < 0:
            raise reader.fail("data", "noise", "noise must be a finite number ≥ 0")

    hidden = reader.get("network", "hidden", list, list(defaults.hidden))
    if not all(_is_int(size) and size >= 1 for size in hidden):
        raise reader.fail("network", "hidden", "hidden must be a list of positive whole numbers, like [8, 4]")
    activations = reader.get("network", "activations", list, ["none"] * len(hidden))
    if len(activations) != len(hidden) or not all(name in ACTIVATION_NAMES for name in activations):
        raise reader.fail("network", "activations", f"activations must list one of {', '.join(ACTIVATION_NAMES)} "
                          f"per hidden layer ({len(hidden)} here)")
    loss = reader.get("network", "loss", str, None)
    if loss is not None and loss not in LOSS_NAMES:
        raise reader.fail("network", "loss", f"loss must be {' or '.join(LOSS_NAMES)} (got {loss!r})")
    dtype = reader.get("network", "dtype", str, defaults.dtype)
    if dtype not in DTYPES:
        raise reader.fail("network", "dtype", f"dtype must be {' or '.join(DTYPES)} (got {dtype!r})")
    seed = reader.get("network", "seed", int, defaults.seed)
    if seed < 0:
        raise reader.fail("network", "seed", f"seed must be ≥ 0 (got {seed})")
    learning_rate = reader.get("training", "learning_rate", float, defaults.learning_rate)
    if not math.isfinite(learning_rate) or learning_rate <= 0:
        raise reader.fail("training", "learning_rate", "learning_rate must be a number above 0")
    epochs = reader.get("training", "epochs", int, defaults.epochs)
    if epochs < 0:
        raise reader.fail("training", "epochs", f"epochs must be ≥ 0 (got {epochs})")
    test_fraction = reader.get("data", "test_fraction", float, defaults.test_fraction)
    if not 0 <= test_fraction < 1:
        raise reader.fail("data", "test_fraction", f"test_fraction must be a number in [0, 1) (got {test_fraction})")
    dynamics = _dynamics(reader, defaults)
    config = RunConfig(hidden=tuple(hidden), activations=tuple(activations), loss=loss, learning_rate=learning_rate,
                       samples=samples, seed=seed, noise=noise, epochs=epochs, dtype=dtype, data=csv, target=target,
                       dataset=dataset, labels=labels, test_fraction=test_fraction, **dynamics)
    return config, sha


def _dynamics(reader: _Reader, defaults: RunConfig) -> dict[str, Any]:
    """[training]'s optimizer, its settings, weight_decay and batch_size, checked; absent keys take the defaults
    (a file from before them: the article's plain gradient descent on every row)."""
    optimizer = reader.get("training", "optimizer", str, defaults.optimizer)
    if optimizer not in OPTIMIZER_NAMES:
        raise reader.fail("training", "optimizer", f"optimizer must be one of {', '.join(OPTIMIZER_NAMES)} "
                          f"(got {optimizer!r})")
    training = reader.table("training")
    for key, owners in OPTIMIZER_KEYS.items():
        if key in training and optimizer not in owners:
            raise reader.fail("training", key, f"{key} applies to optimizer = \"{owners[0]}\" (this file's optimizer "
                              f"is {optimizer})")
    settings: dict[str, Any] = {"optimizer": optimizer}
    for key in ("momentum", "beta1", "beta2"):
        value = reader.get("training", key, float, getattr(defaults, key))
        if not 0 <= value < 1:
            raise reader.fail("training", key, f"{key} must be a number in [0, 1) (got {value})")
        settings[key] = value
    eps = reader.get("training", "eps", float, defaults.eps)
    if not math.isfinite(eps) or eps <= 0:
        raise reader.fail("training", "eps", "eps must be a finite number above 0")
    weight_decay = reader.get("training", "weight_decay", float, defaults.weight_decay)
    if not math.isfinite(weight_decay) or weight_decay < 0:
        raise reader.fail("training", "weight_decay", "weight_decay must be a finite number ≥ 0")
    batch_size = reader.get("training", "batch_size", int, defaults.batch_size)
    if batch_size is not None and batch_size < 1:
        raise reader.fail("training", "batch_size", f"batch_size must be at least 1 (got {batch_size})")
    return {**settings, "eps": eps, "weight_decay": weight_decay, "batch_size": batch_size}


def _position(reader: _Reader) -> tuple[int, str, str | None, Cell]:
    epoch = reader.get("position", "epoch", int, 0)
    if epoch < 0:
        raise reader.fail("position", "epoch", f"epoch must be ≥ 0 (got {epoch})")
    phase = reader.get("position", "phase", str, "forward.1")
    if not PHASE_KEY.fullmatch(phase):
        raise reader.fail("position", "phase", f"{phase!r} is not a phase key (like forward.1 or update.3)")
    matrix = reader.get("position", "matrix", str)
    if matrix is not None:
        matrix = _matrix_name(reader, "position", matrix)
    cell = _cell(reader, "position", reader.get("position", "cell", list, [0, 0]))
    return epoch, phase, matrix, cell


def _pins(reader: _Reader) -> tuple[tuple[str, Cell], ...]:
    raw = reader.document.get("pin", [])
    if not isinstance(raw, list):
        raise reader.fail(None, "pin", f"pin must be an array of tables ([[pin]]), not {_kind(raw)}")
    pins = []
    for number, pin in enumerate(raw):
        if not isinstance(pin, dict):
            raise reader.fail(None, "pin", "pin must be an array of tables ([[pin]])")
        reader.check_keys("pin", pin, _KEYS["pin"], number)
        name = reader.get("pin", "matrix", str, required=True, section=pin, occurrence=number)
        cell = reader.get("pin", "cell", list, required=True, section=pin, occurrence=number)
        pins.append((_matrix_name(reader, "pin", name, number), _cell(reader, "pin", cell, number)))
    return tuple(pins)


def _breakpoints(reader: _Reader) -> tuple[Entry, ...]:
    """[[breakpoint]]: each a phase key or a condition (parsed here; whether its matrices exist is checked against
    the network when the file opens), and optionally enabled = false."""
    raw = reader.document.get("breakpoint", [])
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise reader.fail(None, "breakpoint", "breakpoint must be an array of tables ([[breakpoint]])")
    entries = []
    for number, item in enumerate(raw):
        reader.check_keys("breakpoint", item, _KEYS["breakpoint"], number)
        enabled = reader.get("breakpoint", "enabled", bool, True, section=item, occurrence=number)
        if ("phase" in item) == ("condition" in item):
            raise reader.fail("breakpoint", None, "a [[breakpoint]] has a phase or a condition (one of them)",
                              occurrence=number)
        if "phase" in item:
            phase = reader.get("breakpoint", "phase", str, section=item, occurrence=number)
            if not PHASE_KEY.fullmatch(phase):
                raise reader.fail("breakpoint", "phase", f"{phase!r} is not a phase key (like backward.1.weight)",
                                  occurrence=number)
            entries.append(Entry("phase", phase, enabled))
            continue
        text = reader.get("breakpoint", "condition", str, section=item, occurrence=number)
        try:
            entries.append(Entry("condition", str(parse_condition(text)), enabled))
        except ConditionError as error:
            raise reader.fail("breakpoint", "condition", str(error), occurrence=number) from None
    return tuple(entries)


def _keys(reader: _Reader) -> tuple[tuple[str, str], ...]:
    """[keys]: binding id = "key,key,…", each id one of the app's bindings (the help screen lists them)."""
    raw = reader.document.get("keys", {})
    if not isinstance(raw, dict):
        raise reader.fail(None, "keys", f"keys must be a table ([keys]), not {_kind(raw)}")
    keys = []
    for binding_id, value in raw.items():
        if binding_id not in ALL_BINDING_IDS:
            close = difflib.get_close_matches(binding_id, ALL_BINDING_IDS, n=1)
            guess = f"; did you mean {close[0]!r}?" if close else ""
            raise reader.fail("keys", binding_id, f"unknown binding id {binding_id!r} in [keys]{guess} (the help "
                              f"screen, ?, shows each key's id; all of them: {', '.join(sorted(ALL_BINDING_IDS))})")
        if not isinstance(value, str):
            raise reader.fail("keys", binding_id, f"{binding_id} must be a string of keys like \"right,n,f5\", "
                              f"not {_kind(value)}")
        for key in value.split(","):
            if not KEY_NAME.fullmatch(key.strip()):
                raise reader.fail("keys", binding_id, f"{key.strip()!r} in {binding_id} is not a key: keys are one "
                                  "character or a lowercase name (pagedown, f5, ctrl+s), separated by commas")
        keys.append((binding_id, value))
    return tuple(keys)


def _matrix_name(reader: _Reader, table: str, alias: str, occurrence: int = 0) -> str:
    if not MATRIX_ALIAS.fullmatch(alias):
        raise reader.fail(table, "matrix", f"{alias!r} is not a matrix name (like W2, dW2, Z1, dL_dyhat, W2_new)",
                          occurrence)
    return canonical_name(alias)


def _cell(reader: _Reader, table: str, value: object, occurrence: int = 0) -> Cell:
    if not (isinstance(value, list) and len(value) == 2 and all(_is_int(v) and v >= 0 for v in value)):
        raise reader.fail(table, "cell", "cell must be two whole numbers ≥ 0, like [3, 1]", occurrence)
    return (value[0], value[1])


# --- checking against the command line and the data --------------------------------------------------


def check_data(session_file: SessionFile, path: Path | str | None = None) -> None:
    """A CSV session reopens only on the very table it was saved with: same bytes, same sha256."""
    data = session_file.config.data
    if data is None:
        return
    name = _name(session_file, path)
    if not Path(data).is_file():
        raise SessionError(f"{name}: its data {data} is missing")
    try:
        now = sha256_of(data)
    except OSError as error:
        raise SessionError(f"{name}: its data {data} cannot be read ({error.strerror or error})") from None
    if now != session_file.data_sha256:
        raise SessionError(f"{name}: {data} has changed since the session was saved "
                           f"(sha256 {str(session_file.data_sha256)[:12]}… then, {now[:12]}… now)")


_FLAG_FIELDS = {"hidden": "hidden", "activation": "activations", "loss": "loss", "lr": "learning_rate",
                "samples": "samples", "seed": "seed", "noise": "noise", "epochs": "epochs", "dtype": "dtype",
                "data": "data", "target": "target", "dataset": "dataset", "labels": "labels",
                "optimizer": "optimizer", "momentum": "momentum", "beta1": "beta1", "beta2": "beta2", "eps": "eps",
                "weight_decay": "weight_decay", "batch_size": "batch_size", "test_fraction": "test_fraction"}


def merge_flags(session_file: SessionFile, given: dict[str, object], path: Path | str | None = None) -> RunConfig:
    """The file decides the run; a typed flag that agrees is fine, one that says otherwise is an error.

    `given` holds only the run flags the user typed (cli.py's names: lr, hidden, …); others are ignored.
    """
    config, name = session_file.config, _name(session_file, path)
    for flag, field_name in _FLAG_FIELDS.items():
        if flag not in given:
            continue
        value, saved = given[flag], getattr(config, field_name)
        if flag in ("samples", "noise", "dataset") and config.data is not None:
            raise SessionError(f"--{flag} {_show(value)} does not apply: the session file trains on {config.data} "
                               f"({name})")
        if flag in ("target", "labels") and config.data is None:
            shown = "" if flag == "labels" else f" {value}"
            raise SessionError(f"--{flag}{shown} does not apply: the session file uses generated data ({name})")
        if flag in OPTIMIZER_KEYS and config.optimizer not in OPTIMIZER_KEYS[flag]:
            raise SessionError(f"--{flag} {_show(value)} does not apply: the session file's optimizer is "
                               f"{config.optimizer} ({name})")
        if flag == "labels":
            if value != saved:
                raise SessionError(f"--labels contradicts the session file, which reads its target as numbers "
                                   f"({name})")
            continue
        if flag == "loss" and saved is None:  # a file from before losses could be chosen: the flag decides
            config = replace(config, loss=str(value))
            continue
        if flag == "hidden":  # (size, own activation or None) per layer, as the command line parsed them
            layers: tuple[tuple[int, str | None], ...] = tuple(value)  # type: ignore[arg-type]
            same = tuple(size for size, _ in layers) == config.hidden and all(
                own is None or own == saved_own for (_, own), saved_own in zip(layers, config.activations))
            value = ",".join(f"{size}:{own}" if own else str(size) for size, own in layers)
            theirs = f"hidden layers {_show(config.hidden)} ({', '.join(config.activations)})"
        elif flag == "activation":
            same = all(own == value for own in config.activations)
            theirs = f"activations {', '.join(config.activations)}"
        elif flag == "data":
            same = saved is not None and Path(str(value)).resolve() == Path(saved).resolve()
            theirs = "generated data" if saved is None else f"data {saved}"
        else:
            same = _same(value, saved)
            blank = "(all rows)" if flag == "batch_size" else "(the CSV's last column)"
            shown = blank if saved is None else _show(saved)
            theirs = f"{field_name.replace('_', ' ')} {shown}"
        if not same:
            flag_name = flag.replace("_", "-")
            raise SessionError(f"--{flag_name} {_show(value)} contradicts the session file's {theirs} ({name})")
    return config


def _same(value: object, saved: object) -> bool:
    if isinstance(value, (list, tuple)) and isinstance(saved, (list, tuple)):
        return tuple(value) == tuple(saved)
    return value == saved


def _show(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _name(session_file: SessionFile, path: Path | str | None) -> str:
    return str(path) if path is not None else session_file.source or "the session file"
