"""Report parameters shared by the timesheet page, its JSON API and its exports.

Every entry point reads the same query string, so one parser decides what a request asks for and
one error type (:class:`ParameterError`) says what is wrong with it. Parsing is pure: the current
date is passed in, never read from a clock.

Query parameters (each single-valued unless noted; an empty value counts as absent):

``from``, ``to``
    ISO dates, both inclusive. Both absent: the preset, else the current week; one absent: the week
    starting (or ending) on the other. At most :data:`MAX_RANGE_DAYS` days.
``preset``
    ``this-week``, ``last-week``, ``this-month``, ``last-month``, ``this-quarter``,
    ``last-quarter``, ``this-year`` or ``last-year``; used when ``from`` and ``to`` are both absent
    (explicit dates win).
``columns``
    ``day`` (default), ``week``, ``month``, ``quarter`` or ``year``.
``week_start``
    ``monday`` (default), ``sunday`` or ``saturday``.
``group``
    One or two of ``user``, ``project``, ``issue``, ``parent``, ``issuetype``, ``component``,
    ``fixversion``, ``label``, ``sprint`` and ``field`` (the custom field named by ``field``),
    comma separated, outermost first. Default ``user``.
``field``
    A custom field id such as ``customfield_10050``: the field ``group=field`` and
    ``fieldvalue`` mean.
``component``, ``fixversion``, ``label``, ``sprint``, ``fieldvalue`` (each repeatable)
    Names to keep: issues with any of them (Jira's search applies them).
``pivot``
    ``user`` or ``project``: the columns are that dimension's values over the whole range
    instead of periods.
``project`` (repeatable, or comma separated)
    Project keys to keep.
``user`` (repeatable, or comma separated)
    Author account ids to keep.
``usergroup`` (repeatable, or comma separated)
    Jira group ids whose members' worklogs to keep (with ``user``: either). The views resolve
    them to account ids as the viewer before the report is made.
``jql``
    An extra JQL clause ANDed into the search; the fetcher wraps it in parentheses, so it must
    keep to them (:func:`~smart_timesheet_plugin.jql.wrapping_problem`).
``tz``
    ``viewer`` (default), ``author`` or an IANA zone name such as ``Europe/Berlin``.
``sort``
    ``label`` (default), ``total`` or a column key: what rows are ordered by.
``order``
    ``asc`` or ``desc``; by default labels run A to Z and numbers largest first.
``expected``
    ``1`` to show each person's expected hours next to their logged hours (``0``, the default,
    leaves them out). Needs rows grouped by ``user`` first and no ``pivot``.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal, TypeGuard, TypeVar, get_args

from smart_timesheet_plugin.jql import wrapping_problem

ColumnUnit = Literal["day", "week", "month", "quarter", "year"]
WeekStart = Literal["monday", "sunday", "saturday"]
GroupDimension = Literal[
    "user",
    "project",
    "issue",
    "parent",
    "issuetype",
    "component",
    "fixversion",
    "label",
    "sprint",
    "field",
]
PivotDimension = Literal["user", "project"]
SortOrder = Literal["label", "total"]
SortDirection = Literal["asc", "desc"]
Preset = Literal[
    "this-week",
    "last-week",
    "this-month",
    "last-month",
    "this-quarter",
    "last-quarter",
    "this-year",
    "last-year",
]

COLUMN_UNITS: Final[tuple[ColumnUnit, ...]] = get_args(ColumnUnit)
WEEK_STARTS: Final[tuple[WeekStart, ...]] = get_args(WeekStart)
GROUP_DIMENSIONS: Final[tuple[GroupDimension, ...]] = get_args(GroupDimension)
SORT_ORDERS: Final[tuple[SortOrder, ...]] = get_args(SortOrder)
SORT_DIRECTIONS: Final[tuple[SortDirection, ...]] = get_args(SortDirection)
PRESETS: Final[tuple[Preset, ...]] = get_args(Preset)
PIVOT_DIMENSIONS: Final[tuple[PivotDimension, ...]] = get_args(PivotDimension)

_Option = TypeVar("_Option", bound=str)

#: Special values of ``tz`` besides IANA zone names.
TZ_VIEWER: Final = "viewer"
TZ_AUTHOR: Final = "author"

#: The longest report, in days: a leap year.
MAX_RANGE_DAYS: Final = 366
#: Earliest and latest dates a report may cover; far outside them dates stop meaning worklogs and
#: time zone arithmetic leaves the range the standard library supports.
EARLIEST_DATE: Final = datetime.date(1900, 1, 1)
LATEST_DATE: Final = datetime.date(2999, 12, 31)
#: Grouping levels a report may have.
MAX_GROUP_LEVELS: Final = 2
#: Longest accepted ``jql`` clause, in characters.
MAX_JQL_LENGTH: Final = 2000
#: Days added on each side of the report range when asking Jira for worklogs by date. Jira compares
#: ``worklogDate`` on the searching user's calendar while the report may count days in another
#: zone; zone offsets span UTC-12 to UTC+14, so the same instant can fall on dates up to two days
#: apart, and a one-day margin would miss worklogs at the extremes.
FETCH_PADDING_DAYS: Final = 2

_WEEKDAY_NUMBER: Final[Mapping[WeekStart, int]] = {"monday": 0, "sunday": 6, "saturday": 5}
_PROJECT_KEY: Final = re.compile(r"[A-Z][A-Z0-9_]{1,254}")
_ACCOUNT_ID: Final = re.compile(r"[A-Za-z0-9:_-]{1,128}")
_GROUP_ID: Final = re.compile(r"[A-Za-z0-9-]{1,128}")
_CUSTOM_FIELD_ID: Final = re.compile(r"customfield_[0-9]{1,18}")
# A column key: a date, a week's first day, a month, a quarter, a year or a pivot value.
_COLUMN_KEY: Final = re.compile(r"[A-Za-z0-9:_.-]{1,128}")
# Zone names are looked up as files by zoneinfo; accepting only this shape keeps odd paths out.
_ZONE_NAME: Final = re.compile(r"[A-Za-z0-9_+-]{1,64}(?:/[A-Za-z0-9_+-]{1,64}){0,3}")
_JQL_FORBIDDEN_CHARACTERS: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ParameterError(ValueError):
    """A query parameter breaks its rules; the view answers HTTP 400 with the message.

    ``parameter`` is the query name at fault (``from``, ``group``, ``tz``...), so a client can point
    at the offending form field.
    """

    def __init__(self, parameter: str, problem: str) -> None:
        super().__init__(f"{parameter}: {problem}")
        self.parameter = parameter


@dataclass(frozen=True, slots=True)
class ReportParams:
    """What one timesheet report shows; validated on construction, so holders can rely on it.

    ``tz`` is ``"viewer"``, ``"author"`` or an IANA zone name. ``projects`` and ``users`` are
    filters (empty: no filter). ``jql`` is extra JQL text, ``""`` when none.
    """

    date_from: datetime.date
    date_to: datetime.date
    columns: ColumnUnit = "day"
    week_start: WeekStart = "monday"
    group: tuple[GroupDimension, ...] = ("user",)
    projects: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    usergroups: tuple[str, ...] = ()
    field: str = ""
    components: tuple[str, ...] = ()
    fixversions: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    sprints: tuple[str, ...] = ()
    fieldvalues: tuple[str, ...] = ()
    pivot: PivotDimension | None = None
    jql: str = ""
    tz: str = TZ_VIEWER
    sort: str = "label"
    order: SortDirection | None = None
    expected: bool = False

    def __post_init__(self) -> None:
        _check_range(self.date_from, self.date_to)
        if self.columns not in COLUMN_UNITS:
            raise ParameterError("columns", f"must be one of {', '.join(COLUMN_UNITS)}")
        if self.week_start not in WEEK_STARTS:
            raise ParameterError("week_start", f"must be one of {', '.join(WEEK_STARTS)}")
        _check_group(self.group)
        for key in self.projects:
            _check_project_key(key)
        for account_id in self.users:
            _check_account_id(account_id)
        for group_id in self.usergroups:
            if not _GROUP_ID.fullmatch(group_id):
                raise ParameterError("usergroup", "group ids are letters, digits and '-'")
        if self.field and not _CUSTOM_FIELD_ID.fullmatch(self.field):
            raise ParameterError("field", "must be a custom field id such as customfield_10050")
        if not self.field and ("field" in self.group or self.fieldvalues):
            raise ParameterError("field", "name the custom field (customfield_NNNNN) to use")
        for name, values in self.name_filters().items():
            for value in values:
                if not value or len(value) > 255 or _JQL_FORBIDDEN_CHARACTERS.search(value):
                    raise ParameterError(name, "names are 1 to 255 characters of text")
        if self.pivot is not None:
            if self.pivot not in PIVOT_DIMENSIONS:
                raise ParameterError("pivot", f"must be one of {', '.join(PIVOT_DIMENSIONS)}")
            if self.pivot in self.group:
                raise ParameterError("pivot", "the columns cannot repeat a grouping level")
        _check_jql(self.jql)
        _check_tz(self.tz)
        if self.sort not in SORT_ORDERS and not _COLUMN_KEY.fullmatch(self.sort):
            raise ParameterError("sort", f"must be {' or '.join(SORT_ORDERS)} or a column key")
        if self.order is not None and self.order not in SORT_DIRECTIONS:
            raise ParameterError("order", f"must be one of {', '.join(SORT_DIRECTIONS)}")
        # Expected hours belong to a person: their rows must be the user rows (or subtotals).
        if self.expected and (self.group[0] != "user" or self.pivot is not None):
            raise ParameterError(
                "expected", "needs rows grouped by user first (group=user) and no pivot"
            )

    def name_filters(self) -> dict[str, tuple[str, ...]]:
        """The filters by name, by query parameter: components, versions, labels, sprints and
        the custom field's values."""
        return {
            "component": self.components,
            "fixversion": self.fixversions,
            "label": self.labels,
            "sprint": self.sprints,
            "fieldvalue": self.fieldvalues,
        }

    @property
    def descending(self) -> bool:
        """Whether rows run from the last label or the largest number first."""
        if self.order is not None:
            return self.order == "desc"
        return self.sort != "label"

    @property
    def day_count(self) -> int:
        """Number of days in the report range, both ends included."""
        return (self.date_to - self.date_from).days + 1

    def jql_worklog_bounds(self) -> tuple[datetime.date, datetime.date]:
        """Inclusive dates for the fetcher's ``worklogDate`` clause: the range padded on both sides.

        The padding (:data:`FETCH_PADDING_DAYS`) makes sure every worklog that any time zone puts
        inside the range is fetched; the report engine drops the extra ones.
        """
        padding = datetime.timedelta(days=FETCH_PADDING_DAYS)
        return self.date_from - padding, self.date_to + padding

    def to_query(self) -> dict[str, list[str]]:
        """Render back to query parameters (dates explicit, defaults left out), e.g. export links.

        ``parse_report_params(params.to_query(), today=...)`` gives back an equal object whatever
        ``today`` is.
        """
        query: dict[str, list[str]] = {
            "from": [self.date_from.isoformat()],
            "to": [self.date_to.isoformat()],
        }
        if self.columns != "day":
            query["columns"] = [self.columns]
        if self.week_start != "monday":
            query["week_start"] = [self.week_start]
        if self.group != ("user",):
            query["group"] = [",".join(self.group)]
        if self.projects:
            query["project"] = list(self.projects)
        if self.users:
            query["user"] = list(self.users)
        if self.usergroups:
            query["usergroup"] = list(self.usergroups)
        if self.field:
            query["field"] = [self.field]
        for name, values in self.name_filters().items():
            if values:
                query[name] = list(values)
        if self.pivot is not None:
            query["pivot"] = [self.pivot]
        if self.jql:
            query["jql"] = [self.jql]
        if self.tz != TZ_VIEWER:
            query["tz"] = [self.tz]
        if self.sort != "label":
            query["sort"] = [self.sort]
        if self.order is not None:
            query["order"] = [self.order]
        if self.expected:
            query["expected"] = ["1"]
        return query


