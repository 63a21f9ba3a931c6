"""How much memory a run needs, estimated from its configuration before anything large exists.

A run too big for the machine must not end in a traceback (an allocation refused) or in the
kernel killing the process (many allocations that each fit). So the command line adds up what
the run will hold at its peak and compares it with the memory this process can still get.

What the estimate counts, per sample, for the article's 4→8→4→1 network in float64 (measured with
tracemalloc at 1,000,000 samples; the constants below round these up):

- generating the data peaks at 169 bytes (the raw columns, the noise, the price, standardizing);
  the data kept are X and y, 40 bytes; a 2-feature classification set (`--dataset`) peaks at 73 bytes
  and keeps 2 features and K one-hot columns, so the same per-sample constant covers it;
- one iteration's arrays, the tape (every Z, the error, its square, dL/dŷ, every dX): 256 bytes;
- the next iteration, while the previous one is still held (the fast path, the app's training
  worker): 128 bytes more, two arrays as wide as the widest layer;
- the app holds the session's tape while its training worker steps a network of its own (one more
  set of iteration arrays), and the gradient check copies X and y to float64 and runs forward passes;
- `trace --format json` builds the whole document as Python lists and then one string: 131 bytes
  per printed number (Python float, list slot, its digits), measured at 100,000 samples.

Parameters count once per copy a step holds (W, dW, the new W, a temporary), and in the app once
per epoch too: the session keeps every epoch's parameters so any epoch can be reopened. An optimizer with
state keeps it beside them (momentum one copy of the parameters' size, its velocities; Adam two, its
moments): a step holds the old state, the new one and Adam's bias-corrected m̂ and ŝ, and the app keeps each
epoch's state with its parameters, so reopening an epoch is exact.

Mini-batches make the tape smaller (a batch's rows, not all of them), so the per-sample counts above stay an
upper bound; an epoch's shuffle is one more index per sample. Held-out rows are samples like the others (the
split copies the standardized rows while the generator's arrays are already gone), and `trace --format json`
prints one more number per sample, the batch's data rows.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from backprop_tui.config import RunConfig
from scratchnet.datasets import DATASETS

GENERATION_BYTES_PER_SAMPLE = 176
"""Peak while the house prices are generated and standardized (float64 throughout); measured 169."""
CSV_BYTES_PER_FILE_BYTE = 24
"""Peak while a CSV is parsed (its text, the cells as strings, then as floats); measured 23."""
JSON_BYTES_PER_VALUE = 140
"""Peak per number printed by `trace --format json`; measured 131."""
PER_ARRAY = 128
"""A NumPy array's own object, beside its data."""
APP_BASE = 64 * 2**20
"""The app's screens, widgets and caches on top of the imported modules (the default run's app peaks
at 69 MB of resident memory in all)."""
MARGIN = 1.1
"""Allocator overhead and fragmentation: resident memory runs a few percent above the arrays' bytes."""

PURPOSES = ("app", "train", "trace", "trace-json", "trace-markdown", "trace-npz")
STATE_COPIES = {"sgd": 0, "momentum": 1, "adam": 2}
"""Copies of the parameters' size an optimizer carries from one update to the next."""
INDEX_BYTES = 8
"""One row index of an epoch's shuffle."""


class NotEnoughMemory(ValueError):
    """One line: the run would need more memory than this process can get."""


