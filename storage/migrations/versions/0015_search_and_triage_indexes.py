"""queue indexes: the words of each item's search text (PostgreSQL), the items to triage

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-15 09:00:00.000000

Measured with bench/queue_bench.py at 1,000,000 items on PostgreSQL (p95, 20 officers): a search
for two common words ("mất sóng", some 60,000 items) read every match through the trigram index
and took 246 ms; the triage list fetched and sorted the whole triage backlog of the officer's
units to show 50 rows, 213 ms. The report of the change that added this revision has the
figures after it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# As storage/tables.py writes them, not imported: a revision stays as it was written.
_WORDS = sa.text("to_tsvector('simple'::regconfig, search_text)")
_TRIAGE = (
    "status NOT IN ('answered', 'closed', 'not_actionable')"
    " AND (status IN ('new', 'reopened') OR flagged IS {true})"
    " AND set_aside IS {false} AND by_page IS {false}"
)


def upgrade() -> None:
    op.create_index(
        "ix_items_triage",
        "items",
        ["due_at", "id", "unit_id"],
        postgresql_where=sa.text(_TRIAGE.format(true="true", false="false")),
        sqlite_where=sa.text(_TRIAGE.format(true="1", false="0")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Whole-word search (storage/queue_search.py); SQLite reads the viewer's units instead.
        op.create_index("ix_items_search_words", "items", [_WORDS], postgresql_using="gin")
        # The planner knows how many items hold a word only from the statistics of the indexed
        # expression, which only ANALYZE gathers (autovacuum may not for weeks on a big table):
        # without them it guesses a handful and reads every match of a common word (measured:
        # 600 ms instead of 100 ms at 1,000,000 items).
        op.execute("ANALYZE items")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_items_search_words", table_name="items", postgresql_using="gin")
    op.drop_index("ix_items_triage", table_name="items")
