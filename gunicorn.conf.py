"""gunicorn settings for serving the app in production.

Run from the folder holding production.ini (the ini's logging sections are applied too):

    gunicorn -c gunicorn.conf.py --paste production.ini

Every value can be set from the environment, so a container or Azure App Service needs no edit:

- ``PORT`` (default 8000): listen on ``0.0.0.0:$PORT``; ``GUNICORN_BIND`` overrides the whole
  address (``127.0.0.1:8080``, ``unix:/run/ack.sock``).
- ``WEB_CONCURRENCY`` (default: the number of CPUs): worker processes. Each is a full copy of the
  app with its own tenant cache and connection pool (see docs/deployment.md).
- ``GUNICORN_THREADS`` (default 8): threads per worker. Requests spend most of their time waiting
  for Jira, so threads keep a worker busy while a report waits; a slow Jira never blocks the
  worker's other requests until all its threads wait.
- ``GUNICORN_TIMEOUT`` (default 120): seconds a worker may stay silent before it is restarted.
  With gthread workers the heartbeat comes from the worker's main loop, not from the request, so
  a slow request does not count against it; keep it above ``ack.host.timeout_seconds``.
- ``FORWARDED_ALLOW_IPS`` (read by gunicorn itself; default ``127.0.0.1,::1``): the proxies whose
  ``X-Forwarded-Proto`` is trusted. The app refuses plain http outside dev mode, so behind a
  TLS-terminating front end set it to that front end's address, or ``*`` where nothing else can
  reach the app (Azure App Service, a container behind its ingress).
- ``GUNICORN_ACCESS_LOG``: a path, or ``-`` for stderr, to write an access log; unset (default)
  writes none, as the front end (App Service, nginx, the ingress) already logs each request.
"""

from __future__ import annotations

import os

from gunicorn.glogging import Logger


def _positive_int(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    value = int(text)
    if value < 1:
        raise ValueError(f"{name} must be a positive whole number, not {text!r}")
    return value


bind = [os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{_positive_int('PORT', 8000)}"]
worker_class = "gthread"
workers = _positive_int("WEB_CONCURRENCY", os.cpu_count() or 1)
threads = _positive_int("GUNICORN_THREADS", 8)
timeout = _positive_int("GUNICORN_TIMEOUT", 120)
# Requests in flight get this long to finish on a restart or deploy.
graceful_timeout = 30
# Idle keep-alive connections are kept longer than a load balancer's usual idle timeout (60 s):
# closing first would make the balancer send a request down a connection being closed (a 502).
keepalive = 75
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None


class AccessLogWhenAsked(Logger):
    """gunicorn's logger, writing access lines only when ``accesslog`` names a destination.

    Served with ``--paste``, gunicorn takes the ini's logging sections and then formats an access
    line for every request even when no logger keeps it: a tenth of a small request's time.
    """

    def access(self, resp: object, req: object, environ: object, request_time: object) -> None:
        """Write the access line only when an access log is configured."""
        if self.cfg.accesslog:
            super().access(resp, req, environ, request_time)


logger_class = AccessLogWhenAsked
# Each worker builds the app itself (no preload): a database engine or pool created before the
# fork would be shared by every worker's connections.
preload_app = False
