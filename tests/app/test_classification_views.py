"""A classifier on screen: predicted class beside true class, the confusion matrix, accuracy in the status line,
class names over the columns, and what a cell of the one-hot target means."""

from __future__ import annotations

import numpy as np

from backprop_tui.widgets.inspector import Inspector
from backprop_tui.widgets.matrix_view import MatrixView
from backprop_tui.widgets.status_line import StatusLine
from tests.helpers import painted

ARGV = ("--dataset", "spiral", "--hidden", "8:relu,8:tanh", "--lr", "0.5", "--samples", "90")


def shown(app, name):
    return next(v for v in app.query(MatrixView) if v.display and v.shown is not None and v.shown.name == name)


async def test_the_loss_phase_shows_predicted_beside_true_classes_and_the_confusion_matrix(launch):
    app, pilot = await launch(*ARGV, size=(160, 60))
    app.go_to_phase("loss")
    await pilot.pause()
    tape = app.session.tape
    P, y = tape[tape.index("error")].inputs["P"], tape[tape.index("error")].inputs["y"]
    predicted, true = P.argmax(axis=1), y.argmax(axis=1)
    table = shown(app, "predictions")
    assert table.shown.column_labels == ("predicted", "P", "true")
    assert np.array_equal(table.shown.array[:, 0], predicted) and np.array_equal(table.shown.array[:, 2], true)
    assert table.shown.marked == frozenset((int(row), 0) for row in np.flatnonzero(predicted != true))
    assert table.shown.column_formats[0](2.0) == "arm3"
    confusion = shown(app, "confusion").shown.array
    assert confusion.sum() == 90 and np.trace(confusion) == np.count_nonzero(predicted == true)
    assert confusion[0].sum() == np.count_nonzero(true == 0)
    right = np.count_nonzero(predicted == true) / 90
    assert f"accuracy {right:.1%}" in painted(app.query_one(StatusLine))


async def test_class_names_label_the_columns_and_a_target_cell_says_what_it_means(launch):
    app, pilot = await launch(*ARGV, size=(160, 60))
    app.go_to_phase("error")
    await pilot.pause()
    assert shown(app, "P").shown.column_labels == ("arm1", "arm2", "arm3")
    assert shown(app, "error").shown.column_labels == ("arm1", "arm2", "arm3")
    view = shown(app, "y")
    view.focus()
    await pilot.pause()
    text = app.query_one(Inspector).text
    true = app.session.run.dataset.class_names[int(app.session.run.dataset.y[0].argmax())]
    assert f"sample 0's class is {true}" in text and "standardized" not in text


async def test_the_training_screen_reports_each_epochs_accuracy_as_train_does(launch):
    from backprop_tui.config import RunConfig, build_run
    from backprop_tui.headless import train_with_accuracy

    app, pilot = await launch(*ARGV, "--epochs", "12", "--speed", "max", size=(160, 48))
    await pilot.press("e")
    await app.workers.wait_for_complete()
    await pilot.pause()
    run = build_run(RunConfig(dataset="spiral", hidden=(8, 8), activations=("relu", "tanh"), learning_rate=0.5,
                              samples=90, epochs=12))
    _, headless = train_with_accuracy(run, 12, lambda done: None)
    known = app.session.accuracies
    assert set(known) == set(range(12)) and all(known[epoch] == headless[epoch] for epoch in known)
    assert f"accuracy {headless[11]:.1%}" in painted(app.screen.query_one("#progress-label"))


async def test_the_inspector_says_how_many_checked_cells_crossed_a_kink(launch):
    from scratchnet.debugger.gradcheck import GradientCheck

    app, pilot = await launch(*ARGV, size=(160, 48))
    cells = np.array([[0, 0], [0, 1], [0, 2]])
    check = GradientCheck("db1", cells, np.zeros(3), np.array([0.0, 5.0, 0.0]), np.array([0.0, 1.0, 0.0]), (1, 3),
                          False, 0, np.array([False, True, False]))
    inspector = app.query_one(Inspector)
    inspector.show(None, None, check)
    assert "max relative error 0.0e+00 (1 cell whose step crossed a ReLU kink" in inspector.text


async def test_with_activations_the_training_screen_shows_no_collapsed_linear_map(launch):
    app, pilot = await launch(*ARGV, "--epochs", "5", "--speed", "max", size=(160, 48))
    await pilot.press("e")
    await app.workers.wait_for_complete()
    await pilot.pause()
    words = " ".join(painted(app.screen.query_one("#learned")).split())
    assert "no longer collapse into one linear map" in words and "W₁·W₂" not in words
    assert "predicted class vs true" in words
