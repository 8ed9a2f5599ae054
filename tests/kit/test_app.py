import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from pyramid.config import Configurator
from webtest import TestApp

from atlassian_connect_kit.storage.crypto import generate_key_line
from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY

REPO = Path(__file__).resolve().parents[2]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_pserve_development_ini_serves_the_descriptor(tmp_path):
    port = _free_port()
    ini = tmp_path / "development.ini"
    text = (REPO / "development.ini").read_text()
    ini.write_text(text.replace("localhost:6543", f"127.0.0.1:{port}"))
    pserve = shutil.which("pserve", path=str(Path(sys.executable).parent))
    assert pserve, "pserve is installed with pyramid"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ACK_")}
    process = subprocess.Popen(
        [pserve, str(ini)],
        cwd=tmp_path,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = requests.get(
                    f"http://127.0.0.1:{port}/atlassian-connect.json", timeout=2
                )
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"pserve did not start: {process.stdout.read().decode()[-2000:]}")
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("application/json")
        descriptor = response.json()
        assert descriptor["baseUrl"] == f"http://127.0.0.1:{port}"
        assert descriptor["modules"]["generalPages"][0]["url"] == "/timesheet"
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_an_existing_pyramid_app_can_include_the_kit(tmp_path):
    settings = {
        **TEST_APP_IDENTITY,
        "ack.base_url": "https://app.example.com",
        "sqlalchemy.url": f"sqlite:///{tmp_path}/ack.sqlite",
        "ack.encryption_keys": generate_key_line(),
        "ack.security.contact": "mailto:security@example.com",
    }
    with Configurator(settings=settings) as config:
        config.include("atlassian_connect_kit")
    # Outside dev mode only requests that arrived over TLS are served.
    app = TestApp(config.make_wsgi_app(), extra_environ={"wsgi.url_scheme": "https"})
    descriptor = app.get("/atlassian-connect.json").json
    assert descriptor["baseUrl"] == "https://app.example.com"
    assert descriptor["modules"] == {}


def test_pserve_with_a_bad_setting_stops_with_one_line(tmp_path):
    ini = tmp_path / "bad.ini"
    ini.write_text(
        (REPO / "development.ini")
        .read_text()
        .replace("ack.base_url = http://localhost:6543", "ack.base_url = http://evil.example.com")
    )
    pserve = shutil.which("pserve", path=str(Path(sys.executable).parent))
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ACK_")}
    result = subprocess.run(
        [pserve, str(ini)], cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "ack.base_url" in result.stderr.strip().splitlines()[-1]
