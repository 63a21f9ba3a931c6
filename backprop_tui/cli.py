"""The command line: `backprop-tui [trace|train|export-script DIR|serve] [flags]`.

Flags may stand before or after the subcommand: every parser shares one parent
whose defaults are suppressed, so a flag given before the subcommand is never
overwritten by the subcommand's default. Textual is imported only when the app
is built, so `trace` and `train` start fast and run where no terminal UI could.
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from backprop_tui import __version__
from backprop_tui.config import THEME_NAMES, RunConfig
from backprop_tui.usage import EXIT_USAGE, UsageError
from scratchnet.datasets import DATASET_NAMES
from scratchnet.network import OPTIMIZERS

if TYPE_CHECKING:
    from backprop_tui.app import BackpropApp
    from backprop_tui.lesson import Lesson
    from backprop_tui.serve.redis_channel import RedisChannel
    from backprop_tui.session import Session
    from backprop_tui.session_file import Opening
    from scratchnet.conditions import Condition

class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


ACTIVATION_NAMES = ("relu", "tanh", "sigmoid", "leaky_relu", "none")


def _hidden(text: str) -> tuple[tuple[int, str | None], ...]:
    """`8,4` or `16:relu,8:tanh`: each hidden layer's size and, if given, its own activation."""
    if text.strip() == "":
        return ()
    layers: list[tuple[int, str | None]] = []
    for part in text.split(","):
        size, _, activation = part.strip().partition(":")
        size, activation = size.strip(), activation.strip()
        if not (size.isascii() and size.isdigit()) or int(size) < 1:
            raise argparse.ArgumentTypeError(f"hidden sizes must be positive integers, like 8,4 or 16:relu,8:tanh "
                                             f"(got {text!r})")
        if activation and activation not in ACTIVATION_NAMES:
            raise argparse.ArgumentTypeError(f"{activation!r} is not an activation (choose from "
                                             f"{', '.join(ACTIVATION_NAMES)}; got {text!r})")
        layers.append((int(size), activation or None))
    return tuple(layers)


def _real(not_a_number: str, out_of_range: str, allow_zero: bool = False) -> Callable[[str], float]:
    """A parser for a finite float above 0 (or ≥ 0), with the two messages a user may need."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{not_a_number} (got {text!r})") from None
        if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
            raise argparse.ArgumentTypeError(f"{out_of_range} (got {text!r})")
        return value

    return parse


_learning_rate = _real("the learning rate must be a number", "the learning rate must be a finite number above 0")
_noise = _real("the noise must be a number", "the noise must be a finite number ≥ 0", allow_zero=True)
_pace = _real("--speed is epochs per second or 'max'", "--speed must be a finite number above 0, or 'max'")
_eps = _real("--eps must be a number", "--eps must be a finite number above 0")
_weight_decay = _real("--weight-decay must be a number", "--weight-decay must be a finite number ≥ 0", allow_zero=True)


def _below_one(flag: str, what: str) -> Callable[[str], float]:
    """A parser for a number in [0, 1): a momentum, a β, a fraction."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} must be a number (got {text!r})") from None
        if not 0 <= value < 1:
            raise argparse.ArgumentTypeError(f"{flag} must be a number in [0, 1): {what} (got {text!r})")
        return value

    return parse


OPTIMIZER_SETTINGS = {"momentum": ("momentum",), "beta1": ("adam",), "beta2": ("adam",), "eps": ("adam",)}
"""Each optimizer setting's flag (argparse's name) and the optimizers it belongs to."""


def _integer(minimum: int, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a whole number (got {text!r})") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{what} must be at least {minimum} (got {value})")
        return value

    return parse


