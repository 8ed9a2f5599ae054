"""``ack demo``: a fake Jira site with the add-on installed and a host page to use it."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from atlassian_connect_kit.testing.demo import Demo
from tests.addon_for_tests import PAGE_KEY, SampleAddon

REPO = Path(__file__).resolve().parents[2]


def test_the_host_page_opens_the_add_ons_pages_with_signed_urls():
    demo = Demo(port=0, seed=3, plugins=[], extra_plugins=[SampleAddon()])
    try:
        home = requests.get(f"{demo.host_url}/", timeout=10)
        assert home.status_code == 200
        assert f'data-module="{PAGE_KEY}"' in home.text
        user = re.search(r'<option value="([^"]+)"', home.text).group(1)
        signed = requests.get(
            f"{demo.host_url}/api/sign", params={"module": PAGE_KEY, "user": user}, timeout=10
        ).json()["url"]
        assert signed.startswith(demo.app_server.base_url + "/test/page?")
        page = requests.get(signed, timeout=10)
        assert page.status_code == 200
        assert f"data-user='{user}'" in page.text
        token = requests.get(
            f"{demo.host_url}/api/context-token", params={"user": user}, timeout=10
        ).json()["token"]
        whoami = requests.get(
            f"{demo.app_server.base_url}/test/api/whoami",
            headers={"Authorization": f"JWT {token}"},
            timeout=10,
        )
        assert whoami.json()["accountId"] == user
        all_js = requests.get(f"{demo.host_url}/atlassian-connect/all.js", timeout=10)
        assert "getToken" in all_js.text
        assert (
            requests.get(
                f"{demo.host_url}/api/sign?module=nope&user={user}", timeout=10
            ).status_code
            == 400
        )
    finally:
        demo.stop()


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_ack_demo_serves_the_timesheet_and_stops_on_sigterm(tmp_path):
    port = _free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ACK_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "atlassian_connect_kit.cli", "demo", "--port", str(port)],
        cwd=tmp_path,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = process.stdout.readline()
        deadline = time.monotonic() + 60
        while "http://" not in line and time.monotonic() < deadline:
            line = process.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line
        home = requests.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert home.status_code == 200
        assert 'data-module="smart-timesheet"' in home.text
        user = re.search(r'<option value="([^"]+)"', home.text).group(1)
        signed = requests.get(
            f"http://127.0.0.1:{port}/api/sign",
            params={"module": "smart-timesheet", "user": user},
            timeout=10,
        ).json()["url"]
        page = requests.get(signed, timeout=30)
        assert page.status_code == 200
        assert "Timesheet" in page.text
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "Demo stopped." in output
