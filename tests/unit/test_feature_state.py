"""The app's feature state without Textual: the quiz's record, the lesson tour, the training run with its
branches, follow mode, exports and what the panels show. No Pilot here: each object is driven directly."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_tui.config import MAX_EPOCH, RunConfig, build_run
from backprop_tui.exports import Exports
from backprop_tui.follow_mode import FollowMode, clean_position
from backprop_tui.lesson import Lesson, LessonStep, LessonTour
from backprop_tui.panels import Panels
from backprop_tui.quiz import Quiz, prompt
from backprop_tui.session import Session, View
from backprop_tui.trainer import DEFAULT_SPEED
from backprop_tui.training import RunState, Training
from scratchnet import train


def small_session(**changes) -> Session:
    return Session.start(RunConfig(samples=20, **changes))


def headless_losses(**changes) -> list[float]:
    run = build_run(RunConfig(samples=20, **changes))
    config = run.config
    return train(run.network, run.dataset.X, run.dataset.y, config.learning_rate, config.epochs).losses


class Thread:
    """A thread as `launch` returns it, for jobs run at once in the calling thread."""

    def __init__(self) -> None:
        self.is_running = False
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Launcher:
    """Runs each job when asked (`run_all`), recording the groups; `news` is counted."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, object, Thread]] = []
        self.news: list[bool] = []

    def __call__(self, job, group: str) -> Thread:
        thread = Thread()
        thread.is_running = True
        self.jobs.append((group, job, thread))
        return thread

    def run_all(self) -> None:
        for _group, job, thread in self.jobs:
            job(lambda thread=thread: thread.cancelled)
            thread.is_running = False
        self.jobs = []


# --- quiz ------------------------------------------------------------------------------------------


def test_the_quiz_scores_answers_and_remembers_what_it_revealed():
    session = small_session()
    session.last_phase()
    quiz = Quiz(asked=True)
    phase = session.phase
    assert not quiz.is_revealed(session.epoch, phase.key)
    quiz.answer("1x4", session.epoch, phase)  # W3' is 4×1
    assert quiz.score == [0, 1] and "not 1x4" in quiz.feedback and quiz.is_revealed(session.epoch, phase.key)
    session.previous_phase()
    quiz.answer("8x4", session.epoch, session.phase)
    assert quiz.score == [1, 2] and quiz.feedback.startswith("Right")
    session.first_phase()
    quiz.answer("  ", session.epoch, session.phase)
    assert quiz.score == [1, 2] and quiz.feedback == "Revealed without an answer."


def test_q_turns_the_quiz_the_other_way_and_clears_the_verdict():
    quiz = Quiz()
    quiz.feedback = "Right: shape 4×1 ✓"
    assert quiz.toggled(False) is True and quiz.asked and quiz.feedback == ""
    assert quiz.toggled(True) is False and not quiz.asked


def test_the_prompt_asks_for_values_only_of_small_results():
    session = small_session()
    assert prompt(session.phase, asking=True) == "Predict the shape of Z₁. Enter checks; Enter on nothing reveals."
    session.last_phase()
    assert "and its values" in prompt(session.phase, asking=True)
    assert prompt(session.phase, asking=False) == "Revealed. → for the next phase."


# --- the lesson tour ---------------------------------------------------------------------------------


def tour() -> LessonTour:
    steps = (LessonStep("forward.1", "one", 3), LessonStep("error", "two", 6, pin=("W2", (1, 0))),
             LessonStep("loss", "three", 9, epoch=1, quiz=True))
    return LessonTour(Lesson("Tour", "t.toml", steps))


def test_the_tour_moves_between_its_steps_and_says_so_at_either_end():
    lesson = tour()
    assert lesson.current is None and lesson.target(-1) == 0 and lesson.target(1) == 0
    lesson.step = 0
    assert lesson.target(-1) is None and lesson.why_not(-1) == ("This is the first step.", "")
    assert lesson.target(5) == 2 and lesson.heading == "Tour · step 1/3  ( ] next, [ back )"
    lesson.step = 2
    message, title = lesson.why_not(1)
    assert lesson.target(1) is None and message.startswith("The lesson has ended: that was step 3 of 3") and title == "Tour"


