"""Files are written whole or not at all: a temporary file in the same folder, then a rename.

A session saved while the machine loses power, or an export that hits a full disk,
must never leave half a file where a good one was. `os.replace` within one folder is
atomic, so the path holds either the old bytes or the new ones.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO


def write_atomic(path: Path | str, data: str | bytes) -> Path:
    """Replace `path` with `data` (text as UTF-8) and return the path written.

    On any failure the old file, if any, is untouched, no temporary file stays, and
    the error is re-raised.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return write_atomic_with(path, lambda handle: handle.write(payload))


def write_atomic_with(path: Path | str, write: Callable[[IO[bytes]], object]) -> Path:
    """`write_atomic` for a writer that streams into the open file (NumPy's savez), so a large payload is never held
    whole in memory first."""
    path = Path(path)
    mode = _mode_for(path)
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False)
    try:
        with handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), mode)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)
    return path


def _mode_for(path: Path) -> int:
    """Keep an existing file's permissions; a new one gets what the umask allows, not the temp file's 0600."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """Read without changing it (os.umask sets it, which would race with other threads)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable where the platform allows; a failure here loses nothing."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
