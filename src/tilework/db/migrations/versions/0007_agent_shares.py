"""agent shares: public, read-only links to an agent and one finished run's outputs

Revision ID: 0007_agent_shares
Revises: 0006_triggers
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_agent_shares"
down_revision: str | None = "0006_triggers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agent_shares",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("agent_id", sa.String(length=36), nullable=False),
        sa.Column("source_agent_id", sa.String(length=36), nullable=True),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"]),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
    )
    with op.batch_alter_table("agent_shares", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agent_shares_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_agent_shares_organization_id"), ["organization_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("agent_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_shares_organization_id"))
        batch_op.drop_index(batch_op.f("ix_agent_shares_agent_id"))
    op.drop_table("agent_shares")
