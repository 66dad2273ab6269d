"""``pakn doctor [PAGE]``: a read-only live check of real pages with their configured tokens."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from cli.intake import pause_lines
from cli.main import App, pass_app

if TYPE_CHECKING:
    from config.settings import PageSettings, Settings
    from monitor.doctor import Finding


@click.command("doctor")
@click.argument("page_id", metavar="[PAGE]", required=False)
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON (cho máy đọc).")
@click.option(
    "--app-id",
    envvar="PAKN_APP_ID",
    help="ID ứng dụng Meta: cùng graph.app_secret tạo mã ứng dụng để hỏi debug_token "
    "(mặc định hỏi bằng chính mã trang).",
)
@pass_app
def doctor_command(app: App, page_id: str | None, as_json: bool, app_id: str | None) -> None:
    """Kiểm tra trực tiếp trang thật bằng mã truy cập đã cấu hình (chỉ đọc).

    PAGE là id của một trang trong cấu hình; bỏ trống để kiểm tra mọi trang. Mỗi mục là ok,
    cảnh báo, lỗi hoặc bỏ qua, kèm cách xử lý. Chỉ gửi yêu cầu GET tới Facebook: không đăng,
    không sửa gì trên trang. Mã thoát 1 khi có mục lỗi.
    """
    from monitor.doctor import diagnose
    from monitor.graph import GraphClient

    settings = app.settings
    pages = chosen_pages(settings, page_id)
    app_token = app_token_for(settings, app_id)
    client = GraphClient(settings.graph)
    now = datetime.now(UTC)
    reports = [(page, diagnose(client, page, now, app_token=app_token)) for page in pages]
    if as_json:
        click.echo(json.dumps(as_document(reports, now), ensure_ascii=False, indent=2))
    else:
        paused = stored_pauses(app, now)
        for page, findings in reports:
            click.echo(as_text(page, findings), nl=False)
            for line in pause_lines(paused, page.id, now):
                click.echo(f"  {line}")
            click.echo()
    failed = any(f.status == "error" for _page, findings in reports for f in findings)
    sys.exit(1 if failed else 0)


def stored_pauses(app: App, now: datetime) -> list[Any]:
    """The daemon's running pauses (Meta's throttles), when its database can be read."""
    from storage.rate_pauses import pauses

    try:
        with app.sessions().begin() as session:
            return pauses(session, now)
    except Exception:  # the live check does not need the database: say nothing of pauses
        return []


def chosen_pages(settings: Settings, page_id: str | None) -> list[PageSettings]:
    if not settings.pages:
        raise click.ClickException(
            "Chưa khai báo trang nào trong 'pages' của tệp cấu hình. Xem config/example.yaml."
        )
    if page_id is None:
        return list(settings.pages)
    page = settings.page(page_id)
    if page is None:
        known = ", ".join(f"{p.id} ({p.name})" for p in settings.pages)
        raise click.ClickException(
            f"Không có trang {page_id} trong cấu hình. Dùng id của một trang đã khai báo: {known}."
        )
    return [page]


def app_token_for(settings: Settings, app_id: str | None) -> str | None:
    if not app_id:
        return None
    secret = settings.graph.app_secret
    if secret is None:
        raise click.ClickException(
            "--app-id cần graph.app_secret trong tệp cấu hình để tạo mã ứng dụng "
            "(app_id|app_secret). Thêm graph.app_secret: ${META_APP_SECRET} và đặt biến môi "
            "trường đó, hoặc bỏ --app-id để hỏi bằng chính mã trang."
        )
    return f"{app_id}|{secret.reveal()}"


def as_text(page: PageSettings, findings: Sequence[Finding]) -> str:
    from monitor.doctor import STATUS_VI

    width = max(len(label) for label in STATUS_VI.values()) + 2
    lines = [f"Trang {page.name} ({page.id})"]
    for f in findings:
        label = f"[{STATUS_VI[f.status]}]".ljust(width + 1)
        lines.append(f"  {label}{f.title}")
        pad = " " * (width + 3)
        lines += [pad + line for line in f.detail.splitlines()]
        if f.fix:
            lines.append(f"{pad}Cách xử lý: {f.fix}")
    counts = Counter(f.status for f in findings)
    summary = ", ".join(f"{counts[s]} {label}" for s, label in STATUS_VI.items())
    lines.append(f"  Tổng: {summary}.")
    return "\n".join(lines) + "\n"


def as_document(reports: Sequence[tuple[PageSettings, list[Finding]]], now: datetime) -> Any:
    return {
        "checked_at": now.isoformat(),
        "pages": [
            {
                "id": page.id,
                "name": page.name,
                "unit": page.unit,
                "ok": all(f.status != "error" for f in findings),
                "findings": [dataclasses.asdict(f) for f in findings],
            }
            for page, findings in reports
        ],
    }
