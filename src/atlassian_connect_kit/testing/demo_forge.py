"""The demo host plays Forge: it shows the add-on's Forge pages and answers their bridge.

An add-on's Forge UI modules (``jira:globalPage``, ``jira:projectPage`` and
``jira:dashboardGadget`` with a Custom UI resource) are listed beside its Connect pages. The
host serves each resource folder as Forge's CDN does, with a stand-in for the script Forge
injects into a Custom UI page (``static/demo/forge-bridge.js``, which defines
``window.__bridge`` the way the stand-in all.js defines ``AP``), under a content security policy
like Forge's (no inline script or style). The page's ``@forge/bridge`` then asks the host page,
which asks this server:

- ``/api/forge/context``: what ``view.getContext()`` answers (site, cloud id, viewer's locale and
  time zone, the module, the project of a project page);
- ``/api/forge/invoke``: an ``invokeRemote`` call. Like Forge, the server calls the app's remote
  with a fresh Forge Invocation Token (principal: the viewer) and the app tokens the endpoint
  asks for, minted with the fake site's keys, and hands back the answer as JSON;
- ``/api/forge/submit``: a dashboard gadget's edit view submitting its configuration
  (``view.submit``). Like Jira, the host keeps it (in memory, per viewer's dashboard) and hands
  it back as ``extension.gadgetConfiguration``; ``?entry=edit`` on the context asks for the edit
  view (``extension.entryPoint``), as the gadget's "Configure" does.
"""

from __future__ import annotations

import mimetypes
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound
from pyramid.response import Response

from atlassian_connect_kit.manifest import REMOTE_ENDPOINT_KEY, REMOTE_KEY

if TYPE_CHECKING:
    from pyramid.config import Configurator
    from pyramid.request import Request

    from atlassian_connect_kit.testing.fakejira import FakeJira, ForgeInstallation

PAGE_TYPES = {"jira:globalPage": False, "jira:projectPage": True, "jira:dashboardGadget": False}
"""The Forge UI modules the demo shows, and whether each is a project page."""

GADGET_TYPE = "jira:dashboardGadget"

STAND_IN_BRIDGE = "/static/demo/forge-bridge.js"
"""The host's stand-in for the script Forge injects into every Custom UI page."""

# Forge serves Custom UI under a policy without 'unsafe-inline'; so does the demo.
CUSTOM_UI_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'"
)
INVOKE_TIMEOUT = 25.0
"""Seconds Forge waits for a remote's answer to a UI module's call."""


@dataclass(frozen=True)
class ForgePage:
    """A Forge page module of the add-on, as the host lists and serves it."""

    key: str
    title: str
    module_type: str
    resource_dir: Path

    @property
    def project_page(self) -> bool:
        """Whether Jira shows it in a project (it then knows the project)."""
        return PAGE_TYPES[self.module_type]

    @property
    def gadget(self) -> bool:
        """Whether it is a dashboard gadget (shown on the viewer's dashboard)."""
        return self.module_type == GADGET_TYPE


def forge_pages(manifest: Mapping[str, Any]) -> list[ForgePage]:
    """The manifest's page modules that render a Custom UI resource found on this machine."""
    folders = {
        str(item["key"]): Path(str(item["path"])) for item in manifest.get("resources") or []
    }
    pages = []
    for module_type in PAGE_TYPES:
        for module in (manifest.get("modules") or {}).get(module_type) or []:
            folder = folders.get(str(module.get("resource")))
            if folder is not None and (folder / "index.html").is_file():
                title = module.get("title")
                pages.append(
                    ForgePage(
                        key=str(module["key"]),
                        title=str(title if isinstance(title, str) else module["key"]),
                        module_type=module_type,
                        resource_dir=folder,
                    )
                )
    return pages


