"""The viewer's JQL stays inside the report's parentheses, read as Jira's lexer reads it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from atlassian_connect_kit.testing.fakejira.jql import JqlError, encode_jql_value, tokenize_jql
from smart_timesheet_plugin.jql import ORDER_BY_REFUSED, parse_problems, wrapping_problem

# Ends the report's own clause with a string, opens the wrapper, and ORs the rest of the site in.
ATTACK = "key = a\\\") OR (project is not EMPTY AND summary !~ '\"\\''"
PREFIX = 'worklogDate >= "2014-01-30" AND worklogDate <= "2014-03-02" AND ('
SUFFIX = ") ORDER BY key ASC"

# Characters that matter to the lexer plus a few ordinary ones, so that short texts hit the edges.
CHARACTERS = st.text(alphabet=st.sampled_from(list("()\"'\\ a=~!,u0")), max_size=40)
# Whole tokens as Jira lexes them, escapes and both quote kinds included, so that sequences Jira
# reads without error (the dangerous ones) come up often.
_TOKENS = [
    "(",
    ")",
    "a",
    "OR",
    "=",
    'a\\"',
    "a\\'",
    "a\\\\",
    '"x"',
    "'x'",
    "'\"\\''",
    '"\'\\""',
    '"("',
    "')'",
]
TOKENS = st.lists(st.sampled_from(_TOKENS), max_size=12).map(" ".join)
# A quote smuggled out through an escape, then tokens, then a string holding the other quote: the
# shape of the attack a guard blind to escapes outside strings lets through.
SMUGGLED = st.tuples(
    TOKENS, st.sampled_from(['a\\"', "a\\'"]), TOKENS, st.sampled_from(_TOKENS[8:12]), TOKENS
).map(" ".join)
LEXICAL = st.one_of(CHARACTERS, TOKENS, SMUGGLED)


def wrapped_stays_inside(text: str) -> bool:
    """Whether Jira's lexer (as the fake site models it) keeps ``text`` between the wrapper's
    parentheses, or refuses the wrapped query outright (Jira then searches nothing)."""
    wrapped = PREFIX + text + SUFFIX
    try:
        tokens = tokenize_jql(wrapped)
    except JqlError:
        return True
    opening, closing = len(PREFIX) - 1, len(PREFIX) + len(text)
    positions = {token.position: token for token in tokens if token.kind == "punct"}
    if positions.get(opening) is None or positions[opening].text != "(":
        return False
    if positions.get(closing) is None or positions[closing].text != ")":
        return False
    depth = 0
    for token in tokens:
        if opening < token.position < closing and token.kind == "punct":
            depth += {"(": 1, ")": -1}.get(token.text, 0)
            if depth < 0:
                return False
    return depth == 0


@pytest.mark.parametrize(
    "text",
    [
        ATTACK,
        "project = A) OR (project = B",
        "key = a\\\\) OR (project = B",
        "summary ~ a\\",
        "summary ~ 'a\\'",
        'summary ~ "open',
        "(project = A",
        'summary ~ "x\\"") OR ("',
    ],
)
def test_text_that_could_leave_its_parentheses_is_refused(text: str) -> None:
    assert wrapping_problem(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        'labels = "billable (Q1)" AND (component = API OR summary ~ "it\'s")',
        "summary ~ 'it\\'s (really) done'",
        'summary ~ "a \\"quoted\\" word" OR summary ~ a\\"b',
        'summary ~ "build\\") OR (project is not EMPTY"',
        "summary ~ \\(",
        "summary ~ \\\\",
        "",
    ],
)
def test_text_that_keeps_to_its_parentheses_is_accepted(text: str) -> None:
    assert wrapping_problem(text) is None
    assert wrapped_stays_inside(text)


def test_the_problem_names_what_is_wrong() -> None:
    assert wrapping_problem("a) OR (b") == "has a ')' without a '(' before it (character 2)"
    assert wrapping_problem("summary ~ a\\") == "ends in a backslash that escapes nothing"
    assert wrapping_problem("summary ~ 'a") == "has a quoted string that is not closed"
    assert wrapping_problem("(a = b") == "has a '(' that is not closed"


@settings(max_examples=400, deadline=None)
@given(text=st.one_of(LEXICAL, st.text(max_size=40)))
@example(text=ATTACK)
@example(text="a\\\")(x'\"\\''")
def test_no_accepted_text_can_close_the_wrapper(text: str) -> None:
    if wrapping_problem(text) is None:
        assert wrapped_stays_inside(text)


@settings(max_examples=300, deadline=None)
@given(text=LEXICAL)
def test_the_guard_counts_parentheses_exactly_as_jiras_lexer_does(text: str) -> None:
    try:
        tokens = tokenize_jql(text)
    except JqlError:
        return  # Jira refuses such text itself
    depth, balanced = 0, True
    for token in tokens:
        if token.kind == "punct" and token.text in "()":
            depth += 1 if token.text == "(" else -1
            balanced = balanced and depth >= 0
    assert (wrapping_problem(text) is None) == (balanced and depth == 0)


@st.composite
def well_formed_jql(draw: st.DrawFn, depth: int = 0) -> str:
    """A condition whose values are arbitrary text, quoted and escaped the way Jira writes them."""
    if depth < 2 and draw(st.booleans()):
        parts = draw(st.lists(well_formed_jql(depth + 1), min_size=1, max_size=3))
        joiner = draw(st.sampled_from([" AND ", " OR "]))
        return "(" + joiner.join(parts) + ")"
    value = encode_jql_value(draw(st.text(max_size=12)))
    return draw(st.sampled_from(["summary ~ ", "project = ", "parent != "])) + value


@settings(max_examples=200, deadline=None)
@given(text=well_formed_jql())
def test_well_formed_jql_with_any_values_is_accepted(text: str) -> None:
    assert wrapping_problem(text) is None


# -- Jira's parse answer -----------------------------------------------------------------------


def answer(**parsed: Any) -> dict[str, Any]:
    return {"queries": [{"query": "q", **parsed}]}


@pytest.mark.parametrize(
    ("reply", "problems"),
    [
        (answer(structure={"where": {}}), []),
        (answer(structure={"where": {}}, warnings=["a deprecation"]), []),
        (answer(errors=["Error in the JQL Query: bad. (line 1, character 3)"]), None),
        (answer(warnings=["The value 'X' does not exist for the field 'project'."]), None),
        (answer(), ["Jira could not validate this JQL."]),
        (answer(structure={"where": {}, "orderBy": {"fields": [{}]}}), [ORDER_BY_REFUSED]),
    ],
)
def test_parse_problems_read_jiras_verdict(reply: Any, problems: list[str] | None) -> None:
    parsed = reply["queries"][0]
    expected = problems if problems is not None else parsed.get("errors") or parsed["warnings"]
    assert parse_problems(reply) == expected


@pytest.mark.parametrize(
    "reply", [None, [], {}, {"queries": []}, {"queries": [1]}, {"queries": [{}, {}]}]
)
def test_an_answer_not_shaped_like_jiras_is_not_read(reply: Any) -> None:
    assert parse_problems(reply) is None
