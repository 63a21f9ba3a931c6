"""Matrix names as the equations write them, and the ASCII aliases used where a name is typed."""

from __future__ import annotations

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def subscript(number: int) -> str:
    return str(number).translate(_SUBSCRIPTS)


M_HAT, S_HAT = "m\u0302", "\u015d"
"""m̂ (m and a combining circumflex: Unicode has no m with a hat) and ŝ, Adam's bias-corrected moments."""
_HATS = ((M_HAT, "mhat"), (S_HAT, "shat"))


def ascii_name(name: str) -> str:
    """`dL/dŷ` → `dL_dyhat`, `dL/dZ3` → `dL_dZ3`, `W1'` → `W1_new`, `m̂W1` → `mhatW1`, `vW1'` → `vW1_new`: safe in
    TOML, flags and widget ids."""
    if name == "dL/dŷ":
        return "dL_dyhat"
    for hat, alias in _HATS:
        if name.startswith(hat):
            name = alias + name[len(hat):]
    if name.endswith("'"):
        return name[:-1] + "_new"
    return name.replace("/", "_")


def canonical_name(alias: str) -> str:
    """The inverse of `ascii_name`; names that need no alias pass through."""
    if alias == "dL_dyhat":
        return "dL/dŷ"
    for hat, spelled in _HATS:
        if alias.startswith(spelled) and alias[len(spelled):len(spelled) + 1] in ("W", "b"):
            alias = hat + alias[len(spelled):]
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
    r"""A matrix name as the LaTeX equations write it, in plain ASCII for any LaTeX engine: `Z1` → `Z_{1}`, `X` → `X`,
    `dL/dŷ` → `\frac{\partial L}{\partial \hat y}`, an optimizer's state as the update's equation writes it (`vW1'` →
    `v_{W_{1}}'`, `m̂W1` → `\hat m_{W_{1}}`), and a word upright (`squared_error` → `\mathrm{squared\_error}`)."""
    if name.startswith("dL/d"):
        return latex_gradient(name[len("dL/d"):])
    stem, number, prime = _split(name)
    index = "_{" + number + "}" if number else ""
    for hat, alias in _HATS:
        if stem.startswith(hat) and stem[len(hat):] in ("W", "b"):
            return "\\hat " + alias[0] + "_{" + stem[len(hat):] + index + "}" + prime
    if len(stem) == 2 and stem[0] in "vms" and stem[1] in "Wb":
        return stem[0] + "_{" + stem[1] + index + "}" + prime
    if len(stem) > 2 and stem.replace("_", "").isalpha() and stem.islower():
        return "\\mathrm{" + stem.replace("_", "\\_") + "}" + index + prime
    return stem + index + prime


def latex_gradient(of: str) -> str:
    r"""∂L/∂`of` as the equations write it: `W2` → `\frac{\partial L}{\partial W_{2}}`, `ŷ` → `…{\partial \hat y}`."""
    return "\\frac{\\partial L}{\\partial " + ("\\hat y" if of == "ŷ" else latex_name(of)) + "}"
