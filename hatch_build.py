"""Build-time metadata: the package's long description is README.md with absolute links.

README.md links to ``docs/...`` and ``SECURITY.md`` relatively, which works in the repository but
not on PyPI, where the page has no files beside it. The build rewrites every relative Markdown
link to the repository's copy of the file, under the ``Source`` project URL, so the repository's
address is written in one place (``[project.urls]`` in pyproject.toml).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hatchling.metadata.plugin.interface import MetadataHookInterface

# A Markdown inline link or image target: ``](target)`` or ``](target "title")``.
_LINK_TARGET = re.compile(r"(\]\()([^)\s]+)((?:\s+\"[^\"]*\")?\))")
_ABSOLUTE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|#|/)")


def absolute_links(markdown: str, source_url: str, ref: str = "main") -> str:
    """Return ``markdown`` with relative link targets pointing into the repository at ``ref``.

    ``docs/settings.md`` becomes ``<source_url>/blob/<ref>/docs/settings.md``; absolute URLs,
    in-page anchors (``#...``) and site-absolute paths are left alone.
    """
    base = f"{source_url.rstrip('/')}/blob/{ref}/"

    def rewrite(match: re.Match[str]) -> str:
        target = match.group(2)
        if _ABSOLUTE.match(target):
            return match.group(0)
        return f"{match.group(1)}{base}{target.removeprefix('./')}{match.group(3)}"

    return _LINK_TARGET.sub(rewrite, markdown)


class ReadmeMetadataHook(MetadataHookInterface):
    """Set ``readme`` to README.md with its relative links made absolute."""

    PLUGIN_NAME = "custom"

    def update(self, metadata: dict[str, Any]) -> None:
        """Fill the dynamic ``readme`` field of the ``[project]`` table."""
        source_url = metadata.get("urls", {}).get("Source")
        if not source_url:
            raise ValueError("pyproject.toml: [project.urls] needs Source for the README's links")
        text = Path(self.root, "README.md").read_text(encoding="utf-8")
        metadata["readme"] = {
            "content-type": "text/markdown",
            "text": absolute_links(text, source_url),
        }
