"""Benchmark: a Timesheet report on a big site, against a naive baseline, in one run.

The fake Jira site holds 2,000 issues with 40,000 worklogs in the period (10 % of the issues with
more than 20 worklogs), answers every call after 50 ms and rate-limits like Jira Cloud. Measured:

- ``ours``: ``GET /timesheet/api/report`` of the add-on (served over HTTP), acting as the user:
  wall time and the Jira calls it made;
- ``baseline``: what a script built on a plain Jira client does: page the search sequentially,
  then ask for each issue's worklogs, one call per issue, one after the other.

Both totals are compared, so the speed-up is for the same answer. Prints JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from atlassian_connect_kit.storage.crypto import generate_key_line
from atlassian_connect_kit.testing.fakejira import FakeJira, RateLimitConfig, generate_site
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY
from atlassian_connect_kit.testing.server import serve_kit_app

PERIOD_START = dt.date(2026, 10, 1)
PERIOD_DAYS = 30


def baseline_total(
    fake: FakeJira, token: str, jql: str, first: dt.date, last: dt.date
) -> tuple[int, int]:
    """Sequential search, then one worklog call per issue; returns (seconds logged, calls)."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    base = fake.base_url
    calls = 0
    keys: list[str] = []
    next_token: str | None = None
    while True:
        body: dict[str, Any] = {"jql": jql, "fields": ["summary"], "maxResults": 100}
        if next_token:
            body["nextPageToken"] = next_token
        page = session.post(f"{base}/rest/api/3/search/jql", json=body, timeout=60).json()
        calls += 1
        keys.extend(issue["key"] for issue in page["issues"])
        next_token = page.get("nextPageToken")
        if not next_token:
            break
    total = 0
    low = dt.datetime.combine(first, dt.time(), dt.UTC)
    high = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.UTC)
    for key in keys:
        start_at = 0
        while True:
            page = session.get(
                f"{base}/rest/api/3/issue/{key}/worklog",
                params={"startAt": start_at, "maxResults": 1000},
                timeout=60,
            ).json()
            calls += 1
            for worklog in page["worklogs"]:
                started = dt.datetime.strptime(worklog["started"], "%Y-%m-%dT%H:%M:%S.%f%z")
                if low <= started < high:
                    total += worklog["timeSpentSeconds"]
            start_at += len(page["worklogs"])
            if not page["worklogs"] or start_at >= page["total"]:
                break
    return total, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issues", type=int, default=2000)
    parser.add_argument("--worklogs", type=int, default=40000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per Jira call")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()

    site = generate_site(
        11,
        users=60,
        projects=8,
        issues=args.issues,
        worklogs=args.worklogs,
        start=PERIOD_START,
        days=PERIOD_DAYS,
        heavy_issue_share=0.1,
    )
    heavy = sum(1 for issue in site.issues if len(site.worklogs_of(issue.id)) > 20)
    first, last = PERIOD_START, PERIOD_START + dt.timedelta(days=PERIOD_DAYS - 1)
    viewer = next(u for u in site.users if u.active and u.time_zone == "UTC")
    # A viewer who may browse every project, so both methods see the same issues.
    fake = FakeJira(site, rate_limit=RateLimitConfig()).start()
    with tempfile.TemporaryDirectory() as workdir:
        settings = {
            **TEST_APP_IDENTITY,
            "ack.dev_mode": "true",
            "ack.plugins": "smart_timesheet",
            "ack.encryption_keys": generate_key_line(),
            "ack.install_keys_url": fake.install_keys_url,
            "ack.oauth2_token_url": fake.oauth2_token_url,
            "ack.oauth2_audience": fake.oauth_audience,
            "sqlalchemy.url": f"sqlite:///{Path(workdir) / 'bench.sqlite'}",
            "here": workdir,
        }
        server = serve_kit_app(settings)
        try:
            app = fake.install(server.base_url)
            fake.enable(app)
            fake.set_latency(args.latency)
            params = {
                "from": first.isoformat(),
                "to": last.isoformat(),
                "tz": "UTC",
                "group": "user",
            }
            fake.clear_requests()
            started = time.perf_counter()
            response = requests.get(
                f"{server.base_url}/timesheet/api/report",
                params=params,
                headers={"Authorization": f"JWT {fake.context_token(app, viewer.account_id)}"},
                timeout=600,
            )
            ours_seconds = time.perf_counter() - started
            response.raise_for_status()
            report = response.json()
            ours_calls = sum(1 for r in fake.requests if r.path.startswith("/rest/"))
            result: dict[str, Any] = {
                "site": {
                    "issues": len(site.issues),
                    "worklogs": len(site.worklogs),
                    "issues_over_20_worklogs": heavy,
                    "latency_s": args.latency,
                    "rate_limited": True,
                },
                "ours": {
                    "seconds": round(ours_seconds, 2),
                    "jira_calls": ours_calls,
                    "total_seconds_logged": report["total"],
                },
            }
            if not args.skip_baseline:
                token = fake.access_token(app, viewer.account_id)
                jql = f'worklogDate >= "{first}" AND worklogDate <= "{last}"'
                started = time.perf_counter()
                total, calls = baseline_total(fake, token, jql, first, last)
                baseline_seconds = time.perf_counter() - started
                result["baseline"] = {
                    "seconds": round(baseline_seconds, 2),
                    "jira_calls": calls,
                    "total_seconds_logged": total,
                }
                result["speedup"] = round(baseline_seconds / ours_seconds, 1)
                result["same_total"] = total == report["total"]
                result["target_speedup"] = 10
        finally:
            server.stop()
            fake.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
