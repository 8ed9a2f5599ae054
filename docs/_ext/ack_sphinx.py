"""Sphinx extension of the docs site: references generated from the code, and repository links.

- docs/settings.md: its settings table is replaced, as the page is read, by the table generated
  from ``atlassian_connect_kit.settings`` (the copy in the Markdown is checked by the tests).
- ``ack-commands`` directive: one section per ``ack`` command with its ``--help``, from the parser.
- Links to files at the repository's root (SECURITY.md, CHANGELOG.md) go to the pages that
  include them, so the Markdown links that work in the repository work on the site too.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import ack_reference
from docutils import nodes
from pygments.lexers.shell import BashLexer
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

# Files at the repository's root, and the site pages that include them.
ROOT_FILE_PAGES = {"SECURITY.md": "security-policy.md", "CHANGELOG.md": "changelog.md"}


def _link_root_files(text: str, prefix: str) -> str:
    for name, page in ROOT_FILE_PAGES.items():
        text = re.sub(r"\]\(" + re.escape(prefix + name) + r"(?=[)#])", f"]({page}", text)
    return text


def _on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    text = source[0]
    if docname == "settings":
        try:
            text = ack_reference.with_generated_settings(text)
        except ValueError as error:
            raise ExtensionError(f"docs/settings.md: {error}") from None
    source[0] = _link_root_files(text, "../")


def _on_include_read(
    app: Sphinx, relative_path: Any, parent_docname: str, content: list[str]
) -> None:
    # Included files come from the repository's root (README.md, SECURITY.md, CHANGELOG.md).
    content[0] = _link_root_files(content[0], "")


def _on_builder_inited(app: Sphinx) -> None:
    # Recent furo themes bring accessible-pygments, which calls logging.basicConfig(level=INFO)
    # as it is imported (with the theme); every INFO record of the modules autodoc imports would
    # then end up in the build's output.
    logging.getLogger().setLevel(logging.WARNING)


class CommandsDirective(SphinxDirective):
    """``ack-commands``: a section per command, with its summary and its full ``--help``."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        """Render every command of the parser."""
        sections: list[nodes.Node] = []
        for command in ack_reference.commands():
            section = nodes.section(ids=[nodes.make_id(command.name)], names=[command.name])
            section += nodes.title(text=command.name)
            if command.words:  # the top-level description is the first line of its help
                section += nodes.paragraph(text=command.summary[:1].upper() + command.summary[1:])
            section += nodes.literal_block(command.help_text, command.help_text, language="text")
            self.state.document.note_implicit_target(section)
            sections.append(section)
        return sections


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the events and the directive."""
    app.connect("builder-inited", _on_builder_inited)
    app.connect("source-read", _on_source_read)
    app.connect("include-read", _on_include_read)
    app.add_directive("ack-commands", CommandsDirective)
    # Crontab examples are fenced as ``cron``: commands after five time fields, as a shell reads.
    app.add_lexer("cron", BashLexer)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