def test_entering_a_step_pins_its_cell_moves_there_and_asks_a_quiz_step_again():
    lesson, session, quiz = tour(), small_session(), Quiz()
    assert lesson.enter(1, session, quiz) is False
    assert session.phase.key == "error" and [(p.name, p.cell) for p in session.pins] == [("W2", (1, 0))]
    lesson.enter(1, session, quiz)  # entered again: the cell stays watched, not unpinned
    assert len(session.pins) == 1
    quiz.revealed.add((1, 0, "loss"))
    assert lesson.enter(2, session, quiz) is True
    assert (session.epoch, session.phase.key) == (1, "loss") and not quiz.is_revealed(1, "loss")
    quiz.asked = True
    assert lesson.enter(0, session, quiz) is True  # the steps without a quiz follow --quiz and Q


# --- the training run ------------------------------------------------------------------------------


def test_a_run_hands_its_epochs_over_as_news_and_ends_done():
    session, launcher = small_session(epochs=30), Launcher()
    training = Training(None, launch=launcher, news=launcher.news.append)
    assert training.status == "not started (press e)" and not training.running
    assert training.train(session) is False
    assert training.state is RunState.RUNNING and training.running and [g for g, *_ in launcher.jobs] == ["training"]
    launcher.run_all()
    assert launcher.news[-1] is True and set(launcher.news[:-1]) <= {False}
    assert session.trained_epochs == 1  # epoch 0, from the first tape: the rest waits for the UI thread
    assert training.take_news(session) is None
    assert training.state is RunState.DONE and session.losses == headless_losses(epochs=30)
    assert training.thread_done.is_set()


def test_e_again_after_a_finished_run_starts_over_from_epoch_0():
    session, launcher = small_session(epochs=10), Launcher()
    training = Training(None, launch=launcher, news=launcher.news.append)
    training.train(session)
    launcher.run_all()
    training.take_news(session)
    session.go_to_epoch(3)
    assert training.train(session) is False and training.state is RunState.DONE and not launcher.jobs
    assert training.train(session, again=True) is True
    assert session.epoch == 0 and session.trained_epochs == 1 and training.state is RunState.RUNNING
    launcher.run_all()
    training.take_news(session)
    assert session.losses == headless_losses(epochs=10)


def test_a_diverging_run_says_where_as_train_does():
    session, launcher = small_session(learning_rate=5.0), Launcher()
    training = Training(None, launch=launcher, news=launcher.news.append)
    training.train(session)
    launcher.run_all()
    words = training.take_news(session)
    assert training.state is RunState.DIVERGED and words == training.message
    assert f"diverged at epoch {session.diverged_at}" in words
    training.begin(session)  # e again: never past the divergence
    assert training.state is RunState.DIVERGED and not launcher.jobs


def test_pause_and_stop_act_only_on_a_running_thread():
    session, launcher = small_session(), Launcher()
    training = Training(DEFAULT_SPEED, launch=launcher)
    training.toggle_pause()
    training.stop(0)
    assert training.state is RunState.NOT_STARTED and not training.trainer.paused
    training.train(session)
    training.toggle_pause()
    assert training.state is RunState.PAUSED and training.trainer.paused and training.status == "paused"
    training.toggle_pause()
    assert training.state is RunState.RUNNING and not training.trainer.paused
    training.trainer.gate.clear()
    thread = launcher.jobs[0][2]
    training.stop(7)
    assert thread.cancelled and training.trainer.gate.is_set() and training.status == "stopped at epoch 7"
    assert training.train(session) is False and len(launcher.jobs) == 1  # its thread has not noticed yet
    launcher.run_all()  # a stopped thread's end is no news
    training.take_news(session)
    assert training.state is RunState.STOPPED


def test_the_pace_doubles_halves_within_bounds_and_toggles_max_speed():
    training = Training(DEFAULT_SPEED)
    training.change_speed(2.0)
    assert training.trainer.speed == 2 * DEFAULT_SPEED
    for _ in range(30):
        training.change_speed(2.0)
    assert training.trainer.speed == 10_000.0
    for _ in range(60):
        training.change_speed(0.5)
    assert training.trainer.speed == 0.5
    training.change_speed(None)
    assert training.trainer.speed is None
    training.change_speed(None)
    assert training.trainer.speed == DEFAULT_SPEED


