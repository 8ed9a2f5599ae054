"""docs/tutorial.md, followed literally: every command run, every file written as shown.

The tutorial's blocks are read in order: each ``$ command`` line of a ``console`` block is run
in a shell (``cd`` changes the folder for the next ones), each ``code-block`` with a ``:caption:``
is written to that path. The environment is a virtual environment of its own that sees this
one's packages through a ``.pth`` file, so ``pip install 'atlassian-connect-kit[scaffold]'`` finds
the kit (and copier) installed, as it would after installing them from the package index, and
the add-on's own install does not touch the test environment. Two liberties, both about the
machine rather than the tutorial: ``ack`` and ``pserve`` are small scripts running the kit's
modules with that environment's Python, and ``pserve`` is stopped once it answers, after being
moved to a free port (6543 may be taken on a shared machine).
"""

import os
import re
import shlex
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.side_environment import free_port, side_environment

TUTORIAL = Path(__file__).resolve().parent.parent / "docs" / "tutorial.md"
FENCE = re.compile(r"^```(\S*)[^\n]*\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


def tutorial_steps(text):
    """``("run", command)`` and ``("write", path, content)`` in the tutorial's order."""
    steps = []
    for match in FENCE.finditer(text):
        kind, body = match.group(1), match.group(2)
        if kind == "console":
            steps.extend(("run", line[2:]) for line in body.splitlines() if line.startswith("$ "))
        elif kind == "{code-block}":
            options, _, content = body.partition("\n\n")
            caption = re.search(r"^:caption: (.+)$", options, re.MULTILINE)
            assert caption, f"a code block without a :caption: path: {options!r}"
            steps.append(("write", caption.group(1).strip(), content))
        else:
            raise AssertionError(f"the tutorial has a {kind or 'plain'} block no test runs")
    return steps


def test_the_tutorial_is_made_of_runnable_steps():
    steps = tutorial_steps(TUTORIAL.read_text())
    assert ("run", "ack new hello-jira") in steps
    assert [s[1] for s in steps if s[0] == "write"] == [
        "src/hello_jira/__init__.py",
        "tests/test_projects.py",
    ]


def _environment(folder):
    bin_dir = side_environment(folder)
    python = bin_dir / "python"
    for command, module in (
        ("ack", "atlassian_connect_kit.cli"),
        ("pserve", "pyramid.scripts.pserve"),
    ):
        script = folder / "bin" / command
        script.write_text(f'#!/bin/sh\nexec "{python}" -m {module} "$@"\n')
        script.chmod(0o755)
    return folder / "bin"


def _serve(command, cwd, environ):
    """Start pserve on a free port, wait until the descriptor answers, stop it; return it."""
    ini = cwd / shlex.split(command)[1]
    port = free_port()
    ini.write_text(ini.read_text().replace("localhost:6543", f"127.0.0.1:{port}"))
    server = subprocess.Popen(
        command,
        shell=True,
        cwd=cwd,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/atlassian-connect.json", timeout=2)
                if answer.ok:
                    return answer.json()
            except requests.ConnectionError:
                pass
            assert server.poll() is None, server.stderr.read()[-3000:]
            assert time.monotonic() < deadline, "pserve did not answer in 90 s"
            time.sleep(0.3)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


@pytest.mark.slow
def test_following_the_tutorial_literally(tmp_path):
    bin_dir = _environment(tmp_path / "venv")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ACK_")}
    environ["PATH"] = f"{bin_dir}{os.pathsep}{environ.get('PATH', '')}"
    environ.pop("PYTHONPATH", None)
    work = tmp_path / "work"
    work.mkdir()
    cwd = work
    outputs = {}
    for step in tutorial_steps(TUTORIAL.read_text()):
        if step[0] == "write":
            (cwd / step[1]).write_text(step[2])
            continue
        command = step[1]
        if command.startswith("cd "):
            cwd = cwd / command[3:].strip()
            assert cwd.is_dir(), command
            continue
        if command.startswith("pserve "):
            outputs[command] = _serve(command, cwd, environ)
            continue
        result = subprocess.run(
            command, shell=True, cwd=cwd, env=environ, capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, (
            f"$ {command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
        outputs.setdefault(command, []).append(result.stdout)

    project = work / "hello-jira"
    first, second = outputs["python -m pytest -q"]
    assert re.search(r"\b3 passed\b", first)
    assert re.search(r"\b5 passed\b", second)  # the page's three tests and the API's two
    assert '"key": "hello-jira"' in outputs["ack descriptor -c development.ini"][0]
    served = outputs["pserve development.ini"]
    assert served["key"] == "hello-jira"
    assert [m["key"] for m in served["modules"]["generalPages"]] == ["hello-jira-page"]
    manifest = (project / "manifest.yml").read_text()
    assert "https://hello-jira.example.com" in manifest
    assert "ari:cloud:ecosystem::app/8f5c1a52-6f0e-4d8a-9d53-2a1c0e7b9d41" in manifest
