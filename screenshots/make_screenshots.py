"""Regenerate screenshots/*.svg from the real app (`make screenshots`).

Each picture is a scenario of screenshots/scenarios.py: the app built by `make_app`, driven by keys as a
person would, checked to show what its caption says, then saved with Textual's own SVG export. The
snapshot tests run the same scenarios.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from backprop_tui.cli import make_app  # noqa: E402
from screenshots.scenarios import SCENARIOS, Scenario, drive  # noqa: E402


async def shoot(scenario: Scenario) -> Path:
    app = make_app(list(scenario.argv))
    app.animation_level = "none"
    async with app.run_test(size=scenario.size) as pilot:
        await drive(pilot, scenario)
        path = HERE / f"{scenario.name}.svg"
        app.save_screenshot(filename=path.name, path=str(HERE))
    return path


async def main() -> None:
    for scenario in SCENARIOS:
        print(await shoot(scenario))


if __name__ == "__main__":
    asyncio.run(main())
