"""The room's secrets, from `serve`'s flags or a token file: what every node of a lecture hall must share.

A hall's nodes must accept the same link (`token`) and the same instructor (`instructor-token`, whose key also
signs what the nodes say on Redis), and reach the same Redis (`redis`, whose URL may hold a password). On a
command line these show in the process list; `--token-file FILE` keeps them in a file instead, a TOML table:

    token = "the link's token, the same on every node"
    instructor-token = "the instructor's, the same on every node"
    redis = "redis://:password@10.0.0.5:6379/0"

Each may come from a flag or from the file, not both. No Textual here.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from backprop_tui.serve.security import is_loopback

FILE_KEYS = {"token": "--token", "instructor-token": "--instructor-token", "redis": "--redis"}


class SecretsError(ValueError):
    """A token file that cannot be read, or secrets that do not make a room: one line for the user."""


@dataclass(frozen=True)
class RoomSecrets:
    token: str | None = None
    instructor_token: str | None = None
    redis: str | None = None


def read_token_file(path: str) -> dict[str, str]:
    try:
        with open(path, "rb") as file:
            table = tomllib.load(file)
    except OSError as error:
        raise SecretsError(f"--token-file {path}: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SecretsError(f"--token-file {path}: not a TOML file ({error})") from None
    for key, value in table.items():
        if key not in FILE_KEYS:
            raise SecretsError(f"--token-file {path}: unknown key {key!r} (known: {', '.join(FILE_KEYS)})")
        if not isinstance(value, str) or not value.strip():
            raise SecretsError(f"--token-file {path}: {key} must be a non-empty string")
    return dict(table)


def room_secrets(flags: Mapping[str, str | None], token_file: str | None) -> RoomSecrets:
    """The secrets from the flags (keyed as in the file: `instructor-token`) and the file; one source each."""
    given = {key: value for key, value in flags.items() if value is not None}
    for key, value in given.items():
        if not value.strip():
            raise SecretsError(f"{FILE_KEYS[key]} must not be empty")
    if token_file is not None:
        for key, value in read_token_file(token_file).items():
            if key in given:
                raise SecretsError(f"{FILE_KEYS[key]} is given twice: as a flag and in --token-file {token_file}")
            given[key] = value
    return RoomSecrets(given.get("token"), given.get("instructor-token"), given.get("redis"))


def hall_problem(secrets: RoomSecrets, host: str, public_url: str) -> str | None:
    """Why these secrets cannot run a node of a hall on Redis, or None when they can (or there is no Redis)."""
    if secrets.redis is None:
        return None
    if secrets.instructor_token is None:
        return ("--redis needs the instructor's key (--instructor-token, or instructor-token in --token-file), "
                "the same on every node: it signs what the nodes say on Redis")
    reached_at = urlsplit(public_url).hostname or ""
    if secrets.token is None and not (is_loopback(host) and is_loopback(reached_at)):
        return ("--redis with a room reached off this machine needs --token (or token in --token-file), the same "
                "on every node, so each node accepts the same link")
    return None
