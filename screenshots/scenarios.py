"""The README's pictures as scenarios: one table for `make screenshots` and for the snapshot tests.

Each scenario is the app as the command line builds it, driven by keys as a person would, and a check
that the screen shows what the caption says. The snapshot tests compare each against a stored SVG and
run its check, so a README picture cannot drift away from a tested screen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from textual.pilot import Pilot

from backprop_tui.app import BackpropApp
from backprop_tui.messages import RoomNews
from backprop_tui.screens.breakpoint_editor import BreakpointEditor
from backprop_tui.screens.help_screen import HelpScreen
from backprop_tui.screens.training_screen import TrainingScreen
from backprop_tui.widgets.inspector import Inspector
from backprop_tui.widgets.room_panel import RoomPanel
from backprop_tui.widgets.watch_panel import WatchPanel

SPIRAL = ("--dataset", "spiral", "--hidden", "16:tanh,16:tanh", "--lr", "0.5", "--epochs", "300", "--batch-size",
          "64", "--test-fraction", "0.2", "--speed", "max")
WAIT = "wait"  # not a key: wait for the training run, then for the training screen's throttled redraw
ROOM = {"type": "backprop_room", "epoch": 0, "iteration": 0, "phase": "forward.2", "attendees": 24, "answered": 19,
        "right": 12, "wrong": [["8×1000", 4], ["4×8", 2], ["1000×8", 1]], "following": 20, "exploring": 4,
        "explorers": [["forward.1", 1], ["loss", 1], ["backward.3.weight", 2]]}
"""What the server might report to the instructor in a room of 24, at the second phase."""


def _on(key: str) -> Callable[[BackpropApp], bool]:
    return lambda app: app.session.phase.key == key


def _inspecting(key: str) -> Callable[[BackpropApp], bool]:
    return lambda app: app.session.phase.key == key and bool(app.query_one(Inspector).display)


def _lesson_pinning_a_cell(app: BackpropApp) -> bool:
    return bool(app.tour is not None and app.tour.step >= 0 and app.query_one(WatchPanel).display and app.session.pins)


def _training_finished(app: BackpropApp) -> bool:
    return isinstance(app.screen, TrainingScreen) and not app.workers


@dataclass(frozen=True)
class Scenario:
    name: str  # the file in screenshots/ and the snapshot's name
    caption: str  # what the README says it shows
    size: tuple[int, int]
    argv: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    shows: Callable[[BackpropApp], bool] = field(default=lambda app: True)
    stable: bool = True  # False: drawn for the README but not compared pixel for pixel
    room: Mapping[str, Any] | None = None
    """A report from the room server: the app is the instructor's session (as BACKPROP_ROLE would make it) and is
    handed this packet before the keys are pressed."""


SCENARIOS = (
    Scenario("forward", "The first forward phase", (160, 48), shows=_on("forward.1")),
    Scenario("weight_gradient", "A weight-gradient phase with the inspector", (160, 48),
             keys=("end", *["left"] * 8, "tab", "j", "l"), shows=_inspecting("backward.2.weight")),
    Scenario("update", "The update phase", (160, 48), keys=("end",), shows=_on("update.3")),
    Scenario("error_predictions", "Predictions beside targets on the error phase", (160, 48),
             keys=("right",) * 3, shows=_on("error")),
    Scenario("inspector_update_delta", "The change matrix of an update", (160, 48), keys=("end", "tab", "d"),
             shows=_on("update.3")),
    Scenario("lesson", "A lesson step that pins a cell to the watch panel", (160, 48), argv=("--lesson", "article"),
             keys=("right_square_bracket",) * 5, shows=_lesson_pinning_a_cell),
    Scenario("quiz", "Quiz mode in the high-contrast theme", (160, 48),
             argv=("--quiz", "--theme", "high-contrast"), keys=("right",), shows=lambda app: app.hiding),
    Scenario("help", "The help screen", (120, 40), keys=("question_mark",),
             shows=lambda app: isinstance(app.screen, HelpScreen)),
    Scenario("small_80x24", "At 80×24", (80, 24), keys=("right",) * 9, shows=_on("backward.2.weight")),
    Scenario("adam_update", "An Adam update phase: the moments and their bias-corrected values", (160, 48),
             argv=("--optimizer", "adam", "--batch-size", "100", "--hidden", "4"),
             keys=("end", "left", "tab"), shows=_on("update.1")),
    Scenario("nonlinear_classes", "A ReLU layer of a spiral classifier", (160, 48),
             argv=("--dataset", "spiral", "--hidden", "8:relu,8:tanh"), keys=("right",), shows=_on("activation.1")),
    Scenario("training", "The training screen", (160, 48), argv=("--speed", "max"),
             keys=("e", WAIT, "b", *"0.002 125", "enter", WAIT), shows=_training_finished, stable=False),
    Scenario("spiral_tanh", "A spiral learned with tanh: the loss plot, held-out loss, regions and gradient health",
             (160, 48), argv=SPIRAL, keys=("e", WAIT), shows=_training_finished),
    Scenario("training_80x24", "The training screen at 80×24: one panel at a time (v), the loss always in sight",
             (80, 24), argv=SPIRAL, keys=("e", WAIT, "v"),
             shows=lambda app: _training_finished(app) and bool(app.screen.query_one("#picture").display)),
    Scenario("nonlinear_lesson", "--lesson nonlinear: with ReLU the regions bend around the inner class", (160, 48),
             argv=("--lesson", "nonlinear", "--speed", "max"),
             keys=("right_square_bracket",) * 2 + (WAIT, "escape") + ("right_square_bracket",) * 3 + (WAIT,),
             shows=lambda app: _training_finished(app) and app.session.config.activations == ("relu", "relu")),
    Scenario("nonlinear_lesson_relu", "--lesson nonlinear: the σ' phase of a ReLU layer", (160, 48),
             argv=("--lesson", "nonlinear", "--speed", "max"),
             keys=("right_square_bracket",) * 2 + (WAIT, "escape") + ("right_square_bracket",) * 2,
             shows=_on("backward.1.activation")),
    Scenario("nan_stop", "--break nan --lr 2: the app opens at the first phase that made an ∞", (160, 48),
             argv=("--break", "nan", "--lr", "2", "--samples", "200"), shows=_on("forward.2")),
    Scenario("room_panel", "Served, the instructor reads the room: answers to this phase, the common wrong ones, "
             "where explorers are", (160, 48), argv=("--quiz",), keys=("right",), room=ROOM,
             shows=lambda app: bool(app.query_one(RoomPanel).display)),
    Scenario("breakpoint_editor", "B: breakpoints and conditions, a mistake pointed at", (120, 40),
             keys=("b", "B", *"norm(dW9) > 10", "enter"),
             shows=lambda app: isinstance(app.screen, BreakpointEditor) and bool(app.screen.problem)),
)


async def drive(pilot: Pilot, scenario: Scenario) -> None:
    """Press the scenario's keys, then check that the screen shows what its caption says."""
    app = pilot.app
    assert isinstance(app, BackpropApp)
    if scenario.room is not None:
        app.follow.role = "instructor"
        app.post_message(RoomNews(dict(scenario.room)))
    for key in scenario.keys:
        if key == WAIT:
            await app.workers.wait_for_complete()
            await pilot.pause(0.5)
        else:
            await pilot.press(key)
    await pilot.pause()
    assert scenario.shows(app), f"the {scenario.name!r} picture does not show: {scenario.caption}"
