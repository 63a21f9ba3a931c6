"""A small TOML writer, and where-in-the-source helpers for our two TOML readers.

The standard library reads TOML (tomllib) but does not write it, and a session file
needs only a little: strings, integers, finite floats, booleans, arrays, tables and
arrays of tables. Session files and lessons also share one way of pointing a person at
the line that is wrong, which lives here too so the two readers say it alike.
"""

from __future__ import annotations

import math
import re
import tomllib

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def dumps(document: dict) -> str:
    """`document` as TOML text that tomllib reads back equal.

    Keys whose value is None are left out (an optional setting that is not set).
    Raises ValueError for NaN or infinity and for text TOML cannot hold (lone
    surrogates), TypeError for values of other types.
    """
    return "\n".join(_table(document, "")).strip("\n") + "\n"


def _table(document: dict, prefix: str) -> list[str]:
    """Plain values first: once a [header] is written, every later line belongs to it."""
    lines = [f"{_key(key)} = {_value(value)}" for key, value in document.items()
             if value is not None and not isinstance(value, dict) and not _is_table_array(value)]
    for key, value in document.items():
        name = f"{prefix}.{_key(key)}" if prefix else _key(key)
        if isinstance(value, dict):
            lines += ["", f"[{name}]", *_table(value, name)]
        elif _is_table_array(value):
            for item in value:
                lines += ["", f"[[{name}]]", *_table(item, name)]
    return lines


def _is_table_array(value: object) -> bool:
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(item, dict) for item in value)


def _key(key: str) -> str:
    if not isinstance(key, str):
        raise TypeError(f"TOML keys are text (got {type(key).__name__})")
    return key if _BARE.fullmatch(key) else _string(key)


def _string(text: str) -> str:
    out = []
    for char in text:
        code = ord(char)
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            raise ValueError(f"TOML cannot hold a lone surrogate (U+{code:04X})")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"TOML files here hold finite numbers only (got {value})")
        return repr(float(value))  # shortest text that reads back as the same float
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):  # a table inside an inline array
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items() if v is not None) + "}"
    if hasattr(value, "dtype") and hasattr(value, "item"):  # a NumPy scalar
        return _value(value.item())
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


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
