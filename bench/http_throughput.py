"""Benchmark: authenticated throughput over HTTP, ours against atlassian-connect-express, one run.

Serves ``bench_app`` (the kit's core plus ``GET /bench/public`` and a JWT-protected
``GET /bench/protected``, both answering "ok") from a real server process over loopback, with the
production settings and logging of production.ini (INFO for the kit, dev mode off, so every
request passes the HTTPS check and gets the security headers; the load generator sends
``X-Forwarded-Proto: https`` as a TLS-terminating proxy would):

- ``gunicorn``: ``gunicorn -c gunicorn.conf.py --paste <ini>`` with one gthread worker process;
- ``waitress``: ``pserve <ini>`` (waitress, one process), for reference;
- ``gunicorn-1thread`` (only when named in ``--servers``): gunicorn as above with one thread per
  worker instead of eight, for reference: what the threads' contention for the GIL costs;
- ``granian``: granian's WSGI interface serving ``atlassian_connect_kit.wsgi:app_from_ini``, one
  worker process with 8 blocking threads and ``ack.forwarded_allow_ips`` set (where granian is
  installed; skipped otherwise), a Rust HTTP server, which shows how much of a request's cost is
  the Python server's own.

Each server is loaded with the same requests: the public route, the protected route with one
reused token (a page's XHRs share its context token), and the protected route with a fresh token
on every request (each iframe load carries a new one), rotating through tokens minted before the
run. Optionally (where ``node`` and ``npm`` exist) the same three loads are sent to
atlassian-connect-express 11.5.3 built from the harness in ``<repo>/../shared/bench/ace``
(installed from npm into a cache folder outside the repository, never into it), one node process,
the same HS256 tokens and Connect ``qsh`` scheme.

Ours get a fourth load, the fixed-identity route: the protected route's twin, which the bench
app's own ``ack_authenticate`` implementation answers first with one fixed viewer, reading no
token. It costs what authentication costs apart from the token (view deriver, security policy,
hook dispatch, no-store header), so its rate is the most any token verification could let the
protected route reach on that server. With ACE's protected rate beside our public route (which
authenticates nothing), it bounds the two targets: the JSON reports both ceilings per server.

The load generator is wrk (Debian package ``wrk``: ``apt-get install wrk``): 2 threads,
16 connections, keep-alive. Without wrk, an asyncio client with 16 keep-alive connections stands in
(it saturates one core itself, so its figures are lower bounds; the JSON names the generator).

Every server is started first; then, round after round, each is loaded in turn (a change in the
machine's other load falls on all alike). Prints JSON: requests per second per server process,
p50/p99 latency in milliseconds, the CPU time the server's processes spent per request (which,
unlike throughput, hardly depends on what else the machine runs), the protected/public ratios of
both (within each round, median over rounds) and the two targets, for each production server
(gunicorn, granian) token kind by kind: protected >= 80 % of our own public route, and
protected >= ACE's protected rate. Every response must be
200; errors are counted and reported, and a target whose loads had errors is not met.
"""

from __future__ import annotations

import argparse
import asyncio
import configparser
import contextlib
import dataclasses
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
import loadgen
import requests

from atlassian_connect_kit.auth.qsh import query_string_hash
from atlassian_connect_kit.storage.crypto import KeyRing, generate_key_line
from atlassian_connect_kit.storage.db import make_engine, upgrade
from atlassian_connect_kit.storage.store import InstallPayload, TenantStore
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY
from atlassian_connect_kit.testing.processes import granian_command

BENCH_DIR = Path(__file__).resolve().parent
APPS_DIR = BENCH_DIR / "apps"
REPO_ROOT = BENCH_DIR.parent
ACE_HARNESS = REPO_ROOT.parent / "shared" / "bench" / "ace"
ACE_PACKAGES = ("atlassian-connect-express@11.5.3", "express@4")
ACE_CLIENT_KEY = "bench-client"
CLIENT_KEY = "bench-tenant"
QUERY = "project=TIME"
THREADS = 2
CONNECTIONS = 16
TARGET_RATIO = 0.8
FORWARDED_HTTPS = {"X-Forwarded-Proto": "https"}
# The routes of apps/bench_app.py, which runs in the server process only.
PUBLIC_PATH = "/bench/public"
PROTECTED_PATH = "/bench/protected"
FIXED_IDENTITY_PATH = "/bench/fixed-identity"

