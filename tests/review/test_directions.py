"""Report up and get a direction, the meeting summary and hiding a comment, through the web UI
(review/direction_views.py, review/meeting_views.py, review/moderation_views.py)."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import select

from storage.tables import AuditEntry, ModerationRequest, Proposal
from tests.review.personas import Visitor, World, add_item

SignIn = Callable[[str], Visitor]


def proposal_id(response_location: str) -> int:
    found = re.search(r"/directions/(\d+)$", response_location)
    assert found, response_location
    return int(found.group(1))


def propose(officer: Visitor, *items: int, deadline: str = "2026-03-20") -> int:
    response = officer.post(
        "/directions/new",
        {
            "item": [str(i) for i in items],
            "summary": "Thôn Lương Xá mất sóng 4G cả tuần",
            "handling": "Đề nghị làm việc với nhà mạng, báo lịch sửa trạm cho bà con",
            "department": "Phòng Văn hóa - Xã hội",
            "deadline": deadline,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return proposal_id(response.headers["Location"])


def version_of(world: World, found: int) -> str:
    with world.sessions.begin() as s:
        proposal = s.get(Proposal, found)
        assert proposal is not None
        return str(proposal.version)


def test_proposal_direction_answer_with_a_return_on_the_way(
    world: World, signed_in: SignIn
) -> None:
    now = world.now()
    a = add_item(world.sessions, now, "Thôn Lương Xá mất sóng 4G cả tuần nay rồi")
    b = add_item(world.sessions, now, "Lương Xá mất sóng điện thoại, gọi không được")
    admin, officer, leader = signed_in("admin"), signed_in("officer.a"), signed_in("leader.a")
    rules = admin.post("/directions/rules", {"rule": ["a:phan_anh"]})
    assert rules.status_code == 302

    form = officer.text(f"/directions/new?item={a}&item={b}")
    assert "mất sóng 4G cả tuần" in form and "gọi không được" in form
    refused = officer.post(f"/items/{a}/replies", {"kind": "public_comment", "text": "Đã nhận"})
    assert refused.status_code == 422
    assert "chỉ được trả lời sau khi có ý kiến chỉ đạo" in refused.get_data(as_text=True)

    found = propose(officer, a, b)
    waiting = leader.text("/directions/")
    assert f'data-proposal="{found}"' in waiting.split('id="returned"')[0]
    assert officer.post(f"/directions/{found}/decide", {"decision": "approved", "version": "0"}
                        ).status_code == 403  # fmt: skip
    returned = leader.post(
        f"/directions/{found}/decide",
        {"decision": "returned", "direction": "Ghi rõ số hộ bị ảnh hưởng", "version": "0"},
    )
    assert returned.status_code == 302
    page = officer.text(f"/directions/{found}")
    assert "Ghi rõ số hộ bị ảnh hưởng" in page and 'id="revise-form"' in page
    item_page = officer.text(f"/items/{a}")
    assert "Lãnh đạo đã trả lại đề xuất" in item_page and "Ghi rõ số hộ" in item_page

    revised = officer.post(
        f"/directions/{found}/revise",
        {
            "summary": "Thôn Lương Xá (120 hộ) mất sóng 4G cả tuần",
            "handling": "Làm việc với nhà mạng",
            "department": "Phòng Văn hóa - Xã hội",
            "deadline": "2026-03-20",
            "version": version_of(world, found),
        },
    )
    assert revised.status_code == 302
    stale = leader.post(
        f"/directions/{found}/decide", {"decision": "approved", "version": "0"}
    )  # the leader's page was opened before the revision
    assert stale.status_code == 422 and "Tải lại trang" in stale.get_data(as_text=True)
    approved = leader.post(
        f"/directions/{found}/decide",
        {"decision": "approved", "direction": "Đồng ý", "version": version_of(world, found)},
    )
    assert approved.status_code == 302

    answer = {"kind": "public_comment", "text": "Nhà mạng sửa trạm sáng thứ Hai ạ"}
    assert officer.post(f"/items/{a}/replies", answer).status_code == 302
    with world.sessions.begin() as s:
        steps = s.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.item_id == a, AuditEntry.action.in_(
                ("proposal_created", "direction", "proposal_revised", "reply_created")))
            .order_by(AuditEntry.id)
        ).all()  # fmt: skip
    assert steps == [
        "proposal_created",
        "direction",
        "proposal_revised",
        "direction",
        "reply_created",
    ]


def test_proposals_stay_within_their_units_and_only_leaders_decide(
    world: World, signed_in: SignIn
) -> None:
    a = add_item(world.sessions, world.now(), "Đèn đường thôn Đông hỏng")
    other = add_item(world.sessions, world.now(), "Đèn đường tổ 7 hỏng", unit="b")
    officer = signed_in("officer.a")
    found = propose(officer, a)
    assert signed_in("officer.b").get(f"/directions/{found}").status_code == 404
    assert officer.get(f"/directions/new?item={other}").status_code == 404
    assert officer.get("/directions/rules").status_code == 403
    rules = signed_in("leader.a").text("/directions/rules")
    assert 'value="a:phan_anh"' in rules and 'value="b:' not in rules
    bad = officer.post("/directions/new", {"item": [str(a)], "summary": "x", "handling": "y",
                                            "deadline": "31/02/2026"})  # fmt: skip
    assert bad.status_code == 422 and "2026-03-14 hoặc 14/03/2026" in bad.get_data(as_text=True)


def test_the_meeting_summary_groups_similar_reports_and_links_a_proposal_for_the_group(
    world: World, signed_in: SignIn
) -> None:
    now = world.now()
    same = [
        add_item(world.sessions, now, text)
        for text in (
            "Thôn Lương Xá mất sóng 4G cả tuần nay rồi",
            "Lương Xá mất sóng điện thoại từ hôm thứ 2",
            "thon luong xa mat song 3 ngay nay",
        )
    ]
    add_item(world.sessions, now, "Rác ở chợ xã ba ngày không ai thu gom")
    officer = signed_in("officer.a")
    found = propose(officer, same[0])
    page = officer.text("/reports/meeting/?period=month&at=2026-03-02")

    topic = page.split('data-topic-size="3"', 1)[1].split("</section>", 1)[0]
    assert {int(i) for i in re.findall(r'data-item="(\d+)"', topic)} == set(same)
    assert f"Đề xuất #{found}" in topic and "Chờ chỉ đạo" in topic
    link = re.search(r'href="/directions/new\?([^"]+)"', topic)
    assert link and {int(i) for i in re.findall(r"item=(\d+)", link.group(1))} == set(same)
    assert 'data-topic-size="1"' in page and "Rác ở chợ" in page

    printable = officer.get("/reports/meeting/print?period=month&at=2026-03-02&download=1")
    assert printable.status_code == 200
    assert "attachment" in printable.headers["Content-Disposition"]
    assert "script-src" not in printable.headers["Content-Security-Policy"]
    assert "3 mục" in printable.get_data(as_text=True)
    with world.sessions.begin() as s:
        assert s.scalar(select(AuditEntry.id).where(AuditEntry.action == "meeting_download"))


def test_an_officer_asks_to_hide_a_comment_and_the_request_waits_for_the_daemon(
    world: World, signed_in: SignIn
) -> None:
    leaked = add_item(world.sessions, world.now(), "SĐT của chị Hoa là 0912345678 nhé mọi người")
    officer = signed_in("officer.a")
    page = officer.text(f"/items/{leaked}")
    assert 'id="moderation-form"' in page
    missing = officer.post(f"/items/{leaked}/moderation", {"action": "hide", "reason": "other"})
    assert missing.status_code == 302
    asked = officer.post(
        f"/items/{leaked}/moderation",
        {"action": "hide", "reason": "personal_data", "note": "Lộ số điện thoại người khác"},
    )
    assert asked.status_code == 302
    page = officer.text(f"/items/{leaked}")
    assert "Chờ gửi lên Facebook" in page and 'id="moderation-form"' not in page
    with world.sessions.begin() as s:
        (found,) = s.scalars(select(ModerationRequest)).all()
        assert (found.action, found.reason, found.status) == ("hide", "personal_data", "pending")
        assert found.text_kept.startswith("SĐT của chị Hoa")
    cancelled = officer.post(f"/items/{leaked}/moderation/{found.id}/cancel")
    assert cancelled.status_code == 302
    assert 'id="moderation-form"' in officer.text(f"/items/{leaked}")
