"""Old import paths of moved public names: they keep working for one release, with a warning."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping
from typing import Any


def moved_names(module: str, moves: Mapping[str, tuple[str, str]]) -> Callable[[str], Any]:
    """Return a module ``__getattr__`` serving ``moves`` (old name -> (new module, new name)).

    Each access warns with a :class:`DeprecationWarning` naming the import to use instead
    (``from atlassian_connect_kit import get_settings``); docs/migration.md lists the moves.
    """

    def __getattr__(name: str) -> Any:  # noqa: N807 - the name PEP 562 looks up
        target = moves.get(name)
        if target is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        new_module, new_name = target
        warnings.warn(
            f"{module}.{name} moved: use `from {new_module} import {new_name}`"
            " (the old path goes in the next release)",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(new_module), new_name)

    return __getattr__
