"""The page's words live in one table: every key the script and the template use is in it, and
the script shows no English of its own.

Read from the sources: the script's string literals are taken apart by a small tokenizer (it
knows comments, regular expressions and template literals), so a text written straight into
``timesheet.js`` is found wherever it sits.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from smart_timesheet_plugin.page_strings import page_strings, page_strings_json
from smart_timesheet_plugin.params import GROUP_DIMENSIONS, PRESETS

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "smart_timesheet_plugin"
SCRIPT = PACKAGE / "static" / "timesheet.js"
TRANSPORT = PACKAGE / "static" / "timesheet-transport.js"
TEMPLATE = PACKAGE / "templates" / "timesheet.pt"
TABLE = json.loads((PACKAGE / "page_strings_en.json").read_text(encoding="utf-8"))
NAMESPACES = {key.split(".", 1)[0] for key in TABLE["messages"]}
# A key: a namespace of the table, then dotted parts (``error.busy.title``).
KEY = re.compile(r"^[a-z]+(\.[A-Za-z0-9_-]+)+$")
# Prose: two words in a row, or one capitalised word of three letters or more.
PROSE = re.compile(r"[A-Za-z]{2,}[ \u00a0]+[A-Za-z]{2,}|^\s*[A-Z][a-z]{2,}")
# Literals that read like words but are protocol, not text a person sees.
NOT_TEXT = {
    "use strict",
    "ArrowDown",
    "ArrowUp",
    "Backspace",
    "Enter",
    "Escape",
    "Tab",
    "Accept",
    "Authorization",
    "Content-Type",
    "Retry-After",
    "AbortError",
    "JWT ",
}
# Lists of the page's class names (``ts-message ts-message--error``).
CLASS_NAMES = re.compile(r"^(ts-[\w-]*\s*)+$")
# Characters after which a ``/`` starts a regular expression rather than a division.
REGEX_AFTER = set("(,=:[!&|?{};+-*%<>~^") | {""}


def literals(source: str) -> list[str]:
    """The string literals of JavaScript ``source``, template literals as their fixed parts."""
    found: list[str] = []
    _scan(source, 0, found, inside_template=False)
    return found


def _scan(source: str, index: int, found: list[str], *, inside_template: bool) -> int:
    """Collects literals from ``index``; inside a template's ``${...}``, stops after its ``}``."""
    size, depth = len(source), 0
    last = ""  # the last significant character outside literals and comments
    while index < size:
        char = source[index]
        if source.startswith("//", index):
            index = source.find("\n", index)
            index = size if index < 0 else index
        elif source.startswith("/*", index):
            index = source.index("*/", index) + 2
        elif char in "\"'":
            end = index + 1
            while source[end] != char:
                end += 2 if source[end] == "\\" else 1
            found.append(source[index + 1 : end])
            index, last = end + 1, char
        elif char == "`":
            index, last = _template(source, index + 1, found), "`"
        elif char == "/" and last in REGEX_AFTER:
            end, in_class = index + 1, False
            while in_class or source[end] != "/":
                if source[end] == "\\":
                    end += 1
                elif source[end] == "[":
                    in_class = True
                elif source[end] == "]":
                    in_class = False
                end += 1
            index, last = end + 1, "/"
        else:
            if inside_template and char in "{}":
                depth += 1 if char == "{" else -1
                if depth < 0:
                    return index + 1
            if not char.isspace():
                last = char
            index += 1
    return index


def _template(source: str, index: int, found: list[str]) -> int:
    """Reads a template literal from after its backtick; returns the index after its end."""
    part: list[str] = []
    while source[index] != "`":
        if source[index] == "\\":
            part.append(source[index : index + 2])
            index += 2
        elif source.startswith("${", index):
            found.append("".join(part))
            part = []
            index = _scan(source, index + 2, found, inside_template=True)
        else:
            part.append(source[index])
            index += 1
    found.append("".join(part))
    return index + 1


def keys_in(texts: list[str]) -> set[str]:
    """The literals that are keys of the table's namespaces."""
    return {text for text in texts if KEY.match(text) and text.split(".", 1)[0] in NAMESPACES}


def english_in(texts: list[str]) -> list[str]:
    """The literals that read as English a person would see."""
    return [
        text
        for text in texts
        if text not in NOT_TEXT
        and not KEY.match(text)
        and not CLASS_NAMES.match(text)
        and PROSE.search(text)
    ]


SCRIPT_LITERALS = literals(SCRIPT.read_text(encoding="utf-8"))
SCRIPT_KEYS = keys_in(SCRIPT_LITERALS)
COUNTED_KEYS = set(re.findall(r'tCount\(\s*"([^"]+)"', SCRIPT.read_text(encoding="utf-8")))
TEMPLATE_KEYS = set(re.findall(r"strings\[\s*'([^']+)'\s*\]", TEMPLATE.read_text("utf-8")))


def test_the_tokenizer_finds_literals_and_skips_comments_and_regexes():
    source = (
        "// Not a literal\n/* nor this */ const a = 'One two', b = /\"x y\"/g;\n"
        'const c = `Sort by ${t("grid.total")} now`; d = x / 2 + "z";'
    )
    assert literals(source) == ["One two", "Sort by ", "grid.total", " now", "z"]


@pytest.mark.parametrize("key", sorted(SCRIPT_KEYS | TEMPLATE_KEYS))
def test_every_key_the_page_uses_is_in_the_table(key):
    if key in COUNTED_KEYS:
        assert f"{key}.one" in TABLE["messages"] and f"{key}.other" in TABLE["messages"]
    else:
        assert key in TABLE["messages"]


def test_keys_built_from_names_are_in_the_table():
    # The script and the template look these up as "dimension." + name and so on.
    messages = TABLE["messages"]
    assert {f"dimension.{name}" for name in GROUP_DIMENSIONS} <= messages.keys()
    assert {f"preset.{name}" for name in PRESETS} <= messages.keys()
    field_names = re.search(r"const FIELD_NAMES = \{(.*?)\};", SCRIPT.read_text("utf-8"), re.S)
    assert field_names is not None
    for name in re.findall(r':\s*"([a-z_]+)"', field_names.group(1)):
        assert f"field.{name}" in messages


def test_every_text_of_the_table_is_used():
    families = ("dimension.", "preset.", "field.")
    used = SCRIPT_KEYS | TEMPLATE_KEYS
    used |= {f"{key}.{form}" for key in COUNTED_KEYS for form in ("one", "other")}
    unused = [key for key in TABLE["messages"] if key not in used and not key.startswith(families)]
    assert unused == []


def test_the_script_shows_no_english_outside_the_table():
    assert english_in(SCRIPT_LITERALS) == []


def test_the_transport_shows_no_english_either():
    # Its one message to a person (an unreadable export) is the page's to word.
    texts = literals(TRANSPORT.read_text(encoding="utf-8"))
    assert [text for text in english_in(texts) if text != "The request was aborted."] == []


def test_the_english_scan_finds_a_text_written_into_the_script():
    planted = 'showMessage("error", "Export failed", detail); element("td", null, "Total");'
    assert english_in(literals(planted)) == ["Export failed", "Total"]


def test_the_page_carries_the_table_the_module_reads():
    carried = json.loads(page_strings_json())
    assert carried == TABLE
    assert page_strings()["dimension.parent"] == "Epic / parent"
