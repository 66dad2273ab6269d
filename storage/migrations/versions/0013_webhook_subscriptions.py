"""webhook_page_state: each page's webhook subscription as the daemon last read it

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-16 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.tables import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_page_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subscribed_apps", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("subscriptions_read_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("subscriptions_error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhook_page_state", schema=None) as batch_op:
        batch_op.drop_column("subscriptions_error")
        batch_op.drop_column("subscriptions_read_at")
        batch_op.drop_column("subscribed_apps")
