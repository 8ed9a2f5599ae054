"""A separate virtual environment that also sees this one's packages, for tests that install or
run a generated project as a user would, without changing the test environment itself.

Also a free loopback port for the servers those tests start.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import sysconfig
from pathlib import Path


def side_environment(folder: Path) -> Path:
    """Create a venv in ``folder`` whose Python also sees this environment's packages.

    Returns the venv's ``bin`` folder.
    """
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, timeout=120)
    python = folder / "bin" / "python"
    child_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    parent_site = sysconfig.get_paths()["purelib"]
    # addsitedir (not a plain path line) also runs the parent's .pth files: the editable kit.
    (Path(child_site) / "_parent_environment.pth").write_text(
        f"import site; site.addsitedir({parent_site!r})\n"
    )
    return folder / "bin"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on at the moment of asking."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
