"""What the item page shows of the loop back to the citizen (review/follow_up_views.py acts).

Read-only: the item page is a GET, its session does not write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from review.context import db, services
from storage.publication import publication_of, refusal
from storage.review_queue import allowed_next
from storage.satisfaction import rating_of
from storage.tables import Item, Publication, Rating, Reply, Transfer, Unit
from storage.tracking import code_of, status_url
from storage.transfers import latest, needs_notice, notice, transfer_due


@dataclass(frozen=True)
class FollowUp:
    """What the item page shows of the loop back to the citizen."""

    code: str | None
    status_url: str | None
    rating: Rating | None
    publication: Publication | None
    not_publishable: str | None
    publishable_replies: list[Reply]
    transfer: Transfer | None
    can_transfer: bool
    transfer_due: datetime
    draft: str | None  # the notice of a transfer, until the citizen has been written to


def follow_up_context(item: Item, replies: list[Reply]) -> FollowUp:
    session, settings = db(), services().settings
    code = code_of(session, item.id)
    moved = latest(session, item.id)
    draft = None
    if needs_notice(session, item, moved) and moved is not None:
        draft = notice(_unit_name(item), moved)
    return FollowUp(
        code=code,
        status_url=status_url(settings.web.public_url, code) if code else None,
        rating=rating_of(session, item.id),
        publication=publication_of(session, item.id),
        not_publishable=refusal(item),
        publishable_replies=[r for r in replies if r.status not in ("failed", "cancelled")],
        transfer=moved,
        can_transfer="transferred" in allowed_next(item.status),
        transfer_due=transfer_due(services().deadlines.calendar, item.created_time),
        draft=draft,
    )


def _unit_name(item: Item) -> str:
    unit = db().get(Unit, item.unit_id)
    return f"UBND {unit.name if unit else item.unit_id}"
