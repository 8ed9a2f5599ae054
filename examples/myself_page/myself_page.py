"""A minimal add-on built on atlassian-connect-kit: a Jira page that greets the viewer.

It shows the whole shape of a plugin in one file: a descriptor fragment, a page (``jwt``), a JSON
API (``context``) that calls Jira as the viewing user, and nothing else. Enable it by registering
this module under the ``atlassian_connect_kit`` entry-point group and naming it in
``ack.plugins``; its test registers it directly.
"""

from __future__ import annotations

from html import escape
from typing import Any

from pyramid.request import Request
from pyramid.response import Response

from atlassian_connect_kit import hookimpl

PAGE_URL = "/hello"


@hookimpl
def ack_descriptor_fragment(settings: Any) -> dict[str, Any]:
    """One general page; reading Jira as the viewer needs READ and ACT_AS_USER."""
    return {
        "scopes": ["READ", "ACT_AS_USER"],
        "modules": {
            "generalPages": [
                {
                    "key": "hello-page",
                    "name": {"value": "Hello"},
                    "url": PAGE_URL,
                    # Offered to signed-in users only: it greets the viewer by name.
                    "conditions": [{"condition": "user_is_logged_in"}],
                }
            ]
        },
    }


@hookimpl
def ack_configure(config: Any, settings: Any) -> None:
    """The page and its API: each declares how it is authenticated and that it needs a user.

    ``connect_require_user`` refuses an anonymous visitor's token with 401 before the view runs.
    """
    config.add_route("hello.page", PAGE_URL)
    config.add_view(
        hello_page, route_name="hello.page", connect_auth="jwt", connect_require_user=True
    )
    config.add_route("hello.api", PAGE_URL + "/api/projects")
    config.add_view(
        my_projects,
        route_name="hello.api",
        renderer="json",
        connect_auth="context",
        connect_require_user=True,
    )


def hello_page(request: Request) -> Response:
    """The page Jira frames: it carries a context token for its own XHRs."""
    myself = request.jira.get("/rest/api/3/myself")
    token = request.ack_context_token()
    body = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Hello</title></head>"
        f"<body><h1>Hello, {escape(myself['displayName'])}</h1>"
        f"<p data-token='{escape(token)}'>Your projects load from {PAGE_URL}/api/projects.</p>"
        "</body></html>"
    )
    return Response(body, content_type="text/html")


def my_projects(request: Request) -> dict[str, Any]:
    """The projects the viewer may browse, as Jira tells the app acting as that user."""
    page = request.jira.get("/rest/api/3/project/search")
    return {"projects": sorted(project["key"] for project in page["values"])}