def _shared_flags() -> _Parser:
    shared = _Parser(add_help=False, argument_default=argparse.SUPPRESS)
    run = shared.add_argument_group("the run")
    run.add_argument("--hidden", type=_hidden, metavar="8,4",
                     help="hidden layer sizes (default 8,4), each with its own activation if wanted: 16:relu,8:tanh")
    run.add_argument("--activation", choices=ACTIVATION_NAMES,
                     help="activation after every hidden layer without its own (default none: the article's network)")
    run.add_argument("--loss", choices=("mse", "cross-entropy"),
                     help="mse (default for a numeric target) or cross-entropy, with softmax (default for classes)")
    run.add_argument("--lr", type=_learning_rate, metavar="η", help="learning rate (default 0.01)")
    run.add_argument("--dataset", choices=DATASET_NAMES, metavar="NAME",
                     help="generated data: houses (default, the article's prices), or the classification sets "
                          "circle, xor, gauss, moons (2 classes), spiral (3 classes)")
    run.add_argument("--samples", type=_integer(2, "--samples"), metavar="N",
                     help="generated samples (default 1000 houses, 600 spiral, 500 the others)")
    run.add_argument("--seed", type=_integer(0, "--seed"), metavar="S", help="random seed (default 0)")
    run.add_argument("--noise", type=_noise, metavar="σ",
                     help="the data's spread: price noise std in dollars for houses (default 30000), the points' "
                          "std for the others (default 0.05; gauss 0.5, moons 0.1)")
    run.add_argument("--epochs", type=_integer(0, "--epochs"), metavar="N", help="epochs to train (default 125)")
    run.add_argument("--dtype", choices=("float64", "float32"), help="float64 (default) or float32")
    run.add_argument("--data", metavar="FILE.csv", help="train on your own CSV instead of generated data")
    run.add_argument("--target", metavar="COLUMN", help="the CSV column to predict (default: the last); text "
                     "labels make it classification")
    run.add_argument("--labels", action="store_true",
                     help="the CSV's target holds class labels even where they are whole numbers")
    run.add_argument("--test-fraction", type=_below_one("--test-fraction", "the share of rows held out"),
                     metavar="f", help="hold out this share of the rows, seeded, to measure every epoch (default 0)")
    dynamics = shared.add_argument_group("training dynamics")
    dynamics.add_argument("--optimizer", choices=OPTIMIZERS,
                          help="sgd (default: the article's gradient descent), momentum or adam (PyTorch's formulas)")
    dynamics.add_argument("--momentum", type=_below_one("--momentum", "the share of the velocity kept"),
                          metavar="μ", help="momentum's μ (default 0.9)")
    dynamics.add_argument("--beta1", type=_below_one("--beta1", "Adam's decay of its average gradient"),
                          metavar="β₁", help="Adam's β₁ (default 0.9)")
    dynamics.add_argument("--beta2", type=_below_one("--beta2", "Adam's decay of its average squared gradient"),
                          metavar="β₂", help="Adam's β₂ (default 0.999)")
    dynamics.add_argument("--eps", type=_eps, metavar="ε", help="Adam's ε (default 1e-8)")
    dynamics.add_argument("--weight-decay", type=_weight_decay, metavar="λ",
                          help="L2 on the weights, not the biases: the loss gains (λ/2)·Σ‖W‖² (default 0)")
    dynamics.add_argument("--batch-size", type=_integer(1, "--batch-size"), metavar="B",
                          help="rows per iteration, over a seeded shuffle each epoch (default: all rows, the article)")
    dynamics.add_argument("--break", dest="breaks", action="append", type=_condition, metavar="CONDITION",
                          help="stop at the first iteration where it holds, e.g. nan, loss_up, \"norm(dW1) > 10\", "
                               "\"acc >= 0.9\" (repeatable: any of them)")
    app_flags = shared.add_argument_group("the app")
    app_flags.add_argument("--speed", type=_speed, metavar="N|max",
                           help="training pace in epochs per second (default 25), or max")
    app_flags.add_argument("--quiz", action="store_true", help="quiz mode: predict each result before it shows")
    app_flags.add_argument("--theme", choices=THEME_NAMES,
                           help="colours for the room: dark (default), light, high-contrast, monochrome")
    app_flags.add_argument("--zoom", action="store_true", help="only the results, larger, for a projector")
    app_flags.add_argument("--session", metavar="FILE.toml",
                           help="open this session file if it exists; save to it on quit and ctrl+s")
    app_flags.add_argument("--lesson", metavar="NAME|FILE.toml", help="a guided tour: ] and [ move through it "
                           "(shipped: article); with trace, its network, and its notes in the markdown handout")
    app_flags.add_argument("--out", metavar="FOLDER", help="where exports and screenshots go (default: here); "
                           "trace --format npz also takes a FILE.npz")
    return shared


def _condition(text: str) -> Condition:
    from scratchnet.conditions import ConditionError, parse_condition

    try:
        return parse_condition(text)
    except ConditionError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _speed(text: str) -> float | None:
    return None if text == "max" else _pace(text)


