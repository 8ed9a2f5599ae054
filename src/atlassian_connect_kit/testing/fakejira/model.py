"""The content of a fake Jira site: users, projects, issues and worklogs.

Entities are frozen dataclasses so that one :class:`SiteData` can be shared by every request thread
without locking. :class:`SiteData` checks that the pieces refer to each other consistently and
builds the lookups the server needs (worklogs of an issue in ``started`` order, worklog dates in
the site's zone), so hand-built sites for precise tests behave exactly like generated ones.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

ISSUE_TYPES = ("Epic", "Story", "Task", "Bug", "Sub-task")
"""The issue types a fake site knows, from the top of the hierarchy down."""

EPIC = "Epic"
"""The issue type that groups stories, tasks and bugs."""

SUB_TASK = "Sub-task"
"""The issue type whose parent is a story, task or bug."""

EMBEDDED_WORKLOG_LIMIT = 20
"""How many worklogs Jira embeds in an issue found by search; "heavy" issues have more."""

DEFAULT_ISSUE_TIMESTAMP = datetime(2020, 1, 1, tzinfo=UTC)
"""``created``/``updated`` of hand-built issues that do not say, so such tests need not care."""


@dataclass(frozen=True, slots=True)
class User:
    """An Atlassian account on the site.

    ``time_zone`` is an IANA zone name, or ``None`` when the user hides it; Jira then leaves
    ``timeZone`` out of the user's JSON. ``project_keys`` are the projects the user may browse;
    ``administrator`` holds the Administer Jira global permission (listing group members needs it).
    """

    account_id: str
    display_name: str
    email_address: str
    time_zone: str | None
    active: bool = True
    locale: str = "en_US"
    project_keys: frozenset[str] = frozenset()
    administrator: bool = False


@dataclass(frozen=True, slots=True)
class Group:
    """A Jira group: its id (a UUID in Jira), its name and the accountIds of its members."""

    group_id: str
    name: str
    members: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Project:
    """A Jira project."""

    id: str
    key: str
    name: str


@dataclass(frozen=True, slots=True)
class Issue:
    """A Jira issue; ``parent_key`` is the epic of a standard issue or the parent of a sub-task.

    ``components``, ``fix_versions``, ``labels`` and ``sprints`` are names (a sprint's name is
    its identity here; its id is derived). ``custom_values`` holds ``(field id, option value)``
    pairs of select-list custom fields, e.g. ``("customfield_10050", "Billable")``; a field may
    appear more than once (a multi-select).
    """

    id: str
    key: str
    summary: str
    issue_type: str
    project_key: str
    parent_key: str | None = None
    created: datetime = DEFAULT_ISSUE_TIMESTAMP
    updated: datetime = DEFAULT_ISSUE_TIMESTAMP
    components: tuple[str, ...] = ()
    fix_versions: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    sprints: tuple[str, ...] = ()
    custom_values: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.issue_type not in ISSUE_TYPES:
            raise ValueError(f"issue {self.key}: unknown issue type {self.issue_type!r}")
        if self.created.tzinfo is None or self.updated.tzinfo is None:
            raise ValueError(f"issue {self.key}: created and updated must be timezone-aware")


@dataclass(frozen=True, slots=True)
class CustomField:
    """A select-list custom field of the site: id (``customfield_10050``) and name."""

    id: str
    name: str


SPRINT_FIELD = CustomField("customfield_10020", "Sprint")
"""Jira Software's sprint field, as most sites have it."""


