"""How the debugger looks, compared against stored SVGs (versions pinned in constraints.txt)."""

from __future__ import annotations

from tests.helpers import build_app


async def _go(pilot, key: str) -> None:
    pilot.app.go_to_phase(key)
    await pilot.pause()


class TestDebuggerScreens:
    def test_first_phase(self, snap_compare):
        assert snap_compare(build_app(), terminal_size=(120, 40))

    def test_weight_gradient_phase(self, snap_compare):
        assert snap_compare(build_app(), terminal_size=(120, 40), run_before=lambda pilot: _go(pilot, "backward.2.weight"))

    def test_update_phase(self, snap_compare):
        assert snap_compare(build_app(), terminal_size=(120, 40), run_before=lambda pilot: _go(pilot, "update.3"))

    def test_first_phase_at_80x24(self, snap_compare):
        assert snap_compare(build_app(), terminal_size=(80, 24))


class TestInspectorScreens:
    def test_inspector_on_a_forward_phase(self, snap_compare):
        assert snap_compare(build_app(), terminal_size=(160, 48), press=["right", "tab", "j", "j", "l"])

    def test_inspector_on_a_weight_gradient_phase(self, snap_compare):
        async def run_before(pilot):
            await _go(pilot, "backward.2.weight")
            await pilot.press("tab", "j", "l")

        assert snap_compare(build_app(), terminal_size=(160, 48), run_before=run_before)
