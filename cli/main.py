"""The ``pakn`` command: the composition root of the application.

Every command lives in a module of this package and is loaded only when it runs, so that
``pakn --help`` imports neither SQLAlchemy nor scikit-learn. Commands share one context object
(``App``: the settings, read once, and the database) and one error boundary: a domain error
(bad configuration, database, classifier, unknown user or unit) becomes a one-line message that
says how to fix it, here only.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click

from monitor.errors import redact, register_secrets

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from config.settings import Settings

# name -> (module:attribute, short help). The short help is shown by ``pakn --help`` without
# importing the command; tests/test_cli_layout.py checks it against the command's own help.
COMMANDS: dict[str, tuple[str, str]] = {
    "call": ("cli.calls:call_group", "Cuộc gọi đường dây nóng."),
    "classify": (
        "cli.classifier:classify_command",
        "Phân loại văn bản từ SOURCE (tệp, hoặc - là đầu vào chuẩn).",
    ),
    "config": ("cli.install:config_group", "Tệp cấu hình."),
    "db": ("cli.install:db", "Cơ sở dữ liệu."),
    "demo": (
        "cli.demo:demo_command",
        "Chạy thử toàn bộ dịch vụ trên SQLite với trình mô phỏng Facebook.",
    ),
    "doctor": (
        "cli.doctor:doctor_command",
        "Kiểm tra trực tiếp trang thật bằng mã truy cập đã cấu hình (chỉ đọc).",
    ),
    "evaluate": (
        "cli.classifier:evaluate_command",
        "Đánh giá mô hình: phần heldout, từng dạng văn bản thật và kiểm định chéo.",
    ),
    "export": (
        "cli.export:export",
        "Xuất mọi mục (JSON Lines hoặc CSV).",
    ),
    "model": ("cli.classifier:model_group", "Quản lý các phiên bản mô hình phân loại."),
    "pages": (
        "cli.intake:pages",
        "Tình trạng từng trang: lần đọc thành công gần nhất, lỗi, số mục hôm nay, mức dùng.",
    ),
    "report": (
        "cli.reports:report",
        "Báo cáo tiếp nhận, xử lý phản ánh cho lãnh đạo (Excel hoặc CSV).",
    ),
    "run": ("cli.intake:run", "Chạy daemon đọc bình luận và tin nhắn của mọi trang."),
    "simulate": (
        "cli.demo:simulate_command",
        "Chạy riêng trình mô phỏng Graph API (để thử cấu hình hoặc phát triển).",
    ),
    "train": (
        "cli.training:train_command",
        "Huấn luyện lại bộ phân loại từ dữ liệu mẫu và nhãn cán bộ đã xác nhận hoặc sửa.",
    ),
    "user": ("cli.users:user_group", "Người dùng giao diện web (cán bộ, lãnh đạo, quản trị)."),
    "web": ("cli.web:web", "Chạy giao diện web cho cán bộ (waitress)."),
    "webhook": (
        "cli.webhook:webhook_command",
        "Nhận webhook của Meta (đặt sau nginx có HTTPS), lưu lại cho daemon xử lý.",
    ),
    "webhooks": (
        "cli.webhook:webhooks_group",
        "Đăng ký và xem tình trạng webhook của các trang.",
    ),
}


class RedactingFilter(logging.Filter):
    """Last line of defence: no token or secret reaches a log line, whoever wrote it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