@dataclass(frozen=True)
class Estimate:
    per_sample: int
    """Bytes per sample at the peak (data and iteration arrays)."""
    fixed: int
    """Bytes that do not grow with the samples: parameters, their history, the app itself."""
    parameters: int
    """Weights and biases of the network, one copy, in bytes."""
    load: int = 0
    """For a CSV: the peak while it is parsed, in bytes (generated data are counted per sample)."""

    def total(self, samples: int) -> int:
        return int(MARGIN * max(self.per_sample * samples + self.fixed, self.load))

    def samples_that_fit(self, available: int) -> int:
        """The most samples whose total stays within `available` bytes (0 if none)."""
        room = available / MARGIN - self.fixed
        return max(0, int(room // self.per_sample)) if self.per_sample else 0


def tape_values_per_sample(sizes: tuple[int, ...]) -> int:
    """Numbers per sample held by one recorded iteration beyond the data: every Zl, the error,
    its square and dL/dŷ (each as wide as the output), and every dXl (as wide as that layer's input)."""
    return sum(sizes[1:]) + 3 * sizes[-1] + sum(sizes[:-1])


def json_values_per_sample(sizes: tuple[int, ...]) -> int:
    """Numbers per sample that `trace --format json` prints: each phase lists the matrices it reads
    and makes, so X, every Z and every G appear in several phases."""
    per_layer = sum(3 * n_in + 4 * n_out for n_in, n_out in zip(sizes, sizes[1:]))
    return per_layer + 7 * sizes[-1]


def parameter_count(sizes: tuple[int, ...]) -> int:
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))


def estimate(config: RunConfig, purpose: str, features: int, outputs: int = 1, epochs_kept: int = 1,
             csv_bytes: int = 0, epoch: int = 0) -> Estimate:
    """What a run of `config` holds at its peak, for `purpose` (one of PURPOSES)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    sizes = (features, *config.hidden, outputs)
    itemsize = np.dtype(config.dtype).itemsize
    widest = max(sizes)
    data = (features + outputs) * itemsize
    tape = tape_values_per_sample(sizes) * itemsize
    next_step = 2 * widest * itemsize
    n_parameters = parameter_count(sizes)
    parameters = n_parameters * itemsize + 2 * (len(sizes) - 1) * PER_ARRAY
    steady = data + tape
    if purpose == "app" or epoch > 0 or purpose == "train":
        steady += next_step
    if config.batch_size is not None:
        steady += INDEX_BYTES
    state = STATE_COPIES.get(config.optimizer, 0)
    fixed = (4 + 3 * state) * parameters  # the old state, the new one, and Adam's m̂ and ŝ
    if purpose == "app":
        # The session's tape stays while a training run steps its own network (a whole second set of
        # iteration arrays), and a gradient check started before may still be copying and running.
        gradient_check = (features + outputs + 4 * widest + 4) * 8
        steady += tape + gradient_check
        fixed += epochs_kept * (1 + state) * parameters + APP_BASE
    elif purpose == "trace-json":
        steady += (json_values_per_sample(sizes) + 1) * JSON_BYTES_PER_VALUE  # + the batch's data rows
        fixed += 11 * n_parameters * JSON_BYTES_PER_VALUE  # W and b appear in several phases, dW, db, W', b'
    elif purpose == "trace-markdown":
        steady += widest * 8  # a float32 matrix is widened to float64 before its corner is shown
    elif purpose == "trace-npz":
        steady += widest * itemsize  # savez streams each array; one that is not contiguous is copied first
    if config.data is None:
        return Estimate(per_sample=max(GENERATION_BYTES_PER_SAMPLE, steady), fixed=fixed, parameters=parameters)
    return Estimate(per_sample=steady, fixed=fixed, parameters=parameters, load=CSV_BYTES_PER_FILE_BYTE * csv_bytes)


def available_memory() -> int | None:
    """Bytes this process can still allocate: the least of what the machine has available, what its
    cgroup allows, and its address-space limit. None where none of these can be read."""
    limits: list[int] = []
    meminfo = _read_fields("/proc/meminfo")
    if "MemAvailable" in meminfo:
        limits.append(meminfo["MemAvailable"] * 1024)
    else:
        try:
            limits.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            pass
    cgroup = _cgroup_headroom()
    if cgroup is not None:
        limits.append(cgroup)
    address_space, _ = resource.getrlimit(resource.RLIMIT_AS)
    if address_space != resource.RLIM_INFINITY:
        used = _read_fields("/proc/self/status").get("VmSize", 0) * 1024
        limits.append(max(0, address_space - used))
    return min(limits) if limits else None


def _read_fields(path: str) -> dict[str, int]:
    """`Name:   123 kB` lines as {Name: 123}."""
    fields: dict[str, int] = {}
    try:
        text = Path(path).read_text()
    except OSError:
        return fields
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        words = rest.split()
        if words and words[0].isdigit():
            fields[name.strip()] = int(words[0])
    return fields


def _cgroup_headroom() -> int | None:
    """memory.max − memory.current of this process's cgroup (v2), if it has a limit."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("0::"):
            folder = Path("/sys/fs/cgroup") / line[3:].lstrip("/")
            try:
                limit = (folder / "memory.max").read_text().strip()
                current = int((folder / "memory.current").read_text().strip())
            except (OSError, ValueError):
                return None
            return None if limit == "max" else max(0, int(limit) - current)
    return None


