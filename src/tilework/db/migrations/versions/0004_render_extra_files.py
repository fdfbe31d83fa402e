"""renders.extra_keys: more files published with a render (captions SRT/VTT), by output field

Revision ID: 0004_render_extra_files
Revises: 0003_webhook_secret_settings
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_render_extra_files"
down_revision: str | None = "0003_webhook_secret_settings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("renders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("extra_keys", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("renders", schema=None) as batch_op:
        batch_op.drop_column("extra_keys")
