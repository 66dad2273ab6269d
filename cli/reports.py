"""``pakn report``: the leadership's report for a period, as Excel or CSV."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from cli.main import App
    from storage.reports import Report


@click.command("report")
@click.option(
    "--period",
    default="month",
    show_default=True,
    help="week, month, quarter, year (kỳ chứa ngày --at) hoặc TỪ..ĐẾN, ví dụ "
    "2026-03-01..2026-03-31. Quý và năm chốt số liệu ngày 14 (Thông tư 02/2021/TT-TTCP).",
)
@click.option("--at", "at", help="Lấy kỳ chứa ngày này (mặc định hôm nay), ví dụ 2026-03-20.")
@click.option("--unit", help="Mã đơn vị (mặc định: mọi đơn vị).")
@click.option(
    "--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx", show_default=True
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Tệp đích; '-' để in ra màn hình. Mặc định: bao-cao-<đơn vị>-<từ>-<đến>.<định dạng>.",
)
@click.pass_obj
def report(
    app: App, period: str, at: str | None, unit: str | None, fmt: str, output: str | None
) -> None:
    """Báo cáo tiếp nhận, xử lý phản ánh cho lãnh đạo (Excel hoặc CSV)."""
    built = _build(app, period, at, unit)
    target = output or _default_name(built, fmt)
    _write(built, fmt, target, app.settings.web.public_url)
    where = "màn hình" if target == "-" else target
    click.echo(f"Đã lập báo cáo {built.period.label} ({built.period.span}) → {where}", err=True)
    click.echo(figures_line(built), err=True)


def figures_line(built: Report) -> str:
    """The report's figures in one line, worded as the dashboard and the workbook word them."""
    from storage.reports import percent

    t, r = built.totals, built.reopened
    rate = percent(t.on_time_rate)
    shown = "–" if rate is None else f"{rate:.1f}".replace(".", ",").removesuffix(",0") + " %"
    return (
        f"Tiếp nhận {t.received}: đúng hạn {t.on_time}, trễ hạn {t.late}, còn hạn {t.open}, "
        f"quá hạn {t.overdue}; tỷ lệ đúng hạn {shown} ({t.on_time}/{t.due} đã đến hạn); "
        f"kéo dài {len(built.prolonged_items)}; đang quá hạn mọi kỳ {built.overdue_now}. "
        f"Mở lại do chưa hài lòng {r.received}: theo hạn mới đúng hạn {r.on_time}, "
        f"trễ hạn {r.late}, còn hạn {r.open}, quá hạn {r.overdue}."
    )


def _build(app: App, period: str, at: str | None, unit: str | None) -> Report:
    from storage.alert_state import unit_names
    from storage.calendar_days import deadline_policy
    from storage.report_periods import local_today, parse_day, parse_period
    from storage.reports import build_report

    now = datetime.now(UTC)
    try:
        day = parse_day(at) if at else local_today(now)
        chosen = parse_period(period, day, app.settings.alerts.report_quarter_cutoff_day)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    with app.sessions().begin() as session:
        calendar = deadline_policy(app.settings.deadlines_file, session).calendar
        known = sorted(set(unit_names(session)) | set(app.settings.unit_ids()))
        if unit is not None and unit not in known:
            raise click.BadParameter(
                f"Không có đơn vị {unit!r}; các đơn vị: {', '.join(known) or '(chưa có)'}.",
                param_hint="--unit",
            )
        return build_report(session, chosen, now, unit, calendar=calendar)


def _default_name(built: Report, fmt: str) -> str:
    from review.report_export import file_name

    return file_name(built, fmt)


def _write(built: Report, fmt: str, target: str, public_url: str) -> None:
    from review.report_export import write_csv, write_xlsx

    if fmt == "xlsx":
        if target == "-":
            write_xlsx(built, sys.stdout.buffer, public_url)
            return
        with Path(target).open("wb") as out:
            write_xlsx(built, out, public_url)
        return
    if target == "-":
        write_csv(built, sys.stdout, public_url)
        return
    # The BOM lets Excel open the Vietnamese text correctly when the file is double-clicked.
    with Path(target).open("w", encoding="utf-8-sig", newline="") as text_out:
        write_csv(built, text_out, public_url)
