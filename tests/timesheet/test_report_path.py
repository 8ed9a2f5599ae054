"""The report path is one way: Jira -> source -> engine -> views and exports, never back.

Read from the plugin's own source with :mod:`ast` (every ``import``, also inside functions and
``TYPE_CHECKING`` blocks), so a rule holds whether or not the import ever runs:

- the engine (``smart_timesheet_plugin.report``), and every plugin module it imports, imports only
  pure standard modules and never the source, the views, the exports or the plugin's root (which
  brings Pyramid and the kit), nor anything that does I/O (``requests``, Pyramid, a database);
- the source reads Jira and makes the engine's records: of the engine it imports only
  ``report.model``, and never the views or the exports;
- the exports render a typed report: of the plugin they import only ``report.model``, and of the
  rest only in-memory file writing;
- nothing imports the views; the plugin's root includes them by name.

The second half of the module puts each kind of violation back into a copy of the real sources
and checks that the rules catch it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

import smart_timesheet_plugin

ROOT = "smart_timesheet_plugin"
ENGINE = f"{ROOT}.report"
MODEL = f"{ENGINE}.model"
SOURCE = f"{ROOT}.source"
VIEWS = f"{ROOT}.views"
EXPORT = f"{ROOT}.export"
DYNAMIC_IMPORT = "<a dynamic import>"
#: Standard modules that compute without touching files, sockets, processes or the clock.
PURE_STANDARD = frozenset(
    {
        "__future__",
        "bisect",
        "collections",
        "dataclasses",
        "datetime",
        "enum",
        "functools",
        "heapq",
        "itertools",
        "math",
        "operator",
        "re",
        "typing",
        "zoneinfo",
    }
)
#: What the exports may use besides: bytes in memory, decimal hours and the XLSX writer.
EXPORT_EXTERNAL = PURE_STANDARD | {"decimal", "io", "xlsxwriter"}


@dataclass(frozen=True)
class Plugin:
    """The plugin's modules by dotted name, with their source text."""

    sources: Mapping[str, str]
    packages: frozenset[str]

    def imports(self, module: str) -> set[str]:
        """Every module ``module`` imports: plugin modules by full name, others as written."""
        found: set[str] = set()
        for node in ast.walk(ast.parse(self.sources[module], filename=module)):
            if isinstance(node, ast.Import):
                found.update(self._plugin_module(alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = self._absolute(module, node.module, node.level)
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    found.add(submodule if submodule in self.sources else self._plugin_module(base))
            elif isinstance(node, ast.Call) and _is_dynamic_import(node.func):
                found.add(DYNAMIC_IMPORT)
        return found

    def plugin_imports(self, module: str) -> set[str]:
        """The plugin modules ``module`` imports."""
        return {name for name in self.imports(module) if name in self.sources}

    def _absolute(self, module: str, name: str | None, level: int) -> str:
        if level == 0:
            return name or ""
        package = module if module in self.packages else module.rpartition(".")[0]
        for _ in range(level - 1):
            package = package.rpartition(".")[0]
        return f"{package}.{name}" if name else package

    def _plugin_module(self, name: str) -> str:
        # "import smart_timesheet_plugin.report.model.Worklog" cannot happen, but
        # "from smart_timesheet_plugin.report.model import Worklog" names an attribute: the
        # module is the longest known prefix.
        while name and name not in self.sources and name.startswith(f"{ROOT}."):
            name = name.rpartition(".")[0]
        return name


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("__import__", "import_module")
    return isinstance(func, ast.Attribute) and func.attr in ("import_module", "__import__")


def load_plugin() -> Plugin:
    """The installed plugin's modules, read from its package directory."""
    directory = Path(smart_timesheet_plugin.__file__).parent
    sources: dict[str, str] = {}
    packages: set[str] = set()
    for path in sorted(directory.rglob("*.py")):
        parts = list(path.relative_to(directory.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
            packages.add(".".join(parts))
        sources[".".join(parts)] = path.read_text(encoding="utf-8")
    return Plugin(sources, frozenset(packages))


def under(name: str, package: str) -> bool:
    """True when ``name`` is ``package`` or one of its submodules."""
    return name == package or name.startswith(f"{package}.")


def engine_closure(plugin: Plugin) -> set[str]:
    """The engine's modules and every plugin module they import, directly or not."""
    pending = [name for name in plugin.sources if under(name, ENGINE)]
    seen = set(pending)
    while pending:
        for name in plugin.plugin_imports(pending.pop()):
            if name not in seen:
                seen.add(name)
                pending.append(name)
    return seen


def violations(plugin: Plugin) -> Iterator[str]:
    """Every import that breaks a rule of the report path, as ``"<module> imports <name>"``."""
    for module in sorted(engine_closure(plugin)):
        for name in sorted(plugin.imports(module)):
            if name in plugin.sources:
                if name == ROOT or any(under(name, part) for part in (SOURCE, VIEWS, EXPORT)):
                    yield f"engine: {module} imports {name}"
            elif name.partition(".")[0] not in PURE_STANDARD:
                yield f"engine: {module} imports {name}, which is not a pure standard module"
    for module in sorted(name for name in plugin.sources if under(name, SOURCE)):
        for name in sorted(plugin.plugin_imports(module)):
            if under(name, VIEWS) or under(name, EXPORT) or name == ROOT:
                yield f"source: {module} imports {name}"
            elif under(name, ENGINE) and name != MODEL:
                yield f"source: {module} imports {name}; of the engine only {MODEL}"
    for name in sorted(plugin.imports(EXPORT)):
        if name in plugin.sources:
            if name != MODEL:
                yield f"export: imports {name}; of the plugin only {MODEL}"
        elif name.partition(".")[0] not in EXPORT_EXTERNAL:
            yield f"export: imports {name}, which is not in-memory file writing"
    for module in sorted(plugin.sources):
        if VIEWS in plugin.plugin_imports(module):
            yield f"views: {module} imports {VIEWS}"


def test_the_report_path_is_one_way() -> None:
    plugin = load_plugin()
    assert {MODEL, f"{SOURCE}.wire", EXPORT, VIEWS} <= set(plugin.sources)
    assert list(violations(plugin)) == []


def test_the_engine_needs_nothing_but_itself_and_the_parameters() -> None:
    closure = engine_closure(load_plugin())
    assert {name for name in closure if not under(name, ENGINE)} == {
        f"{ROOT}.params",
        f"{ROOT}.jql",
    }


# --- each rule catches its violation ----------------------------------------------------------


def with_line(plugin: Plugin, module: str, line: str) -> Plugin:
    """``plugin`` with ``line`` appended to ``module``'s source."""
    sources = dict(plugin.sources)
    sources[module] = f"{sources[module]}\n{line}\n"
    return Plugin(sources, plugin.packages)


@pytest.mark.parametrize(
    ("module", "line", "expected"),
    [
        (
            f"{ENGINE}.grid",
            "from smart_timesheet_plugin.source import fetch_worklogs",
            f"engine: {ENGINE}.grid imports {SOURCE}",
        ),
        (
            f"{ENGINE}.serialize",
            "from smart_timesheet_plugin.export import report_csv",
            f"engine: {ENGINE}.serialize imports {EXPORT}",
        ),
        (
            f"{ENGINE}.detail",
            "from ..views import report_json",
            f"engine: {ENGINE}.detail imports {VIEWS}",
        ),
        (
            ENGINE,
            "from .. import ack_configure",
            f"engine: {ENGINE} imports {ROOT}",
        ),
        (
            MODEL,
            "if TYPE_CHECKING:\n    from smart_timesheet_plugin.source.wire import IssueFacts",
            f"engine: {MODEL} imports {SOURCE}.wire",
        ),
        (
            f"{ENGINE}.periods",
            "def fetch():\n    import requests",
            f"engine: {ENGINE}.periods imports requests, which is not a pure standard module",
        ),
        (
            f"{ENGINE}.grid",
            "from pyramid.response import Response",
            f"engine: {ENGINE}.grid imports pyramid.response, which is not a pure standard module",
        ),
        (
            f"{ENGINE}.locator",
            "import importlib\nimportlib.import_module('socket')",
            f"engine: {ENGINE}.locator imports importlib, which is not a pure standard module",
        ),
        (
            f"{ENGINE}.locator",
            "__import__('socket')",
            f"engine: {ENGINE}.locator imports {DYNAMIC_IMPORT}, "
            "which is not a pure standard module",
        ),
        (
            f"{ROOT}.params",
            "import sqlite3",
            f"engine: {ROOT}.params imports sqlite3, which is not a pure standard module",
        ),
        (
            f"{SOURCE}.fetch",
            "from smart_timesheet_plugin.views import report_for",
            f"source: {SOURCE}.fetch imports {VIEWS}",
        ),
        (
            f"{SOURCE}.wire",
            "from smart_timesheet_plugin import export",
            f"source: {SOURCE}.wire imports {EXPORT}",
        ),
        (
            f"{SOURCE}.fetch",
            "from smart_timesheet_plugin.report.grid import build_report",
            f"source: {SOURCE}.fetch imports {ENGINE}.grid; of the engine only {MODEL}",
        ),
        (
            EXPORT,
            "from smart_timesheet_plugin.source import fetch_worklogs",
            f"export: imports {SOURCE}; of the plugin only {MODEL}",
        ),
        (
            EXPORT,
            "from smart_timesheet_plugin.report.serialize import report_to_json",
            f"export: imports {ENGINE}.serialize; of the plugin only {MODEL}",
        ),
        (
            EXPORT,
            "from atlassian_connect_kit import hookimpl",
            "export: imports atlassian_connect_kit, which is not in-memory file writing",
        ),
        (
            f"{ROOT}.jql",
            "import smart_timesheet_plugin.views",
            f"views: {ROOT}.jql imports {VIEWS}",
        ),
    ],
)
def test_a_violation_put_back_is_caught(module: str, line: str, expected: str) -> None:
    assert expected in list(violations(with_line(load_plugin(), module, line)))
