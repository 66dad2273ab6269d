"""Search and triage at city scale: the word index on PostgreSQL finds what LIKE found, the
tiers keep their order across pages, and the queries are written so their indexes serve them."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from storage import queue_search
from storage.queue_filters import QueueFilters
from storage.queue_search import SearchFilters, queue_page, search
from storage.tables import User
from storage.users import create_user
from storage.visibility import Viewer, viewer_for
from tests.storage.queue_world import NOW, People, add_item

SOON = timedelta(hours=24)


def viewer(session: Session, user_id: int) -> Viewer:
    user = session.get(User, user_id)
    assert user is not None
    return viewer_for(session, user)


def found(session: Session, who: Viewer, **criteria: Any) -> list[int]:
    return [c.id for c in search(session, who, SearchFilters(**criteria)).cards]


def search_pages(session: Session, who: Viewer, text: str, *, limit: int) -> list[list[int]]:
    """The ids of every page of a search, following the cursors."""
    pages: list[list[int]] = []
    cursor: str | None = None
    while True:
        page = search(session, who, SearchFilters(text=text), cursor=cursor, limit=limit)
        pages.append([c.id for c in page.cards])
        cursor = page.next_cursor
        if cursor is None:
            return pages


def test_a_word_matches_only_as_a_whole_word_where_the_word_index_splits_it(
    world: tuple[Session, People],
) -> None:
    session, people = world
    # fold() keeps "_" inside a word; PostgreSQL's text search parser splits there.
    code = add_item(session, "Mã_số hồ sơ 12 bị trả lại")
    apart = add_item(session, "Mã số hồ sơ 12 bị trả lại")
    officer = viewer(session, people.officer_a)
    assert found(session, officer, text="mã số") == [apart.id]
    assert found(session, officer, text="ma_so") == [code.id]
    assert set(found(session, officer, text="hồ sơ 12")) == {code.id, apart.id}


def test_pages_keep_the_tiers_when_a_page_spans_two_of_them(
    world: tuple[Session, People],
) -> None:
    session, people = world

    def item(text: str, hours_ago: int) -> int:
        return add_item(session, text, received=NOW - timedelta(hours=hours_ago)).id

    phrases = [item(f"Thôn {n} mất sóng điện thoại", 10 + n) for n in range(3)]
    apart = [item(f"Sóng yếu, thôn {n} mất điện", n) for n in range(2)]
    officer = viewer(session, people.officer_a)
    pages = search_pages(session, officer, "mất sóng", limit=2)
    assert pages == [phrases[:2], [phrases[2], apart[0]], [apart[1]]]


def test_a_denouncer_is_not_found_by_name_among_namesakes_by_an_officer_not_entitled(
    world: tuple[Session, People],
) -> None:
    session, people = world
    namesakes = [
        add_item(session, f"Đường thôn {n} ngập", author_name="Phạm Văn Long", author_id=f"p{n}")
        for n in range(3)
    ]
    denunciation = add_item(
        session,
        "Cán bộ địa chính đòi tiền mới ký",
        author_name="Phạm Văn Long",
        author_id="p9",
        thread_id="post_denounced",
        received=NOW,
    )
    assert denunciation.confidential
    officer = viewer(session, people.officer_a)
    expected = {n.id for n in namesakes}
    for query in ("Phạm Văn Long", "pham van long", "PHAM LONG"):
        assert set(found(session, officer, text=query)) == expected, query
        assert set(found(session, officer, author=query)) == expected, query
    leader = viewer(session, people.leader_a)
    assert set(found(session, leader, text="pham van long")) == expected | {denunciation.id}
    denunciation.assignee_id = people.officer_a
    session.flush()
    assert denunciation.id in found(session, officer, text="pham van long")


def _plans(session: Session, run: Callable[[], object]) -> list[str]:
    """The PostgreSQL plans of the queries on items that ``run`` makes."""
    conn = session.connection()
    seen: list[tuple[str, Any]] = []

    def grab(*args: Any) -> None:
        statement, parameters = args[2], args[3]
        if statement.lstrip().startswith("SELECT items.id"):
            seen.append((statement, parameters))

    event.listen(conn, "before_cursor_execute", grab)
    try:
        run()
    finally:
        event.remove(conn, "before_cursor_execute", grab)
    driver: Any = conn.connection.driver_connection
    plans = []
    for statement, parameters in seen:
        with driver.cursor() as cursor:
            cursor.execute("EXPLAIN " + statement, parameters)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


def test_word_search_and_the_triage_list_are_answered_from_their_indexes_on_postgresql(
    world: tuple[Session, People],
) -> None:
    session, people = world
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the word index and these plans are PostgreSQL's")
    for n in range(30):
        add_item(session, f"Thôn {n} mất sóng, đèn đường tắt", author_name=f"Lê Văn {n}")
    officer, admin = viewer(session, people.officer_a), viewer(session, people.admin)
    # A tiny table is read whole whatever its indexes: only plans that use an index are left,
    # and for the words (an admin: no units to narrow by) only bitmaps, so nothing but a word
    # index can answer them.
    session.execute(text("SET LOCAL enable_seqscan = off"))
    session.execute(text("SET LOCAL enable_indexscan = off"))
    plans = _plans(session, lambda: search(session, admin, SearchFilters(text="mat song")))
    words = [plan for plan in plans if "to_tsvector" in plan]  # not the cards' own lookups
    assert words and all("ix_items_search_words" in plan for plan in words), words
    assert not any("ix_items_search_text" in plan for plan in words), words
    # The triage page's ids come from its partial index alone, in deadline order.
    session.execute(text("SET LOCAL enable_bitmapscan = off"))
    triage = _plans(session, lambda: queue_page(session, officer, "triage", now=NOW, soon=SOON))
    assert any("Index Only Scan using ix_items_triage" in plan for plan in triage), triage
    # Under filters, the officer's units are read from the index that leads with the unit and
    # carries the filtered columns: no table row is read to test a filter.
    narrow = QueueFilters(field="ha_tang_moi_truong", source="facebook_comment", assignee="none")
    filtered = _plans(
        session,
        lambda: queue_page(session, officer, "triage", now=NOW, soon=SOON, filters=narrow),
    )
    assert any("Index Only Scan using ix_items_triage_units" in p for p in filtered), filtered
    # A search's identity test looks for denunciations in the matches' threads among the
    # denunciations alone.
    session.execute(text("SET LOCAL enable_indexscan = on"))
    named = _plans(session, lambda: search(session, officer, SearchFilters(author="Lê Văn")))
    assert any("ix_items_confidential_threads" in plan for plan in named), named


@pytest.mark.parametrize("window", [1, 3, 10])
def test_a_search_tried_among_the_newest_items_first_lists_the_same_pages(
    world: tuple[Session, People], monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    session, people = world
    rng = random.Random(window)
    texts = ["mất sóng điện thoại", "sóng yếu, mất điện", "đèn đường tắt", "mất nước sinh hoạt"]
    for n in range(40):
        # Few distinct times: many items share one, across the window's edge.
        received = NOW - timedelta(minutes=rng.randrange(12))
        add_item(session, f"Thôn {n} {texts[n // 2 % 4]}", unit="ab"[n % 2], received=received)
    both = create_user(
        session,
        username="officer.ab",
        display_name="Officer Ab",
        password="mat-khau-du-dai-123",
        role="officer",
        unit_ids=["a", "b"],
        now=NOW,
    ).id
    viewers = [viewer(session, u) for u in (people.officer_a, both, people.admin)]

    def pages(who: Viewer) -> list[list[int]]:
        return search_pages(session, who, "mất sóng", limit=4)

    # More items than any viewer has: the whole table is searched at once.
    monkeypatch.setattr(queue_search, "RECENT_WINDOW", 1_000)
    expected = [pages(who) for who in viewers]
    assert all(len(p) >= 3 for p in expected), expected  # several pages, both tiers
    monkeypatch.setattr(queue_search, "RECENT_WINDOW", window)
    assert [pages(who) for who in viewers] == expected
