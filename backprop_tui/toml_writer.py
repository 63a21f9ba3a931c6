"""TOML for session files and lessons: written with tomli-w, read with tomllib, errors at line:column.

A session file needs little of TOML: strings, integers, finite floats, booleans, arrays,
tables and arrays of tables. tomli-w writes them; `dumps` only prepares what it is given
(a setting that is not set is left out, a NumPy scalar is a plain number) and refuses what
a session file must never hold. Session files and lessons also share one way of pointing a
person at the line that is wrong, which lives here too so the two readers say it alike.
"""

from __future__ import annotations

import math
import re
import tomllib
from typing import NoReturn


def dumps(document: dict) -> str:
    """`document` as TOML text that tomllib reads back equal.

    Keys whose value is None are left out (an optional setting that is not set).
    Raises ValueError for NaN or infinity and for text TOML cannot hold (lone
    surrogates), TypeError for values of other types.
    """
    import tomli_w  # only when a file is written: launching never pays for it

    return tomli_w.dumps(_table(document))


def _table(document: dict) -> dict:
    for key in document:
        if not isinstance(key, str):
            raise TypeError(f"TOML keys are text (got {type(key).__name__})")
        _check_text(key)
    return {key: _prepared(value) for key, value in document.items() if value is not None}


def _prepared(value: object) -> object:
    if isinstance(value, dict):
        return _table(value)
    if isinstance(value, (list, tuple)):
        return [_prepared(item) for item in value]
    if isinstance(value, str):
        return _check_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"TOML files here hold finite numbers only (got {value})")
    if isinstance(value, (bool, int, float)):
        return value
    if hasattr(value, "dtype") and hasattr(value, "item"):  # a NumPy scalar
        return _prepared(value.item())
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _check_text(text: str) -> str:
    for char in text:
        if 0xD800 <= ord(char) <= 0xDFFF:
            raise ValueError(f"TOML cannot hold a lone surrogate (U+{ord(char):04X})")
    return text


def load_toml(text: str, name: str, error: type[ValueError]) -> dict:
    """`text` parsed; not TOML at all is one `error` naming `name`, and the line and column where it can."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as problem:
        position, message = decode_error(problem, text)
        _fail(error, f"{where(name, position)}: not valid TOML: {message}")
    except RecursionError:
        _fail(error, f"{name}: not valid TOML: nested too deeply")


def _fail(error: type[ValueError], message: str) -> NoReturn:
    raise error(message) from None


# --- pointing at the source ----------------------------------------------------------------------

_HEADER = re.compile(r"\s*(\[\[?)([^\[\]]*)\]\]?\s*(#.*)?")


def _header_name(raw: str) -> str:
    """`[ "data" . x ]` → `data.x`: good enough for the simple names our files use."""
    return ".".join(part.strip().strip("\"'") for part in raw.split("."))


def locate(text: str, table: str | None, key: str | None, occurrence: int = 0) -> tuple[int, int] | None:
    """1-based (line, column) of `key = …` (or a dotted `key.x = …`) in the `occurrence`-th [table] or
    [[table]], or at the top level when table is None; with key None, of that table's header. None when not found.

    A line scan, not a parser: it finds what people write, which is all an error message needs.
    """
    lines = text.split("\n")  # tomllib counts lines by \n alone
    current, seen = None, -1
    key_line = None
    if key is not None:
        name = re.escape(key)
        key_line = re.compile(rf"\s*(?:{name}|\"{name}\"|'{name}')\s*[=.]")
    for number, line in enumerate(lines, 1):
        header = _HEADER.fullmatch(line)
        if header is not None:
            current = _header_name(header[2])
            if current == table:
                seen += 1
                if key is None and seen == occurrence:
                    return number, len(line) - len(line.lstrip()) + 1
            continue
        if key_line is not None and current == table and (table is None or seen == occurrence) \
                and key_line.match(line):
            return number, len(line) - len(line.lstrip()) + 1
    return None


def decode_error(error: tomllib.TOMLDecodeError, text: str) -> tuple[tuple[int, int] | None, str]:
    """((line, column) or None, the message without tomllib's own "(at line L, column C)")."""
    message = str(error).split("\n")[0]
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if match is not None:
        return (int(match[1]), int(match[2])), message[: match.start()]
    if message.endswith("(at end of document)"):
        lines = text.split("\n")
        return (len(lines), len(lines[-1]) + 1), message[: -len("(at end of document)")].rstrip()
    line, column = getattr(error, "lineno", None), getattr(error, "colno", None)
    return ((line, column) if isinstance(line, int) and isinstance(column, int) else None), message


def where(name: str, position: tuple[int, int] | None) -> str:
    """`session.toml:7:1` or, when the place is unknown, just `session.toml`."""
    return name if position is None else f"{name}:{position[0]}:{position[1]}"
