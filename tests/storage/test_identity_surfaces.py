"""One denouncer, every surface: a tố cáo sender's name and phone appear only where the law
allows (Luật Tố cáo 2018, Điều 8 khoản 3): to the unit's leader and the officer assigned.

The world holds three denunciations, each assigned to officer A by the leader:
(a) a comment in a thread where the same citizen also wrote an ordinary reply (which they
    edited, so an earlier version carries their name), next to a page reply that greets them;
(b) one message of a Messenger conversation, after a greeting in which the citizen named herself;
(c) a comment that the citizen edited into something harmless after the model flagged it;
(d) a comment under the citizen's own visitor post, which another citizen's comment quotes as
    its context.
Every surface is walked for every persona; the entitled ones must see the name where they work.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor import alert_texts
from review.report_export import write_csv, write_xlsx
from storage.export import FIELDS, export_rows
from storage.ingest import ingest
from storage.item_context import item_context
from storage.masking import mask_identity
from storage.queue_search import SearchFilters, queue_page, search
from storage.records import ItemRecord
from storage.replies import ReplyRefusedError, create_reply
from storage.report_periods import month_of
from storage.reports import build_report
from storage.review_queue import assign, review_labels
from storage.tables import AuditEntry, Item, Page, Post, User
from storage.users import create_user
from storage.visibility import Viewer, may_open, viewer_for
from tests.storage.queue_world import NOW, PASSWORD, People, add_item, policy, populate

DENOUNCER, PHONE = "Nguyễn Văn Hùng", "0912 345 678"
MESSENGER, MESSENGER_PHONE = "Lê Thị Mai", "0987654321"
EDITOR, EDITOR_PHONE = "Phạm Văn Tú", "0903.111.222"
VISITOR, VISITOR_PHONE = "Đặng Thị Lan", "0977 888 999"
NAMES = (DENOUNCER, MESSENGER, EDITOR, VISITOR)
LAN_POST = "https://facebook.com/lan/posts/2"
PUBLIC_URL = "https://pakn.example"
SOON = timedelta(hours=24)


def fold(text: str) -> str:
    """Written here, not imported: the walk must not trust the code it checks."""
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return " ".join(bare.replace("đ", "d").replace("Đ", "D").casefold().split())


def leaked(surface: str) -> set[str]:
    """The secrets a surface shows, however they are spaced, cased or accented."""
    flat = fold(surface)
    digits = re.sub(r"[\s.\-()]", "", surface)
    found = {s for s in NAMES if fold(s) in flat}
    for phone in (PHONE, MESSENGER_PHONE, EDITOR_PHONE, VISITOR_PHONE):
        national = re.sub(r"\D", "", phone)[1:]  # 912345678: also written +84 912...
        if national in digits:
            found.add(phone)
    return found


@dataclass(frozen=True)
class Cases:
    denunciation: int  # (a)
    own_reply: int  # (a) the same citizen's ordinary reply in the thread
    page_greeting: int  # (a) the page's answer that names them
    bystander: int  # (a) another citizen in the thread
    greeting: int  # (b) the first message, not itself a denunciation
    message: int  # (b)
    edited: int  # (c)
    visitor_post: int  # (d) not itself a denunciation
    visitor_denunciation: int  # (d)
    visitor_neighbour: int  # (d) another citizen under the visitor's post
    links: tuple[str, ...]  # the Facebook links of the shielded items

    @property
    def all(self) -> list[int]:
        return [
            self.denunciation,
            self.own_reply,
            self.page_greeting,
            self.bystander,
            self.greeting,
            self.message,
            self.edited,
            self.visitor_post,
            self.visitor_denunciation,
            self.visitor_neighbour,
        ]


def comment(session: Session, text: str, n: int, **kw: object) -> int:
    fields: dict[str, object] = {
        "external_id": f"100_1_{n}",
        "page_id": "100",
        "thread_id": "100_1",
        "parent_id": "100_1",
    }
    fields.update(kw)
    fields.setdefault("permalink", f"https://facebook.com/{fields['external_id']}")
    return add_item(session, text, **fields).id


def message(session: Session, text: str, n: int) -> int:
    return add_item(
        session,
        text,
        source="facebook_message",
        external_id=f"m_{n}",
        page_id="100",
        thread_id="t_1",
        parent_id="t_1",
        author_id="m1",
        author_name=MESSENGER,
    ).id


def edit(session: Session, item_id: int, text: str, minutes: int) -> None:
    item = session.get(Item, item_id)
    assert item is not None
    record = ItemRecord(
        source=item.source,
        external_id=item.external_id,
        unit_id=item.unit_id,
        created_time=item.created_time,
        text=text,
        page_id=item.page_id,
        thread_id=item.thread_id,
        parent_id=item.parent_id,
        author_id=item.author_id,
        author_name=item.author_name,
        permalink=item.permalink,
    )
    ingest(session, [record], now=NOW + timedelta(minutes=minutes), policy=policy())
    session.expire_all()


def build(session: Session, people: People) -> Cases:
    session.add(Page(id="100", unit_id="a", name="Xã A"))
    session.add(Post(id="100_1", page_id="100", created_time=NOW, message="Lịch cấp sổ đỏ"))
    session.flush()
    hung = {"author_id": "d1", "author_name": DENOUNCER}
    denunciation = comment(
        session,
        f"Tôi là {DENOUNCER}, sđt {PHONE}, tố cáo trưởng thôn đòi tiền làm sổ đỏ",
        1,
        **hung,
    )
    own_reply = comment(
        session, f"Tôi là {DENOUNCER}, cảm ơn xã đã trả lời", 2, parent_id="100_1_1", **hung
    )
    edit(session, own_reply, "Cảm ơn xã đã trả lời nhanh", 1)
    page_greeting = comment(
        session,
        f"Chào anh {DENOUNCER}, xã đã tiếp nhận",
        3,
        parent_id="100_1_1",
        by_page=True,
        author_id="100",
        author_name="Xã A",
    )
    bystander = comment(session, "Thôn tôi cũng bị mất sóng", 4, author_name="Trần Văn Khoa")
    greeting = message(session, f"Chào xã, em là {MESSENGER}", 1)
    msg = message(session, f"Trưởng thôn đòi tiền hỗ trợ lũ, số em {MESSENGER_PHONE}", 2)
    edited = comment(
        session,
        f"Tôi là {EDITOR} ({EDITOR_PHONE}), cán bộ địa chính đòi 5 triệu",
        5,
        author_id="e1",
        author_name=EDITOR,
    )
    edit(session, edited, "Mong xã xem lại giúp ạ", 2)
    visitor = visitor_thread(session)
    for item_id in (denunciation, msg, edited, visitor[1]):
        item = session.get(Item, item_id)
        assert item is not None
        assign(
            session,
            item,
            department="Văn phòng",
            assignee_id=people.officer_a,
            user_id=people.leader_a,
            now=NOW,
        )
    shielded = ("100_1_1", "100_1_2", "100_1_5", "100_2_1")
    links = (*(f"https://facebook.com/{n}" for n in shielded), LAN_POST)
    return Cases(
        denunciation, own_reply, page_greeting, bystander, greeting, msg, edited, *visitor, links
    )


def visitor_thread(session: Session) -> tuple[int, int, int]:
    """(d): Lan's visitor post, her denunciation under it, and a neighbour's comment."""
    lan = {"author_id": "v1", "author_name": VISITOR}
    post_text = "Đường vào xóm tôi hỏng nặng"
    session.add(
        Post(id="100_2", page_id="100", created_time=NOW, message=post_text, by_page=False, **lan)
    )
    session.flush()
    where = {"page_id": "100", "thread_id": "100_2"}
    post = add_item(
        session,
        post_text,
        source="facebook_post",
        external_id="100_2",
        permalink=LAN_POST,
        **where,
        **lan,
    ).id
    text = f"Tôi là {VISITOR}, sđt {VISITOR_PHONE}, trưởng thôn đòi tiền làm đường"
    under = {**where, "parent_id": "100_2"}
    denunciation = comment(session, text, 1, external_id="100_2_1", **under, **lan)
    neighbour = comment(
        session,
        "Đúng rồi, đường hỏng lâu rồi",
        2,
        external_id="100_2_2",
        author_name="Hồ Quý",
        **under,
    )
    return post, denunciation, neighbour


@dataclass(frozen=True)
class World:
    session: Session
    people: People
    cases: Cases
    unassigned: int  # a second officer of unit A, not assigned to any denunciation

    def viewer(self, user_id: int) -> Viewer:
        user = self.session.get(User, user_id)
        assert user is not None
        return viewer_for(self.session, user)

    def personas(self) -> dict[str, Viewer]:
        p = self.people
        return {
            "officer_assigned": self.viewer(p.officer_a),
            "officer_unassigned": self.viewer(self.unassigned),
            "officer_other_unit": self.viewer(p.officer_b),
            "leader": self.viewer(p.leader_a),
            "admin": self.viewer(p.admin),
        }


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> Iterator[World]:
    with sessions.begin() as session:
        people = populate(session)
        unassigned = create_user(
            session,
            username="officer.a2",
            display_name="Officer A2",
            password=PASSWORD,
            role="officer",
            unit_ids=["a"],
            now=NOW,
        ).id
        yield World(session, people, build(session, people), unassigned)


# ------------------------------------------------------------------------ what each shows


def card_text(card: object) -> str:
    fields = ("author_name", "author_id", "author_phone", "permalink", "text")
    return " | ".join(str(getattr(card, f, "")) for f in fields)


def web_surfaces(world: World, who: Viewer) -> dict[str, str]:
    s = world.session
    queue = queue_page(s, who, "all", now=NOW, soon=SOON).cards
    shown = {"queue card": "\n".join(card_text(c) for c in queue)}
    for query in ("đòi", "xã", "Chào", "đường", *NAMES):
        cards = search(s, who, SearchFilters(text=query)).cards
        cards += search(s, who, SearchFilters(author=query)).cards
        shown[f"search page {query!r}"] = "\n".join(card_text(c) for c in cards)
    for item_id in world.cases.all:
        item = s.get(Item, item_id)
        assert item is not None
        if not (who.sees_unit(item.unit_id) and may_open(who, item)):
            continue
        ctx = item_context(s, item, who)
        parts = [card_text(c) for c in (ctx.parent, *ctx.thread, ctx.duplicate_of) if c]
        if ctx.post is not None:
            parts.append(f"{ctx.post.author_name} {ctx.post.permalink} {ctx.post.message}")
        parts += [v.text for v in ctx.versions]
        shown[f"thread context of #{item_id}"] = "\n".join(parts)
    return shown


def outside_surfaces(world: World) -> dict[str, str]:
    """The files and messages that leave the web: nobody is entitled there."""
    s = world.session
    rows = list(export_rows(s))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS)  # as `pakn export --format csv` writes
    writer.writeheader()
    writer.writerows(rows)
    report = build_report(s, month_of(NOW.date()), NOW + timedelta(days=60), "a")
    book, sheet = io.BytesIO(), io.StringIO()
    write_xlsx(report, book, PUBLIC_URL)
    write_csv(report, sheet, PUBLIC_URL)
    workbook = load_workbook(io.BytesIO(book.getvalue()))
    cells = [str(c.value) for ws in workbook.worksheets for row in ws.iter_rows() for c in row]
    items = [i for i in (s.get(Item, n) for n in world.cases.all) if i is not None]
    alerts = [" ".join(alert_texts.urgent(i, "Xã A", PUBLIC_URL)) for i in items]
    alerts.append(" ".join(alert_texts.digest("Xã A", NOW, items, items, PUBLIC_URL)))
    return {
        "export jsonl": "\n".join(json.dumps(r, ensure_ascii=False) for r in rows),
        "export csv": out.getvalue(),
        "report xlsx": "\n".join(cells),
        "report csv": sheet.getvalue(),
        "alert text": "\n".join(alerts),
    }


def shielded_rows_of_export(world: World) -> list[dict[str, object]]:
    """Every exported row of the four denouncers (the page's reply is not exported)."""
    others = ("mất sóng", "hỏng lâu")
    return [
        row
        for row in export_rows(world.session)
        if row["thread_id"] == "t_1"
        or (
            row["thread_id"] in ("100_1", "100_2")
            and not any(o in str(row["text"]) for o in others)
        )
    ]


# ------------------------------------------------------------------------------ the walk

ENTITLED = ("officer_assigned", "leader")


def test_no_surface_shows_a_denouncer_to_anyone_not_entitled(world: World) -> None:
    leaks: dict[str, set[str]] = {}
    for persona, who in world.personas().items():
        if persona in ENTITLED:
            continue
        for surface, text in web_surfaces(world, who).items():
            found = leaked(text) | {link for link in world.cases.links if link in text}
            if found:
                leaks[f"{persona} · {surface}"] = found
    assert leaks == {}


def test_files_and_alert_texts_never_show_a_denouncer(world: World) -> None:
    leaks = {}
    for surface, text in outside_surfaces(world).items():
        found = leaked(text) | {link for link in world.cases.links if link in text}
        if found:
            leaks[surface] = found
    assert leaks == {}


def test_the_leader_and_the_assigned_officer_see_who_denounced_where_they_work(
    world: World,
) -> None:
    for persona in ENTITLED:
        shown = web_surfaces(world, world.personas()[persona])
        assert set(NAMES) <= leaked(shown["queue card"]), persona
        neighbour = shown[f"thread context of #{world.cases.visitor_neighbour}"]
        assert VISITOR in leaked(neighbour), persona
        context = shown[f"thread context of #{world.cases.own_reply}"]
        assert DENOUNCER in leaked(context), persona
        assert MESSENGER in leaked(shown[f"thread context of #{world.cases.greeting}"]), persona


def test_an_edit_that_looks_harmless_keeps_the_denunciation_confidential(world: World) -> None:
    item = world.session.get(Item, world.cases.edited)
    assert item is not None
    assert item.text == "Mong xã xem lại giúp ạ" and item.confidential
    assert not may_open(world.personas()["officer_unassigned"], item)
    (entry,) = world.session.scalars(
        select(AuditEntry).where(
            AuditEntry.item_id == item.id, AuditEntry.action == "labels_reclassified"
        )
    )
    before, after = json.loads(entry.before or "{}"), json.loads(entry.after or "{}")
    assert (before["category"], after["category"]) == ("to_cao", item.category)
    assert before["confidential"] and after["confidential"] and entry.user_id is None


def test_only_a_leader_lifts_confidentiality_and_it_is_audited(world: World) -> None:
    item = world.session.get(Item, world.cases.denunciation)
    assert item is not None
    for user_id in (world.people.officer_a, world.people.leader_a):
        review_labels(
            world.session,
            item,
            category="phan_anh",
            urgent=False,
            field="hanh_chinh",
            user_id=user_id,
            now=NOW,
            policy=policy(),
        )
        assert item.confidential == (user_id == world.people.officer_a)
    entries = world.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.item_id == item.id, AuditEntry.action.like("labels_%"))
        .order_by(AuditEntry.id)
    ).all()
    lifted = [e for e in entries if json.loads(e.before or "{}").get("confidential")]
    assert [json.loads(e.after or "{}")["confidential"] for e in lifted] == [True, False]
    assert lifted[-1].user_id == world.people.leader_a


