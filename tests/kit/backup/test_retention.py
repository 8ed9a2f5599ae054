"""The retention policy keeps what the privacy statement promises, and nothing older."""

import datetime as dt

import pytest

from atlassian_connect_kit.backup.naming import backup_name
from atlassian_connect_kit.backup.retention import latest_expiry, plan_retention

START = dt.datetime(2026, 1, 1, 2, 0, tzinfo=dt.UTC)


def month_index(moment):
    return moment.year * 12 + moment.month - 1


def expected_kept(created, now, keep_days=35, keep_months=13):
    """The policy in words: all younger than keep_days, plus each recent month's newest."""
    daily = {c for c in created if now - c < dt.timedelta(days=keep_days)}
    newest = {}
    for c in sorted(created):
        newest[month_index(c)] = c
    monthly = {c for m, c in newest.items() if 0 <= month_index(now) - m < keep_months and c <= now}
    return daily | monthly


def simulate(days, *, keep_days=35, keep_months=13):
    """A backup every day at 02:00 followed by a prune, for ``days`` days."""
    kept = []
    for day in range(days):
        now = START + dt.timedelta(days=day)
        kept.append((backup_name(now), now))
        decisions = plan_retention(kept, now=now, keep_days=keep_days, keep_months=keep_months)
        kept = [(d.name, d.created_at) for d in decisions if d.keep]
    return kept, now


def test_a_year_of_daily_backups_keeps_35_days_and_one_per_month_for_13_months():
    kept, now = simulate(400)
    assert now == dt.datetime(2027, 2, 4, 2, 0, tzinfo=dt.UTC)
    created = [c for _, c in kept]
    # The daily window: 1 January to 4 February 2027.
    daily = [START + dt.timedelta(days=d) for d in range(365, 400)]
    # The 13 months are February 2026 to February 2027; the newest backups of January and
    # February 2027 are daily ones, so eleven month-end backups remain: February to December 2026.
    month_ends = [
        dt.datetime(2026 + month // 12, month % 12 + 1, 1, 2, 0, tzinfo=dt.UTC)
        - dt.timedelta(days=1)
        for month in range(2, 13)
    ]
    assert created == month_ends + daily
    assert len(daily) == 35 and len(month_ends) == 11
    assert created == sorted(expected_kept(created, now))


def test_pruning_every_day_equals_pruning_once_at_the_end():
    kept_daily, now = simulate(400)
    all_backups = [
        (backup_name(START + dt.timedelta(days=d)), START + dt.timedelta(days=d))
        for d in range(400)
    ]
    once = plan_retention(all_backups, now=now, keep_days=35, keep_months=13)
    assert [(d.name, d.created_at) for d in once if d.keep] == kept_daily
    assert {c for _, c in kept_daily} == expected_kept([c for _, c in all_backups], now)


def test_monthly_backups_are_the_last_of_their_month():
    kept, now = simulate(400)
    older = [c for _, c in kept if now - c >= dt.timedelta(days=35)]
    assert older, "the simulation reaches beyond the daily window"
    for created in older:
        assert (created + dt.timedelta(days=1)).month != created.month


def test_every_decision_says_why():
    kept, now = simulate(120)
    decisions = plan_retention(
        [*kept, ("ack-backup-extra.ackb", now - dt.timedelta(days=500))],
        now=now,
        keep_days=35,
        keep_months=13,
    )
    reasons = {d.name: d.reason for d in decisions}
    assert reasons[backup_name(now)] == "younger than 35 days"
    assert any(r.startswith("newest of ") and "monthly" in r for r in reasons.values())
    extra = next(d for d in decisions if d.name == "ack-backup-extra.ackb")
    assert not extra.keep and extra.reason == "expired"


def test_keep_months_zero_keeps_only_the_recent_days():
    kept, now = simulate(100, keep_days=7, keep_months=0)
    assert len(kept) == 7
    assert all(now - c < dt.timedelta(days=7) for _, c in kept)


def test_a_backup_dated_after_now_is_kept():
    now = START
    future = now + dt.timedelta(days=3)
    decisions = plan_retention([("f", future)], now=now, keep_days=1, keep_months=0)
    assert decisions[0].keep and decisions[0].reason == "dated after now"


def test_the_newest_of_a_month_supersedes_older_ones_of_that_month():
    now = dt.datetime(2027, 6, 15, tzinfo=dt.UTC)
    march = [dt.datetime(2027, 3, d, tzinfo=dt.UTC) for d in (1, 10, 31)]
    decisions = plan_retention(
        [(str(c.day), c) for c in march], now=now, keep_days=35, keep_months=13
    )
    assert [d.keep for d in decisions] == [False, False, True]


def test_a_naive_now_is_refused():
    with pytest.raises(ValueError):
        plan_retention([], now=dt.datetime(2026, 1, 1), keep_days=1, keep_months=1)


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        # The newest of May 2026 stays until its month leaves the 13-month window.
        (dt.datetime(2026, 5, 31, 2, tzinfo=dt.UTC), dt.datetime(2027, 6, 1, tzinfo=dt.UTC)),
        (dt.datetime(2026, 12, 31, 23, tzinfo=dt.UTC), dt.datetime(2028, 1, 1, tzinfo=dt.UTC)),
    ],
)
def test_latest_expiry_is_the_end_of_the_monthly_window(created, expected):
    assert latest_expiry(created, keep_days=35, keep_months=13) == expected
    decisions = plan_retention(
        [("b", created)], now=expected - dt.timedelta(seconds=1), keep_days=35, keep_months=13
    )
    assert decisions[0].keep
    decisions = plan_retention([("b", created)], now=expected, keep_days=35, keep_months=13)
    assert not decisions[0].keep


def test_latest_expiry_without_monthly_backups_is_the_daily_window():
    created = dt.datetime(2026, 5, 10, tzinfo=dt.UTC)
    assert latest_expiry(created, keep_days=35, keep_months=0) == created + dt.timedelta(days=35)
