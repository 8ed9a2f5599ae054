"""The grid: rows by each grouping, subtotals, sorting, filters and totals."""

from __future__ import annotations

import dataclasses
import datetime
from collections import Counter
from collections.abc import Sequence

import pytest
from hypothesis import given, settings

from smart_timesheet_plugin.params import GroupDimension, ReportParams
from smart_timesheet_plugin.report.grid import build_report
from smart_timesheet_plugin.report.grouping import NO_PARENT_LABEL
from smart_timesheet_plugin.report.model import Report, RowKey, Worklog
from tests.timesheet.builders import make_worklog, week_of
from tests.timesheet.report.strategies import local_date, scenarios

D = datetime.date
WEEK = D(2014, 2, 24)


def report(worklogs: Sequence[Worklog], params: ReportParams, viewer_tz: str = "UTC") -> Report:
    return build_report(worklogs, params, viewer_tz=viewer_tz)


def reference_cells(
    worklogs: Sequence[Worklog], params: ReportParams, viewer_tz: str
) -> Counter[tuple[RowKey, str]]:
    """Seconds per (row key, column key), computed the obvious way with zoneinfo."""
    first_weekday = {"monday": 0, "sunday": 6, "saturday": 5}[params.week_start]
    attributes = {
        "user": "author_id",
        "project": "project_key",
        "issue": "issue_key",
        "parent": "parent_key",
        "issuetype": "issue_type",
    }
    # List dimensions: the names joined, or None for an issue without any.
    lists = {
        "component": "components",
        "fixversion": "fix_versions",
        "label": "labels",
        "sprint": "sprints",
        "field": "field_values",
    }

    def value(log: Worklog, dimension: str) -> str | None:
        if dimension in lists:
            return ", ".join(getattr(log, lists[dimension])) or None
        return getattr(log, attributes[dimension])  # type: ignore[no-any-return]

    cells: Counter[tuple[RowKey, str]] = Counter()
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
        elif params.columns == "month":
            column = f"{day.year:04d}-{day.month:02d}"
        elif params.columns == "quarter":
            column = f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
        else:
            column = f"{day.year:04d}"
        key = tuple(value(log, dimension) for dimension in params.group)
        cells[key, column] += log.seconds
    return cells


@settings(max_examples=200, deadline=None)
@given(scenario=scenarios())
def test_grid_matches_a_plain_zoneinfo_computation(
    scenario: tuple[list[Worklog], ReportParams, str],
) -> None:
    worklogs, params, viewer_tz = scenario
    built = report(worklogs, params, viewer_tz)
    expected = reference_cells(worklogs, params, viewer_tz)

    leaves = [row for row in built.rows if not row.subtotal]
    got = Counter(
        {(row.key, column): seconds for row in leaves for column, seconds in row.cells.items()}
    )
    assert got == expected
    assert built.total == sum(expected.values())
    column_keys = [column.key for column in built.columns]
    assert list(built.column_totals) == column_keys
    for column in column_keys:
        assert built.column_totals[column] == sum(row.cells.get(column, 0) for row in leaves)
    for row in built.rows:
        assert row.total == sum(row.cells.values())
        assert all(seconds > 0 for seconds in row.cells.values())


def test_a_week_column_counts_only_days_inside_the_range() -> None:
    params = ReportParams(D(2014, 2, 26), D(2014, 3, 1), columns="week")
    before_range = make_worklog("2014-02-24T10:00:00.000+0000", seconds=100)
    inside = make_worklog("2014-02-27T10:00:00.000+0000", seconds=10)
    after_range = make_worklog("2014-03-02T10:00:00.000+0000", seconds=1000)
    built = report([before_range, inside, after_range], params)
    assert built.column_totals == {"2014-02-24": 10}
    assert built.columns[0].first_day == D(2014, 2, 26)


def test_empty_columns_are_present_with_zero_totals() -> None:
    built = report([], ReportParams(D(2014, 2, 1), D(2014, 2, 28)))
    assert len(built.columns) == 28
    assert set(built.column_totals.values()) == {0}
    assert (built.rows, built.total) == ((), 0)


