"""timesheet-transport.js under node: when it picks Forge, and how it reads invokeRemote's answers.

@forge/bridge hands the page what Forge answered: the remote's JSON, or an object wrapping it as
``{body, headers, status}`` (non-2xx answers may come that way instead of as a rejection). The
adapter must give the page the JSON body, or a failure with the status, the JSON error and
``Retry-After``, whatever the shape; outside Forge it must stay out of the way.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ADAPTER = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "smart_timesheet_plugin"
    / "static"
    / "timesheet-transport.js"
)
HARNESS = r"""
const fs = require("fs");
globalThis.window = globalThis;
const answers = JSON.parse(process.argv[2]);
const seen = [];
window.DOMException = globalThis.DOMException;
function load(withBridge) {
  delete window.SmartTimesheetTransport;
  delete window.__bridge;
  delete window.smartTimesheetForgeBridge;
  if (withBridge) {
    window.__bridge = { callBridge() {} };
    window.smartTimesheetForgeBridge = () => ({
      invokeRemote: async (input) => {
        seen.push(input);
        const answer = answers[input.path];
        if (answer && answer.reject) { throw answer.reject; }
        return answer.resolve;
      },
      view: { getContext: async () => ({
        siteUrl: "https://acme.atlassian.net", timezone: "Asia/Tokyo", locale: "ja-JP",
        extension: { type: "jira:projectPage", project: { key: "ALPHA", id: "1" } },
      }) },
      router: { navigate: async () => {}, reload() {} },
    });
  }
  eval(fs.readFileSync(process.argv[1], "utf8"));
  return window.SmartTimesheetTransport.forge();
}
(async () => {
  const results = { outside: load(false) === null };
  const forge = load(true);
  await forge.host.ready();
  results.page = forge.page();
  results.zone = await forge.host.timeZone();
  results.locale = await forge.host.locale();
  results.token = await forge.host.getToken();
  results.calls = {};
  for (const path of Object.keys(answers)) {
    try {
      results.calls[path] = { ok: await forge.fetchJSON(path, null) };
    } catch (failure) {
      results.calls[path] = { failed: failure };
    }
  }
  const controller = new AbortController();
  controller.abort();
  try {
    await forge.fetchJSON("/plain", controller.signal);
  } catch (error) {
    results.aborted = error.name;
  }
  results.seen = seen;
  process.stdout.write(JSON.stringify(results));
})();
"""


def test_the_adapter_reads_every_answer_shape() -> None:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("node is needed to run the page's transport adapter", pytrace=False)
        pytest.skip("node is not installed")
    report = {"rows": [], "total": 0}
    error = {"error": "columns: must be day, week or month", "parameter": "columns"}
    answers = {
        "/plain": {"resolve": report},
        "/wrapped": {"resolve": {"body": report, "headers": {"content-type": "application/json"}}},
        "/wrapped-text": {"resolve": {"body": json.dumps(report), "status": 200, "headers": {}}},
        "/refused": {"resolve": {"status": 400, "body": error, "headers": {}}},
        "/busy": {
            "resolve": {
                "status": 429,
                "body": {"error": "slow down"},
                "headers": {"Retry-After": "7"},
            }
        },
        "/rejected": {"reject": {"status": 403, "body": json.dumps({"error": "no"})}},
        "/broken": {"reject": {"message": "bridge failed"}},
    }
    result = subprocess.run(
        [node, "-e", HARNESS, str(ADAPTER), json.dumps(answers)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    out = json.loads(result.stdout)
    assert out["outside"] is True
    assert out["page"] == {
        "projectKey": "ALPHA",
        "siteUrl": "https://acme.atlassian.net",
        "timeZone": "Asia/Tokyo",
        "locale": "ja-JP",
    }
    assert out["zone"] == "Asia/Tokyo"
    # The page writes dates and numbers in the viewer's locale, as Forge's context names it.
    assert out["locale"] == "ja-JP"
    assert out["token"] == {"answered": True}  # nothing to renew: Forge signs every call
    calls = out["calls"]
    for path in ("/plain", "/wrapped", "/wrapped-text"):
        assert calls[path] == {"ok": report}, path
    assert calls["/refused"] == {"failed": {"status": 400, "body": error, "retryAfter": None}}
    assert calls["/busy"]["failed"] == {
        "status": 429,
        "body": {"error": "slow down"},
        "retryAfter": 7,
    }
    assert calls["/rejected"]["failed"] == {
        "status": 403,
        "body": {"error": "no"},
        "retryAfter": None,
    }
    assert calls["/broken"]["failed"]["status"] == 0
    assert out["aborted"] == "AbortError"
    # Every call is a GET of the same URL the Connect page fetches, and the aborted one never left.
    assert [call["path"] for call in out["seen"]] == list(answers)
    assert {call["method"] for call in out["seen"]} == {"GET"}
