"""Locate third-party reference data kept beside the repository, never inside it.

The files live in ``<repo root>/../shared``, or in the directory ``ACK_TEST_SHARED_DIR`` names (for
runs from a copy of the tree, such as mutation testing's). Tests that need one call
:func:`shared_path`; where the file is absent the test is skipped with the reason, except under
``CI=true`` where a missing file fails the run, so CI can never go green by skipping the
interoperability checks.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_ROOT = Path(os.environ.get("ACK_TEST_SHARED_DIR") or REPO_ROOT.parent / "shared")


def shared_path(*parts: str) -> Path:
    """Return the path of a shared reference file, skipping (or failing under CI) when absent."""
    path = SHARED_ROOT.joinpath(*parts)
    if not path.is_file():
        reason = f"reference file {path} is absent (expected beside the repository in ../shared)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return path
