"""Shared pieces for the benchmarks: one BLAS thread, a machine line, round-robin medians.

Import this module BEFORE numpy (or torch): it pins the BLAS/OpenMP pools to one
thread through the environment, which the libraries only read when they load.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
# OPENBLAS_CORETYPE is deliberately left alone: if the machine sets it, it stays.

import ctypes  # noqa: E402
import gc  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

# Run from a checkout without an install: make `scratchnet` and `backprop_tui` importable.
_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))


def pin_torch(torch) -> None:
    """One intra-op and one inter-op thread (the latter only settable before first use)."""
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass


def import_torch():
    """torch pinned to one thread, or None when it is not installed (or fails to load)."""
    try:
        import torch
    except Exception:  # ImportError, or a broken wheel raising OSError
        return None
    pin_torch(torch)
    return torch


def _torch_version_unloaded() -> str:
    """torch's version from its installed metadata, without loading it (loading it slows other loops)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{version('torch')} (not loaded in this process)"
    except PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine_lines(torch=None) -> list[str]:
    u = platform.uname()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    torch_version = torch.__version__ if torch is not None else _torch_version_unloaded()
    return [
        f"machine: {_cpu_model()} ({u.machine}, processor={platform.processor() or '?'}), "
        f"{os.cpu_count()} logical CPUs ({usable} usable), {u.system} {u.release}",
        f"software: Python {platform.python_version()}, NumPy {np.__version__}, torch {torch_version}",
    ]


def _openblas_runtime() -> str | None:
    """Core type and thread count the loaded OpenBLAS reports, found via /proc/self/maps."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    paths = {line.split()[-1] for line in maps.splitlines() if "openblas" in line.lower() and "/" in line}
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (
            ("scipy_openblas_", "64_"),
            ("scipy_openblas_", ""),
            ("openblas_", "64_"),
            ("openblas_", ""),
        ):
            try:
                corename = getattr(lib, f"{prefix}get_corename{suffix}")
                threads = getattr(lib, f"{prefix}get_num_threads{suffix}")
            except AttributeError:
                continue
            corename.restype = ctypes.c_char_p
            threads.restype = ctypes.c_int
            return f"core {corename().decode()}, {threads()} thread(s)"
    return None


def blas_lines(torch=None) -> list[str]:
    parts = []
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        parts.append(f"{blas.get('name', '?')} {blas.get('version', '')}".strip())
    except Exception:
        parts.append("unknown")
    runtime = _openblas_runtime()
    if runtime:
        parts.append(runtime)
    if os.environ.get("OPENBLAS_CORETYPE"):
        parts.append(f"OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']}")
    lines = ["NumPy BLAS: " + ", ".join(parts)]
    if torch is not None:
        mkl = "MKL" if torch.backends.mkl.is_available() else "no MKL"
        lines.append(f"torch BLAS: {mkl}, {torch.get_num_threads()} intra-op thread(s)")
    return lines


def time_once(fn: Callable[[], object]) -> tuple[float, object]:
    """Seconds for one call of fn (set-up belongs outside fn), and what it returned."""
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def round_robin(
    cases: dict[str, Callable[[], Callable[[], object]]], repeats: int, warmup: int = 1
) -> tuple[dict[str, list[float]], dict[str, object]]:
    """Each case is a factory: it does the untimed set-up and returns the thing to time.

    Cases run in turns, the starting case rotating each round so no case always
    runs first (or right after the same neighbour). Returns every timing per case and
    each case's last result.
    """
    names = list(cases)
    times: dict[str, list[float]] = {name: [] for name in names}
    results: dict[str, object] = {}
    for round_index in range(warmup + repeats):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            seconds, results[name] = time_once(cases[name]())
            if round_index >= warmup:
                times[name].append(seconds)
    return times, results


def median(values: list[float]) -> float:
    return statistics.median(values)
