import json
import os
import subprocess
import sys
from pathlib import Path

from atlassian_connect_kit import __version__
from atlassian_connect_kit.cli import main
from atlassian_connect_kit.settings import env_var_name
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY

REPO = Path(__file__).resolve().parents[2]


IDENTITY_INI = "".join(f"{name} = {value}\n" for name, value in TEST_APP_IDENTITY.items())
IDENTITY_ENV = {env_var_name(name): value for name, value in TEST_APP_IDENTITY.items()}


def run(*args, extra_env=None):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ACK_")}
    environ.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "atlassian_connect_kit.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=environ,
        timeout=120,
    )


def test_version():
    result = run("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_descriptor_from_the_development_ini_with_another_base_url():
    result = run("descriptor", "-c", "development.ini", "--base-url", "https://acme.example.com")
    assert result.returncode == 0, result.stderr
    descriptor = json.loads(result.stdout)
    assert descriptor["baseUrl"] == "https://acme.example.com"
    assert descriptor["modules"]["generalPages"][0]["url"].startswith("/timesheet")


def test_descriptor_with_an_ini_that_does_not_enable_the_timesheet(tmp_path):
    ini = tmp_path / "core.ini"
    ini.write_text(
        "[app:main]\nuse = egg:atlassian-connect-kit\nack.base_url = https://core.example.com\n"
        + IDENTITY_INI
    )
    result = run("descriptor", "-c", str(ini))
    assert result.returncode == 0, result.stderr
    descriptor = json.loads(result.stdout)
    assert descriptor["modules"] == {}
    assert "/timesheet" not in result.stdout


def test_descriptor_without_an_identity_names_the_first_missing_setting_in_one_line():
    result = run("descriptor", "--base-url", "https://app.example.com")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "ack: error: ack.app_key: is required (the kit has no default app identity; "
        "set it in the ini or ACK_APP_KEY)\n"
    )


def test_descriptor_without_ini_refuses_an_http_base_url_in_one_line():
    result = run("descriptor", "--base-url", "http://evil.example.com", extra_env=IDENTITY_ENV)
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "ack.base_url" in lines[0]


def test_descriptor_writes_a_file(tmp_path, monkeypatch):
    monkeypatch.delenv("ACK_BASE_URL", raising=False)
    for variable, value in IDENTITY_ENV.items():
        monkeypatch.setenv(variable, value)
    target = tmp_path / "atlassian-connect.json"
    status = main(["descriptor", "--base-url", "https://x.example.com", "-o", str(target)])
    assert status == 0
    assert json.loads(target.read_text())["baseUrl"] == "https://x.example.com"


def test_a_missing_ini_is_a_one_line_error(capsys):
    assert main(["descriptor", "-c", "/nonexistent.ini"]) == 1
    err = capsys.readouterr().err
    assert "/nonexistent.ini" in err and len(err.strip().splitlines()) == 1
