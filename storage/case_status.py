"""What the public status page (/tra-cuu/<code>) may show of an item, and nothing more.

The page needs no login and its code may have travelled (a public comment carries it), so it
gets this record instead of the item: the status, the dates, the unit and department, the
agency an item was transferred to, the published answer (storage.publication, masked) and the
rating. No field of the sender, no text of theirs unless published, no link, no category (a
"tố cáo" label next to a code would say what the sender did).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from storage.publication import PublishedAnswer, published_answer
from storage.satisfaction import RATABLE, rating_of
from storage.tables import Item, Unit
from storage.tracking import shown
from storage.transfers import latest

# The citizen's words for the officers' statuses (the page translates these keys).
PUBLIC_STATES = {
    "new": "received",
    "acknowledged": "received",
    "in_triage": "received",
    "assigned": "in_progress",
    "in_progress": "in_progress",
    "waiting_citizen": "waiting_citizen",
    "transferred": "transferred",
    "answered": "answered",
    "closed": "closed",
    "not_actionable": "not_actionable",
    "reopened": "reopened",
}
_OPEN_STATES = ("received", "in_progress", "waiting_citizen", "reopened")


@dataclass(frozen=True)
class CaseStatus:
    code: str
    shown_code: str
    state: str  # a key of PUBLIC_STATES' values
    unit_name: str
    received_at: datetime
    department: str | None
    due_at: datetime | None  # only while the unit is still handling it
    answered_at: datetime | None
    closed_at: datetime | None
    transferred_to: str | None
    transferred_at: datetime | None
    answer: PublishedAnswer | None
    ratable: bool
    rated: bool
    rated_satisfied: bool | None


def case_status(session: Session, item: Item, code: str) -> CaseStatus:
    state = PUBLIC_STATES.get(item.status, "received")
    moved = latest(session, item.id) if item.status == "transferred" else None
    rating = rating_of(session, item.id)
    unit = session.get(Unit, item.unit_id)
    return CaseStatus(
        code=code,
        shown_code=shown(code),
        state=state,
        unit_name=unit.name if unit else item.unit_id,
        received_at=item.created_time,
        department=item.department,
        due_at=item.due_at if state in _OPEN_STATES else None,
        answered_at=item.answered_at,
        closed_at=item.closed_at if item.status == "closed" else None,
        transferred_to=moved.agency if moved else None,
        transferred_at=moved.transferred_at if moved else None,
        answer=published_answer(session, item.id),
        ratable=rating is None and item.status in RATABLE and not item.by_page,
        rated=rating is not None,
        rated_satisfied=rating.satisfied if rating else None,
    )
