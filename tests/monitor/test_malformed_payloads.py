"""Bad input never stops intake: the malformed-object matrix, through the daemon's real cycle.

Every kind of broken Graph object is served (simulator/malformed.py) in the first page of each
listing the daemon reads: a page's feed (part of the batched first read of every page), a
post's, a reel's and a photo's comments, a conversation's messages and the conversations list.
Whatever the kind, the items around the bad object, the page's other objects and the other
pages are stored exactly once; the bad object is kept in ``rejected_payloads`` with its reason
(not stored, or stored repaired: a time clamped, a NUL dropped, a text cut); the next cycle
still stores a later item of the same listing. Every kind runs on SQLite; on PostgreSQL the
kinds whose outcome depends on the database (``ON_POSTGRESQL``), which keeps the matrix within
the suite's time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from monitor.daemon import Daemon
from simulator import GraphSimulator, World
from simulator.malformed import RawJson
from storage.tables import Conversation, Item, Page, Post, RejectedPayload
from tests.clock import Clock
from tests.monitor.harness import PAGES, make_daemon, settings_for, stored

CAM, CAM2, AIQ = (p[0] for p in PAGES)
ALICE = ("9001", "Nguyễn Thị Lan")
BINH = ("9002", "Trần Văn Bình")
CUONG = ("9003", "Lê Văn Cường")
BAD_ID = "777000111"
DEEP = 10_000


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def cycle(daemon: Daemon, clock: Clock, minutes: float = 1) -> dict[str, str]:
    clock.advance(minutes=minutes)
    return {r.page_id: r.reason for r in daemon.poll_cycle() if not r.ok}


@dataclass(frozen=True)
class Place:
    """One listing the daemon reads: whose it is, and how a citizen adds to it."""

    shape: str  # comment, message, post, conversation
    edge: str
    owner: Callable[[World, dict[str, str]], str]
    add: Callable[[World, dict[str, str], str], None]


def _comment_on(key: str) -> Callable[[World, dict[str, str], str], None]:
    def add(world: World, named: dict[str, str], text: str) -> None:
        world.add_comment(named[key], BINH, text)

    return add


PLACES = {
    "feed": Place("post", "feed", lambda w, n: CAM, lambda w, n, t: _visitor_post(w, t)),
    "post comments": Place("comment", "comments", lambda w, n: n["post"], _comment_on("post")),
    "reel comments": Place("comment", "comments", lambda w, n: n["reel"], _comment_on("reel")),
    "photo comments": Place("comment", "comments", lambda w, n: n["photo"], _comment_on("photo")),
    "messages": Place(
        "message",
        "messages",
        lambda w, n: n["conversation"],
        lambda w, n, t: _message(w, ALICE, t),
    ),
    "conversations": Place(
        "conversation",
        "conversations",
        lambda w, n: CAM,
        lambda w, n, t: _message(w, (str(6000 + len(w.conversations)), "Người mới"), t),
    ),
}


def _visitor_post(world: World, text: str) -> None:
    world.add_post(CAM, text, CUONG)


def _message(world: World, who: tuple[str, str], text: str) -> None:
    world.add_message(CAM, who, text)


TIME_FIELD = {"conversation": "updated_time"}


def template(shape: str, now: datetime) -> dict[str, Any]:
    """A well-formed object of the listing, before a kind breaks it."""
    if shape == "conversation":
        people = [{"id": "9100", "name": "Hà"}, {"id": CAM, "name": "Xã"}]
        return {"id": f"t_{BAD_ID}", "updated_time": iso(now), "participants": {"data": people}}
    ident = {"post": f"{CAM}_{BAD_ID}", "message": f"m_{BAD_ID}"}.get(shape, f"1_{BAD_ID}")
    return {
        "id": ident,
        "created_time": iso(now),
        "message": "đối tượng thử",
        "from": {"id": "9100", "name": "Hà"},
    }


def _nested(obj: dict[str, Any], key: str, inner: str) -> RawJson:
    """``obj`` with ``key`` nested ``DEEP`` levels: JSON no encoder would write."""
    head = json.dumps({k: v for k, v in obj.items() if k != key})[:-1]
    deep = f'{{"{inner}": ' * DEEP + "{}" + "}" * DEEP
    return RawJson(f'{head}, "{key}": {deep}}}')


Kind = Callable[[dict[str, Any], str, datetime], tuple[Any, ...]]


def _time(value: Any) -> Kind:
    def kind(obj: dict[str, Any], shape: str, now: datetime) -> tuple[Any, ...]:
        field = TIME_FIELD.get(shape, "created_time")
        return ({**obj, field: value(now) if callable(value) else value},)

    return kind


def _set(key: str, value: Any) -> Kind:
    return lambda obj, shape, now: ({**obj, key: value},)


def _author(**sender: Any) -> Kind:
    return lambda obj, shape, now: ({**obj, "from": {**obj["from"], **sender}},)


def _without(key: str) -> Kind:
    def kind(obj: dict[str, Any], shape: str, now: datetime) -> tuple[Any, ...]:
        field = TIME_FIELD.get(shape, "created_time") if key == "time" else key
        return ({k: v for k, v in obj.items() if k != field},)

    return kind


# kind -> (how it breaks the object, what becomes of it, the shapes it applies to)
ALL = ("post", "comment", "message", "conversation")
TEXTS = ("post", "comment", "message")
KINDS: dict[str, tuple[Kind, str, tuple[str, ...]]] = {
    "time missing": (_without("time"), "rejected", ALL),
    "time not a string": (_time(["2026-03-02"]), "rejected", ALL),
    "time unparsable": (_time("hôm qua lúc 8 giờ"), "rejected", ALL),
    "time far future": (_time("9999-12-31T23:59:59+0000"), "repaired", ALL),
    "time far past": (_time("1900-01-01T00:00:00+0000"), "repaired", TEXTS),
    "time +14:00": (
        _time(lambda now: (now + timedelta(hours=14)).strftime("%Y-%m-%dT%H:%M:%S+1400")),
        "stored",
        ALL,
    ),
    "time -12:00 with colon": (
        _time(lambda now: (now - timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M:%S-12:00")),
        "stored",
        ALL,
    ),
    "time offset out of range": (_time("2026-03-02T08:00:00+2500"), "rejected", ALL),
    "NUL in text": (_set("message", "đèn\x00 đường hỏng"), "repaired", TEXTS),
    "NUL in author name": (_author(name="Hà\x00"), "repaired", TEXTS),
    "lone surrogate in text": (_set("message", "nước \ud800 ngập"), "repaired", TEXTS),
    "1 MB text": (_set("message", "ngập " * 200_000), "repaired", TEXTS),
    "long author name": (_author(name="Hà" * 5_000), "repaired", TEXTS),
    "long author id": (_author(id="9" * 10_000), "repaired", TEXTS),
    "long id": (_set("id", "9" * 10_000), "rejected", ALL),
    "id with a NUL": (_set("id", "1_\x00"), "rejected", ALL),
    "id as a number": (_set("id", int(BAD_ID)), "stored", ("comment",)),
    "missing id": (_without("id"), "rejected", ALL),
    "message as a list": (_set("message", ["a", "b"]), "rejected", TEXTS),
    "from as a string": (_set("from", "Hà"), "repaired", TEXTS),
    "deep from": (lambda obj, shape, now: (_nested(obj, "from", "from"),), "rejected", TEXTS),
    "deep attachment": (
        lambda obj, shape, now: (_nested(obj, "attachment", "media"),),
        "rejected",
        ("comment",),
    ),
    "recursive comments": (
        lambda obj, shape, now: (_nested(obj, "comments", "comments"),),
        "rejected",
        ("comment", "post"),
    ),
    "deep participants": (
        lambda obj, shape, now: (_nested(obj, "participants", "data"),),
        "rejected",
        ("conversation",),
    ),
    "duplicate id": (lambda obj, shape, now: (obj, obj), "stored", TEXTS),
}
# The reel and photo listings take the same path as a post's comments: a few kinds suffice.
FEW = ("time unparsable", "time far future", "NUL in text", "deep from", "missing id")


# Kinds whose outcome depends on the database: what it stores (NUL, broken Unicode, long texts
# and ids), how it ignores a duplicate, and the rejected_payloads row of an object that cannot
# be written back. The others are decided in Python before any write: SQLite covers them.
ON_POSTGRESQL = (
    "time far future",
    "NUL in text",
    "NUL in author name",
    "lone surrogate in text",
    "1 MB text",
    "long author name",
    "long author id",
    "long id",
    "id with a NUL",
    "duplicate id",
    "deep from",
)


def cases() -> list[Any]:
    out = []
    for place, where in PLACES.items():
        for name, (_kind, outcome, shapes) in KINDS.items():
            if where.shape not in shapes:
                continue
            if place in ("reel comments", "photo comments") and name not in FEW:
                continue
            out.append(pytest.param("sqlite", place, name, outcome, id=f"sqlite-{place}-{name}"))
            if name in ON_POSTGRESQL:
                pg = f"postgresql-{place}-{name}"
                postgres = pytest.mark.postgres
                out.append(pytest.param("postgresql", place, name, outcome, marks=postgres, id=pg))
    return out


def a_world(world: World, clock: Clock) -> dict[str, str]:
    post = world.add_post(CAM, "Lịch tiếp dân", created_time=clock() - timedelta(days=1))
    album = world.add_album_post(
        CAM, "Ảnh hội nghị", photos=2, created_time=clock() - timedelta(hours=1)
    )
    named = {
        "post": post,
        "other post": world.add_post(CAM, "Thông báo", created_time=clock() - timedelta(days=2)),
        "reel": world.add_reel(CAM, "Reel lễ hội", clock() - timedelta(days=1)),
        "photo": world.photo_ids(album)[0],
        "elsewhere": world.add_post(
            AIQ, "Phường Ái Quốc", created_time=clock() - timedelta(days=1)
        ),
    }
    world.add_message(CAM, ALICE, "chào ad")
    world.add_message(CAM, BINH, "cho hỏi lịch tiếp dân")
    world.add_message(AIQ, CUONG, "chào phường")
    conversation = world.conversation_with(CAM, ALICE[0])
    assert conversation is not None
    named["conversation"] = conversation
    return named


def rejected_rows(sessions: sessionmaker[Session]) -> list[tuple[str | None, str, str]]:
    with sessions.begin() as s:
        rows = s.execute(
            select(RejectedPayload.page_id, RejectedPayload.kind, RejectedPayload.reason)
        )
        return [(p, k, r) for p, k, r in rows]


def item_count(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """Rows and distinct keys of the item table: equal when nothing is stored twice."""
    with sessions.begin() as s:
        rows = s.scalar(select(func.count()).select_from(Item)) or 0
        keys = len(set(s.execute(select(Item.source, Item.external_id)).all()))
        return rows, keys


def bad_stored(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as s:
        query = select(func.count()).where(Item.external_id.like(f"%{BAD_ID}%"))
        return s.scalar(query) or 0


@pytest.mark.parametrize(("db_url", "place", "kind", "outcome"), cases(), indirect=["db_url"])
def test_a_malformed_object_holds_up_nothing_and_is_kept_with_its_reason(
    sim: GraphSimulator,
    world: World,
    sessions: sessionmaker[Session],
    clock: Clock,
    place: str,
    kind: str,
    outcome: str,
) -> None:
    named = a_world(world, clock)
    daemon = make_daemon(settings_for(sim.base_url, "unused"), sessions, clock=clock)
    assert cycle(daemon, clock) == {}
    where = PLACES[place]
    clock.advance(minutes=1)
    where.add(world, named, "trước đối tượng lỗi")
    where.add(world, named, "sau đối tượng lỗi")
    world.add_comment(named["other post"], ALICE, "bài khác vẫn đọc được")
    world.add_comment(named["elsewhere"], CUONG, "trang khác vẫn đọc được")
    world.add_message(AIQ, CUONG, "hộp thư trang khác vẫn đọc được")
    make, _outcome, _shapes = KINDS[kind]
    objects = make(template(where.shape, clock()), where.shape, clock())
    sim.malformed.inject(where.owner(world, named), where.edge, *objects, index=1)

    # Two reads: the object is served again at the second and at every later one (kept once).
    for _ in range(2):
        assert cycle(daemon, clock, minutes=2) == {}  # every page reads cleanly
    assert world.citizen_items() <= stored(sessions)
    rows, keys = item_count(sessions)
    assert rows == keys
    rejected = [(k, r) for p, k, r in rejected_rows(sessions) if p == CAM]
    if outcome == "rejected":
        assert [k for k, _ in rejected] == ["graph_object"] and rejected[0][1]
        assert bad_stored(sessions) == 0
    elif outcome == "repaired":
        assert [k for k, _ in rejected] == ["repaired"] and rejected[0][1]
        assert where.shape == "conversation" or bad_stored(sessions) == 1
    else:
        assert rejected == []
        assert where.shape == "conversation" or bad_stored(sessions) == 1

    # Intake goes on behind the bad object, which is still served.
    clock.advance(minutes=5)
    where.add(world, named, "tin mới sau đó")
    for _ in range(2):
        assert cycle(daemon, clock, minutes=2) == {}
    assert world.citizen_items() <= stored(sessions)
    assert len([r for r in rejected_rows(sessions) if r[0] == CAM]) == len(rejected)


def test_a_far_future_updated_time_on_a_conversation_never_stops_its_messenger(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: Clock
) -> None:
    named = a_world(world, clock)
    daemon = make_daemon(settings_for(sim.base_url, "unused"), sessions, clock=clock)
    assert cycle(daemon, clock) == {}
    sim.malformed.override(named["conversation"], updated_time="9999-12-31T23:59:59+0000")
    world.add_message(CAM, ALICE, "ad ơi")
    assert cycle(daemon, clock, minutes=2) == {}
    sim.malformed.clear()
    for n in range(3):
        world.add_message(CAM, ALICE, f"tin nhắn sau {n}")
        world.add_message(CAM, (str(7000 + n), f"Người {n}"), "tin nhắn mới")
        assert cycle(daemon, clock, minutes=2) == {}
        assert world.citizen_items() <= stored(sessions)
    with sessions.begin() as s:
        page = s.get(Page, CAM)
        assert page is not None and page.conversations_watermark is not None
        assert page.conversations_watermark <= clock()
        row = s.get(Conversation, named["conversation"])
        assert row is not None and row.processed_updated_time is not None
        assert row.processed_updated_time <= clock()
    assert [k for p, k, _ in rejected_rows(sessions) if p == CAM] == ["repaired"]


def test_a_far_future_updated_time_on_a_post_never_stops_its_comments(
    sim: GraphSimulator, world: World, sessions: sessionmaker[Session], clock: Clock
) -> None:
    named = a_world(world, clock)
    daemon = make_daemon(settings_for(sim.base_url, "unused"), sessions, clock=clock)
    assert cycle(daemon, clock) == {}
    sim.malformed.override(named["post"], updated_time="9999-12-31T23:59:59+0000")
    world.add_comment(named["post"], ALICE, "bình luận trong lúc lỗi")
    assert cycle(daemon, clock, minutes=2) == {}
    sim.malformed.clear()
    for n in range(3):
        world.add_comment(named["post"], BINH, f"bình luận sau {n}")
        assert cycle(daemon, clock, minutes=30) == {}
    assert world.citizen_items() <= stored(sessions)
    with sessions.begin() as s:
        row = s.get(Post, named["post"])
        assert row is not None and row.updated_time is not None
        assert row.updated_time <= clock()


def off_host(listing: dict[str, Any]) -> dict[str, Any]:
    return {**listing, "paging": {"next": "https://attacker.example/v25.0/next?after=x"}}


def not_a_list(listing: dict[str, Any]) -> dict[str, Any]:
    return {**listing, "data": {"0": listing["data"]}}


@pytest.mark.parametrize(
    "reshape", [off_host, not_a_list], ids=["paging.next off-host", "data not a list"]
)
@pytest.mark.parametrize("place", ["post comments", "messages"])
def test_a_broken_listing_is_that_objects_failure_alone(
    sim: GraphSimulator,
    world: World,
    sessions: sessionmaker[Session],
    clock: Clock,
    place: str,
    reshape: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    named = a_world(world, clock)
    daemon = make_daemon(settings_for(sim.base_url, "unused"), sessions, clock=clock)
    assert cycle(daemon, clock) == {}
    where = PLACES[place]
    sim.malformed.inject(where.owner(world, named), where.edge, reshape=reshape)
    where.add(world, named, "trong lúc lỗi")
    others = [
        world.add_comment(named["other post"], ALICE, "bài khác"),
        world.add_comment(named["elsewhere"], CUONG, "trang khác"),
    ]
    world.add_message(CAM, BINH, "hội thoại khác")
    for _ in range(2):
        assert cycle(daemon, clock, minutes=2) == {}
    assert {("facebook_comment", c) for c in others} <= stored(sessions)
    thread = world.conversation_with(CAM, BINH[0])
    newest = world.last_message(thread) if thread else None
    assert newest is not None and ("facebook_message", newest.id) in stored(sessions)
    sim.malformed.clear()
    cycle(daemon, clock, minutes=300)
    assert world.citizen_items() <= stored(sessions)
    assert item_count(sessions)[0] == item_count(sessions)[1]
