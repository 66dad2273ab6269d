"""``pakn user ...``, ``pakn web`` and the generated secret key."""

from __future__ import annotations

import logging
import socket
import stat
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from cli.main import main
from config.settings import Settings, WebSettings
from review.app import SECRET_KEY_FILE, secret_key
from storage.users import authenticate
from tests.review.personas import PASSWORD, make_settings

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@dataclass
class FakeApp:
    settings: Settings
    maker: sessionmaker[Session]

    def sessions(self, *, migrate: bool = False) -> sessionmaker[Session]:
        return self.maker


@pytest.fixture
def app(sqlite_sessions: sessionmaker[Session], tmp_path: Path) -> FakeApp:
    return FakeApp(make_settings(str(tmp_path)), sqlite_sessions)


def run(app: FakeApp, *args: str, stdin: str = "") -> tuple[int, str]:
    result = CliRunner().invoke(main, ["user", *args], obj=app, input=stdin)
    return result.exit_code, result.output


def test_user_add_reads_the_password_from_stdin_and_creates_the_units_it_needs(
    app: FakeApp,
) -> None:
    code, out = run(
        app,
        "add",
        "nguyen.an",
        "--role",
        "officer",
        "--unit",
        "a",
        "--unit",
        "b",
        "--name",
        "Nguyễn An",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert code == 0, out
    assert "nguyen.an" in out and "a, b" in out
    with app.maker.begin() as session:
        assert authenticate(session, "nguyen.an", PASSWORD, NOW).display_name == "Nguyễn An"


def test_user_add_asks_twice_and_starts_over_when_the_two_differ(app: FakeApp) -> None:
    typed = f"{PASSWORD}\nkhác hẳn nhau rồi\n{PASSWORD}\n{PASSWORD}\n"
    code, out = run(app, "add", "le.binh", "--role", "admin", stdin=typed)
    assert code == 0, out
    assert "không khớp" in out
    with app.maker.begin() as session:
        assert authenticate(session, "le.binh", PASSWORD, NOW).role == "admin"


def test_user_add_names_the_problem_when_a_unit_does_not_exist(app: FakeApp) -> None:
    code, out = run(
        app, "add", "x.y", "--role", "officer", "--unit", "zz", "--password-stdin", stdin=PASSWORD
    )
    assert code == 1
    assert "zz" in out and "không tồn tại" in out and "a, b" in out


def test_a_short_password_is_refused_on_the_command_line(app: FakeApp) -> None:
    code, out = run(app, "add", "x.y", "--role", "admin", "--password-stdin", stdin="ngắn\n")
    assert code == 1 and "ít nhất 10" in out


def test_user_passwd_sets_a_new_password_and_user_list_shows_everyone(app: FakeApp) -> None:
    run(
        app,
        "add",
        "tran.cuc",
        "--role",
        "leader",
        "--unit",
        "a",
        "--password-stdin",
        stdin=PASSWORD,
    )
    code, out = run(app, "passwd", "tran.cuc", "--password-stdin", stdin="mật khẩu mới rất dài\n")
    assert code == 0, out
    with app.maker.begin() as session:
        assert authenticate(session, "tran.cuc", "mật khẩu mới rất dài", NOW)
    code, out = run(app, "list")
    assert code == 0 and "tran.cuc" in out and "leader" in out
    code, out = run(app, "passwd", "khong.co", "--password-stdin", stdin=PASSWORD)
    assert code == 1 and "pakn user list" in out


def test_web_says_which_port_is_taken_and_how_to_fix_it(app: FakeApp) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = replace(app.settings, web=replace(app.settings.web, port=port))
        result = CliRunner().invoke(main, ["web"], obj=FakeApp(settings, app.maker))
    assert result.exit_code == 1
    assert (
        f"Cổng {port} đang được dùng; đổi web.port trong pakn.yaml hoặc dừng chương trình "
        "đang dùng cổng đó"
    ) in result.output


def test_a_missing_secret_key_is_generated_once_kept_private_and_reused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=str(tmp_path / "data"), web=WebSettings(secret_key=None))
    with caplog.at_level(logging.WARNING, logger="pakn.review"):
        first = secret_key(settings)
    path = tmp_path / "data" / SECRET_KEY_FILE
    assert len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert str(path) in caplog.text and first not in caplog.text
    assert secret_key(settings) == first