def test_the_export_leaves_out_the_text_identity_and_the_link_of_every_shielded_row(
    world: World,
) -> None:
    rows = shielded_rows_of_export(world)
    assert len(rows) == 7
    for row in rows:
        assert row["permalink"] is None and row["author_id"] is None
        assert row["external_id"] is None  # facebook.com/<comment id> opens the comment
        assert not leaked(json.dumps(row, ensure_ascii=False))


# ------------------------------------------------------------------------- the reply guard


def public_reply(world: World, item_id: int, text: str) -> None:
    item = world.session.get(Item, item_id)
    assert item is not None
    create_reply(world.session, item, "public_comment", text, world.people.officer_a, NOW)


@pytest.mark.parametrize(
    "text",
    [
        f"Cảm ơn anh {DENOUNCER} đã phản ánh",
        "Cảm ơn anh Nguyễn  Văn   Hùng đã phản ánh",  # double spaces
        unicodedata.normalize("NFD", f"Cảm ơn anh {DENOUNCER}"),  # what Vietnamese keyboards send
        "Cam on anh nguyen van hung",  # typed without diacritics
        "Xã sẽ gọi lại số 0912.345.678",
        "Xã sẽ gọi lại số +84 912 345 678",
    ],
)
def test_a_public_reply_naming_the_denouncer_is_refused_however_it_is_written(
    world: World, text: str
) -> None:
    with pytest.raises(ReplyRefusedError, match="Điều 8"):
        public_reply(world, world.cases.denunciation, text)


