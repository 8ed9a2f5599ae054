"""``ack demo``, offered to the ``ack`` command by the testing package.

It is registered under the ``atlassian_connect_kit.commands`` entry-point group (see
pyproject.toml), which ``ack`` reads for commands that need no ini: the command line finds the
demo without any module of the kit outside ``testing/`` importing the fake Jira site.
"""

from __future__ import annotations

import argparse

from atlassian_connect_kit.cli import add_config_argument, settings_from_args
from atlassian_connect_kit.hookspecs import hookimpl
from atlassian_connect_kit.settings import APP_IDENTITY_SETTINGS
from atlassian_connect_kit.testing.demo import run_demo

DEMO_PORT = 6500


def command_demo(args: argparse.Namespace) -> int:
    """Run the add-on installed into a fake Jira site, with a host page to use it."""
    plugins = None
    identity = None
    if args.config:
        settings = settings_from_args(args, require_base_url=False)
        plugins = settings.plugins
        if settings.app_key:  # the ini's own add-on keeps its identity in the demo
            identity = {
                name: str(getattr(settings, name.removeprefix("ack.")))
                for name in (*APP_IDENTITY_SETTINGS, "ack.app_description")
            }
    return run_demo(port=args.port, seed=args.seed, plugins=plugins, identity=identity)


@hookimpl
def ack_cli_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``ack demo``."""
    demo = subparsers.add_parser(
        "demo", help="run the add-on in a fake Jira site with synthetic data, on this machine"
    )
    add_config_argument(demo, required=False)
    demo.add_argument("--port", type=int, default=DEMO_PORT, help=f"host page port ({DEMO_PORT})")
    demo.add_argument("--seed", type=int, default=1, help="seed of the synthetic data (1)")
    demo.set_defaults(handler=command_demo)
