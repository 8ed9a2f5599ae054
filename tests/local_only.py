"""No production data in tests: every database the suite may touch must be on this machine.

The variables that name databases (``ACK_TEST_*_URL`` and ``ACK_DATABASE_URL``) are checked once,
before any test runs; a URL naming another host stops the whole run, so a mistyped or leftover
variable can never point the suite at a real site's data.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def database_variables(environ: Mapping[str, str]) -> dict[str, str]:
    """The variables naming a database: ``ACK_DATABASE_URL`` and ``ACK_TEST_*_URL``."""
    return {
        name: value
        for name, value in environ.items()
        if value
        and (name == "ACK_DATABASE_URL" or (name.startswith("ACK_TEST_") and name.endswith("_URL")))
    }


def non_local_reason(url: str) -> str | None:
    """Why ``url`` is not a local database (a remote host), or ``None`` when it is local."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "is not a database URL"
    socket_hosts = parsed.query.get("host", ())
    hosts = [parsed.host, *([socket_hosts] if isinstance(socket_hosts, str) else socket_hosts)]
    for host in hosts:
        # A path is a unix socket on this machine.
        if host and not host.startswith("/") and host.lower() not in LOCAL_HOSTS:
            return f"names host {host!r}"
    if "odbc_connect" in parsed.query:
        return "hides its host in odbc_connect; name the server in the URL instead"
    return None


def refusal(environ: Mapping[str, str]) -> str | None:
    """The reason to refuse the run, naming the variable (never its password), or ``None``."""
    for name, value in sorted(database_variables(environ).items()):
        reason = non_local_reason(value)
        if reason is not None:
            return (
                f"refusing to run the tests: {name} {reason}, which is not local "
                "(use localhost, 127.0.0.1, ::1 or a unix socket)"
            )
    return None
