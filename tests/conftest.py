"""Shared fixtures: every app under test is built through `make_app`, as the command line builds it."""

from __future__ import annotations

import pytest

from backprop_tui.cli import make_app


def build_app(*argv: str):
    app = make_app(list(argv))
    app.animation_level = "none"
    return app


@pytest.fixture
def app_factory():
    return build_app
