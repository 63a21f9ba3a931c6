"""The address `serve --host 0.0.0.0` gives out: the interface that routes outward, never loopback.

The socket the rule uses is replaced by a fake here, so these tests send nothing anywhere;
the fake also checks that nothing is ever sent (a UDP connect only picks a route).
"""

from __future__ import annotations

import errno
import socket
import types

import pytest

from backprop_tui.cli import main
from backprop_tui.serve import security
from backprop_tui.serve.security import NoReachableAddress, lan_address, public_url_for
from tests.helpers import free_port


class FakeSocket:
    """A datagram socket whose route lookup gives `source` (or fails), and that refuses to send."""

    source: str | None = "192.168.1.23"
    connected: list[tuple[int, int, tuple]] = []

    def __init__(self, family: int, kind: int) -> None:
        self.family, self.kind = family, kind

    def __enter__(self) -> FakeSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def close(self) -> None:
        pass

    def connect(self, address: tuple) -> None:
        FakeSocket.connected.append((self.family, self.kind, address))
        if self.source is None:
            raise OSError(errno.ENETUNREACH, "Network is unreachable")

    def getsockname(self) -> tuple:
        assert self.source is not None
        return (self.source, 40000) if self.family == socket.AF_INET else (self.source, 40000, 0, 0)

    def send(self, *args: object) -> None:
        raise AssertionError("lan_address must not send anything")

    sendto = sendall = send


@pytest.fixture
def fake_route(monkeypatch):
    """security's `socket` module, with a fake socket; set FakeSocket.source to choose the route."""
    fake = types.SimpleNamespace(socket=FakeSocket, AF_INET=socket.AF_INET, AF_INET6=socket.AF_INET6,
                                 SOCK_DGRAM=socket.SOCK_DGRAM)
    monkeypatch.setattr(security, "socket", fake)
    monkeypatch.setattr(FakeSocket, "connected", [])
    return FakeSocket


def test_the_address_is_the_source_of_the_outward_route_found_by_a_udp_connect(fake_route):
    fake_route.source = "192.168.1.23"
    assert lan_address() == "192.168.1.23"
    assert public_url_for("0.0.0.0", 8000, None) == "http://192.168.1.23:8000"
    assert fake_route.connected and all(kind == socket.SOCK_DGRAM for _, kind, _ in fake_route.connected)


def test_ipv6_wildcard_gives_an_ipv6_address_in_brackets(fake_route):
    fake_route.source = "2001:db8:5::17"
    assert public_url_for("::", 8000, None) == "http://[2001:db8:5::17]:8000"


@pytest.mark.parametrize("source", ["127.0.1.1", "127.0.0.1", "::1", "0.0.0.0", None])
def test_no_route_or_only_loopback_gives_no_address(fake_route, source):
    fake_route.source = source
    assert lan_address() is None
    with pytest.raises(NoReachableAddress, match="--public-url"):
        public_url_for("0.0.0.0", 8000, None)
    assert public_url_for("0.0.0.0", 8000, "http://room.example:8000") == "http://room.example:8000"
    assert public_url_for("127.0.0.1", 8000, None) == "http://127.0.0.1:8000"


def test_serve_on_all_interfaces_without_an_outward_address_stops_with_one_line(fake_route, capsys):
    fake_route.source = "127.0.1.1"  # what gethostbyname(gethostname()) gives on a stock Debian /etc/hosts
    assert main(["serve", "--host", "0.0.0.0", "--port", str(free_port())]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith("backprop-tui: error: ") and "use --public-url" in err


def test_the_real_probe_on_this_machine_is_never_loopback():
    """A UDP connect picks a route and sends no packet; whatever it finds here must not be loopback."""
    address = lan_address()
    assert address is None or not security.is_loopback(address)
