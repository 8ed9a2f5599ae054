"""Column values as database-independent JSON, and back, so backups move between backends.

Each column gets a *kind* from its SQL type. On the way out a value becomes plain JSON: times as
ISO 8601 UTC, booleans as booleans even where the backend stores 0/1, decimals as text, bytes as
base64. On the way in the *target* column's kind decides the Python value, so a MariaDB backup
(booleans read back as integers) restores into PostgreSQL's boolean columns, and a timestamp
becomes a naive UTC wall-clock time wherever the target column keeps no offset (the kit's rule
for SQLite and MariaDB, see ``storage.db.UTCDateTime``).
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import uuid
from typing import Any

from sqlalchemy import types
from sqlalchemy.types import TypeDecorator, TypeEngine

from atlassian_connect_kit.backup.fileformat import JSONValue

KINDS = ("bool", "int", "float", "decimal", "datetime", "date", "time", "bytes", "json", "text")
"""Every kind a backed-up column can have."""

# Backends whose timestamp-with-time-zone columns keep the offset; elsewhere a timestamp is a
# bare wall-clock time, which the kit always writes in UTC.
_DIALECTS_STORING_OFFSETS = frozenset({"postgresql", "mssql"})


def column_kind(sql_type: TypeEngine[Any]) -> str:
    """Return the kind of a column from its SQL type (declared or reflected)."""
    if isinstance(sql_type, TypeDecorator):
        return column_kind(sql_type.impl_instance)
    checks: tuple[tuple[type[TypeEngine[Any]], str], ...] = (
        (types.Boolean, "bool"),
        (types.Integer, "int"),
        (types.Float, "float"),
        (types.Numeric, "decimal"),
        (types.DateTime, "datetime"),
        (types.Date, "date"),
        (types.Time, "time"),
        (types.LargeBinary, "bytes"),
        (types.BINARY, "bytes"),
        (types.VARBINARY, "bytes"),
        (types.JSON, "json"),
    )
    for sql_class, kind in checks:
        if isinstance(sql_type, sql_class):
            return kind
    return "text"


def sql_type_for(kind: str) -> TypeEngine[Any]:
    """Return a portable SQL type for a kind, for tables re-created from a backup alone."""
    mapping: dict[str, TypeEngine[Any]] = {
        "bool": types.Boolean(),
        "int": types.BigInteger(),
        "float": types.Float(),
        "decimal": types.Numeric(38, 10),
        "datetime": types.DateTime(timezone=True),
        "date": types.Date(),
        "time": types.Time(),
        "bytes": types.LargeBinary(),
        "json": types.JSON(),
        "text": types.Text(),
    }
    return mapping.get(kind, types.Text())


def encode_value(value: Any, kind: str) -> JSONValue:
    """Turn a value read from the database into JSON for a column of ``kind``."""
    if value is None:
        return None
    if kind == "datetime":
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        # A timestamp without an offset is UTC wall-clock time: the kit writes no other kind.
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if kind in ("date", "time"):
        if not isinstance(value, dt.date | dt.time):
            raise TypeError(f"expected a {kind}, got {type(value).__name__}")
        return value.isoformat()
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "decimal":
        return str(value)
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "json":
        return value  # type: ignore[no-any-return]
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def decode_value(value: JSONValue, sql_type: TypeEngine[Any], dialect_name: str) -> Any:
    """Turn a backup's JSON value into what a target column of ``sql_type`` accepts."""
    if value is None:
        return None
    kind = column_kind(sql_type)
    if kind == "datetime":
        moment = dt.datetime.fromisoformat(str(value))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        moment = moment.astimezone(dt.UTC)
        if isinstance(sql_type, TypeDecorator):
            return moment  # the column's own type converts it for its backend
        keeps_offset = bool(getattr(sql_type, "timezone", False))
        if keeps_offset and dialect_name in _DIALECTS_STORING_OFFSETS:
            return moment
        return moment.replace(tzinfo=None)
    if kind == "date":
        return dt.date.fromisoformat(str(value))
    if kind == "time":
        return dt.time.fromisoformat(str(value))
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value)  # type: ignore[arg-type]
    if kind == "float":
        return float(value)  # type: ignore[arg-type]
    if kind == "decimal":
        return decimal.Decimal(str(value))
    if kind == "bytes":
        return base64.b64decode(str(value), validate=True)
    if kind == "json":
        return value
    return value if isinstance(value, str) else str(value)
