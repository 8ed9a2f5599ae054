"""One Chameleon template compiled at a time, across threads.

Chameleon compiles a page template to Python on its first render, with :func:`compile`.
CPython 3.11 can fail when two threads build syntax trees at once ("SystemError: AST
constructor recursion depth mismatch"), which a threaded server meets when two requests render
templates not yet compiled (a host page and its add-on frame, say). Compiling happens once per
template, so serialising it costs nothing after start-up; rendering is not serialised.
"""

from __future__ import annotations

import threading
from typing import Any

from chameleon.template import BaseTemplate

# Re-entrant, so a template compiled while another is being compiled cannot deadlock.
_COMPILING = threading.RLock()


def serialise_template_compilation() -> None:
    """Make Chameleon compile one template at a time in this process (idempotent)."""
    cook = BaseTemplate.cook
    if getattr(cook, "_ack_serialised", False):
        return

    def cook_one_at_a_time(self: BaseTemplate, body: Any) -> Any:
        with _COMPILING:
            return cook(self, body)

    cook_one_at_a_time._ack_serialised = True  # type: ignore[attr-defined]
    BaseTemplate.cook = cook_one_at_a_time  # type: ignore[method-assign]
