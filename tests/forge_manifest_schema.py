"""Install the npm package ``@forge/manifest`` into a cache folder outside the repository.

The Forge manifest tests validate ``ack manifest`` output against the JSON schema this package
ships (``out/schema/manifest-schema.json``) and with the package's own full validator (what
``forge lint`` runs on a manifest). The package is installed with npm once per machine into
``$ACK_TEST_CACHE`` (default ``~/.cache/atlassian-connect-kit``); tests skip with the reason where
npm is absent, except under ``CI=true``, where they fail. ``.ci/run`` installs it before the tests
with ``python3 tests/forge_manifest_schema.py``. This module needs only the standard library when
run as a script.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

PACKAGE = "@forge/manifest"
VERSION = "13.7.0"
# The package's validator requires tslib without declaring it (its monorepo hoists it).
EXTRA_PACKAGES = ("tslib@2",)


class Unavailable(Exception):
    """The package cannot be installed here; the message says why."""


def cache_root() -> Path:
    """Where npm packages for the tests are kept (outside the repository)."""
    configured = os.environ.get("ACK_TEST_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "atlassian-connect-kit"


def package_dir() -> Path:
    """The installed package, installing it first when it is not there yet."""
    prefix = cache_root() / f"forge-manifest-{VERSION}"
    installed = prefix / "node_modules" / "@forge" / "manifest"
    if (installed / "out" / "schema" / "manifest-schema.json").is_file():
        return installed
    npm = shutil.which("npm")
    if npm is None:
        raise Unavailable("npm is not installed, so @forge/manifest cannot be installed")
    prefix.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="forge-manifest-", dir=prefix.parent))
    command = [
        npm, "install", "--prefix", str(staging), "--no-save", "--no-package-lock",
        "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error",
        f"{PACKAGE}@{VERSION}", *EXTRA_PACKAGES,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise Unavailable(f"npm install {PACKAGE}@{VERSION} failed: {last}")
    try:
        staging.rename(prefix)  # atomic: a half-installed package is never found
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # another run installed it meanwhile
    return installed


def schema_path() -> Path:
    """The manifest JSON schema of the pinned package."""
    return package_dir() / "out" / "schema" / "manifest-schema.json"


VALIDATE_JS = """
const manifest = require(process.argv[1]);
manifest.validate(false, process.argv[2]).then((result) => {
  process.stdout.write(JSON.stringify({success: result.success, errors: result.errors || []}));
});
"""


def validate(manifest_file: Path) -> list[dict[str, Any]]:
    """Run the package's own full validator (what ``forge lint`` runs) on ``manifest_file``.

    Returns its errors and warnings (empty when the manifest is valid); resource paths are checked
    against the files beside ``manifest_file``. Raises :class:`Unavailable` without node.
    """
    import json

    node = shutil.which("node")
    if node is None:
        raise Unavailable("node is not installed, so @forge/manifest's validator cannot run")
    result = subprocess.run(
        [node, "-e", VALIDATE_JS, str(package_dir()), str(manifest_file)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    verdict = json.loads(result.stdout)
    errors: list[dict[str, Any]] = verdict["errors"]
    assert verdict["success"] or errors, verdict
    return errors


if __name__ == "__main__":
    try:
        print(f"{PACKAGE}@{VERSION}: {package_dir()}")
    except Unavailable as error:
        print(f"{PACKAGE}: {error}", file=sys.stderr)
        sys.exit(1)
