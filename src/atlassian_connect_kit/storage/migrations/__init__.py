"""Alembic migrations of the kit's tables, shipped in the package; run them with ``db.upgrade``."""
