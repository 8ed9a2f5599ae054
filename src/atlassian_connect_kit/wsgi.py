"""The app as a WSGI callable built from an ini file, for servers that import an application.

gunicorn (``--paste``) and waitress (``pserve``) read the ini themselves. A server that imports a
callable by name, such as granian, calls :func:`app_from_ini` as a factory::

    ACK_INI=production.ini granian --interface wsgi --factory \\
        atlassian_connect_kit.wsgi:app_from_ini

The ini's ``[app:main]`` builds the app and its logging sections are applied, as ``pserve`` does.
Such servers do not apply ``X-Forwarded-Proto`` from a TLS-terminating proxy: set
``ack.forwarded_allow_ips`` so the app does (docs/deployment.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pyramid.paster import get_app, setup_logging

INI_VARIABLE = "ACK_INI"
"""The environment variable naming the ini file (default ``production.ini``)."""


def app_from_ini(path: str | None = None) -> Any:
    """The WSGI application of the ini ``path`` (default: ``$ACK_INI`` or ``production.ini``).

    A relative path is taken from the working directory. Raises :class:`SystemExit` with one
    line naming the file when it does not exist.
    """
    ini = Path(path or os.environ.get(INI_VARIABLE) or "production.ini").resolve()
    if not ini.is_file():
        raise SystemExit(f"ack: {ini}: no such ini file (set {INI_VARIABLE} to the app's ini)")
    setup_logging(str(ini))
    return get_app(str(ini))
