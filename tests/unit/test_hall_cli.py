"""`serve --redis` refuses, in one line and with exit code 2, what cannot run a node of a lecture hall: no Redis
client installed, no instructor's key, a URL that is not Redis's, a Redis that does not answer. No password is
ever printed. (Redis on loopback only: an address nobody listens on is refused at once.)"""

from __future__ import annotations

import sys

import pytest

from backprop_tui.cli import main
from tests.helpers import HOST, free_port


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["serve", "--port", str(free_port()), *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1, captured
    assert captured.err.startswith("backprop-tui: error: ")
    return captured.err


def test_redis_that_does_not_answer_is_one_line_without_the_password(capsys):
    line = refused(capsys, "--redis", f"redis://:s3cret@{HOST}:{free_port()}/0", "--instructor-token", "teach")
    assert "cannot reach Redis at redis://:***@127.0.0.1:" in line and "s3cret" not in line


def test_redis_without_the_instructors_key_or_with_a_foreign_url(capsys):
    assert "instructor's key" in refused(capsys, "--redis", f"redis://{HOST}:6379/0")
    line = refused(capsys, "--redis", "http://user:s3cret@example.invalid/", "--instructor-token", "teach")
    assert "not a Redis URL" in line and "s3cret" not in line


def test_redis_without_the_client_installed_says_what_to_install(capsys, monkeypatch):
    monkeypatch.delitem(sys.modules, "backprop_tui.serve.redis_channel", raising=False)
    monkeypatch.setitem(sys.modules, "redis", None)  # as if `pip install 'backprop-tui[hall]'` had not been run
    line = refused(capsys, "--redis", f"redis://{HOST}:6379/0", "--instructor-token", "teach")
    assert "pip install 'backprop-tui[hall]'" in line


def test_a_token_file_feeds_the_same_checks(capsys, tmp_path):
    file = tmp_path / "hall.toml"
    file.write_text(f'instructor-token = "teach"\nredis = "redis://:s3cret@{HOST}:{free_port()}/0"\n')
    line = refused(capsys, "--token-file", str(file))
    assert "cannot reach Redis" in line and "s3cret" not in line
    assert "given twice" in refused(capsys, "--token-file", str(file), "--instructor-token", "other")
