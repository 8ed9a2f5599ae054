"""The Alembic environment that runs plugins' migrations."""
