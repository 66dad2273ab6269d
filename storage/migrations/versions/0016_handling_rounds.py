"""items.reopened_at and the first round's deadline, handling and answer times: a citizen's
"chưa hài lòng" starts a second handling round with a fresh deadline, and the first round
keeps its result in the figures of its period

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-18 09:00:00.000000

Items a rating reopened before this revision are left as they are: once answered again, their
first answer's time is gone, so there is no first round to freeze.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.tables import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_COLUMNS = ("reopened_at", "first_due_at", "first_handled_at", "first_answered_at")


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        for name in _COLUMNS:
            batch_op.add_column(sa.Column(name, UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_items_reopened_at"), ["reopened_at"])


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_items_reopened_at"))
        for name in reversed(_COLUMNS):
            batch_op.drop_column(name)
