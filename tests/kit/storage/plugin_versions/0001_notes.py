"""Create notes.

Revision ID: notes_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from atlassian_connect_kit.storage.db import UnicodeString

revision = "notes_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notes",
        sa.Column("client_key", UnicodeString(255), nullable=False),
        sa.Column("body", UnicodeString(500), nullable=False),
        sa.PrimaryKeyConstraint("client_key", name="pk_notes"),
    )


def downgrade():
    op.drop_table("notes")
