"""Users, their units, argon2 password hashes, the account lock and the end of sessions.

An account is locked for ``LOCK_TIME`` after ``MAX_FAILURES`` wrong passwords in a row. Each
attempt is counted *before* its password is checked, by one conditional UPDATE that a
concurrent burst cannot race: at most ``MAX_FAILURES`` attempts are ever evaluated before the
lock, and while locked the password is not checked at all. An unknown user, a disabled account
and a locked one get the same answer after the same work (a verify against a dummy hash), so
neither the message nor the timing tells which usernames exist. The per-address slow-down lives
with the web app (it is not stored).

``User.session_version`` is copied into the session cookie at sign-in and compared on every
request: signing out and a new password raise it, which ends every session of the account,
copies of the cookie included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Final, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import and_, case, delete, literal, or_, select, update
from sqlalchemy.orm import Session

from storage.tables import ROLES, Unit, User, UserUnit

MAX_FAILURES: Final = 5
LOCK_TIME: Final = timedelta(minutes=15)
MIN_PASSWORD_LENGTH: Final = 10
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")


class Passwords:
    """The hasher; replaceable so that tests do not spend 100 ms on every hash."""

    hasher: PasswordHasher = PasswordHasher()


# Verified when the username is unknown or the account locked, so that every refusal costs
# the same time as a wrong password; made with the hasher of the moment (tests swap it).
_dummy: tuple[PasswordHasher, str] | None = None


class UserError(ValueError):
    """Bad user data; the message names the field and the fix."""


class LoginRefusedError(Exception):
    """Refused: a wrong password, an unknown or disabled user, or a locked account, one answer
    for all (telling them apart would tell which usernames exist)."""

    def __init__(self) -> None:
        super().__init__("invalid")
        self.reason: Literal["invalid"] = "invalid"


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
    """A new password unlocks the account and ends every open session of it."""
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    user.session_version = User.session_version + 1  # in SQL: a concurrent bump is not lost
    session.flush()


def end_sessions(session: Session, user_id: int) -> None:
    """Sign the user out everywhere: every cookie issued so far stops working."""
    session.execute(
        update(User)
        .where(User.id == user_id)
        .values(session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()  # a loaded User must not keep the old version


def session_is_current(session: Session, user_id: int, version: object) -> bool:
    """Whether a cookie carrying ``version`` for ``user_id`` still stands for an open session."""
    user = session.get(User, user_id)
    return user is not None and isinstance(version, int) and user.session_version == version


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
    """The active user with these credentials, or LoginRefusedError.

    The attempt is counted in ``session`` before the password is checked: the caller commits
    the transaction whether the sign-in succeeded or not (rolling back a refusal would forget it).
    """
    user_id = _claim_attempt(session, username.strip().lower(), now)
    user = session.get(User, user_id, populate_existing=True) if user_id is not None else None
    if user is None:
        _verify(_dummy_hash(), password)  # the same work as a wrong password
        raise LoginRefusedError()
    if not _verify(user.password_hash, password):
        raise LoginRefusedError()  # counted already; the claim set the lock at the limit
    user.failed_logins, user.locked_until = 0, None
    if Passwords.hasher.check_needs_rehash(user.password_hash):
        user.password_hash = Passwords.hasher.hash(password)
    return user


def _claim_attempt(session: Session, username: str, now: datetime) -> int | None:
    """Count one attempt on the account, if it may be tried now; its id, else None.

    One conditional UPDATE ... RETURNING: the database serialises concurrent attempts on the row
    (PostgreSQL re-checks the condition after waiting for the row lock; SQLite has one writer),
    so a burst cannot slip more than ``MAX_FAILURES`` attempts past the check. The attempt that
    reaches the limit sets the lock; an expired lock starts the count again.
    """
    open_ = User.locked_until.is_(None)
    result = session.execute(
        update(User)
        .where(
            User.username == username,
            User.active.is_(True),
            or_(and_(open_, User.failed_logins < MAX_FAILURES), User.locked_until <= now),
        )
        .values(
            failed_logins=case((open_, User.failed_logins + 1), else_=1),
            locked_until=case(
                (
                    and_(open_, User.failed_logins + 1 >= MAX_FAILURES),
                    literal(now + LOCK_TIME, User.locked_until.type),
                ),
                else_=None,
            ),
        )
        .returning(User.id)
        .execution_options(synchronize_session=False)
    )
    found: int | None = result.scalar_one_or_none()
    return found


def _verify(password_hash: str, password: str) -> bool:
    try:
        return bool(Passwords.hasher.verify(password_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _dummy_hash() -> str:
    global _dummy
    hasher = Passwords.hasher
    if _dummy is None or _dummy[0] is not hasher:
        _dummy = (hasher, hasher.hash("không-có-người-dùng-này"))
    return _dummy[1]


def prepare_dummy_hash() -> None:
    """Make the dummy hash now, so that the first refused unknown user is not slower."""
    _dummy_hash()


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
