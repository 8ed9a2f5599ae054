"""Reference material generated from the code, for the docs site and for docs/*.md.

The settings table in docs/settings.md is generated from ``atlassian_connect_kit.settings``: the
docs site renders it from the code at build time, and the copy kept in the Markdown (so that the
page also reads well in the repository) is checked equal by the test suite. After changing a
setting, rewrite the copy with::

    python docs/_ext/ack_reference.py --write

The command-line reference comes from the ``ack`` argument parser. This module imports only the
kit, never Sphinx, so the test suite can use it.
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from atlassian_connect_kit.settings import (
    SETTINGS,
    SettingSpec,
    _attribute_name,
    env_var_name,
    load_settings,
)

DOCS = Path(__file__).resolve().parent.parent
SETTINGS_PAGE = DOCS / "settings.md"
SETTINGS_BEGIN = (
    "<!-- settings table: generated from atlassian_connect_kit/settings.py by "
    "`python docs/_ext/ack_reference.py --write`; do not edit by hand -->"
)
SETTINGS_END = "<!-- end of settings table -->"
_SETTINGS_REGION = re.compile(
    re.escape(SETTINGS_BEGIN) + r"\n.*?" + re.escape(SETTINGS_END), flags=re.DOTALL
)
# The plugins whose commands the command-line reference shows, besides the core's.
DOCUMENTED_PLUGINS = ("smart_timesheet",)
# Help is wrapped at a fixed width, not the terminal's, so the reference is the same everywhere.
HELP_WIDTH = 88


def _default_text(spec: SettingSpec, computed: object) -> str:
    if spec.default is None:
        # No static default: the loader computes one (the database URL) or requires a value.
        return f"`{computed}`" if computed else "(required)"
    return f"`{spec.default}`" if spec.default.strip() else "(empty)"


def settings_table() -> str:
    """Return the Markdown table of every setting: name, variable, default and meaning."""
    # ``%(here)s`` stands for the ini's folder, as PasteDeploy writes it.
    computed = load_settings({}, environ={}, here="%(here)s", require_base_url=False)
    rows = [
        "| setting | environment | default | meaning |",
        "| --- | --- | --- | --- |",
    ]
    for spec in SETTINGS:
        default = _default_text(spec, getattr(computed, _attribute_name(spec.name)))
        rows.append(f"| `{spec.name}` | `{env_var_name(spec.name)}` | {default} | {spec.help} |")
    return "\n".join(rows)


def settings_region() -> str:
    """Return the generated region of docs/settings.md, markers included."""
    return f"{SETTINGS_BEGIN}\n{settings_table()}\n{SETTINGS_END}"


def with_generated_settings(markdown: str) -> str:
    """Return ``markdown`` with its settings region replaced by the generated one.

    Raises ``ValueError`` when the page has no region (or more than one) to replace.
    """
    found = len(_SETTINGS_REGION.findall(markdown))
    if found != 1:
        raise ValueError(f"expected one generated settings region, found {found}")
    return _SETTINGS_REGION.sub(lambda _match: settings_region(), markdown)


@dataclass(frozen=True)
class Command:
    """One ``ack`` command of the reference: its words, one-line help and full ``--help``."""

    words: tuple[str, ...]
    summary: str
    help_text: str

    @property
    def name(self) -> str:
        """The command as typed, e.g. ``ack db upgrade``."""
        return " ".join(("ack", *self.words))


def _help(parser: argparse.ArgumentParser) -> str:
    parser.formatter_class = functools.partial(parser.formatter_class, width=HELP_WIDTH)
    return parser.format_help()


def _subcommands(parser: argparse.ArgumentParser, words: tuple[str, ...] = ()) -> Iterator[Command]:
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        summaries = {choice.dest: choice.help or "" for choice in action._choices_actions}
        for name, sub in action.choices.items():
            path = (*words, name)
            yield Command(path, summaries.get(name, ""), _help(sub))
            yield from _subcommands(sub, path)


def commands() -> list[Command]:
    """Return ``ack`` itself and every subcommand, as the parser defines them, in order."""
    from atlassian_connect_kit.cli import build_parser
    from atlassian_connect_kit.plugins import make_plugin_manager

    parser = build_parser(make_plugin_manager(DOCUMENTED_PLUGINS))
    return [Command((), parser.description or "", _help(parser)), *_subcommands(parser)]


def main(argv: list[str]) -> int:
    """Check (default) or ``--write`` the generated region of docs/settings.md."""
    current = SETTINGS_PAGE.read_text(encoding="utf-8")
    generated = with_generated_settings(current)
    if "--write" in argv:
        SETTINGS_PAGE.write_text(generated, encoding="utf-8")
        return 0
    if generated != current:
        print("docs/settings.md: the settings table is out of date; run with --write")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
