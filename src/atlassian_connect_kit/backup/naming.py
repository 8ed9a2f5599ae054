"""Backup file names, which sort by creation time, and the timestamps operators type.

A backup is named ``ack-backup-20261127T120000Z.ackb`` after its creation time in UTC, so a
plain listing is in time order and retention can be decided from names alone, without reading
(or being able to decrypt) the files.
"""

from __future__ import annotations

import datetime as dt
import re

PREFIX = "ack-backup-"
SUFFIX = ".ackb"
_STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_NAME_PATTERN = re.compile(r"ack-backup-(\d{8}T\d{6}Z)\.ackb")


def backup_name(created_at: dt.datetime) -> str:
    """Return the file name of a backup created at ``created_at`` (an aware datetime)."""
    return f"{PREFIX}{to_utc(created_at).strftime(_STAMP_FORMAT)}{SUFFIX}"


def created_at_of(name: str) -> dt.datetime | None:
    """Return the creation time a backup's name records, or ``None`` for any other name."""
    match = _NAME_PATTERN.fullmatch(name)
    if match is None:
        return None
    try:
        return dt.datetime.strptime(match.group(1), _STAMP_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError:  # digits in the right places, but not a date (month 13, ...)
        return None


def to_utc(moment: dt.datetime) -> dt.datetime:
    """Return ``moment`` in UTC, whole seconds; refuse a naive datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the time must carry a time zone")
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def parse_timestamp(text: str) -> dt.datetime:
    """Parse an ISO 8601 time with ``Z`` or an offset (``2026-11-27T12:00:00Z``) to UTC.

    The compact form of backup names (``20261127T120000Z``) is accepted too. A time without a
    zone is refused rather than guessed, since a wrong guess shifts retention by hours.
    """
    value = text.strip()
    try:
        moment = dt.datetime.strptime(value, _STAMP_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError:
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not an ISO 8601 time: {text!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone; end it with Z or an offset such as +00:00")
    return to_utc(moment)


def format_timestamp(moment: dt.datetime) -> str:
    """Format an aware datetime as ISO 8601 UTC with ``Z`` (``2026-11-27T12:00:00Z``)."""
    return to_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_age(age: dt.timedelta) -> str:
    """Format an age for people: minutes under two hours, hours under three days, then days."""
    seconds = age.total_seconds()
    if seconds < 0:
        return "in the future"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"
