from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from storage.tables import User
from storage.users import (
    LOCK_TIME,
    MAX_FAILURES,
    LoginRefusedError,
    UserError,
    all_users,
    assignable_users,
    authenticate,
    create_user,
    ensure_units,
    set_password,
    user_units,
)
from tests.storage.queue_world import NOW, PASSWORD, People


def refused(session: Session, username: str, password: str, **kw: object) -> LoginRefusedError:
    with pytest.raises(LoginRefusedError) as err:
        authenticate(session, username, password, kw.get("now", NOW))  # type: ignore[arg-type]
    return err.value


def test_passwords_are_stored_as_argon2_hashes(world: tuple[Session, People]) -> None:
    session, people = world
    user = session.get(User, people.officer_a)
    assert user is not None
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_the_right_password_signs_in_whatever_the_username_case(
    world: tuple[Session, People],
) -> None:
    session, people = world
    assert authenticate(session, " Officer.A ", PASSWORD, NOW).id == people.officer_a


def test_wrong_passwords_and_unknown_users_get_the_same_answer(
    world: tuple[Session, People],
) -> None:
    session, _ = world
    assert refused(session, "officer.a", "sai mật khẩu rồi").reason == "invalid"
    assert refused(session, "không.có.ai", PASSWORD).reason == "invalid"


def test_five_failures_lock_the_account_for_fifteen_minutes_even_for_the_right_password(
    world: tuple[Session, People],
) -> None:
    session, people = world
    for attempt in range(MAX_FAILURES):
        assert refused(session, "officer.a", f"sai {attempt} lần nữa").reason == "invalid"
    user = session.get(User, people.officer_a)
    assert user is not None and user.locked_until == NOW + LOCK_TIME
    refused(session, "officer.a", PASSWORD, now=NOW + timedelta(minutes=14))
    user = authenticate(session, "officer.a", PASSWORD, NOW + LOCK_TIME + timedelta(seconds=1))
    assert user.id == people.officer_a and user.locked_until is None


def test_a_new_password_unlocks_the_account(world: tuple[Session, People]) -> None:
    session, people = world
    for attempt in range(MAX_FAILURES):
        refused(session, "officer.a", f"sai {attempt}")
    user = session.get(User, people.officer_a)
    assert user is not None
    set_password(session, user, "một mật khẩu mới dài")
    assert authenticate(session, "officer.a", "một mật khẩu mới dài", NOW).id == user.id


def test_a_deactivated_user_cannot_sign_in(world: tuple[Session, People]) -> None:
    session, people = world
    user = session.get(User, people.officer_b)
    assert user is not None
    user.active = False
    assert refused(session, "officer.b", PASSWORD).reason == "invalid"


@pytest.mark.parametrize(
    ("username", "password", "role", "units", "message"),
    [
        ("ok.name", "ngắn", "officer", ["a"], "ít nhất"),
        ("Tên Có Dấu", PASSWORD, "officer", ["a"], "Tên đăng nhập"),
        ("ok.name", PASSWORD, "chief", ["a"], "Vai trò"),
        ("ok.name", PASSWORD, "officer", [], "ít nhất một đơn vị"),
        ("ok.name", PASSWORD, "officer", ["z"], "không tồn tại"),
        ("officer.a", PASSWORD, "officer", ["a"], "đã có"),
    ],
)
def test_bad_user_data_is_refused_with_a_message_that_names_the_fix(
    world: tuple[Session, People],
    username: str,
    password: str,
    role: str,
    units: list[str],
    message: str,
) -> None:
    session, _ = world
    with pytest.raises(UserError, match=message):
        create_user(
            session,
            username=username,
            display_name="",
            password=password,
            role=role,
            unit_ids=units,
            now=NOW,
        )


def test_units_listing_and_assignable_people_follow_memberships(
    world: tuple[Session, People],
) -> None:
    session, people = world
    ensure_units(session, [("a", "ignored", "xa"), ("c", "Đặc khu C", "dac_khu")])
    assert user_units(session, people.leader_a) == ["a"]
    assert {u.id for u in assignable_users(session, "a")} == {people.officer_a, people.leader_a}
    listed = {user.username: units for user, units in all_users(session)}
    assert listed["admin"] == [] and listed["officer.b"] == ["b"]
