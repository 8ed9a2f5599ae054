"""Jira's wire format: the JSON of search results, worklogs and users, read into typed values.

Everything Jira-shaped is read here and nowhere else: timestamps (:func:`parse_jira_datetime`),
Atlassian Document Format comments (:func:`adf_to_text`), the fields of a searched issue
(:func:`read_issue`, :func:`embedded_worklogs`), a worklog (:func:`read_worklog`, which makes the
engine's :class:`~smart_timesheet_plugin.report.model.Worklog`) and a user (:func:`read_user`).
Reading is pure and forgiving: a missing or malformed field becomes an empty value, or ``None``
where nothing sensible can be made of the entry, never an exception.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from smart_timesheet_plugin.report.model import Worklog

_EPOCH_UTC: Final = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_ONE_MS: Final = datetime.timedelta(milliseconds=1)


def parse_jira_datetime(value: str) -> int:
    """Epoch milliseconds of a Jira timestamp such as ``2021-01-17T12:34:00.000+0000``.

    Offsets written ``+0000``, ``+00:00`` or ``Z`` are accepted. A timestamp without an offset is
    ambiguous and raises :class:`ValueError`, as does anything that is not a timestamp.
    """
    moment = datetime.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"timestamp without a UTC offset: {value!r}")
    return (moment - _EPOCH_UTC) // _ONE_MS


# Inline ADF nodes that stand for a piece of text, and the attribute holding it.
_ADF_INLINE_TEXT_ATTRIBUTES: Final[Mapping[str, tuple[str, ...]]] = {
    "mention": ("text",),
    "emoji": ("text", "shortName"),
    "status": ("text",),
    "inlineCard": ("url",),
    "blockCard": ("url",),
    "embedCard": ("url",),
}
_ADF_BLOCK_END: Final = object()


def adf_to_text(doc: object) -> str:
    """Plain text of an Atlassian Document Format document (API v3 worklog comments).

    Block nodes (paragraphs, headings, list items, code blocks...) become lines joined with a
    newline; ``hardBreak`` is a newline; mentions, emoji, statuses and cards give their text;
    ``date`` nodes give their ISO date. Unknown nodes are read through their content, malformed
    parts are skipped. A plain string (API v2) is returned as it is, ``None`` as ``""``.
    """
    if isinstance(doc, str):
        return doc
    lines: list[str] = []
    line: list[str] = []
    # Depth-first walk with an explicit stack, so deeply nested documents cannot exhaust recursion.
    stack: list[object] = [doc]
    while stack:
        node = stack.pop()
        if node is _ADF_BLOCK_END:
            if line:
                lines.append("".join(line))
                line.clear()
            continue
        if not isinstance(node, Mapping):
            continue
        node_type = node.get("type")
        if node_type == "text":
            text = node.get("text")
            if isinstance(text, str):
                line.append(text)
        elif node_type == "hardBreak":
            line.append("\n")
        elif node_type == "date":
            line.append(_adf_date(node.get("attrs")))
        elif isinstance(node_type, str) and node_type in _ADF_INLINE_TEXT_ATTRIBUTES:
            line.append(_adf_attribute(node.get("attrs"), _ADF_INLINE_TEXT_ATTRIBUTES[node_type]))
        else:
            content = node.get("content")
            if isinstance(content, list):
                # Any other node with content is treated as a block: it ends the current line.
                stack.append(_ADF_BLOCK_END)
                stack.extend(reversed(content))
                stack.append(_ADF_BLOCK_END)
    if line:
        lines.append("".join(line))
    return "\n".join(lines)


def _adf_attribute(attrs: object, names: tuple[str, ...]) -> str:
    if isinstance(attrs, Mapping):
        for name in names:
            value = attrs.get(name)
            if isinstance(value, str) and value:
                return value
    return ""


def _adf_date(attrs: object) -> str:
    timestamp = attrs.get("timestamp") if isinstance(attrs, Mapping) else None
    try:
        milliseconds = int(str(timestamp))
        return (_EPOCH_UTC + milliseconds * _ONE_MS).date().isoformat()
    except (ValueError, OverflowError):
        return ""


@dataclass(frozen=True, slots=True)
class IssueFacts:
    """What a report needs of one issue from the search: ids, summary, type, project, parent.

    ``parent_key`` and ``parent_summary`` are ``None`` for an issue without a parent.
    """

    id: str
    key: str
    summary: str
    issue_type: str
    project_key: str
    project_name: str
    parent_key: str | None
    parent_summary: str | None
    components: tuple[str, ...] = ()
    fix_versions: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    sprints: tuple[str, ...] = ()
    field_values: tuple[str, ...] = ()


def field_names(value: object) -> tuple[str, ...]:
    """The sorted, distinct names in a field's value, whatever its shape.

    Jira gives lists of objects named by ``name`` (components, versions, sprints), ``value``
    (select options), ``displayName`` (users) or ``key``, lists of strings (labels), or one such
    value alone; ``None`` and empty texts give nothing.
    """
    items = value if isinstance(value, list) else [value]
    names: set[str] = set()
    for item in items:
        if isinstance(item, Mapping):
            item = next(
                (item[k] for k in ("name", "value", "displayName", "key") if item.get(k)), None
            )
        if isinstance(item, bool) or item is None:
            continue
        if isinstance(item, str | int | float):
            text = str(item).strip()
            if text:
                names.add(text)
    return tuple(sorted(names, key=lambda name: (name.casefold(), name)))


def read_issue(
    issue: Mapping[str, Any], *, sprint_field: str | None = None, custom_field: str | None = None
) -> IssueFacts:
    """The facts of one issue of a search result (``fields``: summary, issuetype, project,
    parent, and when asked components, fixVersions, labels, the sprint field and a custom
    field, named by their ids)."""
    fields = issue.get("fields") or {}
    project = fields.get("project") or {}
    parent = fields.get("parent") or None
    parent_fields = (parent or {}).get("fields") or {}
    return IssueFacts(
        id=str(issue.get("id", "")),
        key=str(issue.get("key", "")),
        summary=str(fields.get("summary") or ""),
        issue_type=str((fields.get("issuetype") or {}).get("name") or ""),
        project_key=str(project.get("key") or ""),
        project_name=str(project.get("name") or ""),
        parent_key=str(parent["key"]) if parent and parent.get("key") else None,
        parent_summary=str(parent_fields.get("summary")) if parent_fields.get("summary") else None,
        components=field_names(fields.get("components")),
        fix_versions=field_names(fields.get("fixVersions")),
        labels=field_names(fields.get("labels")),
        sprints=field_names(fields.get(sprint_field)) if sprint_field else (),
        field_values=field_names(fields.get(custom_field)) if custom_field else (),
    )


def embedded_worklogs(issue: Mapping[str, Any]) -> Sequence[Mapping[str, Any]] | None:
    """The worklogs a search result embeds in an issue, or ``None`` when the list is incomplete.

    Jira embeds at most 20 worklogs with the ``worklog`` field and says how many there are in
    ``total``; an issue with more must have its worklogs paged separately.
    """
    embedded = ((issue.get("fields") or {}).get("worklog")) or {}
    entries: Sequence[Mapping[str, Any]] = embedded.get("worklogs") or []
    total = embedded.get("total")
    if isinstance(total, int) and total > len(entries):
        return None
    return entries


def read_worklog(
    raw: Mapping[str, Any], issue: IssueFacts, *, with_comment: bool
) -> Worklog | None:
    """The engine's record of one worklog of ``issue``; ``None`` when it cannot be placed.

    An entry without an author accountId (anonymised) or a ``started`` string has no row or day.
    The comment is turned into text only when asked (``with_comment``): a grid never shows it.
    Raises :class:`ValueError` when ``started`` is not a timestamp with an offset.
    """
    author = raw.get("author") or {}
    account_id = author.get("accountId")
    started = raw.get("started")
    if not isinstance(account_id, str) or not isinstance(started, str):
        return None
    zone = author.get("timeZone")
    return Worklog(
        id=str(raw.get("id", "")),
        issue_key=issue.key,
        issue_summary=issue.summary,
        issue_type=issue.issue_type,
        project_key=issue.project_key,
        project_name=issue.project_name,
        parent_key=issue.parent_key,
        parent_summary=issue.parent_summary,
        author_id=account_id,
        author_name=str(author.get("displayName") or account_id),
        author_tz=zone if isinstance(zone, str) and zone else None,
        started_ms=parse_jira_datetime(started),
        seconds=int(raw.get("timeSpentSeconds") or 0),
        comment=adf_to_text(raw["comment"]) if with_comment and raw.get("comment") else "",
        components=issue.components,
        fix_versions=issue.fix_versions,
        labels=issue.labels,
        sprints=issue.sprints,
        field_values=issue.field_values,
    )


@dataclass(frozen=True, slots=True)
class UserFacts:
    """What a report needs of a Jira user: accountId, display name and zone.

    ``display_name`` and ``time_zone`` are ``None`` when Jira leaves them out or empty (a user may
    hide their zone).
    """

    account_id: str | None
    display_name: str | None
    time_zone: str | None


def read_user(user: object) -> UserFacts:
    """The facts of a user object (``/myself``, ``/user/bulk``, a worklog's author)."""
    if not isinstance(user, Mapping):
        return UserFacts(None, None, None)
    account_id = user.get("accountId")
    name = user.get("displayName")
    zone = user.get("timeZone")
    return UserFacts(
        account_id=account_id if isinstance(account_id, str) else None,
        display_name=str(name) if name else None,
        time_zone=zone if isinstance(zone, str) and zone else None,
    )
