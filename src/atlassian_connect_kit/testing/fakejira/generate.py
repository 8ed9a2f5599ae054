"""Deterministic synthetic Jira sites, from a handful of records to benchmark sizes.

The same seed and parameters always give the same site. Besides ordinary data, every site carries
the cases timesheet code tends to get wrong: users in zones with half- and three-quarter-hour
offsets and one hiding their zone, an inactive author, non-Latin names, projects some users cannot
browse, epics and sub-tasks, worklogs starting exactly at local midnight, crossing midnight, on the
days clocks change, and issues with more worklogs than Jira embeds in search results (20).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from atlassian_connect_kit.testing.fakejira.model import (
    EMBEDDED_WORKLOG_LIMIT,
    EPIC,
    SUB_TASK,
    Issue,
    Project,
    SiteData,
    User,
    Worklog,
)

# The first users of every site, in this order, so that even the default eight users cover every
# awkward case: zones east and west, offsets of :30 and :45, a hidden zone and an inactive account.
_ROSTER: tuple[tuple[str, str, str | None, bool], ...] = (
    ("Zoë Ångström", "zoe.angstrom", "Europe/Moscow", True),
    ("José Núñez", "jose.nunez", "America/New_York", True),
    ("李雷", "li.lei", "Asia/Kolkata", True),
    ("Aroha Tane", "aroha.tane", "Australia/Adelaide", True),
    ("Sunita Gurung", "sunita.gurung", "Asia/Kathmandu", True),
    ("Malik Osei", "malik.osei", "UTC", True),
    ("Ilse Varga", "ilse.varga", None, True),
    ("Bruno Falk", "bruno.falk", "Europe/Berlin", False),
)
_EXTRA_FIRST_NAMES = ("Amara", "Lena", "Tomás", "Yuki", "Farid", "Noor", "Kai", "Greta", "Ravi")
_EXTRA_LAST_NAMES = ("Okafor", "Lindqvist", "Ñúñez", "Tanaka", "Haddad", "Kowalska", "Moreau")
_EXTRA_ZONES: tuple[str | None, ...] = (
    "Europe/London",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Australia/Adelaide",
    "Asia/Kathmandu",
    "America/Sao_Paulo",
    None,
    "Pacific/Auckland",
)
_PROJECT_NAMES = (
    ("ORION", "Orion Platform"),
    ("VEGA", "Vega Mobile"),
    ("LYRA", "Lyra Data"),
    ("DRACO", "Draco Billing"),
    ("CETUS", "Cetus Support"),
    ("HYDRA", "Hydra Infrastructure"),
    ("PAVO", "Pavo Website"),
)
_SUMMARY_VERBS = ("Fix", "Add", "Refactor", "Document", "Investigate", "Speed up", "Remove")
_SUMMARY_NOUNS = (
    "login timeout",
    "CSV export",
    "invoice rounding",
    "search paging",
    "Übersicht page",
    "café menu sync",
    "daily digest e-mail",
    "rate limiter",
    "時間 tracking widget",
)
_COMMENTS = (
    "Reviewed the pull request",
    "Pairing session",
    "Customer call — follow-up",
    "Wrote tests",
    "Deployment to staging",
    "Réunion d'équipe",
    "调查性能问题",
)
_DURATIONS = (900, 1800, 2700, 3600, 5400, 7200, 10800, 14400, 28800)
_STANDARD_TYPES = ("Story", "Task", "Bug")


@dataclass(frozen=True, slots=True)
class _Slot:
    """One worklog to generate: its issue, and a fixed author and local start when special."""

    issue_index: int
    author_index: int | None = None
    local_start: datetime | None = None
    seconds: int | None = None


def generate_site(
    seed: int,
    *,
    users: int = 8,
    projects: int = 3,
    issues: int = 30,
    worklogs: int = 300,
    start: date,
    days: int,
    big_issue_worklogs: int = 0,
    heavy_issue_share: float = 0.0,
    time_zone: str = "UTC",
) -> SiteData:
    """Return a synthetic site; the same arguments always give the same site.

    ``worklogs`` are spread over ``issues`` with their ``started`` day in
    ``[start, start + days)`` in the author's zone. Issues are "heavy" when they have more than 20
    worklogs: at least one is whenever ``worklogs > 20``, and ``heavy_issue_share`` (0..1) raises
    that to a share of all issues; the others get at most 20. ``big_issue_worklogs > 0`` adds one
    more issue's worth: an existing issue gets exactly that many worklogs on top of ``worklogs``.
    The special cases described in the module docstring are all present from eight users on.
    ``time_zone`` is the site's default zone.
    """
    if users < 1 or projects < 1 or issues < 0 or worklogs < 0 or days < 1:
        raise ValueError("users, projects and days must be positive; issues, worklogs not negative")
    if not 0.0 <= heavy_issue_share <= 1.0:
        raise ValueError("heavy_issue_share must be between 0 and 1")
    if big_issue_worklogs < 0:
        raise ValueError("big_issue_worklogs must not be negative")
    rng = random.Random(seed)
    site_zone = ZoneInfo(time_zone)
    user_list = _make_users(rng, users, projects)
    project_list = _make_projects(projects)
    issue_drafts = _make_issue_drafts(rng, project_list, issues)
    slots = _plan_slots(rng, issues, worklogs, big_issue_worklogs, heavy_issue_share)
    members = [
        [index for index, user in enumerate(user_list) if project.key in user.project_keys]
        for project in project_list
    ]
    issue_projects = [draft.project_index for draft in issue_drafts]
    slots = _with_special_times(slots, user_list, members, issue_projects, start, days, site_zone)
    worklog_list = _make_worklogs(
        rng, slots, user_list, members, issue_projects, start, days, site_zone
    )
    issue_list = _finish_issues(rng, issue_drafts, worklog_list, start)
    return SiteData(
        users=user_list,
        projects=project_list,
        issues=issue_list,
        worklogs=worklog_list,
        time_zone=time_zone,
    )


def _make_users(rng: random.Random, count: int, project_count: int) -> list[User]:
    made: list[User] = []
    for index in range(count):
        if index < len(_ROSTER):
            name, mailbox, zone, active = _ROSTER[index]
        else:
            first = _EXTRA_FIRST_NAMES[index % len(_EXTRA_FIRST_NAMES)]
            last = _EXTRA_LAST_NAMES[(index // len(_EXTRA_FIRST_NAMES)) % len(_EXTRA_LAST_NAMES)]
            name = f"{first} {last}"
            mailbox = f"user{index}"
            zone = _EXTRA_ZONES[index % len(_EXTRA_ZONES)]
            active = True
        made.append(
            User(
                account_id=f"{rng.getrandbits(96):024x}",
                display_name=name,
                email_address=f"{mailbox}@example.com",
                time_zone=zone,
                active=active,
                locale=_locale(index),
                project_keys=frozenset(
                    _project_key(project)
                    for project in range(project_count)
                    if _is_member(index, project)
                ),
            )
        )
    return made


def _locale(user_index: int) -> str:
    # The first user (who opens the demo) reads English written the British way; every third one
    # after reads German, so that pages see more than one way of writing dates and numbers.
    if user_index == 0:
        return "en_GB"
    return "en_US" if user_index % 3 else "de_DE"


def _is_member(user_index: int, project_index: int) -> bool:
    # The first user browses everything (someone must see every project); every third
    # user/project pairing is left out, so each project has users who cannot see it.
    return user_index == 0 or (user_index + project_index) % 3 != 0


def _project_key(index: int) -> str:
    return _PROJECT_NAMES[index][0] if index < len(_PROJECT_NAMES) else f"PRJ{index}"


def _make_projects(count: int) -> list[Project]:
    made = []
    for index in range(count):
        key = _project_key(index)
        name = _PROJECT_NAMES[index][1] if index < len(_PROJECT_NAMES) else f"Project {index}"
        made.append(Project(id=str(10000 + index), key=key, name=name))
    return made


class _IssueDraft(NamedTuple):
    """An issue before its timestamps are known (they depend on its worklogs)."""

    project_index: int
    project_key: str
    key: str
    summary: str
    issue_type: str
    parent_key: str | None


def _make_issue_drafts(
    rng: random.Random, project_list: list[Project], count: int
) -> list[_IssueDraft]:
    """Return the issues in project order round-robin, each project's hierarchy starting with an
    epic, stories, tasks and bugs often under an epic, and sub-tasks under those."""
    drafts: list[_IssueDraft] = []
    numbers = [0] * len(project_list)
    epics: list[list[str]] = [[] for _ in project_list]
    standard: list[list[str]] = [[] for _ in project_list]
    for index in range(count):
        project_index = index % len(project_list)
        project = project_list[project_index]
        numbers[project_index] += 1
        key = f"{project.key}-{numbers[project_index]}"
        roll = rng.random()
        parent: str | None = None
        if not epics[project_index] or roll < 0.08:
            issue_type = EPIC
            epics[project_index].append(key)
        elif roll < 0.3 and standard[project_index]:
            issue_type = SUB_TASK
            parent = rng.choice(standard[project_index])
        else:
            issue_type = rng.choice(_STANDARD_TYPES)
            standard[project_index].append(key)
            if rng.random() < 0.6:
                parent = rng.choice(epics[project_index])
        summary = f"{rng.choice(_SUMMARY_VERBS)} {rng.choice(_SUMMARY_NOUNS)}"
        drafts.append(_IssueDraft(project_index, project.key, key, summary, issue_type, parent))
    return drafts


def _plan_slots(
    rng: random.Random, issues: int, worklogs: int, big: int, heavy_share: float
) -> list[_Slot]:
    """Decide how many worklogs each issue gets, honouring the heavy-issue and big-issue rules."""
    total = worklogs + big
    if total and issues == 0:
        raise ValueError("worklogs need at least one issue")
    big_index = rng.randrange(issues) if big else None
    pool = [index for index in range(issues) if index != big_index]
    if worklogs and not pool:
        raise ValueError("a big issue plus other worklogs needs at least two issues")
    heavy_count = round(heavy_share * len(pool))
    if worklogs > EMBEDDED_WORKLOG_LIMIT:
        heavy_count = max(heavy_count, 1)
    heavy_minimum = EMBEDDED_WORKLOG_LIMIT + 1
    if heavy_count * heavy_minimum > worklogs:
        raise ValueError(
            f"{heavy_count} heavy issues need at least {heavy_count * heavy_minimum} worklogs"
        )
    heavy = rng.sample(pool, heavy_count)
    heavy_set = set(heavy)
    counts = dict.fromkeys(pool, 0)
    for index in heavy:
        counts[index] = heavy_minimum
    for _ in range(worklogs - heavy_count * heavy_minimum):
        index = rng.choice(pool)
        if index not in heavy_set and counts[index] >= EMBEDDED_WORKLOG_LIMIT:
            # A light issue is full; the surplus goes to a heavy one, which exists because more
            # than 20 worklogs always make at least one issue heavy.
            index = rng.choice(heavy)
        counts[index] += 1
    slots = [_Slot(index) for index, count in counts.items() for _ in range(count)]
    if big_index is not None:
        slots.extend(_Slot(big_index) for _ in range(big))
    rng.shuffle(slots)
    return slots


def _with_special_times(
    slots: list[_Slot],
    user_list: list[User],
    members: list[list[int]],
    issue_projects: list[int],
    start: date,
    days: int,
    site_zone: ZoneInfo,
) -> list[_Slot]:
    """Pin some slots to the boundary cases: local midnight, crossing midnight, DST changes."""
    wanted: list[tuple[int, datetime, int]] = []

    def local(author: int, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=_zone_of(user_list[author], site_zone))

    last_day = start + timedelta(days=days - 1)
    # Exactly at local midnight on the first day: in UTC this is still the previous day for
    # anyone east of Greenwich.
    wanted.append((0, local(0, start, time(0, 0)), 3600))
    if len(user_list) > 2:
        # From 23:30 on a half-hour-offset zone across local midnight.
        wanted.append((2, local(2, start, time(23, 30)), 7200))
    if len(user_list) > 3:
        # The last minute of the period, far east of UTC.
        wanted.append((3, local(3, last_day, time(23, 59)), 60))
    for author, user in enumerate(user_list):
        zone = _zone_of(user, site_zone)
        for day in _clock_change_days(zone, start, days):
            # 00:30 to 04:30 local spans the change, so the wall-clock length differs from the
            # time spent by an hour.
            wanted.append((author, local(author, day, time(0, 30)), 4 * 3600))
    taken: set[int] = set()
    pinned = list(slots)
    for author, local_start, seconds in wanted:
        for position, slot in enumerate(pinned):
            if position in taken or author not in members[issue_projects[slot.issue_index]]:
                continue
            pinned[position] = _Slot(slot.issue_index, author, local_start, seconds)
            taken.add(position)
            break
    return pinned


def _clock_change_days(zone: ZoneInfo, start: date, days: int) -> list[date]:
    changes = []
    offset = datetime.combine(start, time(0), tzinfo=zone).utcoffset()
    for step in range(1, days + 1):
        day = start + timedelta(days=step)
        next_offset = datetime.combine(day, time(0), tzinfo=zone).utcoffset()
        if next_offset != offset:
            changes.append(day - timedelta(days=1))
            offset = next_offset
    return changes


def _zone_of(user: User, site_zone: ZoneInfo) -> ZoneInfo:
    # People who hide their zone still work somewhere; the site's zone stands in for it.
    return ZoneInfo(user.time_zone) if user.time_zone else site_zone


def _make_worklogs(
    rng: random.Random,
    slots: list[_Slot],
    user_list: list[User],
    members: list[list[int]],
    issue_projects: list[int],
    start: date,
    days: int,
    site_zone: ZoneInfo,
) -> list[Worklog]:
    zones = [_zone_of(user, site_zone) for user in user_list]
    made = []
    for number, slot in enumerate(slots):
        if slot.author_index is not None and slot.local_start is not None:
            author = slot.author_index
            local_start = slot.local_start
            seconds = slot.seconds or 3600
        else:
            author = rng.choice(members[issue_projects[slot.issue_index]])
            day = start + timedelta(days=rng.randrange(days))
            at = time(rng.randrange(7, 19), rng.choice((0, 15, 30, 45)))
            local_start = datetime.combine(day, at, tzinfo=zones[author])
            seconds = rng.choice(_DURATIONS) if rng.random() < 0.9 else 60 * rng.randrange(1, 480)
        # A round trip through UTC settles wall-clock times that fall into a clock change.
        started = local_start.astimezone(UTC).astimezone(zones[author])
        # In UTC, so that adding time is adding elapsed time even across a clock change.
        created = started.astimezone(UTC) + timedelta(seconds=seconds + rng.randrange(0, 2 * 86400))
        updated = created + timedelta(hours=rng.randrange(1, 72)) if rng.random() < 0.1 else created
        made.append(
            Worklog(
                id=str(100000 + number),
                issue_id=str(10001 + slot.issue_index),
                author_account_id=user_list[author].account_id,
                started=started,
                time_spent_seconds=seconds,
                comment=rng.choice(_COMMENTS) if rng.random() < 0.7 else None,
                created=created,
                updated=updated,
            )
        )
    return made


def _finish_issues(
    rng: random.Random, drafts: list[_IssueDraft], worklog_list: list[Worklog], start: date
) -> list[Issue]:
    last_update: dict[str, datetime] = {}
    for worklog in worklog_list:
        previous = last_update.get(worklog.issue_id)
        if previous is None or worklog.updated_at > previous:
            last_update[worklog.issue_id] = worklog.updated_at
    issues = []
    for index, draft in enumerate(drafts):
        issue_id = str(10001 + index)
        created = datetime.combine(
            start - timedelta(days=rng.randrange(1, 90)), time(9), tzinfo=UTC
        ) + timedelta(minutes=rng.randrange(0, 600))
        updated = max(created, last_update.get(issue_id, created))
        issues.append(
            Issue(
                id=issue_id,
                key=draft.key,
                summary=draft.summary,
                issue_type=draft.issue_type,
                project_key=draft.project_key,
                parent_key=draft.parent_key,
                created=created,
                updated=updated,
            )
        )
    return issues
