"""Transfers: five working days from receipt, the item's status, the notice, the slip."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.deadlines import load_policy
from storage.replies import create_reply, mark_sent
from storage.tables import AuditEntry
from storage.transfers import (
    TransferRefusedError,
    latest,
    needs_notice,
    notice,
    slip,
    transfer,
    transfer_due,
)
from storage.workdays import VIETNAM_TZ
from tests.storage.queue_world import NOW, People, add_item

CALENDAR = load_policy().calendar


def local(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=VIETNAM_TZ)


def test_the_transfer_clock_is_five_working_days_from_receipt() -> None:
    # Friday 6/3/2026: Monday 9 to Friday 13, the period ends at 24:00 on Friday.
    assert transfer_due(CALENDAR, local("2026-03-06T16:00")) == CALENDAR.end_of_day(
        date(2026, 3, 13)
    )
    # Friday 24/4/2026: Giỗ Tổ falls on Sunday 26/4 and is taken on Monday 27/4; 30/4 and 1/5
    # are holidays: Tue 28, Wed 29, Mon 4, Tue 5, Wed 6.
    assert transfer_due(CALENDAR, local("2026-04-24T09:00")) == CALENDAR.end_of_day(
        date(2026, 5, 6)
    )


def test_a_transfer_moves_the_item_keeps_its_clock_and_is_audited(
    world: tuple[Session, People],
) -> None:
    session, people = world
    item = add_item(session, "Xe tải chở đất rơi vãi trên quốc lộ 10", received=NOW)
    late = NOW + timedelta(days=10)
    found = transfer(
        session,
        item,
        agency="  Sở Xây dựng  thành phố ",
        reason="Quốc lộ do Sở quản lý",
        user_id=people.officer_a,
        now=late,
        calendar=CALENDAR,
    )
    assert item.status == "transferred"
    assert found.agency == "Sở Xây dựng thành phố"
    assert found.due_at == transfer_due(CALENDAR, NOW)
    assert latest(session, item.id) is found
    (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "transferred"))
    after = json.loads(entry.after or "{}")
    assert (entry.user_id, after["agency"], after["on_time"]) == (
        people.officer_a,
        "Sở Xây dựng thành phố",
        False,
    )


def test_a_transfer_needs_an_agency_a_reason_and_a_status_that_allows_it(
    world: tuple[Session, People],
) -> None:
    session, people = world
    item = add_item(session, "Xe tải chở đất rơi vãi trên quốc lộ 10")
    with pytest.raises(TransferRefusedError, match="cơ quan nhận"):
        transfer(
            session,
            item,
            agency=" ",
            reason="x",
            user_id=people.officer_a,
            now=NOW,
            calendar=CALENDAR,
        )
    with pytest.raises(TransferRefusedError, match="lý do"):
        transfer(
            session,
            item,
            agency="Sở Xây dựng",
            reason=" ",
            user_id=people.officer_a,
            now=NOW,
            calendar=CALENDAR,
        )
    reply = create_reply(session, item, "public_comment", "Đã xử lý.", people.officer_a, NOW)
    mark_sent(session, reply, "c_9", NOW)
    with pytest.raises(TransferRefusedError, match="“Đã trả lời”"):
        transfer(
            session,
            item,
            agency="Sở Xây dựng",
            reason="Ngoài thẩm quyền",
            user_id=people.officer_a,
            now=NOW,
            calendar=CALENDAR,
        )
    assert latest(session, item.id) is None


def test_the_citizen_notice_names_the_agency_until_the_citizen_has_been_written_to(
    world: tuple[Session, People],
) -> None:
    session, people = world
    item = add_item(session, "Xe tải chở đất rơi vãi trên quốc lộ 10", received=NOW)
    found = transfer(
        session,
        item,
        agency="Sở Xây dựng",
        reason="Quốc lộ do Sở quản lý",
        user_id=people.officer_a,
        now=NOW,
        calendar=CALENDAR,
    )
    text = notice("UBND xã A", found)
    assert "Sở Xây dựng" in text and "02/03/2026" in text and "Quốc lộ do Sở quản lý" in text
    assert needs_notice(session, item, found)
    create_reply(session, item, "public_comment", text, people.officer_a, NOW)
    assert not needs_notice(session, item, found)


def test_the_slip_of_a_denunciation_never_shows_the_denouncer(
    world: tuple[Session, People],
) -> None:
    session, people = world
    item = add_item(
        session,
        "Tôi là Trần Thị Bình, cán bộ địa chính đòi tiền mới làm sổ",
        author_name="Bình Trần",
        author_phone="0987654321",
    )
    found = transfer(
        session,
        item,
        agency="Thanh tra thành phố",
        reason="Tố cáo cán bộ",
        user_id=people.leader_a,
        now=NOW,
        calendar=CALENDAR,
    )
    paper = slip(session, found, "Lãnh đạo A")
    assert not paper.sender.known and paper.sender.author_phone is None
    shown = repr(paper.sender)
    for secret in ("Trần Thị Bình", "Bình Trần", "0987654321"):
        assert secret not in shown
    plain = add_item(session, "Xe tải chở đất rơi vãi", author_name="Lê Văn Nam")
    found = transfer(
        session,
        plain,
        agency="Sở Xây dựng",
        reason="Quốc lộ",
        user_id=people.officer_a,
        now=NOW,
        calendar=CALENDAR,
    )
    assert slip(session, found, None).sender.author_name == "Lê Văn Nam"
