from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storage import notifications as outbox
from storage.masking import excerpt, mask_contacts
from storage.tables import Notification

NOW = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)


def message(key: str = "urgent:1:abc") -> outbox.Message:
    return outbox.Message(
        dedupe_key=key,
        event="urgent",
        target_name="Cán bộ trực",
        target_ref="abc",
        subject="[KHẨN] Cẩm Giàng",
        body="Cháy",
        unit_id="cam-giang",
    )


def count(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as s:
        return int(s.scalar(select(func.count()).select_from(Notification)) or 0)


def test_the_same_event_enqueued_again_is_stored_once(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        assert outbox.enqueue(s, [message(), message("urgent:1:def")], NOW) == 2
    with sessions.begin() as s:
        assert outbox.enqueue(s, [message(), message("urgent:2:abc")], NOW) == 1
    assert count(sessions) == 3


def test_a_row_is_claimed_by_one_sender_only(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        outbox.enqueue(s, [message()], NOW)
    with sessions.begin() as s:
        first = outbox.claim_next(s, NOW)
        assert first is not None and first.status == "sending"
    with sessions.begin() as s:
        assert outbox.claim_next(s, NOW) is None
    with sessions.begin() as s:  # the first sender died: the lease runs out and it is taken again
        again = outbox.claim_next(s, NOW + outbox.SEND_LEASE + timedelta(seconds=1))
        assert again is not None and again.id == first.id


def test_failures_back_off_and_stop_after_the_last_attempt(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        outbox.enqueue(s, [message()], NOW)
    now, waits = NOW, []
    while True:
        with sessions.begin() as s:
            row = outbox.claim_next(s, now)
            if row is None:
                break
            outbox.mark_failed(s, row, "Connection refused", now)
            if row.next_attempt_at is not None:
                waits.append(row.next_attempt_at - now)
                now = row.next_attempt_at
    with sessions.begin() as s:
        row = s.scalars(select(Notification)).one()
    assert row.status == "failed" and row.attempts == outbox.MAX_ATTEMPTS
    assert row.last_error == "Connection refused" and row.next_attempt_at is None
    assert len(waits) == outbox.MAX_ATTEMPTS - 1
    assert all(a < b or b == outbox.LONGEST_RETRY for a, b in pairwise(waits))


def test_a_sent_row_is_never_claimed_again(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        outbox.enqueue(s, [message()], NOW)
    with sessions.begin() as s:
        row = outbox.claim_next(s, NOW)
        assert row is not None
        outbox.mark_sent(s, row, NOW)
    with sessions.begin() as s:
        assert outbox.claim_next(s, NOW + timedelta(days=1)) is None


def test_target_refs_name_a_recipient_without_revealing_its_url() -> None:
    url = "tgram://123456:AAE-secret-bot-token/987654"
    ref = outbox.target_ref(url)
    assert ref == outbox.target_ref(url) and ref != outbox.target_ref(url + "1")
    assert "secret" not in ref and len(ref) == 16


def test_phone_numbers_and_emails_are_masked_in_excerpts() -> None:
    text = "Gọi 0912 345 678, 091.234.5678 hoặc +84 912345678, mail an.nguyen@example.vn"
    masked = mask_contacts(text)
    for secret in ("0912 345 678", "091.234.5678", "912345678", "an.nguyen@example.vn"):
        assert secret not in masked
    assert excerpt("Tôi là Trần Thị Bình, " + "x" * 300, 50, hide=["Trần Thị Bình"]).startswith(
        "Tôi là [tên đã ẩn],"
    )
    assert len(excerpt("a " * 300, 200)) == 200
