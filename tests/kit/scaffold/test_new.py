"""``ack new``: the developer's path from a new add-on to its page answering the fake Jira site.

The generated project is installed into a virtual environment of its own that sees this one's
packages (the kit among them) through a ``.pth`` file, so the test environment is not changed.
"""

import os
import re
import subprocess
import sys
import time
from html import unescape

import pytest
import requests

from atlassian_connect_kit.scaffold import ScaffoldError, answers_for
from atlassian_connect_kit.storage.crypto import generate_key_line
from tests.side_environment import free_port, side_environment


def ack(*args, cwd):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ACK_")}
    return subprocess.run(
        [sys.executable, "-m", "atlassian_connect_kit.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
        stdin=subprocess.DEVNULL,  # no terminal: ack new must never prompt
        timeout=120,
    )


@pytest.mark.parametrize(
    "name", ["My-Addon", "my_addon", "-addon", "addon-", "my--addon", "1addon", "a" * 61, ""]
)
def test_a_name_that_is_not_an_app_key_is_refused_in_one_line(name):
    with pytest.raises(ScaffoldError) as refused:
        answers_for(name)
    assert "\n" not in str(refused.value)


def test_answers_follow_the_name():
    answers = answers_for("team-hours")
    assert (answers.package, answers.app_key, answers.app_name) == (
        "team_hours",
        "team-hours",
        "Team Hours",
    )


def test_an_existing_folder_is_never_overwritten(tmp_path):
    (tmp_path / "my-addon").mkdir()
    (tmp_path / "my-addon" / "keep.txt").write_text("mine")
    result = ack("new", "my-addon", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "ack: error: my-addon: already exists; choose another name or folder"
    )
    assert [p.name for p in (tmp_path / "my-addon").iterdir()] == ["keep.txt"]


@pytest.mark.slow
def test_a_new_add_on_passes_its_tests_describes_itself_and_serves_its_page(tmp_path, fake_jira):
    created = ack("new", "my-addon", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    project = tmp_path / "my-addon"
    assert sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()) == [
        "README.md",
        "development.ini",
        "pyproject.toml",
        "src/my_addon/__init__.py",
        "src/my_addon/templates/page.pt",
        "tests/conftest.py",
        "tests/test_page.py",
    ]

    python = side_environment(tmp_path / "venv") / "python"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ACK_")}
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "-e", "./my-addon[test]"],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-2000:]

    tests = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"],
        cwd=project,
        env=environ,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert re.search(r"\b3 passed\b", tests.stdout)

    descriptor = subprocess.run(
        [str(python), "-m", "atlassian_connect_kit.cli", "descriptor", "-c", "development.ini"],
        cwd=project,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert descriptor.returncode == 0, descriptor.stderr
    assert '"key": "my-addon"' in descriptor.stdout

    # Served by pserve from its own ini (on a free port), installed into the fake site.
    port = free_port()
    ini = project / "development.ini"
    ini.write_text(ini.read_text().replace("localhost:6543", f"127.0.0.1:{port}"))
    base_url = f"http://127.0.0.1:{port}"
    server_env = {
        **environ,
        "ACK_INSTALL_KEYS_URL": fake_jira.install_keys_url,
        "ACK_OAUTH2_TOKEN_URL": fake_jira.oauth2_token_url,
        "ACK_OAUTH2_AUDIENCE": fake_jira.oauth_audience,
        "ACK_ENCRYPTION_KEYS": generate_key_line(),
    }
    server = subprocess.Popen(
        [str(python), "-m", "pyramid.scripts.pserve", "development.ini"],
        cwd=project,
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if requests.get(f"{base_url}/atlassian-connect.json", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert server.poll() is None, server.stderr.read()[-3000:]
            assert time.monotonic() < deadline, "pserve did not answer in 90 s"
            time.sleep(0.3)
        app = fake_jira.install(base_url)
        assert app.install_status == 204
        fake_jira.enable(app)
        viewer = next(user for user in fake_jira.data.users if user.active)
        page = requests.get(
            fake_jira.signed_url(app, "/my-addon", account_id=viewer.account_id), timeout=30
        )
        assert page.status_code == 200
        assert f"Hello, {viewer.display_name}" in unescape(page.text)
        assert requests.get(f"{base_url}/my-addon", timeout=30).status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=30)
