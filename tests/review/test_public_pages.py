"""The citizens' pages: no sign-in, nothing of the sender, one rating, slow guessing."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from review.app import PUBLIC_ENDPOINTS
from review.public_views import ENDPOINTS, throttle
from storage.publication import publish_reply, publish_result
from storage.replies import create_reply, mark_sent
from storage.tables import Item, Rating
from storage.tracking import ALPHABET, issue, shown
from storage.workdays import VIETNAM_TZ
from tests.clock import Clock
from tests.review.personas import Visitor, World, add_item, item

SignIn = Callable[[str], Visitor]
URL = "http://127.0.0.1:8080"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
NAME, PHONE, PROFILE = "Nguyễn Văn Hùng", "0912 345 678", "Hùng Nguyễn Official"
# One citizen text per category of the keyword classifier (tests.review.personas).
TEXTS = {
    "phan_anh": f"Tôi là {NAME}, nhà số 12 ngõ 5 đường Lê Lợi, sđt {PHONE}. Mất sóng 4G.",
    "hoi_dap": f"Tôi là {NAME} ({PHONE}), nhà số 12 ngõ 5 đường Lê Lợi, hỏi làm căn cước ở đâu?",
    "phan_anh_khan": f"Tôi là {NAME}, số 12 ngõ 5 đường Lê Lợi, {PHONE}: dây điện đứt tóe lửa",
    "to_cao": f"Tôi là {NAME}, nhà số 12 ngõ 5 đường Lê Lợi, {PHONE}: cán bộ đòi 2 triệu",
}
SECRETS = (NAME, PHONE, "0912345678", PROFILE, "12 ngõ 5", "facebook.com")


def answered_with_code(world: World, text: str, *, publish: bool = True) -> tuple[int, str]:
    """An item answered by a sent private reply, with its code (and published if allowed)."""
    item_id = add_item(world.sessions, world.now(), text, author_name=PROFILE)
    with world.sessions.begin() as session:
        found = session.get(Item, item_id)
        assert found is not None
        reply = create_reply(
            session,
            found,
            "private_reply",
            f"Chào {NAME}, xã đã cử người đến số 12 ngõ 5 kiểm tra, gọi lại {PHONE}.",
            world.people.leader_a,
            world.now(),
            tracking_url=URL,
        )
        mark_sent(session, reply, "m_1", world.now())
        if publish and found.category != "to_cao":
            publish_reply(session, found, reply.id, world.people.leader_a, world.now())
        return item_id, issue(session, found, world.now()).code


def rate(client: FlaskClient, code: str, satisfied: str, reason: str = "") -> int:
    page = client.get(f"/tra-cuu/{code}").get_data(as_text=True)
    found = _TOKEN.search(page)
    assert found, "the rating form has no CSRF token"
    data = {"csrf_token": found.group(1), "satisfied": satisfied, "reason": reason}
    return client.post(f"/tra-cuu/{code}/danh-gia", data=data).status_code


def test_every_citizens_page_is_open_without_sign_in(world: World) -> None:
    assert ENDPOINTS <= PUBLIC_ENDPOINTS
    public = {
        r.endpoint for r in world.app.url_map.iter_rules() if r.endpoint.startswith("public.")
    }
    assert public == ENDPOINTS
    client = world.app.test_client()
    for url in ("/tra-cuu", "/cong-khai", "/cong-khai/a"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'class="mainnav"' in response.get_data(as_text=True)
        assert "/queue" not in response.get_data(as_text=True)  # no officers' menu


def test_the_status_page_shows_the_case_and_its_published_answer_without_the_sender(
    world: World,
) -> None:
    item_id, code = answered_with_code(world, TEXTS["phan_anh"])
    client = world.app.test_client()
    typed = client.get(f"/tra-cuu?ma={code[:4].lower()}-{code[4:].lower()}")
    assert typed.status_code == 302 and typed.headers["Location"].endswith(f"/tra-cuu/{code}")
    page = client.get(f"/tra-cuu/{code}").get_data(as_text=True)
    assert f"{code[:4]}-{code[4:]}" in page and "Đã có câu trả lời" in page
    assert "Xã A" in page and "Phòng Văn hóa - Xã hội" in page
    assert "Mất sóng 4G" in page and "xã đã cử người đến" in page  # published, masked
    for secret in SECRETS:
        assert secret not in page, secret
    assert f"#{item_id}" not in page and f"/items/{item_id}" not in page


@pytest.mark.parametrize("kind", sorted(TEXTS))
def test_no_identity_reaches_the_status_page_or_the_public_list_for_any_category(
    world: World, kind: str
) -> None:
    _item_id, code = answered_with_code(world, TEXTS[kind])
    client = world.app.test_client()
    pages: list[str] = [
        client.get(f"/tra-cuu/{code}").get_data(as_text=True),
        client.get("/cong-khai/a").get_data(as_text=True),
    ]
    for page in pages:
        for secret in SECRETS:
            assert secret not in page, (kind, secret)
    # The code went to the citizen privately; the public list must not hand it out.
    assert code not in pages[1] and shown(code) not in pages[1]
    if kind == "to_cao":
        assert "cán bộ đòi" not in pages[0] and "cán bộ đòi" not in pages[1]
        assert "Tố cáo" not in pages[0]


def test_a_denunciation_is_never_listed_even_if_published_behind_the_policys_back(
    world: World,
) -> None:
    item_id, _code = answered_with_code(world, TEXTS["phan_anh"])
    with world.sessions.begin() as session:
        found = session.get(Item, item_id)
        assert found is not None
        publish_result(session, found, "Nhà mạng đã lắp thêm trạm.", None, world.now())
        found.category, found.confidential = "to_cao", True  # relabelled after publication
    page = world.app.test_client().get("/cong-khai/a").get_data(as_text=True)
    assert "Nhà mạng đã lắp thêm trạm" not in page and "Mất sóng 4G" not in page
    assert "Chưa có kết quả nào được công khai" in page


def test_the_citizen_rates_once_and_chua_hai_long_reopens_the_item(world: World) -> None:
    item_id, code = answered_with_code(world, TEXTS["phan_anh"])
    citizen = world.app.test_client()
    assert rate(citizen, code, "no", "Vẫn mất sóng") == 302
    page = citizen.get(f"/tra-cuu/{code}").get_data(as_text=True)
    assert "mở lại để lãnh đạo xem xét" in page and 'name="satisfied"' not in page
    stored = item(world.sessions, item_id)
    assert stored.status == "reopened" and "unsatisfied" in (stored.flag_reasons or "")
    other = world.app.test_client()  # another browser, no cookie in common
    page = other.get(f"/tra-cuu/{code}").get_data(as_text=True)
    assert 'name="satisfied"' not in page
    with world.sessions.begin() as session:
        rating = session.get(Rating, item_id)
        assert rating is not None and (rating.satisfied, rating.reason) == (False, "Vẫn mất sóng")


def test_a_second_rating_from_a_stale_page_is_refused(world: World) -> None:
    item_id, code = answered_with_code(world, TEXTS["phan_anh"])
    first, second = world.app.test_client(), world.app.test_client()
    token = _TOKEN.search(second.get(f"/tra-cuu/{code}").get_data(as_text=True))
    assert token
    assert rate(first, code, "yes") == 302
    late = second.post(
        f"/tra-cuu/{code}/danh-gia",
        data={"csrf_token": token.group(1), "satisfied": "no"},
        follow_redirects=True,
    )
    assert "chỉ đánh giá một lần" in late.get_data(as_text=True)
    assert item(world.sessions, item_id).status == "answered"


def test_a_rating_without_the_forms_token_is_refused(world: World) -> None:
    item_id, code = answered_with_code(world, TEXTS["phan_anh"])
    response = world.app.test_client().post(f"/tra-cuu/{code}/danh-gia", data={"satisfied": "no"})
    assert response.status_code == 400
    assert item(world.sessions, item_id).status == "answered"


def test_guessing_codes_is_slowed_down_per_address(world: World, clock: Clock) -> None:
    _item_id, code = answered_with_code(world, TEXTS["phan_anh"])
    client = world.app.test_client()
    free = throttle(world.app).free
    for n in range(free):
        assert client.get(f"/tra-cuu/ZZZZZZZ{ALPHABET[n]}").status_code == 404
    blocked = client.get(f"/tra-cuu/{code}")  # even a right code waits now
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert "Chờ" in blocked.get_data(as_text=True)
    elsewhere = client.get(f"/tra-cuu/{code}", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert elsewhere.status_code == 200
    clock.advance(minutes=16)
    assert client.get(f"/tra-cuu/{code}").status_code == 200


def test_a_code_that_cannot_be_one_is_explained_and_not_looked_up(world: World) -> None:
    client = world.app.test_client()
    response = client.get("/tra-cuu?ma=0O1I-0O1I")
    assert response.status_code == 400
    assert "không có O, I, 0, 1" in response.get_data(as_text=True)
    with world.sessions.begin() as session:
        assert session.scalars(select(Item)).all() == []


def test_the_public_list_pages_through_a_units_answers(world: World) -> None:
    for n in range(32):
        answered_with_code(world, f"Đèn đường thôn {n} hỏng")
    client = world.app.test_client()
    first = client.get("/cong-khai/a").get_data(as_text=True)
    assert first.count('class="card published-item"') == 30 and "trang=2" in first
    second = client.get("/cong-khai/a?trang=2").get_data(as_text=True)
    assert second.count('class="card published-item"') == 2
    assert client.get("/cong-khai/khong-co").status_code == 404


def test_chua_hai_long_on_the_status_page_gives_a_fresh_deadline_shown_in_the_audit(
    world: World, clock: Clock, signed_in: SignIn
) -> None:
    """Rated on Wednesday 29 April 2026: 30 April and 1 May are holidays, 2–3 May a weekend,
    so the second round's five working days end with Friday 8 May (the web's deadline rules)."""
    item_id, code = answered_with_code(world, TEXTS["phan_anh"])
    first_due = item(world.sessions, item_id).due_at
    clock.now = datetime(2026, 4, 29, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội
    assert rate(world.app.test_client(), code, "no", "Vẫn mất sóng") == 302
    stored = item(world.sessions, item_id)
    assert stored.due_at == datetime(2026, 5, 8, 23, 59, 59, 999999, tzinfo=VIETNAM_TZ)
    assert stored.first_due_at == first_due and stored.reopened_at == clock.now
    page = signed_in("leader.a").text(f"/items/{item_id}")
    row = page.split("Hạn mới khi mở lại do người dân chưa hài lòng", 1)[1].split("</tr>", 1)[0]
    assert "hết ngày 08/05/2026" in row and "Phản ánh: thời hạn mặc định" in row
    assert first_due is not None and f"hết ngày {first_due:%d/%m/%Y}" in row
