"""inbox: small talk set aside, saved queue filters, canned replies per unit

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10 09:00:00.000000

ix_items_open_units gains set_aside, so that the queue counts (one of them is the small talk
view) keep reading the index alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.tables

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_UTC = storage.tables.UTCDateTime
_OPEN = sa.text(storage.tables._OPEN_ITEMS_SQL)
_OPEN_UNITS = ["unit_id", "status", "due_at", "flagged", "assignee_id", "by_page"]


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("set_aside", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("set_aside_at", _UTC(), nullable=True))
    _open_units_index([*_OPEN_UNITS, "set_aside"])
    op.create_table(
        "saved_filters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("view", sa.String(length=16), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("created_at", _UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_saved_filters_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_filters")),
        sa.UniqueConstraint("user_id", "name", name="uq_saved_filters_user_id_name"),
    )
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _UTC(), nullable=False),
        sa.Column("updated_at", _UTC(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_canned_replies_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_canned_replies_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_replies")),
        sa.UniqueConstraint("unit_id", "title", name="uq_canned_replies_unit_id_title"),
    )


def _open_units_index(columns: list[str]) -> None:
    op.drop_index("ix_items_open_units", table_name="items")
    op.create_index(
        "ix_items_open_units",
        "items",
        columns,
        postgresql_where=_OPEN,
        sqlite_where=_OPEN,
    )


def downgrade() -> None:
    op.drop_table("canned_replies")
    op.drop_table("saved_filters")
    _open_units_index(_OPEN_UNITS)
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("set_aside_at")
        batch_op.drop_column("set_aside")