def build_parser() -> argparse.ArgumentParser:
    shared = _shared_flags()
    parser = _Parser(
        prog="backprop-tui",
        description="Step through one training iteration of a small NumPy network, phase by phase.",
        parents=[shared],
        argument_default=argparse.SUPPRESS,
    )
    parser.add_argument("--version", action="version", version=f"backprop-tui {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="{trace,train,export-script,serve}")
    trace = commands.add_parser("trace", parents=[shared], argument_default=argparse.SUPPRESS,
                                help="print every phase of one iteration, no UI")
    trace.add_argument("--format", choices=("text", "json", "markdown", "npz"),
                       help="text (default), json, markdown (a handout) or npz (every matrix into --out: a FILE.npz, "
                            "or a folder)")
    trace.add_argument("--epoch", type=_integer(0, "--epoch"), metavar="K",
                       help="trace epoch K's iteration (default 0)")
    trace.add_argument("--iteration", type=_integer(0, "--iteration"), metavar="I",
                       help="with --batch-size: trace batch I of the epoch, from 0 (default 0)")
    train = commands.add_parser("train", parents=[shared], argument_default=argparse.SUPPRESS,
                                help="train and print the loss table, no UI")
    train.add_argument("--every", type=_integer(1, "--every"), metavar="K",
                       help="a row every K epochs of the text table (default 20)")
    train.add_argument("--format", choices=("text", "json", "csv"),
                       help="text (default), json or csv (every epoch)")
    export = commands.add_parser("export-script", parents=[shared], argument_default=argparse.SUPPRESS,
                                 help="write the run as DIR/run.py and DIR/data.npz, to run with only Python and "
                                      "NumPy; it prints what train prints (train's --break is not part of it)")
    export.add_argument("folder", metavar="DIR", help="the folder to write into, created if need be; an earlier "
                        "export there is replaced, any other run.py or data.npz is left alone (exit 2)")
    serve = commands.add_parser("serve", parents=[shared], argument_default=argparse.SUPPRESS,
                                help="serve the debugger to browsers; each tab gets its own session")
    for flag, kind, metavar, text in SERVE_FLAGS:
        serve.add_argument(flag, type=kind, metavar=metavar, help=text)
    return parser


def _port(text: str) -> int:
    value = _integer(1, "--port")(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"--port must be at most 65535 (got {value})")
    return value


SERVE_FLAGS: list[tuple[str, Callable[[str], object], str, str]] = [
    ("--host", str, "ADDRESS", "address to listen on (default 127.0.0.1; anything else needs a token)"),
    ("--port", _port, "N", "port (default 8000)"),
    ("--public-url", str, "URL", "the URL browsers reach this server at (default: from --host and --port)"),
    ("--token", str, "T", "access token (generated when --host is not loopback)"),
    ("--max-sessions", _integer(1, "--max-sessions"), "N", "most sessions at once (default 40)"),
    ("--instructor-token", str, "T", "the instructor's key: that session's position is followed"),
    ("--token-file", str, "FILE", "a TOML file with token, instructor-token and redis, kept out of the process list"),
    ("--redis", str, "URL", "a lecture hall: the follow channel and the room's counts on this Redis, shared with "
                            "other nodes (needs the instructor's key; pip install 'backprop-tui[hall]')"),
]


def app_argv_for_serve(argv: Sequence[str]) -> list[str]:
    """The app flags among `serve`'s arguments: everything but the word serve and serve's own options."""
    serve_options = {flag for flag, *_ in SERVE_FLAGS}
    rest: list[str] = []
    tokens = iter(argv)
    for token in tokens:
        if token == "serve":
            continue
        name = token.split("=", 1)[0]
        if name in serve_options:
            if "=" not in token:
                next(tokens, None)
            continue
        rest.append(token)
    return rest


def parse(argv: Sequence[str]) -> tuple[argparse.Namespace, RunConfig]:
    """Raises UsageError with a one-line message."""
    args = build_parser().parse_args(list(argv))
    given = vars(args)
    if "data" in given:
        clashes = [flag for flag in ("samples", "noise", "dataset") if flag in given]
        if clashes:
            raise UsageError(f"--data cannot be combined with --{clashes[0]} (those describe generated data)")
    elif "target" in given:
        raise UsageError("--target needs --data (the generated data's target is the price or the class)")
    elif "labels" in given:
        raise UsageError("--labels needs --data (it reads a CSV's target column as class labels)")
    if "session" not in given:  # with a session file, the file's optimizer decides (merge_flags checks)
        optimizer = given.get("optimizer", "sgd")
        for flag, owners in OPTIMIZER_SETTINGS.items():
            if flag in given and optimizer not in owners:
                raise UsageError(f"--{flag} applies to --optimizer {owners[0]} (the optimizer is {optimizer})")
    defaults = RunConfig()
    layers = given.get("hidden", tuple((size, None) for size in defaults.hidden))
    everywhere = given.get("activation", "none")
    generated = {flag: given[flag] for flag in ("samples", "noise") if flag in given}  # else the data set's own
    config = RunConfig(
        hidden=tuple(size for size, _ in layers),
        activations=tuple(activation or everywhere for _, activation in layers),
        loss=given.get("loss"),
        learning_rate=given.get("lr", defaults.learning_rate),
        seed=given.get("seed", defaults.seed),
        epochs=given.get("epochs", defaults.epochs),
        dtype=given.get("dtype", defaults.dtype),
        data=given.get("data"),
        target=given.get("target"),
        dataset=given.get("dataset", defaults.dataset),
        labels=given.get("labels", defaults.labels),
        optimizer=given.get("optimizer", defaults.optimizer),
        momentum=given.get("momentum", defaults.momentum),
        beta1=given.get("beta1", defaults.beta1),
        beta2=given.get("beta2", defaults.beta2),
        eps=given.get("eps", defaults.eps),
        weight_decay=given.get("weight_decay", defaults.weight_decay),
        batch_size=given.get("batch_size", defaults.batch_size),
        test_fraction=given.get("test_fraction", defaults.test_fraction),
        **generated,
    )
    return args, config


RUN_FLAGS = ("hidden", "activation", "loss", "lr", "samples", "seed", "noise", "epochs", "dtype", "data", "target",
             "dataset", "labels", "optimizer", "momentum", "beta1", "beta2", "eps", "weight_decay", "batch_size",
             "test_fraction")


def _out_folder(out: Path) -> Path:
    """--out, created (with its parents) if it does not exist yet; it must end up a folder we can write to."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError(f"--out {out}: exists and is not a folder") from None
    except OSError as error:
        raise UsageError(f"--out {out}: cannot be created ({error.strerror or error})") from None
    if not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    if not os.access(out, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out}: not a folder this user can write to")
    return out


def _split(flags: str) -> list[str]:
    return shlex.split(flags)


def _lesson_runs(lesson: Lesson, argv: Sequence[str]) -> dict[str, RunConfig]:
    """The run of each step's flags: the lesson's flags, then the learner's own (a learner may change the data or the
    pace), then the step's (the point of the step). Empty for a lesson without flags: it shows the run given."""
    from backprop_tui.lesson import LessonError
    from backprop_tui.toml_writer import where

    if not lesson.flags and not any(step.flags for step in lesson.steps):
        return {}
    def own_flags(flags: str, line: int) -> list[str]:
        here = where(lesson.source, (line, 1))
        try:
            own = _split(flags)
            alone = vars(parse(own)[0])
        except (UsageError, ValueError) as error:
            raise LessonError(f"{here}: flags {flags!r}: {error}") from None
        if other := next((key for key in alone if key not in RUN_FLAGS and alone[key] is not None), None):
            raise LessonError(f"{here}: flags may only describe the network and its data, not {other!r}")
        return own

    own_flags(lesson.flags, lesson.flags_line)
    runs: dict[str, RunConfig] = {}
    for step in lesson.steps:
        own = own_flags(step.flags, step.line)
        try:
            runs[step.flags] = parse([*_split(lesson.flags), *argv, *own])[1]
        except UsageError as error:
            raise LessonError(f"{where(lesson.source, (step.line, 1))}: flags {step.flags!r}: {error}") from None
    return runs


