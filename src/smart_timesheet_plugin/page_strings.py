"""The Timesheet page's words, kept in one table ready for translation.

``page_strings_en.json`` beside this module holds every text the page shows: the template reads
the shared ones (grouping and preset names, hints the script also writes) from it, and the page
carries the whole table in its ``data-strings`` attribute for ``timesheet.js``, which looks each
text up by key (``{name}`` placeholders filled in; ``key.one`` / ``key.other`` chosen by count).
A translation is another file with the same keys.

Only the page's words live here: the JSON API's error messages stay in English, and the exports
have no words that depend on the viewer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Final

#: The language of the table the page ships with.
LANGUAGE: Final = "en"


@cache
def _table() -> tuple[str, Mapping[str, str]]:
    raw = json.loads(
        files(__package__).joinpath(f"page_strings_{LANGUAGE}.json").read_text(encoding="utf-8")
    )
    return str(raw["language"]), MappingProxyType(
        {str(key): str(text) for key, text in raw["messages"].items()}
    )


def page_strings() -> Mapping[str, str]:
    """Every text of the page by key (read-only), e.g. ``"dimension.user"`` -> ``"User"``."""
    return _table()[1]


def page_strings_json() -> str:
    """The table as the page's ``data-strings`` attribute holds it: ``{"language", "messages"}``."""
    language, messages = _table()
    return json.dumps(
        {"language": language, "messages": dict(messages)},
        ensure_ascii=False,
        separators=(",", ":"),
    )
