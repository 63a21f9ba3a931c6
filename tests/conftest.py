"""Fixtures shared by every tier. Helpers that are not fixtures live in tests/helpers.py."""

from __future__ import annotations

import pytest

from tests.helpers import build_app


@pytest.fixture
def app_factory():
    return build_app


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The soak's long tests go first, so parallel workers do not end waiting on one of them."""
    items.sort(key=lambda item: "tests/soak/" not in item.nodeid)
