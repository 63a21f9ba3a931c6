"""The layers, checked over every module: scratchnet stands alone, and only the UI modules reach Textual.

Read from the source with `ast`, so a module added tomorrow is checked without being listed here.
What is listed is the UI side: a new module is Textual-free unless it is named below.
"""

from __future__ import annotations

import ast
from fnmatch import fnmatch
from pathlib import Path

import pytest

from tests.helpers import ROOT

UI_LIBRARIES = ("textual", "rich", "textual_serve", "textual_plot", "textual_hires_canvas")
# The modules of backprop_tui that draw or serve the screen; everything else in it is Textual-free.
UI_MODULES = ("backprop_tui.app", "backprop_tui.widgets.*", "backprop_tui.screens.*", "backprop_tui.serve.*",
              "backprop_tui.code_highlight", "backprop_tui.commands", "backprop_tui.heatmap", "backprop_tui.messages",
              "backprop_tui.screenshot", "backprop_tui.themes")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(path): path for package in ("scratchnet", "backprop_tui")
            for path in sorted((ROOT / package).rglob("*.py"))}


def imports_of(source: str, module: str, *, top_level_only: bool) -> set[str]:
    """Absolute names a module imports; `top_level_only` skips imports inside functions and TYPE_CHECKING."""
    tree = ast.parse(source)
    package = module if module.count(".") == 0 else module.rsplit(".", 1)[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if top_level_only and isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if top_level_only and isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in child.names)
            visit(child)

    visit(tree)
    return found


def is_ui(module: str) -> bool:
    return any(fnmatch(module, pattern) or module == pattern.removesuffix(".*") for pattern in UI_MODULES)


def reaches(module: str, graph: dict[str, set[str]], libraries: tuple[str, ...]) -> list[str]:
    """A chain of module-level imports from `module` to one of `libraries`, or [] if there is none."""
    seen: set[str] = set()
    stack = [[module]]
    while stack:
        chain = stack.pop()
        for name in sorted(graph.get(chain[-1], ())):
            if name.split(".")[0] in libraries:
                return [*chain, name]
            if name in graph and name not in seen:
                seen.add(name)
                stack.append([*chain, name])
    return []


MODULES = all_modules()
TOP_LEVEL = {name: imports_of(path.read_text(), name, top_level_only=True) for name, path in MODULES.items()}


@pytest.mark.parametrize("module", [name for name in MODULES if name.startswith("scratchnet")])
def test_scratchnet_imports_no_ui_and_nothing_of_backprop_tui(module):
    anywhere = imports_of(MODULES[module].read_text(), module, top_level_only=False)
    assert not {name for name in anywhere if name.split(".")[0] in (*UI_LIBRARIES, "backprop_tui")}


@pytest.mark.parametrize("module", [name for name in MODULES if name.startswith("backprop_tui") and not is_ui(name)])
def test_textual_free_modules_reach_no_ui_library(module):
    assert reaches(module, TOP_LEVEL, UI_LIBRARIES) == []


def test_the_ui_list_names_only_modules_that_exist():
    for pattern in UI_MODULES:
        assert any(fnmatch(name, pattern) or name == pattern for name in MODULES), pattern


def test_the_check_sees_a_violation_through_a_chain():
    graph = {"backprop_tui.a": {"backprop_tui.b"}, "backprop_tui.b": {"rich.text"}}
    assert reaches("backprop_tui.a", graph, UI_LIBRARIES) == ["backprop_tui.a", "backprop_tui.b", "rich.text"]
    lazy = "def make():\n    from textual.app import App\n"
    assert imports_of(lazy, "scratchnet.x", top_level_only=False) >= {"textual.app"}
    assert imports_of(lazy, "backprop_tui.x", top_level_only=True) == set()
    relative = "from ..widgets import matrix_view\n"
    assert "backprop_tui.widgets.matrix_view" in imports_of(relative, "backprop_tui.serve.x", top_level_only=True)
