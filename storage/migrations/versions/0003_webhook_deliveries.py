"""webhook deliveries kept verbatim, and per-page webhook health

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.tables import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("consumed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index(
        "ix_webhook_deliveries_status", "webhook_deliveries", ["status", "id"], unique=False
    )
    op.create_table(
        "webhook_page_state",
        sa.Column("page_id", sa.String(length=40), nullable=False),
        sa.Column("last_event_at", UTCDateTime(), nullable=True),
        sa.Column("events_total", sa.Integer(), nullable=False),
        sa.Column("silent_alerted_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("page_id", name=op.f("pk_webhook_page_state")),
    )


def downgrade() -> None:
    op.drop_table("webhook_page_state")
    op.drop_index("ix_webhook_deliveries_status", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
