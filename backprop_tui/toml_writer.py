"""A small TOML writer for session files (the standard library reads TOML but does not write it).

It covers what a session holds: strings, integers, finite floats, booleans, arrays
of those, tables and arrays of tables.
"""

from __future__ import annotations

import math
import re

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(key: str) -> str:
    return key if _BARE.match(key) else _string(key)


def _string(text: str) -> str:
    out = []
    for char in text:
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif char in "\b\t\n\f\r":
            out.append({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"TOML sessions hold finite numbers only (got {value})")
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _is_table_array(value: object) -> bool:
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(item, dict) for item in value)


def dumps(document: dict, _prefix: str = "") -> str:
    lines: list[str] = []
    for key, value in document.items():
        if value is None or isinstance(value, dict) or _is_table_array(value):
            continue
        lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in document.items():
        name = f"{_prefix}.{_key(key)}" if _prefix else _key(key)
        if isinstance(value, dict):
            lines += ["", f"[{name}]", dumps(value, name).rstrip("\n")]
        elif _is_table_array(value):
            for item in value:
                lines += ["", f"[[{name}]]", dumps(item, name).rstrip("\n")]
    return "\n".join(line for line in lines).strip("\n") + "\n"
