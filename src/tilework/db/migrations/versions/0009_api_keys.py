"""api_keys: a name and scopes per key (several keys per organization, each with its powers)

Existing keys keep full access (``scopes`` NULL), as Mosaic's pre-existing keys do.

Revision ID: 0009_api_keys
Revises: 0008_web_sessions
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_api_keys"
down_revision: str | None = "0008_web_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name", sa.String(length=100), nullable=False, server_default="default")
        )
        batch_op.add_column(sa.Column("scopes", sa.JSON(), nullable=True))
    # The server default only filled the existing rows; the model supplies the name from now on.
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.alter_column("name", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("scopes")
        batch_op.drop_column("name")
