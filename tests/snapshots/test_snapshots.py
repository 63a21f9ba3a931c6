"""How the debugger looks: every README picture's scenario against its stored SVG (versions pinned in
constraints.txt), and each scenario's check that it shows what its caption says."""

from __future__ import annotations

import pytest

from screenshots.scenarios import SCENARIOS, Scenario, drive
from tests.helpers import build_app


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s.stable], ids=lambda s: s.name)
def test_scenario_looks_as_stored(snap_compare, scenario: Scenario):
    assert snap_compare(build_app(*scenario.argv), terminal_size=scenario.size,
                        run_before=lambda pilot: drive(pilot, scenario))


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if not s.stable], ids=lambda s: s.name)
async def test_scenario_shows_its_caption(scenario: Scenario):
    """Pictures with timing in them are not compared pixel for pixel, but still checked."""
    app = build_app(*scenario.argv)
    async with app.run_test(size=scenario.size) as pilot:
        await drive(pilot, scenario)