def _trace_lesson(args: argparse.Namespace, argv: Sequence[str],
                  config: RunConfig) -> tuple[argparse.Namespace, RunConfig, Lesson, list[int]]:
    """`trace --lesson`: the network the lesson opens on (as in the app: its first step's), and the steps that open on
    the traced iteration of that network (the first iteration of their epoch), whose notes the handout shows."""
    from backprop_tui.lesson import load_lesson, steps_at

    lesson = load_lesson(vars(args)["lesson"])
    runs = _lesson_runs(lesson, argv)
    if runs:
        args, config = parse([*_split(lesson.flags), *argv, *_split(lesson.steps[0].flags)])
    if getattr(args, "iteration", 0) != 0:
        return args, config, lesson, []
    flags = {step_flags for step_flags, run in runs.items() if run == config} if runs else None
    return args, config, lesson, steps_at(lesson, getattr(args, "epoch", 0), flags)


def _break_at_launch(session: Session, conditions: list[Condition]) -> Opening | None:
    """--break in the app: the conditions join the session's breakpoints, and the run goes on (before the UI, on
    the fast path) to the first iteration where one holds, to open there; None (the usual opening) if none held
    within the configured epochs. A condition reading a matrix this network has not got is a UsageError."""
    from dataclasses import replace

    from backprop_tui.headless import train_until
    from backprop_tui.progress import EpochProgress
    from backprop_tui.session_file import Opening
    from scratchnet.conditions import ConditionError

    for condition in conditions:
        try:
            session.breakpoints.add_condition(str(condition), session.matrix_names)
        except ConditionError as error:
            raise UsageError(f"--break: {error}") from None
    run = replace(session.run, network=session.run.network.with_parameters(session.parameters[0]))
    with EpochProgress(session.config.epochs, "continuing until a condition holds") as progress:
        _, stop = train_until(run, conditions, session.config.epochs, progress)
    if stop is None:
        print(f"backprop-tui: note: no --break condition held in {session.config.epochs} epochs", file=sys.stderr)
        return None
    place = stop.place
    note = f"--break: {stop.sentence}"
    return Opening(stop.hit.epoch, place.phase, place.matrix, place.cell or (0, 0), (), stop.hit.iteration, note)


