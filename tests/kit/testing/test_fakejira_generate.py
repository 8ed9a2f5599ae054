"""The fake site's data: the generator's guarantees and the hand-built model's checks."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from atlassian_connect_kit.testing.fakejira import (
    Issue,
    Project,
    SiteData,
    User,
    Worklog,
    generate_site,
)
from tests.kit.testing.fakejira_support import ANN, BOB, tiny_site

START = date(2026, 3, 1)
DAYS = 61  # March and April 2026: New York, Berlin and Adelaide all change their clocks.


@pytest.fixture(scope="module")
def site() -> SiteData:
    """The default-sized generated site over March and April 2026."""
    return generate_site(11, start=START, days=DAYS)


def _zone(site: SiteData, account_id: str) -> ZoneInfo:
    user = site.user(account_id)
    assert user is not None
    return ZoneInfo(user.time_zone) if user.time_zone else site.zone


def test_same_seed_gives_the_same_site_and_another_seed_does_not() -> None:
    first = generate_site(3, start=START, days=DAYS)
    again = generate_site(3, start=START, days=DAYS)
    other = generate_site(4, start=START, days=DAYS)

    assert first == again
    assert first.worklogs != other.worklogs


def test_users_span_awkward_zones_including_a_hidden_one(site: SiteData) -> None:
    zones = {user.time_zone for user in site.users}
    assert {
        "Asia/Kolkata",
        "Asia/Kathmandu",
        "Australia/Adelaide",
        "Europe/Moscow",
        "America/New_York",
        "UTC",
    } <= zones
    assert None in zones
    moment = datetime(2026, 3, 1, tzinfo=UTC)
    odd_offsets = {
        zone
        for zone in zones
        if zone and (ZoneInfo(zone).utcoffset(moment) or timedelta()) % timedelta(hours=1)
    }
    assert {"Asia/Kolkata", "Asia/Kathmandu", "Australia/Adelaide"} <= odd_offsets


def test_an_inactive_user_still_has_worklogs_and_names_are_not_ascii(site: SiteData) -> None:
    inactive = [user for user in site.users if not user.active]
    assert len(inactive) == 1
    assert any(w.author_account_id == inactive[0].account_id for w in site.worklogs)
    names = {user.display_name for user in site.users}
    assert {"Zoë Ångström", "José Núñez", "李雷"} <= names


def test_every_project_has_members_and_outsiders_and_authors_are_members(site: SiteData) -> None:
    for project in site.projects:
        members = [user for user in site.users if project.key in user.project_keys]
        assert members and len(members) < len(site.users)
    for worklog in site.worklogs:
        issue = site.issue(worklog.issue_id)
        author = site.user(worklog.author_account_id)
        assert issue is not None and author is not None
        assert issue.project_key in author.project_keys


def test_hierarchy_has_epics_over_standard_issues_and_sub_tasks_under_them(site: SiteData) -> None:
    types = Counter(issue.issue_type for issue in site.issues)
    assert types["Epic"] >= len(site.projects) and types["Sub-task"] >= 1
    for issue in site.issues:
        parent = site.issue(issue.parent_key) if issue.parent_key else None
        if issue.issue_type == "Sub-task":
            assert parent is not None and parent.issue_type in ("Story", "Task", "Bug")
        elif issue.issue_type == "Epic":
            assert parent is None
        elif parent is not None:
            assert parent.issue_type == "Epic"
        if parent is not None:
            assert parent.project_key == issue.project_key


def test_worklogs_start_inside_the_period_in_their_authors_zone(site: SiteData) -> None:
    assert len(site.worklogs) == 300
    for worklog in site.worklogs:
        local_day = worklog.started.astimezone(_zone(site, worklog.author_account_id)).date()
        assert START <= local_day < START + timedelta(days=DAYS)


def test_worklogs_sit_on_midnight_boundaries_and_clock_changes(site: SiteData) -> None:
    at_midnight = crossing_midnight = spanning_clock_change = 0
    for worklog in site.worklogs:
        zone = _zone(site, worklog.author_account_id)
        begin = worklog.started.astimezone(zone)
        # Elapsed time is added in UTC: aware arithmetic within a zone is wall-clock arithmetic.
        end = worklog.started.astimezone(UTC) + timedelta(seconds=worklog.time_spent_seconds)
        end = end.astimezone(zone)
        at_midnight += begin.hour == 0 and begin.minute == 0
        crossing_midnight += begin.date() != end.date()
        wall_clock = end.replace(tzinfo=None) - begin.replace(tzinfo=None)
        spanning_clock_change += wall_clock != timedelta(seconds=worklog.time_spent_seconds)
    assert at_midnight >= 1
    assert crossing_midnight >= 1
    # New York, Berlin and Adelaide change clocks in March/April 2026.
    assert spanning_clock_change >= 3


def test_default_site_has_an_issue_with_more_worklogs_than_search_embeds(site: SiteData) -> None:
    assert max(len(site.worklogs_of(issue.id)) for issue in site.issues) > 20


def test_heavy_issue_share_controls_how_many_issues_exceed_twenty_worklogs() -> None:
    data = generate_site(
        5, issues=200, worklogs=4000, start=START, days=DAYS, heavy_issue_share=0.1
    )

    counts = [len(data.worklogs_of(issue.id)) for issue in data.issues]
    assert sum(count > 20 for count in counts) == 20
    assert sum(counts) == 4000


def test_big_issue_gets_exactly_the_requested_worklogs_on_top() -> None:
    data = generate_site(
        5, issues=10, worklogs=100, big_issue_worklogs=5001, start=START, days=DAYS
    )

    assert len(data.worklogs) == 5101
    assert max(len(data.worklogs_of(issue.id)) for issue in data.issues) == 5001


def test_benchmark_sized_sites_generate_quickly() -> None:
    began = time.perf_counter()
    data = generate_site(
        9,
        users=40,
        projects=6,
        issues=4000,
        worklogs=40_000,
        start=START,
        days=DAYS,
        heavy_issue_share=0.1,
    )
    elapsed = time.perf_counter() - began

    assert len(data.worklogs) == 40_000
    assert elapsed < 5.0


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        ({"issues": 0, "worklogs": 5}, "at least one issue"),
        ({"issues": 10, "worklogs": 30, "heavy_issue_share": 0.5}, "heavy issues need"),
        ({"heavy_issue_share": 1.5}, "between 0 and 1"),
        ({"users": 0}, "must be positive"),
    ],
)
def test_impossible_sizes_are_refused(arguments: dict[str, float], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        generate_site(1, start=START, days=DAYS, **arguments)  # type: ignore[arg-type]


def test_hand_built_site_with_dangling_references_is_refused() -> None:
    users = [User(ANN, "Ann", "ann@example.com", "UTC", project_keys=frozenset({"ALPHA"}))]
    projects = [Project("1", "ALPHA", "Alpha")]
    issue = Issue("10", "ALPHA-1", "One", "Task", "ALPHA")
    started = datetime(2026, 3, 1, tzinfo=UTC)

    with pytest.raises(ValueError, match="unknown project"):
        SiteData(users, projects, [Issue("11", "BETA-1", "x", "Task", "BETA")])
    with pytest.raises(ValueError, match="unknown parent"):
        SiteData(users, projects, [Issue("11", "ALPHA-2", "x", "Task", "ALPHA", "ALPHA-9")])
    with pytest.raises(ValueError, match="unknown user"):
        SiteData(users, projects, [issue], [Worklog("1", "10", BOB, started, 60)])
    with pytest.raises(ValueError, match="duplicate issue key"):
        SiteData(users, projects, [issue, Issue("12", "ALPHA-1", "x", "Task", "ALPHA")])
    with pytest.raises(ValueError, match="timezone-aware"):
        Worklog("1", "10", ANN, datetime(2026, 3, 1), 60)
    with pytest.raises(ValueError, match="unknown issue type"):
        Issue("13", "ALPHA-3", "x", "Spike", "ALPHA")


def test_worklogs_of_an_issue_are_ordered_by_start_and_filtered_half_open() -> None:
    data = tiny_site()
    logs = data.worklogs_of("20004")
    assert [log.started for log in logs] == sorted(log.started for log in logs)
    third, fifth = logs[2].started_epoch_ms, logs[4].started_epoch_ms

    window = data.worklogs_started_between("20004", third, fifth)

    assert [log.id for log in window] == [logs[2].id, logs[3].id]


def test_worklog_dates_follow_the_sites_zone() -> None:
    # Worklog 3 starts 2026-03-01 20:00 UTC, which is already 2 March in Kolkata.
    assert tiny_site("UTC").worklog_facts("20003").dates == {date(2026, 3, 1)}
    assert tiny_site("Asia/Kolkata").worklog_facts("20003").dates == {date(2026, 3, 2)}


def test_worklog_defaults_fill_in_created_updated_and_update_author() -> None:
    # 00:30 to 04:30 elapsed on the night New York springs forward: 05:30 on the wall clock.
    started = datetime(2026, 3, 8, 0, 30, tzinfo=ZoneInfo("America/New_York"))
    worklog = Worklog("1", "10", ANN, started, 4 * 3600)

    assert worklog.created_at == datetime(2026, 3, 8, 9, 30, tzinfo=UTC)
    assert worklog.updated_at == worklog.created_at
    assert worklog.updated_by == ANN