@dataclass(frozen=True, slots=True)
class Worklog:
    """Time logged by ``author_account_id`` on an issue.

    ``started`` is timezone-aware; any zone will do, since Jira stores an instant. ``created``
    defaults to the end of the work, ``updated`` to ``created`` and the update author to the
    author. ``comment`` is plain text, served as an Atlassian Document Format document.
    """

    id: str
    issue_id: str
    author_account_id: str
    started: datetime
    time_spent_seconds: int
    comment: str | None = None
    created: datetime | None = None
    updated: datetime | None = None
    update_author_account_id: str | None = None

    def __post_init__(self) -> None:
        if self.started.tzinfo is None:
            raise ValueError(f"worklog {self.id}: started must be timezone-aware")
        if self.time_spent_seconds <= 0:
            raise ValueError(f"worklog {self.id}: time spent must be positive")
        if self.created is None:
            # Arithmetic on aware datetimes is wall-clock arithmetic within their zone; in UTC it
            # is elapsed time, which is what the work took even across a clock change.
            ended = self.started.astimezone(UTC) + timedelta(seconds=self.time_spent_seconds)
            object.__setattr__(self, "created", ended)
        if self.updated is None:
            object.__setattr__(self, "updated", self.created)
        if self.update_author_account_id is None:
            object.__setattr__(self, "update_author_account_id", self.author_account_id)

    @property
    def created_at(self) -> datetime:
        """``created``, typed as always present (it is filled in on construction)."""
        assert self.created is not None
        return self.created

    @property
    def updated_at(self) -> datetime:
        """``updated``, typed as always present (it is filled in on construction)."""
        assert self.updated is not None
        return self.updated

    @property
    def updated_by(self) -> str:
        """The accountId of the last person to change the worklog."""
        assert self.update_author_account_id is not None
        return self.update_author_account_id

    @property
    def started_epoch_ms(self) -> int:
        """``started`` as a UNIX timestamp in milliseconds, the unit of Jira's worklog filters."""
        return int(self.started.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class WorklogFacts:
    """What JQL's worklog clauses need to know about one issue, in the site's zone."""

    dates: frozenset[date]
    authors: frozenset[str]

    @property
    def first_date(self) -> date | None:
        """The earliest day with a worklog, or ``None`` when the issue has none."""
        return min(self.dates) if self.dates else None

    @property
    def last_date(self) -> date | None:
        """The latest day with a worklog, or ``None`` when the issue has none."""
        return max(self.dates) if self.dates else None


_T = TypeVar("_T")

_NO_WORKLOG_FACTS = WorklogFacts(frozenset(), frozenset())


@dataclass(frozen=True)
class SiteData:
    """Everything a fake site serves, validated and indexed on construction.

    ``time_zone`` is the site's default zone: JQL's ``worklogDate`` is evaluated in it, and dates
    are rendered in it for callers without a zone of their own (the app, users hiding theirs).
    Sequences may be lists; they are stored as tuples. Raises ``ValueError`` when an entity refers
    to one that does not exist or an id or key is used twice.
    """

    users: Sequence[User]
    projects: Sequence[Project]
    issues: Sequence[Issue]
    worklogs: Sequence[Worklog] = ()
    time_zone: str = "UTC"
    groups: Sequence[Group] = ()
    custom_fields: Sequence[CustomField] = ()
    _users: dict[str, User] = field(init=False, repr=False, compare=False)
    _projects: dict[str, Project] = field(init=False, repr=False, compare=False)
    _project_ids: dict[str, Project] = field(init=False, repr=False, compare=False)
    _issues_by_id: dict[str, Issue] = field(init=False, repr=False, compare=False)
    _issues_by_key: dict[str, Issue] = field(init=False, repr=False, compare=False)
    _worklogs: dict[str, Worklog] = field(init=False, repr=False, compare=False)
    _issue_worklogs: dict[str, tuple[Worklog, ...]] = field(init=False, repr=False, compare=False)
    _issue_started_ms: dict[str, list[int]] = field(init=False, repr=False, compare=False)
    _facts: dict[str, WorklogFacts] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("users", "projects", "issues", "worklogs", "groups", "custom_fields"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        zone = ZoneInfo(self.time_zone)
        users = _unique(self.users, lambda user: user.account_id, "user accountId")
        projects = _unique(self.projects, lambda project: project.key, "project key")
        project_ids = _unique(self.projects, lambda project: project.id, "project id")
        issues_by_id = _unique(self.issues, lambda issue: issue.id, "issue id")
        issues_by_key = _unique(self.issues, lambda issue: issue.key, "issue key")
        worklogs = _unique(self.worklogs, lambda worklog: worklog.id, "worklog id")
        _unique(self.groups, lambda group: group.group_id, "group id")
        _unique(self.groups, lambda group: group.name.casefold(), "group name")
        for group in self.groups:
            strangers = group.members - users.keys()
            if strangers:
                raise ValueError(f"group {group.name}: unknown members {sorted(strangers)}")
        for user in self.users:
            unknown = user.project_keys - projects.keys()
            if unknown:
                raise ValueError(f"user {user.account_id}: unknown projects {sorted(unknown)}")
        field_ids = {field.id for field in self.custom_fields}
        for issue in self.issues:
            unknown_fields = {field_id for field_id, _ in issue.custom_values} - field_ids
            if unknown_fields:
                raise ValueError(f"issue {issue.key}: unknown fields {sorted(unknown_fields)}")
            if issue.project_key not in projects:
                raise ValueError(f"issue {issue.key}: unknown project {issue.project_key}")
            if issue.parent_key is not None and issue.parent_key not in issues_by_key:
                raise ValueError(f"issue {issue.key}: unknown parent {issue.parent_key}")
        grouped: dict[str, list[Worklog]] = {}
        for worklog in self.worklogs:
            if worklog.issue_id not in issues_by_id:
                raise ValueError(f"worklog {worklog.id}: unknown issue {worklog.issue_id}")
            for account_id in (worklog.author_account_id, worklog.updated_by):
                if account_id not in users:
                    raise ValueError(f"worklog {worklog.id}: unknown user {account_id}")
            grouped.setdefault(worklog.issue_id, []).append(worklog)
        issue_worklogs: dict[str, tuple[Worklog, ...]] = {}
        started_ms: dict[str, list[int]] = {}
        facts: dict[str, WorklogFacts] = {}
        for issue_id, logs in grouped.items():
            keyed = sorted((log.started_epoch_ms, _id_order(log.id), log) for log in logs)
            issue_worklogs[issue_id] = tuple(entry[2] for entry in keyed)
            started_ms[issue_id] = [entry[0] for entry in keyed]
            facts[issue_id] = WorklogFacts(
                dates=frozenset(log.started.astimezone(zone).date() for log in logs),
                authors=frozenset(log.author_account_id for log in logs),
            )
        object.__setattr__(self, "_users", users)
        object.__setattr__(self, "_projects", projects)
        object.__setattr__(self, "_project_ids", project_ids)
        object.__setattr__(self, "_issues_by_id", issues_by_id)
        object.__setattr__(self, "_issues_by_key", issues_by_key)
        object.__setattr__(self, "_worklogs", worklogs)
        object.__setattr__(self, "_issue_worklogs", issue_worklogs)
        object.__setattr__(self, "_issue_started_ms", started_ms)
        object.__setattr__(self, "_facts", facts)

    @property
    def zone(self) -> ZoneInfo:
        """The site's default zone as a ``ZoneInfo``."""
        return ZoneInfo(self.time_zone)

    def user(self, account_id: str) -> User | None:
        """Return the user with this accountId, or ``None``."""
        return self._users.get(account_id)

    def group(self, group_id: str | None, name: str | None) -> Group | None:
        """Return the group with this id, else this name (any case), or ``None``."""
        for group in self.groups:
            if group.group_id == group_id or (
                group_id is None and name is not None and group.name.casefold() == name.casefold()
            ):
                return group
        return None

    def project(self, key_or_id: str) -> Project | None:
        """Return the project with this key (any case) or id, or ``None``."""
        return self._projects.get(key_or_id.upper()) or self._project_ids.get(key_or_id)

    def issue(self, id_or_key: str) -> Issue | None:
        """Return the issue with this id or key (any case), or ``None``."""
        return self._issues_by_id.get(id_or_key) or self._issues_by_key.get(id_or_key.upper())

    def worklog(self, worklog_id: str) -> Worklog | None:
        """Return the worklog with this id, or ``None``."""
        return self._worklogs.get(worklog_id)

    def worklogs_of(self, issue_id: str) -> tuple[Worklog, ...]:
        """Return an issue's worklogs ordered by ``started`` (then id), as Jira lists them."""
        return self._issue_worklogs.get(issue_id, ())

    def worklogs_started_between(
        self, issue_id: str, after_ms: int | None, before_ms: int | None
    ) -> tuple[Worklog, ...]:
        """Return an issue's worklogs with ``after_ms <= started < before_ms`` (epoch ms).

        A missing bound is open. The interval is half-open so that adjacent windows neither
        overlap nor leave a gap.
        """
        logs = self._issue_worklogs.get(issue_id, ())
        starts = self._issue_started_ms.get(issue_id, [])
        low = 0 if after_ms is None else bisect.bisect_left(starts, after_ms)
        high = len(logs) if before_ms is None else bisect.bisect_left(starts, before_ms)
        return logs[low:high]

    def worklog_facts(self, issue_id: str) -> WorklogFacts:
        """Return the worklog dates (in the site's zone) and authors of an issue."""
        return self._facts.get(issue_id, _NO_WORKLOG_FACTS)

    def projects_visible_to(self, account_id: str | None) -> frozenset[str]:
        """Return the keys of the projects a user may browse; ``None`` means the app: all."""
        if account_id is None:
            return frozenset(self._projects)
        user = self._users.get(account_id)
        return user.project_keys if user is not None else frozenset()


def issue_key_order(issue: Issue) -> tuple[str, int]:
    """Sort key that orders issue keys like Jira: by project key, then numerically."""
    project, _, number = issue.key.rpartition("-")
    return (project, int(number)) if number.isdigit() else (issue.key, 0)


def _id_order(identifier: str) -> tuple[int, str]:
    # Jira ids are numeric strings; order them as numbers so "100" follows "99".
    return (int(identifier), "") if identifier.isdigit() else (0, identifier)


def _unique(items: Iterable[_T], key_of: Callable[[_T], str], what: str) -> dict[str, _T]:
    indexed: dict[str, _T] = {}
    for item in items:
        key = key_of(item)
        if key in indexed:
            raise ValueError(f"duplicate {what} {key!r}")
        indexed[key] = item
    return indexed