def make_app(argv: Sequence[str] = ()) -> BackpropApp:
    """The app exactly as `backprop-tui ARGV` would start it, not yet running.

    Raises UsageError (or a DataError, SessionError, LessonError or NotEnoughMemory: all one line) for bad
    input, before any UI exists.
    """
    args, config = parse(argv)
    from backprop_tui.app import BackpropApp
    from backprop_tui.session import Session
    from backprop_tui.trainer import DEFAULT_SPEED

    lesson, lesson_runs = None, {}
    if "lesson" in vars(args):
        from backprop_tui.lesson import load_lesson

        lesson = load_lesson(vars(args)["lesson"])
        lesson_runs = _lesson_runs(lesson, argv)
        if lesson_runs:  # the lesson says which network it opens on: its first step's
            args, config = parse([*_split(lesson.flags), *argv, *_split(lesson.steps[0].flags)])
    given = vars(args)
    out = _out_folder(Path(given.get("out", ".")))
    theme = given.get("theme", "dark")
    opening = None
    keys: tuple[tuple[str, str], ...] = ()
    session_path = given.get("session")
    if session_path is not None and Path(session_path).exists():
        from backprop_tui.session_file import Opening, check_data, load_session, merge_flags

        saved = load_session(session_path)
        config = merge_flags(saved, {k: v for k, v in given.items() if k in RUN_FLAGS}, session_path)
        check_data(saved, session_path)
        theme = given.get("theme", saved.theme)  # how it looks may differ from room to room: a flag wins
        opening = Opening(saved.epoch, saved.phase, saved.matrix, saved.cell, saved.pins, saved.iteration,
                          breakpoints=saved.breakpoints)
        keys = saved.keys
    elif session_path is not None and not Path(session_path).resolve().parent.is_dir():
        raise UsageError(f"--session {session_path}: its folder does not exist")
    from backprop_tui import memory

    # The session keeps the parameters of every epoch reached: the configured run, or the session file's epoch.
    memory.check(config, "app", epochs_kept=max(config.epochs, 0 if opening is None else opening.epoch) + 1)
    session = Session.start(config)
    if lesson is not None:
        from backprop_tui.lesson import validate_lesson

        for flags, run_config in lesson_runs.items():
            checked = session if run_config == config else Session.start(run_config)
            validate_lesson(lesson, checked.tape.keys, {name for phase in checked.tape for name in phase.matrix_names},
                            flags if lesson_runs else None)
        if not lesson_runs:
            validate_lesson(lesson, session.tape.keys, {name for phase in session.tape for name in phase.matrix_names})
    if opening is not None:
        assert session_path is not None  # an opening is only read from a session file
        opening.validate(session, session_path)
        if saved.iteration >= session.iterations:
            from backprop_tui.session_file import SessionError

            raise SessionError(f"{session_path}: [position] iteration {saved.iteration} is past the last batch of an "
                               f"epoch (this run has {session.iterations}, numbered 0–{session.iterations - 1})")
    if breaks := given.get("breaks"):
        stopped = _break_at_launch(session, breaks)
        if stopped is not None and opening is not None:  # where it stopped, with the file's pins and breakpoints
            from dataclasses import replace

            stopped = replace(stopped, pins=opening.pins, breakpoints=opening.breakpoints)
        opening = stopped or opening
    return BackpropApp(
        session,
        speed=given.get("speed", DEFAULT_SPEED),
        quiz=given.get("quiz", False),
        theme=theme,
        zoom=given.get("zoom", False),
        out=out,
        session_path=session_path,
        lesson=lesson,
        lesson_runs=lesson_runs,
        opening=opening,
        keys=dict(keys),
    )


