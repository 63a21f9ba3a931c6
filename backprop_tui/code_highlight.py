"""Colour for the one or two NumPy lines a phase shows.

Rich's Syntax would do it through Pygments, but loading Pygments' Python lexer takes
about 45 ms, a sixth of the debugger's first frame, for lines this simple: names,
attributes, calls, numbers, operators.
"""

from __future__ import annotations

import re

from rich.text import Text

KEYWORDS = frozenset({"self", "for", "in", "if", "else", "lambda", "return", "None", "True", "False", "and",
                      "or", "not"})
TOKEN = re.compile(r"""(?P<number>\b\d+(\.\d*)?([eE][-+]?\d+)?\b)
                     |(?P<string>'[^']*'|"[^"]*")
                     |(?P<name>[A-Za-z_]\w*)(?P<call>\s*\()?
                     |(?P<comment>\#.*)""", re.VERBOSE)


def code_text(code: str, dark: bool = True) -> Text:
    """The code as Rich Text: keywords, calls, numbers and strings coloured; the rest as typed."""
    styles = {
        "keyword": "bold cyan" if dark else "bold blue",
        "call": "yellow" if dark else "dark_orange3",
        "number": "magenta",
        "string": "green",
        "comment": "dim italic",
    }
    text = Text(code)
    for match in TOKEN.finditer(code):
        for kind in ("number", "string", "comment"):
            if match.group(kind):
                text.stylize(styles[kind], *match.span(kind))
        word = match.group("name")
        if word in KEYWORDS:
            text.stylize(styles["keyword"], *match.span("name"))
        elif word and match.group("call"):
            text.stylize(styles["call"], *match.span("name"))
    return text
