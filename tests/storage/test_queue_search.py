from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.db import make_engine, session_factory, upgrade
from storage.ingest import ingest
from storage.queue_filters import QueueFilters
from storage.queue_search import (
    SearchFilters,
    ViewCount,
    all_count,
    decode_cursor,
    encode_cursor,
    queue_counts,
    queue_page,
    search,
    view_count,
)
from storage.records import ItemRecord
from storage.tables import Item, Unit, User
from storage.users import create_user
from storage.visibility import MASK, Viewer, viewer_for
from tests.storage.queue_world import NOW, PASSWORD, People, add_item, policy

SOON = timedelta(hours=24)


def viewer(session: Session, user_id: int) -> Viewer:
    user = session.get(User, user_id)
    assert user is not None
    return viewer_for(session, user)


def ids(session: Session, who: Viewer, view: str, limit: int = 50) -> list[int]:
    page = queue_page(session, who, view, now=NOW, soon=SOON, limit=limit)
    return [c.id for c in page.cards]


def test_each_queue_view_holds_the_items_it_names(world: tuple[Session, People]) -> None:
    session, people = world
    fresh = add_item(session, "Mất sóng 4G ở thôn 3")
    mine = add_item(session, "Camera ngã ba hỏng")
    mine.status, mine.assignee_id, mine.flagged = "in_progress", people.officer_a, False
    soon = add_item(session, "Đèn đường tắt")
    soon.status, soon.due_at, soon.flagged = "in_triage", NOW + timedelta(hours=3), False
    late = add_item(session, "Cống tắc")
    late.status, late.due_at, late.flagged = "assigned", NOW - timedelta(hours=1), False
    done = add_item(session, "Cảm ơn xã")
    done.status, done.due_at = "closed", NOW - timedelta(days=3)
    session.flush()
    officer = viewer(session, people.officer_a)
    assert ids(session, officer, "triage") == [fresh.id]
    assert ids(session, officer, "mine") == [mine.id]
    assert ids(session, officer, "due_soon") == [soon.id]
    assert ids(session, officer, "overdue") == [late.id]
    assert set(ids(session, officer, "all")) == {fresh.id, mine.id, soon.id, late.id, done.id}
    counts = queue_counts(session, officer, now=NOW, soon=SOON)
    assert counts == {"triage": 1, "mine": 1, "due_soon": 1, "overdue": 1, "small_talk": 0}


def test_lists_show_only_the_viewers_units_and_admins_see_every_unit(
    world: tuple[Session, People],
) -> None:
    session, people = world
    in_a = add_item(session, "Mất sóng ở xã A", unit="a")
    in_b = add_item(session, "Mất sóng ở phường B", unit="b")
    assert ids(session, viewer(session, people.officer_a), "all") == [in_a.id]
    assert ids(session, viewer(session, people.officer_b), "all") == [in_b.id]
    assert ids(session, viewer(session, people.leader_a), "all") == [in_a.id]
    assert set(ids(session, viewer(session, people.admin), "all")) == {in_a.id, in_b.id}


def test_a_confidential_item_is_listed_with_its_sender_masked_except_for_leaders(
    world: tuple[Session, People],
) -> None:
    session, people = world
    denunciation = add_item(
        session,
        "Tôi là Trần Thị Bình (0912345678), cán bộ một cửa đòi 300k",
        author_name="Trần Thị Bình",
        author_phone="0912345678",
    )
    assert denunciation.confidential
    for who in (people.officer_a, people.admin):
        (row,) = queue_page(session, viewer(session, who), "all", now=NOW, soon=SOON).cards
        assert row.masked and not row.openable
        assert row.author_name == MASK
        assert row.author_id is None and row.author_phone is None and row.permalink is None
        # A signed text does not give the sender away either.
        assert "300k" in row.text
        assert "Trần Thị Bình" not in row.text and "0912345678" not in row.text
    (row,) = queue_page(session, viewer(session, people.leader_a), "all", now=NOW, soon=SOON).cards
    assert row.author_name == "Trần Thị Bình" and row.openable and not row.masked


def test_the_assigned_officer_sees_the_confidential_item_they_handle(
    world: tuple[Session, People],
) -> None:
    session, people = world
    denunciation = add_item(session, "Cán bộ địa chính đòi 3 triệu", author_name="Lê Văn Cường")
    denunciation.assignee_id = people.officer_a
    session.flush()
    (row,) = queue_page(
        session, viewer(session, people.officer_a), "mine", now=NOW, soon=SOON
    ).cards
    assert row.author_name == "Lê Văn Cường" and row.openable


