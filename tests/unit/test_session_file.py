"""Session files: exact round trips, atomic saves, one-line errors that point at the line, flag checks."""

from __future__ import annotations

import os
import tomllib
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_tui.atomic import write_atomic
from backprop_tui.config import RunConfig
from backprop_tui.session_file import (
    SessionError,
    SessionFile,
    check_data,
    load_session,
    merge_flags,
    save_session,
    session_file_from,
    sha256_of,
)

PINS = (("W2", (3, 1)), ("dL/dŷ", (0, 0)), ("W2'", (1, 0)), ("b3'", (0, 0)), ("dX2", (999, 3)))


def generated_session(**changes) -> SessionFile:
    config = RunConfig(hidden=(5, 3, 2), learning_rate=0.0123456789, samples=321, seed=7, noise=12345.5, epochs=9,
                       dtype="float32")
    session = SessionFile(config, None, "high-contrast", PINS, 4, "backward.2.input", "dL/dŷ", (17, 0))
    return replace(session, **changes)


def csv_session(folder, name="maisons é 🏠.csv", target="prix") -> tuple[SessionFile, os.PathLike]:
    csv = folder / name
    csv.parent.mkdir(parents=True, exist_ok=True)
    csv.write_text("taille,âge,prix\n1,2,3\n2,5,7\n4,1,9\n", encoding="utf-8")
    config = RunConfig(data=str(csv), target=target)
    return session_file_from(config, "light", PINS, 0, "update.3", "W2'", (3, 1)), csv


# --- round trips ---------------------------------------------------------------------------------------


def test_round_trip_of_a_generated_session(tmp_path):
    path = tmp_path / "session.toml"
    session = generated_session()
    save_session(path, session)
    assert load_session(path) == session
    text = path.read_text(encoding="utf-8")
    assert 'matrix = "dL_dyhat"' in text and 'matrix = "W2_new"' in text and "ŷ" not in text
    document = tomllib.loads(text)
    assert document["version"] == 1 and document["data"] == {"source": "generated", "samples": 321, "noise": 12345.5}
    assert document["network"] == {"hidden": [5, 3, 2], "dtype": "float32", "seed": 7}
    assert document["position"] == {"epoch": 4, "phase": "backward.2.input", "matrix": "dL_dyhat", "cell": [17, 0]}


def test_round_trip_of_a_keys_table(tmp_path):
    path = tmp_path / "session.toml"
    keys = (("next-phase", "right,n,pagedown,f5"), ("previous-phase", "left, p"), ("quiz", "Q"), ("faster", "+"))
    session = generated_session(keys=keys)
    save_session(path, session)
    assert load_session(path) == session
    assert tomllib.loads(path.read_text(encoding="utf-8"))["keys"]["next-phase"] == "right,n,pagedown,f5"


def test_a_file_written_before_keys_could_be_remapped_still_loads(tmp_path):
    path = tmp_path / "old.toml"
    path.write_text('version = 1\n\n[data]\nsource = "generated"\nsamples = 1000\nnoise = 10000.0\n\n'
                    '[network]\nhidden = [8, 4]\ndtype = "float64"\nseed = 0\n\n[training]\nlearning_rate = 0.01\n'
                    'epochs = 125\n\n[view]\ntheme = "dark"\n\n[position]\nepoch = 2\nphase = "loss"\ncell = [0, 0]\n')
    loaded = load_session(path)
    assert loaded.keys == () and (loaded.epoch, loaded.phase) == (2, "loss")
    save_session(path, loaded)
    assert "[keys]" not in path.read_text(encoding="utf-8")


def test_round_trip_without_a_focused_matrix_or_pins(tmp_path):
    path = tmp_path / "s.toml"
    session = generated_session(matrix=None, pins=(), config=RunConfig(hidden=()))
    save_session(path, session)
    assert "matrix" not in tomllib.loads(path.read_text())["position"]
    assert load_session(path) == session


def test_round_trip_of_a_csv_session_with_unicode_paths(tmp_path):
    folder = tmp_path / "atelier ünï"
    session, csv = csv_session(folder / "données")
    path = folder / "séance.toml"
    save_session(path, session)
    loaded = load_session(path)
    assert loaded == session and loaded.data_sha256 == sha256_of(csv)
    assert tomllib.loads(path.read_text())["data"]["path"] == "données/maisons é 🏠.csv"  # relative: moves along
    check_data(loaded)


