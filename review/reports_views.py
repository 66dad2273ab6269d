"""The leaders' dashboard (this month's figures, small charts) and the report download.

Leaders see the units they belong to, admins every unit. The download writes the same report
as ``pakn report`` and leaves an audit entry: it carries citizens' texts.
"""

from __future__ import annotations

import io
from datetime import date

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from werkzeug.wrappers import Response as BaseResponse

from review import report_charts as charts
from review.context import (
    add_leader_nav,
    audit_apart,
    db,
    language,
    now,
    roles_required,
    services,
    visible_unit_ids,
)
from review.report_export import (
    OUTCOME_NAMES,
    display_name,
    file_name,
    scope_name,
    write_csv,
    write_xlsx,
)
from storage.alert_state import unit_names
from storage.report_periods import KINDS, local_today, month_of, parse_day, parse_period
from storage.reports import build_report, open_backlog

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.record_once
def _menu(state: BlueprintSetupState) -> None:
    assert isinstance(state.app, Flask)
    add_leader_nav(state.app, "reports.dashboard", vi="Báo cáo", en="Reports")


MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
OVERDUE_SHOWN = 15
# Interface texts of this page (Vietnamese first); data labels stay Vietnamese, as in reports.
TEXTS: dict[str, tuple[str, str]] = {
    "title": ("Báo cáo cho lãnh đạo", "Leadership report"),
    "all_units": ("Tất cả đơn vị", "All units"),
    "unit": ("Đơn vị", "Unit"),
    "show": ("Xem", "Show"),
    "as_of": ("số liệu lúc", "figures as of"),
    "received": ("Tiếp nhận", "Received"),
    "on_time_rate": ("Xử lý đúng hạn", "Handled on time"),
    "overdue": ("Quá hạn", "Overdue"),
    "urgent": ("Khẩn", "Urgent"),
    "avg_ack": ("TB tiếp nhận", "Avg. to acknowledge"),
    "avg_answer": ("TB trả lời", "Avg. to answer"),
    "hours": ("giờ", "hours"),
    "per_day": ("Tiếp nhận theo ngày và loại", "Received per day, by category"),
    "outcomes": ("Kết quả xử lý", "Outcome"),
    "backlog": ("Đang mở theo phòng ban (mọi thời điểm)", "Open items per department (all)"),
    "by_source": ("Theo kênh tiếp nhận", "By channel"),
    "by_category": ("Theo loại", "By category"),
    "name": ("Tên", "Name"),
    "late": ("Trễ hạn", "Late"),
    "open": ("Còn hạn", "In time"),
    "overdue_list": ("Mục quá hạn, chưa xử lý", "Overdue items"),
    "none_overdue": ("Không có mục quá hạn.", "Nothing is overdue."),
    "nothing": ("Chưa có mục nào trong tháng.", "No items this month yet."),
    "more": ("… và {n} mục khác trong tệp tải về.", "… and {n} more in the download."),
    "received_at": ("Nhận lúc", "Received"),
    "due": ("Hạn", "Due"),
    "category": ("Loại", "Category"),
    "department": ("Phòng ban", "Department"),
    "sender": ("Người gửi", "Sender"),
    "summary": ("Tóm tắt", "Excerpt"),
    "download": ("Tải báo cáo", "Download the report"),
    "period": ("Kỳ báo cáo", "Period"),
    "at": ("Kỳ chứa ngày", "Period containing"),
    "from": ("Từ ngày", "From"),
    "to": ("Đến ngày", "To"),
    "format": ("Định dạng", "Format"),
    "download_hint": (
        "Quý và năm chốt số liệu ngày {day} tháng cuối kỳ (Thông tư 02/2021/TT-TTCP). "
        "Điền cả Từ ngày và Đến ngày để lấy một khoảng tùy chọn.",
        "Quarters and years end on day {day} of their last month (Circular 02/2021/TT-TTCP). "
        "Fill both From and To for a custom range.",
    ),
    "week": ("Tuần", "Week"),
    "month": ("Tháng", "Month"),
    "quarter": ("Quý", "Quarter"),
    "year": ("Năm", "Year"),
}


def tx(key: str, **values: object) -> str:
    vi, en = TEXTS[key]
    text = en if language() == "en" else vi
    return text.format(**values) if values else text


def _scope() -> tuple[str | None, frozenset[str] | None]:
    """The unit asked for (None: all the viewer may see) and the viewer's units."""
    within = visible_unit_ids()
    unit = request.args.get("unit") or None
    if unit is not None and within is not None and unit not in within:
        abort(403)
    if unit is None and within is not None and len(within) == 1:
        unit = next(iter(within))  # a leader of one commune reads it under its own name
    return unit, within


@bp.get("/")
@roles_required("leader", "admin")
def dashboard() -> str:
    unit, within = _scope()
    moment, session = now(), db()
    report = build_report(session, month_of(local_today(moment)), moment, unit, within=within)
    backlog = open_backlog(session, moment, {unit} if unit else within)
    names = unit_names(session)
    units = sorted((u for u in names if within is None or u in within), key=names.__getitem__)
    return render_template(
        "reports/dashboard.html",
        report=report,
        scope_name=scope_name(report),
        rate=_rate(report.totals.on_time_rate),
        hours=_hours,
        charts={
            "per_day": charts.received_per_day(report),
            "outcomes": charts.outcomes(report),
            "backlog": charts.backlog(backlog),
        },
        overdue=report.overdue_items[:OVERDUE_SHOWN],
        units=[(u, names[u]) for u in units],
        unit=unit,
        tx=tx,
        name_of=lambda dimension, key: display_name(dimension, key, report),
        outcome_names=OUTCOME_NAMES,
        kinds=KINDS,
        cutoff_day=services().settings.alerts.report_quarter_cutoff_day,
        today=local_today(moment),
    )


@bp.get("/download")
@roles_required("leader", "admin")
def download() -> BaseResponse:
    unit, within = _scope()
    fmt = request.args.get("format", "xlsx")
    if fmt not in MIME:
        abort(400)
    settings = services().settings
    try:
        period = parse_period(_period_spec(), _at_day(), settings.alerts.report_quarter_cutoff_day)
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".dashboard", unit=unit))
    moment, session = now(), db()
    report = build_report(session, period, moment, unit, within=within)
    buffer = io.BytesIO()
    if fmt == "xlsx":
        write_xlsx(report, buffer, settings.web.public_url)
    else:
        text = io.StringIO()
        write_csv(report, text, settings.web.public_url)
        buffer.write(text.getvalue().encode("utf-8-sig"))
    detail = {"period": f"{period.first}..{period.last}", "unit": unit, "format": fmt}
    audit_apart("report_download", None, detail)  # a GET's own session only reads
    buffer.seek(0)
    return send_file(
        buffer, mimetype=MIME[fmt], as_attachment=True, download_name=file_name(report, fmt)
    )


def _rate(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.0f}%"


def _hours(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}".replace(".", ",")


def _period_spec() -> str:
    first, last = request.args.get("from", "").strip(), request.args.get("to", "").strip()
    if first or last:
        return f"{first}..{last}"
    return request.args.get("period", "month")


def _at_day() -> date:
    at = request.args.get("at", "").strip()
    return parse_day(at) if at else local_today(now())
