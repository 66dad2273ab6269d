"""follow-up: departments from a list, tracking codes, published answers, ratings, transfers

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 09:00:00.000000

Items named their department in free text; each unit now keeps a list. The distinct names
already on a unit's items become that unit's list, and the items are linked to them.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import storage.tables

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_UTC = storage.tables.UTCDateTime
# The columns as this revision knows them, not as storage/tables.py may know them later.
_items = sa.table(
    "items",
    sa.column("id", sa.Integer),
    sa.column("unit_id", sa.String),
    sa.column("department", sa.String),
    sa.column("department_id", sa.Integer),
)
_departments = sa.table(
    "departments",
    sa.column("id", sa.Integer),
    sa.column("unit_id", sa.String),
    sa.column("name", sa.String),
    sa.column("fields", sa.String),
    sa.column("active", sa.Boolean),
    sa.column("created_at", _UTC()),
)


def upgrade() -> None:
    _create_tables()
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("department_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_items_department_id"), ["department_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_items_department_id_departments"),
            "departments",
            ["department_id"],
            ["id"],
        )
    _departments_from_items(op.get_bind())


def _create_tables() -> None:
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("fields", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_departments_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
        sa.UniqueConstraint("unit_id", "name", name="uq_departments_unit_id_name"),
    )
    op.create_table(
        "tracking_codes",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("issued_at", _UTC(), nullable=False),
        sa.Column("given_reply_id", sa.Integer(), nullable=True),
        sa.Column("given_at", _UTC(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_tracking_codes_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["given_reply_id"],
            ["replies.id"],
            name=op.f("fk_tracking_codes_given_reply_id_replies"),
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_tracking_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_tracking_codes_code")),
    )
    op.create_table(
        "publications",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.Column("reply_id", sa.Integer(), nullable=True),
        sa.Column("result_text", sa.Text(), nullable=True),
        sa.Column("published_at", _UTC(), nullable=False),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_publications_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_publications_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["reply_id"], ["replies.id"], name=op.f("fk_publications_reply_id_replies")
        ),
        sa.ForeignKeyConstraint(
            ["published_by"], ["users.id"], name=op.f("fk_publications_published_by_users")
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_publications")),
    )
    op.create_index("ix_publications_unit", "publications", ["unit_id", "published_at"])
    op.create_table(
        "ratings",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.Column("satisfied", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("rated_at", _UTC(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_ratings_item_id_items")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_ratings_unit_id_units")),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_ratings")),
    )
    op.create_index("ix_ratings_unit", "ratings", ["unit_id", "rated_at"])
    op.create_table(
        "transfers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("due_at", _UTC(), nullable=False),
        sa.Column("transferred_at", _UTC(), nullable=False),
        sa.Column("transferred_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_transfers_item_id_items")),
        sa.ForeignKeyConstraint(
            ["transferred_by"], ["users.id"], name=op.f("fk_transfers_transferred_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
    )
    op.create_index(op.f("ix_transfers_item_id"), "transfers", ["item_id"])


def _departments_from_items(bind: sa.Connection) -> None:
    """Each unit's distinct department names become its list; the items point at them."""
    names = bind.execute(
        sa.select(_items.c.unit_id, sa.func.trim(_items.c.department))
        .where(_items.c.department.is_not(None), sa.func.trim(_items.c.department) != "")
        .distinct()
    ).all()
    now = datetime.now(UTC)
    for unit_id, name in sorted(set(names)):
        department_id = bind.execute(
            sa.insert(_departments)
            .values(unit_id=unit_id, name=name, fields="", active=True, created_at=now)
            .returning(_departments.c.id)
        ).scalar_one()
        bind.execute(
            sa.update(_items)
            .where(_items.c.unit_id == unit_id, sa.func.trim(_items.c.department) == name)
            .values(department_id=department_id, department=name)
        )


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_items_department_id_departments"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_items_department_id"))
        batch_op.drop_column("department_id")
    op.drop_index(op.f("ix_transfers_item_id"), table_name="transfers")
    op.drop_table("transfers")
    op.drop_index("ix_ratings_unit", table_name="ratings")
    op.drop_table("ratings")
    op.drop_index("ix_publications_unit", table_name="publications")
    op.drop_table("publications")
    op.drop_table("tracking_codes")
    op.drop_table("departments")
