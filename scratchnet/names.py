"""Matrix names as the equations write them, and the ASCII aliases used where a name is typed."""

from __future__ import annotations

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def subscript(number: int) -> str:
    return str(number).translate(_SUBSCRIPTS)


def ascii_name(name: str) -> str:
    """`dL/dŷ` → `dL_dyhat`, `W1'` → `W1_new`: safe in TOML, flags and widget ids."""
    if name == "dL/dŷ":
        return "dL_dyhat"
    if name.endswith("'"):
        return name[:-1] + "_new"
    return name


def canonical_name(alias: str) -> str:
    """The inverse of `ascii_name`; names that need no alias pass through."""
    if alias == "dL_dyhat":
        return "dL/dŷ"
    if alias.endswith("_new"):
        return alias[: -len("_new")] + "'"
    return alias


def pretty_name(name: str) -> str:
    """`W2` → `W₂`, `dX3` → `dX₃`, `W1'` → `W₁'` for titles and equations."""
    prime = "'" if name.endswith("'") else ""
    stem = name.rstrip("'")
    digits = len(stem) - len(stem.rstrip("0123456789"))
    if digits == 0:
        return name
    return stem[:-digits] + subscript(int(stem[-digits:])) + prime
