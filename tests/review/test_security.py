"""CSRF, login throttling, escaping, cookies and headers."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from review.app import create_app
from storage.tables import Note, User
from storage.users import set_password
from tests.review.personas import PASSWORD, Visitor, World, add_item, make_policy, make_settings

SignIn = Callable[[str], Visitor]


def test_a_form_posted_without_its_csrf_token_is_rejected_and_changes_nothing(
    world: World, signed_in: SignIn
) -> None:
    item_id = add_item(world.sessions, world.now(), "Mất sóng 4G")
    officer = signed_in("officer.a")
    response = officer.client.post(f"/items/{item_id}/notes", data={"text": "giả mạo"})
    assert response.status_code == 400
    assert "Phiên làm việc đã hết hạn" in response.get_data(as_text=True)
    forged = officer.client.post(
        f"/items/{item_id}/notes", data={"text": "giả mạo", "csrf_token": "not-a-token"}
    )
    assert forged.status_code == 400
    with world.sessions.begin() as session:
        assert session.scalars(select(Note)).all() == []


def test_logging_in_needs_a_csrf_token_too(world: World) -> None:
    response = world.app.test_client().post(
        "/login", data={"username": "officer.a", "password": PASSWORD}
    )
    assert response.status_code == 400


def _without_csrf(page: str) -> str:
    """The CSRF token carries a timestamp: two answers a second apart differ only there."""
    return re.sub(r'name="csrf_token"[^>]*value="[^"]*"', 'name="csrf_token"', page)


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(
    world: World, signed_in: SignIn
) -> None:
    visitor = Visitor(world.app)
    answers = set()
    for attempt in range(5):
        # A different address each time: this is the account lock, not the address slow-down.
        response = visitor.login("officer.a", f"sai {attempt}", REMOTE_ADDR=f"10.0.0.{attempt}")
        assert response.status_code == 401
        answers.add(_without_csrf(response.get_data(as_text=True)))
    right = visitor.login("officer.a", PASSWORD, REMOTE_ADDR="10.0.1.1")
    assert right.status_code == 401
    answers.add(_without_csrf(right.get_data(as_text=True)))
    # One answer for a wrong password and a lock: the page cannot tell who exists.
    assert len(answers) == 1
    assert "Sai tên đăng nhập hoặc mật khẩu" in right.get_data(as_text=True)
    assert "tạm khoá 15 phút" in right.get_data(as_text=True)
    world.clock.advance(minutes=16)  # type: ignore[attr-defined]
    assert visitor.login("officer.a", PASSWORD, REMOTE_ADDR="10.0.1.2").status_code == 302


def test_many_failures_from_one_address_slow_it_down_whatever_the_account(
    world: World,
) -> None:
    visitor = Visitor(world.app)
    for n in range(5):
        assert visitor.login(f"ai.do.{n}", "đoán bừa", REMOTE_ADDR="10.9.9.9").status_code == 401
    # The sixth attempt waits: its password is not even checked.
    slowed = visitor.login("officer.a", PASSWORD, REMOTE_ADDR="10.9.9.9")
    assert slowed.status_code == 429 and int(slowed.headers["Retry-After"]) >= 1
    assert visitor.login("officer.a", PASSWORD, REMOTE_ADDR="10.1.1.1").status_code == 302
    world.clock.advance(seconds=int(slowed.headers["Retry-After"]))  # type: ignore[attr-defined]
    assert (
        Visitor(world.app).login("officer.a", PASSWORD, REMOTE_ADDR="10.9.9.9").status_code == 302
    )


def test_a_comment_with_a_script_is_shown_as_text(world: World, signed_in: SignIn) -> None:
    attack = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
    item_id = add_item(world.sessions, world.now(), f"Mất sóng {attack}", author_name=attack)
    officer = signed_in("officer.a")
    for url in ("/queue/all", f"/items/{item_id}", "/search?text=M%E1%BA%A5t"):
        page = officer.text(url)
        assert "<script>alert" not in page and "<img src=x" not in page, url
        assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in page, url


def test_a_permalink_that_is_not_https_is_not_made_a_link(world: World, signed_in: SignIn) -> None:
    item_id = add_item(
        world.sessions, world.now(), "Mất sóng", permalink="javascript:alert(document.cookie)"
    )
    assert "javascript:" not in signed_in("officer.a").text(f"/items/{item_id}")


def test_the_session_cookie_is_http_only_and_same_site_lax(world: World) -> None:
    response = Visitor(world.app).login("officer.a")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_the_session_cookie_is_secure_when_the_settings_say_so(
    tmp_path: Path, world: World
) -> None:
    app = create_app(
        make_settings(str(tmp_path), secure_cookies=True),
        world.sessions,
        policy=make_policy(),
        clock=world.clock,
    )
    response = Visitor(app).login("officer.a")
    assert "Secure" in response.headers["Set-Cookie"]


def test_behind_a_trusted_proxy_throttling_sees_each_persons_own_address(
    tmp_path: Path, world: World
) -> None:
    app = create_app(
        make_settings(str(tmp_path), trusted_proxies=1),
        world.sessions,
        policy=make_policy(),
        clock=world.clock,
    )
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    for n in range(6):
        forwarded = {**proxy, "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
        Visitor(app).login(f"ai.do.{n}", "đoán bừa", **forwarded)
    slowed = Visitor(app).login("officer.a", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    assert slowed.status_code == 429
    other = Visitor(app).login("officer.a", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy)
    assert other.status_code == 302


def test_pages_forbid_framing_and_inline_scripts_and_are_not_cached(
    world: World, signed_in: SignIn
) -> None:
    response = signed_in("officer.a").get("/queue/all")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
def test_signing_in_never_redirects_to_another_site(world: World, target: str) -> None:
    visitor = Visitor(world.app)
    token = visitor.token(f"/login?next={target}")
    response = visitor.client.post(
        "/login",
        data={"username": "officer.a", "password": PASSWORD, "csrf_token": token, "next": target},
    )
    assert response.headers["Location"] == "/"


def test_signing_in_returns_to_the_page_asked_for(world: World) -> None:
    item_id = add_item(world.sessions, world.now(), "Mất sóng")
    visitor = Visitor(world.app)
    token = visitor.token(f"/login?next=/items/{item_id}")
    response = visitor.client.post(
        "/login",
        data={
            "username": "officer.a",
            "password": PASSWORD,
            "csrf_token": token,
            "next": f"/items/{item_id}",
        },
    )
    assert response.headers["Location"] == f"/items/{item_id}"


def test_a_new_password_or_a_disabled_account_ends_open_sessions(
    world: World, signed_in: SignIn
) -> None:
    officer = signed_in("officer.a")
    assert officer.get("/queue/all").status_code == 200
    with world.sessions.begin() as session:
        user = session.get(User, world.people.officer_a)
        assert user is not None
        set_password(session, user, "mật khẩu mới thật dài")
    assert officer.get("/queue/all").status_code == 302
    leader = signed_in("leader.a")
    with world.sessions.begin() as session:
        user = session.get(User, world.people.leader_a)
        assert user is not None
        user.active = False
    assert leader.get("/queue/all").status_code == 302


def test_signing_out_needs_a_post_with_a_token(world: World, signed_in: SignIn) -> None:
    officer = signed_in("officer.a")
    assert officer.get("/logout").status_code == 405
    assert officer.post("/logout").status_code == 302
    assert officer.get("/queue/all").status_code == 302
