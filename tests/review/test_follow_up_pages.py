"""The officers' side of the loop: codes in replies, publishing, transfers, departments."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import select

from storage.tables import Department, Item, Publication, Reply, Transfer
from storage.tracking import code_of
from tests.review.personas import Visitor, World, add_item, item

SignIn = Callable[[str], Visitor]


def replies_of(world: World, item_id: int) -> list[str]:
    with world.sessions.begin() as session:
        return list(
            session.scalars(select(Reply.text).where(Reply.item_id == item_id).order_by(Reply.id))
        )


def departments(world: World, unit: str) -> dict[str, int]:
    with world.sessions.begin() as session:
        rows = session.execute(
            select(Department.name, Department.id).where(Department.unit_id == unit)
        )
        return {name: department_id for name, department_id in rows}


def test_the_first_reply_written_on_the_page_carries_the_tracking_code(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Đèn đường thôn 2 hỏng")
    officer = signed_in("officer.a")
    for text in ("Xã đã tiếp nhận.", "Chiều nay điện lực đến sửa."):
        officer.post(f"/items/{item_id}/replies", {"kind": "public_comment", "text": text})
    with world.sessions.begin() as session:
        code = code_of(session, item_id)
    assert code is not None
    first, second = replies_of(world, item_id)
    assert first.endswith(
        f"Mã theo dõi: {code[:4]}-{code[4:]} — tra cứu tại http://127.0.0.1:8080/tra-cuu/{code}"
    )
    assert "Mã theo dõi" not in second
    assert f"{code[:4]}-{code[4:]}" in officer.text(f"/items/{item_id}")


def test_a_public_reply_to_a_denunciation_goes_without_the_code(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Cán bộ thôn đòi tiền làm sổ")
    leader = signed_in("leader.a")
    leader.post(
        f"/items/{item_id}/replies", {"kind": "public_comment", "text": "Xã sẽ liên hệ riêng."}
    )
    assert replies_of(world, item_id) == ["Xã sẽ liên hệ riêng."]


def test_an_officer_gives_a_caller_a_code_from_the_item_page(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(
        world.sessions,
        world.now(),
        "Đường thôn 3 ngập",
        source="hotline",
        external_id="call-1",
        author_phone="0912000111",
    )
    officer = signed_in("officer.a")
    assert "Cấp mã theo dõi" in officer.text(f"/items/{item_id}")
    response = officer.post(f"/items/{item_id}/tracking-code")
    assert response.status_code == 302
    with world.sessions.begin() as session:
        code = code_of(session, item_id)
    assert code is not None
    page = officer.text(f"/items/{item_id}")
    assert f"Mã theo dõi: {code[:4]}-{code[4:]}" in page  # the flash to read out


def test_an_answer_is_published_and_withdrawn_from_the_item_page(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Rác chưa thu ở chợ thôn 4")
    officer = signed_in("officer.a")
    officer.post(f"/items/{item_id}/replies", {"kind": "public_comment", "text": "Đã thu rác."})
    with world.sessions.begin() as session:
        reply_id = session.scalar(select(Reply.id).where(Reply.item_id == item_id))
    assert officer.post(f"/items/{item_id}/publish", {"reply_id": str(reply_id)}).status_code == 302
    public = world.app.test_client().get("/cong-khai/a").get_data(as_text=True)
    assert "Rác chưa thu ở chợ thôn 4" in public and "Đã thu rác." in public
    assert "Đã công khai lúc" in officer.text(f"/items/{item_id}")
    officer.post(f"/items/{item_id}/unpublish")
    public = world.app.test_client().get("/cong-khai/a").get_data(as_text=True)
    assert "Rác chưa thu" not in public


def test_a_denunciation_cannot_be_published_from_the_item_page(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Cán bộ thôn đòi tiền làm sổ")
    leader = signed_in("leader.a")
    page = leader.text(f"/items/{item_id}")
    assert "Không công khai kết quả của mục có nội dung tố cáo" in page
    assert f"/items/{item_id}/publish" not in page
    response = leader.post(f"/items/{item_id}/publish", {"result": "Đã kỷ luật cán bộ."})
    assert response.status_code == 302
    with world.sessions.begin() as session:
        assert session.get(Publication, item_id) is None


def test_a_transfer_prints_a_slip_and_prefills_the_citizens_notice(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Xe chở đất rơi vãi trên quốc lộ 10")
    officer = signed_in("officer.a")
    page = officer.text(f"/items/{item_id}")
    assert "Hạn chuyển (05 ngày làm việc từ khi nhận)" in page
    response = officer.post(
        f"/items/{item_id}/transfer",
        {"agency": "Sở Xây dựng", "reason": "Quốc lộ do Sở quản lý"},
    )
    assert response.status_code == 302
    assert item(world.sessions, item_id).status == "transferred"
    page = officer.text(f"/items/{item_id}")
    draft = re.search(r'<textarea name="text" rows="5" required>([^<]*)</textarea>', page)
    assert draft and "Sở Xây dựng" in draft.group(1) and "UBND Xã A" in draft.group(1)
    with world.sessions.begin() as session:
        transfer_id = session.scalar(select(Transfer.id).where(Transfer.item_id == item_id))
    slip = officer.text(f"/items/{item_id}/transfers/{transfer_id}/slip")
    assert "Phiếu chuyển" in slip and "Kính gửi: <strong>Sở Xây dựng</strong>" in slip
    assert "Xe chở đất rơi vãi trên quốc lộ 10" in slip and "Người dân số" in slip
    assert "Điều 24 khoản 2" in slip and "slip.css" in slip and 'class="mainnav"' not in slip
    other = signed_in("officer.b")
    assert other.get(f"/items/{item_id}/transfers/{transfer_id}/slip").status_code == 404


def test_the_slip_of_a_denunciation_leaves_the_denouncer_off_the_paper(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(
        world.sessions, world.now(), "Tôi là Lê Hạnh, cán bộ thôn đòi tiền", author_name="Lê Hạnh"
    )
    leader = signed_in("leader.a")
    leader.post(f"/items/{item_id}/transfer", {"agency": "Thanh tra TP", "reason": "Tố cáo"})
    with world.sessions.begin() as session:
        transfer_id = session.scalar(select(Transfer.id).where(Transfer.item_id == item_id))
    slip = leader.text(f"/items/{item_id}/transfers/{transfer_id}/slip")
    assert "Lê Hạnh" not in slip and "được bảo mật" in slip


def test_a_leader_picks_the_department_from_the_units_list_only(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Mất sóng 4G ở thôn 3")
    add_item(world.sessions, world.now(), "Mất sóng 4G ở khu 2", unit="b")
    ours, theirs = departments(world, "a"), departments(world, "b")
    leader = signed_in("leader.a")
    page = leader.text(f"/items/{item_id}")
    assert '<select name="department">' in page and 'list="departments"' not in page
    police = ours["Công an xã/phường"]
    leader.post(f"/items/{item_id}/assign", {"department": str(police), "assignee": ""})
    stored = item(world.sessions, item_id)
    assert (stored.department, stored.department_id) == ("Công an xã/phường", police)
    refused = leader.post(
        f"/items/{item_id}/assign",
        {"department": str(theirs["Công an xã/phường"]), "assignee": ""},
        follow_redirects=True,
    )
    assert "không có trong danh sách" in refused.get_data(as_text=True)
    typed = leader.post(f"/items/{item_id}/assign", {"department": "Văn phòng", "assignee": ""})
    assert typed.status_code == 302
    assert item(world.sessions, item_id).department_id == police


def test_admins_keep_the_department_lists_and_items_follow_a_rename(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Mất sóng 4G ở thôn 3")
    assert signed_in("leader.a").get("/admin/departments").status_code == 403
    admin = signed_in("admin")
    page = admin.text("/admin/departments")
    assert "Phòng Văn hóa - Xã hội" in page and "Xã A" in page and "Phường B" in page
    added = admin.post(
        "/admin/departments",
        {"unit": "b", "name": "Phòng Kinh tế, Hạ tầng và Đô thị", "fields": "ha_tang_moi_truong"},
    )
    assert added.status_code == 302
    assert "Phòng Kinh tế, Hạ tầng và Đô thị" in departments(world, "b")
    again = admin.post(
        "/admin/departments", {"unit": "b", "name": "Phòng Kinh tế, Hạ tầng và Đô thị"}
    )
    assert again.status_code == 400 and "đã có" in again.get_data(as_text=True)
    culture = departments(world, "a")["Phòng Văn hóa - Xã hội"]
    admin.post(
        f"/admin/departments/{culture}",
        {"unit": "a", "name": "Phòng VH-XH", "fields": ["khcn_cds"], "active": "y"},
    )
    assert item(world.sessions, item_id).department == "Phòng VH-XH"
    new_id = add_item(world.sessions, world.now(), "Wifi nhà văn hoá chập chờn")
    assert item(world.sessions, new_id).department == "Phòng VH-XH"
    with world.sessions.begin() as session:
        assert session.scalar(select(Item.department_id).where(Item.id == new_id)) == culture
