"""The math and the headless commands never pull in the UI libraries."""

import subprocess
import sys

import pytest

PROBE = """
import sys
{statement}
bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))
print('BAD:' + ','.join(bad))
"""


@pytest.mark.parametrize("statement", [
    "import scratchnet, scratchnet.debugger.tape, scratchnet.data, scratchnet.training",
    "import backprop_tui.config, backprop_tui.headless, backprop_tui.handout, backprop_tui.session",
    "from backprop_tui.cli import main; main(['trace', '--samples', '3', '--format', 'json'])",
    "from backprop_tui.cli import main; main(['train', '--epochs', '2'])",
])
def test_no_textual_or_rich(statement):
    result = subprocess.run([sys.executable, "-c", PROBE.format(statement=statement)],
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "BAD:"


def test_the_probe_can_see_textual():
    result = subprocess.run([sys.executable, "-c", PROBE.format(statement="import textual")],
                            capture_output=True, text=True, check=True)
    assert "textual" in result.stdout