def _csv_shape(path: str) -> tuple[int, int, int] | None:
    """(file bytes, data rows, feature columns) of a CSV, counted without parsing it (upper bounds:
    blank lines count as rows, every column but the target as a feature). None if it cannot be read:
    the loader will say why."""
    try:
        size = os.path.getsize(path)
        rows = 0
        header = b""
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                if not header.strip():
                    header += block
                rows += block.count(b"\n")
    except OSError:
        return None
    first = next((line for line in header.decode("utf-8", "replace").splitlines() if line.strip()), "")
    columns = 1 + max(first.count(delimiter) for delimiter in (",", ";", "\t"))
    return size, max(rows, 1), max(columns - 1, 1)


def _size(n_bytes: float) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.1f} {unit}"
    return f"{n_bytes / 2**10:.0f} KiB"


def check(config: RunConfig, purpose: str, epochs_kept: int = 1, epoch: int = 0,
          available: int | None = None) -> None:
    """Raise NotEnoughMemory (one line, naming the flag to change) if the run cannot fit."""
    available = available_memory() if available is None else available
    if available is None:
        return
    outputs = 1
    if config.data is None:
        spec = DATASETS.get(config.dataset, DATASETS["houses"])
        samples, features, csv_bytes = config.samples, spec.features, 0
        outputs = 1 if spec.classes is None else len(spec.classes)
    else:
        shape = _csv_shape(config.data)
        if shape is None:
            return
        csv_bytes, samples, features = shape
    need = estimate(config, purpose, features, outputs, epochs_kept=epochs_kept, csv_bytes=csv_bytes, epoch=epoch)
    total = need.total(samples)
    if total <= available:
        return
    have = f"and {_size(available)} is available"
    if MARGIN * need.fixed >= available:
        hidden = ",".join(map(str, config.hidden)) or "''"
        with_state = {"momentum": " with its velocities", "adam": " with its two moments"}.get(config.optimizer, "")
        kept = f", and the app keeps a copy{with_state} for each of {epochs_kept:,} epochs" if purpose == "app" else ""
        raise NotEnoughMemory(
            f"this run needs about {_size(total)} of memory {have}: --hidden {hidden} makes "
            f"{parameter_count((features, *config.hidden, outputs)):,} weights and biases ({_size(need.parameters)} a "
            f"copy){kept}; use smaller hidden layers" + (" or fewer --epochs" if kept else ""))
    if config.data is not None:
        raise NotEnoughMemory(f"{config.data}: about {samples:,} rows need about {_size(total)} of memory to load and "
                              f"train on, {have}; use a smaller table")
    fit = need.samples_that_fit(available)
    raise NotEnoughMemory(
        f"--samples {samples:,} needs about {_size(total)} of memory {have} (about {need.per_sample:,} bytes a "
        f"sample{' for the app' if purpose == 'app' else ''}); at most about {fit:,} samples fit")
