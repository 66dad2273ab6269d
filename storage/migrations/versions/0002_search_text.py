"""search text: each item's folded text and sender, trigram-indexed on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.db import DatabaseError
from storage.search_text import search_text

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_BATCH = 1000
# The columns as this revision knows them, not as storage/tables.py may know them later.
_items = sa.table(
    "items",
    sa.column("id", sa.Integer),
    sa.column("text", sa.Text),
    sa.column("author_name", sa.String),
    sa.column("author_phone", sa.String),
    sa.column("search_text", sa.Text),
)


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))
    bind = op.get_bind()
    _fill(bind)
    if bind.dialect.name == "postgresql":
        _trigram_index(bind)


def _fill(bind: sa.Connection) -> None:
    """Fold the existing items, a batch at a time in id order."""
    last = 0
    while True:
        rows = bind.execute(
            sa.select(_items.c.id, _items.c.text, _items.c.author_name, _items.c.author_phone)
            .where(_items.c.id > last)
            .order_by(_items.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        bind.execute(
            sa.update(_items)
            .where(_items.c.id == sa.bindparam("item_id"))
            .values(search_text=sa.bindparam("folded")),
            [
                {"item_id": r.id, "folded": search_text(r.text, r.author_name, r.author_phone)}
                for r in rows
            ],
        )
        last = rows[-1].id


def _trigram_index(bind: sa.Connection) -> None:
    try:
        bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as exc:
        raise DatabaseError(
            f"Không tạo được extension pg_trgm mà tìm kiếm cần ({exc.orig}). Cài gói "
            "postgresql-contrib trên máy chủ nếu chưa có, chạy 'CREATE EXTENSION pg_trgm;' "
            "trên database này bằng tài khoản quản trị PostgreSQL, rồi chạy lại "
            "'pakn db upgrade'."
        ) from exc
    # The extension may live in a schema outside the search path (the test and benchmark
    # schemas find it in public): name its operator class with the schema.
    schema = bind.execute(
        sa.text(
            "SELECT n.nspname FROM pg_extension e "
            "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
        )
    ).scalar_one()
    opclass = f"{bind.dialect.identifier_preparer.quote_schema(schema)}.gin_trgm_ops"
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_items_search_text",
            ["search_text"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"search_text": opclass},
        )


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        if op.get_bind().dialect.name == "postgresql":
            batch_op.drop_index("ix_items_search_text", postgresql_using="gin")
        batch_op.drop_column("search_text")
    # pg_trgm stays: something else in the database may use it.
