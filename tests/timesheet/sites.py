"""Fake Jira sites the Timesheet's tests read, built by hand or by arithmetic (never at random)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from atlassian_connect_kit.testing.fakejira import Issue, Project, SiteData, User, Worklog

#: Account ids of the contract site's people (see :func:`contract_site`).
CONTRACT_VIEWER = "5b10a2844c20165700ede303"  # Lee Lead, UTC, browses both projects
CONTRACT_OUTSIDER = "5b10a2844c20165700ede304"  # Olu Outside, New York, browses ALPHA only


def contract_site() -> SiteData:
    """A fixed site whose reports pin down the Timesheet's public output byte for byte.

    Built by arithmetic, not at random, so it never changes unless this code does: 160 worklogs
    from 20 February to early April 2014 (across the American, European and Lord Howe clock
    changes), by seven people in zones with odd offsets or none, on two projects with epics,
    stories, sub-tasks and an issue with more worklogs than Jira embeds in a search result. Names
    hold non-ASCII text, a comma and a formula, comments span lines.
    """
    users = [
        User(
            "5b10a2844c20165700ede301",
            "Мария Иванова",
            "maria@example.com",
            "Europe/Moscow",
            project_keys=frozenset({"ALPHA", "BETA"}),
        ),
        User(
            "5b10a2844c20165700ede302",
            "Zoë Ångström",
            "zoe@example.com",
            None,
            project_keys=frozenset({"ALPHA", "BETA"}),
        ),
        User(
            CONTRACT_VIEWER,
            "Lee Lead",
            "lee@example.com",
            "UTC",
            project_keys=frozenset({"ALPHA", "BETA"}),
        ),
        User(
            CONTRACT_OUTSIDER,
            "Olu Outside",
            "olu@example.com",
            "America/New_York",
            project_keys=frozenset({"ALPHA"}),
        ),
        User(
            "5b10a2844c20165700ede305",
            "Kiran Rao",
            "kiran@example.com",
            "Asia/Kolkata",
            project_keys=frozenset({"ALPHA", "BETA"}),
        ),
        User(
            "5b10a2844c20165700ede306",
            "=cmd|' /C calc'!A0",
            "mallory@example.com",
            "Pacific/Chatham",
            project_keys=frozenset({"BETA"}),
        ),
        User(
            "5b10a2844c20165700ede307",
            "Howe, Lord",
            "howe@example.com",
            "Australia/Lord_Howe",
            project_keys=frozenset({"ALPHA", "BETA"}),
        ),
    ]
    projects = [Project("10000", "ALPHA", "Alpha"), Project("10001", "BETA", "Beta, Inc.")]
    issues = [
        Issue("20001", "ALPHA-1", "Epic of alpha", "Epic", "ALPHA"),
        Issue("20002", "ALPHA-2", "Build the thing", "Story", "ALPHA", parent_key="ALPHA-1"),
        Issue("20003", "ALPHA-3", "Crash on save", "Bug", "ALPHA"),
        Issue("20004", "ALPHA-4", "Write tests", "Sub-task", "ALPHA", parent_key="ALPHA-2"),
        Issue("20011", "BETA-1", "Secret beta work", "Task", "BETA"),
        Issue("20012", "BETA-2", "Beta epic", "Epic", "BETA"),
        Issue("20013", "BETA-3", "Löschen schlägt fehl", "Bug", "BETA", parent_key="BETA-2"),
    ]
    # ALPHA-2 gets four worklogs in ten, more than the 20 a search result embeds.
    issue_cycle = ["20002"] * 4 + ["20001", "20003", "20004", "20011", "20012", "20013"]
    comments = [None, "Worked on item {n}", "line one\nline two ✓"]
    first = datetime(2014, 2, 20, tzinfo=UTC)
    worklogs = [
        Worklog(
            str(30000 + n),
            issue_cycle[n % len(issue_cycle)],
            users[(n * 5 + n // 7) % len(users)].account_id,
            first + n * timedelta(hours=7, minutes=13, seconds=17, milliseconds=37),
            900 * (1 + n % 8) + (n % 5) * 17,
            comment=None if comments[n % 3] is None else str(comments[n % 3]).format(n=n),
        )
        for n in range(160)
    ]
    return SiteData(users=users, projects=projects, issues=issues, worklogs=worklogs)


#: Account ids of the year site's people (see :func:`year_site`).
YEAR_ANN = "5b10a2844c20165700ede401"  # UTC
YEAR_BEN = "5b10a2844c20165700ede402"  # Asia/Tokyo


def year_site() -> SiteData:
    """A year of work (2025) on twelve issues, each with more worklogs than a search embeds.

    Every issue gets a worklog every 16 days from its own start, alternately by Ann (UTC) and Ben
    (Tokyo), so a whole-year fetch must page every issue's worklogs while one day's cell concerns
    one or two issues. ALPHA-1 is an epic over ALPHA-2..6; BETA issues have no parent.
    """
    users = [
        User(
            YEAR_ANN,
            "Ann Archer",
            "ann@example.com",
            "UTC",
            project_keys=frozenset({"ALPHA", "BETA"}),
        ),
        User(
            YEAR_BEN,
            "Ben Baker",
            "ben@example.com",
            "Asia/Tokyo",
            project_keys=frozenset({"ALPHA", "BETA"}),
        ),
    ]
    projects = [Project("10000", "ALPHA", "Alpha"), Project("10001", "BETA", "Beta")]
    issues = [Issue("21001", "ALPHA-1", "Year epic", "Epic", "ALPHA")]
    issues += [
        Issue(
            str(21000 + n), f"ALPHA-{n}", f"Alpha story {n}", "Story", "ALPHA", parent_key="ALPHA-1"
        )
        for n in range(2, 7)
    ]
    issues += [
        Issue(str(22000 + n), f"BETA-{n}", f"Beta bug {n}", "Bug", "BETA") for n in range(1, 7)
    ]
    first = datetime(2025, 1, 1, 10, 0, tzinfo=UTC)
    worklogs = [
        Worklog(
            f"{40000 + index * 100 + n}",
            issue.id,
            (YEAR_ANN, YEAR_BEN)[n % 2],
            first + timedelta(days=index + 16 * n, hours=n % 5),
            1800 + 300 * (n % 4),
            comment=f"{issue.key} step {n}",
        )
        for index, issue in enumerate(issues)
        for n in range(23)
        if index + 16 * n < 365
    ]
    return SiteData(users=users, projects=projects, issues=issues, worklogs=worklogs)


def admin_site(
    administrator: str, lead: str, other: str, logged: list[tuple[str, datetime, int]]
) -> SiteData:
    """Ada Admin (a Jira administrator), Lee Lead and Olu Other, all in UTC and browsing ALPHA,
    with ``logged`` as worklogs on ALPHA-1: ``(author, started, seconds)`` each.

    The site of the tests about what Jira keeps for the app (saved reports, expected hours):
    who may change the site's settings is the one thing its people differ in.
    """
    alpha = frozenset({"ALPHA"})
    users = [
        User(
            administrator,
            "Ada Admin",
            "ada@example.com",
            "UTC",
            project_keys=alpha,
            administrator=True,
        ),
        User(lead, "Lee Lead", "lee@example.com", "UTC", project_keys=alpha),
        User(other, "Olu Other", "olu@example.com", "UTC", project_keys=alpha),
    ]
    issue = Issue("20001", "ALPHA-1", "Work", "Task", "ALPHA")
    worklogs = [
        Worklog(f"{30001 + index}", "20001", author, started, seconds)
        for index, (author, started, seconds) in enumerate(logged)
    ]
    return SiteData(
        users=users,
        projects=[Project("10000", "ALPHA", "Alpha")],
        issues=[issue],
        worklogs=worklogs,
    )
