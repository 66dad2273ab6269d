"""Signing in under attack: concurrent bursts, what a refusal reveals, ending sessions, `next`."""

from __future__ import annotations

import contextlib
import re
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session, sessionmaker

from review.auth_views import safe_next
from storage.tables import User
from storage.users import MAX_FAILURES, LoginRefusedError, Passwords, authenticate
from tests.clock import Clock
from tests.review.personas import PASSWORD, Visitor, World, populate

SignIn = Callable[[str], Visitor]
BURST = 32
_ERROR = re.compile(r'role="alert">([^<]*)<')


class CountingHasher(PasswordHasher):
    """Cheap argon2 that counts which hashes a password was checked against."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=64, parallelism=1)
        self.checked: Counter[str] = Counter()
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # type: ignore[override]
        with self._lock:
            self.checked[hash if isinstance(hash, str) else hash.decode()] += 1
        return super().verify(hash, password)


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    counting = CountingHasher()
    monkeypatch.setattr(Passwords, "hasher", counting)
    return counting


def password_hash(sessions: sessionmaker[Session], user_id: int) -> str:
    with sessions.begin() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.password_hash


def post_login(visitor: Visitor, username: str, password: str, address: str) -> tuple[int, str]:
    """Sign in with the token fetched beforehand (so that threads only post); status, message."""
    data = {"username": username, "password": password, "csrf_token": visitor.token()}
    answer = visitor.client.post("/login", data=data, environ_base={"REMOTE_ADDR": address})
    found = _ERROR.search(answer.get_data(as_text=True))
    return answer.status_code, found.group(1) if found else ""


def all_at_once(count: int, attempt: Callable[[int], str]) -> list[str]:
    """Run ``attempt(n)`` for n in range(count) in as many threads, released together."""
    start = threading.Barrier(count)

    def released(n: int) -> str:
        start.wait()
        return attempt(n)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(released, range(count)))


def test_a_concurrent_burst_gets_five_wrong_passwords_checked_then_the_lock_holds(
    sessions: sessionmaker[Session], clock: Clock, hasher: CountingHasher
) -> None:
    people = populate(sessions, clock())
    real = password_hash(sessions, people.officer_a)

    def guess(n: int) -> str:
        with sessions.begin() as session:
            try:
                authenticate(session, "officer.a", f"đoán sai {n}", clock())
            except LoginRefusedError:
                return "refused"  # committed: the attempt stays counted
            return "signed in"

    assert all_at_once(BURST, guess) == ["refused"] * BURST
    assert hasher.checked[real] == MAX_FAILURES
    with sessions.begin() as session, pytest.raises(LoginRefusedError):
        authenticate(session, "officer.a", PASSWORD, clock())
    assert hasher.checked[real] == MAX_FAILURES  # locked: the right password was not checked
    clock.advance(minutes=16)
    with sessions.begin() as session:
        assert authenticate(session, "officer.a", PASSWORD, clock()).id == people.officer_a


def test_a_concurrent_burst_through_the_web_from_many_addresses_meets_the_account_lock(
    world: World, hasher: CountingHasher
) -> None:
    real = password_hash(world.sessions, world.people.officer_a)
    visitors = [Visitor(world.app) for _ in range(BURST)]
    for visitor in visitors:
        visitor.token()

    def guess(n: int) -> str:
        status, message = post_login(visitors[n], "officer.a", f"đoán sai {n}", f"10.3.{n}.1")
        return f"{status} {message}"

    answers = all_at_once(BURST, guess)
    assert len(set(answers)) == 1 and answers[0].startswith("401 Sai tên đăng nhập")
    assert hasher.checked[real] == MAX_FAILURES
    right = Visitor(world.app).login("officer.a", PASSWORD, REMOTE_ADDR="10.4.0.1")
    assert right.status_code == 401
    assert hasher.checked[real] == MAX_FAILURES


def test_a_concurrent_burst_from_one_address_gets_five_attempts_checked_and_the_rest_wait(
    world: World, hasher: CountingHasher
) -> None:
    visitors = [Visitor(world.app) for _ in range(BURST)]
    for visitor in visitors:
        visitor.token()

    def guess(n: int) -> str:
        return str(post_login(visitors[n], f"ai.do.{n}", "đoán bừa", "10.5.5.5")[0])

    assert sorted(all_at_once(BURST, guess)) == ["401"] * 5 + ["429"] * (BURST - 5)
    assert sum(hasher.checked.values()) == 5


def refusal(world: World, username: str, password: str, address: str) -> str:
    answer = Visitor(world.app).login(username, password, REMOTE_ADDR=address)
    assert answer.status_code == 401
    found = _ERROR.search(answer.get_data(as_text=True))
    assert found
    return found.group(1)


def test_unknown_users_locked_and_disabled_accounts_get_the_same_answer_after_the_same_work(
    world: World, hasher: CountingHasher
) -> None:
    for attempt in range(MAX_FAILURES):
        refusal(world, "officer.b", f"sai {attempt}", f"10.6.0.{attempt}")
    with world.sessions.begin() as session:
        leader = session.get(User, world.people.leader_a)
        assert leader is not None
        leader.active = False
    cases = {
        "wrong password": ("officer.a", "sai mật khẩu rồi"),
        "unknown user": ("khong.co.ai", PASSWORD),
        "locked account": ("officer.b", PASSWORD),
        "disabled account": ("leader.a", PASSWORD),
    }
    answers, work = {}, {}
    for n, (case, (username, password)) in enumerate(cases.items()):
        before = sum(hasher.checked.values())
        answers[case] = refusal(world, username, password, f"10.7.0.{n}")
        work[case] = sum(hasher.checked.values()) - before
    assert len(set(answers.values())) == 1, answers
    assert work == dict.fromkeys(cases, 1)  # one argon2 verify each, dummy hash or not


def test_signing_out_ends_the_session_for_a_copy_of_the_cookie_too(
    world: World, signed_in: SignIn
) -> None:
    officer = signed_in("officer.a")
    cookie = officer.client.get_cookie("pakn_session")
    assert cookie is not None
    thief = Visitor(world.app)
    thief.client.set_cookie("pakn_session", cookie.value)
    assert thief.get("/queue/all").status_code == 200
    assert officer.post("/logout").status_code == 302
    assert thief.get("/queue/all").status_code == 302
    assert officer.get("/queue/all").status_code == 302
    assert signed_in("officer.a").get("/queue/all").status_code == 200  # a new sign-in works


def test_a_new_password_set_by_an_admin_ends_every_open_session_of_the_account(
    world: World, signed_in: SignIn
) -> None:
    phone, desk = signed_in("officer.a"), signed_in("officer.a")
    admin = signed_in("admin")
    admin.post(
        f"/admin/users/{world.people.officer_a}",
        {
            "display_name": "Cán bộ An",
            "role": "officer",
            "units": ["a"],
            "active": "y",
            "new_password": "một mật khẩu mới thật dài",
        },
    )
    assert phone.get("/queue/all").status_code == 302
    assert desk.get("/queue/all").status_code == 302
    assert admin.get("/queue/all").status_code == 200
    again = Visitor(world.app).login("officer.a", "một mật khẩu mới thật dài")
    assert again.status_code == 302


UNSAFE_TARGETS = [
    "//evil.example/x",
    "/%09/evil.example",
    "/\t/evil.example",
    "/\\evil.example",
    "/%5Cevil.example",
    "/%2F/evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "evil.example",
    "/ /evil.example",
    "/\x00/evil.example",
    "/queue\r\nSet-Cookie: x=1",
    "",
]


@pytest.mark.parametrize("target", UNSAFE_TARGETS)
def test_a_next_that_is_not_a_plain_path_of_this_site_goes_to_the_queue(
    world: World, target: str
) -> None:
    assert safe_next(target) is None
    visitor = Visitor(world.app)
    token = visitor.token()
    response = visitor.client.post(
        "/login",
        data={"username": "officer.a", "password": PASSWORD, "csrf_token": token, "next": target},
    )
    if "\x00" in target:
        assert response.status_code == 400  # refused before any view: no field holds a NUL
    else:
        assert response.status_code == 302 and response.headers["Location"] == "/"


def test_the_login_page_does_not_carry_an_unsafe_next_into_its_form(world: World) -> None:
    page = world.app.test_client().get("/login?next=/%09/evil.example").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="next"[^>]*>', page)
    assert field and 'value=""' in field.group(0)


@pytest.mark.parametrize(
    "target", ["/queue?x=1", "/items/12", "/search?text=M%E1%BA%A5t+s%C3%B3ng"]
)
def test_a_next_that_is_a_path_of_this_site_is_followed(world: World, target: str) -> None:
    assert safe_next(target) == target
    visitor = Visitor(world.app)
    token = visitor.token(f"/login?next={target}")
    response = visitor.client.post(
        "/login",
        data={"username": "officer.a", "password": PASSWORD, "csrf_token": token, "next": target},
    )
    assert response.headers["Location"] == target


def test_an_expired_lock_gives_five_new_attempts(
    sessions: sessionmaker[Session], clock: Clock, hasher: CountingHasher
) -> None:
    people = populate(sessions, clock())

    def attempts(count: int, now: datetime) -> None:
        for n in range(count):
            with sessions.begin() as session, contextlib.suppress(LoginRefusedError):
                authenticate(session, "officer.a", f"sai {n}", now)

    real = password_hash(sessions, people.officer_a)
    attempts(MAX_FAILURES + 3, clock())
    assert hasher.checked[real] == MAX_FAILURES
    attempts(MAX_FAILURES + 3, clock() + timedelta(minutes=16))
    assert hasher.checked[real] == 2 * MAX_FAILURES
