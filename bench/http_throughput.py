"""Benchmark: authenticated throughput over HTTP, ours against atlassian-connect-express, one run.

Serves ``bench_app`` (the kit's core plus ``GET /bench/public`` and a JWT-protected
``GET /bench/protected``, both answering "ok") from a real server process over loopback, with the
production settings and logging of production.ini (INFO for the kit, dev mode off, so every
request passes the HTTPS check and gets the security headers; the load generator sends
``X-Forwarded-Proto: https`` as a TLS-terminating proxy would):

- ``gunicorn``: ``gunicorn -c gunicorn.conf.py --paste <ini>`` with one gthread worker process;
- ``waitress``: ``pserve <ini>`` (waitress, one process), for reference.

Each server is loaded with the same requests: the public route, the protected route with one
reused token (a page's XHRs share its context token), and the protected route with a fresh token
on every request (each iframe load carries a new one), rotating through tokens minted before the
run. Optionally (where ``node`` and ``npm`` exist) the same three loads are sent to
atlassian-connect-express 11.5.3 built from the harness in ``<repo>/../shared/bench/ace``
(installed from npm into a cache folder outside the repository, never into it), one node process,
the same HS256 tokens and Connect ``qsh`` scheme.

The load generator is wrk (Debian package ``wrk``: ``apt-get install wrk``): 2 threads,
16 connections, keep-alive. Without wrk, an asyncio client with 16 keep-alive connections stands in
(it saturates one core itself, so its figures are lower bounds; the JSON names the generator).

Prints JSON: requests per second per server process, p50/p99 latency in milliseconds, the
protected/public ratios and the two targets: protected >= 80 % of our own public route, and
protected >= ACE's protected rate. Every response must be 200; errors are counted and reported.
"""

from __future__ import annotations

import argparse
import asyncio
import configparser
import contextlib
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
from collections.abc import Iterator
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

    def as_json(self) -> dict[str, Any]:
        return {
            "rps": round(self.rps),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "requests": self.requests,
            "errors": self.errors,
        }


# -- tokens ---------------------------------------------------------------------------------


def connect_token(client_key: str, secret: str, path: str, *, nonce: int = 0) -> str:
    """An HS256 Connect token for ``GET path?QUERY``, as Jira signs an iframe load.

    ``nonce`` shifts the expiry by that many seconds, so each nonce gives a distinct token.
    """
    now = int(time.time())
    claims = {
        "iss": client_key,
        "sub": "557058:bench-user",
        "iat": now,
        "exp": now + 3600 + nonce,
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
) -> Iterator[None]:
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
            yield
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


def measure_server(
    generator: Wrk | AsyncioClient,
    base_url: str,
    *,
    public_path: str,
    protected_path: str,
    client_key: str,
    secret: str,
    extra_headers: dict[str, str],
    seconds: float,
    workdir: Path,
) -> dict[str, Any]:
    """Public, protected with a reused token, protected with fresh tokens: one load each."""
    reused = connect_token(client_key, secret, protected_path)
    public_url = f"{base_url}{public_path}?{QUERY}"
    protected_url = f"{base_url}{protected_path}?{QUERY}"
    reused_headers = {**extra_headers, "Authorization": f"JWT {reused}"}
    check = requests.get(protected_url, headers=reused_headers, timeout=10)
    if check.status_code != 200:
        raise RuntimeError(f"{protected_url} refused the bench token: {check.status_code}")
    # Enough distinct tokens for a run far faster than any of these servers.
    fresh = write_tokens(
        workdir / f"tokens-{client_key}.txt",
        client_key,
        secret,
        protected_path,
        count=int(seconds * 12000) + 1000,
    )
    warm_up = max(1.0, seconds / 5)
    generator.run(public_url, warm_up, extra_headers)
    generator.run(protected_url, warm_up, reused_headers)
    public = generator.run(public_url, seconds, extra_headers)
    protected_reused = generator.run(protected_url, seconds, reused_headers)
    protected_fresh = generator.run(protected_url, seconds, extra_headers, tokens=fresh)
    return {
        "public": public,
        "protected_reused": protected_reused,
        "protected_fresh": protected_fresh,
    }


