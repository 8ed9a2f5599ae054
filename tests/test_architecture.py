"""The walls between the kit and its plugins, read from the source with :mod:`ast`.

- A plugin (the Smart Timesheet, every example) imports the kit only through its package root,
  ``atlassian_connect_kit``: type-checking-only imports and function-local imports included. Test
  files, conftests and anything under a ``tests`` folder may also import
  ``atlassian_connect_kit.testing`` (the kit's fixtures and fake Jira site).
- No module of the kit outside ``testing/`` imports ``atlassian_connect_kit.testing``: the fake
  site never ships into a production code path (``ack demo`` reaches it through an entry point).
- A test imports helpers, never a test module or a conftest (shared helpers live in helper
  modules, fixtures in the conftest of the folder that uses them).
- Every name of the root's ``__all__`` resolves, is documented in docs/plugins.md, and importing
  the root alone loads no other kit module but the hook markers.

Each rule is a function returning its violations, so the tests at the end can put a violation
back into a copy of the sources and see the rule catch it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

import atlassian_connect_kit

REPO = Path(__file__).resolve().parent.parent
KIT = "atlassian_connect_kit"
TESTING = f"{KIT}.testing"
KIT_DIR = REPO / "src" / KIT
PLUGIN_DIRS = (REPO / "src" / "smart_timesheet_plugin", REPO / "examples")


def imported_modules(source: str, filename: str) -> Iterator[tuple[int, str]]:
    """Every module ``source`` imports, with its line: ``import``, ``from``, dynamic imports.

    ``from atlassian_connect_kit import testing`` counts as importing the submodule; a string
    handed to ``importlib.import_module`` or ``__import__`` counts as an import of that string.
    """
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            if node.module == KIT:
                for alias in node.names:
                    if alias.name == "testing":
                        yield node.lineno, TESTING
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield node.lineno, first.value


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("__import__", "import_module")
    return isinstance(func, ast.Attribute) and func.attr in ("import_module", "__import__")


def _is_kit(module: str) -> bool:
    return module == KIT or module.startswith(f"{KIT}.")


def _is_testing(module: str) -> bool:
    return module == TESTING or module.startswith(f"{TESTING}.")


def may_use_testing(path: Path, root: Path) -> bool:
    """Test files, conftests and anything in a ``tests`` folder may use the kit's test kit."""
    relative = path.relative_to(root)
    return (
        path.name == "conftest.py"
        or path.name.startswith("test_")
        or "tests" in relative.parts[:-1]
    )


def python_files(root: Path) -> list[Path]:
    """The Python files under ``root``, caches left out."""
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def plugin_violations(files: Iterable[tuple[Path, str]], root: Path) -> list[str]:
    """Imports of the kit by a plugin other than through its root (or testing, in tests)."""
    found = []
    for path, source in files:
        for line, module in imported_modules(source, str(path)):
            if not _is_kit(module) or module == KIT:
                continue
            if _is_testing(module) and may_use_testing(path, root):
                continue
            found.append(f"{path.relative_to(root)}:{line} imports {module}")
    return found


def kit_violations(files: Iterable[tuple[Path, str]], root: Path) -> list[str]:
    """Imports of the testing package by a kit module outside ``testing/``."""
    found = []
    for path, source in files:
        if "testing" in path.relative_to(root).parts[:1]:
            continue
        for line, module in imported_modules(source, str(path)):
            if _is_testing(module):
                found.append(f"{path.relative_to(root)}:{line} imports {module}")
    return found


def test_module_violations(files: Iterable[tuple[Path, str]], root: Path) -> list[str]:
    """Imports of a test module or a conftest by anything in the test suite."""
    found = []
    for path, source in files:
        for line, module in imported_modules(source, str(path)):
            last = module.rpartition(".")[2]
            if module.split(".")[0] == "tests" and (last.startswith("test_") or last == "conftest"):
                found.append(f"{path.relative_to(root)}:{line} imports {module}")
    return found


test_module_violations.__test__ = False  # type: ignore[attr-defined]  # a rule, not a test


def _read(paths: Iterable[Path]) -> list[tuple[Path, str]]:
    return [(path, path.read_text(encoding="utf-8")) for path in paths]


@pytest.mark.parametrize("directory", PLUGIN_DIRS, ids=lambda d: d.name)
def test_plugins_import_the_kit_only_through_its_root(directory):
    assert plugin_violations(_read(python_files(directory)), directory.parent) == []


