"""``ack demo``: the add-on installed into a fake Jira site, and a Jira-like host page to use it.

One process runs three HTTP servers on 127.0.0.1: the fake Jira Cloud site (synthetic data), the
add-on (dev mode, SQLite and a fresh key in a temporary directory) and the host page that lists
the add-on's pages and opens each in an iframe with a URL signed as Jira signs it. Dashboard
items (gadgets) open on the viewer's own dashboard, with a "Configure" button that triggers the
gadget's edit callback as Jira's gadget menu does. The add-on is
installed through the real signed lifecycle, exactly as Jira would install it, and through Forge
from the manifest ``ack manifest`` renders: its Forge pages are listed too and served as Forge
serves Custom UI (see :mod:`atlassian_connect_kit.testing.demo_forge`).
"""

from __future__ import annotations

import datetime as dt
import signal
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound
from pyramid.request import Request

from atlassian_connect_kit.plugins import installed_plugins
from atlassian_connect_kit.storage.crypto import generate_key_line
from atlassian_connect_kit.testing.demo_forge import ForgeHost
from atlassian_connect_kit.testing.fakejira import FakeJira, SiteData, generate_site
from atlassian_connect_kit.testing.fakejira.connect import InstalledApp
from atlassian_connect_kit.testing.server import AppServer, WSGIApp, serve_kit_app


@dataclass(frozen=True)
class PageLink:
    """A page module of the add-on, as the host lists it."""

    key: str
    name: str
    url: str


def page_links(descriptor: Mapping[str, Any], module_type: str) -> list[PageLink]:
    """The descriptor's modules of ``module_type`` as links for the host page."""
    links = []
    for module in (descriptor.get("modules") or {}).get(module_type) or []:
        name = module.get("name")
        label = name.get("value") if isinstance(name, Mapping) else str(name or module["key"])
        links.append(PageLink(key=module["key"], name=str(label), url=str(module.get("url", "/"))))
    return links


class DemoHost:
    """The Jira-like host page, its signing endpoints and the all.js stand-in."""

    def __init__(self, site: FakeJira, app: InstalledApp, forge: ForgeHost | None = None) -> None:
        self.site = site
        self.app = app
        self.forge = forge
        descriptor = app.descriptor
        self.general_pages = page_links(descriptor, "generalPages")
        self.project_pages = page_links(descriptor, "jiraProjectPages")
        self.dashboard_items = page_links(descriptor, "jiraDashboardItems")
        self.users = [user for user in site.data.users if user.active]
        # Each viewer's own dashboard, made on first visit with one of each of the add-on's
        # gadgets on it: {accountId: (dashboard id, {module key: item id})}.
        self._dashboards: dict[str, tuple[str, dict[str, str]]] = {}
        self._lock = threading.Lock()

    def _module(self, key: str) -> tuple[PageLink, str]:
        for kind, pages in (
            ("general", self.general_pages),
            ("project", self.project_pages),
            ("dashboard", self.dashboard_items),
        ):
            for page in pages:
                if page.key == key:
                    return page, kind
        raise HTTPBadRequest(json_body={"error": "unknown module"})

    def dashboard(self, account_id: str) -> tuple[str, dict[str, str]]:
        """The viewer's demo dashboard: its id and its items' ids by module key."""
        with self._lock:
            if account_id not in self._dashboards:
                dashboard_id = self.site.add_dashboard(account_id)
                items = {
                    item.key: self.site.add_dashboard_item(dashboard_id, item.key)
                    for item in self.dashboard_items
                }
                self._dashboards[account_id] = (dashboard_id, items)
            return self._dashboards[account_id]

    def _user(self, account_id: str) -> str:
        if any(user.account_id == account_id for user in self.users):
            return account_id
        raise HTTPBadRequest(json_body={"error": "unknown user"})

    def home(self, request: Request) -> dict[str, Any]:
        """The host page."""
        return {
            "site_name": "Demo Jira site",
            "site_time_zone": self.site.data.time_zone,
            "users": self.users,
            "projects": list(self.site.data.projects),
            "general_pages": self.general_pages,
            "project_pages": self.project_pages,
            "dashboard_items": self.dashboard_items,
            "forge_pages": self.forge.pages if self.forge is not None else [],
        }

    def sign(self, request: Request) -> dict[str, str]:
        """A freshly signed iframe URL for a module and viewer (``?module=&user=&project=``).

        ``ac.*`` parameters are the page's own state from the host's URL; as in Jira, they fill
        ``{ac.name}`` placeholders in the module's URL.
        """
        page, kind = self._module(request.params.get("module", ""))
        user = self._user(request.params.get("user", ""))
        url = page.url
        context: dict[str, str] = {
            name: value for name, value in request.params.items() if name.startswith("ac.")
        }
        if kind == "dashboard":
            # As on a Jira dashboard: the item's ids and its view fill the URL template.
            dashboard_id, items = self.dashboard(user)
            context["dashboard.id"] = dashboard_id
            context["dashboardItem.id"] = items[page.key]
            context["dashboardItem.key"] = page.key
            context["dashboardItem.viewType"] = "default"
        if kind == "project":
            project = request.params.get("project", "")
            if self.site.data.project(project) is None:
                raise HTTPBadRequest(json_body={"error": "unknown project"})
            url = url.replace("{project.key}", project)
            context["project.key"] = project
        return {"url": self.site.signed_url(self.app, url, account_id=user, context=context)}

    def issue(self, request: Request) -> dict[str, str]:
        """The issue a page navigated to (``?key=``), for the host's small issue view."""
        key = request.params.get("key", "")
        found = self.site.data.issue(key) if key else None
        if found is None:
            raise HTTPNotFound(json_body={"error": "unknown issue"})
        return {"key": found.key, "summary": found.summary}

    def context_token(self, request: Request) -> dict[str, str]:
        """A context token for the viewer, as ``AP.context.getToken`` returns it."""
        user = self._user(request.params.get("user", ""))
        return {"token": self.site.context_token(self.app, user)}

    def wsgi_app(self) -> WSGIApp:
        """The host's WSGI application."""
        with Configurator() as config:
            config.include("pyramid_chameleon")
            config.add_static_view("static", "atlassian_connect_kit:static", cache_max_age=0)
            config.add_route("home", "/")
            config.add_view(
                self.home,
                route_name="home",
                renderer="atlassian_connect_kit:templates/demo_host.pt",
            )
            config.add_route("sign", "/api/sign")
            config.add_view(self.sign, route_name="sign", renderer="json")
            config.add_route("issue", "/api/issue")
            config.add_view(self.issue, route_name="issue", renderer="json")
            config.add_route("context_token", "/api/context-token")
            config.add_view(self.context_token, route_name="context_token", renderer="json")
            if self.forge is not None:
                self.forge.include(config)
            config.add_route("all_js", "/atlassian-connect/all.js")
            config.add_view(
                _all_js,
                route_name="all_js",
                http_cache=0,
            )
        app: WSGIApp = config.make_wsgi_app()
        return app


