"""``ack new NAME``: create a new add-on's project in ``./NAME`` from the kit's copier template.

The template (``scaffold/template``, rendered by copier) holds a pyproject depending on the kit
with the add-on's entry point and a ``test`` extra, the plugin module with one page that calls
Jira as the viewing user, its template, a test against the kit's fake Jira site and a
development.ini setting the add-on's own ``ack.app_key``. Nothing is asked: every answer comes
from the command line, so it runs without a terminal. copier is an optional dependency
(``pip install 'atlassian-connect-kit[scaffold]'``); without it the command says so in one line.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

from atlassian_connect_kit import __version__
from atlassian_connect_kit.hookspecs import hookimpl

TEMPLATE_DIR = Path(__file__).resolve().parent / "template"
"""The copier template shipped inside the package."""

_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
MAX_NAME = 60


class ScaffoldError(ValueError):
    """The add-on cannot be created; the message is one line saying why."""


@dataclass(frozen=True)
class AddonAnswers:
    """What the template is rendered with."""

    name: str
    package: str
    app_key: str
    app_name: str
    vendor_name: str
    vendor_url: str
    kit_version: str


def answers_for(
    name: str,
    *,
    app_name: str | None = None,
    vendor_name: str | None = None,
    vendor_url: str | None = None,
) -> AddonAnswers:
    """Derive the template's answers from the add-on's name (``my-addon`` -> ``my_addon``)."""
    if len(name) > MAX_NAME or not _NAME.fullmatch(name):
        raise ScaffoldError(
            f"{name!r}: an add-on name is lower-case letters and digits, words joined by single "
            f"hyphens, starting with a letter, at most {MAX_NAME} characters (e.g. my-addon)"
        )
    title = " ".join(word.capitalize() for word in name.split("-"))
    return AddonAnswers(
        name=name,
        package=name.replace("-", "_"),
        app_key=name,
        app_name=app_name or title,
        vendor_name=vendor_name or title,
        vendor_url=vendor_url or "https://example.com",
        kit_version=_release(__version__),
    )


def _release(version: str) -> str:
    # A development version (0.2.0.dev3) would not satisfy ">=0.2.0.dev3" from a release index.
    return re.match(r"\d+(\.\d+)*", version).group(0) if re.match(r"\d", version) else version  # type: ignore[union-attr]


def create_addon(answers: AddonAnswers, parent: Path) -> Path:
    """Render the template into ``parent / answers.name``; refuse an existing path."""
    try:
        from copier import run_copy
    except ImportError:
        raise ScaffoldError(
            "ack new needs copier: pip install 'atlassian-connect-kit[scaffold]'"
        ) from None
    target = parent / answers.name
    if target.exists():
        raise ScaffoldError(f"{target}: already exists; choose another name or folder")
    run_copy(
        str(TEMPLATE_DIR),
        str(target),
        data=vars(answers),
        defaults=True,  # never prompt: every question has its answer in data
        overwrite=False,
        quiet=True,
        unsafe=False,  # the kit's template runs no tasks or migrations
    )
    return target


def command_new(args: argparse.Namespace) -> int:
    """Create ``./NAME`` (or ``DIR/NAME``) and say what to run next."""
    answers = answers_for(
        args.name, app_name=args.app_name, vendor_name=args.vendor_name, vendor_url=args.vendor_url
    )
    target = create_addon(answers, Path(args.directory))
    print(f"created {target}")
    print(f"next: cd {target} && pip install -e '.[test]' && python -m pytest")
    return 0


@hookimpl(trylast=True)
def ack_cli_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``ack new``."""
    new = subparsers.add_parser("new", help="create a new add-on project in ./NAME")
    new.add_argument("name", metavar="NAME", help="the add-on's name and app key, e.g. my-addon")
    new.add_argument("--directory", default=".", help="where to create NAME (default: here)")
    new.add_argument("--app-name", help="ack.app_name (default: from NAME)")
    new.add_argument("--vendor-name", help="ack.vendor_name (default: from NAME)")
    new.add_argument("--vendor-url", help="ack.vendor_url (default: https://example.com)")
    new.set_defaults(handler=command_new)
