"""Measure the report engine's throughput on synthetic worklogs and print the results as JSON.

Generates a year of worklogs for about 200 people spread over several time zones (some hiding
theirs), then times ``build_report`` for day, week and month columns, grouped by user and by
project then issue, counting days in the viewer's and in each author's zone.

    python bench/report_engine.py [--worklogs N] [--seed S]

Output: ``{"worklogs": N, "runs": [{"columns", "group", "tz", "seconds", "worklogs_per_second"}],
"min_worklogs_per_second": ...}``. The engine must sustain at least 500,000 worklogs per second.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import sys
import time
from typing import Any

from smart_timesheet_plugin.params import ColumnUnit, GroupDimension, ReportParams
from smart_timesheet_plugin.report import Worklog, build_report

YEAR_START = datetime.date(2023, 1, 1)
YEAR_END = datetime.date(2023, 12, 31)
VIEWER_TZ = "Europe/Berlin"
# Where the synthetic team sits; None is an author who hides their zone.
AUTHOR_ZONES = (
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Sydney",
    "Pacific/Auckland",
    "UTC",
    None,
)
USERS = 200
PROJECTS = 20
ISSUES_PER_PROJECT = 150
COLUMN_UNITS: tuple[ColumnUnit, ...] = ("day", "week", "month")
GROUPINGS: tuple[tuple[GroupDimension, ...], ...] = (("user",), ("project", "issue"))
ZONE_MODES = ("viewer", "author")


def synthetic_worklogs(count: int, seed: int) -> list[Worklog]:
    """``count`` worklogs started at random instants of the year, by random people on random
    issues, each lasting a multiple of 15 minutes up to four hours."""
    rng = random.Random(seed)
    users = [
        (f"5b10ac8d82e05b22cc7d{number:04d}", f"Person {number:03d}", rng.choice(AUTHOR_ZONES))
        for number in range(USERS)
    ]
    issues = []
    for project_number in range(PROJECTS):
        project_key = f"P{project_number:02d}"
        for issue_number in range(1, ISSUES_PER_PROJECT + 1):
            parent = f"{project_key}-{issue_number % 10 + 1}" if issue_number > 10 else None
            issues.append((project_key, f"{project_key}-{issue_number}", parent))
    year_start_ms = int(
        datetime.datetime.combine(YEAR_START, datetime.time(), datetime.UTC).timestamp() * 1000
    )
    year_ms = ((YEAR_END - YEAR_START).days + 1) * 86_400_000
    worklogs = []
    for number in range(count):
        author_id, author_name, author_tz = users[rng.randrange(USERS)]
        project_key, issue_key, parent_key = issues[rng.randrange(len(issues))]
        worklogs.append(
            Worklog(
                id=str(number),
                issue_key=issue_key,
                issue_summary=f"Summary of {issue_key}",
                issue_type="Bug" if number % 5 == 0 else "Task",
                project_key=project_key,
                project_name=f"Project {project_key}",
                parent_key=parent_key,
                parent_summary=None if parent_key is None else f"Summary of {parent_key}",
                author_id=author_id,
                author_name=author_name,
                author_tz=author_tz,
                started_ms=year_start_ms + rng.randrange(year_ms),
                seconds=900 * rng.randint(1, 16),
                comment="",
            )
        )
    return worklogs


def run(worklogs: list[Worklog]) -> dict[str, Any]:
    """Time every combination once and summarise."""
    runs: list[dict[str, Any]] = []
    for columns in COLUMN_UNITS:
        for group in GROUPINGS:
            for tz in ZONE_MODES:
                params = ReportParams(YEAR_START, YEAR_END, columns=columns, group=group, tz=tz)
                started = time.perf_counter()
                report = build_report(worklogs, params, viewer_tz=VIEWER_TZ)
                elapsed = time.perf_counter() - started
                if report.total <= 0:
                    raise RuntimeError("the synthetic year produced an empty report")
                runs.append(
                    {
                        "columns": columns,
                        "group": ",".join(group),
                        "tz": tz,
                        "seconds": round(elapsed, 4),
                        "worklogs_per_second": round(len(worklogs) / elapsed),
                    }
                )
    return {
        "worklogs": len(worklogs),
        "runs": runs,
        "min_worklogs_per_second": min(int(item["worklogs_per_second"]) for item in runs),
    }


def main(argv: list[str] | None = None) -> int:
    """Parse options, generate worklogs, run the benchmark, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--worklogs", type=int, default=1_000_000, help="how many (1,000,000)")
    parser.add_argument("--seed", type=int, default=2014, help="random seed (2014)")
    options = parser.parse_args(argv)
    if options.worklogs < 1:
        parser.error("--worklogs must be at least 1")
    result = run(synthetic_worklogs(options.worklogs, options.seed))
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