def parse_report_params(
    query: Mapping[str, Sequence[str]], *, today: datetime.date
) -> ReportParams:
    """Read report parameters from a query mapping each name to all of its values.

    ``today`` is the viewer's current date; it fills in the default period. Raises
    :class:`ParameterError` naming the first parameter at fault. Unknown names are ignored, so the
    page may add its own (the Connect iframe adds ``jwt``, ``xdm_e``...).
    """
    week_start = _choice(query, "week_start", WEEK_STARTS) or "monday"
    date_from, date_to = _period(query, today=today, week_start=week_start)
    group_text = _single(query, "group")
    return ReportParams(
        date_from=date_from,
        date_to=date_to,
        columns=_choice(query, "columns", COLUMN_UNITS) or "day",
        week_start=week_start,
        group=_parse_group(group_text) if group_text is not None else ("user",),
        # Project keys are upper case in Jira; accept what a user typed in lower case.
        projects=tuple(dict.fromkeys(key.upper() for key in _multi(query, "project"))),
        users=_multi(query, "user"),
        usergroups=_multi(query, "usergroup"),
        field=(_single(query, "field") or "").lower(),
        # Names may hold commas, so these filters are repeated, never comma separated.
        components=_repeated(query, "component"),
        fixversions=_repeated(query, "fixversion"),
        labels=_repeated(query, "label"),
        sprints=_repeated(query, "sprint"),
        fieldvalues=_repeated(query, "fieldvalue"),
        pivot=_choice(query, "pivot", PIVOT_DIMENSIONS),
        jql=_single(query, "jql") or "",
        tz=_single(query, "tz") or TZ_VIEWER,
        sort=_sort(query),
        order=_choice(query, "order", SORT_DIRECTIONS),
        expected=_flag(query, "expected"),
    )


