"""The application the HTTP benchmarks serve: the kit's core plus two trivial routes.

``GET /bench/public`` and ``GET /bench/protected`` answer the same short text; the second one
declares ``connect_auth="jwt"``, so the difference between them is what authentication costs.
They mirror the ``/public`` and ``/timesheet`` routes of the atlassian-connect-express harness.
``GET /bench/api`` stands for a page's XHR: a context-token route answering who is asking.
``GET /bench/fixed-identity`` is a third ``connect_auth="jwt"`` route whose requests an
``ack_authenticate`` implementation of this app answers first with one fixed identity, without
reading any token: what the kit's authentication costs apart from the token itself (the view
deriver, the security policy, the hook dispatch and the no-store header), the most any token
verification could let the protected route reach. Being first, that implementation also sees
every other authenticated request, for one environ lookup: in-process, a protected request cost
38-39 µs with it and without it alike.

``main`` is a PasteDeploy app factory (``use = call:bench_app:main``, with this folder on
``PYTHONPATH``), so the benchmark serves it with the same servers and ini files as production.
"""

from __future__ import annotations

from typing import Any

from pyramid.request import Request
from pyramid.response import Response

from atlassian_connect_kit import hookimpl
from atlassian_connect_kit.auth.identity import Identity
from atlassian_connect_kit.config import make_app

PUBLIC_PATH = "/bench/public"
PROTECTED_PATH = "/bench/protected"
API_PATH = "/bench/api"
FIXED_IDENTITY_PATH = "/bench/fixed-identity"


class BenchAddon:
    """Two identical endpoints, one public and one protected by a Connect JWT."""

    __name__ = "bench_addon"

    @hookimpl
    def ack_configure(self, config: Any, settings: Any) -> None:
        def ok(request: Request) -> Response:
            return Response(b"ok", content_type="text/plain")

        config.add_route("bench.public", PUBLIC_PATH)
        config.add_view(ok, route_name="bench.public", connect_auth="public")
        config.add_route("bench.protected", PROTECTED_PATH)
        config.add_view(ok, route_name="bench.protected", connect_auth="jwt")

        def whoami(request: Request) -> dict[str, Any]:
            identity = request.identity
            return {"clientKey": identity.client_key, "accountId": identity.account_id}

        config.add_route("bench.api", API_PATH)
        config.add_view(whoami, route_name="bench.api", renderer="json", connect_auth="context")
        config.add_route("bench.fixed_identity", FIXED_IDENTITY_PATH)
        config.add_view(ok, route_name="bench.fixed_identity", connect_auth="jwt")

    @hookimpl(tryfirst=True)
    def ack_authenticate(self, request: Request, mode: str) -> Identity | None:
        """One fixed viewer for the fixed-identity route; every other request is left alone."""
        if request.environ.get("PATH_INFO") != FIXED_IDENTITY_PATH:
            return None
        return Identity(
            client_key="bench-fixed",
            account_id="557058:bench-fixed",
            base_url="https://bench-fixed.atlassian.net",
            context={},
            mode=mode,
        )


def main(global_config: dict[str, Any], **settings: Any) -> Any:
    """PasteDeploy app factory: the kit app with :class:`BenchAddon` registered."""
    return make_app(settings, global_config=global_config, extra_plugins=[BenchAddon()])