@pytest.mark.parametrize("text,words", [
    ("fast", "A branch needs η"), ("", "A branch needs η"), ("0 10", "η must be a finite number above 0"),
    ("inf", "η must be"), (f"0.1 {MAX_EPOCH + 1}", f"between 1 and {MAX_EPOCH:,}"), ("0.1 0", "between 1"),
])
def test_a_branch_that_cannot_run_says_why_and_is_not_added(text, words):
    session = small_session()
    problem = Training(launch=Launcher()).add_branch(text, session)
    assert problem is not None and words in problem and session.branches == []


def test_branches_rerun_from_the_initial_weights_and_report_divergence():
    session, launcher = small_session(epochs=12), Launcher()
    training = Training(None, launch=launcher, news=launcher.news.append)
    assert training.add_branch("0.03, 12", session) is None and training.add_branch("5", session) is None
    assert [g for g, *_ in launcher.jobs] == ["branch", "branch"]
    launcher.run_all()
    training.take_news(session)
    calm, wild = session.branches
    assert calm.losses == headless_losses(epochs=12, learning_rate=0.03) and calm.diverged_at is None
    assert wild.diverged_at is not None and len(wild.losses) == wild.diverged_at + 1
    assert training.state is RunState.NOT_STARTED  # branches leave the main run alone


# --- follow mode -------------------------------------------------------------------------------------


def test_an_attendee_goes_where_the_instructor_is_and_ignores_what_it_cannot_show():
    instructor, attendee = small_session(), small_session()
    instructor.go_to_epoch(2, "error")
    follow = FollowMode("attendee")
    assert follow.may_follow and not follow.publishes and FollowMode("instructor").publishes
    position = FollowMode.position_of(instructor)
    assert position == {"epoch": 2, "iteration": 0, "phase": "error", "matrix": None, "cell": [0, 0]}
    assert follow.go({**position, "matrix": "error", "cell": [3, 0]}, attendee)
    assert (attendee.epoch, attendee.phase.key, attendee.view.matrix, attendee.view.cell) == (2, "error", "error", (3, 0))
    for bad in ({**position, "phase": "forward.9"}, {**position, "epoch": MAX_EPOCH + 1}, {**position, "epoch": True},
                {**position, "cell": [1]}, {**position, "iteration": 1}, {**position, "iteration": -1},
                {**position, "iteration": "0"}):
        assert not follow.go(bad, attendee)
    assert (attendee.epoch, attendee.phase.key) == (2, "error")
    assert clean_position({**position, "epoch": MAX_EPOCH}) is not None


def test_an_attendee_follows_the_instructor_to_a_batch_and_an_older_instructor_means_the_first():
    config = RunConfig(samples=40, batch_size=16, optimizer="adam")
    instructor, attendee = Session.start(config), Session.start(config)
    instructor.go_to_epoch(1, "loss", iteration=2)
    position = FollowMode.position_of(instructor)
    assert position["iteration"] == 2
    assert FollowMode("attendee").go(position, attendee)
    assert (attendee.epoch, attendee.iteration, attendee.phase.key) == (1, 2, "loss")
    assert attendee.tape.matrix("W1").tobytes() == instructor.tape.matrix("W1").tobytes()
    older = {key: value for key, value in position.items() if key != "iteration"}
    assert FollowMode("attendee").go(older, attendee) and attendee.iteration == 0


# --- exports -------------------------------------------------------------------------------------------


def test_exports_are_named_after_the_phase_and_never_overwrite_a_screenshot(tmp_path):
    session, exports = small_session(), Exports(tmp_path)
    session.next_phase()
    text, name = exports.markdown(session)
    assert name == "backprop-epoch0-forward.2.md" and "$$Z_{2} = Z_{1} W_{2} + b_{2}$$" in text
    assert exports.write(text, name) == (True, f"Saved {tmp_path / name}")
    assert exports.screenshot_name(session) == "backprop-epoch0-forward.2.svg"
    (tmp_path / "backprop-epoch0-forward.2.svg").write_text("<svg/>")
    assert exports.screenshot_name(session) == "backprop-epoch0-forward.2-2.svg"
    written, words = exports.write("x", "a.md", folder=tmp_path / "missing")
    assert not written and words.startswith(f"Could not write {tmp_path / 'missing' / 'a.md'}")