def test_no_kit_module_outside_testing_imports_the_testing_package():
    assert kit_violations(_read(python_files(KIT_DIR)), KIT_DIR) == []


def test_tests_import_no_test_module_and_no_conftest():
    files = _read([*python_files(REPO / "tests"), *python_files(REPO / "examples")])
    assert test_module_violations(files, REPO) == []


def test_a_test_importing_another_test_module_or_a_conftest_is_caught():
    helper = REPO / "tests" / "kit" / "host" / "conftest.py"
    files = _read([helper])
    for line in (
        "from tests.kit.host.test_paging import something\n",
        "from tests.kit.storage.conftest import database_url\n",
    ):
        assert len(test_module_violations(_with(files, helper, line), REPO)) == 1


def test_every_public_name_resolves_and_is_documented():
    documented = (REPO / "docs" / "plugins.md").read_text(encoding="utf-8")
    missing = [
        name
        for name in atlassian_connect_kit.__all__
        if f"`{name}`" not in documented and f"`{name}(" not in documented
    ]
    assert missing == []
    for name in atlassian_connect_kit.__all__:
        value = getattr(atlassian_connect_kit, name)
        if callable(value) and not isinstance(value, str):
            assert (getattr(value, "__doc__", None) or "").strip(), f"{name} has no docstring"


def test_the_listed_names_are_exactly_the_lazy_ones():
    lazy = set(atlassian_connect_kit._EXPORTS)
    assert set(atlassian_connect_kit.__all__) == lazy | {
        "__version__",
        "hookimpl",
        "includeme",
        "main",
    }
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        atlassian_connect_kit.nothing_here  # noqa: B018


def test_importing_the_root_loads_only_the_hook_markers():
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, atlassian_connect_kit; "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('atlassian'))))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert loaded == ["atlassian_connect_kit", "atlassian_connect_kit.hookspecs"]


def test_ack_finds_the_demo_through_the_commands_entry_point_group():
    from atlassian_connect_kit.cli import standalone_commands

    names = [name for name, _ in standalone_commands().list_name_plugin()]
    assert names == ["atlassian_connect_kit.commands:demo"]


# --- each rule catches the violation it is about ----------------------------------------------


def _with(files: list[tuple[Path, str]], path: Path, line: str) -> list[tuple[Path, str]]:
    return [(p, source + line if p == path else source) for p, source in files]


TIMESHEET = PLUGIN_DIRS[0]


@pytest.mark.parametrize(
    "line",
    [
        "from atlassian_connect_kit.config import make_app\n",
        "import atlassian_connect_kit.storage.store\n",
        "if TYPE_CHECKING:\n    from atlassian_connect_kit.settings import Settings\n",
        "def f():\n    from atlassian_connect_kit.host.client import HostClient\n",
        "importlib.import_module('atlassian_connect_kit.auth.tokens')\n",
        "from atlassian_connect_kit.testing.fakejira import FakeJira\n",
        "from atlassian_connect_kit import testing\n",
    ],
)
def test_a_plugin_importing_a_kit_module_is_caught(line):
    files = _read(python_files(TIMESHEET))
    views = TIMESHEET / "views.py"
    found = plugin_violations(_with(files, views, line), TIMESHEET.parent)
    assert len(found) == 1
    assert found[0].startswith("smart_timesheet_plugin/views.py:")


def test_a_plugin_test_may_use_the_testing_package_but_no_other_kit_module():
    example = REPO / "examples" / "myself_page" / "test_myself_page.py"
    files = _read([example])
    allowed = "from atlassian_connect_kit.testing.fakejira import FakeJira\n"
    assert plugin_violations(_with(files, example, allowed), REPO) == []
    refused = "from atlassian_connect_kit.storage.service import get_tenant_store\n"
    assert len(plugin_violations(_with(files, example, refused), REPO)) == 1


@pytest.mark.parametrize(
    "line",
    [
        "from atlassian_connect_kit.testing.demo import run_demo\n",
        "def f():\n    import atlassian_connect_kit.testing.server\n",
        "importlib.import_module('atlassian_connect_kit.testing.commands')\n",
    ],
)
def test_a_kit_module_importing_the_testing_package_is_caught(line):
    files = _read(python_files(KIT_DIR))
    cli = KIT_DIR / "cli.py"
    found = kit_violations(_with(files, cli, line), KIT_DIR)
    assert len(found) == 1
    assert found[0].startswith("cli.py:")
