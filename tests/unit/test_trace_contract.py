"""`trace --format json` is a contract: the phases of these runs stay as they were when the golden files
were written (tests/golden/make_golden.py). Text fields must match exactly; matrices keep their names,
order and shapes, and their values to 1e-12 (room for another BLAS's last bits, none for a changed sum).
`config` may only gain keys."""

from __future__ import annotations

import json

import pytest

from tests.golden.make_golden import CONFIGS, HERE, skeleton


@pytest.mark.parametrize("name", list(CONFIGS))
def test_the_phases_of_trace_json_are_unchanged(name):
    golden = json.loads((HERE / f"trace_{name}.json").read_text())
    now = skeleton(CONFIGS[name])
    assert {key: value for key, value in now["config"].items() if key in golden["config"]} == golden["config"]
    assert [phase["key"] for phase in now["phases"]] == [phase["key"] for phase in golden["phases"]]
    for then, phase in zip(golden["phases"], now["phases"], strict=True):
        assert set(phase) == set(then), phase["key"]
        for field in ("title", "equation", "shapes", "code", "note"):
            assert phase[field] == then[field], (phase["key"], field)
        for side in ("inputs", "outputs"):
            assert list(phase[side]) == list(then[side]), (phase["key"], side)
            for matrix, summary in phase[side].items():
                expected = then[side][matrix]
                assert summary["shape"] == expected["shape"], (phase["key"], matrix)
                for statistic in ("sum", "first", "last"):
                    assert summary[statistic] == pytest.approx(expected[statistic], rel=1e-12, abs=1e-300), \
                        (phase["key"], matrix, statistic)
