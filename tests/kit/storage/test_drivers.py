"""A database driver that is not installed stops ``ack`` and the server with one line naming it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY
from tests.blocked_imports import blocked_imports_environment, run_ack_without
from tests.kit.operator import run_ack

LIBODBC_MISSING = "libodbc.so.2: cannot open shared object file: No such file or directory"


def write_ini(folder: Path, url: str, **settings: str) -> Path:
    lines = [f"{name} = {value}" for name, value in settings.items()]
    ini = folder / "app.ini"
    ini.write_text(
        "[app:main]\nuse = egg:atlassian-connect-kit\n"
        f"sqlalchemy.url = {url}\n" + "\n".join(lines) + "\n"
    )
    return ini


@pytest.mark.parametrize(
    ("url", "blocked", "install"),
    [
        (
            "postgresql+psycopg://postgres@127.0.0.1:5432/test",
            {"psycopg": None},
            "pip install 'atlassian-connect-kit[postgres]' (psycopg)",
        ),
        (
            "mysql+pymysql://root@127.0.0.1:3306/test",
            {"pymysql": None},
            "pip install 'atlassian-connect-kit[mysql]' (PyMySQL)",
        ),
        (
            "mssql+pyodbc://@127.0.0.1:1433/ack?driver=ODBC+Driver+18+for+SQL+Server",
            {"pyodbc": None},
            "pip install 'atlassian-connect-kit[mssql]' (pyodbc)",
        ),
        (
            "mssql+pyodbc://@127.0.0.1:1433/ack?driver=ODBC+Driver+18+for+SQL+Server",
            {"pyodbc": LIBODBC_MISSING},
            "install unixODBC (Debian/Ubuntu: apt-get install unixodbc) and Microsoft ODBC "
            "Driver 18 for SQL Server (Debian/Ubuntu package msodbcsql18)",
        ),
    ],
    ids=["psycopg", "pymysql", "pyodbc", "libodbc"],
)
def test_ack_names_what_to_install_in_one_line(tmp_path, url, blocked, install):
    ini = write_ini(tmp_path, url)
    result = run_ack_without(tmp_path, blocked, "db", "upgrade", "-c", str(ini))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("ack: error: sqlalchemy.url: ")
    assert line.endswith(install)


@pytest.mark.parametrize(
    ("url", "blocked", "ending"),
    [
        (
            "postgresql+psycopg://postgres@127.0.0.1:5432/test",
            {"psycopg": None},
            "pip install 'atlassian-connect-kit[postgres]' (psycopg)",
        ),
        (
            "mssql+pyodbc://@127.0.0.1:1433/ack?driver=ODBC+Driver+99+for+SQL+Server",
            {},
            "Microsoft ODBC Driver 18 for SQL Server (Debian/Ubuntu package msodbcsql18)",
        ),
    ],
    ids=["psycopg", "odbc-driver"],
)
def test_the_server_does_not_start_without_its_driver_and_says_what_to_install(
    tmp_path, url, blocked, ending
):
    if not blocked:
        pytest.importorskip("pyodbc", reason="pyodbc (the [mssql] extra) is not installed")
    ini = write_ini(
        tmp_path,
        url,
        **{
            **TEST_APP_IDENTITY,
            "ack.base_url": "https://app.example.com",
            "ack.encryption_keys": "k1:" + "A" * 43,
            "ack.security.contact": "mailto:security@example.com",
        },
    )
    with ini.open("a") as handle:
        handle.write("\n[server:main]\nuse = egg:waitress#main\nlisten = 127.0.0.1:0\n")
    pserve = shutil.which("pserve", path=str(Path(sys.executable).parent))
    assert pserve, "pserve is installed with pyramid"
    result = subprocess.run(
        [pserve, str(ini)],
        cwd=tmp_path,
        env=blocked_imports_environment(tmp_path / "site", blocked),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("atlassian-connect-kit: cannot start: sqlalchemy.url:")
    assert last.endswith(ending)


def test_an_odbc_driver_that_is_not_installed_is_named_with_what_to_install(tmp_path):
    """pyodbc and unixODBC are there, but not the ODBC driver the URL names."""
    pytest.importorskip("pyodbc", reason="pyodbc (the [mssql] extra) is not installed")
    driver = "ODBC Driver 99 for SQL Server"
    url = f"mssql+pyodbc://@127.0.0.1:1433/ack?driver={driver.replace(' ', '+')}&Encrypt=yes"
    result = run_ack("db", "upgrade", "-c", str(write_ini(tmp_path, url)))
    assert result.status == 1
    (line,) = result.err.strip().splitlines()
    assert f"the ODBC driver {driver!r} is not installed on this machine" in line
    assert line.endswith("ODBC Driver 18 for SQL Server (Debian/Ubuntu package msodbcsql18)")
