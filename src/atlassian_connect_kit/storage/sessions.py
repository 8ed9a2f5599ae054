"""SQLAlchemy sessions on the kit's database, for plugins that keep tables of their own.

``request.ack_session`` is a session bound to the kit's engine for the duration of one request:
it is committed when the view returns a response (before the response leaves, so a failed commit
is a failed request, not a silent loss) and rolled back when the view raised or answered an
error (status 400 and above). Outside a request (``ack`` commands, ``ack_tenant_uninstalled``
called by a purge), :func:`session_factory` gives a ``sessionmaker`` on the same engine.

Database outages inside a session surface as
:class:`~atlassian_connect_kit.storage.db.DatabaseUnavailable` (answered 503) when the plugin
wraps its work in :func:`~atlassian_connect_kit.storage.db.unavailability_as_error`; the commit
here is wrapped already.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from atlassian_connect_kit.services import find_service
from atlassian_connect_kit.storage.db import unavailability_as_error

if TYPE_CHECKING:
    from pyramid.config import Configurator
    from pyramid.request import Request
    from pyramid.response import Response


def session_factory(source: Any) -> sessionmaker[Session]:
    """Return the ``sessionmaker`` bound to the kit's engine of the app ``source`` (a request, a
    configurator or a registry) belongs to: a service registered under ``sessionmaker``."""
    factory: sessionmaker[Session] = find_service(source, sessionmaker)
    return factory


def request_session(request: Request) -> Session:
    """The request's session (``request.ack_session``): committed with the response."""
    session = session_factory(request)()

    def commit_or_roll_back(request: Request, response: Response) -> None:
        if request.exception is not None or response.status_int >= 400:
            session.rollback()
            return
        with unavailability_as_error():
            session.commit()

    def close(request: Request) -> None:
        session.close()  # rolls back whatever was not committed

    request.add_response_callback(commit_or_roll_back)
    request.add_finished_callback(close)
    return session


def includeme(config: Configurator) -> None:
    """Offer ``request.ack_session`` and :func:`session_factory` on the kit's engine."""
    engine = find_service(config, Engine)
    # expire_on_commit=False: objects stay readable after the commit that ends the request.
    config.register_service(sessionmaker(engine, expire_on_commit=False), sessionmaker)
    # request.ack_session itself is a member of the kit's request class (KitRequest), not a
    # request method added here: Pyramid would build a new request class for every request.