def summarise(rounds: list[dict[str, Load]]) -> dict[str, Any]:
    """The median of each load over the rounds, and the protected/public ratios."""
    result: dict[str, Any] = {}
    for name in ("public", "protected_reused", "protected_fresh"):
        loads = sorted((each[name] for each in rounds), key=lambda load: load.rps)
        median = loads[len(loads) // 2]
        result[name] = median.as_json() | {"errors": sum(load.errors for load in loads)}
    public = result["public"]["rps"]
    result["ratio_reused"] = round(result["protected_reused"]["rps"] / public, 3)
    result["ratio_fresh"] = round(result["protected_fresh"]["rps"] / public, 3)
    return result


def ours(
    server: str,
    generator: Wrk | AsyncioClient,
    workdir: Path,
    seconds: float,
    rounds: int,
) -> dict[str, Any]:
    folder = workdir / server
    folder.mkdir()
    key_line = generate_key_line()
    secret = os.urandom(32).hex()
    database_url = f"sqlite:///{folder / 'bench.sqlite'}"
    seed_tenant(database_url, key_line, secret)
    port = free_port()
    ini = write_ini(folder, port, database_url, key_line)
    bin_dir = Path(sys.executable).parent
    if server == "gunicorn":
        command = [
            str(bin_dir / "gunicorn"),
            "-c",
            str(REPO_ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--paste",
            str(ini),
        ]
        description = "gunicorn, gunicorn.conf.py (gthread), 1 worker process"
    else:
        command = [str(bin_dir / "pserve"), str(ini)]
        description = "waitress via pserve and production.ini, 1 process"
    env = server_environment() | {"FORWARDED_ALLOW_IPS": "127.0.0.1"}
    base_url = f"http://127.0.0.1:{port}"
    with running(
        command,
        cwd=folder,
        env=env,
        log=folder / "server.log",
        ready_url=f"{base_url}{PUBLIC_PATH}",
        ready_headers=FORWARDED_HTTPS,
    ):
        measured = [
            measure_server(
                generator,
                base_url,
                public_path=PUBLIC_PATH,
                protected_path=PROTECTED_PATH,
                client_key=CLIENT_KEY,
                secret=secret,
                extra_headers=FORWARDED_HTTPS,
                seconds=seconds,
                workdir=folder,
            )
            for _ in range(rounds)
        ]
    log_lines = (folder / "server.log").read_text(encoding="utf-8", errors="replace").splitlines()
    return {"server": description, **summarise(measured), "server_log_lines": len(log_lines)}


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


def ace(generator: Wrk | AsyncioClient, workdir: Path, seconds: float, rounds: int) -> Any:
    folder, reason = prepare_ace()
    if folder is None:
        return {"skipped": reason}
    node = shutil.which("node")
    assert node is not None
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
    with running(
        [node, "app.js"],
        cwd=folder,
        env=env,
        log=ace_workdir / "server.log",
        ready_url=f"{base_url}/public",
        ready_headers={},
    ):
        measured = [
            measure_server(
                generator,
                base_url,
                public_path="/public",
                protected_path="/timesheet",
                client_key=ACE_CLIENT_KEY,
                secret=secret,
                extra_headers={},
                seconds=seconds,
                workdir=ace_workdir,
            )
            for _ in range(rounds)
        ]
    return {"server": "atlassian-connect-express 11.5.3 (express 4), 1 node process"} | summarise(
        measured
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
        "--servers", default="gunicorn,waitress", help="ours to measure, comma separated"
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
        for server in filter(None, args.servers.split(",")):
            result[f"ours_{server}"] = ours(server, generator, workdir, args.seconds, args.rounds)
        result["ace"] = (
            {"skipped": "--no-ace given"}
            if args.no_ace
            else ace(generator, workdir, args.seconds, args.rounds)
        )
    result["targets"] = targets(result)
    print(json.dumps(result, indent=2))


def targets(result: dict[str, Any]) -> dict[str, Any]:
    """Both targets, for the production server (gunicorn) where it was measured."""
    production = result.get("ours_gunicorn") or next(
        (value for key, value in result.items() if key.startswith("ours_")), None
    )
    if production is None:
        return {}
    worst_ratio = min(production["ratio_reused"], production["ratio_fresh"])
    worst_protected = min(
        production["protected_reused"]["rps"], production["protected_fresh"]["rps"]
    )
    verdict: dict[str, Any] = {
        "protected_vs_public_min": TARGET_RATIO,
        "protected_vs_public": worst_ratio,
        "protected_vs_public_met": worst_ratio >= TARGET_RATIO,
    }
    ace_result = result.get("ace", {})
    if "protected_reused" in ace_result:
        ace_protected = max(
            ace_result["protected_reused"]["rps"], ace_result["protected_fresh"]["rps"]
        )
        verdict["protected_vs_ace_protected"] = round(worst_protected / ace_protected, 3)
        verdict["protected_vs_ace_met"] = worst_protected >= ace_protected
    return verdict


if __name__ == "__main__":
    main()
