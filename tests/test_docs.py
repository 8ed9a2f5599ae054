"""The documentation keeps up with the code: every hook, setting and command is described."""

import argparse
from pathlib import Path

import pytest

from atlassian_connect_kit import hookspecs
from atlassian_connect_kit.cli import build_parser
from atlassian_connect_kit.plugins import make_plugin_manager
from atlassian_connect_kit.settings import SETTINGS

DOCS = Path(__file__).resolve().parent.parent / "docs"
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("ack_"))


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented(hook):
    assert f"### `{hook}(" in (DOCS / "hooks.md").read_text()


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_docstring(hook):
    assert (getattr(hookspecs, hook).__doc__ or "").strip()


@pytest.mark.parametrize("setting", [spec.name for spec in SETTINGS])
def test_every_setting_is_documented(setting):
    assert f"`{setting}`" in (DOCS / "settings.md").read_text()


def _commands(parser, prefix=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from _commands(sub, (*prefix, name))


@pytest.mark.parametrize(
    "command",
    [" ".join(c) for c in _commands(build_parser(make_plugin_manager(("smart_timesheet",))))],
)
def test_every_command_is_documented(command):
    assert f"`ack {command}" in (DOCS / "commands.md").read_text()
