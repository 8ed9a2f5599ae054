"""People and groups as Jira shows them to the viewer: the picker's searches and a group's members.

Every call goes through the viewer's client, so Jira decides what the viewer may see: the user
search finds whom Jira lets the viewer find, and a group's members are listed only when Jira lets
the viewer list them (Jira asks for the Administer Jira permission). Nothing is kept: the page
shows names and sends account ids, and a group is resolved to its members again on each report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from atlassian_connect_kit import JiraClient, iter_start_at
from smart_timesheet_plugin.source.fetch import resolve_users
from smart_timesheet_plugin.source.wire import UserFacts, read_user

#: Users one picker search returns at most.
USER_SEARCH_LIMIT: Final = 20
#: Groups one picker search returns at most.
GROUP_SEARCH_LIMIT: Final = 20
#: Members asked for per page of ``/group/member`` (the most Jira hands out).
GROUP_MEMBER_PAGE: Final = 50


@dataclass(frozen=True, slots=True)
class Person:
    """A user as the picker shows one: accountId and display name."""

    account_id: str
    display_name: str


@dataclass(frozen=True, slots=True)
class GroupFacts:
    """A Jira group as the picker shows one: its id (what the report is sent) and its name."""

    group_id: str
    name: str


def _person(facts: UserFacts) -> Person | None:
    if facts.account_id is None:
        return None
    return Person(facts.account_id, facts.display_name or facts.account_id)


def search_people(client: JiraClient, query: str) -> list[Person]:
    """Users matching ``query`` (``/user/search``, as the viewer), a few at most.

    Apps and other non-human accounts are left out: they log no work.
    """
    answer = client.get(
        "/rest/api/3/user/search", params={"query": query, "maxResults": str(USER_SEARCH_LIMIT)}
    )
    found: list[Person] = []
    for user in answer if isinstance(answer, list) else []:
        if isinstance(user, Mapping) and user.get("accountType", "atlassian") != "atlassian":
            continue
        person = _person(read_user(user))
        if person is not None:
            found.append(person)
    return found[:USER_SEARCH_LIMIT]


def name_people(client: JiraClient, account_ids: Iterable[str]) -> list[Person]:
    """The named users (``/user/bulk``), so a form holding ids can show names."""
    users = resolve_users(client, account_ids)
    return [person for person in map(_person, users.values()) if person is not None]


def search_groups(client: JiraClient, query: str) -> list[GroupFacts]:
    """Groups whose name contains ``query`` (``/groups/picker``, as the viewer)."""
    answer: Any = client.get(
        "/rest/api/3/groups/picker",
        params={"query": query, "maxResults": str(GROUP_SEARCH_LIMIT)},
    )
    groups = answer.get("groups") if isinstance(answer, Mapping) else None
    found: list[GroupFacts] = []
    for group in groups if isinstance(groups, list) else []:
        if not isinstance(group, Mapping):
            continue
        group_id, name = group.get("groupId"), group.get("name")
        if isinstance(group_id, str) and isinstance(name, str):
            found.append(GroupFacts(group_id, name))
    return found


def group_member_ids(client: JiraClient, group_id: str) -> list[str]:
    """The accountIds of a group's active members (``/group/member``, paged, as the viewer).

    Raises the client's errors: Jira answers 403 to a viewer it does not let list members and
    404 for a group that does not exist.
    """
    members: list[str] = []
    for page in iter_start_at(
        client,
        "/rest/api/3/group/member",
        params={"groupId": group_id},
        items_key="values",
        page_size=GROUP_MEMBER_PAGE,
    ):
        for user in page:
            account_id = read_user(user).account_id
            if account_id is not None:
                members.append(account_id)
    return list(dict.fromkeys(members))
