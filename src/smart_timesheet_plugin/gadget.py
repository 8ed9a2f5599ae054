"""The Timesheet's dashboard gadget: a saved report or a compact grid, configured in Jira.

A gadget's configuration is stored by Jira, never by us. In Connect it is one dashboard item
property (:data:`CONFIG_PROPERTY`), read and written as the viewer, so Jira decides who may see
and change it (the dashboard's viewers and editors). In Forge it is the gadget's own
configuration, which the edit view submits and the view reads from its context; the gadget then
calls the report API as any Forge page does.

A configuration is one JSON object, either a compact grid::

    {"source": "grid", "preset": "last-week", "group": "user", "columns": "day",
     "project": ["ALPHA"]}

or a saved report (:mod:`smart_timesheet_plugin.saved`)::

    {"source": "saved", "id": "a1b2c3d4e5f6", "shared": true}

The report itself is computed per view, as the viewer, by ``GET /timesheet/api/report``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from smart_timesheet_plugin.params import COLUMN_UNITS, PRESETS, ParameterError, parse_report_params
from smart_timesheet_plugin.saved import SavedReport

CONFIG_PROPERTY: Final = "smart-timesheet-gadget"
"""The dashboard item property holding a Connect gadget's configuration."""

GADGET_GROUPS: Final = ("user", "project")
"""What a compact grid's rows may be."""

DEFAULT_CONFIG: Final[Mapping[str, Any]] = {
    "source": "grid",
    "preset": "last-week",
    "group": "user",
    "columns": "day",
    "project": [],
}
"""The form's starting point for a gadget not configured yet."""

MAX_PROJECTS: Final = 20
_PROJECT_KEY: Final = re.compile(r"[A-Z][A-Z0-9_]{0,254}")
_SAVED_ID: Final = re.compile(r"[0-9a-f]{1,64}")


class GadgetConfigError(ValueError):
    """A configuration is not acceptable; ``parameter`` names the field at fault."""

    def __init__(self, parameter: str, problem: str) -> None:
        super().__init__(f"{parameter}: {problem}")
        self.parameter = parameter


@dataclass(frozen=True, slots=True)
class GadgetConfig:
    """A checked gadget configuration: a compact grid's choices, or a saved report's id."""

    source: str
    preset: str = "last-week"
    group: str = "user"
    columns: str = "day"
    projects: tuple[str, ...] = ()
    saved_id: str = ""
    shared: bool = False

    def to_json(self) -> dict[str, Any]:
        """The configuration as stored in Jira and answered by the API."""
        if self.source == "saved":
            return {"source": "saved", "id": self.saved_id, "shared": self.shared}
        return {
            "source": "grid",
            "preset": self.preset,
            "group": self.group,
            "columns": self.columns,
            "project": list(self.projects),
        }

    def grid_query(self) -> dict[str, list[str]]:
        """A grid's report parameters, as the page and the report API take them."""
        query = {"preset": [self.preset], "group": [self.group], "columns": [self.columns]}
        if self.projects:
            query["project"] = [",".join(self.projects)]
        return query


def _choice(body: Mapping[str, Any], name: str, options: tuple[str, ...], default: str) -> str:
    value = body.get(name, default)
    if not isinstance(value, str) or value not in options:
        raise GadgetConfigError(name, f"must be one of {', '.join(options)}")
    return value


def _projects(value: object) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value if value is not None else []
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise GadgetConfigError("project", "must be a list of project keys")
    keys = [key.strip().upper() for item in items for key in item.split(",") if key.strip()]
    if len(keys) > MAX_PROJECTS or not all(_PROJECT_KEY.fullmatch(key) for key in keys):
        raise GadgetConfigError("project", f"must be up to {MAX_PROJECTS} project keys")
    return tuple(dict.fromkeys(keys))


def read_config(body: object) -> GadgetConfig:
    """A configuration from JSON (a request body or a stored property), checked.

    Raises :class:`GadgetConfigError` naming the field at fault.
    """
    if not isinstance(body, Mapping):
        raise GadgetConfigError("body", "must be a JSON object")
    source = _choice(body, "source", ("grid", "saved"), "grid")
    if source == "saved":
        saved_id = body.get("id")
        if not isinstance(saved_id, str) or not _SAVED_ID.fullmatch(saved_id):
            raise GadgetConfigError("id", "must name a saved report")
        return GadgetConfig("saved", saved_id=saved_id, shared=body.get("shared") is True)
    config = GadgetConfig(
        "grid",
        preset=_choice(body, "preset", PRESETS, "last-week"),
        group=_choice(body, "group", GADGET_GROUPS, "user"),
        columns=_choice(body, "columns", COLUMN_UNITS, "day"),
        projects=_projects(body.get("project")),
    )
    try:
        # Any day serves: the preset is resolved per view, in the viewer's zone.
        parse_report_params(config.grid_query(), today=dt.date(2000, 1, 3))
    except ParameterError as error:  # pragma: no cover - the choices above are the parser's
        raise GadgetConfigError(error.parameter, str(error).partition(": ")[2]) from None
    return config


def saved_query(config: GadgetConfig, reports: list[SavedReport]) -> dict[str, list[str]] | None:
    """The parameters of the saved report ``config`` names among ``reports``, or ``None``."""
    found = next((report for report in reports if report.id == config.saved_id), None)
    return {name: list(values) for name, values in found.query.items()} if found else None


__all__ = (
    "CONFIG_PROPERTY",
    "DEFAULT_CONFIG",
    "GADGET_GROUPS",
    "GadgetConfig",
    "GadgetConfigError",
    "read_config",
    "saved_query",
)