def test_keyset_pages_cover_every_item_once_in_deadline_order_with_undated_items_last(
    world: tuple[Session, People],
) -> None:
    session, people = world
    items = [add_item(session, f"Mất sóng lần {i}") for i in range(7)]
    for i, item in enumerate(items):
        # Two items share a deadline (the id breaks the tie); two have none at all.
        item.due_at = None if i >= 5 else NOW + timedelta(hours=(i // 2) + 1)
    session.flush()
    officer = viewer(session, people.officer_a)
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = queue_page(session, officer, "triage", now=NOW, soon=SOON, cursor=cursor, limit=3)
        seen += [c.id for c in page.cards]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3
    assert seen == [item.id for item in items]


def test_each_page_knows_the_cursor_of_the_page_before_across_undated_items(
    world: tuple[Session, People],
) -> None:
    session, people = world
    items = [add_item(session, f"Mất sóng lần {i}") for i in range(9)]
    for i, item in enumerate(items):
        # Ties broken by id, and undated items last: the page before must cross both.
        item.due_at = None if i >= 4 else NOW + timedelta(hours=(i // 2) + 1)
    session.flush()
    officer = viewer(session, people.officer_a)
    cursors: list[str | None] = [None]
    pages = []
    while True:
        page = queue_page(
            session, officer, "triage", now=NOW, soon=SOON, cursor=cursors[-1], limit=2
        )
        pages.append(page)
        if page.next_cursor is None:
            break
        cursors.append(page.next_cursor)
    assert len(pages) == 5
    assert [c.id for p in pages for c in p.cards] == [item.id for item in items]
    # The page before page k (k >= 2) starts after the cursor that led to page k - 1.
    assert [p.prev_cursor for p in pages] == [None, None, *cursors[1:-1]]


def test_a_views_count_uses_its_filters_and_all_stops_counting_at_the_cap(
    world: tuple[Session, People], monkeypatch: pytest.MonkeyPatch
) -> None:
    session, people = world
    for i in range(6):
        add_item(session, f"Góp ý {i}", received=NOW - timedelta(hours=i))
    add_item(session, "Ở phường B", unit="b")
    closed = add_item(session, "Đã xong")
    closed.status = "closed"
    session.flush()
    officer = viewer(session, people.officer_a)
    assert view_count(session, officer, "all", now=NOW, soon=SOON) == ViewCount(7)
    assert view_count(session, officer, "triage", now=NOW, soon=SOON) == ViewCount(6)
    until = QueueFilters(received_from=NOW - timedelta(hours=2, minutes=30))
    counted = view_count(session, officer, "triage", now=NOW, soon=SOON, filters=until)
    listed = queue_page(session, officer, "triage", now=NOW, soon=SOON, filters=until)
    assert counted == ViewCount(len(listed.cards)) == ViewCount(3)
    monkeypatch.setattr("storage.queue_search.ALL_COUNT_CAP", 5)
    assert all_count(session, officer) == ViewCount(5, capped=True)
    assert view_count(session, officer, "all", now=NOW, soon=SOON) == ViewCount(5, capped=True)
    monkeypatch.setattr("storage.queue_search.ALL_COUNT_CAP", 7)
    assert all_count(session, officer) == ViewCount(7, capped=False)
    # Under filters "Tất cả" stops at its own, lower cap.
    monkeypatch.setattr("storage.queue_search.FILTERED_COUNT_CAP", 2)
    open_ones = QueueFilters(status="new")
    assert view_count(session, officer, "all", now=NOW, soon=SOON, filters=open_ones) == ViewCount(
        2, capped=True
    )
    assert view_count(session, officer, "all", now=NOW, soon=SOON) == ViewCount(7)


def test_newest_first_pages_follow_each_other_without_gaps(world: tuple[Session, People]) -> None:
    session, people = world
    items = [add_item(session, f"Góp ý {i}", received=NOW - timedelta(hours=i)) for i in range(5)]
    officer = viewer(session, people.officer_a)
    first = queue_page(session, officer, "all", now=NOW, soon=SOON, limit=2)
    second = queue_page(
        session, officer, "all", now=NOW, soon=SOON, limit=2, cursor=first.next_cursor
    )
    third = queue_page(
        session, officer, "all", now=NOW, soon=SOON, limit=2, cursor=second.next_cursor
    )
    shown = [c.id for page in (first, second, third) for c in page.cards]
    assert shown == [item.id for item in items]
    assert third.next_cursor is None


def test_a_cursor_round_trips_and_a_forged_one_means_the_first_page() -> None:
    assert decode_cursor(encode_cursor(NOW, 42)) == (NOW, 42)
    assert decode_cursor(encode_cursor(None, 7)) == (None, 7)
    for forged in ("", "x", "v1_", "v99999999999999999999_1", "n1; drop table items"):
        assert decode_cursor(forged) is None


def test_search_matches_text_whatever_the_case_or_unicode_form(
    world: tuple[Session, People],
) -> None:
    session, people = world
    decomposed = unicodedata.normalize("NFD", "Đường Ngập nước sau mưa")
    hit = add_item(session, decomposed)
    add_item(session, "Mất sóng 4G")
    officer = viewer(session, people.officer_a)
    for query in ("ngập nước", "NGẬP", "Ngập nước"):
        page = search(session, officer, SearchFilters(text=query))
        assert [c.id for c in page.cards] == [hit.id], query
    assert search(session, officer, SearchFilters(text="100%")).cards == []


def test_search_filters_by_category_status_unit_and_date_range(
    world: tuple[Session, People],
) -> None:
    session, people = world
    old = add_item(session, "Mất sóng 4G", received=NOW - timedelta(days=10))
    recent = add_item(session, "Mất sóng 4G", received=NOW - timedelta(hours=1))
    question = add_item(session, "cho hỏi giờ làm việc?", received=NOW - timedelta(hours=2))
    add_item(session, "Mất sóng 4G", unit="b")
    recent.status = "in_progress"
    session.flush()
    admin = viewer(session, people.admin)

    def found(**criteria: object) -> set[int]:
        return {c.id for c in search(session, admin, SearchFilters(**criteria)).cards}  # type: ignore[arg-type]

    assert found(unit_id="a", category="phan_anh") == {old.id, recent.id}
    assert found(unit_id="a", category="hoi_dap") == {question.id}
    assert found(unit_id="a", status="in_progress") == {recent.id}
    since = NOW - timedelta(days=1)
    assert found(unit_id="a", received_from=since) == {recent.id, question.id}
    assert found(unit_id="a", received_to=since) == {old.id}


def test_searching_by_author_never_reveals_who_sent_a_masked_item(
    world: tuple[Session, People],
) -> None:
    session, people = world
    denunciation = add_item(session, "Cán bộ đòi tiền", author_name="Phạm Văn Dũng")
    report = add_item(session, "Mất sóng", author_name="Phạm Văn Dũng")
    by_author = SearchFilters(author="phạm văn")
    officer_hits = search(session, viewer(session, people.officer_a), by_author).cards
    leader_hits = search(session, viewer(session, people.leader_a), by_author).cards
    assert [c.id for c in officer_hits] == [report.id]
    assert {c.id for c in leader_hits} == {denunciation.id, report.id}


def test_every_message_of_a_conversation_holding_a_denunciation_is_listed_masked(
    world: tuple[Session, People],
) -> None:
    session, people = world

    def message(n: int, text: str) -> int:
        return add_item(
            session,
            text,
            source="facebook_message",
            external_id=f"m_{n}",
            thread_id="t_1",
            parent_id="t_1",
            author_id="777",
            author_name="Vũ Thị Én",
        ).id

    greeting = message(1, "Chào xã ạ")
    message(2, "Cán bộ thôn đòi tiền hỗ trợ")
    officer, leader = viewer(session, people.officer_a), viewer(session, people.leader_a)
    rows = queue_page(session, officer, "all", now=NOW, soon=SOON).cards
    assert {c.author_name for c in rows} == {MASK}
    assert search(session, officer, SearchFilters(author="Vũ Thị Én")).cards == []
    assert [c.id for c in search(session, leader, SearchFilters(text="Chào xã")).cards] == [
        greeting
    ]
    assert (
        search(session, leader, SearchFilters(text="Chào xã")).cards[0].author_name == "Vũ Thị Én"
    )


def found(session: Session, who: Viewer, **criteria: Any) -> list[int]:
    return [c.id for c in search(session, who, SearchFilters(**criteria)).cards]


def test_search_finds_vietnamese_whatever_the_capitals_and_diacritics(
    world: tuple[Session, People],
) -> None:
    session, people = world
    flooded = add_item(session, "Đường liên thôn ngập sâu sau mưa")
    drain = add_item(session, "Hố ga trước chợ mất nắp")
    add_item(session, "Mất sóng 4G ở thôn 3")
    officer = viewer(session, people.officer_a)
    for query, hit in [
        ("NGẬP", flooded),
        ("ĐƯỜNG", flooded),
        ("duong ngap", flooded),
        ("Đường, ngập!", flooded),
        ("ho ga", drain),
        ("HỐ GA", drain),
        ("hố ga mat nap", drain),
    ]:
        assert found(session, officer, text=query) == [hit.id], query
    # Every word must be there, not any one of them.
    assert found(session, officer, text="ngập hố") == []


def test_a_phone_number_is_found_however_it_is_spaced(world: tuple[Session, People]) -> None:
    session, people = world
    call = add_item(
        session,
        "Cống ngõ 5 tắc",
        source="hotline",
        author_name="Lê Thị Hoa",
        author_phone="0912 345 678",
    )
    texted = add_item(session, "Nhà tôi ở ngõ 7, gọi 0912.345.678 nhé")
    add_item(session, "Gọi 0987 654 321 giúp tôi")
    officer = viewer(session, people.officer_a)
    for query in ("0912 345 678", "0912.345.678", "0912345678", "+84 912 345 678"):
        assert set(found(session, officer, text=query)) == {call.id, texted.id}, query
        assert found(session, officer, author=query) == [call.id], query


def test_an_item_number_finds_that_item_before_the_texts_that_mention_it(
    world: tuple[Session, People],
) -> None:
    session, people = world
    numbered = add_item(session, "Mất điện cả xóm", received=NOW - timedelta(days=3))
    mention = add_item(session, f"Như phản ánh {numbered.id} hôm trước, vẫn mất điện", received=NOW)
    add_item(session, "Mất nước")
    officer = viewer(session, people.officer_a)
    assert found(session, officer, text=f"#{numbered.id}") == [numbered.id]
    assert found(session, officer, text=str(numbered.id)) == [numbered.id, mention.id]


def test_items_holding_the_whole_phrase_come_first_and_pages_keep_the_ranking(
    world: tuple[Session, People],
) -> None:
    session, people = world

    def item(text: str, hours_ago: int) -> int:
        return add_item(session, text, received=NOW - timedelta(hours=hours_ago)).id

    words_newest = item("Đường làng bị ngập", 1)
    words_older = item("Ngập cả đoạn đường", 2)
    phrase_newer = item("Đường ngập lụt", 4)
    phrase_older = item("đường ngập sâu", 5)
    item("Đường làng tối", 0)
    officer = viewer(session, people.officer_a)
    seen: list[int] = []
    cursor: str | None = None
    while True:
        page = search(session, officer, SearchFilters(text="đường ngập"), cursor=cursor, limit=1)
        seen += [c.id for c in page.cards]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [phrase_newer, phrase_older, words_newest, words_older]


def test_the_sender_is_found_by_name_in_the_sender_box_and_in_the_text_box(
    world: tuple[Session, People],
) -> None:
    session, people = world
    hers = add_item(session, "Mất sóng 4G", author_name="Nguyễn Thị Ánh")
    mentions_her = add_item(session, "Bà Nguyễn Thị Ánh nhờ hỏi giúp", author_name="Trần Văn Bảo")
    officer = viewer(session, people.officer_a)
    assert found(session, officer, author="nguyen thi anh") == [hers.id]
    assert found(session, officer, author="NGUYỄN ÁNH") == [hers.id]
    # The text box reads the sender too; the text that holds the name comes first.
    assert found(session, officer, text="Nguyễn Thị Ánh") == [mentions_her.id, hers.id]


def test_a_sender_the_viewer_may_not_know_is_never_confirmed_by_a_search(
    world: tuple[Session, People],
) -> None:
    session, people = world
    denunciation = add_item(
        session,
        "Tôi là Đỗ Thị Hằng, cán bộ địa chính đòi 5 triệu",
        author_name="Đỗ Thị Hằng",
        author_phone="0987 654 321",
    )
    assert denunciation.confidential
    guesses: list[dict[str, str]] = [
        {"text": "Đỗ Thị Hằng"},
        {"text": "do thi hang"},
        {"text": "0987654321"},
        {"text": "địa chính"},  # the text itself: denouncers sign their texts
        {"author": "Đỗ Thị Hằng"},
        {"author": "0987.654.321"},
    ]
    for who in (people.officer_a, people.admin):
        for guess in guesses:
            assert found(session, viewer(session, who), **guess) == [], (who, guess)
    leader = viewer(session, people.leader_a)
    for guess in guesses:
        assert found(session, leader, **guess) == [denunciation.id], guess
    # Its number finds it, listed as in the queue: masked.
    officer = viewer(session, people.officer_a)
    (row,) = search(session, officer, SearchFilters(text=f"#{denunciation.id}")).cards
    assert row.masked and row.author_name == MASK and "Hằng" not in row.text
    # The officer it is assigned to knows the sender, and finds it.
    denunciation.assignee_id = people.officer_a
    session.flush()
    assert found(session, officer, text="do thi hang") == [denunciation.id]


def test_no_message_of_a_conversation_holding_a_denunciation_matches_for_an_officer(
    world: tuple[Session, People],
) -> None:
    session, people = world

    def message(n: int, text: str) -> int:
        return add_item(
            session,
            text,
            source="facebook_message",
            external_id=f"m_{n}",
            thread_id="t_2",
            parent_id="t_2",
            author_id="778",
            author_name="Vũ Văn Khải",
            author_phone="0911 222 333",
        ).id

    greeting = message(1, "Chào xã, tôi ở xóm Đình")
    denunciation = message(2, "Cán bộ thôn đòi tiền hỗ trợ")
    officer, leader = viewer(session, people.officer_a), viewer(session, people.leader_a)
    for query in ("xom dinh", "Vũ Văn Khải", "0911222333"):
        assert found(session, officer, text=query) == [], query
    assert found(session, leader, text="xom dinh") == [greeting]
    assert set(found(session, leader, text="vu van khai")) == {denunciation, greeting}


def test_a_name_masked_in_a_neighbours_text_does_not_make_it_match(
    world: tuple[Session, People],
) -> None:
    session, people = world
    denunciation = add_item(
        session, "Tôi là Đỗ Thị Hằng, cán bộ địa chính đòi 5 triệu", author_name="Đỗ Thị Hằng"
    )
    neighbour = add_item(session, "Chị Đỗ Thị Hằng nói đúng, đường ngập lắm")
    officer = viewer(session, people.officer_a)
    (row,) = search(session, officer, SearchFilters(text="đường ngập")).cards
    assert row.id == neighbour.id and "Hằng" not in row.text
    assert found(session, officer, text="Đỗ Thị Hằng") == []
    assert found(session, officer, text="hang duong ngap") == []
    leader = viewer(session, people.leader_a)
    assert set(found(session, leader, text="Đỗ Thị Hằng")) == {neighbour.id, denunciation.id}


def test_an_edited_text_is_found_by_its_new_words_only(world: tuple[Session, People]) -> None:
    session, people = world
    first = ItemRecord(
        source="facebook_comment",
        external_id="edited_1",
        unit_id="a",
        created_time=NOW - timedelta(hours=1),
        text="Đèn đường tắt",
        author_name="Hà Văn Phúc",
    )
    (item_id,) = ingest(session, [first], now=NOW, policy=policy()).inserted
    edit = replace(first, text="Cột điện đổ chắn lối")
    assert ingest(session, [edit], now=NOW + timedelta(minutes=5), policy=policy()).edited
    officer = viewer(session, people.officer_a)
    assert found(session, officer, text="cot dien") == [item_id]
    assert found(session, officer, text="den duong") == []
    assert found(session, officer, author="ha van phuc") == [item_id]


def test_the_migration_folds_the_items_stored_before_it(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0001")
        before = [_item_before_search(n) for n in range(1_001)]  # one more than a batch
        before[0] |= {"text": "ĐƯỜNG NGẬP sau mưa", "author_name": "Nguyễn Thị Ánh"}
        before[1] |= {"author_phone": "0912 345 678"}
        with engine.begin() as conn:
            conn.execute(sa.insert(Unit.__table__), [{"id": "a", "name": "Xã A", "kind": "xa"}])
            items = sa.table("items", *(sa.column(name) for name in before[0]))
            conn.execute(sa.insert(items), before)
        upgrade(engine)
        sessions = session_factory(engine)
        with sessions.begin() as session:
            officer = _officer_of_a(session)
            first, second = session.scalars(sa.select(Item.id).order_by(Item.id).limit(2))
            assert found(session, officer, text="duong ngap") == [first]
            assert found(session, officer, author="nguyen thi anh") == [first]
            assert found(session, officer, text="0912345678") == [second]
            last = session.scalars(sa.select(Item).order_by(Item.id.desc()).limit(1)).one()
            assert last.search_text == " thu 1000 \x1f nguoi dan 1000 "
    finally:
        engine.dispose()


def _item_before_search(n: int) -> dict[str, Any]:
    """An items row as revision 0001 stores it (naive UTC times: no UTCDateTime here)."""
    when = NOW.replace(tzinfo=None) - timedelta(minutes=n)
    return {
        "source": "facebook_comment",
        "external_id": f"old_{n}",
        "unit_id": "a",
        "by_page": False,
        "text": f"Thư {n}",
        "author_name": f"Người dân {n}",
        "author_phone": None,
        "content_hash": f"{n:064d}",
        "created_time": when,
        "hidden": False,
        "first_seen_at": when,
        "last_seen_at": when,
        "edited": False,
        "deleted": False,
        "missing_checks": 0,
        "urgent": False,
        "labels_corrected": False,
        "status": "new",
        "flagged": False,
        "confidential": False,
    }


def _officer_of_a(session: Session) -> Viewer:
    user = create_user(
        session,
        username="officer.a",
        display_name="Officer A",
        password=PASSWORD,
        role="officer",
        unit_ids=["a"],
        now=NOW,
    )
    return viewer_for(session, user)


@pytest.mark.parametrize("merged_units", [16, 0])
def test_newest_first_pages_over_several_units_hold_every_item_once_in_order(
    world: tuple[Session, People], monkeypatch: pytest.MonkeyPatch, merged_units: int
) -> None:
    """Read unit by unit and merged (16) or in one walk (0): the same pages, both ways."""
    monkeypatch.setattr("storage.queue_search.MERGED_UNITS", merged_units)
    session, _people = world
    session.add(Unit(id="c", name="Xã C"))
    session.flush()
    three = create_user(
        session,
        username="officer.abc",
        display_name="Officer ABC",
        password=PASSWORD,
        role="officer",
        unit_ids=["a", "b", "c"],
        now=NOW,
    )
    items = []
    for i in range(14):
        # Several items of different units share a time: the id breaks the tie across units.
        when = NOW - timedelta(minutes=(i // 3) * 7)
        items.append(add_item(session, f"Góp ý số {i}", unit="abc"[i % 3], received=when))
    add_item(session, "Trang trả lời", unit="a", received=NOW).by_page = True  # not listed
    session.flush()
    who = viewer(session, three.id)
    expected = [i.id for i in sorted(items, key=lambda i: (i.created_time, i.id), reverse=True)]

    pages: list[list[int]] = []
    cursors: list[str | None] = [None]
    while True:
        page = queue_page(session, who, "all", now=NOW, soon=SOON, cursor=cursors[-1], limit=4)
        pages.append([c.id for c in page.cards])
        if page.next_cursor is None:
            break
        cursors.append(page.next_cursor)
        assert page.prev_cursor == (cursors[-3] if len(cursors) >= 3 else None)
    assert [i for p in pages for i in p] == expected
    assert len(pages) == 4

    # Back from the last page, page by page, through each page's cursor of the page before.
    cursor, back = cursors[-1], list[list[int]]()
    while cursor is not None:
        page = queue_page(session, who, "all", now=NOW, soon=SOON, cursor=cursor, limit=4)
        back.append([c.id for c in page.cards])
        cursor = page.prev_cursor
    assert back == pages[:0:-1]  # the last page back to the second; the first has no cursor

    # A filter narrows every branch alike.
    only_b = QueueFilters(unit_id="b")
    page = queue_page(session, who, "all", now=NOW, soon=SOON, filters=only_b, limit=50)
    assert [c.id for c in page.cards] == [i for i in expected if i in {x.id for x in items[1::3]}]