def test_the_markdown_export_works_out_the_cell_the_inspector_explains_and_a_lesson_steps_note(tmp_path):
    session, exports = small_session(), Exports(tmp_path)
    session.go_to_phase("update.2")
    session.set_view(View("b2'", (("b2'", (0, 3)),)))  # the cursor on b₂'[0,3]
    text, _ = exports.markdown(session)
    assert "### One cell worked out" in text and "`b₂'[0,3] = b₂[0,3] − η·db₂[0,3] = " in text
    assert "$$\\begin{split}b_{2}'[0,3] &= b_{2}[0,3] - \\eta \\cdot db_{2}[0,3] \\\\ &= " in text
    assert "Lesson step" not in text
    steps = (LessonStep("forward.1", "First.", 1), LessonStep("update.2", "The update.", 4))
    tour = LessonTour(Lesson("L", "l.toml", steps))
    tour.step = 1
    assert "> **Lesson step 2/2.** The update." in exports.markdown(session, tour)[0]
    tour.step = 0  # a step of another phase says nothing here
    assert "Lesson step" not in exports.markdown(session, tour)[0]


# --- what the panels show --------------------------------------------------------------------------------


def test_the_panels_show_predictions_in_dollars_beside_targets_once_per_tape():
    session = small_session()
    panels = Panels(session)
    assert panels.predictions() is None  # forward.1: no loss yet
    session.go_to_phase("error")
    shown = panels.predictions()
    assert shown is not None and shown.column_labels == ("ŷ", "y", "ŷ k$", "y k$") and not shown.heat
    y = session.run.dataset.y
    assert np.allclose(shown.array[:, 1], y[:, 0])
    assert np.allclose(shown.array[:, 3], session.run.dataset.target_scaler.inverse(y)[:, 0])
    assert panels.predictions() is shown and [s.name for s in panels.results()][-1] == "predictions"
    session.go_to_phase("loss_gradient")
    assert panels.predictions() is None


def test_the_change_matrix_shows_on_update_phases_when_asked():
    session = small_session()
    panels = Panels(session)
    session.last_phase()
    assert panels.changes() == []
    panels.show_changes = True
    (change,) = panels.changes()[:1]
    phase = session.phase
    assert change.name == "ΔW3" and np.array_equal(change.array, phase.outputs["W3'"] - phase.inputs["W3"])
    assert change.marked and change.title.endswith("◆ largest")


def test_a_gradient_check_is_kept_by_epoch_and_phase():
    from scratchnet.debugger.gradcheck import check_gradient

    session = small_session()
    panels = Panels(session)
    session.go_to_phase("backward.2.weight")
    panels.checking()
    assert panels.check_here() == (None, "checking dW₂ by central differences…")
    result = check_gradient(session.tape, "backward.2.weight")
    assert panels.checked(0, "backward.2.weight", result) is True
    assert panels.check_here() == (result, None) and panels.check_view()[0].name == "relative_error"
    session.go_to_phase("backward.2.input")
    assert panels.check_here() == (None, None) and panels.checked(0, "backward.2.weight", result) is False


def test_origins_name_the_phase_the_update_or_the_data():
    session = small_session()
    panels = Panels(session)
    session.go_to_phase("forward.2")
    assert panels.origin("Z1", (0, 0)) == "Z₁[0,0] was made by phase forward.1 (Layer 1 · forward) of this iteration"
    assert panels.origin("W2", (1, 1)).endswith("is an initial parameter: uniform in [−1, 1) from seed 0")
    session.go_to_epoch(1, "forward.1")
    assert panels.origin("W1", (0, 0)).endswith("was made by phase update.1 of epoch 0")
    assert panels.origin("X", (0, 0)).startswith("X[0,0] comes from the data: ")
