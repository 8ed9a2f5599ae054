"""Sphinx configuration of the documentation site: the Markdown in docs/ is the source (MyST)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

from atlassian_connect_kit import __version__

# Pyramid imports pkg_resources, which setuptools deprecates loudly; the kit pins a setuptools
# that still ships it, so the warning says nothing to a reader of the build output.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)

# The project's own Sphinx extension (generated references) lives beside this file.
sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

project = "atlassian-connect-kit"
author = "atlassian-connect-kit contributors"
copyright = "atlassian-connect-kit contributors"
version = release = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "ack_sphinx",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext"]

# MyST: anchors for ## and ### headings, so links such as settings.md#rules-worth-knowing work.
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

# autodoc: signatures as written (the hooks' types are imported only for type checking); a
# class's fields are listed as its attributes rather than crammed into one signature.
autodoc_typehints = "signature"
autodoc_member_order = "bysource"
autodoc_preserve_defaults = True
autodoc_class_signature = "separated"
add_module_names = False
autodoc_default_options = {"exclude-members": "__new__"}

html_theme = "furo"
html_title = f"atlassian-connect-kit {release}"
