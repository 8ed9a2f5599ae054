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
