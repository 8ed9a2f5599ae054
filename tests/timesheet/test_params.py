"""Report parameters as the page, the JSON API and the exports read them from a query string."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smart_timesheet_plugin.params import (
    COLUMN_UNITS,
    GROUP_DIMENSIONS,
    MAX_JQL_LENGTH,
    MAX_RANGE_DAYS,
    PIVOT_DIMENSIONS,
    SORT_ORDERS,
    WEEK_STARTS,
    ParameterError,
    ReportParams,
    parse_report_params,
    preset_range,
)

# A Wednesday, so "this week" differs for Monday, Sunday and Saturday week starts.
WEDNESDAY = datetime.date(2014, 2, 26)
D = datetime.date


def parse(query: Mapping[str, Sequence[str]], today: datetime.date = WEDNESDAY) -> ReportParams:
    return parse_report_params(query, today=today)


def rejected(query: Mapping[str, Sequence[str]]) -> ParameterError:
    with pytest.raises(ParameterError) as caught:
        parse(query)
    return caught.value


# --- the period -------------------------------------------------------------------------------


def test_no_dates_means_the_current_monday_week() -> None:
    params = parse({})
    assert (params.date_from, params.date_to) == (D(2014, 2, 24), D(2014, 3, 2))


@pytest.mark.parametrize(
    ("week_start", "first_day"),
    [("monday", D(2014, 2, 24)), ("sunday", D(2014, 2, 23)), ("saturday", D(2014, 2, 22))],
)
def test_current_week_follows_the_week_start(week_start: str, first_day: datetime.date) -> None:
    params = parse({"week_start": [week_start]})
    assert params.date_from == first_day
    assert params.date_to == first_day + datetime.timedelta(days=6)
    assert params.date_from.strftime("%A").lower() == week_start


def test_explicit_dates_are_inclusive_and_kept() -> None:
    params = parse({"from": ["2014-02-01"], "to": ["2014-02-28"]})
    assert (params.date_from, params.date_to, params.day_count) == (
        D(2014, 2, 1),
        D(2014, 2, 28),
        28,
    )


def test_a_single_day_is_a_valid_range() -> None:
    params = parse({"from": ["2014-02-24"], "to": ["2014-02-24"]})
    assert params.day_count == 1


def test_one_given_end_gives_a_week_from_or_to_it() -> None:
    from_only = parse({"from": ["2014-02-28"]})
    to_only = parse({"to": ["2014-03-06"]})
    assert (from_only.date_from, from_only.date_to) == (D(2014, 2, 28), D(2014, 3, 6))
    assert (to_only.date_from, to_only.date_to) == (D(2014, 2, 28), D(2014, 3, 6))


@pytest.mark.parametrize("value", ["2014-02-30", "24.02.2014", "2014-2-24", "20140224", "today"])
def test_a_malformed_date_is_rejected_by_name(value: str) -> None:
    error = rejected({"from": [value]})
    assert error.parameter == "from"
    assert str(error).startswith("from:")


def test_to_before_from_is_rejected() -> None:
    error = rejected({"from": ["2014-03-01"], "to": ["2014-02-28"]})
    assert error.parameter == "to"


def test_a_leap_year_is_the_longest_range() -> None:
    longest = parse({"from": ["2016-01-01"], "to": ["2016-12-31"]})
    assert longest.day_count == MAX_RANGE_DAYS
    error = rejected({"from": ["2015-01-01"], "to": ["2016-01-02"]})
    assert error.parameter == "to"


def test_dates_far_from_any_worklog_are_rejected() -> None:
    assert rejected({"from": ["0001-01-01"], "to": ["0001-01-02"]}).parameter == "from"


# --- presets ----------------------------------------------------------------------------------


def test_quarter_and_year_presets() -> None:
    assert preset_range("this-quarter", D(2026, 11, 30), "monday") == (
        D(2026, 10, 1),
        D(2026, 12, 31),
    )
    assert preset_range("last-quarter", D(2026, 2, 1), "monday") == (
        D(2025, 10, 1),
        D(2025, 12, 31),
    )
    assert preset_range("last-quarter", D(2026, 5, 31), "monday") == (D(2026, 1, 1), D(2026, 3, 31))
    assert preset_range("this-year", D(2024, 6, 1), "monday") == (D(2024, 1, 1), D(2024, 12, 31))
    assert preset_range("last-year", D(2025, 1, 1), "monday") == (D(2024, 1, 1), D(2024, 12, 31))
    parsed = parse({"preset": ["last-year"], "columns": ["quarter"]})
    assert parsed.columns == "quarter" and parsed.day_count in (365, 366)


@pytest.mark.parametrize(
    ("preset", "week_start", "expected"),
    [
        ("this-week", "monday", (D(2014, 2, 24), D(2014, 3, 2))),
        ("last-week", "monday", (D(2014, 2, 17), D(2014, 2, 23))),
        ("this-week", "sunday", (D(2014, 2, 23), D(2014, 3, 1))),
        ("last-week", "saturday", (D(2014, 2, 15), D(2014, 2, 21))),
        ("this-month", "monday", (D(2014, 2, 1), D(2014, 2, 28))),
        ("last-month", "monday", (D(2014, 1, 1), D(2014, 1, 31))),
    ],
)
def test_presets(preset: str, week_start: str, expected: tuple[datetime.date, ...]) -> None:
    assert preset_range(preset, WEDNESDAY, week_start) == expected  # type: ignore[arg-type]
    params = parse({"preset": [preset], "week_start": [week_start]})
    assert (params.date_from, params.date_to) == expected


def test_last_month_crosses_the_year_and_knows_leap_februaries() -> None:
    assert preset_range("last-month", D(2014, 1, 15), "monday") == (D(2013, 12, 1), D(2013, 12, 31))
    assert preset_range("this-month", D(2016, 2, 10), "monday") == (D(2016, 2, 1), D(2016, 2, 29))


def test_this_week_on_the_week_start_day_begins_that_day() -> None:
    sunday = D(2014, 2, 23)
    assert preset_range("this-week", sunday, "sunday")[0] == sunday
    assert preset_range("this-week", sunday, "monday")[0] == D(2014, 2, 17)


def test_explicit_dates_win_over_a_preset() -> None:
    params = parse({"preset": ["last-month"], "from": ["2014-02-10"], "to": ["2014-02-11"]})
    assert (params.date_from, params.date_to) == (D(2014, 2, 10), D(2014, 2, 11))


def test_an_unknown_preset_is_rejected() -> None:
    assert rejected({"preset": ["next-year"]}).parameter == "preset"


# --- layout choices ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "allowed", "default"),
    [
        ("columns", COLUMN_UNITS, "day"),
        ("week_start", WEEK_STARTS, "monday"),
    ],
)
def test_choices_default_accept_any_case_and_reject_others(
    name: str, allowed: tuple[str, ...], default: str
) -> None:
    assert getattr(parse({}), name) == default
    for value in allowed:
        assert getattr(parse({name: [value.upper()]}), name) == value
    assert rejected({name: ["fortnight"]}).parameter == name


def test_sort_takes_label_total_or_a_column_key_and_an_order() -> None:
    assert (parse({}).sort, parse({}).descending) == ("label", False)
    for value in SORT_ORDERS:
        assert parse({"sort": [value.upper()]}).sort == value
    assert parse({"sort": ["total"]}).descending is True  # largest first
    assert parse({"sort": ["2014-02-24"]}).descending is True
    assert parse({"sort": ["2014-02-24"], "order": ["ASC"]}).descending is False
    assert parse({"sort": ["label"], "order": ["desc"]}).descending is True
    assert parse({"sort": ["total"], "order": ["asc"]}).to_query()["order"] == ["asc"]
    assert rejected({"sort": ["no such column!"]}).parameter == "sort"
    assert rejected({"order": ["sideways"]}).parameter == "order"


def test_group_defaults_to_user_and_keeps_the_given_order() -> None:
    assert parse({}).group == ("user",)
    assert parse({"group": ["project,issue"]}).group == ("project", "issue")
    assert parse({"group": ["Issue, Project"]}).group == ("issue", "project")


@pytest.mark.parametrize("value", ["user,user", "user,project,issue", "epic", "user,", ","])
def test_bad_groupings_are_rejected(value: str) -> None:
    assert rejected({"group": [value]}).parameter == "group"


def test_empty_values_count_as_absent() -> None:
    # HTML forms submit empty fields; they must not turn into errors.
    assert parse({"group": [""], "from": [""], "tz": [" "], "project": [""]}) == parse({})


def test_every_dimension_is_a_valid_single_grouping() -> None:
    for dimension in GROUP_DIMENSIONS:
        query = {"group": [dimension], "field": ["customfield_10050"]}
        assert parse(query).group == (dimension,)
    # The custom field dimension needs its field named.
    assert rejected({"group": ["field"]}).parameter == "field"
    assert rejected({"group": ["field"], "field": ["summary"]}).parameter == "field"


def test_a_single_valued_parameter_given_twice_is_rejected() -> None:
    error = rejected({"columns": ["day", "week"]})
    assert error.parameter == "columns"
    assert "more than once" in str(error)


def test_unknown_parameters_are_ignored() -> None:
    assert parse({"jwt": ["token"], "xdm_e": ["https://example.atlassian.net"]}) == parse({})


# --- filters ----------------------------------------------------------------------------------


def test_projects_repeat_or_comma_separate_and_are_upper_cased_once() -> None:
    params = parse({"project": ["time,ops", "TIME", "hr_2"]})
    assert params.projects == ("TIME", "OPS", "HR_2")


@pytest.mark.parametrize("key", ["A", "1AB", "AB-1", "A B", "ÄB", "AB;DROP"])
def test_malformed_project_keys_are_rejected(key: str) -> None:
    assert rejected({"project": [key]}).parameter == "project"


def test_account_ids_are_kept_as_given() -> None:
    ids = ["557058:f58131cb-b67d-43c7-b30d-6b58d40bd077", "5b10ac8d82e05b22cc7d4ef5", "noSuchUser"]
    assert parse({"user": ids}).users == tuple(ids)


@pytest.mark.parametrize("account_id", ["a b", "x'y", "<script>", "a" * 129, "ü"])
def test_unsafe_account_ids_are_rejected(account_id: str) -> None:
    assert rejected({"user": [account_id]}).parameter == "user"


def test_jql_is_kept_as_text() -> None:
    clause = 'labels = "billable (Q1)" AND (component = API OR summary ~ "it\'s")'
    assert parse({"jql": [clause]}).jql == clause
    assert parse({}).jql == ""


@pytest.mark.parametrize(
    "clause",
    [
        "x" * (MAX_JQL_LENGTH + 1),
        "project = A) OR (project = B",
        "(project = A",
        'summary ~ "open',
        "project = A\x00",
        "key = a\\\") OR (project is not EMPTY AND summary !~ '\"\\''",
        "summary ~ a\\",
    ],
)
def test_jql_that_could_escape_its_parentheses_or_is_too_long_is_rejected(clause: str) -> None:
    assert rejected({"jql": [clause]}).parameter == "jql"


def test_the_longest_jql_is_accepted() -> None:
    assert len(parse({"jql": ["x" * MAX_JQL_LENGTH]}).jql) == MAX_JQL_LENGTH


# --- time zone --------------------------------------------------------------------------------


@pytest.mark.parametrize("tz", ["viewer", "author", "UTC", "Asia/Kathmandu", "America/New_York"])
def test_time_zone_choices(tz: str) -> None:
    assert parse({"tz": [tz]}).tz == tz


def test_time_zone_defaults_to_the_viewer() -> None:
    assert parse({}).tz == "viewer"


@pytest.mark.parametrize("tz", ["Mars/Olympus_Mons", "../../etc/passwd", "Europe/", "/UTC", "+02"])
def test_unknown_time_zones_are_rejected_by_name(tz: str) -> None:
    error = rejected({"tz": [tz]})
    assert error.parameter == "tz"
    assert str(error).startswith("tz:")


# --- the object itself --------------------------------------------------------------------------


def test_parameter_errors_are_value_errors_naming_the_parameter() -> None:
    error = ParameterError("columns", "must be one of day, week, month")
    assert isinstance(error, ValueError)
    assert (error.parameter, str(error)) == ("columns", "columns: must be one of day, week, month")


def test_constructing_invalid_params_directly_fails_too() -> None:
    with pytest.raises(ParameterError) as caught:
        ReportParams(D(2014, 2, 1), D(2014, 2, 2), group=("user", "user"))
    assert caught.value.parameter == "group"
    with pytest.raises(ParameterError):
        ReportParams(D(2014, 2, 2), D(2014, 2, 1))


def test_params_are_frozen() -> None:
    params = parse({})
    with pytest.raises(AttributeError):
        params.columns = "week"  # type: ignore[misc]


def test_worklog_bounds_pad_the_range_so_far_zones_are_not_missed() -> None:
    params = parse({"from": ["2014-02-24"], "to": ["2014-03-02"]})
    first, last = params.jql_worklog_bounds()
    assert first < params.date_from and last > params.date_to
    # UTC+14 and UTC-12 put one instant on dates two days apart; the padding must cover that.
    assert (params.date_from - first).days >= 2
    assert (last - params.date_to).days >= 2


def test_to_query_writes_dates_out_and_leaves_defaults_off() -> None:
    params = parse({"preset": ["last-week"]})
    assert params.to_query() == {"from": ["2014-02-17"], "to": ["2014-02-23"]}


account_ids = st.from_regex(r"\A[A-Za-z0-9:_-]{1,40}\Z")
project_keys = st.from_regex(r"\A[A-Z][A-Z0-9_]{1,9}\Z")
zones = st.sampled_from(["viewer", "author", "UTC", "Europe/Moscow", "Pacific/Chatham"])


@st.composite
def report_params(draw: st.DrawFn) -> ReportParams:
    start = draw(st.dates(D(2000, 1, 1), D(2030, 12, 31)))
    length = draw(st.integers(0, MAX_RANGE_DAYS - 1))
    group = draw(st.lists(st.sampled_from(GROUP_DIMENSIONS), min_size=1, max_size=2, unique=True))
    return ReportParams(
        date_from=start,
        date_to=start + datetime.timedelta(days=length),
        columns=draw(st.sampled_from(COLUMN_UNITS)),
        week_start=draw(st.sampled_from(WEEK_STARTS)),
        group=tuple(group),
        projects=tuple(draw(st.lists(project_keys, max_size=3, unique=True))),
        users=tuple(draw(st.lists(account_ids, max_size=3, unique=True))),
        jql=draw(st.sampled_from(["", 'labels = "a,b"', "sprint in openSprints()"])),
        tz=draw(zones),
        sort=draw(st.sampled_from(SORT_ORDERS)),
        order=draw(st.sampled_from([None, "asc", "desc"])),
        field=draw(st.sampled_from(["customfield_10050", ""]))
        if "field" not in group
        else "customfield_1",
        components=tuple(draw(st.lists(st.sampled_from(["A, B", "Back end", "ü"]), unique=True))),
        labels=tuple(draw(st.lists(st.sampled_from(["x", "y"]), max_size=2, unique=True))),
        sprints=tuple(draw(st.lists(st.sampled_from(["Sprint 1"]), max_size=1))),
        pivot=draw(st.sampled_from([None, *(d for d in PIVOT_DIMENSIONS if d not in group)])),
        usergroups=tuple(draw(st.lists(st.sampled_from(["abc-1", "d2"]), unique=True))),
    )


@given(params=report_params(), today=st.dates(D(2000, 1, 1), D(2030, 12, 31)))
def test_to_query_parses_back_to_the_same_params(
    params: ReportParams, today: datetime.date
) -> None:
    assert parse_report_params(params.to_query(), today=today) == params
