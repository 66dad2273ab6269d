"""The one hotline intake: a call to the published number becomes an item through ``ingest()``.

The web form and ``pakn call add`` both call ``log_call``, so a call is classified, given a
deadline and queued like every other item (NĐ 20/2008 Điều 7: the officer records a call to the
published number faithfully in writing). The call id makes a resubmitted call land once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.audit import record as audit
from storage.ingest import IngestPolicy, ingest
from storage.records import ItemRecord
from storage.tables import Item, Unit


class UnknownUnitError(ValueError):
    """The call names a unit that is not configured; the message lists the known ones."""


@dataclass(frozen=True)
class Call:
    call_id: str
    unit_id: str
    received: datetime
    text: str
    caller_name: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class LoggedCall:
    item: Item
    new: bool


def find_call(session: Session, call_id: str) -> Item | None:
    """The item a call id already produced, if the form carrying it was saved before."""
    return session.scalars(
        select(Item).where(Item.source == "hotline", Item.external_id == f"hotline-{call_id}")
    ).one_or_none()


def log_call(
    session: Session, call: Call, *, policy: IngestPolicy, now: datetime, user_id: int | None
) -> LoggedCall:
    if session.get(Unit, call.unit_id) is None:
        known = ", ".join(session.scalars(select(Unit.id).order_by(Unit.id))) or "chưa có"
        raise UnknownUnitError(
            f"Không có đơn vị {call.unit_id!r} (đang có: {known}); xem 'units' trong pakn.yaml."
        )
    external_id = f"hotline-{call.call_id}"
    record = ItemRecord(
        source="hotline",
        external_id=external_id,
        unit_id=call.unit_id,
        created_time=call.received,
        text=call.text.strip(),
        author_name=(call.caller_name or "").strip() or None,
        author_phone=(call.phone or "").strip() or None,
    )
    result = ingest(session, [record], now=now, policy=policy)
    item = session.scalars(
        select(Item).where(Item.source == "hotline", Item.external_id == external_id)
    ).one()
    if result.inserted:  # a resubmitted call stores nothing new and logs nothing new
        audit(session, user_id, "hotline_logged", item.id, None, {"unit": item.unit_id}, now)
    return LoggedCall(item, bool(result.inserted))
