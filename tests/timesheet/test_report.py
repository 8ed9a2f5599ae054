"""The report engine: which day a worklog lands on, the grid it builds and the cell details."""

from __future__ import annotations

import calendar
import datetime
import functools
import zoneinfo
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smart_timesheet_plugin.params import (
    COLUMN_UNITS,
    GROUP_DIMENSIONS,
    MAX_RANGE_DAYS,
    WEEK_STARTS,
    ReportParams,
)
from smart_timesheet_plugin.report import (
    NO_PARENT_LABEL,
    ColumnLocator,
    Worklog,
    adf_to_text,
    build_report,
    detail_to_json,
    parse_jira_datetime,
    report_columns,
    report_to_json,
    worklogs_in_cell,
)

D = datetime.date
MOSCOW_AUTHOR_STARTED = "2014-02-24T23:03:00.000+0000"


def worklog(
    started: str,
    *,
    seconds: int = 3600,
    author: str = "acc-ann",
    author_name: str = "Ann",
    author_tz: str | None = "UTC",
    issue: str = "TS-1",
    summary: str = "Build the grid",
    issue_type: str = "Task",
    project: str = "TS",
    project_name: str = "Timesheet",
    parent: str | None = None,
    parent_summary: str | None = None,
    comment: str = "",
    worklog_id: str = "1",
) -> Worklog:
    return Worklog(
        id=worklog_id,
        issue_key=issue,
        issue_summary=summary,
        issue_type=issue_type,
        project_key=project,
        project_name=project_name,
        parent_key=parent,
        parent_summary=parent_summary,
        author_id=author,
        author_name=author_name,
        author_tz=author_tz,
        started_ms=parse_jira_datetime(started),
        seconds=seconds,
        comment=comment,
    )


def week_of(first: datetime.date, **changes: Any) -> ReportParams:
    values: dict[str, Any] = {"date_from": first, "date_to": first + datetime.timedelta(days=6)}
    values.update(changes)
    return ReportParams(**values)


def report_json(
    worklogs: Iterable[Worklog], params: ReportParams, viewer_tz: str = "UTC"
) -> dict[str, Any]:
    return report_to_json(build_report(worklogs, params, viewer_tz=viewer_tz))


def days_with_time(data: dict[str, Any]) -> dict[str, int]:
    return {key: seconds for key, seconds in data["totals"].items() if seconds}


# --- parsing Jira's values ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "utc_fields", "milliseconds"),
    [
        ("2021-01-17T12:34:00.000+0000", (2021, 1, 17, 12, 34, 0), 0),
        ("2021-01-17T12:34:00.000+00:00", (2021, 1, 17, 12, 34, 0), 0),
        ("2021-01-17T12:34:00Z", (2021, 1, 17, 12, 34, 0), 0),
        ("2014-02-24T18:03:48.589+0100", (2014, 2, 24, 17, 3, 48), 589),
        ("2014-02-25T00:15:00.250+0545", (2014, 2, 24, 18, 30, 0), 250),
        ("2014-02-24T19:00:00.000-0500", (2014, 2, 25, 0, 0, 0), 0),
        ("1969-12-31T23:59:59.999+0000", (1969, 12, 31, 23, 59, 59), 999),
    ],
)
def test_parse_jira_datetime_gives_epoch_milliseconds(
    text: str, utc_fields: tuple[int, ...], milliseconds: int
) -> None:
    assert parse_jira_datetime(text) == calendar.timegm(utc_fields) * 1000 + milliseconds


@pytest.mark.parametrize("text", ["2021-01-17T12:34:00.000", "2021-01-17", "yesterday", ""])
def test_parse_jira_datetime_rejects_values_without_an_instant(text: str) -> None:
    with pytest.raises(ValueError):
        parse_jira_datetime(text)


def paragraph(*content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(content)}


def text(value: str, **extra: Any) -> dict[str, Any]:
    return {"type": "text", "text": value, **extra}


def test_adf_paragraphs_become_lines_and_hard_breaks_newlines() -> None:
    doc = {
        "type": "doc",
        "version": 1,
        "content": [
            paragraph(text("Fixed "), text("the bug", marks=[{"type": "strong"}])),
            paragraph(text("line one"), {"type": "hardBreak"}, text("line two")),
        ],
    }
    assert adf_to_text(doc) == "Fixed the bug\nline one\nline two"