def test_a_relative_csv_path_is_read_relative_to_the_session_file(tmp_path, monkeypatch):
    session, csv = csv_session(tmp_path / "course", name="h.csv", target=None)
    save_session(tmp_path / "course" / "s.toml", session)
    moved = tmp_path / "moved"
    (tmp_path / "course").rename(moved)
    monkeypatch.chdir(tmp_path)
    loaded = load_session("moved/s.toml")
    assert os.path.samefile(loaded.config.data, moved / "h.csv") and loaded.config.target is None
    check_data(loaded)


def test_a_csv_outside_the_session_folder_is_stored_absolute(tmp_path, monkeypatch):
    session, csv = csv_session(tmp_path / "data", name="h.csv")
    (tmp_path / "sessions").mkdir()
    monkeypatch.chdir(tmp_path / "data")
    save_session(tmp_path / "sessions" / "s.toml", replace(session, config=replace(session.config, data="h.csv")))
    assert tomllib.loads((tmp_path / "sessions" / "s.toml").read_text())["data"]["path"] == str(csv)
    monkeypatch.chdir(tmp_path)
    assert load_session(tmp_path / "sessions" / "s.toml").config.data == str(csv)


def test_session_file_from_hashes_the_csv(tmp_path):
    session, csv = csv_session(tmp_path)
    assert session.data_sha256 == sha256_of(csv) and session.pins == PINS
    assert session_file_from(RunConfig(), "dark", [], 0, "forward.1", None, (0, 0)).data_sha256 is None


# --- atomic saves ------------------------------------------------------------------------------------------


def test_saving_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "s.toml"
    for _ in range(3):
        save_session(path, generated_session())
    assert os.listdir(tmp_path) == ["s.toml"]


@pytest.mark.parametrize("broken", ["replace", "fsync"])
def test_a_failed_save_leaves_the_old_file_untouched(tmp_path, monkeypatch, broken):
    path = tmp_path / "s.toml"
    save_session(path, generated_session())
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, broken, fail)
    with pytest.raises(OSError):
        save_session(path, generated_session(epoch=99))
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["s.toml"]


def test_a_failed_first_save_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError("boom")))
    with pytest.raises(OSError):
        write_atomic(tmp_path / "new.toml", "x = 1\n")
    assert os.listdir(tmp_path) == []