@pytest.mark.parametrize(
    ("dimension", "expected_rows"),
    [
        (
            "user",
            [
                (("acc-ann",), ("Ann",), 9000),
                (("acc-bob",), ("Bob",), 900),
                (("acc-zoe",), ("zoë",), 3600),
            ],
        ),
        (
            "project",
            [(("OPS",), ("OPS: Operations",), 7200), (("TS",), ("TS: Timesheet",), 6300)],
        ),
        (
            "issue",
            [
                (("OPS-7",), ("OPS-7 Deploy",), 7200),
                (("TS-2",), ("TS-2 Export",), 5400),
                (("TS-3",), ("TS-3 Tests",), 900),
            ],
        ),
        (
            "parent",
            [((None,), (NO_PARENT_LABEL,), 8100), (("TS-1",), ("TS-1 Epic work",), 5400)],
        ),
        (
            "issuetype",
            [
                (("Bug",), ("Bug",), 7200),
                (("Story",), ("Story",), 5400),
                (("Task",), ("Task",), 900),
            ],
        ),
    ],
)
def test_one_level_rows_by_each_dimension(
    team: list[Worklog],
    dimension: GroupDimension,
    expected_rows: list[tuple[RowKey, tuple[str, ...], int]],
) -> None:
    built = report(team, week_of(WEEK, group=(dimension,)))
    assert [(row.key, row.labels, row.total) for row in built.rows] == expected_rows
    assert built.total == 13_500


def test_labels_fall_back_when_jira_leaves_names_out() -> None:
    log = make_worklog(
        "2014-02-24T09:00:00.000+0000",
        author_name="",
        project_name="",
        summary="",
        parent="TS-9",
        parent_summary=None,
    )
    built = report([log], week_of(WEEK, group=("user", "project")))
    assert built.rows[1].labels == ("acc-ann", "TS")
    assert report([log], week_of(WEEK, group=("issue",))).rows[0].labels == ("TS-1",)
    assert report([log], week_of(WEEK, group=("parent",))).rows[0].labels == ("TS-9",)


def test_rows_sort_by_label_ignoring_case(team: list[Worklog]) -> None:
    built = report(team, week_of(WEEK))
    assert [row.labels[0] for row in built.rows] == ["Ann", "Bob", "zoë"]


def test_rows_sort_by_total_descending_with_ties_by_label() -> None:
    logs = [
        make_worklog("2014-02-24T09:00:00.000+0000", seconds=60, author="c", author_name="Cat"),
        make_worklog("2014-02-24T09:00:00.000+0000", seconds=60, author="a", author_name="amy"),
        make_worklog("2014-02-24T09:00:00.000+0000", seconds=90, author="b", author_name="Bea"),
    ]
    built = report(logs, week_of(WEEK, sort="total"))
    assert [row.labels[0] for row in built.rows] == ["Bea", "amy", "Cat"]


def test_two_levels_put_each_subtotal_right_before_its_children(team: list[Worklog]) -> None:
    built = report(team, week_of(WEEK, group=("project", "user")))
    assert [(row.key, row.subtotal, row.total) for row in built.rows] == [
        (("OPS",), True, 7200),
        (("OPS", "acc-ann"), False, 7200),
        (("TS",), True, 6300),
        (("TS", "acc-ann"), False, 1800),
        (("TS", "acc-bob"), False, 900),
        (("TS", "acc-zoe"), False, 3600),
    ]
    ts_subtotal = built.rows[2]
    assert ts_subtotal.labels == ("TS: Timesheet",)
    assert ts_subtotal.cells == {"2014-02-24": 5400, "2014-02-26": 900}
    assert built.rows[3].labels == ("TS: Timesheet", "Ann")
    # Column totals count each worklog once, not once more for its subtotal.
    assert built.column_totals["2014-02-24"] == 5400
    assert built.total == 13_500


def test_two_levels_sorted_by_total_sort_children_within_their_parent(
    team: list[Worklog],
) -> None:
    built = report(team, week_of(WEEK, group=("project", "user"), sort="total"))
    assert [row.key for row in built.rows] == [
        ("OPS",),
        ("OPS", "acc-ann"),
        ("TS",),
        ("TS", "acc-zoe"),
        ("TS", "acc-ann"),
        ("TS", "acc-bob"),
    ]


def test_project_and_user_filters_apply_per_worklog(team: list[Worklog]) -> None:
    only_ts = report(team, week_of(WEEK, projects=("TS",)))
    only_ann = report(team, week_of(WEEK, users=("acc-ann",), group=("issue",)))
    assert only_ts.total == 6300
    assert [row.key for row in only_ann.rows] == [("OPS-7",), ("TS-2",)]
    assert only_ann.total == 9000


def test_worklog_ids_are_not_used_to_drop_duplicates() -> None:
    # Jira ids are unique; records that repeat one are still separate entries to count.
    twice = [make_worklog("2014-02-24T09:00:00.000+0000", worklog_id="7")] * 2
    assert report(twice, week_of(WEEK)).total == 7200


def test_the_report_is_a_frozen_record_of_its_parameters(team: list[Worklog]) -> None:
    params = week_of(WEEK, group=("project", "user"))
    built = report(team, params)
    assert built.params is params
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.total = 0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.rows[0].total = 0  # type: ignore[misc]