def test_adf_inline_nodes_give_their_text() -> None:
    doc = {
        "type": "doc",
        "content": [
            paragraph(
                text("Paired with "),
                {"type": "mention", "attrs": {"id": "acc-1", "text": "@Zoë"}},
                text(" "),
                {"type": "emoji", "attrs": {"shortName": ":tada:", "text": "🎉"}},
                {"type": "emoji", "attrs": {"shortName": ":custom:"}},
                text(" until "),
                {"type": "date", "attrs": {"timestamp": "1393200000000"}},
                text(" see "),
                {"type": "inlineCard", "attrs": {"url": "https://example.com/x"}},
                text(" "),
                {"type": "status", "attrs": {"text": "DONE", "color": "green"}},
            )
        ],
    }
    assert adf_to_text(doc) == (
        "Paired with @Zoë 🎉:custom: until 2014-02-24 see https://example.com/x DONE"
    )


def test_adf_lists_headings_and_unknown_containers_are_read_through() -> None:
    doc = {
        "type": "doc",
        "content": [
            {"type": "heading", "attrs": {"level": 2}, "content": [text("Done")]},
            {
                "type": "bulletList",
                "content": [
                    {"type": "listItem", "content": [paragraph(text("first"))]},
                    {"type": "listItem", "content": [paragraph(text("second"))]},
                ],
            },
            {"type": "futureNode", "content": [paragraph(text("inside"))]},
            {"type": "rule"},
            {"type": "mediaSingle", "content": [{"type": "media", "attrs": {"id": "x"}}]},
            {"type": "codeBlock", "content": [text("print(1)")]},
        ],
    }
    assert adf_to_text(doc) == "Done\nfirst\nsecond\ninside\nprint(1)"


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ("plain v2 comment", "plain v2 comment"),
        (None, ""),
        ({}, ""),
        ({"type": "doc", "content": "not a list"}, ""),
        ({"type": "doc", "content": [42, None, paragraph(text("ok"), {"type": "text"})]}, "ok"),
        ({"type": "doc", "content": [paragraph({"type": "date", "attrs": {}})]}, ""),
    ],
)
def test_adf_tolerates_plain_strings_and_malformed_documents(doc: object, expected: str) -> None:
    assert adf_to_text(doc) == expected


def test_adf_deeply_nested_documents_do_not_exhaust_recursion() -> None:
    node: dict[str, Any] = paragraph(text("deep"))
    for _ in range(5000):
        node = {"type": "blockquote", "content": [node]}
    assert adf_to_text({"type": "doc", "content": [node]}) == "deep"


# --- the day a worklog belongs to ---------------------------------------------------------------


def test_known_answer_moscow_author_late_evening_utc() -> None:
    log = worklog(MOSCOW_AUTHOR_STARTED, author_tz="Europe/Moscow")
    by_author = report_json([log], week_of(D(2014, 2, 24), tz="author"))
    by_utc = report_json([log], week_of(D(2014, 2, 24), tz="UTC"), viewer_tz="Europe/Moscow")
    assert days_with_time(by_author) == {"2014-02-25": 3600}
    assert days_with_time(by_utc) == {"2014-02-24": 3600}
    assert by_author["timezone"] == "author"
    assert by_utc["timezone"] == "UTC"


def test_known_answer_week_and_month_keys() -> None:
    log = worklog(MOSCOW_AUTHOR_STARTED, author_tz="Europe/Moscow")
    weeks = report_json([log], week_of(D(2014, 2, 24), columns="week", tz="author"))
    months = report_json([log], week_of(D(2014, 2, 24), columns="month", tz="author"))
    assert [column["key"] for column in weeks["columns"]] == ["2014-02-24"]
    assert weeks["totals"] == {"2014-02-24": 3600}
    assert [column["key"] for column in months["columns"]] == ["2014-02", "2014-03"]
    assert months["totals"] == {"2014-02": 3600, "2014-03": 0}


