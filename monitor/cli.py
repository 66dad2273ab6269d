"""The ``pakn`` command. Domain errors become messages that say how to fix them, here only."""

from __future__ import annotations

import csv
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click
from sqlalchemy.orm import Session, sessionmaker

from classifier.errors import ClassifierError
from config.schema import ConfigError
from config.settings import Settings, example_config_text, load, models_dir
from monitor.errors import redact
from storage.db import DatabaseError, make_engine, require_current, session_factory, upgrade

log = logging.getLogger("pakn")
VN = ZoneInfo("Asia/Ho_Chi_Minh")
F = TypeVar("F", bound=Callable[..., Any])


class RedactingFilter(logging.Filter):
    """Last line of defence: no token or secret reaches a log line, whoever wrote it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


def setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("urllib3", "alembic", "apprise"):
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
            self._settings = load(self.config_path)
        return self._settings

    def models_dir(self) -> Path:
        """Where the configured classifier models live (used by the classifier's commands)."""
        with friendly_errors():
            return models_dir(self.settings)

    def engine(self) -> Any:
        return make_engine(self.settings.database_url)

    def sessions(self, *, migrate: bool = False) -> sessionmaker[Session]:
        if self._sessions is None:
            engine = self.engine()
            if migrate:
                upgrade(engine)
            else:
                require_current(engine)
            self._sessions = session_factory(engine)
        return self._sessions


@contextmanager
def friendly_errors() -> Iterator[None]:
    try:
        yield
    except (ConfigError, DatabaseError, ClassifierError) as exc:
        raise click.ClickException(str(exc)) from exc


def _version() -> str:
    try:
        return version("pakn")
    except PackageNotFoundError:
        return "0+unknown"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    ctx.obj = App(config_path)


pass_app = click.make_pass_decorator(App)


@main.group()
def db() -> None:
    """Cơ sở dữ liệu."""


@db.command("upgrade")
@pass_app
def db_upgrade(app: App) -> None:
    """Tạo hoặc nâng cấp lược đồ cơ sở dữ liệu (chạy sau mỗi lần cập nhật pakn)."""
    with friendly_errors():
        engine = app.engine()
        upgrade(engine)
    click.echo(f"Đã nâng cấp cơ sở dữ liệu {engine.url.render_as_string(hide_password=True)}")


@main.group("config")
def config_group() -> None:
    """Tệp cấu hình."""


@config_group.command("init")
@click.argument("path", type=click.Path(dir_okay=False), default="pakn.yaml")
def config_init(path: str) -> None:
    """Tạo tệp cấu hình mẫu có chú thích."""
    target = Path(path)
    if target.exists():
        raise click.ClickException(f"{target} đã tồn tại; xoá hoặc chọn tên khác.")
    target.write_text(example_config_text(), encoding="utf-8")
    click.echo(f"Đã tạo {target}. Sửa mã trang, access_token rồi chạy: pakn config check")


@config_group.command("check")
@pass_app
def config_check(app: App) -> None:
    """Kiểm tra tệp cấu hình và kết nối cơ sở dữ liệu."""
    with friendly_errors():
        settings = app.settings
        with app.engine().connect():
            pass
    click.echo(f"Cấu hình hợp lệ: {len(settings.pages)} trang, {len(settings.unit_ids())} đơn vị.")


def build_daemon(app: App, **kwargs: Any) -> Any:
    from monitor.daemon import Daemon
    from monitor.pipeline import ingest_policy

    sessions = app.sessions(migrate=True)
    with sessions.begin() as session:
        policy = ingest_policy(app.settings, session)
    daemon = Daemon(app.settings, sessions, policy, **kwargs)
    daemon.sync()
    from monitor.jobs import register_jobs

    register_jobs(daemon)
    return daemon


@main.command()
@click.option(
    "--once", is_flag=True, help="Chạy mọi tác vụ một lần rồi thoát (mã 1 nếu có trang lỗi)."
)
@pass_app
def run(app: App, once: bool) -> None:
    """Chạy daemon đọc bình luận và tin nhắn của mọi trang."""
    with friendly_errors():
        if not app.settings.pages:
            raise click.ClickException(
                "Chưa khai báo trang nào trong 'pages' của tệp cấu hình. Xem config/example.yaml."
            )
        daemon = build_daemon(app)
        if not once:
            daemon.run_forever()
            return
        results = daemon.run_jobs_once()
    for r in results:
        status = "OK " if r.ok else "LỖI"
        detail = f"{r.counts.inserted} mục mới, {r.counts.edited} sửa" if r.ok else r.reason
        click.echo(f"[{status}] {r.page_id} {r.name}: {detail}")
    sys.exit(0 if all(r.ok for r in results) else 1)


@main.command()
@pass_app
def pages(app: App) -> None:
    """Tình trạng từng trang: lần đọc thành công gần nhất, lỗi, số mục hôm nay, mức dùng."""
    from storage.health import page_health

    with friendly_errors():
        sessions = app.sessions()
        start = datetime.now(VN).replace(hour=0, minute=0, second=0, microsecond=0)
        with sessions.begin() as session:
            rows = page_health(session, start.astimezone(UTC))
    for h in rows:
        state = "CÁCH LY" if h.quarantined else ("LỖI" if h.consecutive_failures else "OK")
        last = (
            h.last_success_at.astimezone(VN).strftime("%d/%m %H:%M")
            if h.last_success_at
            else "chưa"
        )
        usage = f"{h.usage_percent:.0f}%" if h.usage_percent is not None else "?"
        click.echo(
            f"{h.id} [{state}] {h.name} ({h.unit_id}) | đọc gần nhất: {last} | "
            f"hôm nay: {h.items_today} | mức dùng: {usage} | API {h.api_version or '?'}"
        )
        if h.last_error and h.consecutive_failures:
            click.echo(f"    lỗi: {h.last_error}")


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@click.option("--output", type=click.Path(dir_okay=False), help="Tệp đích (mặc định: màn hình).")
@click.option("--include-page-replies", is_flag=True, help="Gồm cả trả lời của chính trang.")
@pass_app
def export(app: App, fmt: str, output: str | None, include_page_replies: bool) -> None:
    """Xuất mọi mục (JSON Lines hoặc CSV). Danh tính người tố cáo được che."""
    from storage.export import FIELDS, export_rows

    with friendly_errors():
        sessions = app.sessions()
        out = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout  # noqa: SIM115
        count = 0
        try:
            writer = csv.DictWriter(out, fieldnames=FIELDS) if fmt == "csv" else None
            if writer:
                writer.writeheader()
            with sessions.begin() as session:
                for row in export_rows(session, include_page_replies=include_page_replies):
                    if writer:
                        writer.writerow(row)
                    else:
                        out.write(json.dumps(row, ensure_ascii=False) + "\n")
                    count += 1
        finally:
            if output:
                out.close()
    if output:
        click.echo(f"Đã xuất {count} mục vào {output}", err=True)


def attach_commands() -> None:
    """Commands that live with the package that owns them."""
    from monitor.commands import attach

    attach(main)


attach_commands()
