"""The viewer's own JQL: kept inside the parentheses the report puts around it, and judged by Jira.

A report searches ``<its own bounds> AND (<the viewer's JQL>)``. Two checks keep the viewer's text
a single condition there:

- :func:`wrapping_problem`, before anything is sent: the text read the way Jira's lexer reads it
  must close every parenthesis it opens and no other, and must end outside any quoted string and
  escape. Only then can the ``)`` after it close the ``(`` before it.
- :func:`parse_problems`, on Jira's answer to ``POST /rest/api/3/jql/parse`` for the text alone:
  Jira's own parser has the last word, and its messages give positions in the viewer's text.

Both are pure: the caller sends the request (:mod:`smart_timesheet_plugin.source`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

#: The report's search sorts its issues itself; an ``ORDER BY`` in the viewer's text would end
#: the condition early, so it is refused with this message.
ORDER_BY_REFUSED: Final = "ORDER BY cannot be used here: the report orders its rows itself."

_QUOTES: Final = "\"'"
_ESCAPE: Final = "\\"


def wrapping_problem(jql: str) -> str | None:
    """Why ``jql`` cannot be put between parentheses as one condition, or ``None`` when it can.

    The text is scanned the way Jira's JQL lexer scans it: a backslash escapes the character after
    it, inside and outside quoted strings alike; ``"`` and ``'`` open strings closed only by the
    same, unescaped quote; parentheses count only outside strings and escapes. Any escape Jira
    itself refuses makes Jira refuse the whole query, so treating every escape as two characters
    can only err on the side of a refusal.
    """
    depth = 0
    quote: str | None = None
    position = 0
    while position < len(jql):
        character = jql[position]
        if character == _ESCAPE:
            if position + 1 == len(jql):
                return "ends in a backslash that escapes nothing"
            position += 2
            continue
        if quote is not None:
            if character == quote:
                quote = None
        elif character in _QUOTES:
            quote = character
        elif character == "(":
            depth += 1
        elif character == ")":
            if depth == 0:
                return f"has a ')' without a '(' before it (character {position + 1})"
            depth -= 1
        position += 1
    if quote is not None:
        return "has a quoted string that is not closed"
    if depth:
        return "has a '(' that is not closed"
    return None


def parse_problems(answer: Any) -> list[str] | None:
    """What Jira's parser found wrong with the one query it was sent; empty when nothing.

    ``answer`` is the body of ``POST /rest/api/3/jql/parse?validation=strict`` for one query.
    Errors are Jira's messages as they are. Under strict validation Jira leaves out the query's
    structure when validation failed, so a structure missing without errors reports Jira's
    warnings instead. A query Jira accepts but that sorts (``ORDER BY``) is refused here. Returns
    ``None`` when the answer does not have Jira's shape.
    """
    if not isinstance(answer, Mapping):
        return None
    queries = answer.get("queries")
    if not isinstance(queries, Sequence) or len(queries) != 1:
        return None
    parsed = queries[0]
    if not isinstance(parsed, Mapping):
        return None
    errors = _messages(parsed.get("errors"))
    if errors:
        return errors
    structure = parsed.get("structure")
    if not isinstance(structure, Mapping):
        return _messages(parsed.get("warnings")) or ["Jira could not validate this JQL."]
    if structure.get("orderBy"):
        return [ORDER_BY_REFUSED]
    return []


def _messages(value: Any) -> list[str]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    return [message for message in value if isinstance(message, str) and message]
