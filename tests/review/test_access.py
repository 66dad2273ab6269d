"""Who can see and do what: officers of A and B, the leader of A, the admin."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from review.context import add_leader_nav
from storage.tables import AuditEntry
from tests.review.personas import MASK, Visitor, World, add_item

SignIn = Callable[[str], Visitor]


def audit_actions(world: World, item_id: int) -> list[tuple[str, int | None]]:
    with world.sessions.begin() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.user_id)
            .where(AuditEntry.item_id == item_id)
            .order_by(AuditEntry.id)
        )
        return [(action, user_id) for action, user_id in rows]


def test_every_page_but_the_login_requires_signing_in(world: World) -> None:
    client = world.app.test_client()
    for url in ("/", "/queue/all", "/search?text=a", "/items/1", "/hotline", "/admin/users"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login"), url
    assert client.get("/login").status_code == 200


def test_officers_see_only_the_items_of_their_own_unit(world: World, signed_in: SignIn) -> None:
    in_a = add_item(world.sessions, world.now(), "Mất sóng 4G ở thôn Lương Xá")
    in_b = add_item(world.sessions, world.now(), "Đèn đường phố Hoà Bình tắt", unit="b")
    officer_a, officer_b = signed_in("officer.a"), signed_in("officer.b")
    page_a, page_b = officer_a.text("/queue/all"), officer_b.text("/queue/all")
    assert "Lương Xá" in page_a and "Hoà Bình" not in page_a
    assert "Hoà Bình" in page_b and "Lương Xá" not in page_b
    assert officer_a.get(f"/items/{in_b}").status_code == 404
    assert officer_b.get(f"/items/{in_a}").status_code == 404
    assert officer_a.post(f"/items/{in_b}/notes", {"text": "x"}).status_code == 404


def test_the_admin_sees_every_unit(world: World, signed_in: SignIn) -> None:
    add_item(world.sessions, world.now(), "Mất sóng 4G ở thôn Lương Xá")
    add_item(world.sessions, world.now(), "Đèn đường phố Hoà Bình tắt", unit="b")
    page = signed_in("admin").text("/queue/all")
    assert "Lương Xá" in page and "Hoà Bình" in page


def test_a_denunciation_is_listed_masked_and_cannot_be_opened_by_an_officer(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(
        world.sessions,
        world.now(),
        "Tôi là Trần Thị Bình, cán bộ một cửa đòi 300k phí làm nhanh",
        author_name="Trần Thị Bình",
        author_phone="0912345678",
    )
    officer = signed_in("officer.a")
    listing = officer.text("/queue/all")
    assert MASK in listing and "300k" in listing
    assert "Trần Thị Bình" not in listing and "0912345678" not in listing
    assert f'href="/items/{item_id}"' not in listing
    assert officer.get(f"/items/{item_id}").status_code == 403
    assert officer.post(f"/items/{item_id}/notes", {"text": "x"}).status_code == 403
    assert ("view_confidential_denied", world.people.officer_a) in audit_actions(world, item_id)


def test_the_admin_also_sees_a_denunciation_masked(world: World, signed_in: SignIn) -> None:
    item_id = add_item(world.sessions, world.now(), "Cán bộ thôn đòi tiền", author_name="Lê Hạnh")
    admin = signed_in("admin")
    assert "Lê Hạnh" not in admin.text("/queue/all")
    assert admin.get(f"/items/{item_id}").status_code == 403


def test_every_view_of_a_denunciation_by_a_leader_is_audited(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Cán bộ thôn đòi tiền", author_name="Lê Hạnh")
    leader = signed_in("leader.a")
    assert "Lê Hạnh" in leader.text("/queue/all")
    page = leader.text(f"/items/{item_id}")
    assert "Lê Hạnh" in page and "Luật Tố cáo 2018" in page
    leader.text(f"/items/{item_id}")
    views = [a for a in audit_actions(world, item_id) if a[0] == "view_confidential"]
    assert views == [("view_confidential", world.people.leader_a)] * 2


def test_the_officer_a_leader_assigns_can_then_open_the_denunciation(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Cán bộ thôn đòi tiền", author_name="Lê Hạnh")
    leader, officer = signed_in("leader.a"), signed_in("officer.a")
    response = leader.post(
        f"/items/{item_id}/assign",
        {"assignee": str(world.people.officer_a)},
    )
    assert response.status_code == 302
    page = officer.text(f"/items/{item_id}")
    assert "Lê Hạnh" in page
    assert ("view_confidential", world.people.officer_a) in audit_actions(world, item_id)


def test_an_officer_may_take_an_item_but_not_give_it_to_someone_else(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Mất sóng 4G")
    officer = signed_in("officer.a")
    refused = officer.post(f"/items/{item_id}/assign", {"assignee": str(world.people.leader_a)})
    assert refused.status_code == 403
    taken = officer.post(f"/items/{item_id}/assign", {"assignee": str(world.people.officer_a)})
    assert taken.status_code == 302
    assert "Mất sóng 4G" in officer.text("/queue/mine")


@pytest.mark.parametrize("url", ["/admin/users", "/admin/calendar", "/admin/pages"])
def test_only_admins_reach_the_administration_pages(
    world: World, signed_in: SignIn, url: str
) -> None:
    assert signed_in("officer.a").get(url).status_code == 403
    assert signed_in("leader.a").get(url).status_code == 403
    assert signed_in("admin").get(url).status_code == 200


def test_links_added_for_leaders_show_to_leaders_and_admins_only(
    world: World, signed_in: SignIn
) -> None:
    add_leader_nav(world.app, "queue.find", vi="Bảng tổng hợp thử", en="Trial board")
    assert "Bảng tổng hợp thử" in signed_in("leader.a").text("/queue/all")
    assert "Bảng tổng hợp thử" in signed_in("admin").text("/queue/all")
    assert "Bảng tổng hợp thử" not in signed_in("officer.a").text("/queue/all")


def test_searching_by_author_does_not_reveal_who_denounced(world: World, signed_in: SignIn) -> None:
    add_item(world.sessions, world.now(), "Cán bộ thôn đòi tiền", author_name="Phạm Quang Vinh")
    officer, leader = signed_in("officer.a"), signed_in("leader.a")
    assert "đòi tiền" not in officer.text("/search?author=Quang+Vinh")
    assert "đòi tiền" in leader.text("/search?author=Quang+Vinh")


def test_a_plain_message_next_to_a_denunciation_in_messenger_hides_its_sender(
    world: World, signed_in: SignIn
) -> None:
    fields = {
        "source": "facebook_message",
        "thread_id": "t_42",
        "parent_id": "t_42",
        "author_id": "4242",
        "author_name": "Hoàng Thị Mai",
    }
    greeting = add_item(world.sessions, world.now(), "Chào xã, em muốn báo một việc", **fields)
    add_item(world.sessions, world.now(), "Trưởng thôn đòi tiền hỗ trợ lũ", **fields)
    officer_page = signed_in("officer.a").text(f"/items/{greeting}")
    assert "Hoàng Thị Mai" not in officer_page and "4242" not in officer_page
    leader_page = signed_in("leader.a").text(f"/items/{greeting}")
    assert "Hoàng Thị Mai" in leader_page
    assert audit_actions(world, greeting).count(("view_confidential", world.people.leader_a)) == 1


def test_an_officer_opening_a_leaders_page_is_told_whom_it_is_for_not_about_denunciations(
    world: World, signed_in: SignIn
) -> None:
    response = signed_in("officer.a").get("/reports/")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Trang này dành cho vai trò: Lãnh đạo, Quản trị" in page
    assert "tố cáo" not in page