@pytest.mark.parametrize("where", ["own_reply", "bystander"])
def test_a_public_reply_on_another_comment_of_the_thread_may_not_name_the_denouncer(
    world: World, where: str
) -> None:
    with pytest.raises(ReplyRefusedError, match="Điều 8"):
        public_reply(world, getattr(world.cases, where), f"Chào anh {DENOUNCER}")


def test_a_public_reply_that_names_nobody_is_queued(world: World) -> None:
    public_reply(world, world.cases.denunciation, "Xã đã tiếp nhận và đang xác minh.")
    public_reply(world, world.cases.bystander, "Chào anh Khoa, xã đã ghi nhận.")


# ------------------------------------------------------------------ spreadsheet formulas

FORMULAS = ('=HYPERLINK("http://x","bấm")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1")


def test_no_export_or_report_cell_can_become_a_formula(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        populate(session)
        for n, text in enumerate(FORMULAS):
            add_item(session, text, external_id=f"f{n}", author_name=text)
        report = build_report(session, month_of(NOW.date()), NOW + timedelta(days=60), "a")
        rows = list(export_rows(session))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS)
    writer.writerows(rows)
    exported = [cell for row in csv.reader(io.StringIO(out.getvalue())) for cell in row]
    sheet = io.StringIO()
    write_csv(report, sheet)
    reported = [cell for row in csv.reader(io.StringIO(sheet.getvalue())) for cell in row]
    dangerous = ("=", "+", "-", "@", "\t", "\r")
    assert [c for c in exported if c.startswith(dangerous)] == []
    assert [c for c in reported if c.startswith(dangerous)] == []
    book = io.BytesIO()
    write_xlsx(report, book)
    cells = [
        cell
        for ws in load_workbook(io.BytesIO(book.getvalue())).worksheets
        for row in ws.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value.startswith(dangerous)
    ]
    assert cells, "the report lists the items whose texts look like formulas"
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)


