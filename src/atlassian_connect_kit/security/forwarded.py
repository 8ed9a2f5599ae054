"""The scheme a trusted reverse proxy reports, for WSGI servers that do not apply it themselves.

Behind a TLS-terminating front end (Azure App Service, nginx, an ingress) the app sees plain
http, and the front end says what the client used in ``X-Forwarded-Proto``. waitress
(``trusted_proxy``) and gunicorn (``forwarded_allow_ips``) apply that header for trusted peers
before the app runs; servers without such an option (granian) leave it to the app. With
``ack.forwarded_allow_ips`` set, the kit does it, as those servers do with one trusted hop:

- from a trusted peer (``REMOTE_ADDR`` in the list, or the list is ``*``), the header's last
  value, when it is ``http`` or ``https``, becomes ``wsgi.url_scheme``; any other value is
  ignored, so the request keeps the scheme it arrived with (and plain http is refused);
- from any other peer the header is removed, so nothing later mistakes it for the proxy's word.

Empty (the default), the kit leaves the scheme to the server.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, MutableMapping
from typing import Any

HEADER = "HTTP_X_FORWARDED_PROTO"
SCHEMES = frozenset({"http", "https"})

MAX_REMEMBERED_PEERS = 1024
"""How many peer addresses keep their verdict before the memory of them starts over."""

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ForwardedProto:
    """Applies ``X-Forwarded-Proto`` from the peers it trusts to a WSGI environ."""

    def __init__(self, allowed: Iterable[str]) -> None:
        peers = tuple(allowed)
        self.trusts_everyone = "*" in peers
        self.networks: tuple[_Network, ...] = tuple(
            ipaddress.ip_network(peer, strict=False) for peer in peers if peer != "*"
        )
        self.enabled = self.trusts_everyone or bool(self.networks)
        # Every request asks about one of the few addresses of the front end: parsing the
        # address each time would cost more than the rest of this check.
        self._verdicts: dict[str, bool] = {}

    def trusts(self, peer: str | None) -> bool:
        """Whether ``peer`` (a ``REMOTE_ADDR``) is one of the trusted proxies."""
        if self.trusts_everyone:
            return True
        if not peer:
            return False
        verdict = self._verdicts.get(peer)
        if verdict is None:
            if len(self._verdicts) >= MAX_REMEMBERED_PEERS:
                self._verdicts.clear()  # peers that are not a front end: start over
            verdict = self._verdicts[peer] = self._in_networks(peer)
        return verdict

    def _in_networks(self, peer: str) -> bool:
        try:
            address = ipaddress.ip_address(peer.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)

    def apply(self, environ: MutableMapping[str, Any]) -> None:
        """Set ``wsgi.url_scheme`` from a trusted proxy's header; drop an untrusted one."""
        header = environ.get(HEADER)
        if header is None or not self.enabled:
            return
        if not self.trusts(environ.get("REMOTE_ADDR")):
            del environ[HEADER]
            return
        # Each proxy on the way appends its own value: the last one is the trusted hop's.
        scheme = str(header).rsplit(",", 1)[-1].strip().lower()
        if scheme in SCHEMES:
            environ["wsgi.url_scheme"] = scheme
