"""An operator's view of a deployment, for the tests of the ``ack`` operations commands.

A :class:`Site` is an ini file in a temporary directory (its own database, encryption key,
backup key and backup directory), synthetic tenants installed through the tenant store, and
``ack`` run in-process against that ini. Nothing here touches a real site or real data.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from atlassian_connect_kit.cli import main, read_ini_settings
from atlassian_connect_kit.settings import Settings, load_settings
from atlassian_connect_kit.storage.crypto import KeyRing, generate_key_line
from atlassian_connect_kit.storage.db import make_engine, upgrade
from atlassian_connect_kit.storage.store import InstallPayload, TenantRecord, TenantStore
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY


@dataclass(frozen=True)
class Result:
    """What one ``ack`` run printed and returned."""

    status: int
    out: str
    err: str


def run_ack(*args: str) -> Result:
    """Run ``ack`` in this process and capture its output."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(list(args))
        except SystemExit as exit_:  # argparse refuses bad arguments this way
            status = exit_.code if isinstance(exit_.code, int) else 2
    return Result(status, out.getvalue(), err.getvalue())


def synthetic_secret(number: int) -> str:
    """A made-up shared secret, distinct per tenant."""
    return f"synthetic-shared-secret-{number:04d}-{'x' * 24}"


@dataclass
class Site:
    """One deployment: an ini file and everything it names, under ``root``."""

    root: Path
    database_url: str
    encryption_keys: str = field(default_factory=lambda: generate_key_line("k1"))
    backup_key: str = field(default_factory=lambda: generate_key_line("b1"))
    extra: dict[str, str] = field(default_factory=dict)
    name: str = "site"

    @property
    def ini(self) -> Path:
        """The ini file path (written by :meth:`write`)."""
        return self.root / f"{self.name}.ini"

    @property
    def backup_dir(self) -> Path:
        """Where the local target keeps backups."""
        return self.root / "backups"

    def write(self, **changes: str) -> Site:
        """Write the ini (after applying ``changes`` to the extra settings); return self."""
        self.extra.update(changes)
        values = {
            "use": "egg:atlassian-connect-kit",
            **TEST_APP_IDENTITY,
            "ack.base_url": "https://app.example.com",
            "sqlalchemy.url": self.database_url,
            "ack.encryption_keys": self.encryption_keys,
            "ack.backup.dir": str(self.backup_dir),
            "ack.backup.key": self.backup_key,
            "ack.security.contact": "mailto:security@example.com",
            **self.extra,
        }
        # "%" would start an interpolation in the ini format.
        lines = [f"{k} = {v.replace('%', '%%')}" for k, v in values.items()]
        self.root.mkdir(parents=True, exist_ok=True)
        self.ini.write_text("[app:main]\n" + "\n".join(lines) + "\n")
        return self

    def settings(self) -> Settings:
        """The settings ``ack -c`` reads from the ini."""
        return load_settings(read_ini_settings(str(self.ini)), environ={})

    def engine(self) -> Engine:
        """A new engine on the site's database (dispose it after use)."""
        return make_engine(self.database_url)

    def keyring(self) -> KeyRing:
        """The site's encryption keys."""
        return KeyRing.from_setting(self.encryption_keys)

    def migrate(self) -> Site:
        """Create the kit's schema; return self."""
        engine = self.engine()
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        return self

    def install(self, numbers: Iterable[int]) -> list[TenantRecord]:
        """Install synthetic tenants ``jira:N`` through the tenant store."""
        engine = self.engine()
        try:
            store = TenantStore(engine, self.keyring(), cache_seconds=0)
            return [
                store.save_install(
                    InstallPayload.from_lifecycle_body(
                        {
                            "clientKey": f"jira:{n}",
                            "baseUrl": f"https://site-{n}.atlassian.net",
                            "sharedSecret": synthetic_secret(n),
                            "oauthClientId": f"oauth-{n}",
                        }
                    )
                )
                for n in numbers
            ]
        finally:
            engine.dispose()

    def tenants(self, keyring: KeyRing | None = None) -> dict[str, TenantRecord]:
        """Every tenant, secrets decrypted, by clientKey."""
        engine = self.engine()
        try:
            store = TenantStore(engine, keyring or self.keyring(), cache_seconds=0)
            return {
                summary.client_key: record
                for summary in store.list_tenants()
                if (record := store.get(summary.client_key)) is not None
            }
        finally:
            engine.dispose()

    def ack(self, *args: str) -> Result:
        """Run ``ack`` with this site's ini appended as ``-c``."""
        return run_ack(*args, "-c", str(self.ini))

    def backups(self) -> list[str]:
        """The names of the backup files, oldest first."""
        if not self.backup_dir.is_dir():
            return []
        return sorted(p.name for p in self.backup_dir.iterdir() if p.name.endswith(".ackb"))


def clean_ack_environment(environ: Mapping[str, str]) -> list[str]:
    """The ``ACK_*`` variables that would override a test ini (``ACK_TEST_*`` excepted)."""
    return [
        name for name in environ if name.startswith("ACK_") and not name.startswith("ACK_TEST_")
    ]


@pytest.fixture(autouse=True)
def ack_environment_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's ``ACK_*`` variables from overriding the test ini's settings."""
    import os

    for name in clean_ack_environment(os.environ):
        monkeypatch.delenv(name)


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """A migrated deployment on a SQLite file, with no tenants yet."""
    return (
        Site(tmp_path / "site", f"sqlite:///{tmp_path / 'site' / 'ack.sqlite'}").write().migrate()
    )


def one_line_error(result: Result) -> str:
    """The one line a failed command printed to stderr."""
    assert result.status != 0
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    return lines[0]


def fresh_site(site: Site, name: str, database_url: str | None = None) -> Site:
    """Another deployment sharing the site's keys (as a disaster-recovery host would)."""
    url = database_url or f"sqlite:///{site.root.parent / name / 'ack.sqlite'}"
    return Site(
        site.root.parent / name,
        url,
        encryption_keys=site.encryption_keys,
        backup_key=site.backup_key,
        name=name,
    ).write()


def comparable(tenants: Mapping[str, Any]) -> dict[str, tuple[Any, ...]]:
    """Stored tenants as plain values, to compare two databases' tenants."""
    return {
        key: (
            t.base_url,
            t.shared_secret,
            t.oauth_client_id,
            t.enabled,
            t.installed_at,
            t.updated_at,
            t.last_seen_at,
        )
        for key, t in tenants.items()
    }
