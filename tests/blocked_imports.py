"""Run the kit in a fresh Python where some imports fail, as on a machine without those packages.

A ``sitecustomize`` module on ``PYTHONPATH`` puts a finder first on ``sys.meta_path`` that
refuses the named modules: with ``ModuleNotFoundError`` (the package is not installed) or with
an ``ImportError`` of a given message (a compiled module whose system library is missing, such
as pyodbc without unixODBC's ``libodbc.so.2``). Anything that tries to import them fails, so a
command that succeeds this way provably never imported them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

SITECUSTOMIZE = '''
import sys

BLOCKED = {blocked!r}


class BlockedImports:
    """Refuse the blocked modules and their submodules."""

    def find_spec(self, name, path=None, target=None):
        for module, message in BLOCKED.items():
            if name == module or name.startswith(module + "."):
                if message is None:
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
                raise ImportError(message, name=name)
        return None


sys.meta_path.insert(0, BlockedImports())
'''


def blocked_imports_environment(folder: Path, blocked: Mapping[str, str | None]) -> dict[str, str]:
    """Return an environment whose Python refuses ``blocked`` (module -> ImportError message).

    ``None`` as the message means "not installed". The caller's ``ACK_*`` settings variables
    are left out (the ``ACK_TEST_*`` ones kept), so only the ini configures the kit.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE.format(blocked=dict(blocked)))
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("ACK_") or name.startswith("ACK_TEST_")
    }
    environ["PYTHONPATH"] = str(folder)
    return environ


def run_ack_without(
    folder: Path, blocked: Mapping[str, str | None], *args: str
) -> subprocess.CompletedProcess[str]:
    """Run ``ack ARGS`` in a Python that refuses the ``blocked`` imports."""
    return subprocess.run(
        [sys.executable, "-m", "atlassian_connect_kit.cli", *args],
        capture_output=True,
        text=True,
        cwd=folder,
        env=blocked_imports_environment(folder / "site", blocked),
        timeout=120,
    )