LOG_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class RedactingFormatter(logging.Formatter):
    """Redacts the whole formatted line, tracebacks included (an exception's text or a local
    variable's repr in a traceback may carry a token)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        """Vietnam's time with its offset, as alerts and pages write it, whatever the server's
        clock zone (a UTC server would otherwise log 02:30 beside an alert saying 09:30)."""
        moment = datetime.fromtimestamp(record.created, LOG_TZ)
        return f"{moment:%Y-%m-%d %H:%M:%S},{int(record.msecs):03d}{moment:%z}"


def setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # matplotlib says "building the font cache" at INFO on a first start: not the officer's news.
    for noisy in ("urllib3", "alembic", "apprise", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class App:
    """What commands share: the settings (read once) and the database."""

    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._settings: Settings | None = None
        self._sessions: sessionmaker[Session] | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from config.settings import load

            self._settings = load(self.config_path)
            register_secrets(self._settings)  # redact() masks them in every message from now on
        return self._settings

    def models_dir(self) -> Path:
        """Where the configured classifier models live (used by the classifier's commands).

        ``pakn classify`` needs no database, token or network: a configuration that fails for
        an unrelated reason (an unset Facebook secret) must not stop it, so only the
        ``classifier.models_dir`` line is read then, with a warning that says why.
        """
        from config.schema import ConfigError
        from config.settings import models_dir

        try:
            return models_dir(self.settings)
        except ConfigError as exc:
            fallback = _models_dir_line(self.config_path)
            logging.getLogger("pakn.cli").warning(
                "Cấu hình có lỗi không liên quan tới bộ phân loại (%s); dùng thư mục mô hình %s.",
                exc,
                fallback,
            )
            return fallback

    def engine(self) -> Engine:
        from storage.db import make_engine

        return make_engine(self.settings.database_url)

    def sessions(self, *, migrate: bool = False) -> sessionmaker[Session]:
        if self._sessions is None:
            from storage.db import require_current, session_factory, upgrade

            if not migrate:
                _require_sqlite_file(self.settings.database_url)
            engine = self.engine()
            if migrate:
                upgrade(engine)
            else:
                require_current(engine)
            self._sessions = session_factory(engine)
        return self._sessions


def _models_dir_line(config_path: str | None) -> Path:
    """``classifier.models_dir`` read straight from the YAML file, else the default directory."""
    import yaml

    from config.settings import Settings, models_dir
    from config.settings import config_path as find_config

    found = find_config(config_path)
    try:
        raw = yaml.safe_load(found.read_text(encoding="utf-8")) if found else None
    except (OSError, yaml.YAMLError):
        raw = None
    section = raw.get("classifier") if isinstance(raw, dict) else None
    configured = section.get("models_dir") if isinstance(section, dict) else None
    if isinstance(configured, str) and configured and "${" not in configured:
        return Path(configured).expanduser()
    return models_dir(Settings())


def _require_sqlite_file(url: str) -> None:
    """A read-only command must not leave an empty database file in the current folder."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    path = Path(parsed.database or "")
    if not path.exists():
        raise click.ClickException(
            f"Chưa có cơ sở dữ liệu {path.resolve()}. Lần đầu cài: tạo cấu hình bằng "
            "'pakn config init', đặt database_url, rồi chạy 'pakn db upgrade'. Nếu đã có cơ sở "
            "dữ liệu: chạy lệnh từ đúng thư mục hoặc chỉ rõ --config / PAKN_CONFIG."
        )


def user_errors() -> tuple[type[Exception], ...]:
    """Domain errors whose message already says how to fix the problem."""
    from classifier.errors import ClassifierError
    from config.schema import ConfigError
    from storage.db import DatabaseError
    from storage.hotline import UnknownUnitError
    from storage.users import UserError

    return (ConfigError, DatabaseError, ClassifierError, UserError, UnknownUnitError)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """The one error boundary: domain errors become ``click.ClickException`` messages."""
    try:
        yield
    except click.ClickException:
        raise
    except Exception as exc:
        if isinstance(exc, user_errors()):
            raise click.ClickException(str(exc)) from exc
        raise


class LazyGroup(click.Group):
    """A group whose commands are imported when they run, not when the group is built."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            self.add_command(load_command(self.lazy[cmd_name][0]), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self.lazy[name][1]) for name in sorted(self.lazy)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        with friendly_errors():
            return super().invoke(ctx)


def load_command(spec: str) -> click.Command:
    module_name, _, attribute = spec.partition(":")
    found = getattr(importlib.import_module(module_name), attribute)
    if not isinstance(found, click.Command):
        raise TypeError(f"{spec} is not a click command")
    return found


def _version() -> str:
    try:
        return version("pakn")
    except PackageNotFoundError:
        return "0+unknown"


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--config",
    "config_path",
    envvar="PAKN_CONFIG",
    type=click.Path(dir_okay=False),
    help="Tệp cấu hình YAML (mặc định: PAKN_CONFIG hoặc ./pakn.yaml).",
)
@click.option("-v", "--verbose", is_flag=True, help="Ghi nhật ký chi tiết.")
@click.version_option(_version(), prog_name="pakn")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """pakn: tiếp nhận mọi phản ánh, kiến nghị của người dân gửi tới fanpage UBND xã/phường."""
    setup_logging(verbose)
    if ctx.obj is None:  # tests hand in their own context object
        ctx.obj = App(config_path)


pass_app = click.make_pass_decorator(App)
