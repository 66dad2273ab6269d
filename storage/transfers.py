"""Transfers to the competent agency or level, with their own clock and a printable slip.

Feedback outside the unit's competence is transferred within 05 working days (NĐ 20/2008/NĐ-CP
Điều 9.1.d); so is a denunciation, and its sender told where it went (Luật Tố cáo 2018 Điều
24.2). The clock runs from receipt on the working calendar of the deadline rules
(storage/deadlines.py), whatever the item's own deadline rule. The item moves to
``transferred`` through the queue's transition rules; the citizen is told through a reply the
officer sends from a prefilled draft (``notice``).

For the unit's figures a transfer is the handling of the item, on time within this clock
(storage/handling.py, README "Reports: what each figure counts").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.audit import record as audit
from storage.review_queue import QueueError, change_status
from storage.tables import Item, Reply, Transfer, Unit
from storage.visibility import Shown, reveal, shield_for
from storage.workdays import WorkingCalendar, to_local

TRANSFER_WORKING_DAYS = 5
LEGAL_BASIS = "NĐ 20/2008/NĐ-CP, Điều 9 khoản 1 điểm d; Luật Tố cáo 2018, Điều 24 khoản 2"
AGENCY_MAX = 200
REASON_MAX = 2000


class TransferRefusedError(ValueError):
    """The transfer is refused; the message says why and what to do instead."""


def transfer_due(calendar: WorkingCalendar, received_at: datetime) -> datetime:
    """End of the 5th working day after the day of receipt (BLDS Điều 147, 148)."""
    return calendar.add_working_days(received_at, TRANSFER_WORKING_DAYS)


def transfer(
    session: Session,
    item: Item,
    *,
    agency: str,
    reason: str,
    user_id: int,
    now: datetime,
    calendar: WorkingCalendar,
) -> Transfer:
    agency, reason = " ".join(agency.split()), reason.strip()
    if not agency:
        raise TransferRefusedError(
            "Chưa ghi cơ quan nhận; ghi tên cơ quan, ví dụ 'Công an phường B' hoặc 'Sở Xây dựng'."
        )
    if len(agency) > AGENCY_MAX or len(reason) > REASON_MAX:
        raise TransferRefusedError(
            f"Tên cơ quan tối đa {AGENCY_MAX} ký tự, lý do tối đa {REASON_MAX} ký tự; viết gọn lại."
        )
    if not reason:
        raise TransferRefusedError(
            "Chưa ghi lý do chuyển; ví dụ 'Không thuộc thẩm quyền giải quyết của UBND xã'."
        )
    try:
        change_status(session, item, "transferred", user_id, now)
    except QueueError as exc:
        raise TransferRefusedError(str(exc)) from exc
    found = Transfer(
        item_id=item.id,
        agency=agency,
        reason=reason,
        due_at=transfer_due(calendar, item.created_time),
        transferred_at=now,
        transferred_by=user_id,
    )
    session.add(found)
    session.flush()
    on_time = found.transferred_at <= found.due_at
    after = {"transfer_id": found.id, "agency": agency, "on_time": on_time}
    audit(session, user_id, "transferred", item.id, None, after, now)
    return found


def latest(session: Session, item_id: int) -> Transfer | None:
    return session.scalar(
        select(Transfer).where(Transfer.item_id == item_id).order_by(Transfer.id.desc()).limit(1)
    )


def notice(unit_name: str, found: Transfer) -> str:
    """The draft telling the citizen where the item went (the officer edits and sends it)."""
    return (
        f"{unit_name} đã nhận được ý kiến của anh/chị. Nội dung này thuộc thẩm quyền giải quyết "
        f"của {found.agency}, nên {unit_name} đã chuyển đến {found.agency} ngày "
        f"{_local_day(found.transferred_at)} để xem xét, giải quyết theo quy định. "
        f"Lý do: {found.reason}"
    )


def needs_notice(session: Session, item: Item, found: Transfer | None) -> bool:
    """Whether the citizen has not been written to since the transfer."""
    if found is None or item.status != "transferred":
        return False
    written = session.scalar(
        select(Reply.id).where(
            Reply.item_id == item.id,
            Reply.created_at >= found.transferred_at,
            Reply.status != "cancelled",
        )
    )
    return written is None


@dataclass(frozen=True)
class Slip:
    """The phiếu chuyển: what travels to the other agency (the sender as policy allows)."""

    transfer: Transfer
    item: Item
    unit_name: str
    sender: Shown
    officer: str | None


def slip(session: Session, found: Transfer, officer: str | None) -> Slip:
    """A slip leaves the web on paper: a denouncer is never shown on it (no viewer is entitled,
    storage.visibility)."""
    item = session.get(Item, found.item_id)
    if item is None:  # pragma: no cover - a foreign key
        raise LookupError(f"item {found.item_id} of transfer {found.id} is missing")
    unit = session.get(Unit, item.unit_id)
    sender = reveal(item, shield_for(session, [item]).guard(item), None)
    return Slip(found, item, unit.name if unit else item.unit_id, sender, officer)


def _local_day(moment: datetime) -> str:
    return f"{to_local(moment):%d/%m/%Y}"
