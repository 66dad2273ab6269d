"""The queue officers keep open all day, through Flask's test client: filters and saved
filters, bulk actions, small talk, the live poll, canned replies, and one voice on every page."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from storage.ingest import ingest
from storage.records import ItemRecord
from storage.replies import create_reply, mark_failed
from storage.review_queue import change_status
from storage.tables import AuditEntry, CannedReply, Item, Page, SavedFilter
from tests.review.personas import Pred, Visitor, World, add_item, item, make_policy

SignIn = Callable[[str], Visitor]


def chat_classifier(texts: Sequence[str]) -> list[Pred]:
    return [
        Pred("khac", False, "khac", 0.95)
        if t.lower().startswith(("vâng", "đồng ý", "cảm ơn"))
        else Pred("phan_anh", False, "ha_tang_moi_truong", 0.9)
        for t in texts
    ]


_serial = iter(range(1, 10**6))


def small_talk(world: World, *texts: str, unit: str = "a") -> list[int]:
    policy = replace(make_policy(), classify=chat_classifier, small_talk_confidence=0.8)
    records = []
    for text in texts:
        n = next(_serial)
        records.append(
            ItemRecord(
                source="facebook_comment",
                external_id=f"chat_{unit}_{n}",
                unit_id=unit,
                created_time=world.now() - timedelta(minutes=n % 20),
                text=text,
                author_id=f"c{n}",
                author_name=f"Bạn đọc {n}",
            )
        )
    with world.sessions.begin() as session:
        return ingest(session, records, now=world.now(), policy=policy).inserted


def row_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li class="row[^"]*" data-id="(\d+)"', page)]


def test_the_filters_narrow_the_queue_and_a_saved_filter_brings_them_back(
    world: World, signed_in: SignIn
) -> None:
    fire = add_item(world.sessions, world.now(), "Cháy rơm cạnh trường")
    question = add_item(world.sessions, world.now(), "Làm căn cước ở đâu?")
    officer = signed_in("officer.a")
    assert set(row_ids(officer.text("/queue/all"))) == {fire, question}
    urgent_only = officer.text("/queue/all?urgent=yes")
    assert row_ids(urgent_only) == [fire]
    assert 'value="yes" selected' in urgent_only
    assert row_ids(officer.text("/queue/all?category=hoi_dap&reply=no")) == [question]
    saved = officer.post(
        "/queue/filters", {"name": "Khẩn", "view": "all", "query": "urgent=yes&evil=1"}
    )
    assert saved.status_code == 302 and "urgent=yes" in saved.headers["Location"]
    page = officer.text("/queue/triage")
    assert "Khẩn</a>" in page and "/queue/all?urgent=yes" in page
    with world.sessions.begin() as session:
        (kept,) = session.scalars(select(SavedFilter)).all()
        assert kept.params == '{"urgent": "yes"}'
        kept_id = kept.id
    other = signed_in("officer.b")
    other.post(f"/queue/filters/{kept_id}/delete", {"next": "/queue/triage"})
    assert "Khẩn</a>" in officer.text("/queue/triage")
    officer.post(f"/queue/filters/{kept_id}/delete", {"next": "/queue/triage"})
    assert "Khẩn</a>" not in officer.text("/queue/triage")


def test_a_bad_date_in_the_filters_is_told_in_words_and_ignored(
    world: World, signed_in: SignIn
) -> None:
    add_item(world.sessions, world.now(), "Đèn đường hỏng")
    page = signed_in("officer.a").text("/queue/all?received_from=hôm-qua")
    assert "Ngày không hợp lệ" in page and "Not a valid" not in page
    assert len(row_ids(page)) == 1


def test_small_talk_waits_apart_and_twenty_are_closed_in_one_sweep(
    world: World, signed_in: SignIn
) -> None:
    chats = small_talk(world, *[f"Vâng ạ {n}" for n in range(20)])
    report = add_item(world.sessions, world.now(), "Ống nước vỡ ở ngõ 4")
    officer = signed_in("officer.a")
    triage = officer.text("/queue/triage")
    assert row_ids(triage) == [report]
    assert 'data-count-of="small_talk">20<' in triage
    aside = officer.text("/queue/small_talk")
    assert sorted(row_ids(aside)) == sorted(chats)
    assert "Máy đã xếp riêng 20 mục" in aside
    shown = ",".join(str(i) for i in chats)
    swept = officer.post(
        "/queue/bulk",
        {"action": "close", "sweep": "1", "shown": shown, "next": "/queue/small_talk"},
    )
    assert swept.status_code == 302 and swept.headers["Location"] == "/queue/small_talk"
    after = officer.text("/queue/small_talk")
    assert "Đã làm xong với 20 mục." in after and row_ids(after) == []
    assert all(item(world.sessions, i).status == "not_actionable" for i in chats)
    with world.sessions.begin() as session:
        closed = session.scalars(
            select(AuditEntry.item_id).where(
                AuditEntry.action == "status", AuditEntry.user_id == world.people.officer_a
            )
        ).all()
    assert sorted(closed) == sorted(chats)


def test_an_item_pulled_back_from_small_talk_gets_a_deadline(
    world: World, signed_in: SignIn
) -> None:
    (chat,) = small_talk(world, "Vâng ạ, nhưng cống thôn 2 vẫn tắc")
    officer = signed_in("officer.a")
    page = officer.text(f"/items/{chat}")
    assert "Không cần xử lý" in page and "Đưa lại vào hàng đợi" in page
    officer.post("/queue/bulk", {"action": "pull_back", "ids": str(chat), "next": f"/items/{chat}"})
    back = item(world.sessions, chat)
    assert not back.set_aside and back.due_at is not None
    assert chat in row_ids(officer.text("/queue/triage"))
    assert "đưa lại vào hàng đợi 1 mục" in officer.text("/queue/small_talk")


def test_bulk_refusals_are_named_in_the_users_language(world: World, signed_in: SignIn) -> None:
    mine = add_item(world.sessions, world.now(), "Mất nước tổ 3")
    theirs = add_item(world.sessions, world.now(), "Mất nước phường B", unit="b")
    with world.sessions.begin() as session:
        found = session.get(Item, mine)
        assert found is not None
        change_status(session, found, "acknowledged", world.people.officer_a, world.now())
    officer = signed_in("officer.a")
    data = {"action": "status", "status": "answered", "ids": [str(mine), str(theirs)]}
    page = officer.client.post(
        "/queue/bulk", data={**data, "csrf_token": officer.token("/hotline")}, follow_redirects=True
    ).get_data(as_text=True)
    assert f"Mục #{mine} giữ nguyên: không chuyển được từ “Đã tiếp nhận” sang “Đã trả lời”" in page
    assert f"Mục #{theirs} giữ nguyên: bạn không mở được mục này" in page
    assert "acknowledged" not in visible(page)
    officer.text("/queue/triage?lang=en")
    page = officer.client.post(
        "/queue/bulk", data={**data, "csrf_token": officer.token("/hotline")}, follow_redirects=True
    ).get_data(as_text=True)
    assert f"Item #{mine} left as it was: cannot move from" in page
    refused = officer.client.post(
        "/queue/bulk",
        data={
            "action": "assign",
            "assignee": "1",
            "ids": str(mine),
            "csrf_token": officer.token("/hotline"),
        },
        headers={"Accept": "application/json"},
    ).get_json()
    assert refused["error"] == "Only leaders assign work to others; officers use “Take”."


def test_the_live_poll_tells_counts_urgent_items_and_my_failed_replies(
    world: World, signed_in: SignIn
) -> None:
    officer = signed_in("officer.a")
    first = officer.client.get("/live/changes").get_json()
    assert first["counts"]["triage"] == 0 and first["urgent"] == [] and not first["changed"]
    assert first["poll_seconds"] == 10
    fire = add_item(world.sessions, world.now(), "Cháy nhà ở thôn 5, đang lan")
    add_item(world.sessions, world.now(), "Cán bộ xã đòi tiền", author_name="Trần Thị Bình")
    news = officer.client.get(f"/live/changes?since={first['cursor']}").get_json()
    assert news["changed"] and news["counts"]["triage"] == 2
    assert [u["id"] for u in news["urgent"]] == [fire]
    assert news["urgent"][0]["title"] == f"Mục khẩn #{fire}"
    assert "đang lan" in news["urgent"][0]["body"]
    with world.sessions.begin() as session:
        found = session.get(Item, fire)
        assert found is not None
        reply = create_reply(
            session, found, "public_comment", "Đã báo PCCC", world.people.officer_a, world.now()
        )
        mark_failed(session, reply, "Mã truy cập của trang đã hết hiệu lực.", world.now())
    failed = officer.client.get(f"/live/changes?since={news['cursor']}").get_json()
    assert [r["title"] for r in failed["replies"]] == [f"Trả lời mục #{fire} chưa gửi được"]
    assert failed["replies"][0]["body"] == "Mã truy cập của trang đã hết hiệu lực."
    assert (
        signed_in("leader.a")
        .client.get(f"/live/changes?since={news['cursor']}")
        .get_json()["replies"]
        == []
    )
    listed = officer.text("/queue/all")
    assert "Trả lời lỗi" in listed and "row-reply-problem" in listed


def test_a_notification_never_carries_a_denouncers_words(world: World, signed_in: SignIn) -> None:
    sender = {"author_name": "Trần Thị Bình", "author_id": "9bình", "thread_id": "post_7"}
    add_item(world.sessions, world.now(), "Tôi là Trần Thị Bình, cán bộ đòi tiền", **sender)
    add_item(world.sessions, world.now(), "Cháy kho cạnh nhà Trần Thị Bình rồi", **sender)
    for who in ("officer.a", "leader.a"):
        urgent = signed_in(who).client.get("/live/changes").get_json()["urgent"]
        assert urgent and "Bình" not in urgent[0]["body"]
        assert urgent[0]["body"] == "Có thông tin cần bảo mật: mở mục để xem."


def test_canned_replies_are_filled_for_the_item_and_stored_on_first_use(
    world: World, signed_in: SignIn
) -> None:
    question = add_item(world.sessions, world.now(), "Cho hỏi VNeID mức 2?", author_name="Lê Hoa")
    officer = signed_in("officer.a")
    found = officer.client.get(f"/items/{question}/canned-replies").get_json()
    titles = [c["title"] for c in found]
    assert any("VNeID" in t for t in titles) and any("Giờ làm việc" in t for t in titles)
    received = next(c for c in found if "chuyển phòng" in c["title"])["text"]
    assert received.startswith("Chào Lê Hoa,") and f"(mã số {question})" in received
    assert "{" not in received
    with world.sessions.begin() as session:
        assert session.scalars(select(CannedReply.unit_id)).all() == ["a"] * len(found)
    page = officer.text(f"/items/{question}")
    assert "Gõ / để chèn câu trả lời mẫu" in page and "canned.js" in page


def test_admins_keep_each_units_canned_replies(world: World, signed_in: SignIn) -> None:
    admin = signed_in("admin")
    first = admin.get("/admin/canned-replies?unit=b")
    assert first.status_code == 302  # the defaults are stored, then shown
    page = admin.text("/admin/canned-replies?unit=b")
    assert "Dịch vụ công trực tuyến" in page
    added = admin.post(
        "/admin/canned-replies/new",
        {"unit": "b", "title": "Lịch tiêm chủng", "body": "Chào {ten_nguoi_dan}, lịch tiêm…"},
    )
    assert added.status_code == 302
    wrong = admin.client.post(
        "/admin/canned-replies/new",
        data={
            "unit": "b",
            "title": "Sai",
            "body": "Chào {ten}",
            "csrf_token": admin.token("/hotline"),
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Không hiểu chỗ điền {ten}" in wrong
    assert "Lịch tiêm chủng" in admin.text("/admin/canned-replies?unit=b")
    admin.get("/admin/canned-replies?unit=a")  # unit a's first visit stores its defaults
    assert "Lịch tiêm chủng" not in admin.text("/admin/canned-replies?unit=a")
    assert signed_in("officer.a").get("/admin/canned-replies").status_code == 403


# ------------------------------------------------------------------------------- one voice
# A code is snake_case (in_triage, to_cao, khan_cap, assignee_id, facebook_comment) or khac;
# placeholders such as {ten_nguoi_dan} are meant to be typed by admins and may show.
_CODE = re.compile(r"(?<![{\w])(?:[a-z]+_[a-z0-9_]+|khac)(?![}\w])")


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("title", "aria-label", "placeholder", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible(page: str) -> str:
    parser = _VisibleText()
    parser.feed(page)
    return " ".join(parser.parts)


def visible_codes(page: str) -> set[str]:
    return set(_CODE.findall(visible(page)))


def test_the_queue_search_and_admin_tables_show_no_internal_code(
    world: World, signed_in: SignIn
) -> None:
    now = world.now()
    with world.sessions.begin() as session:
        session.add(Page(id="1001", unit_id="a", name="UBND Xã A"))
    ids = [
        add_item(world.sessions, now, "Dây điện đứt, đang tóe lửa"),
        add_item(world.sessions, now, "Cho hỏi làm căn cước?", source="facebook_message"),
        add_item(world.sessions, now, "Cán bộ đòi tiền", author_name="Trần Thị Bình"),
        add_item(world.sessions, now, "Ngập ngõ 3", source="hotline", external_id="call-9"),
    ]
    small_talk(world, "Vâng ạ")
    with world.sessions.begin() as session:
        for n, statuses in enumerate((["in_triage"], ["in_triage", "waiting_citizen"])):
            found = session.get(Item, ids[n])
            assert found is not None
            for status in statuses:
                change_status(session, found, status, world.people.leader_a, now)
    leader, admin = signed_in("leader.a"), signed_in("admin")
    pages = [f"/queue/{v}" for v in ("triage", "mine", "due_soon", "overdue", "small_talk")]
    pages += ["/queue/all", "/queue/all?status=in_triage&category=to_cao&source=hotline"]
    pages += ["/search?text=ngõ", "/search?category=phan_anh&status=waiting_citizen"]
    admin_pages = ["/admin/users", "/admin/pages", "/admin/calendar", "/admin/canned-replies"]
    for lang in ("vi", "en"):
        leader.text(f"/queue/triage?lang={lang}")
        admin.text(f"/admin/users?lang={lang}")
        for url in pages:
            assert visible_codes(leader.text(url)) == set(), (lang, url)
        for url in admin_pages:
            response = admin.get(url)
            if response.status_code == 302:
                response = admin.get(response.headers["Location"])
            assert visible_codes(response.get_data(as_text=True)) == set(), (lang, url)


def test_the_audit_table_names_fields_and_rules_in_words(world: World, signed_in: SignIn) -> None:
    question = add_item(world.sessions, world.now(), "Làm căn cước ở đâu?")
    leader = signed_in("leader.a")
    leader.post(f"/items/{question}/assign", {"assignee": str(world.people.officer_a)})
    leader.post(
        f"/items/{question}/labels", {"category": "kien_nghi", "field": "hanh_chinh", "urgent": ""}
    )
    page = leader.text(f"/items/{question}")
    audit = page.split('class="audit"', 1)[1].split("</table>", 1)[0]
    assert "Người xử lý: Cán bộ An" in audit
    assert "Quy tắc thời hạn: Kiến nghị: thời hạn mặc định" in audit
    assert visible_codes(audit) == set()


def test_the_audit_tables_times_are_whole_dates_that_never_wrap(
    world: World, signed_in: SignIn
) -> None:
    question = add_item(world.sessions, world.now(), "Làm căn cước ở đâu?")
    leader = signed_in("leader.a")
    leader.post(f"/items/{question}/assign", {"assignee": str(world.people.officer_a)})
    audit = leader.text(f"/items/{question}").split('class="audit"', 1)[1].split("</table>")[0]
    times = re.findall(r'<td class="when"><time datetime="[^"]+">([^<]*)</time></td>', audit)
    assert times and all(re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", t) for t in times)
    assert '<th class="when">' in audit
    css = leader.text("/static/pakn.css")
    rule = re.search(r"\.audit \.when \{([^}]*)\}", css)
    assert rule is not None and "white-space: nowrap" in rule.group(1)


@pytest.mark.parametrize("view", ["triage", "small_talk", "all"])
def test_the_list_alone_is_served_for_the_live_refresh(
    world: World, signed_in: SignIn, view: str
) -> None:
    add_item(world.sessions, world.now(), "Cháy rơm")
    small_talk(world, "Cảm ơn ad")
    fragment = signed_in("officer.a").text(f"/queue/{view}?partial=1")
    assert "<html" not in fragment and ('class="rows dense"' in fragment or "empty" in fragment)