def test_write_atomic_keeps_permissions_and_writes_utf8(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("old")
    path.chmod(0o640)
    assert write_atomic(path, "ŷ\n") == path
    assert path.read_bytes() == "ŷ\n".encode() and (path.stat().st_mode & 0o777) == 0o640
    write_atomic(tmp_path / "g.bin", b"\x00\xff")
    assert (tmp_path / "g.bin").read_bytes() == b"\x00\xff"
    assert (tmp_path / "g.bin").stat().st_mode & 0o600 == 0o600


# --- malformed files ------------------------------------------------------------------------------------------

MALFORMED = [
    ("[training\nepochs = 3\n", 1, 10, "not valid TOML: Expected ']'"),
    ("version = 1\n[data]\nsource = \"generated\"\n\n[training]\nepochs = 3\nlearning_rate = 0\n", 7, 1,
     "learning_rate must be a number above 0"),
    ("[training]\nlearning_rate = -0.5\n", 2, 1, "learning_rate must be a number above 0"),
    ("[training]\nlearning_rate = nan\n", 2, 1, "learning_rate must be a number above 0"),
    ("[training]\nlearning_rate = inf\n", 2, 1, "learning_rate must be a number above 0"),
    ("[training]\nlearning_rate = \"fast\"\n", 2, 1, "learning_rate must be float, not string"),
    ("[training]\nepochs = -1\n", 2, 1, "epochs must be ≥ 0"),
    ("[training]\nepochs = 1.5\n", 2, 1, "epochs must be integer, not float"),
    ("[training]\nspeed = 3\n", 2, 1, "unknown key 'speed' in [training]"),
    ("version = 1\ncolour = \"red\"\n", 2, 1, "unknown key 'colour' at the top"),
    ("version = 1\n\n[extras]\na = 1\n", 3, 1, "unknown key 'extras' at the top"),
    ("version = 2\n", 1, 1, "version must be 1"),
    ("[position]\nepoch = -3\n", 2, 1, "epoch must be ≥ 0"),
    ("[position]\nepoch = true\n", 2, 1, "epoch must be integer, not boolean"),
    ("[position]\nphase = \"forward.x\"\n", 2, 1, "is not a phase key"),
    ("[position]\nphase = \"forward.0\"\n", 2, 1, "is not a phase key"),
    ("[position]\nphase = 3\n", 2, 1, "phase must be string, not integer"),
    ("[position]\n  cell = [1]\n", 2, 3, "cell must be two whole numbers ≥ 0"),
    ("[position]\ncell = [1, -2]\n", 2, 1, "cell must be two whole numbers ≥ 0"),
    ("[position]\ncell = [1, true]\n", 2, 1, "cell must be two whole numbers ≥ 0"),
    ("[position]\ncell = \"1,2\"\n", 2, 1, "cell must be an array, not string"),
    ("[position]\nmatrix = \"dL/dŷ\"\n", 2, 1, "is not a matrix name"),
    ("[network]\nhidden = [8, 0]\n", 2, 1, "hidden must be a list of positive whole numbers"),
    ("[network]\nhidden = [8, true]\n", 2, 1, "hidden must be a list of positive whole numbers"),
    ("[network]\nhidden = \"8,4\"\n", 2, 1, "hidden must be an array, not string"),
    ("[network]\ndtype = \"float16\"\n", 2, 1, "dtype must be float64 or float32"),
    ("[network]\nseed = -1\n", 2, 1, "seed must be ≥ 0"),
    ("[view]\ntheme = \"neon\"\n", 2, 1, "theme must be one of dark, light, high-contrast, monochrome"),
    ("view = 3\n", 1, 1, "view must be a table"),
    ("[data]\nsource = \"excel\"\n", 2, 1, "source must be \"generated\" or \"csv\""),
    ("[data]\nsamples = 1\n", 2, 1, "samples must be at least 2"),
    ("[data]\nnoise = -1\n", 2, 1, "noise must be a finite number ≥ 0"),
    ("[data]\nsource = \"generated\"\npath = \"h.csv\"\n", 3, 1, "path does not apply to source = \"generated\""),
    ("[data]\nsource = \"csv\"\nsha256 = \"" + "0" * 64 + "\"\n", 1, 1, "[data] needs path"),
    ("[data]\nsource = \"csv\"\npath = \"h.csv\"\nsha256 = \"abc\"\n", 4, 1, "sha256 must be 64 lowercase hex"),
    ("[[pin]]\nmatrix = \"W2\"\ncell = [3, 1]\n\n[[pin]]\nmatrix = \"W2\"\ncell = [3]\n", 7, 1,
     "cell must be two whole numbers"),
    ("[[pin]]\nmatrix = \"W2\"\ncell = [3, 1]\n[[pin]]\nmatrix = \"Q9\"\ncell = [0, 0]\n", 5, 1,
     "'Q9' is not a matrix name"),
    ("[[pin]]\nmatrix = \"W2\"\n", 1, 1, "[pin] needs cell"),
    ("[[pin]]\nmatrix = \"W2\"\ncell = [0, 0]\nnote = \"x\"\n", 4, 1, "unknown key 'note' in [pin]"),
    ("pin = 3\n", 1, 1, "pin must be an array of tables"),
    ("[data]\nsource = \"generated\"\n[data]\nsamples = 3\n", 3, 6, "not valid TOML: Cannot declare"),
    ("[keys]\nnext-phase = \"x\"\n  next_phase = \"y\"\n", 3, 3, "unknown binding id 'next_phase' in [keys]; did you mean 'next-phase'?"),
    ("version = 1\n\n[keys]\nquiz = 3\n", 4, 1, "quiz must be a string of keys like \"right,n,f5\", not integer"),
    ("[keys]\nquiz = \"PageDown\"\n", 2, 1, "'PageDown' in quiz is not a key"),
    ("[keys]\nquiz = \"q,,w\"\n", 2, 1, "'' in quiz is not a key"),
    ("[keys]\nquiz = \"ctrl s\"\n", 2, 1, "'ctrl s' in quiz is not a key"),
    ("keys = \"n\"\n", 1, 1, "keys must be a table ([keys]), not string"),
    ("[data]\ndataset = \"rings\"\n", 2, 1, "dataset must be one of houses, circle, xor, gauss, moons, spiral"),
    ("[data]\ndataset = 3\n", 2, 1, "dataset must be string, not integer"),
    ("[data]\nsource = \"csv\"\ndataset = \"xor\"\n", 3, 1, "dataset does not apply to source = \"csv\""),
    ("[data]\nsource = \"generated\"\nlabels = true\n", 3, 1, "labels does not apply to source = \"generated\""),
    ("[data]\nsource = \"csv\"\npath = \"h.csv\"\nlabels = \"yes\"\nsha256 = \"" + "a" * 64 + "\"\n", 4, 1,
     "labels must be boolean, not string"),
]


@pytest.mark.parametrize("text,line,column,words", MALFORMED)
def test_malformed_session_files_say_where(tmp_path, text, line, column, words):
    path = tmp_path / "session.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SessionError) as error:
        load_session(path)
    message = str(error.value)
    assert message.startswith(f"{path}:{line}:{column}: ") and words in message, message
    assert "\n" not in message and path.read_text(encoding="utf-8") == text


def test_a_byte_order_mark_is_fine(tmp_path):
    path = tmp_path / "s.toml"
    path.write_bytes(b"\xef\xbb\xbfversion = 1\n")
    assert load_session(path).phase == "forward.1"


@pytest.mark.parametrize("make,words", [
    (lambda p: p.mkdir(), "is a folder"),
    (lambda p: p.write_bytes(b'version = 1\n[view]\ntheme = "\xff"\n'), ":3: not UTF-8 text"),
    (lambda p: None, "cannot be read"),
])
def test_unreadable_files(tmp_path, make, words):
    path = tmp_path / "s.toml"
    make(path)
    with pytest.raises(SessionError, match=words) as error:
        load_session(path)
    assert "\n" not in str(error.value)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads anything")
def test_a_file_without_read_permission(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("version = 1\n")
    path.chmod(0)
    with pytest.raises(SessionError, match="cannot be read"):
        load_session(path)


# --- flags and data ------------------------------------------------------------------------------------------


def test_contradicting_flags_are_errors(tmp_path):
    path = tmp_path / "session.toml"
    save_session(path, generated_session(config=RunConfig()))
    loaded = load_session(path)
    with pytest.raises(SessionError) as error:
        merge_flags(loaded, {"lr": 0.05})
    assert str(error.value) == f"--lr 0.05 contradicts the session file's learning rate 0.01 ({path})"
    cases = {"hidden": (((8, None),), "hidden layers 8,4"), "activation": ("relu", "activations none, none"), "seed": (1, "seed 0"), "epochs": (3, "epochs 125"),
             "dtype": ("float32", "dtype float64"), "samples": (10, "samples 1000"), "noise": (1.0, "noise 30000"),
             "data": ("h.csv", "generated data")}
    for flag, (value, words) in cases.items():
        with pytest.raises(SessionError, match=f"^--{flag} .* contradicts the session file's {words} "):
            merge_flags(loaded, {flag: value}, "given.toml")
    with pytest.raises(SessionError, match="--target price does not apply"):
        merge_flags(loaded, {"target": "price"})


def test_flags_equal_to_the_file_are_fine(tmp_path):
    path = tmp_path / "session.toml"
    save_session(path, generated_session())
    loaded = load_session(path)
    config = loaded.config
    given = {"hidden": ((5, None), (3, "none"), (2, None)), "activation": "none", "lr": 0.0123456789, "samples": 321, "seed": 7, "noise": 12345.5, "epochs": 9,
             "dtype": "float32", "speed": 3.0, "theme": "dark"}
    assert merge_flags(loaded, given) == config
    assert merge_flags(loaded, {}) == config


def test_flags_against_a_csv_session(tmp_path, monkeypatch):
    session, csv = csv_session(tmp_path, name="h.csv", target="prix")
    path = tmp_path / "s.toml"
    save_session(path, session)
    loaded = load_session(path)
    monkeypatch.chdir(tmp_path)
    assert merge_flags(loaded, {"data": "h.csv", "target": "prix"}) == loaded.config
    with pytest.raises(SessionError, match="--data other.csv contradicts the session file's data"):
        merge_flags(loaded, {"data": "other.csv"})
    with pytest.raises(SessionError, match="--target taille contradicts the session file's target prix"):
        merge_flags(loaded, {"target": "taille"})
    with pytest.raises(SessionError, match="--samples 50 does not apply: the session file trains on"):
        merge_flags(loaded, {"samples": 50})


def test_a_changed_or_missing_csv_is_an_error(tmp_path):
    session, csv = csv_session(tmp_path, name="h.csv")
    path = tmp_path / "s.toml"
    save_session(path, session)
    loaded = load_session(path)
    check_data(loaded)
    csv.write_text("taille,âge,prix\n1,2,3\n2,5,7\n4,1,10\n", encoding="utf-8")
    with pytest.raises(SessionError) as error:
        check_data(loaded)
    message = str(error.value)
    assert message.startswith(f"{path}: {csv} has changed since the session was saved (sha256 ")
    assert session.data_sha256[:12] in message and "\n" not in message
    csv.unlink()
    with pytest.raises(SessionError, match="is missing"):
        check_data(loaded, "named.toml")
    check_data(generated_session())


# --- fuzz ------------------------------------------------------------------------------------------------------

PIECES = ["version = 1\n", "[data]\n", "[training]\n", "[position]\n", "[[pin]]\n", "[network]\n", "[view]\n",
          "source = \"csv\"\n", "source = \"generated\"\n", "path = \"h.csv\"\n", "sha256 = \"" + "a" * 64 + "\"\n",
          "learning_rate = 0.5\n", "learning_rate = -1\n", "epochs = 3\n", "phase = \"error\"\n", "cell = [1, 2]\n",
          "cell = [-1]\n", "matrix = \"W2\"\n", "matrix = \"dL_dyhat\"\n", "hidden = [8, 4]\n", "hidden = \"x\"\n",
          "theme = \"light\"\n", "epoch = 1979-05-27\n", "samples = 1e3\n", "x = [[[[1]]]]\n", "\ufeff", "\r\n",
          "é", "= =\n", "\"\n", "[\n", "\x00", "a.b.c = 1\n", "data = {source = \"csv\"}\n"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(PIECES), max_size=16).map("".join) | st.text(max_size=120))
def test_random_text_loads_or_says_one_line(tmp_path, text):
    path = tmp_path / "s.toml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        load_session(path)
    except SessionError as error:
        assert "\n" not in str(error) and str(error).startswith(str(path))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200))
