"""Matrix names as the equations write them, and the ASCII aliases used where a name is typed."""

from __future__ import annotations

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def subscript(number: int) -> str:
    return str(number).translate(_SUBSCRIPTS)


def ascii_name(name: str) -> str:
    """`dL/dŷ` → `dL_dyhat`, `dL/dZ3` → `dL_dZ3`, `W1'` → `W1_new`: safe in TOML, flags and widget ids."""
    if name == "dL/dŷ":
        return "dL_dyhat"
    if name.endswith("'"):
        return name[:-1] + "_new"
    return name.replace("/", "_")


def canonical_name(alias: str) -> str:
    """The inverse of `ascii_name`; names that need no alias pass through."""
    if alias == "dL_dyhat":
        return "dL/dŷ"
    if alias.endswith("_new"):
        return alias[: -len("_new")] + "'"
    if alias.startswith("dL_d"):
        return "dL/d" + alias[len("dL_d"):]
    return alias


def _split(name: str) -> tuple[str, str, str]:
    """`W2'` → ("W", "2", "'"): stem, trailing number, prime."""
    prime = "'" if name.endswith("'") else ""
    stem = name.rstrip("'")
    digits = len(stem) - len(stem.rstrip("0123456789"))
    return (stem[:-digits], stem[-digits:], prime) if digits else (stem, "", prime)


def pretty_name(name: str) -> str:
    """`W2` → `W₂`, `dX3` → `dX₃`, `W1'` → `W₁'` for titles and equations."""
    stem, number, prime = _split(name)
    return stem + (subscript(int(number)) if number else "") + prime


def latex_name(name: str) -> str:
    """`Z1` → `Z_{1}`, `X` → `X`: a matrix name as the LaTeX equations write it."""
    stem, number, prime = _split(name)
    return stem + (f"_{{{number}}}" if number else "") + prime