def _serve(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from backprop_tui.room_secrets import SecretsError, hall_problem, room_secrets
    from backprop_tui.serve.security import NoReachableAddress, is_loopback, new_token, public_url_for
    from backprop_tui.serve.server import RoomServer

    host = getattr(args, "host", "127.0.0.1")
    port = getattr(args, "port", 8000)
    try:
        public_url = public_url_for(host, port, getattr(args, "public_url", None))
        secrets = room_secrets({"token": getattr(args, "token", None),
                                "instructor-token": getattr(args, "instructor_token", None),
                                "redis": getattr(args, "redis", None)}, getattr(args, "token_file", None))
    except (NoReachableAddress, SecretsError) as error:
        raise UsageError(str(error)) from None
    if (problem := hall_problem(secrets, host, public_url)) is not None:
        raise UsageError(problem)
    app_flags = app_argv_for_serve(argv)
    make_app(app_flags)  # bad app flags or data fail here, once, before anyone connects
    token = secrets.token
    if not is_loopback(host) and token is None:
        token = new_token()
    channel = None if secrets.redis is None else _hall_channel(secrets.redis, secrets.instructor_token or "")
    server = RoomServer(
        [sys.executable, "-m", "backprop_tui", *app_flags],
        host=host,
        port=port,
        public_url=public_url,
        token=token,
        max_sessions=getattr(args, "max_sessions", 40),
        instructor_token=secrets.instructor_token,
        channel=channel,
    )
    server.serve()
    return 0


def _hall_channel(url: str, instructor_token: str) -> RedisChannel:
    """The room's channel on Redis, once Redis has answered: an unreachable one stops `serve` here, in one line."""
    from backprop_tui.serve.security import masked_url

    try:
        from backprop_tui.serve.redis_channel import ChannelUnreachable, RedisChannel, reach
    except ImportError as error:
        if error.name is None or error.name.split(".")[0] != "redis":
            raise
        raise UsageError("--redis needs the redis package: pip install 'backprop-tui[hall]'") from None
    from backprop_tui.serve.signing import room_key

    try:
        reach(url)
    except ValueError:
        raise UsageError(f"--redis {masked_url(url)}: not a Redis URL (redis://, rediss:// or unix://)") from None
    except ChannelUnreachable as error:
        raise UsageError(str(error)) from None
    return RedisChannel(url, room_key(instructor_token))


def main(argv: Sequence[str] | None = None) -> int:
    from backprop_tui.lesson import LessonError
    from backprop_tui.memory import NotEnoughMemory
    from backprop_tui.session_file import SessionError
    from scratchnet import DataError

    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args, config = parse(argv)
        command = getattr(args, "command", None)
        if command in ("trace", "train"):
            from backprop_tui import headless

            if command == "trace" and "lesson" in vars(args):
                return headless.run(command, *_trace_lesson(args, argv, config))
            return headless.run(command, args, config)
        if command == "export-script":
            from backprop_tui.script_export import run_export

            return run_export(args, config)
        if command == "serve":
            return _serve(args, argv)
        app = make_app(argv)
    except (UsageError, DataError, SessionError, LessonError, NotEnoughMemory) as error:
        print(f"backprop-tui: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError:  # the estimate let it through, but an allocation was refused all the same
        print("backprop-tui: error: out of memory while building the run; try fewer --samples or smaller --hidden",
              file=sys.stderr)
        return EXIT_USAGE
    app.run()
    return app.return_code or 0
