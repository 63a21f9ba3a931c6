"""Key soak: a seeded random walk through the whole keymap, clicks and resizes, checking invariants.

Every action: no exception, the position inside the tape, each tape unchanged since it
was built (a hash of its arrays), and every 25 actions the screen renders. The seed is
printed on failure so a run can be replayed: SOAK_SEED=… SOAK_ACTIONS=… pytest -k soak.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import weakref

import pytest
from textual.pilot import OutOfBounds
from textual.worker import WorkerCancelled

from backprop_tui.widgets.matrix_view import MatrixView
from tests.helpers import build_app

ACTIONS = int(os.environ.get("SOAK_ACTIONS", "120"))  # `make test`: short; `make soak`: 2,000
SEED = int(os.environ.get("SOAK_SEED", "20261128"))

KEYS = ["right", "left", "n", "p", "pagedown", "pageup", "home", "end", "tab", "shift+tab", "h", "j", "k", "l",
        "shift+up", "shift+down", "g", "G", "w", "c", "d", "r", "Q", "z", "question_mark", "escape", "e", "space",
        "x", "right_square_bracket", "left_square_bracket", "enter", "L", "plus", "minus", "m", "s", "b", "B", "C",
        "v", "P", "H"]


def tape_hash(tape) -> str:
    digest = hashlib.sha256()
    for phase in tape:
        for name, array in (*phase.inputs.items(), *phase.outputs.items()):
            digest.update(name.encode())
            digest.update(array.tobytes())
    return digest.hexdigest()


def extreme_csv(tmp_path) -> str:
    path = tmp_path / "extreme.csv"
    rows = ["huge,tiny,y"] + [f"{(i % 7 - 3) * 1e200},{(i % 5 - 2) * 1e-300},{i % 11}" for i in range(40)]
    path.write_text("\n".join(rows) + "\n")
    return str(path)


CONFIGS = {
    "default": [], "hidden-1": ["--hidden", "1"], "hidden-64-64": ["--hidden", "64,64"],
    "float32": ["--dtype", "float32"], "diverging": ["--lr", "5"], "extreme-csv": None,
    "quiz": ["--quiz"], "lesson": ["--lesson", "article"],
    "nonlinear-classes": ["--dataset", "spiral", "--hidden", "6:relu,5:tanh", "--lr", "0.5"],
    "breaking": ["--batch-size", "64", "--lr", "2", "--break", "nan", "--test-fraction", "0.2"],
}


@pytest.mark.timeout(1800)  # 2,000 actions take minutes; the suite's 300 s limit is for ordinary tests
@pytest.mark.parametrize("name", list(CONFIGS))
async def test_soak(name, tmp_path):
    argv = CONFIGS[name] if CONFIGS[name] is not None else ["--data", extreme_csv(tmp_path)]
    app = build_app(*argv, "--speed", "max", "--out", str(tmp_path), "--samples", "200") if name != "extreme-csv" \
        else build_app(*argv, "--speed", "max", "--out", str(tmp_path))
    rng = random.Random(f"{SEED}-{name}")
    hashes: dict[int, tuple[weakref.ref, str]] = {}
    log: list[str] = []
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            for step in range(ACTIONS):
                roll = rng.random()
                if roll < 0.06:
                    size = (rng.randint(40, 200), rng.randint(12, 60))
                    log.append(f"resize {size}")
                    await pilot.resize_terminal(*size)
                elif roll < 0.14:
                    views = [v for v in app.screen.query(MatrixView) if v.display and v.region.area]
                    if views:
                        view = rng.choice(views)
                        offset = (rng.randrange(max(1, view.region.width)), rng.randrange(max(1, view.region.height)))
                        log.append(f"click {view.id} {offset}")
                        try:
                            await pilot.click(view, offset=offset)
                        except OutOfBounds:  # that part of the panel is scrolled out of sight: no click
                            log[-1] += " (out of sight)"
                elif roll < 0.18 and app.hiding:
                    answer = rng.choice(["1000x4", "4x1", "(8, 4)", "0.5", "1, 2, 3", "scalar; 7", "x"])
                    log.append(f"answer {answer!r}")
                    await pilot.press(*answer, "enter")
                else:
                    key = rng.choice(KEYS)
                    log.append(key)
                    await pilot.press(key)
                session = app.session
                assert 0 <= session.position.phase < len(session.tape)
                assert session.tape.epoch == session.epoch
                # Keyed by id with a weak reference beside it: a freed tape's id can be reused by a new one.
                tape = session.tape
                known = hashes.get(id(tape))
                if known is None or known[0]() is not tape:
                    hashes[id(tape)] = known = (weakref.ref(tape), tape_hash(tape))
                if step % 25 == 0:
                    assert known[1] == tape_hash(tape), "a tape changed after it was built"
                    assert app.export_screenshot()
                if app.return_code is not None:  # q was pressed: the app is ending
                    break
            # A run paused with Space and left behind with Esc waits at its gate for good (by design: leaving the
            # training screen never stops a run); stop it, as quitting would, before waiting for the threads.
            app.training.stop(app.session.trained_epochs)
            with contextlib.suppress(WorkerCancelled):  # the run just stopped is cancelled, by design
                await app.workers.wait_for_complete()
    except BaseException:
        print(f"soak {name}: seed {SEED}, {len(log)} actions; last: {log[-12:]}")
        raise
