"""A lecture hall's rules without Redis: what a node believes off the channel, URLs shown without passwords, and
the secrets every node must share."""

from __future__ import annotations

import json

import pytest

from backprop_tui.room_secrets import RoomSecrets, SecretsError, hall_problem, room_secrets
from backprop_tui.serve.security import masked_url, scrubbed
from backprop_tui.serve.signing import MAX_AGE, MAX_WIRE, Signer, Verifier, channel_name, room_key

KEY = room_key("teach")
POSITION = {"epoch": 2, "iteration": 0, "phase": "loss", "matrix": None, "cell": [0, 0]}


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_signed_message_is_heard_once_and_only_from_the_key():
    clock = Clock()
    signer, verifier = Signer(KEY, clock), Verifier(KEY, clock)
    wire = signer.seal("position", POSITION)
    heard = verifier.open(wire)
    assert heard is not None and (heard.kind, heard.node, heard.body) == ("position", signer.node, POSITION)
    assert b"teach" not in wire  # the token never travels, only what it signed

    assert verifier.open(wire) is None  # the same message again: a replay
    later = signer.seal("position", {**POSITION, "phase": "error"})
    earlier = signer.seal("position", {**POSITION, "phase": "forward.1"})
    assert verifier.open(earlier) is not None
    assert verifier.open(later) is None  # a number at or below the last one taken from that node
    assert verifier.refused == {"replayed": 2}


def test_forgeries_are_refused_whoever_wrote_them():
    clock = Clock()
    verifier = Verifier(KEY, clock)
    genuine = Signer(KEY, clock).seal("position", POSITION)
    signature, _, payload = genuine.partition(b".")
    forged_body = payload.replace(b'"loss"', b'"error"')
    other_hall = Signer(room_key("another instructor"), clock).seal("position", POSITION)
    attempts = [
        json.dumps({"k": "position", "b": POSITION}).encode(),  # unsigned
        payload,  # the signature cut off
        b"0" * 64 + b"." + payload,  # a made-up signature
        signature + b"." + forged_body,  # a genuine signature over other words
        other_hall,  # signed, with another hall's key
        signature + b"." + payload + b" " * MAX_WIRE,  # too large to read
    ]
    assert all(verifier.open(wire) is None for wire in attempts)
    assert verifier.refused == {"malformed": 2, "bad signature": 4}
    assert verifier.open(genuine) is not None  # none of that spoiled the genuine one


def test_a_signed_message_must_be_well_formed_and_fresh():
    import hashlib
    import hmac

    clock = Clock()
    verifier = Verifier(KEY, clock)

    def signed(payload: bytes) -> bytes:
        return hmac.new(KEY, payload, hashlib.sha256).hexdigest().encode() + b"." + payload

    for payload in (b"not json", b"[1, 2]", json.dumps({"v": 1, "k": "position", "n": "x", "s": True, "t": clock.now,
                                                         "b": {}}).encode(),
                    json.dumps({"v": 2, "k": "position", "n": "x", "s": 1, "t": clock.now, "b": {}}).encode()):
        assert verifier.open(signed(payload)) is None
    assert verifier.refused == {"malformed": 4}
    old = Signer(KEY, Clock(clock.now - MAX_AGE - 1)).seal("position", POSITION)  # captured a while ago
    ahead = Signer(KEY, Clock(clock.now + MAX_AGE + 1)).seal("position", POSITION)
    assert verifier.open(old) is None and verifier.open(ahead) is None
    assert verifier.refused["stale"] == 2


def test_each_hall_has_its_own_key_and_channel():
    assert room_key("teach") != room_key("teach2")
    assert channel_name(room_key("teach")) != channel_name(room_key("teach2"))
    assert "teach" not in channel_name(room_key("teach"))
    assert Signer(KEY).node != Signer(KEY).node  # a fresh node name every start: numbering restarts safely


def test_urls_are_shown_without_their_passwords():
    assert masked_url("redis://:s3cret@10.0.0.5:6379/0") == "redis://:***@10.0.0.5:6379/0"
    assert masked_url("rediss://hall:s3cret@redis.example:6380/1") == "rediss://hall:***@redis.example:6380/1"
    assert masked_url("redis://10.0.0.5:6379/0?password=s3cret&db=2") == "redis://10.0.0.5:6379/0?password=***&db=2"
    assert masked_url("redis://127.0.0.1:6379") == "redis://127.0.0.1:6379"
    assert masked_url("unix:///run/redis.sock?password=p%40ss") == "unix:///run/redis.sock?password=***"
    url = "redis://:p%40ss@h:1/0"
    assert "p%40ss" not in masked_url(url) and "p@ss" not in masked_url(url)
    assert scrubbed("AUTH p@ss failed; p%40ss", url) == "AUTH *** failed; ***"


def test_the_secrets_come_from_flags_or_a_token_file_not_both(tmp_path):
    none = {"token": None, "instructor-token": None, "redis": None}
    file = tmp_path / "hall.toml"
    file.write_text('token = "link"\ninstructor-token = "teach"\nredis = "redis://:pw@127.0.0.1:6379/0"\n')
    assert room_secrets(none, str(file)) == RoomSecrets("link", "teach", "redis://:pw@127.0.0.1:6379/0")
    assert room_secrets({**none, "instructor-token": "t"}, None) == RoomSecrets(None, "t", None)
    problems = [
        ({**none, "token": "again"}, str(file), "given twice"),
        ({**none, "token": " "}, None, "must not be empty"),
        (none, str(tmp_path / "missing.toml"), "No such file"),
    ]
    for flags, path, words in problems:
        with pytest.raises(SecretsError, match=words):
            room_secrets(flags, path)
    for text, words in (("token = 3\n", "non-empty string"), ('secret = "x"\n', "unknown key"),
                        ("token = \n", "not a TOML file")):
        file.write_text(text)
        with pytest.raises(SecretsError, match=words) as error:
            room_secrets(none, str(file))
        assert "\n" not in str(error.value)


def test_a_hall_node_needs_the_instructors_key_and_off_this_machine_a_shared_link_token():
    redis = "redis://127.0.0.1:6379/0"
    assert hall_problem(RoomSecrets(), "0.0.0.0", "http://10.0.0.5:8000") is None  # no hall: today's rules
    assert "instructor" in (hall_problem(RoomSecrets(redis=redis), "127.0.0.1", "http://127.0.0.1:8001") or "")
    assert hall_problem(RoomSecrets(None, "t", redis), "127.0.0.1", "http://127.0.0.1:8080") is None
    behind_a_proxy = hall_problem(RoomSecrets(None, "t", redis), "127.0.0.1", "http://hall.example:8080")
    assert behind_a_proxy is not None and "--token" in behind_a_proxy
    assert hall_problem(RoomSecrets("link", "t", redis), "0.0.0.0", "http://hall.example") is None
