"""A CSV whose target holds class labels: one-hot in sorted order, shown by name; every bad case one line,
through the loader and through the command line (exit 2)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from backprop_tui.cli import main
from scratchnet.data import MAX_CLASSES, DataError, load_csv
from tests.helpers import write

IRIS = """petal_length,petal_width,city,species
1.4,0.2,Oslo,setosa
4.7,1.4,Oslo,versicolor
6.0,2.5,Bergen,virginica
1.3,0.2,Bergen,setosa
4.5,1.5,Oslo,versicolor
"""


def test_text_labels_are_classes_one_hot_in_sorted_order(tmp_path):
    dataset = load_csv(write(tmp_path, IRIS.replace("virginica", "Virginica")))
    assert dataset.class_names == ("Virginica", "setosa", "versicolor")  # sorted as text: capitals first
    assert dataset.is_classification and dataset.target_name == "species" and dataset.target_unit == ""
    assert dataset.y.tolist() == [[0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]]
    assert dataset.feature_names == ("petal_length", "petal_width")
    assert dataset.skipped_columns == ("city",)  # a text column that is not the target: still left out, said once
    assert dataset.notes == ("column 'city' has no numbers, so it is not a feature",)
    np.testing.assert_allclose(dataset.X.std(axis=0), 1, atol=1e-12)
    np.testing.assert_array_equal(dataset.target_scaler.mean, [0, 0, 0])
    np.testing.assert_array_equal(dataset.target_scaler.std, [1, 1, 1])


def test_labels_with_spaces_are_stripped_like_every_cell(tmp_path):
    dataset = load_csv(write(tmp_path, "a,label\n1, cat\n2,dog \n3,cat\n"))
    assert dataset.class_names == ("cat", "dog") and dataset.y[:, 1].tolist() == [0, 1, 0]


def test_an_integer_target_is_a_regression_unless_labels_is_given(tmp_path):
    path = write(tmp_path, "a,b,digit\n1,5,2\n2,3,10\n3,1,1\n4,4,10\n5,2,1.0\n")
    regression = load_csv(path)
    assert regression.class_names is None and regression.y.shape == (5, 1)
    classes = load_csv(path, labels=True)
    assert classes.class_names == ("1", "2", "10")  # whole numbers sort as numbers, 1.0 is class 1
    assert classes.y.argmax(axis=1).tolist() == [1, 2, 0, 2, 0]


def test_labels_reads_a_column_of_numbers_and_text_as_text(tmp_path):
    dataset = load_csv(write(tmp_path, "a,grade\n1,10\n2,9\n3,pass\n4,10\n"), labels=True)
    assert dataset.class_names == ("10", "9", "pass")
    assert dataset.y.argmax(axis=1).tolist() == [0, 1, 2, 0]


def test_the_most_classes_allowed_load(tmp_path):
    rows = "".join(f"{i},{i * i % 7},c{i:02d}\n" for i in range(MAX_CLASSES))
    dataset = load_csv(write(tmp_path, "a,b,kind\n" + rows))
    assert dataset.y.shape == (MAX_CLASSES, MAX_CLASSES) and dataset.class_names[0] == "c00"


TOO_MANY = "a,b,id\n" + "".join(f"{i},{i % 3},row{i}\n" for i in range(MAX_CLASSES + 1))

# name: (file content, --labels, fragments the one-line message must contain)
BAD_LABELS: dict[str, tuple[str, bool, tuple[str, ...]]] = {
    "a single class": ("a,kind\n1,cat\n2,cat\n3,cat\n", False,
                       ("target column 'kind' holds one class ('cat') in all 3 rows", "at least 2")),
    "a single integer class": ("a,kind\n1,4\n2,4.0\n", True, ("holds one class ('4') in all 2 rows",)),
    "an empty label": ("a,kind\n1,cat\n2,\n3,dog\n", False, ("line 3, column 'kind': empty label",)),
    "an empty integer label": ("a,kind\n1,1\n2,\n3,2\n", True, ("line 3, column 'kind': empty label",)),
    "more than 50 classes": (TOO_MANY, False, ("target column 'id' holds 51 different labels", "more than the 50",
                                               "likely the wrong column")),
    "more than 50 integer classes": ("a,b\n" + "".join(f"{i % 2},{i}\n" for i in range(60)), True,
                                     ("holds 60 different labels", "likely the wrong column")),
    "a fraction with --labels": ("a,kind\n1,1\n2,2.5\n3,1\n", True,
                                 ("line 3, column 'kind': '2.5' is not a whole number, so it cannot be a class label",)),
    "text among numbers without --labels": ("a,kind\n1,1\n2,cat\n3,1\n", False,
                                            ("line 3, column 'kind': 'cat' is not a number", "--labels")),
}


@pytest.mark.parametrize("case", list(BAD_LABELS))
def test_bad_label_columns_are_one_line(tmp_path, case):
    content, labels, fragments = BAD_LABELS[case]
    with pytest.raises(DataError) as error:
        load_csv(write(tmp_path, content), labels=labels)
    message = str(error.value)
    assert message.startswith(f"{tmp_path / 'houses.csv'}: ") and message.isprintable()
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize("case", list(BAD_LABELS))
@pytest.mark.parametrize("command", [["train"], ["trace"], []])
def test_bad_label_columns_exit_2_with_one_line_from_the_command_line(tmp_path, capsys, case, command):
    content, labels, fragments = BAD_LABELS[case]
    path = write(tmp_path, content)
    assert main([*command, "--data", str(path), *(["--labels"] if labels else [])]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith(f"backprop-tui: error: {path}: ")
    for fragment in fragments:
        assert fragment in err


def test_a_label_csv_trains_and_traces_through_the_command_line(tmp_path, capsys):
    path = write(tmp_path, IRIS)
    assert main(["train", "--data", str(path), "--epochs", "3", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    document = json.loads(out)
    assert err == "backprop-tui: note: column 'city' has no numbers, so it is not a feature\n"
    assert document["config"]["classes"] == ["setosa", "versicolor", "virginica"]
    assert document["config"]["sizes"] == [2, 8, 4, 3] and document["config"]["dataset"] is None
    assert len(document["accuracy"]) == 3
    assert main(["trace", "--data", str(path), "--format", "json"]) == 0
    trace = json.loads(capsys.readouterr().out)
    assert trace["config"]["classes"] == ["setosa", "versicolor", "virginica"]
    y = next(phase["inputs"]["y"] for phase in trace["phases"] if "y" in phase["inputs"])
    assert y == [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0]]


def test_labels_flag_from_the_command_line_makes_integer_classes(tmp_path, capsys):
    path = write(tmp_path, "a,b,digit\n1,5,2\n2,3,10\n3,1,1\n4,4,10\n")
    assert main(["train", "--data", str(path), "--labels", "--epochs", "2", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["config"]["classes"] == ["1", "2", "10"] and document["config"]["labels"] is True
    assert main(["--labels", "train", "--data", str(path), "--epochs", "2", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == document
    assert main(["train", "--data", str(path), "--epochs", "2", "--format", "json"]) == 0
    regression = json.loads(capsys.readouterr().out)
    assert regression["config"]["classes"] is None and "accuracy" not in regression
