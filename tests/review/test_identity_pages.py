"""A denouncer on every web page: item page, queue, search, thread, earlier versions, audit.

Officer A is assigned to the three denunciations and officer A2 (same unit) is not; the leader
of A may see every sender; the admin and the officer of unit B may not. The same world as
tests/storage/test_identity_surfaces.py, through the browser's eyes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select

from storage.ingest import ingest
from storage.records import ItemRecord
from storage.review_queue import assign
from storage.tables import AuditEntry, Item
from storage.users import create_user
from tests.review.personas import PASSWORD, Visitor, World, make_policy

SignIn = Callable[[str], Visitor]
DENOUNCER, PHONE = "Nguyễn Văn Hùng", "0912 345 678"
MESSENGER, MESSENGER_PHONE = "Lê Thị Mai", "0987654321"
EDITOR, EDITOR_PHONE = "Phạm Văn Tú", "0903.111.222"
LINKS = ("https://facebook.com/p1_1", "https://facebook.com/p1_2", "https://facebook.com/p1_5")


def fold(text: str) -> str:
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return " ".join(bare.replace("đ", "d").replace("Đ", "D").casefold().split())


def leaked(page: str) -> set[str]:
    page = re.sub(r'value="[^"]*"', "", page)  # the search form repeats what was typed
    flat, digits = fold(page), re.sub(r"[\s.\-()]", "", page)
    found = {n for n in (DENOUNCER, MESSENGER, EDITOR) if fold(n) in flat}
    found |= {p for p in (PHONE, MESSENGER_PHONE, EDITOR_PHONE) if re.sub(r"\D", "", p) in digits}
    return found | {link for link in LINKS if link in page}


@dataclass(frozen=True)
class Cases:
    denunciation: int
    own_reply: int
    greeting: int
    message: int
    edited: int

    @property
    def all(self) -> tuple[int, ...]:
        return (self.denunciation, self.own_reply, self.greeting, self.message, self.edited)


def record(n: int, text: str, at: datetime, **fields: object) -> ItemRecord:
    values: dict[str, object] = {
        "source": "facebook_comment",
        "external_id": f"p1_{n}",
        "unit_id": "a",
        "thread_id": "p1",
        "parent_id": "p1",
        "created_time": at,
        "text": text,
        "permalink": f"https://facebook.com/p1_{n}",
    }
    values.update(fields)
    return ItemRecord(**values)  # type: ignore[arg-type]


def build(world: World) -> Cases:
    now = world.now()
    at = now - timedelta(hours=1)
    hung = {"author_id": "d1", "author_name": DENOUNCER}
    mai = {
        "source": "facebook_message",
        "thread_id": "t_1",
        "parent_id": "t_1",
        "author_id": "m1",
        "author_name": MESSENGER,
        "permalink": None,
    }
    tu = {"author_id": "e1", "author_name": EDITOR}
    first = [
        record(1, f"Tôi là {DENOUNCER}, sđt {PHONE}, tố cáo trưởng thôn đòi tiền", at, **hung),
        record(2, f"Tôi là {DENOUNCER}, cảm ơn xã", at, parent_id="p1_1", **hung),
        record(3, f"Chào xã, em là {MESSENGER}", at, external_id="m_1", **mai),
        record(
            4, f"Trưởng thôn đòi tiền lũ, số em {MESSENGER_PHONE}", at, external_id="m_2", **mai
        ),
        record(5, f"Tôi là {EDITOR} ({EDITOR_PHONE}), cán bộ địa chính đòi 5 triệu", at, **tu),
    ]
    edits = [replace(first[1], text="Cảm ơn xã nhiều"), replace(first[4], text="Mong xã xem lại ạ")]
    with world.sessions.begin() as session:
        ids = ingest(session, first, now=now, policy=make_policy()).inserted
        ingest(session, edits, now=now + timedelta(minutes=5), policy=make_policy())
        cases = Cases(*sorted(ids))
        for item_id in (cases.denunciation, cases.message, cases.edited):
            item = session.get(Item, item_id)
            assert item is not None
            assign(
                session,
                item,
                department="Văn phòng",
                assignee_id=world.people.officer_a,
                user_id=world.people.leader_a,
                now=now,
            )
        create_user(
            session,
            username="officer.a2",
            display_name="Cán bộ Ánh",
            password=PASSWORD,
            role="officer",
            unit_ids=["a"],
            now=now,
        )
    return cases


@pytest.fixture
def cases(world: World) -> Cases:
    return build(world)


def pages(visitor: Visitor, cases: Cases) -> dict[str, str]:
    urls = ["/queue/all", "/queue/triage", "/queue/mine"]
    urls += [f"/search?text={quote(q)}" for q in ("đòi", "xã", "Chào", "Cảm ơn")]
    urls += [f"/search?author={quote(n)}" for n in (DENOUNCER, MESSENGER, EDITOR)]
    urls += [f"/items/{i}" for i in cases.all]
    shown = {}
    for url in urls:
        response = visitor.get(url)
        if response.status_code == 200:
            shown[url] = response.get_data(as_text=True)
    return shown


@pytest.mark.parametrize("username", ["officer.a2", "admin", "officer.b"])
def test_no_page_shows_a_denouncer_to_someone_not_entitled(
    world: World, cases: Cases, signed_in: SignIn, username: str
) -> None:
    shown = pages(signed_in(username), cases)
    leaks = {url: leaked(page) for url, page in shown.items() if leaked(page)}
    assert leaks == {}


def test_an_unassigned_officer_works_on_the_denouncers_other_comment_without_learning_who(
    world: World, cases: Cases, signed_in: SignIn
) -> None:
    officer = signed_in("officer.a2")
    page = officer.text(f"/items/{cases.own_reply}")
    assert "Cảm ơn xã nhiều" in page  # the text they must answer
    assert "Thông tin người gửi được bảo mật" in page
    for item_id in (cases.denunciation, cases.message, cases.edited):
        assert officer.get(f"/items/{item_id}").status_code == 403


@pytest.mark.parametrize("username", ["officer.a", "leader.a"])
def test_the_leader_and_the_assigned_officer_see_the_sender_and_every_look_is_audited(
    world: World, cases: Cases, signed_in: SignIn, username: str
) -> None:
    visitor = signed_in(username)
    user_id = world.people.officer_a if username == "officer.a" else world.people.leader_a
    shown = pages(visitor, cases)
    assert {DENOUNCER, PHONE} <= leaked(shown[f"/items/{cases.denunciation}"])
    assert DENOUNCER in leaked(shown[f"/items/{cases.own_reply}"])
    assert {MESSENGER, MESSENGER_PHONE} <= leaked(shown[f"/items/{cases.greeting}"])
    edited = shown[f"/items/{cases.edited}"]
    assert {EDITOR, EDITOR_PHONE} <= leaked(edited)  # the earlier version keeps the evidence
    assert DENOUNCER in leaked(shown["/queue/all"])
    with world.sessions.begin() as session:
        seen = {
            (action, item_id)
            for action, item_id in session.execute(
                select(AuditEntry.action, AuditEntry.item_id).where(AuditEntry.user_id == user_id)
            )
        }
    for item_id in cases.all:
        assert ("view_confidential", item_id) in seen, item_id
    assert ("view_confidential_listed", cases.denunciation) in seen


def test_a_public_reply_naming_the_denouncer_on_their_other_comment_is_refused(
    world: World, cases: Cases, signed_in: SignIn
) -> None:
    officer = signed_in("officer.a2")
    response = officer.post(
        f"/items/{cases.own_reply}/replies",
        {"kind": "public_comment", "text": "Chào anh Nguyễn  Văn Hùng, xã đã nhận"},
    )
    assert response.status_code == 422
    assert "Điều 8" in response.get_data(as_text=True)