def test_random_bytes_load_or_say_one_line(tmp_path, data):
    path = tmp_path / "s.toml"
    path.write_bytes(data)
    try:
        load_session(path)
    except SessionError as error:
        assert "\n" not in str(error)


def test_very_deep_nesting_is_a_session_error(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(SessionError):
        load_session(path)


def test_round_trip_of_a_session_with_activations_and_cross_entropy(tmp_path):
    path = tmp_path / "session.toml"
    session = generated_session(config=RunConfig(hidden=(6, 3), activations=("relu", "tanh"), loss="cross-entropy"))
    save_session(path, session)
    assert load_session(path) == session
    network = tomllib.loads(path.read_text())["network"]
    assert network["activations"] == ["relu", "tanh"] and network["loss"] == "cross-entropy"
    path.write_text(path.read_text().replace('"tanh"', '"swish"'))
    with pytest.raises(SessionError, match="activations must list one of relu, tanh"):
        load_session(path)


# --- classification data ---------------------------------------------------------------------------------------


def test_round_trip_of_a_classification_set(tmp_path):
    path = tmp_path / "spiral.toml"
    session = generated_session(config=RunConfig(dataset="spiral", seed=3))
    save_session(path, session)
    assert tomllib.loads(path.read_text())["data"] == {"source": "generated", "dataset": "spiral", "samples": 600,
                                                        "noise": 0.05}
    assert load_session(path) == session and load_session(path).config.dataset == "spiral"


def test_a_classification_file_without_samples_or_noise_takes_the_data_sets_defaults(tmp_path):
    path = tmp_path / "moons.toml"
    path.write_text('[data]\nsource = "generated"\ndataset = "moons"\n', encoding="utf-8")
    assert load_session(path).config == RunConfig(dataset="moons", samples=500, noise=0.1)


def test_files_from_before_classification_still_open_as_houses(tmp_path):
    path = tmp_path / "old.toml"
    path.write_text('version = 1\n\n[data]\nsource = "generated"\nsamples = 1000\nnoise = 10000.0\n', encoding="utf-8")
    config = load_session(path).config
    assert (config.dataset, config.labels, config.noise) == ("houses", False, 10000.0)
    session, _ = csv_session(tmp_path / "csv")
    save_session(path, session)
    assert "labels" not in path.read_text(encoding="utf-8")  # the article's files read as they did
    assert load_session(path).config.labels is False


def test_round_trip_of_a_csv_of_labels(tmp_path):
    session, _ = csv_session(tmp_path)
    session = replace(session, config=replace(session.config, labels=True))
    path = tmp_path / "labels.toml"
    save_session(path, session)
    assert tomllib.loads(path.read_text())["data"]["labels"] is True
    assert load_session(path) == session


def test_data_flags_against_a_classification_session(tmp_path):
    path = tmp_path / "s.toml"
    save_session(path, generated_session(config=RunConfig(dataset="xor")))
    loaded = load_session(path)
    assert merge_flags(loaded, {"dataset": "xor", "samples": 500}) == loaded.config
    with pytest.raises(SessionError, match=f"^--dataset moons contradicts the session file's dataset xor \\({path}\\)$"):
        merge_flags(loaded, {"dataset": "moons"})
    with pytest.raises(SessionError, match="^--labels does not apply: the session file uses generated data"):
        merge_flags(loaded, {"labels": True})
    session, _ = csv_session(tmp_path / "csv")
    save_session(path, session)
    loaded = load_session(path)
    with pytest.raises(SessionError, match="^--dataset spiral does not apply: the session file trains on"):
        merge_flags(loaded, {"dataset": "spiral"})
    with pytest.raises(SessionError, match="^--labels contradicts the session file, which reads its target as numbers"):
        merge_flags(loaded, {"labels": True})
    save_session(path, replace(session, config=replace(session.config, labels=True)))
    assert merge_flags(load_session(path), {"labels": True}).labels is True


# --- breakpoints --------------------------------------------------------------------------------------------------


def test_round_trip_of_breakpoints_enabled_or_not_and_a_file_without_them_has_none(tmp_path):
    from backprop_tui.breakpoints import Entry

    path = tmp_path / "session.toml"
    entries = (Entry("phase", "backward.1.weight"), Entry("condition", "norm(dW1) > 10 and not nan"),
               Entry("condition", "loss_up", enabled=False))
    session = generated_session(breakpoints=entries)
    save_session(path, session)
    assert load_session(path) == session
    written = tomllib.loads(path.read_text(encoding="utf-8"))["breakpoint"]
    assert written == [{"phase": "backward.1.weight"}, {"condition": "norm(dW1) > 10 and not nan"},
                       {"condition": "loss_up", "enabled": False}]
    save_session(path, generated_session())
    assert "breakpoint" not in path.read_text(encoding="utf-8") and load_session(path).breakpoints == ()


@pytest.mark.parametrize(("table", "message"), [
    ('[[breakpoint]]\ncondition = "norm(dW1 > 3"\n', ":2:1: expected a matrix name and ')'"),
    ('[[breakpoint]]\ncondition = "__import__(\'os\')"\n', ":2:1: unknown name '__import__'"),
    ('[[breakpoint]]\nphase = "nowhere"\n', ":2:1: 'nowhere' is not a phase key"),
    ('[[breakpoint]]\nphase = "loss"\ncondition = "nan"\n', ":1:1: a [[breakpoint]] has a phase or a condition"),
    ('[[breakpoint]]\ncondition = "nan"\nenabled = "no"\n', ":3:1: "),
    ('[[breakpoint]]\ncondition = "nan"\nwhen = 3\n', ":3:1: "),
])
def test_a_bad_breakpoint_in_a_session_file_says_where(tmp_path, table, message):
    path = tmp_path / "session.toml"
    path.write_text(table, encoding="utf-8")
    with pytest.raises(SessionError) as raised:
        load_session(path)
    assert f"{path}{message}" in str(raised.value) and "\n" not in str(raised.value)


def test_a_breakpoint_reading_a_matrix_the_network_has_not_got_is_refused_on_opening(tmp_path):
    from backprop_tui.cli import make_app

    path = tmp_path / "session.toml"
    path.write_text('[[breakpoint]]\ncondition = "norm(dW7) > 1"\n', encoding="utf-8")
    with pytest.raises(SessionError, match="no matrix 'dW7'"):
        make_app(["--session", str(path)])
    path.write_text('[[breakpoint]]\nphase = "activation.1"\n', encoding="utf-8")
    with pytest.raises(SessionError, match="phase 'activation.1' does not exist"):
        make_app(["--session", str(path)])
