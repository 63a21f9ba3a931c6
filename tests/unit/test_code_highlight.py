"""The NumPy line a phase shows, coloured by our own small highlighter."""

from backprop_tui.code_highlight import code_text


def test_code_lines_are_coloured_without_changing_their_text():
    line = "x = np.sum(G, axis=0, keepdims=True) * self.bias  # 'why'"
    text = code_text(line)
    assert text.plain == line
    styled = {line[span.start:span.end]: str(span.style) for span in text.spans}
    assert styled["sum"] == "yellow" and styled["self"] == "bold cyan" and styled["True"] == "bold cyan"
    assert styled["0"] == "magenta" and styled["# 'why'"] == "dim italic"
    assert "np" not in styled and "bias" not in styled
