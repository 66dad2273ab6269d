"""indexes: filtered triage per unit (PostgreSQL), an officer's own items, denunciations by
thread, failed replies by author

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 19:00:00.000000

Measured one request at a time at 1,000,000 items over 114 units (bench/queue_bench.py), for an
officer of 6 units:
- the triage list under filters (field, channel, nobody assigned) read the whole triage index of
  every unit, then 2,400 rows of the table to test the filters: 8.4 ms for the page and 7.3 ms
  for its count. Per unit, with the filtered columns in the index: 1.6 and 0.9 ms;
- "Việc của tôi" read the officer's 2,100 open items through ix_items_open_units, each row from
  the table, and sorted them for a page of 50: 4.3 ms;
- the identity test of a search (storage/visibility.identity_clause) looked for a denunciation
  in each match's thread through ix_items_thread_id and read every item of the thread to find
  none: 12,800 buffer reads for 3,200 matches. Denunciations are a few in a hundred items;
- each live poll read every failed reply of the city to find the officer's own: 2 ms.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# As storage/tables.py writes them, not imported: a revision stays as it was written.
_TRIAGE = (
    "status NOT IN ('answered', 'closed', 'not_actionable')"
    " AND (status IN ('new', 'reopened') OR flagged IS true)"
    " AND set_aside IS false AND by_page IS false"
)
_OPEN = "status NOT IN ('answered', 'closed', 'not_actionable')"
_FILTERED = ["urgent", "category", "field", "source", "page_id", "assignee_id", "created_time"]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_items_triage_units",
            "items",
            ["unit_id", "due_at", "id"],
            postgresql_include=_FILTERED,
            postgresql_where=sa.text(_TRIAGE),
        )
    op.create_index(
        "ix_items_open_assignee",
        "items",
        ["assignee_id", "due_at", "id", "unit_id"],
        postgresql_where=sa.text(_OPEN + " AND by_page IS false"),
        sqlite_where=sa.text(_OPEN + " AND by_page IS 0"),
    )
    op.create_index(
        "ix_items_confidential_threads",
        "items",
        ["thread_id", "author_id", "source", "assignee_id"],
        postgresql_where=sa.text("confidential IS true"),
        sqlite_where=sa.text("confidential IS 1"),
    )
    op.create_index(
        "ix_replies_problems", "replies", ["created_by", "status", "updated_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_replies_problems", table_name="replies")
    op.drop_index("ix_items_confidential_threads", table_name="items")
    op.drop_index("ix_items_open_assignee", table_name="items")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_items_triage_units", table_name="items")
