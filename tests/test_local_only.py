"""The suite refuses to run against a database that is not on this machine."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.local_only import refusal

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        "mysql+pymysql://root@localhost:3306/test",
        "postgresql+psycopg://postgres@[::1]:5432/test",
        "postgresql+psycopg://postgres@/test?host=/var/run/postgresql",
        "sqlite:////tmp/ack.sqlite",
        "sqlite://",
    ],
)
def test_local_databases_pass(url):
    assert refusal({"ACK_TEST_POSTGRES_URL": url, "ACK_DATABASE_URL": url}) is None


@pytest.mark.parametrize(
    ("variable", "url"),
    [
        ("ACK_TEST_POSTGRES_URL", "postgresql+psycopg://app:hunter2@db.example.com/prod"),
        ("ACK_TEST_SOMETHING_URL", "mssql+pyodbc://sa:pw@prod-sql.database.windows.net/ack"),
        ("ACK_DATABASE_URL", "mysql+pymysql://root@10.0.0.5/ack"),
        ("ACK_TEST_MARIADB_ODBC_URL", "mssql+pyodbc:///?odbc_connect=SERVER%3Dprod"),
        ("ACK_DATABASE_URL", "not a url"),
    ],
)
def test_any_other_database_is_refused_naming_the_variable_but_no_password(variable, url):
    reason = refusal({variable: url})
    assert reason is not None and variable in reason
    assert "hunter2" not in reason and "pw@" not in reason


def test_a_run_with_a_remote_test_database_stops_before_any_test():
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ACK_")}
    environ["ACK_TEST_POSTGRES_URL"] = "postgresql+psycopg://postgres:secret@db.example.com/prod"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", f"{__file__}::test_local_databases_pass"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=environ,
        timeout=120,
    )
    assert result.returncode == 3, result.stdout + result.stderr
    assert "refusing to run the tests: ACK_TEST_POSTGRES_URL names host 'db.example.com'" in (
        result.stdout + result.stderr
    )
    assert " passed" not in result.stdout
    assert "secret" not in result.stdout + result.stderr
