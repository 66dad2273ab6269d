"""rate pauses scoped to what Meta throttled (the app, a page, one usage type of a page)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-15 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.tables import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_pauses",
        sa.Column("page_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("until", UTCDateTime(), nullable=False),
        sa.Column("stated", sa.Boolean(), nullable=False),
        sa.Column("backoff_seconds", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(length=80), nullable=False),
        sa.Column("set_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("page_id", "kind", name=op.f("pk_rate_pauses")),
    )


def downgrade() -> None:
    op.drop_table("rate_pauses")
