"""watched objects: reels and album photos beside posts, per-object checks and failures

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 10:00:00.000000

The feed is ordered by creation, not activity, so the daemon now keeps every post, reel and
album photo of the watch window with its own check schedule and failures. The feed watermark
changes meaning (newest post creation time known, not newest activity): it is cleared, so the
next poll walks the whole window once; items already stored are not stored again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.tables

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_UTC = storage.tables.UTCDateTime
_pages = sa.table("pages", sa.column("feed_watermark", _UTC()))


def upgrade() -> None:
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("feed_gaps", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("reels_watermark", _UTC(), nullable=True))
        batch_op.add_column(sa.Column("conversations_swept_at", _UTC(), nullable=True))
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=8), server_default="post", nullable=False)
        )
        batch_op.add_column(sa.Column("parent_post_id", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("comment_count", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("processed_comment_count", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("comments_seen_until", _UTC(), nullable=True))
        batch_op.add_column(sa.Column("checked_at", _UTC(), nullable=True))
        batch_op.add_column(sa.Column("next_check_at", _UTC(), nullable=True))
        batch_op.add_column(sa.Column("failures", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("last_error_at", _UTC(), nullable=True))
        batch_op.add_column(
            sa.Column("missing_checks", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("gone_at", _UTC(), nullable=True))
        batch_op.create_index("ix_posts_due", ["page_id", "next_check_at"], unique=False)
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failures", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("last_error_at", _UTC(), nullable=True))
        batch_op.add_column(sa.Column("retry_at", _UTC(), nullable=True))
    # The old watermark was the newest activity seen; the new one is a creation time.
    op.execute(_pages.update().values(feed_watermark=None))


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("retry_at")
        batch_op.drop_column("last_error_at")
        batch_op.drop_column("last_error")
        batch_op.drop_column("failures")
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index("ix_posts_due")
        for column in (
            "gone_at",
            "missing_checks",
            "last_error_at",
            "last_error",
            "failures",
            "next_check_at",
            "checked_at",
            "comments_seen_until",
            "processed_comment_count",
            "comment_count",
            "parent_post_id",
            "kind",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.drop_column("conversations_swept_at")
        batch_op.drop_column("reels_watermark")
        batch_op.drop_column("feed_gaps")
