"""envelopes: the header's review_or_delete_at, indexed for the retention purge

Revision ID: 20ccc40f73d5
Revises: 7c1e0a5d9b42
Create Date: 2026-12-07 13:26:42.450143
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20ccc40f73d5"
down_revision = "7c1e0a5d9b42"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("envelopes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delete_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_envelopes_delete_at"), ["delete_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("envelopes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_envelopes_delete_at"))
        batch_op.drop_column("delete_at")