WRK_SCRIPT = r"""
-- Rotates through pre-minted tokens (one per line in the file named by the first argument),
-- each wrk thread starting at its own offset, so no token is sent twice until the list wraps.
local counter = 0
local thread_ids = 0
local tokens = {}
local position = 0
local step = 1

function setup(thread)
  thread:set("thread_id", thread_ids)
  thread_ids = thread_ids + 1
end

function init(args)
  if args[1] ~= nil and args[1] ~= "" then
    for line in io.lines(args[1]) do
      tokens[#tokens + 1] = line
    end
    step = tonumber(args[2])
    position = thread_id
  end
end

function request()
  if #tokens > 0 then
    position = position + step
    if position > #tokens then
      position = (position % step) + 1
    end
    wrk.headers["Authorization"] = "JWT " .. tokens[position]
  end
  return wrk.format()
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "WRK-JSON {\"requests\": %d, \"duration_us\": %d, \"p50_us\": %d, \"p99_us\": %d, " ..
    "\"connect\": %d, \"read\": %d, \"write\": %d, \"status\": %d, \"timeout\": %d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end
"""


@dataclass(frozen=True)
class Load:
    """One measured run: requests per second, latency percentiles and failed requests."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    # CPU time the server's processes spent per request: what a request costs the server,
    # unlike rps hardly moved by whatever else the machine runs meanwhile.
    server_cpu_us: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "rps": round(self.rps),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "server_cpu_us_per_request": round(self.server_cpu_us, 1),
            "requests": self.requests,
            "errors": self.errors,
        }


def process_group_cpu_seconds(pgid: int) -> float:
    """User plus system CPU seconds of every live process in group ``pgid`` (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command: state ppid pgrp ... utime (12th) stime (13th).
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


# -- tokens ---------------------------------------------------------------------------------


def connect_token(client_key: str, secret: str, path: str, *, nonce: int = 0) -> str:
    """An HS256 Connect token for ``GET path?QUERY``, as Jira signs an iframe load.

    Each ``nonce`` gives a distinct token, all within Jira's lifetime (``exp - iat`` at most
    ``ack.jwt_max_lifetime``, an hour by default, or the server refuses them): the issue time
    goes back a second per thousand nonces, the expiry forward a second per nonce in between.
    """
    now = int(time.time())
    claims = {
        "iss": client_key,
        "sub": "557058:bench-user",
        "iat": now - nonce // 1000,
        "exp": now + 600 + nonce % 1000,
        "qsh": query_string_hash("GET", path, QUERY),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def write_tokens(path: Path, client_key: str, secret: str, url_path: str, count: int) -> Path:
    """Mint ``count`` distinct tokens for ``url_path``, one per line, before any timing starts."""
    lines = (connect_token(client_key, secret, url_path, nonce=n) for n in range(count))
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


# -- load generators ------------------------------------------------------------------------


class Wrk:
    """wrk with a Lua script that rotates tokens and reports JSON."""

    def __init__(self, executable: str, workdir: Path) -> None:
        self.executable = executable
        self.script = workdir / "rotate.lua"
        self.script.write_text(WRK_SCRIPT, encoding="ascii")

    def describe(self) -> str:
        version = subprocess.run(
            [self.executable, "--version"], capture_output=True, text=True, check=False
        )
        first = (version.stdout or version.stderr).strip().splitlines()
        return f"{first[0] if first else 'wrk'}; {THREADS} threads, {CONNECTIONS} connections"

    def run(
        self, url: str, seconds: float, headers: dict[str, str], tokens: Path | None = None
    ) -> Load:
        command = [
            self.executable,
            f"-t{THREADS}",
            f"-c{CONNECTIONS}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(self.script),
        ]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        command += [url, "--", str(tokens) if tokens else "", str(THREADS)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        line = next(row for row in done.stdout.splitlines() if row.startswith("WRK-JSON "))
        figures = json.loads(line.removeprefix("WRK-JSON "))
        errors = sum(figures[k] for k in ("connect", "read", "write", "status", "timeout"))
        return Load(
            rps=figures["requests"] / (figures["duration_us"] / 1e6),
            p50_ms=figures["p50_us"] / 1000,
            p99_ms=figures["p99_us"] / 1000,
            requests=figures["requests"],
            errors=errors,
        )


class AsyncioClient:
    """The fallback load generator: keep-alive HTTP/1.1 over asyncio streams, 16 connections."""

    def describe(self) -> str:
        return f"asyncio client (wrk not found); 1 process, {CONNECTIONS} connections"

    def run(
        self, url: str, seconds: float, headers: dict[str, str], tokens: Path | None = None
    ) -> Load:
        token_list = tokens.read_text(encoding="ascii").split() if tokens else []
        parts = urlsplit(url)
        path = f"{parts.path}?{parts.query}" if parts.query else parts.path
        counter = itertools.count()

        def next_request() -> loadgen.Request:
            fields = dict(headers)
            if token_list:
                fields["Authorization"] = f"JWT {token_list[next(counter) % len(token_list)]}"
            return loadgen.Request("load", path, fields)

        started = time.monotonic()
        results = asyncio.run(
            loadgen.drive(
                f"{parts.scheme}://{parts.netloc}",
                next_request,
                connections=CONNECTIONS,
                seconds=seconds,
            )
        )
        elapsed = time.monotonic() - started
        latencies = sorted(result.ended - result.started for result in results)
        return Load(
            rps=len(results) / elapsed,
            p50_ms=loadgen.percentile(latencies, 50) * 1000,
            p99_ms=loadgen.percentile(latencies, 99) * 1000,
            requests=len(results),
            errors=sum(1 for result in results if result.status != 200),
        )


# -- servers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_serving(url: str, headers: dict[str, str], process: subprocess.Popen[Any]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, headers=headers, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer {url} within 60 s")


@contextlib.contextmanager
def running(
    command: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    log: Path,
    ready_url: str,
    ready_headers: dict[str, str],
) -> Iterator[int]:
    """Run ``command`` in a process group of its own until the block ends; yield the group id."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_serving(ready_url, ready_headers, process)
            yield process.pid
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def write_ini(workdir: Path, port: int, database_url: str, key_line: str) -> Path:
    """production.ini with the bench app, a local database and a loopback listener."""
    parser = configparser.RawConfigParser()
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(REPO_ROOT / "production.ini", encoding="utf-8")
    parser["app:main"] = {
        **TEST_APP_IDENTITY,
        "use": "call:bench_app:main",
        "ack.dev_mode": "false",
        "ack.base_url": "https://bench.example.com",
        "ack.encryption_keys": key_line,
        "ack.security.contact": "mailto:security@example.com",
        "sqlalchemy.url": database_url,
    }
    parser["server:main"]["listen"] = f"127.0.0.1:{port}"
    ini = workdir / "bench.ini"
    with ini.open("w", encoding="utf-8") as handle:
        parser.write(handle)
    return ini


def seed_tenant(database_url: str, key_line: str, secret: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    store = TenantStore(engine, KeyRing.from_setting(key_line))
    store.save_install(
        InstallPayload(CLIENT_KEY, "https://bench.atlassian.net", secret, "oauth-bench", None)
    )
    engine.dispose()


def server_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACK_", "GUNICORN_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(APPS_DIR), env.get("PYTHONPATH")]))
    return env


# -- one server, three loads ----------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A server under test: where it listens, its two routes and its tenant's secret."""

    description: str
    base_url: str
    public_path: str
    protected_path: str
    client_key: str
    secret: str
    extra_headers: dict[str, str]
    workdir: Path
    pgid: int
    # Ours only: the protected route's twin authenticated as one fixed viewer, no token read.
    fixed_identity_path: str | None = None


def _costed(target: Target, load: Callable[[], Load]) -> Load:
    before = process_group_cpu_seconds(target.pgid)
    measured = load()
    spent = process_group_cpu_seconds(target.pgid) - before
    return dataclasses.replace(measured, server_cpu_us=spent * 1e6 / max(measured.requests, 1))


def measure_server(
    generator: Wrk | AsyncioClient, target: Target, seconds: float
) -> dict[str, Load]:
    """Public, protected with a reused token, protected with fresh tokens: one load each."""
    reused = connect_token(target.client_key, target.secret, target.protected_path)
    public_url = f"{target.base_url}{target.public_path}?{QUERY}"
    protected_url = f"{target.base_url}{target.protected_path}?{QUERY}"
    plain_headers = target.extra_headers
    reused_headers = {**plain_headers, "Authorization": f"JWT {reused}"}
    check = requests.get(protected_url, headers=reused_headers, timeout=10)
    if check.status_code != 200:
        raise RuntimeError(f"{protected_url} refused the bench token: {check.status_code}")
    # Enough distinct tokens for a run far faster than any of these servers, minted anew for
    # every round (their iat differs), so no round reuses another's.
    fresh = write_tokens(
        target.workdir / "tokens.txt",
        target.client_key,
        target.secret,
        target.protected_path,
        count=int(seconds * 12000) + 1000,
    )
    # A refused token answers faster than a served one: every token must be valid, or the
    # "fresh" load measures refusals (the last minted has the longest lifetime).
    last = fresh.read_text(encoding="ascii").split()[-1]
    check = requests.get(
        protected_url, headers={**plain_headers, "Authorization": f"JWT {last}"}, timeout=10
    )
    if check.status_code != 200:
        raise RuntimeError(f"{protected_url} refused a fresh bench token: {check.status_code}")
    warm_up = max(1.0, seconds / 5)
    generator.run(public_url, warm_up, plain_headers)
    generator.run(protected_url, warm_up, reused_headers)
    loads = {
        "public": _costed(target, lambda: generator.run(public_url, seconds, plain_headers)),
        "protected_reused": _costed(
            target, lambda: generator.run(protected_url, seconds, reused_headers)
        ),
        "protected_fresh": _costed(
            target, lambda: generator.run(protected_url, seconds, plain_headers, tokens=fresh)
        ),
    }
    if target.fixed_identity_path:
        # The same request as the reused-token load (the token is sent, never read).
        fixed_url = f"{target.base_url}{target.fixed_identity_path}?{QUERY}"
        loads["protected_fixed_identity"] = _costed(
            target, lambda: generator.run(fixed_url, seconds, reused_headers)
        )
    return loads


def summarise(rounds: list[dict[str, Load]]) -> dict[str, Any]:
    """The median of each load over the rounds, and the protected/public ratios."""
    result: dict[str, Any] = {}
    for name in rounds[0]:
        loads = sorted((each[name] for each in rounds), key=lambda load: load.rps)
        median = loads[len(loads) // 2]
        result[name] = median.as_json() | {"errors": sum(load.errors for load in loads)}
    # Each ratio is taken within a round (loads seconds apart), then the median over rounds;
    # the CPU ratio is public's CPU per request over protected's: the throughput ratio of a
    # server that has its core to itself.
    for kind in (name.removeprefix("protected_") for name in rounds[0] if name != "public"):
        ratios = sorted(each[f"protected_{kind}"].rps / each["public"].rps for each in rounds)
        result[f"ratio_{kind}"] = round(ratios[len(ratios) // 2], 3)
        cpu = sorted(
            each["public"].server_cpu_us / max(each[f"protected_{kind}"].server_cpu_us, 1e-9)
            for each in rounds
        )
        result[f"cpu_ratio_{kind}"] = round(cpu[len(cpu) // 2], 3)
    return result


def start_ours(server: str, workdir: Path, stack: contextlib.ExitStack) -> Target:
    """Serve the bench app with ``server`` (gunicorn or waitress) until ``stack`` closes."""
    folder = workdir / server
    folder.mkdir()
    key_line = generate_key_line()
    secret = os.urandom(32).hex()
    database_url = f"sqlite:///{folder / 'bench.sqlite'}"
    seed_tenant(database_url, key_line, secret)
    port = free_port()
    ini = write_ini(folder, port, database_url, key_line)
    bin_dir = Path(sys.executable).parent
    if server in ("gunicorn", "gunicorn-1thread"):
        # gunicorn.conf.py's own thread count (8) unless the reference variant asks for one.
        one_thread = server == "gunicorn-1thread"
        command = [
            str(bin_dir / "gunicorn"),
            "-c",
            str(REPO_ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            *(["--threads", "1"] if one_thread else []),
            "--paste",
            str(ini),
        ]
        threads = "1 thread" if one_thread else "8 threads"
        description = f"gunicorn, gunicorn.conf.py (gthread, {threads}), 1 worker process"
    elif server == "granian":
        # Granian imports the app (atlassian_connect_kit.wsgi builds it from the ini and applies
        # its logging, as pserve does) and leaves X-Forwarded-Proto to the app's own setting.
        command = granian_command(str(bin_dir / "granian"), host="127.0.0.1", port=port)
        description = "granian (WSGI, 8 blocking threads), 1 worker process"
    elif server == "waitress":
        command = [str(bin_dir / "pserve"), str(ini)]
        description = "waitress via pserve and production.ini (8 threads), 1 process"
    else:
        raise SystemExit(f"http_throughput: {server}: not a server this bench knows")
    env = server_environment() | {"FORWARDED_ALLOW_IPS": "127.0.0.1"}
    if server == "granian":
        env |= {"ACK_INI": str(ini), "ACK_FORWARDED_ALLOW_IPS": "127.0.0.1"}
    base_url = f"http://127.0.0.1:{port}"
    pgid = stack.enter_context(
        running(
            command,
            cwd=folder,
            env=env,
            log=folder / "server.log",
            ready_url=f"{base_url}{PUBLIC_PATH}",
            ready_headers=FORWARDED_HTTPS,
        )
    )
    return Target(
        description,
        base_url,
        PUBLIC_PATH,
        PROTECTED_PATH,
        CLIENT_KEY,
        secret,
        FORWARDED_HTTPS,
        folder,
        pgid,
        FIXED_IDENTITY_PATH,
    )


# -- atlassian-connect-express --------------------------------------------------------------


def ace_folder() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "atlassian-connect-kit-bench" / "ace-11.5.3"


def prepare_ace() -> tuple[Path | None, str]:
    """Install ACE into the cache folder (once) and copy the harness; (folder, or None, why)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return None, "node or npm is not installed"
    if not (ACE_HARNESS / "app.js").is_file():
        return None, f"the ACE harness is absent at {ACE_HARNESS}"
    folder = ace_folder()
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "node_modules" / "atlassian-connect-express").is_dir():
        for step in (
            [npm, "init", "-y"],
            [npm, "install", "--no-audit", "--no-fund", *ACE_PACKAGES],
        ):
            done = subprocess.run(step, cwd=folder, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                reason = (done.stderr or done.stdout).strip().splitlines()
                return None, f"npm could not install ACE: {reason[-1] if reason else step}"
    for name in ("app.js", "config.json", "atlassian-connect.json"):
        text = (ACE_HARNESS / name).read_text(encoding="utf-8")
        if name == "app.js":
            # The harness listens on port 3000; an ephemeral port avoids clashing with anything.
            text = text.replace("app.listen(3000,", "app.listen(Number(process.env.PORT),")
        (folder / name).write_text(text, encoding="utf-8")
    return folder, ""


def start_ace(workdir: Path, stack: contextlib.ExitStack) -> Target | str:
    """Serve the ACE harness until ``stack`` closes; or the reason it cannot run here."""
    folder, reason = prepare_ace()
    node = shutil.which("node")
    if folder is None or node is None:
        return reason
    secret = os.urandom(32).hex()
    port = free_port()
    env = {
        **os.environ,
        "BENCH_SECRET": secret,
        "AC_OPTS": "no-reg",
        "NODE_ENV": "development",
        "PORT": str(port),
    }
    base_url = f"http://127.0.0.1:{port}"
    ace_workdir = workdir / "ace"
    ace_workdir.mkdir()
    pgid = stack.enter_context(
        running(
            [node, "app.js"],
            cwd=folder,
            env=env,
            log=ace_workdir / "server.log",
            ready_url=f"{base_url}/public",
            ready_headers={},
        )
    )
    return Target(
        "atlassian-connect-express 11.5.3 (express 4), 1 node process",
        base_url,
        "/public",
        "/timesheet",
        ACE_CLIENT_KEY,
        secret,
        {},
        ace_workdir,
        pgid,
    )


# -- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each measured load")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per server; medians kept")
    parser.add_argument("--no-ace", action="store_true", help="skip the ACE comparison")
    parser.add_argument(
        "--asyncio", action="store_true", help="use the asyncio client even where wrk exists"
    )
    parser.add_argument(
        "--servers",
        default="gunicorn,waitress,granian",
        help=(
            "ours to measure, comma separated (granian only where it is installed; "
            "gunicorn-1thread: gunicorn with one thread per worker, for reference)"
        ),
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ack-bench-http-") as directory:
        workdir = Path(directory)
        wrk = None if args.asyncio else shutil.which("wrk")
        generator: Wrk | AsyncioClient = Wrk(wrk, workdir) if wrk else AsyncioClient()
        result: dict[str, Any] = {
            "load_generator": generator.describe(),
            "seconds_per_load": args.seconds,
            "rounds": args.rounds,
        }
        with contextlib.ExitStack() as stack:
            servers: dict[str, Target] = {}
            for name in filter(None, args.servers.split(",")):
                missing = server_missing(name)
                if missing:
                    result[f"ours_{name}"] = {"skipped": missing}
                else:
                    servers[f"ours_{name}"] = start_ours(name, workdir, stack)
            peer = "--no-ace given" if args.no_ace else start_ace(workdir, stack)
            if isinstance(peer, Target):
                servers["ace"] = peer
            else:
                result["ace"] = {"skipped": peer}
            # Round after round, every server in turn: a change in the machine's other load
            # falls on all of them alike.
            measured: dict[str, list[dict[str, Load]]] = {name: [] for name in servers}
            for _ in range(args.rounds):
                for name, target in servers.items():
                    measured[name].append(measure_server(generator, target, args.seconds))
        for name, target in servers.items():
            result[name] = {"server": target.description, **summarise(measured[name])}
    result["targets"] = targets(result)
    print(json.dumps(result, indent=2))


def server_missing(name: str) -> str:
    """Why ``name`` cannot be measured here ("" when it can): granian is an optional server."""
    command = {"waitress": "pserve", "gunicorn-1thread": "gunicorn"}.get(name, name)
    if (Path(sys.executable).parent / command).exists():
        return ""
    return f"{name} is not installed (pip install {name})"


PRODUCTION_SERVERS = ("gunicorn", "granian")
"""The servers production may run (docs/deployment.md); each is held to both targets."""


def targets(result: dict[str, Any]) -> dict[str, Any]:
    """Both targets for each of our production servers measured (gunicorn, granian), token kind
    by kind; ``met_by`` names the servers that meet all four (waitress is the simple server)."""
    verdict: dict[str, Any] = {"protected_vs_public_min": TARGET_RATIO}
    peer = result.get("ace", {})
    met_by = []
    for server in PRODUCTION_SERVERS:
        measured = result.get(f"ours_{server}")
        if not measured or "skipped" in measured:
            continue
        checks = server_targets(measured, peer)
        verdict[server] = checks
        if all(value for key, value in checks.items() if key.endswith("_met")):
            met_by.append(server)
    verdict["met_by"] = met_by
    return verdict


def server_targets(measured: dict[str, Any], peer: dict[str, Any]) -> dict[str, Any]:
    """One server's ratios and whether each target is met (never by a load with errors).

    Two ceilings say what no token verification could change: the fixed-identity route against
    public (the kit's authentication with the token work taken out), and our public route, which
    authenticates nothing, against ACE's protected one.
    """
    checks: dict[str, Any] = {}
    if "ratio_fixed_identity" in measured:
        checks["ceiling_fixed_identity_vs_public"] = measured["ratio_fixed_identity"]
    if "protected_reused" in peer:
        checks["ceiling_public_vs_ace_protected"] = round(
            measured["public"]["rps"] / peer["protected_reused"]["rps"], 3
        )
    for kind in ("reused", "fresh"):
        ratio = measured[f"ratio_{kind}"]
        # A load with failed requests measured refusals, not service: it meets nothing.
        clean = measured["public"]["errors"] == 0 and measured[f"protected_{kind}"]["errors"] == 0
        checks[f"{kind}_protected_vs_public"] = ratio
        checks[f"{kind}_protected_vs_public_met"] = clean and ratio >= TARGET_RATIO
        if f"protected_{kind}" in peer:
            ours_rps = measured[f"protected_{kind}"]["rps"]
            peer_rps = peer[f"protected_{kind}"]["rps"]
            checks[f"{kind}_protected_vs_ace_protected"] = round(ours_rps / peer_rps, 3)
            checks[f"{kind}_protected_vs_ace_met"] = clean and ours_rps >= peer_rps
    return checks


if __name__ == "__main__":
    main()