def preset_range(
    preset: Preset, today: datetime.date, week_start: WeekStart
) -> tuple[datetime.date, datetime.date]:
    """The inclusive dates a named period covers when it is ``today``.

    Weeks begin on ``week_start``; months are calendar months.
    """
    if preset in ("this-week", "last-week"):
        first = week_start_of(today, week_start)
        if preset == "last-week":
            first -= datetime.timedelta(days=7)
        return first, first + datetime.timedelta(days=6)
    if preset in ("this-month", "last-month"):
        first = today.replace(day=1)
        if preset == "last-month":
            first = (first - datetime.timedelta(days=1)).replace(day=1)
        return first, _last_day_of_month(first)
    if preset in ("this-quarter", "last-quarter"):
        first = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
        if preset == "last-quarter":
            first = (first - datetime.timedelta(days=1)).replace(day=1)
            first = first.replace(month=(first.month - 1) // 3 * 3 + 1)
        last = _last_day_of_month(first.replace(month=first.month + 2))
        return first, last
    if preset in ("this-year", "last-year"):
        year = today.year - (preset == "last-year")
        # A leap year is 366 days, the longest report.
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    raise ParameterError("preset", f"must be one of {', '.join(PRESETS)}")


def week_start_of(day: datetime.date, week_start: WeekStart) -> datetime.date:
    """The first day of the week containing ``day``, for weeks beginning on ``week_start``."""
    offset = (day.weekday() - _WEEKDAY_NUMBER[week_start]) % 7
    return day - datetime.timedelta(days=offset)


def _last_day_of_month(day: datetime.date) -> datetime.date:
    next_month = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return next_month - datetime.timedelta(days=1)


def _period(
    query: Mapping[str, Sequence[str]], *, today: datetime.date, week_start: WeekStart
) -> tuple[datetime.date, datetime.date]:
    """The report range: explicit dates, else the preset, else the current week."""
    date_from = _date(query, "from")
    date_to = _date(query, "to")
    preset = _choice(query, "preset", PRESETS)
    if date_from is None and date_to is None:
        return preset_range(preset or "this-week", today, week_start)
    # One explicit end: the report covers a week from (or up to) it.
    week_tail = datetime.timedelta(days=6)
    if date_from is None:
        assert date_to is not None
        return date_to - week_tail, date_to
    if date_to is None:
        return date_from, date_from + week_tail
    return date_from, date_to


def _values(query: Mapping[str, Sequence[str]], name: str) -> list[str]:
    # A bare string is a Sequence[str] too; treat it as the single value it obviously is.
    raw = query.get(name, ())
    values = [raw] if isinstance(raw, str) else list(raw)
    return [value.strip() for value in values if value.strip()]


def _single(query: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = _values(query, name)
    if len(values) > 1:
        raise ParameterError(name, "given more than once")
    return values[0] if values else None


def _multi(query: Mapping[str, Sequence[str]], name: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in _values(query, name):
        for item in value.split(","):
            item = item.strip()
            if item:
                seen[item] = None
    return tuple(seen)


def _repeated(query: Mapping[str, Sequence[str]], name: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_values(query, name)))


def _choice(
    query: Mapping[str, Sequence[str]], name: str, allowed: tuple[_Option, ...]
) -> _Option | None:
    value = _single(query, name)
    if value is None:
        return None
    lowered = value.lower()
    for option in allowed:
        if option == lowered:
            return option
    raise ParameterError(name, f"must be one of {', '.join(allowed)}")


def _flag(query: Mapping[str, Sequence[str]], name: str) -> bool:
    value = _single(query, name)
    if value is None or value.lower() in ("0", "false"):
        return False
    if value.lower() in ("1", "true"):
        return True
    raise ParameterError(name, "must be 1 or 0")


def _sort(query: Mapping[str, Sequence[str]]) -> str:
    value = _single(query, "sort")
    if value is None:
        return "label"
    # The named orders ignore case; a column key is taken as written.
    return value.lower() if value.lower() in SORT_ORDERS else value


def _date(query: Mapping[str, Sequence[str]], name: str) -> datetime.date | None:
    value = _single(query, name)
    if value is None:
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ParameterError(name, "must be a date written YYYY-MM-DD") from None


def _parse_group(text: str) -> tuple[GroupDimension, ...]:
    names = [part.strip().lower() for part in text.split(",")]
    dimensions: list[GroupDimension] = []
    for name in names:
        if not _is_dimension(name):
            raise ParameterError("group", f"must name {', '.join(GROUP_DIMENSIONS)}")
        dimensions.append(name)
    result = tuple(dimensions)
    _check_group(result)
    return result


def _is_dimension(name: str) -> TypeGuard[GroupDimension]:
    return name in GROUP_DIMENSIONS


def _check_range(date_from: datetime.date, date_to: datetime.date) -> None:
    for name, day in (("from", date_from), ("to", date_to)):
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            raise ParameterError(name, f"must lie between {EARLIEST_DATE} and {LATEST_DATE}")
    if date_to < date_from:
        raise ParameterError("to", "must not be before from")
    if (date_to - date_from).days + 1 > MAX_RANGE_DAYS:
        raise ParameterError("to", f"the range may span at most {MAX_RANGE_DAYS} days")


def _check_group(group: tuple[str, ...]) -> None:
    if not group or len(group) > MAX_GROUP_LEVELS:
        raise ParameterError("group", f"give one or {MAX_GROUP_LEVELS} levels")
    if len(set(group)) != len(group):
        raise ParameterError("group", "a level may appear only once")
    for name in group:
        if name not in GROUP_DIMENSIONS:
            raise ParameterError("group", f"must name {', '.join(GROUP_DIMENSIONS)}")


def _check_project_key(key: str) -> None:
    if not _PROJECT_KEY.fullmatch(key):
        raise ParameterError("project", "project keys are letters, digits and underscores")


def _check_account_id(account_id: str) -> None:
    if not _ACCOUNT_ID.fullmatch(account_id):
        raise ParameterError("user", "account ids are letters, digits, ':', '_' and '-'")


def _check_jql(jql: str) -> None:
    if len(jql) > MAX_JQL_LENGTH:
        raise ParameterError("jql", f"may be at most {MAX_JQL_LENGTH} characters")
    if _JQL_FORBIDDEN_CHARACTERS.search(jql):
        raise ParameterError("jql", "contains control characters")
    # The fetcher wraps the clause in parentheses; text that could close them early would turn
    # "range AND (clause)" into "range AND (...) OR (...)".
    problem = wrapping_problem(jql)
    if problem is not None:
        raise ParameterError("jql", problem)


def _check_tz(tz: str) -> None:
    if tz in (TZ_VIEWER, TZ_AUTHOR):
        return
    if not is_known_zone(tz):
        raise ParameterError("tz", "must be viewer, author or a zone name such as Europe/Paris")


def is_known_zone(name: str) -> bool:
    """True when ``name`` is an IANA time zone name the zone database knows."""
    if not _ZONE_NAME.fullmatch(name):
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True
