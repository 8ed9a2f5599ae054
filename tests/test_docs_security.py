"""The security model's threat table names tests that exist.

docs/security.md answers each threat with its defence and the tests that show it. A test that is
renamed or moved would leave the table pointing at nothing, so every name in it is resolved here:
the file must exist and define a test function of that name.
"""

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "security.md"
TABLE_TITLE = "## Threats, their defences and the tests that show them"

# `tests/kit/x.py::test_name`, `tests/kit/x.py` (every test of the file) and `::test_name` (a test
# of the file named last in the same cell).
REFERENCE = re.compile(r"`((?:tests|examples)/[\w/]+\.py)?(?:::(\w+))?`")


def threat_rows() -> list[tuple[str, str, str]]:
    """The table's rows as (threat, defence, tests) cells, header and rule left out."""
    page = PAGE.read_text()
    assert page.count(TABLE_TITLE) == 1, f"docs/security.md needs one {TABLE_TITLE!r} section"
    section = page.split(TABLE_TITLE, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| "):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        assert len(cells) == 3, f"a threat row has three cells: {line[:80]}"
        rows.append((cells[0], cells[1], cells[2]))
    assert rows[0] == ("threat", "defence", "shown by")
    return rows[2:]


def references(cell: str) -> list[tuple[str, str | None]]:
    """Each (file, test name or None) a cell names, a bare ``::name`` taking the last file."""
    found = []
    last_file = None
    for match in REFERENCE.finditer(cell):
        file, name = match.groups()
        if file is None and name is None:
            continue  # a backticked word that is no reference, such as a setting
        if file is None:
            assert last_file is not None, f"::{name} follows no file"
            file = last_file
        last_file = file
        found.append((file, name))
    return found


@cache
def defined_tests(file: str) -> frozenset[str]:
    """Names of the test functions a file defines, at module level or in its classes."""
    tree = ast.parse((ROOT / file).read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test_"
        ):
            names.add(node.name)
    return frozenset(names)


def test_every_threat_names_its_defence_and_at_least_one_test():
    rows = threat_rows()
    assert len(rows) >= 13
    for threat, defence, shown_by in rows:
        assert defence, threat
        assert references(shown_by), f"no test shows the defence against: {threat[:60]}"


@pytest.mark.parametrize(
    "file,name",
    sorted({ref for _, _, shown_by in threat_rows() for ref in references(shown_by)}, key=str),
)
def test_every_test_the_threat_table_names_exists(file, name):
    assert (ROOT / file).is_file(), f"{file} does not exist"
    if name is None:
        assert defined_tests(file), f"{file} holds no test"
    else:
        assert name in defined_tests(file), f"{file} has no test named {name}"


def test_a_reference_without_a_file_takes_the_last_one_named():
    cell = "`tests/a.py::test_one`, `::test_two`, `ack.jwt_leeway`, `examples/b.py`"
    assert references(cell) == [
        ("tests/a.py", "test_one"),
        ("tests/a.py", "test_two"),
        ("examples/b.py", None),
    ]
