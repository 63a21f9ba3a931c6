"""Reading a user's text file (a session or a lesson) with one-line errors that say where."""

from __future__ import annotations

from pathlib import Path


def read_text(path: Path, error: type[Exception], kind: str) -> str:
    """UTF-8 (a BOM is fine), or `error` naming the file, and the line of a bad byte."""
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a {kind} file") from None
    except OSError as failure:
        raise error(f"{path}: cannot be read ({failure.strerror or failure})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as failure:
        line = raw[: failure.start].count(b"\n") + 1
        raise error(f"{path}:{line}: not UTF-8 text (byte {failure.start})") from None