@pytest.mark.parametrize(
    ("week_start", "expected_keys"),
    [
        ("monday", ["2014-02-24", "2014-03-03"]),
        ("sunday", ["2014-02-23", "2014-03-02"]),
        ("saturday", ["2014-02-22", "2014-03-01"]),
    ],
)
def test_week_columns_are_keyed_by_their_first_day(
    week_start: str, expected_keys: list[str]
) -> None:
    params = ReportParams(D(2014, 2, 26), D(2014, 3, 4), columns="week", week_start=week_start)  # type: ignore[arg-type]
    assert [column.key for column in report_columns(params)] == expected_keys


def test_viewer_zone_counts_for_tz_viewer() -> None:
    log = worklog(MOSCOW_AUTHOR_STARTED, author_tz="Europe/Moscow")
    in_new_york = report_json([log], week_of(D(2014, 2, 24)), viewer_tz="America/New_York")
    in_tokyo = report_json([log], week_of(D(2014, 2, 24)), viewer_tz="Asia/Tokyo")
    assert days_with_time(in_new_york) == {"2014-02-24": 3600}
    assert days_with_time(in_tokyo) == {"2014-02-25": 3600}
    assert in_tokyo["timezone"] == "Asia/Tokyo"


@pytest.mark.parametrize("hidden_zone", [None, "Not/A_Zone"])
def test_author_mode_falls_back_to_the_viewer_zone(hidden_zone: str | None) -> None:
    log = worklog(MOSCOW_AUTHOR_STARTED, author_tz=hidden_zone)
    params = week_of(D(2014, 2, 24), tz="author")
    assert days_with_time(report_json([log], params, viewer_tz="UTC")) == {"2014-02-24": 3600}
    assert days_with_time(report_json([log], params, viewer_tz="Asia/Tokyo")) == {
        "2014-02-25": 3600
    }


def test_an_explicit_zone_ignores_viewer_and_author() -> None:
    log = worklog("2014-02-24T20:00:00.000+0000", author_tz="America/Los_Angeles")
    params = week_of(D(2014, 2, 24), tz="Asia/Kathmandu")
    assert days_with_time(report_json([log], params, viewer_tz="America/New_York")) == {
        "2014-02-25": 3600
    }


def test_range_ends_are_local_midnights() -> None:
    params = ReportParams(D(2014, 2, 24), D(2014, 2, 25), tz="Asia/Kolkata")
    logs = [
        worklog("2014-02-23T18:29:59.999+0000", seconds=1),  # 23:59:59.999 on the 23rd in Kolkata
        worklog("2014-02-23T18:30:00.000+0000", seconds=10),  # 00:00 on the 24th
        worklog("2014-02-25T18:29:59.000+0000", seconds=100),  # 23:59:59 on the 25th
        worklog("2014-02-25T18:30:00.000+0000", seconds=1000),  # 00:00 on the 26th
    ]
    data = report_json(logs, params)
    assert data["totals"] == {"2014-02-24": 10, "2014-02-25": 100}
    assert data["total"] == 110


def test_the_whole_duration_counts_on_the_day_work_started() -> None:
    log = worklog("2014-02-24T22:00:00.000+0000", seconds=4 * 3600)
    assert days_with_time(report_json([log], week_of(D(2014, 2, 24)))) == {"2014-02-24": 14400}


def test_an_unknown_viewer_zone_is_an_error() -> None:
    with pytest.raises(ValueError, match="viewer time zone"):
        build_report([], week_of(D(2014, 2, 24)), viewer_tz="Nowhere/Land")


def test_historic_offsets_off_the_quarter_hour_are_converted_exactly() -> None:
    # Monrovia ran on UTC-0:44:30 until 1972-01-07, so its midnights fall inside 15-minute slices.
    params = ReportParams(D(1972, 1, 1), D(1972, 1, 14), tz="Africa/Monrovia")
    locator = ColumnLocator(params, viewer_tz="UTC")
    assert -2 in locator.slice_table("Africa/Monrovia")
    midnight = calendar.timegm((1972, 1, 3, 0, 44, 30)) * 1000
    assert locator.column_index(midnight - 1, None) == 1  # 23:59:59.999 on 2 January
    assert locator.column_index(midnight, None) == 2  # 00:00 on 3 January


# --- zone arithmetic against a plain zoneinfo conversion ----------------------------------------

ZONES = (
    "Europe/Moscow",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "UTC",
    "Africa/Monrovia",
    # Zones that change their clocks at midnight, so the changed day itself starts differently.
    "America/Sao_Paulo",
    "Asia/Beirut",
)


