"""webhook secret settings (rotation overlap, plaintext header switch) and the outbox heads index

Revision ID: 0003_webhook_secret_settings
Revises: 0002_webhook_attempts
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_webhook_secret_settings"
down_revision: str | None = "0002_webhook_attempts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhook_previous_secret", sa.String(200), nullable=True))
        batch_op.add_column(
            sa.Column("webhook_previous_secret_until", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "webhook_plaintext_header", sa.Boolean(), nullable=False, server_default=sa.true()
            )
        )
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_events_heads", ["delivery_status", "run_id", "seq"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_events_heads")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("webhook_plaintext_header")
        batch_op.drop_column("webhook_previous_secret_until")
        batch_op.drop_column("webhook_previous_secret")