class ForgeHost:
    """The Forge side of the demo host: Custom UI files, the bridge's context and invocations."""

    def __init__(
        self, site: FakeJira, installation: ForgeInstallation, manifest: Mapping[str, Any]
    ) -> None:
        self.site = site
        self.installation = installation
        self.pages = forge_pages(manifest)
        remotes = {str(r["key"]): str(r["baseUrl"]) for r in manifest.get("remotes") or []}
        self.remote_url = installation.app.remotes.get(REMOTE_KEY) or remotes[REMOTE_KEY]
        # Gadget configurations as Jira keeps them: {(accountId, module key): configuration}.
        self._gadgets: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def page(self, key: str) -> ForgePage:
        """The page module ``key``; 400 when there is none."""
        for page in self.pages:
            if page.key == key:
                return page
        raise HTTPBadRequest(json_body={"error": "unknown Forge module"})

    def _viewer(self, account_id: str) -> Any:
        user = self.site.data.user(account_id)
        if user is None or not user.active:
            raise HTTPBadRequest(json_body={"error": "unknown user"})
        return user

    def _extension(
        self, page: ForgePage, project_key: str, account_id: str = "", entry: str = ""
    ) -> dict[str, Any]:
        extension: dict[str, Any] = {"type": page.module_type}
        if page.gadget:
            with self._lock:
                configuration = dict(self._gadgets.get((account_id, page.key), {}))
            extension["gadgetConfiguration"] = configuration
            extension["entryPoint"] = "edit" if entry == "edit" else "view"
            extension["dashboard"] = {"id": "10000"}
            extension["gadget"] = {"id": f"{page.key}-{account_id}"}
        if page.project_page:
            project = self.site.data.project(project_key)
            if project is None:
                raise HTTPBadRequest(json_body={"error": "unknown project"})
            extension["project"] = {"id": project.id, "key": project.key, "type": "software"}
        return extension

    def context(self, request: Request) -> dict[str, Any]:
        """``view.getContext()`` for a module, viewer and project (``?module=&user=&project=``)."""
        page = self.page(request.params.get("module", ""))
        user = self._viewer(request.params.get("user", ""))
        return {
            "accountId": user.account_id,
            "cloudId": self.installation.cloud_id,
            "siteUrl": self.installation.site_url.rstrip("/"),
            "locale": user.locale.replace("_", "-"),
            "timezone": user.time_zone or self.site.data.time_zone,
            "moduleKey": page.key,
            "localId": f"{self.installation.app.app_id}/{page.key}",
            "extension": self._extension(
                page,
                request.params.get("project", ""),
                user.account_id,
                request.params.get("entry", ""),
            ),
        }

    def submit(self, request: Request) -> bool:
        """``view.submit`` of a gadget's edit view: ``{module, user, payload}`` in JSON; the
        payload becomes the gadget's configuration, as Jira keeps it."""
        try:
            call = request.json_body
        except ValueError:
            raise HTTPBadRequest(json_body={"error": "the call is not JSON"}) from None
        if not isinstance(call, dict) or not isinstance(call.get("payload"), dict):
            raise HTTPBadRequest(json_body={"error": "submit a JSON object"})
        page = self.page(str(call.get("module", "")))
        if not page.gadget:
            raise HTTPBadRequest(json_body={"error": "this resource's view is not submittable"})
        user = self._viewer(str(call.get("user", "")))
        with self._lock:
            self._gadgets[(user.account_id, page.key)] = dict(call["payload"])
        return True

    def invoke(self, request: Request) -> dict[str, Any]:
        """An ``invokeRemote`` call: ``{module, user, project, path, method, body}`` in JSON.

        Answers ``{status, headers, body}``: the remote's status, its ``content-type`` and
        ``retry-after``, and its JSON body (Forge passes JSON only; anything else is an error).
        """
        try:
            call = request.json_body
        except ValueError:
            raise HTTPBadRequest(json_body={"error": "the call is not JSON"}) from None
        if not isinstance(call, dict):
            raise HTTPBadRequest(json_body={"error": "the call is not a JSON object"})
        page = self.page(str(call.get("module", "")))
        user = self._viewer(str(call.get("user", "")))
        path = call.get("path")
        method = str(call.get("method", "GET")).upper()
        if not isinstance(path, str) or not path.startswith("/") or path.startswith("//"):
            raise HTTPBadRequest(json_body={"error": "path must start with one /"})
        if method not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            raise HTTPBadRequest(json_body={"error": "unsupported method"})
        context = {
            "cloudId": self.installation.cloud_id,
            "siteUrl": self.installation.site_url,
            "moduleKey": page.key,
            "localId": str(uuid.uuid4()),
            "extension": self._extension(page, str(call.get("project", ""))),
        }
        headers = self.site.forge_invocation_headers(
            self.installation,
            REMOTE_ENDPOINT_KEY,
            account_id=user.account_id,
            module_key=page.key,
            module_type=page.module_type,
            context=context,
        )
        body = call.get("body")
        answer = requests.request(
            method,
            self.remote_url.rstrip("/") + path,
            headers=headers,
            json=body if body is not None and method != "GET" else None,
            timeout=INVOKE_TIMEOUT,
            allow_redirects=False,  # Forge treats a redirect as an error
        )
        kept = {
            name: answer.headers[name]
            for name in ("content-type", "retry-after")
            if name in answer.headers
        }
        try:
            parsed = answer.json()
        except ValueError:
            parsed = None
        if parsed is None and answer.content:
            return {"status": 502, "headers": {}, "body": {"error": "the remote answered no JSON"}}
        return {"status": answer.status_code, "headers": kept, "body": parsed}

    def resource(self, request: Request) -> Response:
        """A file of a page's Custom UI folder; ``index.html`` gets the stand-in bridge first."""
        page = self.page(request.matchdict["module"])
        names = [part for part in request.matchdict["subpath"] if part not in ("", ".", "..")]
        path = page.resource_dir.joinpath(*names) if names else page.resource_dir / "index.html"
        if not path.resolve().is_relative_to(page.resource_dir.resolve()) or not path.is_file():
            raise HTTPNotFound(json_body={"error": "no such file"})
        if path.name == "index.html":
            html = path.read_text(encoding="utf-8")
            script = f'<script src="{STAND_IN_BRIDGE}"></script>'
            response = Response(
                body=html.replace("<head>", f"<head>\n  {script}", 1).encode("utf-8"),
                content_type="text/html",
                charset="utf-8",
            )
        else:
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            response = Response(body=path.read_bytes(), content_type=content_type)
        response.headers["Content-Security-Policy"] = CUSTOM_UI_POLICY
        response.cache_control.no_store = True
        return response

    def include(self, config: Configurator) -> None:
        """Add the routes: the pages' files and the bridge's two calls."""
        config.add_route("forge_context", "/api/forge/context")
        config.add_view(self.context, route_name="forge_context", renderer="json")
        config.add_route("forge_invoke", "/api/forge/invoke", request_method="POST")
        config.add_view(self.invoke, route_name="forge_invoke", renderer="json")
        config.add_route("forge_submit", "/api/forge/submit", request_method="POST")
        config.add_view(self.submit, route_name="forge_submit", renderer="json")
        config.add_route("forge_resource", "/forge/{module}/*subpath")
        config.add_view(self.resource, route_name="forge_resource")
