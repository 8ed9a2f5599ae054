"""Benchmark: 1,000 installed sites under mixed traffic, optionally through a database outage.

Serves the app with gunicorn and the project's gunicorn.conf.py (its defaults: one gthread worker
per CPU, 8 threads each), with the Timesheet enabled plus ``apps/bench_app.py``, on a private
PostgreSQL cluster made for the run (``initdb``; SQLite where PostgreSQL is not installed). Every
site is installed through the real signed ``installed`` callback from the fake Jira site. Then
16 keep-alive connections send, for a bounded time:

- 50 % page loads: ``GET /timesheet`` with a fresh Jira-signed URL, for a random site;
- 40 % XHRs: ``GET /bench/api`` with the site's context token (the page's own XHR route stand-in);
- 10 % reports: ``GET /timesheet/api/report`` for the site the fake Jira knows (the fake site
  remembers one installation), which calls Jira over loopback.

``--outage-at S --outage-seconds D`` stops the database S seconds into the run and starts it D
seconds later. Requests overlapping that window may be answered 503 (with Retry-After); every
other request must succeed. Prints JSON: throughput, latency percentiles per kind and overall,
and errors outside the outage window (which must be 0), plus what happened during it.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import loadgen

from atlassian_connect_kit.storage.crypto import generate_key_line
from atlassian_connect_kit.storage.db import make_engine, upgrade
from atlassian_connect_kit.testing.fakejira import FakeJira
from atlassian_connect_kit.testing.fakejira.connect import InstalledApp, signed_module_url
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY
from atlassian_connect_kit.testing.postgres import PrivatePostgres, find_postgres_bin
from atlassian_connect_kit.testing.processes import GunicornServer, listening_socket, write_ini

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
CONNECTIONS = 16
REPORT_QUERY = "from=2026-01-05&to=2026-02-01&group=user"
MIX = ("page",) * 5 + ("api",) * 4 + ("report",)


def install_sites(fake: FakeJira, server: GunicornServer, count: int) -> list[InstalledApp]:
    """Install ``count`` sites through signed ``installed`` callbacks, eight at a time."""
    descriptor = fake.install(server.base_url).descriptor
    with ThreadPoolExecutor(max_workers=8) as pool:
        apps = list(
            pool.map(
                lambda n: fake.install(
                    server.base_url, descriptor=descriptor, client_key=f"jira:load-site-{n:04d}"
                ),
                range(count),
            )
        )
    failed = [app.client_key for app in apps if app.install_status != 204]
    if failed:
        raise RuntimeError(f"{len(failed)} installs failed, first {failed[0]}")
    return apps


def page_path(fake: FakeJira, app: InstalledApp, viewer: str) -> str:
    url = signed_module_url(
        app,
        "/timesheet",
        site_base_url=fake.base_url,
        account_id=viewer,
        time_zone=None,
        locale="en_US",
        context=None,
        now=int(time.time()),
    )
    return url.removeprefix(app.app_base_url)


def summarise(results: list[loadgen.Result], seconds: float) -> dict[str, Any]:
    latencies = sorted(r.ended - r.started for r in results)
    return {
        "requests": len(results),
        "rps": round(len(results) / seconds, 1),
        "p50_ms": round(loadgen.percentile(latencies, 50) * 1000, 2),
        "p90_ms": round(loadgen.percentile(latencies, 90) * 1000, 2),
        "p99_ms": round(loadgen.percentile(latencies, 99) * 1000, 2),
        "max_ms": round(latencies[-1] * 1000, 2) if latencies else 0.0,
        "statuses": dict(sorted(Counter(str(r.status) for r in results).items())),
    }


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    bin_dir = find_postgres_bin()
    if args.outage_at is not None and bin_dir is None:
        raise SystemExit("--outage-at needs PostgreSQL's initdb and pg_ctl (not installed)")
    cluster = PrivatePostgres(bin_dir) if bin_dir is not None else None
    with FakeJira() as fake:
        if cluster is not None:
            cluster.start()
        try:
            database_url = cluster.url if cluster else f"sqlite:///{workdir / 'load.sqlite'}"
            engine = make_engine(database_url)
            upgrade(engine)
            engine.dispose()
            return drive_server(args, workdir, fake, cluster, database_url)
        finally:
            if cluster is not None:
                cluster.remove()


def drive_server(
    args: argparse.Namespace,
    workdir: Path,
    fake: FakeJira,
    cluster: PrivatePostgres | None,
    database_url: str,
) -> dict[str, Any]:
    sock = listening_socket()
    host, port = sock.getsockname()[:2]
    settings = {
        **TEST_APP_IDENTITY,
        "use": "call:bench_app:main",
        "ack.dev_mode": "true",
        "ack.base_url": f"http://{host}:{port}",
        "ack.plugins": "smart_timesheet",
        "ack.encryption_keys": generate_key_line(),
        "ack.install_keys_url": fake.install_keys_url,
        "ack.oauth2_token_url": fake.oauth2_token_url,
        "ack.oauth2_audience": fake.oauth_audience,
        "sqlalchemy.url": database_url,
    }
    ini = write_ini(workdir / "load.ini", settings, logging_from=REPO_ROOT / "production.ini")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACK_", "GUNICORN_"))}
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(BENCH_DIR / "apps"), env.get("PYTHONPATH")])
    )
    workers = args.workers or os.cpu_count() or 1
    server = GunicornServer(
        ini,
        sock=sock,
        log=workdir / "server.log",
        config=REPO_ROOT / "gunicorn.conf.py",
        workers=workers,
        threads=8,
        env=env,
    )
    with server:
        sock.close()
        started = time.monotonic()
        apps = install_sites(fake, server, args.sites)
        install_seconds = time.monotonic() - started
        reporting = fake.installed_apps[0]  # the one installation the fake site remembers
        viewer = next(user for user in fake.data.users if user.active).account_id
        context_tokens = {app.client_key: fake.context_token(app, viewer) for app in apps}
        report_token = fake.context_token(reporting, viewer)
        workers_before = server.worker_pids()

        chooser = random.Random(13)  # a reproducible traffic mix
        kinds = itertools.cycle(MIX)

        def next_request() -> loadgen.Request:
            kind = next(kinds)
            if kind == "report":
                headers = {"Authorization": f"JWT {report_token}"}
                return loadgen.Request(kind, f"/timesheet/api/report?{REPORT_QUERY}", headers)
            app = chooser.choice(apps)
            if kind == "page":
                return loadgen.Request(kind, page_path(fake, app, viewer), {})
            headers = {"Authorization": f"JWT {context_tokens[app.client_key]}"}
            return loadgen.Request(kind, "/bench/api", headers)

        outage: dict[str, float] = {}

        def inject_outage() -> None:
            assert cluster is not None and args.outage_at is not None
            time.sleep(args.outage_at)
            outage["stop_began"] = time.monotonic()
            cluster.stop()
            time.sleep(args.outage_seconds)
            cluster.start()
            outage["back"] = time.monotonic()

        injector = None
        if args.outage_at is not None:
            injector = threading.Thread(target=inject_outage, daemon=True)
            injector.start()
        load_started = time.monotonic()
        results = asyncio.run(
            loadgen.drive(
                server.base_url, next_request, connections=CONNECTIONS, seconds=args.seconds
            )
        )
        elapsed = time.monotonic() - load_started
        if injector is not None:
            injector.join(timeout=120)
        workers_after = server.worker_pids()

    def in_outage(result: loadgen.Result) -> bool:
        if not outage:
            return False
        return result.ended >= outage["stop_began"] and result.started <= outage["back"]

    outside = [r for r in results if not in_outage(r)]
    during = [r for r in results if in_outage(r)]
    report: dict[str, Any] = {
        "sites": args.sites,
        "install_seconds": round(install_seconds, 1),
        "database": "postgresql (private cluster)" if cluster else "sqlite",
        "server": f"gunicorn gthread, {workers} workers x 8 threads",
        "connections": CONNECTIONS,
        "seconds": round(elapsed, 1),
        "overall": summarise(results, elapsed),
        "by_kind": {
            kind: summarise([r for r in results if r.kind == kind], elapsed)
            for kind in ("page", "api", "report")
        },
        "errors_outside_outage": sum(1 for r in outside if r.status != 200),
        "workers_replaced": sorted(workers_before ^ workers_after),
    }
    if outage:
        report["outage"] = {
            "began_at_s": round(outage["stop_began"] - load_started, 1),
            "lasted_s": round(outage["back"] - outage["stop_began"], 1),
            "requests_overlapping": len(during),
            "statuses_overlapping": dict(Counter(str(r.status) for r in during)),
            "503_without_retry_after": sum(
                1 for r in during if r.status == 503 and not r.retry_after
            ),
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=1000, help="installed sites")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the load")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: CPUs)")
    parser.add_argument("--outage-at", type=float, default=None, help="stop the database at S s")
    parser.add_argument("--outage-seconds", type=float, default=5.0, help="outage length")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ack-bench-load-") as directory:
        result = run(args, Path(directory))
    print(json.dumps(result, indent=2))
    if result["errors_outside_outage"] or result["workers_replaced"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
