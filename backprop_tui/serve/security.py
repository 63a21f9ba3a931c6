"""The server's rules, as small pure functions: loopback, tokens, origins, the address to give out, URLs shown
without their passwords."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import socket
from urllib.parse import unquote, urlsplit


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


ROUTE_PROBES = ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1"))
"""Documentation addresses (RFC 5737, RFC 3849): no host anywhere has them, so the route the
kernel picks for them is the default one, the interface that leads off this machine."""

WILDCARDS = ("0.0.0.0", "::", "")


class NoReachableAddress(ValueError):
    """Serving on every interface, but no interface leads off this machine: browsers elsewhere
    could not be given an address, so the server must be told one."""


def _route_source(family: int, destination: str) -> str | None:
    """The local address the kernel would send from to reach `destination`.

    Connecting a UDP socket only looks the route up and fixes the source address:
    it sends no packet (UDP has no handshake), so this is safe on any network.
    """
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((destination, 9))
            address = probe.getsockname()[0]
    except OSError:  # no route (or no such address family on this machine)
        return None
    return str(address).split("%", 1)[0]


def lan_address(families: tuple[int, ...] = (socket.AF_INET, socket.AF_INET6)) -> str | None:
    """This machine's address as other machines would reach it: the source address of its
    outward route, never a loopback or unspecified one. None where there is no such route.

    (`gethostbyname(gethostname())` is not it: a stock Debian or Ubuntu /etc/hosts maps
    the host name to 127.0.1.1, the machine's own loopback.)
    """
    for family, destination in ROUTE_PROBES:
        if family not in families:
            continue
        address = _route_source(family, destination)
        if address is None:
            continue
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            continue
        if not (parsed.is_loopback or parsed.is_unspecified or parsed.is_link_local):
            return address
    return None


def public_url_for(host: str, port: int, public_url: str | None) -> str:
    """What browsers are told to connect to: never ws://0.0.0.0, which no browser can reach, and
    never a loopback address for a server that listens on every interface.

    Raises NoReachableAddress when `host` is a wildcard and this machine has no outward address."""
    if public_url:
        return public_url.rstrip("/")
    if host in WILDCARDS:
        # 0.0.0.0 listens on IPv4 only; :: is usually dual-stack, so IPv6 first, then IPv4.
        families = (socket.AF_INET,) if host == "0.0.0.0" else (socket.AF_INET6, socket.AF_INET)
        address = None
        for family in families:
            address = lan_address((family,))
            if address is not None:
                break
        if address is None:
            raise NoReachableAddress(
                f"--host {host or '(all)'}: this machine has no network address other machines can reach "
                f"(no outward route, only loopback); use --public-url http://ADDRESS:{port} with the address "
                f"attendees should open"
            )
        host = address
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


MASK = "***"


def masked_url(url: str) -> str:
    """A URL fit to print: its password (in the address, or a `password=` parameter) replaced by ***."""
    parts = urlsplit(url)
    shown = url
    if parts.password is not None:
        credentials = parts.netloc.rpartition("@")[0]
        shown = shown.replace(credentials + "@", credentials.split(":", 1)[0] + f":{MASK}@", 1)
    address, mark, query = shown.partition("?")
    if not mark:
        return shown
    query, hash_mark, fragment = query.partition("#")
    query = "&".join(f"{pair.partition('=')[0]}={MASK}" if pair.partition("=")[0].lower() == "password" else pair
                     for pair in query.split("&"))
    return address + mark + query + hash_mark + fragment


def url_secrets(url: str) -> list[str]:
    """The passwords a URL holds, as written in it and as decoded, the longest first."""
    parts = urlsplit(url)
    written = [parts.netloc.rpartition("@")[0].partition(":")[2]]
    written += [value for name, _, value in (pair.partition("=") for pair in parts.query.split("&"))
                if name.lower() == "password"]
    return sorted({secret for raw in written for secret in (raw, unquote(raw)) if secret}, key=len, reverse=True)


def scrubbed(text: str, url: str) -> str:
    """`text` (an error a library wrote) with any password of `url` in it masked."""
    for secret in url_secrets(url):
        text = text.replace(secret, MASK)
    return text
