"""``pakn user add|passwd|list``: accounts of the officers' web UI."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click
from sqlalchemy.orm import Session, sessionmaker

from cli.main import App
from config.settings import Settings
from storage.tables import ROLES, User
from storage.users import (
    UserError,
    all_users,
    check_password,
    create_user,
    ensure_units,
    find_user,
    set_password,
)

_PASSWORD_TRIES = 3


def declared_units(settings: Settings) -> list[tuple[str, str, str]]:
    units: list[tuple[str, str, str]] = [(u.id, u.name, u.kind) for u in settings.units]
    known = {u[0] for u in units}
    units += [(p.unit, p.unit, "xa") for p in settings.pages if p.unit not in known]
    return units


def open_database(app: App) -> sessionmaker[Session]:
    sessions = app.sessions(migrate=True)
    with sessions.begin() as session:
        ensure_units(session, declared_units(app.settings))
    return sessions


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        check_password(password)
        return password
    for _ in range(_PASSWORD_TRIES):
        password = click.prompt("Mật khẩu", hide_input=True, default="", show_default=False)
        try:
            check_password(password)
        except UserError as exc:
            click.echo(str(exc), err=True)
            continue
        again = click.prompt("Nhập lại mật khẩu", hide_input=True, default="", show_default=False)
        if again == password:
            return str(password)
        click.echo("Hai lần nhập không khớp; nhập lại.", err=True)
    raise click.ClickException(f"Chưa đặt được mật khẩu sau {_PASSWORD_TRIES} lần thử.")


@click.group("user")
def user_group() -> None:
    """Người dùng giao diện web (cán bộ, lãnh đạo, quản trị)."""


@user_group.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="Vai trò.")
@click.option("--unit", "units", multiple=True, help="Mã đơn vị (lặp lại cho nhiều đơn vị).")
@click.option("--name", "display_name", default="", help="Họ tên hiển thị.")
@click.option("--password-stdin", is_flag=True, help="Đọc mật khẩu từ một dòng ở stdin.")
@click.pass_obj
def user_add(
    app: App,
    username: str,
    role: str,
    units: tuple[str, ...],
    display_name: str,
    password_stdin: bool,
) -> None:
    """Thêm người dùng."""
    password = read_password(password_stdin)
    with open_database(app).begin() as session:
        user = create_user(
            session,
            username=username,
            display_name=display_name,
            password=password,
            role=role,
            unit_ids=list(units),
            now=datetime.now(UTC),
        )
        name = user.username
    scope = ", ".join(units) if units else "mọi đơn vị"
    click.echo(f"Đã tạo người dùng {name} (vai trò {role}; đơn vị: {scope}).")


@user_group.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Đọc mật khẩu từ một dòng ở stdin.")
@click.pass_obj
def user_passwd(app: App, username: str, password_stdin: bool) -> None:
    """Đặt mật khẩu mới (cũng mở khoá tài khoản bị khoá tạm)."""
    sessions = open_database(app)
    with sessions.begin() as session:
        _find(session, username)  # before asking: no point typing a password for a typo
    # Not inside the transaction: on SQLite it would hold the write lock while we wait.
    password = read_password(password_stdin)
    with sessions.begin() as session:
        set_password(session, _find(session, username), password)
    click.echo(f"Đã đổi mật khẩu của {username.strip().lower()}.")


def _find(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise click.ClickException(
            f"Không có người dùng {username!r}; xem danh sách bằng 'pakn user list'."
        )
    return user


@user_group.command("list")
@click.pass_obj
def user_list(app: App) -> None:
    """Liệt kê người dùng."""
    now = datetime.now(UTC)
    with open_database(app).begin() as session:
        rows = [
            (u.username, u.display_name, u.role, units, u.active, u.locked_until)
            for u, units in all_users(session)
        ]
    if not rows:
        click.echo("Chưa có người dùng. Thêm quản trị: pakn user add admin --role admin")
    for username, name, role, units, active, locked_until in rows:
        state = "đang dùng" if active else "đã khoá"
        if active and locked_until is not None and locked_until > now:
            state = "tạm khoá"
        scope = ", ".join(units) or ("mọi đơn vị" if role == "admin" else "-")
        click.echo(f"{username:<20} {role:<8} {state:<10} {scope} ({name})")
