"""The live queue's question: what changed in my units since my browser last asked?"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from storage.audit import record as audit
from storage.queue_live import LiveCursor, changes, current_cursor, reply_marks
from storage.replies import create_reply, mark_failed
from storage.review_queue import change_status
from storage.visibility import Viewer
from tests.storage.queue_world import NOW, People, add_item


def officer(people: People) -> Viewer:
    return Viewer(people.officer_a, "officer", frozenset({"a"}))


def test_the_cursor_survives_its_round_trip_and_a_bad_one_means_a_first_poll() -> None:
    cursor = LiveCursor(12, 345, NOW)
    assert LiveCursor.decode(cursor.encode()) == cursor
    for bad in (None, "", "x.y.z", "1.2", "1.2.3.4", "9" * 40 + ".1.1"):
        assert LiveCursor.decode(bad) is None


def test_a_new_item_in_my_units_is_a_change_one_elsewhere_is_not(
    world: tuple[Session, People],
) -> None:
    session, people = world
    add_item(session, "Đèn đường hỏng")
    first = changes(session, officer(people), None, now=NOW)
    assert not first.changed
    add_item(session, "Mất nước phường B", unit="b")
    assert not changes(session, officer(people), first.cursor, now=NOW).changed
    add_item(session, "Mất nước thôn 2")
    assert changes(session, officer(people), first.cursor, now=NOW).changed


def test_a_status_change_is_a_change_but_a_view_of_an_item_is_not(
    world: tuple[Session, People],
) -> None:
    session, people = world
    item = add_item(session, "Cống tắc")
    cursor = current_cursor(session, NOW)
    audit(session, people.leader_a, "view_confidential_listed", item.id, None, None, NOW)
    assert not changes(session, officer(people), cursor, now=NOW).changed
    change_status(session, item, "acknowledged", people.leader_a, NOW)
    assert changes(session, officer(people), cursor, now=NOW).changed


def test_waiting_urgent_items_are_listed_as_the_viewer_may_see_them(
    world: tuple[Session, People],
) -> None:
    session, people = world
    fire = add_item(session, "Cháy nhà ở thôn 3, đang lan", author_name="Lê Văn Hùng")
    add_item(session, "Cháy kho phường B", unit="b")
    calm = add_item(session, "Đèn đường hỏng")
    found = changes(session, officer(people), None, now=NOW).urgent
    assert [c.id for c in found] == [fire.id]
    change_status(session, fire, "acknowledged", people.officer_a, NOW)
    assert changes(session, officer(people), None, now=NOW).urgent == []
    assert calm.id not in {c.id for c in found}


def test_my_failed_reply_is_news_to_me_and_marks_its_item(world: tuple[Session, People]) -> None:
    session, people = world
    item = add_item(session, "Hỏi về VNeID mức 2?")
    other = add_item(session, "Hỏi lịch tiêm?")
    cursor = current_cursor(session, NOW)
    mine = create_reply(session, item, "public_comment", "Chào bạn", people.officer_a, NOW)
    theirs = create_reply(session, other, "public_comment", "Chào bạn", people.leader_a, NOW)
    later = NOW + timedelta(minutes=1)
    mark_failed(session, mine, "Facebook từ chối trả lời này.", later)
    mark_failed(session, theirs, "Facebook từ chối trả lời này.", later)
    news = changes(session, officer(people), cursor, now=later).replies
    assert [(n.reply_id, n.item_id, n.status) for n in news] == [(mine.id, item.id, "failed")]
    assert news[0].error == "Facebook từ chối trả lời này."
    long_after = LiveCursor(cursor.item_id, cursor.audit_id, later + timedelta(hours=1))
    assert changes(session, officer(people), long_after, now=later).replies == []
    assert reply_marks(session, [item.id, other.id, 999_999]) == {
        item.id: "failed",
        other.id: "failed",
    }
