"""The open items whose labels an officer should confirm first ("cần xác nhận").

A label confirmed where the classifier was least sure teaches the next model the most; the
stored ``confidence`` (the calibrated probability of the predicted category) says where that
is. Uncertainty alone keeps surfacing one kind of item and does worse than random picks in
early rounds, so a seeded random share of the other open items is mixed in. The classifier
applies the same policy to fresh predictions (``classifier.confirmation``, which also knows the
urgency score); this module applies it to what is stored, for the review UI.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from storage.tables import OPEN_STATUSES, Item
from storage.visibility import Viewer, identity_clause, unit_clause

UNCERTAIN: Final = "uncertain"
RANDOM: Final = "random"
RANDOM_SHARE: Final = 0.25


@dataclass(frozen=True, slots=True)
class ToConfirm:
    """An item to show in the view, and why it was chosen (UNCERTAIN or RANDOM)."""

    item: Item
    reason: str


def _open_unreviewed(viewer: Viewer) -> ColumnElement[bool]:
    """Open, classified, not yet reviewed citizens' items the viewer may open with the sender
    shown (a masked denunciation never lands in this list)."""
    return and_(
        unit_clause(viewer),
        identity_clause(viewer),
        Item.status.in_(OPEN_STATUSES),
        Item.labels_reviewed_at.is_(None),
        Item.pred_category.is_not(None),
        Item.confidence.is_not(None),
        Item.by_page.is_(False),
        Item.deleted.is_(False),
        Item.set_aside.is_(False),
        Item.duplicate_of_id.is_(None),
    )


def items_to_confirm(
    session: Session,
    viewer: Viewer,
    *,
    limit: int = 20,
    random_share: float = RANDOM_SHARE,
    seed: int = 0,
) -> list[ToConfirm]:
    """Up to ``limit`` open items to confirm: the least confident first (ties: oldest id), then
    a random share of the others, seeded so a page shows the same items until labels change."""
    if not 0.0 <= random_share <= 1.0:
        raise ValueError(f"random_share phải từ 0 đến 1 (đang là {random_share}); hãy sửa lời gọi.")
    limit = max(0, limit)
    randoms = round(limit * random_share)
    where = _open_unreviewed(viewer)
    uncertain = list(
        session.scalars(
            select(Item)
            .where(where)
            .order_by(Item.confidence.asc(), Item.id.asc())
            # limit - randoms may be 0 when every pick is random
            .limit(limit - randoms)
        )
    )
    taken = [item.id for item in uncertain]
    others = list(
        session.scalars(select(Item.id).where(where, Item.id.not_in(taken)).order_by(Item.id))
    )
    # A reproducible sample for review, not a secret: a seeded PRNG is what is wanted.
    sampled = sorted(random.Random(seed).sample(others, min(randoms, len(others))))  # noqa: S311
    chosen = list(session.scalars(select(Item).where(Item.id.in_(sampled)).order_by(Item.id)))
    return [ToConfirm(item, UNCERTAIN) for item in uncertain] + [
        ToConfirm(item, RANDOM) for item in chosen
    ]
