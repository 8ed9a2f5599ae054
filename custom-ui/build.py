"""Build the Smart Timesheet's Forge Custom UI folders (src/smart_timesheet_plugin/custom_ui and
custom_ui_gadget).

Run with ``tox -e custom-ui`` (or ``python custom-ui/build.py`` in a venv with the package
installed) after changing the page's template, CSS or JS, and commit the result: the folder ships
in the wheel so that nobody installing the package needs node. ``--check`` builds into a
temporary folder and exits 1, naming the files, when the committed folder differs (``.ci/run``
does this).

The page's folder holds ``index.html`` (the page's template rendered without per-request
values), the page's CSS and JS copied from ``static/``, and ``forge-bridge.js``: ``@forge/bridge``
bundled by esbuild, both pinned in package.json and package-lock.json beside this file and
installed with ``npm ci``. The dashboard gadget's folder holds its own ``index.html``, CSS and JS
and the same bundle.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent / "src" / "smart_timesheet_plugin"
TARGET = PACKAGE / "custom_ui"
GADGET_TARGET = PACKAGE / "custom_ui_gadget"


def build(target: Path, gadget_target: Path) -> None:
    """Write the page's folder into ``target`` and the gadget's into ``gadget_target`` (each
    created, emptied first); both carry the same bundled bridge."""
    from smart_timesheet_plugin.forge import (
        BRIDGE_BUNDLE,
        GADGET_FILES,
        PAGE_FILES,
        render_gadget_html,
        render_index_html,
    )

    npm = shutil.which("npm")
    if npm is None:
        sys.exit("custom-ui: npm is needed to bundle @forge/bridge")
    subprocess.run(  # noqa: S603 - npm from PATH, fixed arguments
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=HERE, check=True,
    )  # fmt: skip
    for folder in (target, gadget_target):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    subprocess.run(  # noqa: S603 - npm from PATH, fixed arguments
        [npm, "run", "--silent", "bundle", f"--outfile={target / BRIDGE_BUNDLE}"],
        cwd=HERE, check=True,
    )  # fmt: skip
    (target / "index.html").write_text(render_index_html(), encoding="utf-8")
    for name in PAGE_FILES:
        shutil.copyfile(PACKAGE / "static" / name, target / name)
    # The gadget: its own page, the same bridge bundle.
    shutil.copyfile(target / BRIDGE_BUNDLE, gadget_target / BRIDGE_BUNDLE)
    (gadget_target / "index.html").write_text(render_gadget_html(), encoding="utf-8")
    for name in GADGET_FILES:
        shutil.copyfile(PACKAGE / "static" / name, gadget_target / name)


def differences(built: Path, committed: Path) -> list[str]:
    """The files that differ between two folders, missing on either side included."""
    names = {p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file()}
    names |= {p.relative_to(committed).as_posix() for p in committed.rglob("*") if p.is_file()}
    return sorted(
        name
        for name in names
        if not (built / name).is_file()
        or not (committed / name).is_file()
        or not filecmp.cmp(built / name, committed / name, shallow=False)
    )


def main() -> int:
    """Build the folder, or with ``--check`` compare a fresh build with the committed one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed folder differs")
    args = parser.parse_args()
    if not args.check:
        build(TARGET, GADGET_TARGET)
        print(f"custom-ui: built {TARGET} and {GADGET_TARGET}")
        return 0
    with tempfile.TemporaryDirectory(prefix="custom-ui-") as scratch:
        built, built_gadget = Path(scratch) / "custom_ui", Path(scratch) / "custom_ui_gadget"
        build(built, built_gadget)
        changed = [
            f"{committed.name}/{name}"
            for fresh, committed in ((built, TARGET), (built_gadget, GADGET_TARGET))
            for name in differences(fresh, committed)
        ]
    if changed:
        print(
            "custom-ui: the Custom UI folders are not what the sources build "
            "(run tox -e custom-ui): " + ", ".join(changed),
            file=sys.stderr,
        )
        return 1
    print("custom-ui: the committed folders match a fresh build")
    return 0


if __name__ == "__main__":
    sys.exit(main())
