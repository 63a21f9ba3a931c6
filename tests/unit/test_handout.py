"""The Markdown handout read as a renderer reads it: markdown-it with the dollar-math plugin finds each equation and
each worked cell as one display block, and each block converts to MathML with latex2mathml.

latex2mathml is lenient (an unknown command becomes an identifier named after it, not an error), so a block must
also come out with no such identifier, and be plain ASCII, which any LaTeX engine accepts. The worked cell's LaTeX
must carry the inspector's numbers, digit for digit.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from latex2mathml.converter import convert
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from backprop_tui.cell_format import expansion_latex, expansion_text, latex_number
from backprop_tui.config import RunConfig
from backprop_tui.handout import TERMS_PER_LINE, tape_markdown
from backprop_tui.lesson import parse_lesson
from backprop_tui.session import Session, View
from backprop_tui.worked_cell import inspected_cell, opening_cell, pinned_cell
from scratchnet.debugger.explain import explain
from scratchnet.debugger.names import latex_name

RUNS = {
    "the article's network": RunConfig(samples=30),
    "a ReLU/softmax classifier": RunConfig(dataset="spiral", samples=30, hidden=(8, 8), activations=("relu", "tanh")),
    "Adam with weight decay": RunConfig(samples=30, optimizer="adam", weight_decay=0.1),
    "momentum, sigmoid and leaky ReLU": RunConfig(samples=30, optimizer="momentum", activations=("sigmoid", "leaky_relu")),
}


def tape_of(config: RunConfig):
    return Session.start(config).tape


def math_blocks(markdown: str) -> list[str]:
    """Display math blocks as markdown-it with the dollar-math plugin finds them; no inline math may be found."""
    parser = MarkdownIt("commonmark").enable("table").use(dollarmath_plugin)
    tokens = parser.parse(markdown)
    inline = [child for token in tokens for child in token.children or () if child.type.startswith("math")]
    assert inline == []
    return [token.content for token in tokens if token.type == "math_block"]


def assert_converts(latex: str) -> None:
    assert latex.isascii(), latex
    mathml = convert(latex)
    assert mathml.startswith("<math") and "<mi>\\" not in mathml and "<mi>&</mi>" not in mathml, latex


TEXT_NUMBER = re.compile(r"[−-]?\d[\d,]*(?:\.\d+)?(?:e[+-]\d+)?")
LATEX_NUMBER = re.compile(r"-?\d(?:\d|\{,\})*(?:\.\d+)?(?: \\times 10\^\{-?\d+\})?")


def numbers(text: str, pattern: re.Pattern[str]) -> list[float]:
    def value(written: str) -> float:
        written = written.replace("−", "-").replace("{,}", "").replace(",", "")
        mantissa, _, power = written.partition(r" \times 10^{")
        return float(f"{mantissa}e{power.rstrip('}')}" if power else written)

    return [value(match) for match in pattern.findall(text)]


@pytest.mark.parametrize("name", list(RUNS))
def test_a_handout_has_one_math_block_per_equation_and_per_worked_cell_and_each_converts(name):
    tape = tape_of(RUNS[name])
    blocks = math_blocks(tape_markdown(tape))
    assert len(blocks) == 2 * len(tape)  # each phase: its equation, then one cell worked out
    assert blocks[::2] == [phase.equation.latex for phase in tape]
    for block in blocks:
        assert_converts(block)
    opened = [explain(tape, phase, name, *cell) for phase in tape for name, cell in [opening_cell(phase)]]
    assert blocks[1::2] == [expansion_latex(explanation, TERMS_PER_LINE) for explanation in opened]


@pytest.mark.parametrize("name", list(RUNS))
def test_every_kind_of_cell_is_written_in_latex_with_the_inspectors_numbers(name):
    tape = tape_of(RUNS[name])
    for phase in tape:
        for output, array in phase.outputs.items():
            rows, columns = np.atleast_2d(array).shape
            for cell in {(0, 0), (rows - 1, columns - 1)}:
                explanation = explain(tape, phase, output, *cell)
                text, latex = expansion_text(explanation), expansion_latex(explanation)
                assert latex is not None, (phase.key, output)
                assert_converts(latex)
                # the same four parts, cell = formula = numbers = total, and past the formula the same numbers
                assert text.count(" = ") == latex.count(" = ") == 3, (text, latex)
                body_text, body_latex = text.split(" = ", 2)[2], latex.split(" = ", 2)[2]
                assert numbers(body_text, TEXT_NUMBER) == numbers(body_latex, LATEX_NUMBER), (text, latex)
                lines = expansion_latex(explanation, per_line=2)  # the handout's: the same, over lines
                assert_converts(lines)
                assert lines.startswith(r"\begin{split}") and lines.count("&=") == 3
                assert numbers(lines.split("&=", 2)[2], LATEX_NUMBER) == numbers(body_latex, LATEX_NUMBER), lines


def test_numbers_and_names_in_latex():
    assert [latex_number(text) for text in ("0.7831", "−0.9796", "1.00e-08", "−∞", "NaN", "3,329.4")] == [
        "0.7831", "-0.9796", r"1.00 \times 10^{-8}", r"-\infty", r"\mathrm{NaN}", "3{,}329.4"]
    assert [latex_name(name) for name in ("Z1", "dL/dŷ", "dL/dZ3", "W2'", "vW1'", "m̂W1", "ŝb2", "squared_error")] == [
        "Z_{1}", r"\frac{\partial L}{\partial \hat y}", r"\frac{\partial L}{\partial Z_{3}}", "W_{2}'", "v_{W_{1}}'",
        r"\hat m_{W_{1}}", r"\hat s_{b_{2}}", r"\mathrm{squared\_error}"]


def test_a_non_finite_cell_is_still_written_in_latex():
    session = Session.start(RunConfig(samples=30, learning_rate=1e300))
    with np.errstate(all="ignore"):
        session.go_to_epoch(1)  # the first update overflowed: ∞ and NaN everywhere
    markdown = tape_markdown(session.tape)
    blocks = math_blocks(markdown)
    assert len(blocks) == 2 * len(session.tape)
    assert r"\infty" in markdown and r"\mathrm{NaN}" in markdown
    for block in blocks:
        assert_converts(block)


def test_the_worked_cell_is_the_inspectors_or_a_lesson_steps_pin():
    session = Session.start(RunConfig(samples=30))
    tape = session.tape
    update, weight = tape[tape.index("update.2")], tape[tape.index("backward.3.weight")]
    assert opening_cell(update) == ("W2'", (0, 0))
    assert inspected_cell(update, View("b2'", (("b2'", (0, 3)),))) == ("b2'", (0, 3))
    assert inspected_cell(update, View("W2", (("W2", (5, 1)), ("W2'", (2, 2))))) == ("W2'", (2, 2))  # an operand
    assert inspected_cell(update, View(None, (("W2'", (99, 99)),))) == ("W2'", (7, 3))  # kept inside the matrix
    assert pinned_cell(tape, weight, ("dW3", (2, 0))) == ("dW3", (2, 0))
    assert pinned_cell(tape, update, ("W2", (3, 1))) == ("W2'", (3, 1))  # W₂'[3,1] is worked from W₂[3,1]
    assert pinned_cell(tape, update, ("b2", (0, 1))) == ("b2'", (0, 1))
    assert pinned_cell(tape, update, ("W3", (0, 0))) is None  # not of this phase
    assert pinned_cell(tape, weight, ("dW3", (9, 0))) is None  # outside the matrix


def test_a_lessons_notes_stand_beside_their_phases_and_its_pins_choose_the_cells():
    lesson = parse_lesson(
        '[[step]]\nphase = "update.2"\npin = "W2[3,1]"\nnote = "Watch this weight."\n'
        '[[step]]\nphase = "forward.1"\nnote = "Start here."\n'
        '[[step]]\nphase = "update.2"\nnote = "Again, the $ sign is text."\n', "t.toml")
    tape = tape_of(RunConfig(samples=30))
    markdown = tape_markdown(tape, lesson, [0, 1, 2])
    assert "Lesson: *Lesson*, 3 of its 3 steps beside their phases." in markdown
    forward, update = markdown.split("\n## ")[1], markdown.split("\n## ")[-2]
    assert forward.startswith("Layer 1 · forward") and "> **Lesson step 2/3.** Start here." in forward
    assert update.startswith("Layer 2 · update")
    assert update.index("> **Lesson step 1/3.** Watch this weight.") < update.index("> **Lesson step 3/3.**")
    assert update.index("> **Lesson step 3/3.**") < update.index("$$")  # the notes lead the phase
    assert "`W₂'[3,1] = W₂[3,1] − η·dW₂[3,1] = " in update
    assert len(math_blocks(markdown)) == 2 * len(tape)
    without = tape_markdown(tape, lesson, [1])
    assert "Watch this weight" not in without and "`W₂'[0,0] = " in without
