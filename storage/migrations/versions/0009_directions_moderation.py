"""directions: proposals to the leadership and their directions, moderation requests

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-12 09:00:00.000000

An officer's proposal on one item or a group, the leader's direction on it, the units'
categories whose answers wait for a direction, and the requests to hide or show a comment
on the Page that the daemon performs.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.tables

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_UTC = storage.tables.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("handling", sa.Text(), nullable=False),
        sa.Column("department", sa.String(length=120), nullable=True),
        sa.Column("deadline", _UTC(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("proposed_by", sa.Integer(), nullable=True),
        sa.Column("proposed_at", _UTC(), nullable=False),
        sa.Column("direction", sa.Text(), nullable=True),
        sa.Column("directed_by", sa.Integer(), nullable=True),
        sa.Column("directed_at", _UTC(), nullable=True),
        sa.Column("directed_department", sa.String(length=120), nullable=True),
        sa.Column("directed_deadline", _UTC(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_proposals_unit_id_units")),
        sa.ForeignKeyConstraint(
            ["proposed_by"], ["users.id"], name=op.f("fk_proposals_proposed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["directed_by"], ["users.id"], name=op.f("fk_proposals_directed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
    )
    op.create_index("ix_proposals_unit_state", "proposals", ["unit_id", "state"])
    op.create_table(
        "proposal_items",
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_proposal_items_proposal_id_proposals")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_proposal_items_item_id_items")
        ),
        sa.PrimaryKeyConstraint("proposal_id", "item_id", name=op.f("pk_proposal_items")),
    )
    op.create_index(op.f("ix_proposal_items_item_id"), "proposal_items", ["item_id"], unique=False)
    op.create_table(
        "direction_rules",
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=True),
        sa.Column("set_at", _UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_direction_rules_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["set_by"], ["users.id"], name=op.f("fk_direction_rules_set_by_users")
        ),
        sa.PrimaryKeyConstraint("unit_id", "category", name=op.f("pk_direction_rules")),
    )
    op.create_table(
        "moderation_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("text_kept", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("created_at", _UTC(), nullable=False),
        sa.Column("updated_at", _UTC(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("claimed_until", _UTC(), nullable=True),
        sa.Column("done_at", _UTC(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_moderation_requests_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_moderation_requests_requested_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_requests")),
    )
    op.create_index(
        op.f("ix_moderation_requests_item_id"), "moderation_requests", ["item_id"], unique=False
    )
    op.create_index(
        "ix_moderation_requests_status", "moderation_requests", ["status", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_moderation_requests_status", table_name="moderation_requests")
    op.drop_index(op.f("ix_moderation_requests_item_id"), table_name="moderation_requests")
    op.drop_table("moderation_requests")
    op.drop_table("direction_rules")
    op.drop_index(op.f("ix_proposal_items_item_id"), table_name="proposal_items")
    op.drop_table("proposal_items")
    op.drop_index("ix_proposals_unit_state", table_name="proposals")
    op.drop_table("proposals")
