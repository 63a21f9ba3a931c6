"""The server's rules, as small pure functions: loopback, tokens, origins, the address to give out."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import socket
from urllib.parse import urlsplit


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    return secrets.token_urlsafe(18)


def token_ok(expected: str | None, given: str | None) -> bool:
    """No token configured: open (loopback only). Otherwise a constant-time comparison."""
    if expected is None:
        return True
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def origin_ok(origin: str | None, allowed: set[str]) -> bool:
    """A websocket upgrade must come from the page we served; a missing Origin is refused too."""
    return origin is not None and origin.lower().rstrip("/") in allowed


def lan_address() -> str:
    """This machine's address as other machines on the LAN would use it (no packets are sent)."""
    try:
        address = socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"
    return address


def public_url_for(host: str, port: int, public_url: str | None) -> str:
    """What browsers are told to connect to: never ws://0.0.0.0, which no browser can reach."""
    if public_url:
        return public_url.rstrip("/")
    if host in ("0.0.0.0", "::", ""):
        host = lan_address()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"
