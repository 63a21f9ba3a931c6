"""Regenerate screenshots/*.svg from the real app (`make screenshots`).

Each picture is the app built by `make_app`, driven by keys as a person would,
then saved with Textual's own SVG export.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from backprop_tui.cli import make_app

HERE = Path(__file__).parent

SHOTS = [
    # (file name, terminal size, argv, keys pressed before the picture)
    ("forward", (160, 48), [], []),
    ("weight_gradient", (160, 48), [], ["end"] + ["left"] * 6 + ["tab", "j", "l"]),
    ("update", (160, 48), [], ["end"]),
    ("error_predictions", (160, 48), [], ["right"] * 3),
    ("training", (160, 48), ["--speed", "max"], ["e", "wait", "b", *"0.002 125", "enter", "wait"]),
    ("inspector_update_delta", (160, 48), [], ["end", "tab", "d"]),
    ("lesson", (160, 48), ["--lesson", "article"],
     ["right_square_bracket"] * 5 + ["enter"] + ["right_square_bracket"] * 5 + ["enter", "right_square_bracket"]),
    ("quiz", (160, 48), ["--quiz", "--theme", "high-contrast"], ["right"]),
    ("help", (120, 40), [], ["question_mark"]),
    ("small_80x24", (80, 24), [], ["right"] * 9),
]


async def shoot(name: str, size: tuple[int, int], argv: list[str], keys: list[str]) -> Path:
    app = make_app(argv)
    app.animation_level = "none"
    async with app.run_test(size=size) as pilot:
        for key in keys:
            if key == "wait":  # let a training run finish, then the screen's throttled redraw (3/s) show its end
                await app.workers.wait_for_complete()
                await pilot.pause(0.5)
            else:
                await pilot.press(key)
        await pilot.pause()
        path = HERE / f"{name}.svg"
        app.save_screenshot(filename=path.name, path=str(HERE))
    return path


async def main() -> None:
    for name, size, argv, keys in SHOTS:
        print(await shoot(name, size, argv, keys))


if __name__ == "__main__":
    asyncio.run(main())
