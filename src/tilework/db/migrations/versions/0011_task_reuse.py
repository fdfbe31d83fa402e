"""tasks.reuse_key and tasks.reused_from: node-level reuse of an earlier task's result

Revision ID: 0011_task_reuse
Revises: 0010_running_balance
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_task_reuse"
down_revision: str | None = "0010_running_balance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reuse_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("reused_from", sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f("ix_tasks_reuse_key"), ["reuse_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tasks_reuse_key"))
        batch_op.drop_column("reused_from")
        batch_op.drop_column("reuse_key")