def local_date(started_ms: int, zone: str) -> datetime.date:
    return datetime.datetime.fromtimestamp(started_ms // 1000, zoneinfo.ZoneInfo(zone)).date()


@functools.cache
def offset_changes(zone: str) -> tuple[int, ...]:
    """Epoch seconds at which ``zone`` changed its UTC offset from 1970 to 2030, found by brute
    force: compare offsets a day apart, then step through the changed day minute by minute."""
    tz = zoneinfo.ZoneInfo(zone)

    def offset(seconds: int) -> datetime.timedelta | None:
        return datetime.datetime.fromtimestamp(seconds, tz).utcoffset()

    changes = []
    day = 86_400
    for start in range(0, calendar.timegm((2030, 1, 1, 0, 0, 0)), day):
        if offset(start) != offset(start + day):
            minute = next(
                m for m in range(start, start + day + 60, 60) if offset(m) != offset(start)
            )
            second = next(s for s in range(minute - 60, minute + 1) if offset(s) != offset(start))
            changes.append(second)
    return tuple(changes)


def local_midnight(day: datetime.date, zone: str) -> int:
    moment = datetime.datetime.combine(day, datetime.time(), zoneinfo.ZoneInfo(zone))
    return int(moment.timestamp())


@st.composite
def instants_near_boundaries(draw: st.DrawFn, zone: str) -> int:
    """Epoch milliseconds close to an offset change, a local midnight of a day near an offset
    change (where a wrong offset moves work to the wrong day), or any local midnight of ``zone``."""
    changes = offset_changes(zone)
    kind = draw(st.sampled_from(["change", "midnight near a change", "midnight"]))
    if changes and kind == "change":
        anchor = draw(st.sampled_from(changes))
    elif changes and kind == "midnight near a change":
        change_day = local_date(draw(st.sampled_from(changes)) * 1000, zone)
        anchor = local_midnight(
            change_day + datetime.timedelta(days=draw(st.integers(-3, 3))), zone
        )
    else:
        anchor = local_midnight(draw(st.dates(D(1970, 1, 2), D(2029, 12, 30))), zone)
    delta = draw(
        st.one_of(
            st.integers(-2000, 2000),  # milliseconds right at the boundary
            st.integers(-3 * 3_600_000, 3 * 3_600_000),  # within the hours around it
        )
    )
    return anchor * 1000 + delta


def around(draw: st.DrawFn, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """A report range near ``day``: short or up to a year, holding it or just missing it."""
    length = draw(st.one_of(st.integers(0, 4), st.integers(5, MAX_RANGE_DAYS - 1)))
    first = day - datetime.timedelta(days=draw(st.integers(-2, length + 2)))
    return first, first + datetime.timedelta(days=length)


def test_the_boundary_strategy_knows_real_transitions() -> None:
    assert len(offset_changes("America/New_York")) > 100
    assert len(offset_changes("Australia/Lord_Howe")) > 50
    assert offset_changes("UTC") == ()
    # Moscow moved to UTC+3 for good on 2014-10-26 at 02:00 local (22:00 UTC the day before).
    assert calendar.timegm((2014, 10, 25, 22, 0, 0)) in offset_changes("Europe/Moscow")


@settings(max_examples=400, deadline=None)
@given(data=st.data(), zone=st.sampled_from(ZONES))
def test_column_lookup_matches_zoneinfo_at_boundaries(data: st.DataObject, zone: str) -> None:
    started_ms = data.draw(instants_near_boundaries(zone))
    day = local_date(started_ms, zone)
    first, last = around(data.draw, day)
    locator = ColumnLocator(ReportParams(first, last, tz=zone), viewer_tz="UTC")
    expected = (day - first).days if first <= day <= last else None
    assert locator.column_index(started_ms, None) == expected


def reference_cells(
    worklogs: Sequence[Worklog], params: ReportParams, viewer_tz: str
) -> Counter[tuple[tuple[str | None, ...], str]]:
    """Seconds per (row key, column key), computed the obvious way with zoneinfo."""
    first_weekday = {"monday": 0, "sunday": 6, "saturday": 5}[params.week_start]
    attributes = {
        "user": "author_id",
        "project": "project_key",
        "issue": "issue_key",
        "parent": "parent_key",
        "issuetype": "issue_type",
    }
    cells: Counter[tuple[tuple[str | None, ...], str]] = Counter()
    for log in worklogs:
        if params.projects and log.project_key not in params.projects:
            continue
        if params.users and log.author_id not in params.users:
            continue
        if params.tz == "viewer":
            zone = viewer_tz
        elif params.tz == "author":
            zone = log.author_tz or viewer_tz
        else:
            zone = params.tz
        day = local_date(log.started_ms, zone)
        if not params.date_from <= day <= params.date_to:
            continue
        if params.columns == "day":
            column = day.isoformat()
        elif params.columns == "week":
            column = (
                day - datetime.timedelta(days=(day.weekday() - first_weekday) % 7)
            ).isoformat()
        else:
            column = f"{day.year:04d}-{day.month:02d}"
        key = tuple(getattr(log, attributes[dimension]) for dimension in params.group)
        cells[key, column] += log.seconds
    return cells


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[Worklog], ReportParams, str]:
    anchor_zone = draw(st.sampled_from(ZONES))
    anchor_ms = draw(instants_near_boundaries(anchor_zone))
    anchor_day = local_date(anchor_ms, anchor_zone)
    first, last = around(draw, anchor_day)
    authors = [(f"acc-{index}", draw(st.sampled_from((*ZONES, None)))) for index in range(4)]
    worklogs = []
    for index in range(draw(st.integers(0, 25))):
        author_id, author_tz = draw(st.sampled_from(authors))
        issue_number = draw(st.integers(1, 4))
        parent = draw(st.sampled_from([None, "TS-100", "TS-200"]))
        worklogs.append(
            Worklog(
                id=str(index),
                issue_key=f"TS-{issue_number}",
                issue_summary=f"Issue {issue_number}",
                issue_type=draw(st.sampled_from(["Bug", "Task"])),
                project_key=draw(st.sampled_from(["TS", "OPS"])),
                project_name="Project",
                parent_key=parent,
                parent_summary=None if parent is None else "Parent",
                author_id=author_id,
                author_name=author_id.upper(),
                author_tz=author_tz,
                started_ms=anchor_ms
                + draw(st.integers(-3, 3)) * 86_400_000
                + draw(st.integers(-7_200_000, 7_200_000)),
                seconds=draw(st.integers(1, 36_000)),
                comment="",
            )
        )
    params = ReportParams(
        date_from=first,
        date_to=last,
        columns=draw(st.sampled_from(COLUMN_UNITS)),
        week_start=draw(st.sampled_from(WEEK_STARTS)),
        group=tuple(
            draw(st.lists(st.sampled_from(GROUP_DIMENSIONS), min_size=1, max_size=2, unique=True))
        ),
        projects=tuple(draw(st.sampled_from([(), ("TS",)]))),
        users=tuple(draw(st.sampled_from([(), ("acc-0", "acc-1")]))),
        tz=draw(st.sampled_from(["viewer", "author", *ZONES])),
        sort=draw(st.sampled_from(["label", "total"])),
    )
    return worklogs, params, draw(st.sampled_from(ZONES))


@settings(max_examples=200, deadline=None)
@given(scenario=scenarios())
def test_grid_matches_a_plain_zoneinfo_computation(
    scenario: tuple[list[Worklog], ReportParams, str],
) -> None:
    worklogs, params, viewer_tz = scenario
    data = report_json(worklogs, params, viewer_tz)
    expected = reference_cells(worklogs, params, viewer_tz)

    leaves = [row for row in data["rows"] if not row.get("subtotal")]
    got = Counter(
        {
            (tuple(row["key"]), column): seconds
            for row in leaves
            for column, seconds in row["cells"].items()
        }
    )
    assert got == expected
    assert data["total"] == sum(expected.values())
    column_keys = [column["key"] for column in data["columns"]]
    assert list(data["totals"]) == column_keys
    for column in column_keys:
        assert data["totals"][column] == sum(row["cells"].get(column, 0) for row in leaves)
    for row in data["rows"]:
        assert row["total"] == sum(row["cells"].values())
        assert all(seconds > 0 for seconds in row["cells"].values())


# --- columns ----------------------------------------------------------------------------------


def test_day_columns_cover_every_day_with_readable_labels() -> None:
    columns = report_columns(ReportParams(D(2014, 2, 27), D(2014, 3, 3)))
    assert [(column.key, column.label) for column in columns] == [
        ("2014-02-27", "Thu 27 Feb"),
        ("2014-02-28", "Fri 28 Feb"),
        ("2014-03-01", "Sat 1 Mar"),
        ("2014-03-02", "Sun 2 Mar"),
        ("2014-03-03", "Mon 3 Mar"),
    ]


def test_week_labels_use_iso_numbers_for_monday_weeks_else_the_first_day() -> None:
    monday = report_columns(ReportParams(D(2014, 2, 26), D(2014, 3, 5), columns="week"))
    sunday = report_columns(
        ReportParams(D(2014, 2, 26), D(2014, 3, 5), columns="week", week_start="sunday")
    )
    assert [column.label for column in monday] == ["W09 24 Feb", "W10 3 Mar"]
    assert [column.label for column in sunday] == ["23 Feb", "2 Mar"]


def test_iso_week_numbers_at_the_turn_of_the_year() -> None:
    columns = report_columns(ReportParams(D(2014, 12, 29), D(2015, 1, 5), columns="week"))
    assert [column.label for column in columns] == ["W01 29 Dec", "W02 5 Jan"]


def test_a_week_column_counts_only_days_inside_the_range() -> None:
    params = ReportParams(D(2014, 2, 26), D(2014, 3, 1), columns="week")
    before_range = worklog("2014-02-24T10:00:00.000+0000", seconds=100)
    inside = worklog("2014-02-27T10:00:00.000+0000", seconds=10)
    after_range = worklog("2014-03-02T10:00:00.000+0000", seconds=1000)
    data = report_json([before_range, inside, after_range], params)
    assert data["totals"] == {"2014-02-24": 10}
    assert report_columns(params)[0].first_day == D(2014, 2, 26)


def test_month_columns_span_years_with_labels() -> None:
    columns = report_columns(ReportParams(D(2013, 12, 15), D(2014, 2, 10), columns="month"))
    assert [(column.key, column.label) for column in columns] == [
        ("2013-12", "Dec 2013"),
        ("2014-01", "Jan 2014"),
        ("2014-02", "Feb 2014"),
    ]
    assert (columns[0].first_day, columns[-1].last_day) == (D(2013, 12, 15), D(2014, 2, 10))


def test_empty_columns_are_present_with_zero_totals() -> None:
    data = report_json([], ReportParams(D(2014, 2, 1), D(2014, 2, 28)))
    assert len(data["columns"]) == 28
    assert set(data["totals"].values()) == {0}
    assert (data["rows"], data["total"]) == ([], 0)


# --- rows -------------------------------------------------------------------------------------

TEAM = [
    worklog(
        "2014-02-24T09:00:00.000+0000",
        seconds=3600,
        author="acc-zoe",
        author_name="zoë",
        issue="TS-2",
        summary="Export",
        issue_type="Story",
        parent="TS-1",
        parent_summary="Epic work",
        comment="csv",
        worklog_id="10",
    ),
    worklog(
        "2014-02-24T08:00:00.000+0000",
        seconds=1800,
        author="acc-ann",
        author_name="Ann",
        issue="TS-2",
        summary="Export",
        issue_type="Story",
        parent="TS-1",
        parent_summary="Epic work",
        comment="xlsx",
        worklog_id="11",
    ),
    worklog(
        "2014-02-25T09:00:00.000+0000",
        seconds=7200,
        author="acc-ann",
        author_name="Ann",
        issue="OPS-7",
        summary="Deploy",
        issue_type="Bug",
        project="OPS",
        project_name="Operations",
        worklog_id="12",
    ),
    worklog(
        "2014-02-26T09:00:00.000+0000",
        seconds=900,
        author="acc-bob",
        author_name="Bob",
        issue="TS-3",
        summary="Tests",
        worklog_id="13",
    ),
]


@pytest.mark.parametrize(
    ("dimension", "expected_rows"),
    [
        (
            "user",
            [
                (["acc-ann"], ["Ann"], 9000),
                (["acc-bob"], ["Bob"], 900),
                (["acc-zoe"], ["zoë"], 3600),
            ],
        ),
        (
            "project",
            [(["OPS"], ["OPS: Operations"], 7200), (["TS"], ["TS: Timesheet"], 6300)],
        ),
        (
            "issue",
            [
                (["OPS-7"], ["OPS-7 Deploy"], 7200),
                (["TS-2"], ["TS-2 Export"], 5400),
                (["TS-3"], ["TS-3 Tests"], 900),
            ],
        ),
        (
            "parent",
            [([None], [NO_PARENT_LABEL], 8100), (["TS-1"], ["TS-1 Epic work"], 5400)],
        ),
        (
            "issuetype",
            [(["Bug"], ["Bug"], 7200), (["Story"], ["Story"], 5400), (["Task"], ["Task"], 900)],
        ),
    ],
)
def test_one_level_rows_by_each_dimension(
    dimension: str, expected_rows: list[tuple[list[str | None], list[str], int]]
) -> None:
    data = report_json(TEAM, week_of(D(2014, 2, 24), group=(dimension,)))
    assert [(row["key"], row["labels"], row["total"]) for row in data["rows"]] == expected_rows
    assert data["total"] == 13_500


def test_rows_sort_by_label_ignoring_case() -> None:
    data = report_json(TEAM, week_of(D(2014, 2, 24)))
    assert [row["labels"][0] for row in data["rows"]] == ["Ann", "Bob", "zoë"]


def test_rows_sort_by_total_descending_with_ties_by_label() -> None:
    logs = [
        worklog("2014-02-24T09:00:00.000+0000", seconds=60, author="c", author_name="Cat"),
        worklog("2014-02-24T09:00:00.000+0000", seconds=60, author="a", author_name="amy"),
        worklog("2014-02-24T09:00:00.000+0000", seconds=90, author="b", author_name="Bea"),
    ]
    data = report_json(logs, week_of(D(2014, 2, 24), sort="total"))
    assert [row["labels"][0] for row in data["rows"]] == ["Bea", "amy", "Cat"]


def test_two_levels_put_each_subtotal_right_before_its_children() -> None:
    data = report_json(TEAM, week_of(D(2014, 2, 24), group=("project", "user")))
    assert [(row["key"], row.get("subtotal", False), row["total"]) for row in data["rows"]] == [
        (["OPS"], True, 7200),
        (["OPS", "acc-ann"], False, 7200),
        (["TS"], True, 6300),
        (["TS", "acc-ann"], False, 1800),
        (["TS", "acc-bob"], False, 900),
        (["TS", "acc-zoe"], False, 3600),
    ]
    ts_subtotal = data["rows"][2]
    assert ts_subtotal["labels"] == ["TS: Timesheet"]
    assert ts_subtotal["cells"] == {"2014-02-24": 5400, "2014-02-26": 900}
    assert data["rows"][3]["labels"] == ["TS: Timesheet", "Ann"]
    # Column totals count each worklog once, not once more for its subtotal.
    assert data["totals"]["2014-02-24"] == 5400
    assert data["total"] == 13_500


def test_two_levels_sorted_by_total_sort_children_within_their_parent() -> None:
    data = report_json(TEAM, week_of(D(2014, 2, 24), group=("project", "user"), sort="total"))
    assert [row["key"] for row in data["rows"]] == [
        ["OPS"],
        ["OPS", "acc-ann"],
        ["TS"],
        ["TS", "acc-zoe"],
        ["TS", "acc-ann"],
        ["TS", "acc-bob"],
    ]


def test_project_and_user_filters_apply_per_worklog() -> None:
    only_ts = report_json(TEAM, week_of(D(2014, 2, 24), projects=("TS",)))
    only_ann = report_json(TEAM, week_of(D(2014, 2, 24), users=("acc-ann",), group=("issue",)))
    assert only_ts["total"] == 6300
    assert [row["key"] for row in only_ann["rows"]] == [["OPS-7"], ["TS-2"]]
    assert only_ann["total"] == 9000


def test_json_has_exactly_the_documented_shape() -> None:
    data = report_json(TEAM, week_of(D(2014, 2, 24), group=("project", "issue")))
    assert set(data) == {"from", "to", "timezone", "columns", "rows", "totals", "total"}
    assert (data["from"], data["to"], data["timezone"]) == ("2014-02-24", "2014-03-02", "UTC")
    assert data["columns"][0] == {"key": "2014-02-24", "label": "Mon 24 Feb"}
    for row in data["rows"]:
        expected_keys = {"key", "labels", "cells", "total"}
        if len(row["key"]) == 1:
            expected_keys.add("subtotal")
            assert row["subtotal"] is True
        assert set(row) == expected_keys
        assert len(row["labels"]) == len(row["key"])


def test_worklog_ids_are_not_used_to_drop_duplicates() -> None:
    # Jira ids are unique; records that repeat one are still separate entries to count.
    twice = [worklog("2014-02-24T09:00:00.000+0000", worklog_id="7")] * 2
    assert report_json(twice, week_of(D(2014, 2, 24)))["total"] == 7200


# --- cell details -----------------------------------------------------------------------------


def test_cell_detail_lists_exactly_the_worklogs_summed_in_the_cell() -> None:
    params = week_of(D(2014, 2, 24), group=("issue",))
    details = worklogs_in_cell(
        TEAM, params, viewer_tz="UTC", row_key=["TS-2"], column_key="2014-02-24"
    )
    assert [detail.author_id for detail in details] == ["acc-ann", "acc-zoe"]  # by start time
    row = next(row for row in report_json(TEAM, params)["rows"] if row["key"] == ["TS-2"])
    assert sum(detail.seconds for detail in details) == row["cells"]["2014-02-24"]


def test_cell_detail_of_a_subtotal_and_of_the_totals_row() -> None:
    params = week_of(D(2014, 2, 24), group=("project", "user"))
    subtotal = worklogs_in_cell(
        TEAM, params, viewer_tz="UTC", row_key=["TS"], column_key="2014-02-24"
    )
    column = worklogs_in_cell(TEAM, params, viewer_tz="UTC", row_key=[], column_key="2014-02-25")
    assert sorted(detail.comment for detail in subtotal) == ["csv", "xlsx"]
    assert [detail.issue_key for detail in column] == ["OPS-7"]


def test_cell_detail_shows_start_time_in_the_zone_that_chose_the_day() -> None:
    log = worklog(
        "2014-02-24T18:03:48.589+0100",
        author_tz="Europe/Moscow",
        author_name="admin",
        comment="test 1",
    )
    params = week_of(D(2014, 2, 24), tz="author")
    details = worklogs_in_cell(
        [log], params, viewer_tz="UTC", row_key=["acc-ann"], column_key="2014-02-24"
    )
    assert detail_to_json(details) == {
        "worklogs": [
            {
                "issue": "TS-1",
                "author": "acc-ann",
                "authorName": "admin",
                "started": "2014-02-24T21:03:48.589+04:00",
                "day": "2014-02-24",
                "seconds": 3600,
                "comment": "test 1",
            }
        ]
    }


def test_cell_detail_in_the_repeated_autumn_hour_keeps_its_offset() -> None:
    # 05:30 and 06:30 UTC on 2014-11-02 are both 01:30 in New York, first EDT then EST.
    logs = [
        worklog("2014-11-02T05:30:00.000+0000", worklog_id="a"),
        worklog("2014-11-02T06:30:00.000+0000", worklog_id="b"),
    ]
    params = ReportParams(D(2014, 11, 2), D(2014, 11, 2), tz="America/New_York")
    details = worklogs_in_cell(
        logs, params, viewer_tz="UTC", row_key=["acc-ann"], column_key="2014-11-02"
    )
    assert [detail.started for detail in details] == [
        "2014-11-02T01:30:00.000-04:00",
        "2014-11-02T01:30:00.000-05:00",
    ]


def test_cell_detail_rejects_unknown_cells() -> None:
    params = week_of(D(2014, 2, 24))
    with pytest.raises(ValueError, match="not a column"):
        worklogs_in_cell(
            TEAM, params, viewer_tz="UTC", row_key=["acc-ann"], column_key="2014-03-09"
        )
    with pytest.raises(ValueError, match="more values"):
        worklogs_in_cell(
            TEAM, params, viewer_tz="UTC", row_key=["acc-ann", "x"], column_key="2014-02-24"
        )
