"""billing_accounts: running ``balance`` and ``reserved`` totals, backfilled from the ledger

A reservation used to sum the organization's whole ledger; now ``ledger.append`` keeps these two
columns equal to the sums in the transaction that writes each row.

Revision ID: 0010_running_balance
Revises: 0009_api_keys
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_running_balance"
down_revision: str | None = "0009_api_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("billing_accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("balance", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("reserved", sa.BigInteger(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE billing_accounts SET"
        " balance = (SELECT COALESCE(SUM(l.amount), 0) FROM credit_ledger l"
        " WHERE l.organization_id = billing_accounts.organization_id),"
        " reserved = (SELECT -COALESCE(SUM(l.amount), 0) FROM credit_ledger l"
        " WHERE l.organization_id = billing_accounts.organization_id"
        " AND l.kind IN ('reservation', 'release'))"
    )
    # The server defaults only filled the existing rows; the model supplies the values from now on.
    with op.batch_alter_table("billing_accounts", schema=None) as batch_op:
        batch_op.alter_column("balance", server_default=None)
        batch_op.alter_column("reserved", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("billing_accounts", schema=None) as batch_op:
        batch_op.drop_column("reserved")
        batch_op.drop_column("balance")
