"""The Timesheet's HTTP surface: the page, the JSON API and the exports."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    """Register the Timesheet's routes and views."""