def _all_js(request: Request) -> Any:
    from pyramid.response import FileResponse

    # The kit's static folder, one level up from this package.
    path = Path(__file__).parent.parent / "static" / "demo" / "all.js"
    return FileResponse(str(path), request=request, content_type="application/javascript")


def demo_site(seed: int, *, today: dt.date | None = None) -> SiteData:
    """Synthetic data for the demo: a dozen people, a few projects, the last 10 weeks of work."""
    today = today or dt.date.today()
    start = today - dt.timedelta(days=69)
    return generate_site(
        seed,
        users=12,
        projects=4,
        issues=160,
        worklogs=2400,
        start=start,
        days=70,
        heavy_issue_share=0.1,
    )


def busy_site(seed: int, *, today: dt.date | None = None, issues: int = 1111) -> SiteData:
    """A busier site than the demo's: a year of work (366 days to ``today``) on ``issues``
    issues, every one with worklogs, for measuring pages on big reports."""
    today = today or dt.date.today()
    return generate_site(
        seed,
        users=24,
        projects=6,
        issues=issues,
        worklogs=issues * 15,
        start=today - dt.timedelta(days=365),
        days=366,
    )


DEMO_IDENTITY: Mapping[str, str] = {
    "ack.app_key": "smart-timesheet-report",
    "ack.app_name": "Smart Timesheet Report",
    "ack.app_description": (
        "Worklogs as a timesheet grid: people, issues and projects against days, weeks, months."
    ),
    "ack.vendor_name": "Smart Timesheet",
    "ack.vendor_url": "https://smart-timesheet.example.com",
}
"""The demo's app identity: the Smart Timesheet's, as in development.ini (or the ini's own)."""


