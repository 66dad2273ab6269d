"""Users, their units, argon2 password hashes and the account lock after repeated failures.

An account is locked for ``LOCK_TIME`` after ``MAX_FAILURES`` wrong passwords in a row; while
locked, the password is not even checked, so guessing on costs nothing but time. The per-address
slow-down lives with the web app (it is not stored).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Final, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.tables import ROLES, Unit, User, UserUnit

MAX_FAILURES: Final = 5
LOCK_TIME: Final = timedelta(minutes=15)
MIN_PASSWORD_LENGTH: Final = 10
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")


class Passwords:
    """The hasher; replaceable so that tests do not spend 100 ms on every hash."""

    hasher: PasswordHasher = PasswordHasher()


# Verified when the username does not exist, so both failures take the same time.
_DUMMY_HASH: str | None = None


class UserError(ValueError):
    """Bad user data; the message names the field and the fix."""


class LoginRefusedError(Exception):
    """Wrong credentials, or the account is locked until ``locked_until``."""

    def __init__(
        self, reason: Literal["invalid", "locked"], locked_until: datetime | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.locked_until = locked_until


def hash_password(password: str) -> str:
    check_password(password)
    return Passwords.hasher.hash(password)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            f"Mật khẩu cần ít nhất {MIN_PASSWORD_LENGTH} ký tự; một câu ngắn dễ nhớ là đủ tốt."
        )


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise UserError(
            "Tên đăng nhập chỉ gồm chữ thường không dấu, số, dấu chấm, gạch ngang hoặc gạch "
            "dưới (2-80 ký tự), ví dụ: nguyen.van.an"
        )
    return name


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    role: str,
    unit_ids: Sequence[str],
    now: datetime,
) -> User:
    name = check_username(username)
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise UserError(f"Tên đăng nhập {name!r} đã có; chọn tên khác hoặc đổi mật khẩu người đó.")
    _check_role(role, unit_ids)
    user = User(
        username=name,
        display_name=display_name.strip() or name,
        password_hash=hash_password(password),
        role=role,
        active=True,
        created_at=now,
        failed_logins=0,
    )
    session.add(user)
    session.flush()
    set_units(session, user, unit_ids)
    return user


def _check_role(role: str, unit_ids: Sequence[str]) -> None:
    if role not in ROLES:
        raise UserError(f"Vai trò {role!r} không hợp lệ; chọn một trong: {', '.join(ROLES)}.")
    if role != "admin" and not unit_ids:
        raise UserError("Cán bộ và lãnh đạo cần ít nhất một đơn vị (--unit).")


def set_units(session: Session, user: User, unit_ids: Sequence[str]) -> None:
    known = set(session.scalars(select(Unit.id)))
    unknown = sorted(set(unit_ids) - known)
    if unknown:
        raise UserError(
            f"Đơn vị {', '.join(unknown)} không tồn tại; các đơn vị hiện có: "
            f"{', '.join(sorted(known)) or '(chưa có, khai báo units trong pakn.yaml)'}."
        )
    _check_role(user.role, unit_ids)
    session.execute(delete(UserUnit).where(UserUnit.user_id == user.id))
    session.add_all(UserUnit(user_id=user.id, unit_id=u) for u in sorted(set(unit_ids)))
    session.flush()


def set_password(session: Session, user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None


def update_user(
    session: Session,
    user: User,
    *,
    display_name: str,
    role: str,
    active: bool,
    unit_ids: Sequence[str],
) -> None:
    _check_role(role, unit_ids)
    user.display_name = display_name.strip() or user.username
    user.role, user.active = role, active
    set_units(session, user, unit_ids)


def unlock(user: User) -> None:
    user.failed_logins, user.locked_until = 0, None


def authenticate(session: Session, username: str, password: str, now: datetime) -> User:
    """The active user with these credentials, or LoginRefusedError (counted on the account)."""
    user = session.scalar(
        select(User).where(User.username == username.strip().lower(), User.active.is_(True))
    )
    if user is None:
        _verify(_dummy_hash(), password)
        raise LoginRefusedError("invalid")
    if user.locked_until is not None and user.locked_until > now:
        raise LoginRefusedError("locked", user.locked_until)
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.failed_logins, user.locked_until = 0, now + LOCK_TIME
            raise LoginRefusedError("locked", user.locked_until)
        raise LoginRefusedError("invalid")
    user.failed_logins, user.locked_until = 0, None
    if Passwords.hasher.check_needs_rehash(user.password_hash):
        user.password_hash = Passwords.hasher.hash(password)
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return bool(Passwords.hasher.verify(password_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = Passwords.hasher.hash("không-có-người-dùng-này")
    return _DUMMY_HASH


def user_units(session: Session, user_id: int) -> list[str]:
    return list(
        session.scalars(
            select(UserUnit.unit_id).where(UserUnit.user_id == user_id).order_by(UserUnit.unit_id)
        )
    )


def all_users(session: Session) -> list[tuple[User, list[str]]]:
    users = session.scalars(select(User).order_by(User.username)).all()
    units: dict[int, list[str]] = {}
    for user_id, unit_id in session.execute(
        select(UserUnit.user_id, UserUnit.unit_id).order_by(UserUnit.unit_id)
    ):
        units.setdefault(user_id, []).append(unit_id)
    return [(u, units.get(u.id, [])) for u in users]


def assignable_users(session: Session, unit_id: str) -> list[User]:
    """Active officers and leaders of a unit: who an item of that unit may be given to."""
    return list(
        session.scalars(
            select(User)
            .join(UserUnit, UserUnit.user_id == User.id)
            .where(UserUnit.unit_id == unit_id, User.active.is_(True))
            .order_by(User.display_name)
        )
    )


def display_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
    return {uid: name for uid, name in rows}


def units(session: Session) -> list[Unit]:
    return list(session.scalars(select(Unit).order_by(Unit.name)))


def ensure_units(session: Session, declared: Iterable[tuple[str, str, str]]) -> None:
    """Create the units declared in the settings that the database does not have yet."""
    for unit_id, name, kind in declared:
        if session.get(Unit, unit_id) is None:
            session.add(Unit(id=unit_id, name=name, kind=kind))
    session.flush()


def find_user(session: Session, username: str) -> User | None:
    """The account with this user name (any state), or None."""
    return session.scalar(select(User).where(User.username == username.strip().lower()))
