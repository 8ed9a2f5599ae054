"""Which backups to keep: every recent one, plus the newest of each recent month. Pure.

With the defaults (35 days, 13 months) a site can be restored to any day of the last five weeks
and to the end of any month of the last year, and nothing older survives: backups of a removed
tenant expire on their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    """The fate of one backup and the reason, as ``ack backup prune`` prints it."""

    name: str
    created_at: dt.datetime
    keep: bool
    reason: str


def _month_index(moment: dt.datetime) -> int:
    return moment.year * 12 + moment.month - 1


def plan_retention(
    backups: Iterable[tuple[str, dt.datetime]],
    *,
    now: dt.datetime,
    keep_days: int,
    keep_months: int,
) -> list[Decision]:
    """Decide, for each ``(name, created_at)``, whether it is kept; oldest first.

    Kept: every backup younger than ``keep_days`` days, and the newest backup of each calendar
    month (UTC) among the ``keep_months`` months ending with the current one. Backups dated after
    ``now`` are kept (a clock went wrong; deleting would be the unsafe guess).
    """
    if now.tzinfo is None or keep_days < 0 or keep_months < 0:
        raise ValueError("now must be timezone-aware and the keep counts not negative")
    now = now.astimezone(dt.UTC)
    ordered = sorted(backups, key=lambda item: (item[1], item[0]))
    newest_of_month: dict[int, str] = {}
    for name, created in ordered:
        newest_of_month[_month_index(created.astimezone(dt.UTC))] = name
    current_month = _month_index(now)
    young = dt.timedelta(days=keep_days)
    decisions: list[Decision] = []
    for name, created in ordered:
        utc = created.astimezone(dt.UTC)
        months_back = current_month - _month_index(utc)
        if utc > now:
            decisions.append(Decision(name, created, True, "dated after now"))
        elif now - utc < young:
            decisions.append(Decision(name, created, True, f"younger than {keep_days} days"))
        elif months_back < keep_months and newest_of_month[_month_index(utc)] == name:
            decisions.append(
                Decision(
                    name,
                    created,
                    True,
                    f"newest of {utc:%Y-%m} (monthly, {keep_months} months kept)",
                )
            )
        else:
            decisions.append(Decision(name, created, False, "expired"))
    return decisions


def latest_expiry(created_at: dt.datetime, *, keep_days: int, keep_months: int) -> dt.datetime:
    """Return the latest moment a backup created at ``created_at`` can still be kept.

    Either its days run out, or (if it ends up the newest of its month) its month leaves the
    monthly window, whichever is later. Used to say how long a removed tenant stays in backups
    and how long a retired key is still needed.
    """
    utc = created_at.astimezone(dt.UTC)
    by_days = utc + dt.timedelta(days=keep_days)
    month = _month_index(utc) + keep_months
    by_months = dt.datetime(month // 12, month % 12 + 1, 1, tzinfo=dt.UTC)
    return max(by_days, by_months)


def removal_horizon(now: dt.datetime, *, keep_days: int, keep_months: int) -> dt.datetime:
    """Return the moment before which a removal can no longer be undone by a kept backup.

    A site removed before it is held only by backups made before it, and every one of those has
    expired at ``now`` (:func:`latest_expiry` of a backup made just before the removal is not
    later than ``now``). The removal journal forgets such removals.
    """
    if now.tzinfo is None or keep_days < 0 or keep_months < 0:
        raise ValueError("now must be timezone-aware and the keep counts not negative")
    utc = now.astimezone(dt.UTC)
    by_days = utc - dt.timedelta(days=keep_days)
    # A backup of month m is kept while m + keep_months > the current month: removals before the
    # first day of (current month - keep_months + 1) are older than every such month's backups.
    month = _month_index(utc) - keep_months + 1
    by_months = dt.datetime(month // 12, month % 12 + 1, 1, tzinfo=dt.UTC)
    return min(by_days, by_months)
