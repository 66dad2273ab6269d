"""reply attachments: photos and documents an officer sends with an answer

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-15 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.tables import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reply_attachments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("reply_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("graph_id", sa.String(length=160), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name="fk_reply_attachments_item_id_items"
        ),
        sa.ForeignKeyConstraint(
            ["reply_id"], ["replies.id"], name="fk_reply_attachments_reply_id_replies"
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"], ["users.id"], name="fk_reply_attachments_uploaded_by_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reply_attachments"),
    )
    with op.batch_alter_table("reply_attachments") as batch:
        batch.create_index("ix_reply_attachments_item_id", ["item_id"])
        batch.create_index("ix_reply_attachments_reply_id", ["reply_id"])
        batch.create_index("ix_reply_attachments_status", ["status"])


def downgrade() -> None:
    op.drop_table("reply_attachments")
