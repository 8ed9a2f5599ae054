"""The subset of JQL a timesheet needs: parsing, checking against a site, and evaluation.

Understood: ``worklogDate`` with ``= > >= < <=`` and a ``yyyy-MM-dd`` or ``yyyy/MM/dd`` date;
``worklogAuthor`` with ``=`` or ``in``; ``project``, ``issuekey`` (alias ``key``, ``issue``,
``id``) and ``parent`` with ``= != in``/``not in``; ``AND``, ``OR``, ``NOT`` and parentheses;
``ORDER BY key|created|updated [ASC|DESC]``. Projects are named by key (any case) or id, issues
by key or id, authors by accountId. Anything else is refused the way Jira refuses it, with the
messages of a 400 response.

Like Jira, each worklog clause is evaluated on its own: ``worklogDate >= a AND worklogDate <= b``
matches an issue with some worklog on or after ``a`` and some worklog on or before ``b``, not
necessarily the same one, and ``worklogDate`` compares the worklog's day in the site's zone.
Clients therefore pad their range and filter worklogs exactly afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NoReturn

from atlassian_connect_kit.testing.fakejira.model import Issue, SiteData, issue_key_order

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
}
_OPERATORS = {
    "worklogDate": ("=", ">", ">=", "<", "<="),
    "worklogAuthor": ("=", "in"),
    "project": ("=", "!=", "in", "not in"),
    "issuekey": ("=", "!=", "in", "not in"),
    "parent": ("=", "!=", "in", "not in"),
}
_ORDER_FIELDS = {"key": "key", "issuekey": "key", "created": "created", "updated": "updated"}
_KEYWORDS = frozenset({"and", "or", "not", "in", "order", "by", "asc", "desc", "is", "was"})
_DATE_FORMATS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
)
_TOKEN_PATTERN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<punct>[(),])
    | (?P<op>!=|>=|<=|!~|=|>|<|~)
    | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<word>[^\s(),=!<>~"']+)
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
    """``field operator value(s)``; ``field`` is the canonical name, ``operator`` lower case."""

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
class _Token:
    kind: str
    text: str
    position: int

    @property
    def keyword(self) -> str | None:
        lowered = self.text.lower()
        return lowered if self.kind == "word" and lowered in _KEYWORDS else None

    @property
    def value(self) -> str:
        if self.kind == "string":
            return re.sub(r"\\(.)", r"\1", self.text[1:-1])
        return self.text


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
    problems: list[str] = []
    predicate = _compile(condition, data, visible_projects, problems)
    if problems:
        raise JqlError(*problems)
    return predicate


def _sort_by_created(issue: Issue) -> float:
    return issue.created.timestamp()


def _sort_by_updated(issue: Issue) -> float:
    return issue.updated.timestamp()


_SORTERS: dict[str, Callable[[Issue], tuple[str, int] | float]] = {
    "key": issue_key_order,
    "created": _sort_by_created,
    "updated": _sort_by_updated,
}


def _compile(
    condition: Condition | None, data: SiteData, visible: frozenset[str], problems: list[str]
) -> Callable[[Issue], bool]:
    if condition is None:
        return lambda issue: True
    if isinstance(condition, AllOf):
        parts = [_compile(part, data, visible, problems) for part in condition.parts]
        return lambda issue: all(part(issue) for part in parts)
    if isinstance(condition, AnyOf):
        parts = [_compile(part, data, visible, problems) for part in condition.parts]
        return lambda issue: any(part(issue) for part in parts)
    if isinstance(condition, Negation):
        inner = _compile(condition.part, data, visible, problems)
        return lambda issue: not inner(issue)
    return _compile_clause(condition, data, visible, problems)


def _compile_clause(
    clause: Clause, data: SiteData, visible: frozenset[str], problems: list[str]
) -> Callable[[Issue], bool]:
    if clause.field == "worklogDate":
        return _worklog_date_predicate(clause, data, problems)
    if clause.field == "worklogAuthor":
        authors = frozenset(_known_accounts(clause.values, data, problems))
        return lambda issue: not authors.isdisjoint(data.worklog_facts(issue.id).authors)
    negated = clause.operator in ("!=", "not in")
    if clause.field == "project":
        keys = frozenset(_visible_projects(clause.values, data, visible, problems))
        if negated:
            return lambda issue: issue.project_key not in keys
        return lambda issue: issue.project_key in keys
    targets = frozenset(_visible_issue_keys(clause, data, visible, problems))
    if clause.field == "parent":
        if negated:
            return lambda issue: issue.parent_key is not None and issue.parent_key not in targets
        return lambda issue: issue.parent_key in targets
    if negated:
        return lambda issue: issue.key not in targets
    return lambda issue: issue.key in targets


def _worklog_date_predicate(
    clause: Clause, data: SiteData, problems: list[str]
) -> Callable[[Issue], bool]:
    day = _parse_date(clause.values[0])
    if day is None:
        problems.append(
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


def _known_accounts(values: Sequence[str], data: SiteData, problems: list[str]) -> list[str]:
    known = []
    for value in values:
        if data.user(value) is None:
            problems.append(
                f"The value '{_echo(value)}' does not exist for the field 'worklogAuthor'."
            )
        else:
            known.append(value)
    return known


def _visible_projects(
    values: Sequence[str], data: SiteData, visible: frozenset[str], problems: list[str]
) -> list[str]:
    keys = []
    for value in values:
        project = data.project(value)
        if project is None or project.key not in visible:
            problems.append(f"The value '{_echo(value)}' does not exist for the field 'project'.")
        else:
            keys.append(project.key)
    return keys


def _visible_issue_keys(
    clause: Clause, data: SiteData, visible: frozenset[str], problems: list[str]
) -> list[str]:
    keys = []
    field_name = "key" if clause.field == "issuekey" else clause.field
    for value in clause.values:
        issue = data.issue(value)
        if issue is None or issue.project_key not in visible:
            problems.append(
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
        self._tokens = self._tokenize(text)
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

    def _clause(self, field_token: _Token) -> Clause:
        field = _FIELD_ALIASES.get(field_token.value.lower())
        if field is None:
            raise JqlError(
                f"Field '{_echo(field_token.value)}' does not exist or you do not have "
                "permission to view it."
            )
        operator = self._operator()
        if operator not in _OPERATORS[field]:
            raise JqlError(f"The operator '{operator}' is not supported by the '{field}' field.")
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
        if token.keyword in ("is", "was"):
            raise JqlError(f"The operator '{token.text.upper()}' is not supported by this site.")
        self._fail("operator", token)

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

    def _peek(self) -> _Token | None:
        return self._tokens[self._index] if self._index < len(self._tokens) else None

    def _at_keyword(self, keyword: str) -> bool:
        token = self._peek()
        return token is not None and token.keyword == keyword

    def _expect(self, expected: str) -> _Token:
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

    def _fail(self, expected: str, token: _Token) -> NoReturn:
        raise JqlError(
            f"Error in the JQL Query: Expecting {expected} but got '{_echo(token.text)}'. "
            f"{self._where(token)}"
        )

    def _where(self, token: _Token) -> str:
        return self._describe_position(self._text, token.position)

    @staticmethod
    def _tokenize(text: str) -> list[_Token]:
        tokens = []
        position = 0
        while position < len(text):
            found = _TOKEN_PATTERN.match(text, position)
            if found is None or found.lastgroup is None:
                where = _Parser._describe_position(text, position)
                if text[position] in "\"'":
                    problem = "The quoted string starting here is not terminated."
                else:
                    problem = f"The character '{text[position]}' is not understood."
                raise JqlError(f"Error in the JQL Query: {problem} {where}")
            if found.lastgroup != "space":
                tokens.append(_Token(found.lastgroup, found.group(), position))
            position = found.end()
        return tokens

    @staticmethod
    def _describe_position(text: str, position: int) -> str:
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        return f"(line {line}, character {column})"
