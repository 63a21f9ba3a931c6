"""The NumPy line a phase shows is read from the function that ran it.

Reading it from the live source (instead of keeping a copy in a string) means a
change to the math changes what the screen says, and a test can check that every
phase's code is a real line of `scratchnet`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import cache


@cache
def code_line(function: Callable, starts_with: str) -> str:
    """The one stripped source line of `function` that begins with `starts_with`."""
    lines = [line.strip() for line in inspect.getsource(function).splitlines()]
    matches = [line for line in lines if line.startswith(starts_with)]
    if len(matches) != 1:
        raise LookupError(f"{function.__qualname__} has {len(matches)} lines starting {starts_with!r}")
    return matches[0]
