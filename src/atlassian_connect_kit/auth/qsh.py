"""The query string hash (``qsh``) that binds an Atlassian Connect JWT to one request.

A Connect JWT carries ``qsh``: the SHA-256 of a canonical form of the request it was issued for,
``METHOD&PATH&QUERY``. Both sides must build exactly the same canonical form, so everything here
works on the request *as sent*: the raw path and the raw, still percent-encoded query string.
Decoding a query into a dictionary first loses what the hash depends on (``+`` versus ``%2B``,
repeated parameters), which is the classic way implementations drift apart.

Everything here is pure: strings in, strings out.
"""

from __future__ import annotations

import functools
import hashlib
import re
from urllib.parse import quote, unquote_to_bytes, urlsplit

_TOKEN_PARAMETER = b"jwt"
_UNRESERVED_BYTES = re.compile(rb"[A-Za-z0-9._~-]*")
_PLAIN_TEXT = re.compile(r"[A-Za-z0-9._~-]*")


def canonical_path(path: str, base_path: str = "") -> str:
    """Return the path part of the canonical request.

    ``path`` is the raw request path as it arrived (not percent-decoded). ``base_path`` is the path
    of the base URL the request is relative to (the app's baseUrl path for incoming requests, the
    product's baseUrl path such as ``/wiki`` for outgoing ones); it is removed when the path starts
    with it. The result always starts with ``/``, loses one trailing ``/`` unless it is just ``/``,
    and has ``&`` escaped as ``%26`` so it cannot be confused with the separators.
    """
    base = base_path.rstrip("/")
    if base and not base.startswith("/"):
        base = "/" + base
    if base and (path == base or path.startswith(base + "/")):
        path = path[len(base) :]
    if not path.startswith("/"):
        path = "/" + path
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path.replace("&", "%26")


def canonical_query(query: str) -> str:
    """Return the query part of the canonical request from the raw query string (without ``?``).

    The ``jwt`` parameter is left out. Names and values are decoded (``+`` and ``%20`` both mean a
    space, ``%2B`` is a literal plus) and encoded again with only the RFC 3986 unreserved
    characters left bare. Parameters are sorted by encoded name; the values of a repeated
    parameter are sorted, encoded and joined with ``,``. A parameter without a value gives
    ``name=``.
    """
    values_by_name: dict[bytes, list[bytes]] = {}
    for pair in query.split("&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition("=")
        name = _decode_component(raw_name)
        if name == _TOKEN_PARAMETER:
            continue
        values_by_name.setdefault(name, []).append(_decode_component(raw_value))
    encoded_parameters = sorted(
        (
            _encode_component(name),
            ",".join(_encode_component(value) for value in sorted(values, key=_value_order)),
        )
        for name, values in values_by_name.items()
    )
    return "&".join(f"{name}={values}" for name, values in encoded_parameters)


def canonical_request(method: str, path: str, query: str, base_path: str = "") -> str:
    """Return the canonical request ``METHOD&PATH&QUERY`` that a ``qsh`` claim hashes.

    ``path`` and ``query`` are the raw path and the raw query string (still percent-encoded,
    without ``?``) exactly as they appear in the request URL; ``base_path`` is stripped from the
    path (see :func:`canonical_path`).
    """
    return "&".join((method.upper(), canonical_path(path, base_path), canonical_query(query)))


@functools.lru_cache(maxsize=2048)
def query_string_hash(method: str, path: str, query: str, base_path: str = "") -> str:
    """Return the ``qsh`` of a request: lowercase hex SHA-256 of its canonical request.

    Memoized (a pure function of its arguments): a page's XHRs repeat the same requests.
    """
    canonical = canonical_request(method, path, query, base_path)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def qsh_for_url(method: str, url: str, base_url: str) -> str:
    """Return the ``qsh`` for a call to an absolute ``url`` under a product's ``base_url``.

    ``base_url`` is the tenant's baseUrl (for example ``https://example.atlassian.net/wiki``); its
    path is stripped from the URL's path, as the product expects for outgoing calls.
    """
    parts = urlsplit(url)
    return query_string_hash(method, parts.path, parts.query, urlsplit(base_url).path)


def _decode_component(component: str) -> bytes:
    # "+" must become a space before percent-decoding, so that "%2B" survives as a literal plus.
    # Decoding to bytes rather than text keeps malformed UTF-8 distinct instead of collapsing it
    # into replacement characters.
    if _PLAIN_TEXT.fullmatch(component):
        return component.encode("ascii")  # nothing to decode: the common case, kept cheap
    return unquote_to_bytes(component.replace("+", " "))


def _encode_component(component: bytes) -> str:
    # With nothing marked safe, quote() leaves exactly the RFC 3986 unreserved characters bare.
    if _UNRESERVED_BYTES.fullmatch(component):
        return component.decode("ascii")  # quote() would return it unchanged
    return quote(component, safe="")


def _value_order(value: bytes) -> tuple[bytes, bytes]:
    # Atlassian's reference implementation sorts the decoded values as Java strings, that is by
    # UTF-16 code units, which differs from code point order for characters beyond U+FFFF. The
    # raw bytes break ties between malformed sequences that decode alike.
    return value.decode("utf-8", errors="replace").encode("utf-16-be"), value