class Demo:
    """The running demo: fake site, add-on and host page; :meth:`stop` shuts all three down.

    ``site`` replaces the demo's synthetic data (:func:`demo_site` of ``seed``); ``host`` is
    the host page's side (its viewers' dashboards, for instance).
    """

    host: DemoHost

    def __init__(
        self,
        *,
        port: int = 0,
        seed: int = 1,
        plugins: Sequence[str] | None = None,
        extra_plugins: Sequence[object] = (),
        site: SiteData | None = None,
        identity: Mapping[str, str] | None = None,
    ) -> None:
        self._workdir = tempfile.TemporaryDirectory(prefix="ack-demo-")
        self.site = FakeJira(site if site is not None else demo_site(seed)).start()
        self.host_server: AppServer | None = None
        self.app_server: AppServer | None = None
        try:
            host = AppServer(lambda base_url: _placeholder_app, port=port)
            self.host_url = host.base_url
            chosen = tuple(installed_plugins()) if plugins is None else tuple(plugins)
            settings = {
                **(DEMO_IDENTITY if identity is None else identity),
                "ack.dev_mode": "true",
                "ack.plugins": " ".join(chosen),
                "ack.encryption_keys": generate_key_line(),
                "ack.install_keys_url": self.site.install_keys_url,
                "ack.oauth2_token_url": self.site.oauth2_token_url,
                "ack.oauth2_audience": self.site.oauth_audience,
                "ack.all_js_url": f"{self.host_url}/atlassian-connect/all.js",
                # Forge too: the fake site signs the invocation tokens the host page asks for.
                "ack.forge.app_id": DEMO_FORGE_APP_ID,
                "ack.forge.jwks_url": self.site.forge_jwks_url,
                # The host page frames the add-on's pages, as Jira's site does.
                "ack.security.frame_ancestors": self.host_url,
                "sqlalchemy.url": f"sqlite:///{Path(self._workdir.name) / 'ack.sqlite'}",
                "here": self._workdir.name,
            }
            self.app_server = serve_kit_app(settings, plugins=extra_plugins)
            self.installed = self.site.install(self.app_server.base_url)
            if not 200 <= self.installed.install_status < 300:
                raise RuntimeError(
                    f"the add-on refused the install ({self.installed.install_status})"
                )
            self.site.enable(self.installed)
            forge = _install_through_forge(self.site, settings, self.app_server, extra_plugins)
            self.host = DemoHost(self.site, self.installed, forge)
            host.replace_app(self.host.wsgi_app())
            self.host_server = host.start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop every server and remove the temporary directory."""
        for server in (self.host_server, self.app_server):
            if server is not None:
                server.stop()
        self.site.stop()
        self._workdir.cleanup()


DEMO_FORGE_APP_ID = "ari:cloud:ecosystem::app/de30de30-0000-4000-8000-00000000de30"
"""The Forge app id the demo's add-on is registered under (on the fake site only)."""


def _install_through_forge(
    site: FakeJira,
    settings: Mapping[str, Any],
    server: AppServer,
    extra_plugins: Sequence[object],
) -> ForgeHost | None:
    """Install the add-on through Forge as well, from the manifest ``ack manifest`` renders.

    Returns the host's Forge side, or ``None`` when the add-on has no Forge page to show.
    """
    from atlassian_connect_kit.manifest import ManifestError, build_manifest
    from atlassian_connect_kit.plugins import make_plugin_manager
    from atlassian_connect_kit.settings import load_settings
    from atlassian_connect_kit.testing.demo_forge import forge_pages

    raw = {**settings, "ack.base_url": server.base_url}
    loaded = load_settings(raw, here=str(raw.get("here")))
    try:
        manifest = build_manifest(
            loaded, make_plugin_manager(loaded.plugins, extra_plugins=extra_plugins)
        )
    except ManifestError:
        return None  # an add-on Forge cannot carry is still shown through Connect
    if not forge_pages(manifest):
        return None
    installation = site.forge_install(manifest, remote_base_url=server.base_url)
    return ForgeHost(site, installation, manifest)


def _placeholder_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


def run_demo(
    *,
    port: int,
    seed: int,
    plugins: Sequence[str] | None,
    identity: Mapping[str, str] | None = None,
) -> int:
    """Run the demo until Ctrl-C or SIGTERM; print the host page's URL.

    ``identity`` holds the ``ack.app_*``/``ack.vendor_*`` settings (default :data:`DEMO_IDENTITY`).
    """
    stopping = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    demo = Demo(port=port, seed=seed, plugins=plugins, identity=identity)
    try:
        print(f"Demo Jira site with the add-on installed: {demo.host_url}/", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        stopping.wait()
    finally:
        demo.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("Demo stopped.", flush=True)
    return 0
