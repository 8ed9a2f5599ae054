r"""The subset of JQL a timesheet needs: parsing, checking against a site, and evaluation.

Understood: ``worklogDate`` with ``= > >= < <=`` and a ``yyyy-MM-dd`` or ``yyyy/MM/dd`` date;
``worklogAuthor`` with ``=`` or ``in``; ``project``, ``issuekey`` (alias ``key``, ``issue``,
``id``), ``parent`` and ``issuetype`` (alias ``type``, by name, any case) with ``= != in``/``not
in``; ``component``, ``fixVersion``, ``labels``, ``sprint`` (by name) and select custom fields
(``cf[10050]`` or ``customfield_10050``, by option value) with ``= != in``/``not in`` and
``IS [NOT] EMPTY``; ``summary`` with ``~``/``!~`` (contains the
text, ignoring case, where Jira matches words); ``IS [NOT] EMPTY`` (or ``NULL``) on ``project``,
``parent`` and ``summary``; ``AND``, ``OR``, ``NOT`` and parentheses; ``ORDER BY
key|created|updated [ASC|DESC]``. Projects are named by key (any case) or id, issues by key or
id, authors by accountId. Anything else is refused the way Jira refuses it, with the messages of
a 400 response.

Strings are lexed like Jira's lexer does: ``"..."`` and ``'...'`` quote, and a backslash escapes
inside and outside quotes alike (``\t \n \r \" \' \\``, an escaped space and ``\uXXXX``; any
other escape is an error), so ``a\"b`` is the one unquoted value ``a"b``.

Like Jira, each worklog clause is evaluated on its own: ``worklogDate >= a AND worklogDate <= b``
matches an issue with some worklog on or after ``a`` and some worklog on or before ``b``, not
necessarily the same one, and ``worklogDate`` compares the worklog's day in the site's zone.
Clients therefore pad their range and filter worklogs exactly afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NoReturn

from atlassian_connect_kit.testing.fakejira.model import (
    ISSUE_TYPES,
    Issue,
    SiteData,
    issue_key_order,
)

MAX_ORDER_FIELDS = 7
"""Jira allows at most this many fields in ``ORDER BY``."""

_FIELD_ALIASES = {
    "worklogdate": "worklogDate",
    "worklogauthor": "worklogAuthor",
    "project": "project",
    "issuekey": "issuekey",
    "key": "issuekey",
    "issue": "issuekey",
    "id": "issuekey",
    "parent": "parent",
    "summary": "summary",
    "issuetype": "issuetype",
    "type": "issuetype",
    "component": "component",
    "fixversion": "fixVersion",
    "labels": "labels",
    "sprint": "sprint",
}
# Fields holding a list of names (custom select fields, "customfield_N", are such fields too).
_LIST_FIELDS = ("component", "fixVersion", "labels", "sprint")
_LIST_OPERATORS = ("=", "!=", "in", "not in", "is", "is not")
_CUSTOM_FIELD = re.compile(r"(?:cf\[(\d+)\]|customfield_(\d+))", re.IGNORECASE)
_OPERATORS = {
    "worklogDate": ("=", ">", ">=", "<", "<="),
    "worklogAuthor": ("=", "in"),
    "project": ("=", "!=", "in", "not in", "is", "is not"),
    "issuekey": ("=", "!=", "in", "not in"),
    "parent": ("=", "!=", "in", "not in", "is", "is not"),
    "summary": ("~", "!~", "is", "is not"),
    "issuetype": ("=", "!=", "in", "not in"),
    **dict.fromkeys(_LIST_FIELDS, _LIST_OPERATORS),
}
_EMPTINESS_OPERATORS = ("is", "is not")
_VALID_OPERATORS = (
    "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' "
    "and 'IS NOT'."
)
_ORDER_FIELDS = {"key": "key", "issuekey": "key", "created": "created", "updated": "updated"}
_KEYWORDS = frozenset(
    {"and", "or", "not", "in", "order", "by", "asc", "desc", "is", "was", "empty", "null"}
)
_EMPTY_WORDS = frozenset({"empty", "null"})
_DATE_FORMATS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
)
# Jira's escapes: \t \n \r \" \' \\, an escaped space and \uXXXX.
_ESCAPE = r"\\(?:[tnr\"'\\ ]|u[0-9a-fA-F]{4})"
_ESCAPE_PATTERN = re.compile(_ESCAPE)
_ESCAPED_CHARACTERS = {"t": "\t", "n": "\n", "r": "\r"}
_QUOTED_ESCAPES = {"\\": "\\\\", '"': '\\"', "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_.-]+")
_TOKEN_PATTERN = re.compile(
    rf"""
    (?P<space>\s+)
    | (?P<punct>[(),])
    | (?P<op>!=|>=|<=|!~|=|>|<|~)
    | (?P<string>"(?:{_ESCAPE}|[^"\\])*"|'(?:{_ESCAPE}|[^'\\])*')
    | (?P<word>(?:{_ESCAPE}|[^\s(),=!<>~"'\\])+)
    """,
    re.VERBOSE,
)
_ECHO_LIMIT = 60


class JqlError(Exception):
    """The query is not valid JQL for this site; ``messages`` are Jira's ``errorMessages``."""

    def __init__(self, *messages: str) -> None:
        super().__init__(" ".join(messages))
        self.messages = list(messages)


@dataclass(frozen=True, slots=True)
class Clause:
    """``field operator value(s)``; ``field`` is the canonical name, ``operator`` lower case.

    ``IS EMPTY`` and ``IS NOT EMPTY`` have the operators ``is`` and ``is not`` and no values.
    """

    field: str
    operator: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AllOf:
    """Clauses joined by ``AND``."""

    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Clauses joined by ``OR``."""

    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Negation:
    """``NOT`` a condition."""

    part: Condition


Condition = Clause | AllOf | AnyOf | Negation
"""A node of the ``WHERE`` part of a query."""


@dataclass(frozen=True, slots=True)
class SortKey:
    """One ``ORDER BY`` field: ``key``, ``created`` or ``updated``."""

    field: str
    descending: bool


@dataclass(frozen=True, slots=True)
class JqlQuery:
    """A parsed query; ``where`` is ``None`` when the query restricts nothing (unbounded)."""

    where: Condition | None
    order_by: tuple[SortKey, ...]

    @property
    def is_bounded(self) -> bool:
        """Whether the query has a search restriction, which ``/search/jql`` insists on."""
        return self.where is not None


@dataclass(frozen=True, slots=True)
class JqlToken:
    """One lexical token: ``kind`` is ``punct``, ``op``, ``string`` or ``word``; ``position`` is
    the offset of its first character in the query."""

    kind: str
    text: str
    position: int

    @property
    def keyword(self) -> str | None:
        """The reserved word this token is, lower case, or ``None``."""
        lowered = self.text.lower()
        return lowered if self.kind == "word" and lowered in _KEYWORDS else None

    @property
    def value(self) -> str:
        """The text the token stands for: quotes removed and escapes resolved."""
        return _unescape(self.text[1:-1] if self.kind == "string" else self.text)


def _unescape(text: str) -> str:
    def resolve(escape: re.Match[str]) -> str:
        character = escape.group()[1]
        if character == "u":
            return chr(int(escape.group()[2:], 16))
        return _ESCAPED_CHARACTERS.get(character, character)

    return _ESCAPE_PATTERN.sub(resolve, text)


def encode_jql_value(value: str) -> str:
    """``value`` as JQL text: bare when it is a plain word, else double-quoted with escapes."""
    if _PLAIN_VALUE.fullmatch(value) and value.lower() not in _KEYWORDS:
        return value
    escaped = "".join(_QUOTED_ESCAPES.get(character, character) for character in value)
    return f'"{escaped}"'


def tokenize_jql(text: str) -> list[JqlToken]:
    """Split ``text`` into tokens as Jira's lexer does (whitespace dropped).

    Raises :class:`JqlError` at the first character no token can start with, an escape Jira does
    not know, or a quoted string that is not closed.
    """
    tokens = []
    position = 0
    while position < len(text):
        found = _TOKEN_PATTERN.match(text, position)
        if found is None or found.lastgroup is None:
            raise JqlError(f"Error in the JQL Query: {_lexical_problem(text, position)}")
        if found.lastgroup != "space":
            tokens.append(JqlToken(found.lastgroup, found.group(), position))
        position = found.end()
    return tokens


def _lexical_problem(text: str, position: int) -> str:
    """Why no token starts at ``position``, with the place Jira would name."""
    character = text[position]
    if character in "\"'":
        # Inside the string either an unknown escape or the missing closing quote is at fault.
        inner = position + 1
        while inner < len(text) and text[inner] != character:
            if text[inner] == "\\":
                if not _ESCAPE_PATTERN.match(text, inner):
                    return _bad_escape(text, inner)
                inner += 1
            inner += 1
        return (
            "The quoted string starting here is not terminated. "
            f"{_describe_position(text, position)}"
        )
    if character == "\\":
        return _bad_escape(text, position)
    return f"The character '{character}' is not understood. {_describe_position(text, position)}"


def _bad_escape(text: str, position: int) -> str:
    sequence = text[position : position + 2]
    return (
        f"The escape sequence '{sequence}' is not valid. Valid escapes are \\t, \\n, \\r, "
        f"\\\", \\', \\\\, '\\ ' and \\uXXXX. {_describe_position(text, position)}"
    )


def _describe_position(text: str, position: int) -> str:
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return f"(line {line}, character {column})"


def parse_jql(text: str) -> JqlQuery:
    """Parse ``text``; raise :class:`JqlError` with Jira-like messages when it is not understood."""
    return _Parser(text).parse()


def select_issues(query: JqlQuery, data: SiteData, visible_projects: frozenset[str]) -> list[Issue]:
    """Return the issues of ``visible_projects`` matching ``query``, in its order.

    Values are checked first, as Jira does: a project, issue or account the caller cannot see is
    reported with one message per value. Without ``ORDER BY`` issues come in key order.
    """
    matches = compile_condition(query.where, data, visible_projects)
    found = [
        issue for issue in data.issues if issue.project_key in visible_projects and matches(issue)
    ]
    found.sort(key=issue_key_order)
    for sort_key in reversed(query.order_by):
        found.sort(key=_SORTERS[sort_key.field], reverse=sort_key.descending)
    return found


def compile_condition(
    condition: Condition | None, data: SiteData, visible_projects: frozenset[str]
) -> Callable[[Issue], bool]:
    """Turn a condition into a predicate, checking every value against what the caller sees."""
    findings = _Findings()
    predicate = _compile(condition, data, visible_projects, findings)
    if findings.messages:
        raise JqlError(*findings.messages)
    return predicate


def check_values(
    query: JqlQuery, data: SiteData, visible_projects: frozenset[str]
) -> tuple[list[str], list[str]]:
    """Validate the values of a parsed query the way ``/jql/parse`` does: ``(errors, warnings)``.

    A value in the wrong format (a date) is an error; a project, issue or account the caller cannot
    see is a warning, as in Jira's answer. A search refuses both alike.
    """
    findings = _Findings()
    _compile(query.where, data, visible_projects, findings)
    return findings.errors, findings.warnings


@dataclass(slots=True)
class _Findings:
    """What checking a query's values found, in order, each an error or a warning."""

    found: list[tuple[str, bool]] = field(default_factory=list)

    def error(self, message: str) -> None:
        self.found.append((message, False))

    def warning(self, message: str) -> None:
        self.found.append((message, True))

    @property
    def messages(self) -> list[str]:
        return [message for message, _ in self.found]

    @property
    def errors(self) -> list[str]:
        return [message for message, warning in self.found if not warning]

    @property
    def warnings(self) -> list[str]:
        return [message for message, warning in self.found if warning]


def _sort_by_created(issue: Issue) -> float:
    return issue.created.timestamp()


def _sort_by_updated(issue: Issue) -> float:
    return issue.updated.timestamp()


_SORTERS: dict[str, Callable[[Issue], tuple[str, int] | float]] = {
    "key": issue_key_order,
    "created": _sort_by_created,
    "updated": _sort_by_updated,
}


def _project_is_empty(issue: Issue) -> bool:
    return False  # every issue belongs to a project


def _parent_is_empty(issue: Issue) -> bool:
    return issue.parent_key is None


def _summary_is_empty(issue: Issue) -> bool:
    return not issue.summary


_IS_EMPTY: dict[str, Callable[[Issue], bool]] = {
    "project": _project_is_empty,
    "parent": _parent_is_empty,
    "summary": _summary_is_empty,
}


def _compile(
    condition: Condition | None, data: SiteData, visible: frozenset[str], findings: _Findings
) -> Callable[[Issue], bool]:
    if condition is None:
        return lambda issue: True
    if isinstance(condition, AllOf):
        parts = [_compile(part, data, visible, findings) for part in condition.parts]
        return lambda issue: all(part(issue) for part in parts)
    if isinstance(condition, AnyOf):
        parts = [_compile(part, data, visible, findings) for part in condition.parts]
        return lambda issue: any(part(issue) for part in parts)
    if isinstance(condition, Negation):
        inner = _compile(condition.part, data, visible, findings)
        return lambda issue: not inner(issue)
    return _compile_clause(condition, data, visible, findings)


def _compile_clause(
    clause: Clause, data: SiteData, visible: frozenset[str], findings: _Findings
) -> Callable[[Issue], bool]:
    if clause.field in _LIST_FIELDS or clause.field.startswith("customfield_"):
        return _list_field_predicate(clause, data, findings)
    if clause.operator in _EMPTINESS_OPERATORS:
        is_empty = _IS_EMPTY[clause.field]
        if clause.operator == "is":
            return is_empty
        return lambda issue: not is_empty(issue)
    if clause.field == "summary":
        text = clause.values[0].casefold()
        if clause.operator == "~":
            return lambda issue: text in issue.summary.casefold()
        return lambda issue: text not in issue.summary.casefold()
    if clause.field == "worklogDate":
        return _worklog_date_predicate(clause, data, findings)
    if clause.field == "worklogAuthor":
        authors = frozenset(_known_accounts(clause.values, data, findings))
        return lambda issue: not authors.isdisjoint(data.worklog_facts(issue.id).authors)
    negated = clause.operator in ("!=", "not in")
    if clause.field == "issuetype":
        types = frozenset(_known_issue_types(clause.values, findings))
        if negated:
            return lambda issue: issue.issue_type.casefold() not in types
        return lambda issue: issue.issue_type.casefold() in types
    if clause.field == "project":
        keys = frozenset(_visible_projects(clause.values, data, visible, findings))
        if negated:
            return lambda issue: issue.project_key not in keys
        return lambda issue: issue.project_key in keys
    targets = frozenset(_visible_issue_keys(clause, data, visible, findings))
    if clause.field == "parent":
        if negated:
            return lambda issue: issue.parent_key is not None and issue.parent_key not in targets
        return lambda issue: issue.parent_key in targets
    if negated:
        return lambda issue: issue.key not in targets
    return lambda issue: issue.key in targets


def list_field_values(issue: Issue, field: str) -> tuple[str, ...]:
    """The names an issue holds in a list field (components, versions, labels, sprints, or the
    options of a custom field ``customfield_N``)."""
    if field == "component":
        return issue.components
    if field == "fixVersion":
        return issue.fix_versions
    if field == "labels":
        return issue.labels
    if field == "sprint":
        return issue.sprints
    return tuple(value for field_id, value in issue.custom_values if field_id == field)


def _list_field_predicate(
    clause: Clause, data: SiteData, findings: _Findings
) -> Callable[[Issue], bool]:
    field = clause.field
    if clause.operator in _EMPTINESS_OPERATORS:
        empty = clause.operator == "is"
        return lambda issue: (not list_field_values(issue, field)) == empty
    known = {value.casefold() for issue in data.issues for value in list_field_values(issue, field)}
    wanted = set()
    for value in clause.values:
        if value.casefold() in known:
            wanted.add(value.casefold())
        elif field != "labels":  # any text is a label; other fields name things that must exist
            name = field if not field.startswith("customfield_") else f"cf[{field[12:]}]"
            findings.warning(f"The value '{_echo(value)}' does not exist for the field '{name}'.")
    if clause.operator in ("!=", "not in"):
        # As in Jira, an issue without a value matches neither "=" nor "!=".
        return lambda issue: (
            bool(list_field_values(issue, field))
            and not any(value.casefold() in wanted for value in list_field_values(issue, field))
        )
    return lambda issue: any(
        value.casefold() in wanted for value in list_field_values(issue, field)
    )


def _worklog_date_predicate(
    clause: Clause, data: SiteData, findings: _Findings
) -> Callable[[Issue], bool]:
    day = _parse_date(clause.values[0])
    if day is None:
        findings.error(
            f"Date value '{_echo(clause.values[0])}' for field 'worklogDate' is invalid. "
            "Valid formats include: 'yyyy/MM/dd', 'yyyy-MM-dd'."
        )
        return lambda issue: False

    def matches(issue: Issue) -> bool:
        facts = data.worklog_facts(issue.id)
        first, last = facts.first_date, facts.last_date
        if first is None or last is None:
            return False
        if clause.operator == "=":
            return day in facts.dates
        if clause.operator == ">=":
            return last >= day
        if clause.operator == ">":
            return last > day
        if clause.operator == "<=":
            return first <= day
        return first < day

    return matches


def _parse_date(value: str) -> date | None:
    for pattern in _DATE_FORMATS:
        found = pattern.match(value.strip())
        if found:
            try:
                return date(*(int(part) for part in found.groups()))
            except ValueError:
                return None
    return None


def _known_accounts(values: Sequence[str], data: SiteData, findings: _Findings) -> list[str]:
    known = []
    for value in values:
        if data.user(value) is None:
            findings.warning(
                f"The value '{_echo(value)}' does not exist for the field 'worklogAuthor'."
            )
        else:
            known.append(value)
    return known


def _known_issue_types(values: Sequence[str], findings: _Findings) -> list[str]:
    known = []
    names = {name.casefold() for name in ISSUE_TYPES}
    for value in values:
        if value.casefold() in names:
            known.append(value.casefold())
        else:
            findings.warning(
                f"The value '{_echo(value)}' does not exist for the field 'issuetype'."
            )
    return known


def _visible_projects(
    values: Sequence[str], data: SiteData, visible: frozenset[str], findings: _Findings
) -> list[str]:
    keys = []
    for value in values:
        project = data.project(value)
        if project is None or project.key not in visible:
            findings.warning(f"The value '{_echo(value)}' does not exist for the field 'project'.")
        else:
            keys.append(project.key)
    return keys


def _visible_issue_keys(
    clause: Clause, data: SiteData, visible: frozenset[str], findings: _Findings
) -> list[str]:
    keys = []
    field_name = "key" if clause.field == "issuekey" else clause.field
    for value in clause.values:
        issue = data.issue(value)
        if issue is None or issue.project_key not in visible:
            findings.warning(
                f"An issue with key '{_echo(value)}' does not exist for field '{field_name}'."
            )
        else:
            keys.append(issue.key)
    return keys


def _echo(value: str) -> str:
    # Messages quote the offending value, shortened so a huge value cannot bloat the response.
    return value if len(value) <= _ECHO_LIMIT else value[:_ECHO_LIMIT] + "…"


class _Parser:
    """Recursive descent over the tokens; ``OR`` binds loosest, then ``AND``, then ``NOT``."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._tokens = tokenize_jql(text)
        self._index = 0

    def parse(self) -> JqlQuery:
        where: Condition | None = None
        if self._peek() is not None and not self._at_keyword("order"):
            where = self._or()
        order_by: tuple[SortKey, ...] = ()
        if self._at_keyword("order"):
            order_by = self._order_by()
        token = self._peek()
        if token is not None:
            self._fail("'AND', 'OR' or 'ORDER BY'", token)
        return JqlQuery(where, order_by)

    def _or(self) -> Condition:
        parts = [self._and()]
        while self._at_keyword("or"):
            self._index += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else AnyOf(tuple(parts))

    def _and(self) -> Condition:
        parts = [self._not()]
        while self._at_keyword("and"):
            self._index += 1
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def _not(self) -> Condition:
        if self._at_keyword("not"):
            self._index += 1
            return Negation(self._not())
        token = self._expect("a field name or '('")
        if token.kind == "punct" and token.text == "(":
            inner = self._or()
            self._expect_punct(")")
            return inner
        if token.kind not in ("word", "string") or token.keyword is not None:
            self._fail("a field name", token)
        return self._clause(token)

    def _clause(self, field_token: JqlToken) -> Clause:
        field = _FIELD_ALIASES.get(field_token.value.lower())
        custom = _CUSTOM_FIELD.fullmatch(field_token.value)
        if custom is not None:
            field = f"customfield_{custom.group(1) or custom.group(2)}"
        if field is None:
            raise JqlError(
                f"Field '{_echo(field_token.value)}' does not exist or you do not have "
                "permission to view it."
            )
        operator = self._operator()
        if operator not in _OPERATORS.get(field, _LIST_OPERATORS):
            raise JqlError(f"The operator '{operator}' is not supported by the '{field}' field.")
        if operator in _EMPTINESS_OPERATORS:
            token = self._expect("'EMPTY'")
            if token.keyword not in _EMPTY_WORDS:
                self._fail("'EMPTY'", token)
            return Clause(field, operator, ())
        if operator in ("in", "not in"):
            return Clause(field, operator, self._value_list())
        return Clause(field, operator, (self._value(),))

    def _operator(self) -> str:
        token = self._expect("operator")
        if token.kind == "op":
            return token.text
        if token.keyword == "in":
            return "in"
        if token.keyword == "not":
            follower = self._expect("'IN'")
            if follower.keyword == "in":
                return "not in"
            self._fail("'IN'", follower)
        if token.keyword == "is":
            following = self._peek()
            if following is not None and following.keyword == "not":
                self._index += 1
                return "is not"
            return "is"
        if token.keyword == "was":
            raise JqlError(f"The operator '{token.text.upper()}' is not supported by this site.")
        self._fail("operator", token, hint=_VALID_OPERATORS)

    def _value(self) -> str:
        token = self._expect("either a value, list or function")
        if token.kind == "string" or (token.kind == "word" and token.keyword is None):
            following = self._peek()
            if token.kind == "word" and following is not None and following.text == "(":
                raise JqlError(
                    f"Error in the JQL Query: the function '{_echo(token.text)}' is not "
                    f"supported here. {self._where(token)}"
                )
            return token.value
        self._fail("either a value, list or function", token)

    def _value_list(self) -> tuple[str, ...]:
        self._expect_punct("(")
        values = [self._value()]
        while True:
            token = self._expect("')'")
            if token.kind == "punct" and token.text == ",":
                values.append(self._value())
            elif token.kind == "punct" and token.text == ")":
                return tuple(values)
            else:
                self._fail("')'", token)

    def _order_by(self) -> tuple[SortKey, ...]:
        self._index += 1
        by = self._expect("'BY'")
        if by.keyword != "by":
            self._fail("'BY'", by)
        keys = []
        while True:
            token = self._expect("a field name")
            field = _ORDER_FIELDS.get(token.value.lower())
            if field is None:
                raise JqlError(f"Not able to sort using field '{_echo(token.value)}'.")
            descending = False
            following = self._peek()
            if following is not None and following.keyword in ("asc", "desc"):
                descending = following.keyword == "desc"
                self._index += 1
            keys.append(SortKey(field, descending))
            following = self._peek()
            if following is None or following.text != ",":
                break
            self._index += 1
        if len(keys) > MAX_ORDER_FIELDS:
            raise JqlError(f"The ORDER BY clause may contain at most {MAX_ORDER_FIELDS} fields.")
        return tuple(keys)

    def _peek(self) -> JqlToken | None:
        return self._tokens[self._index] if self._index < len(self._tokens) else None

    def _at_keyword(self, keyword: str) -> bool:
        token = self._peek()
        return token is not None and token.keyword == keyword

    def _expect(self, expected: str) -> JqlToken:
        token = self._peek()
        if token is None:
            raise JqlError(
                f"Error in the JQL Query: Expecting {expected} before the end of the query."
            )
        self._index += 1
        return token

    def _expect_punct(self, punct: str) -> None:
        token = self._expect(f"'{punct}'")
        if token.kind != "punct" or token.text != punct:
            self._fail(f"'{punct}'", token)

    def _fail(self, expected: str, token: JqlToken, *, hint: str = "") -> NoReturn:
        raise JqlError(
            f"Error in the JQL Query: Expecting {expected} but got '{_echo(token.text)}'. "
            f"{hint + ' ' if hint else ''}{self._where(token)}"
        )

    def _where(self, token: JqlToken) -> str:
        return _describe_position(self._text, token.position)