# --------------------------------------------------------------------- what masking removes


@pytest.mark.parametrize(
    ("text", "gone", "kept"),
    [
        ("Tôi là Nguyễn Văn Hùng, tố cáo", ["Nguyễn Văn Hùng"], ["tố cáo"]),
        ("toi la nguyen van hung, to cao", ["nguyen van hung"], ["to cao"]),
        ("Họ tên: Trần Thị Bình. Nhà số 5", ["Trần Thị Bình", "số 5"], []),
        ("Nhà tôi ở số 12 ngõ 34 ngách 5 đường Lê Lợi", ["12", "34", "Lê Lợi"], ["Nhà tôi ở"]),
        ("CCCD 001234567890, CMND 123456789", ["001234567890", "123456789"], ["CCCD"]),
        ("Gọi em 0912 345 678 hoặc +84 987654321", ["345 678", "987654321"], ["Gọi em"]),
        ("Việc này còn là vấn đề, đòi 500.000.000 đồng", [], ["vấn đề", "500.000.000"]),
    ],
)
def test_a_shielded_text_loses_names_numbers_and_house_addresses_but_not_its_matter(
    text: str, gone: list[str], kept: list[str]
) -> None:
    masked = mask_identity(text)
    assert [g for g in gone if g in masked] == []
    assert [k for k in kept if k not in masked] == []
