"""The documentation keeps up with the code: every hook, setting and command is described.

The references the docs site renders from the code (docs/_ext/ack_reference.py) are checked here
too, so a stale copy in the Markdown fails the suite even where the site is not built.
"""

import re
import sys
from pathlib import Path

import pytest

from atlassian_connect_kit import hookspecs
from atlassian_connect_kit.settings import SETTINGS

DOCS = Path(__file__).resolve().parent.parent / "docs"
sys.path.insert(0, str(DOCS / "_ext"))
import ack_reference  # noqa: E402  (lives beside the docs, found through the line above)

HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("ack_"))
COMMANDS = [command.name for command in ack_reference.commands() if command.words]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented(hook):
    assert (
        f".. autofunction:: atlassian_connect_kit.hookspecs.{hook}\n"
        in (DOCS / "hooks.md").read_text()
    )


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_docstring(hook):
    assert (getattr(hookspecs, hook).__doc__ or "").strip()


@pytest.mark.parametrize("setting", [spec.name for spec in SETTINGS])
def test_every_setting_is_documented(setting):
    assert f"`{setting}`" in (DOCS / "settings.md").read_text()


def test_the_settings_table_is_the_one_generated_from_the_code():
    page = (DOCS / "settings.md").read_text()
    assert ack_reference.with_generated_settings(page) == page, (
        "docs/settings.md is stale: run python docs/_ext/ack_reference.py --write"
    )


def test_the_settings_table_shows_defaults_and_required_settings():
    rows = {
        row.split(" | ")[0].strip("| `"): row for row in ack_reference.settings_table().splitlines()
    }
    assert "| (required) |" in rows["ack.base_url"]
    assert "`sqlite:///%(here)s/var/ack.sqlite`" in rows["sqlalchemy.url"]
    assert "`ACK_DATABASE_URL`" in rows["sqlalchemy.url"]
    assert "| `30` |" in rows["ack.jwt_leeway"]
    assert "| (empty) |" in rows["ack.security.contact"]


def test_a_page_without_the_generated_region_is_refused():
    with pytest.raises(ValueError, match="found 0"):
        ack_reference.with_generated_settings("# Settings\n\n| hand | made |\n")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented(command):
    assert f"`{command}" in (DOCS / "commands.md").read_text()


def test_the_command_reference_shows_each_commands_own_help():
    by_name = {command.name: command for command in ack_reference.commands()}
    assert by_name["ack"].help_text.startswith("usage: ack ")
    assert "--base-url" in by_name["ack descriptor"].help_text
    assert by_name["ack db upgrade"].help_text.startswith("usage: ack db upgrade ")
    assert by_name["ack keys rotate"].summary


def test_every_page_is_in_the_sites_table_of_contents():
    index = (DOCS / "index.md").read_text()
    listed = set(re.findall(r"^([a-z0-9-]+)$", index, flags=re.MULTILINE))
    pages = {path.stem for path in DOCS.glob("*.md")} - {"index"}
    assert pages == listed


def test_the_settings_page_quotes_the_leeway_error_as_the_code_words_it():
    from atlassian_connect_kit.settings import SettingsError, load_settings
    from atlassian_connect_kit.testing.identity import TEST_APP_IDENTITY

    quoted = re.search(r"\(`(ack\.jwt_leeway: [^`]+)`\)", (DOCS / "settings.md").read_text())
    assert quoted, "docs/settings.md quotes the leeway error"
    raw = {**TEST_APP_IDENTITY, "ack.base_url": "https://app.example.com", "ack.jwt_leeway": "600"}
    with pytest.raises(SettingsError) as refused:
        load_settings(raw, environ={})
    assert str(refused.value) == quoted.group(1)
