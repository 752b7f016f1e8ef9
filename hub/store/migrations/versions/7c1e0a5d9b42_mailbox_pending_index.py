"""index of unacknowledged mailbox rows (per-member depth for metrics)

Revision ID: 7c1e0a5d9b42
Revises: 3f9161ace4b4
Create Date: 2026-12-07 13:35:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "7c1e0a5d9b42"
down_revision = "3f9161ace4b4"
branch_labels = None
depends_on = None

PENDING = sa.text("acknowledged_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_mailbox_pending",
        "mailbox",
        ["recipient"],
        unique=False,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_mailbox_pending", table_name="mailbox")
