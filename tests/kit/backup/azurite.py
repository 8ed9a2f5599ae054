"""Azurite, Microsoft's Azure Storage emulator, as a real Blob Storage endpoint for the tests.

The npm package ``azurite`` (run with Node.js) is started once per test session on a loopback
ephemeral port, in a temporary folder, keeping blobs in memory. ``ACK_TEST_AZURITE`` names its
``azurite-blob`` executable (``.ci/run`` installs it into ``.ci/azurite``); otherwise it is looked
up on ``PATH``. Where Node.js or Azurite is absent the tests skip saying so, except under
``CI=true``, where that fails the run.
"""

from __future__ import annotations

import os
import queue
import re
import secrets
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ACCOUNT = "devstoreaccount1"
# Azurite's fixed, publicly documented development account key: it opens nothing but Azurite.
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
START_TIMEOUT_SECONDS = 60
_LISTENING = re.compile(r"successfully listens on (http://127\.0\.0\.1:\d+)")


@dataclass(frozen=True)
class Azurite:
    """A running Azurite blob endpoint."""

    endpoint: str

    @property
    def account_url(self) -> str:
        """The account URL (path-style, as Azurite serves it)."""
        return f"{self.endpoint}/{ACCOUNT}"

    @property
    def connection_string(self) -> str:
        """A connection string with the development account key."""
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={self.account_url};"
        )

    def service(self):  # -> BlobServiceClient
        """A client with full rights, for preparing and inspecting containers."""
        from azure.storage.blob import BlobServiceClient

        return BlobServiceClient.from_connection_string(self.connection_string)

    def new_container(self) -> str:
        """Create a uniquely named, empty container; return its name."""
        name = f"backups-{secrets.token_hex(6)}"
        self.service().create_container(name)
        return name

    def container_sas(self, container: str, permission: str) -> str:
        """A SAS token for ``container`` with ``permission`` letters (``racwdl``), for an hour."""
        import datetime as dt

        from azure.storage.blob import ContainerSasPermissions, generate_container_sas

        return generate_container_sas(
            ACCOUNT,
            container,
            account_key=ACCOUNT_KEY,
            permission=ContainerSasPermissions.from_string(permission),
            expiry=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
        )


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def find_azurite() -> str:
    """Return the ``azurite-blob`` executable, or skip (fail under CI) saying what is missing."""
    pytest.importorskip("azure.storage.blob", reason="azure-storage-blob ([azure]) is absent")
    configured = os.environ.get("ACK_TEST_AZURITE")
    if configured:
        if not Path(configured).is_file():
            pytest.fail(f"ACK_TEST_AZURITE={configured} is not a file", pytrace=False)
        executable = configured
    else:
        found = shutil.which("azurite-blob")
        if found is None:
            _unavailable(
                "Azurite is not installed: `npm install azurite` and set ACK_TEST_AZURITE to "
                "its node_modules/.bin/azurite-blob (bash .ci/run does)"
            )
        executable = str(found)
    if shutil.which("node") is None:
        _unavailable("Node.js is not installed, and Azurite runs on it")
    return executable


def start_azurite(executable: str, folder: Path) -> tuple[subprocess.Popen[str], Azurite]:
    """Start Azurite's blob service in ``folder`` on a free loopback port."""
    process = subprocess.Popen(
        [
            executable,
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            "0",
            "--inMemoryPersistence",
            "--extentMemoryLimit",
            "256",
            "--skipApiVersionCheck",
            "--disableTelemetry",
            "--silent",
        ],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:  # keep reading, so Azurite's log never blocks it
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        if match := _LISTENING.search(line):
            return process, Azurite(match.group(1))
    process.kill()
    pytest.fail(f"Azurite did not start: {''.join(seen)[-2000:]}", pytrace=False)


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    """A Blob Storage endpoint (Azurite) on loopback for the whole session."""
    executable = find_azurite()
    process, running = start_azurite(executable, tmp_path_factory.mktemp("azurite"))
    try:
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
