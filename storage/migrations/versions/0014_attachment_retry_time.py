"""reply_attachments.next_attempt_at: a file Facebook certainly did not take waits before the
next try, as a reply does

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-17 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.tables import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reply_attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_attempt_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reply_attachments", schema=None) as batch_op:
        batch_op.drop_column("next_attempt_at")
