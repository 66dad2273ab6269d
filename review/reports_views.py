"""The leaders' dashboard (the figures of any period, small charts) and the report download.

Leaders see the units they belong to, admins every unit. The period is chosen on the page
(week, month, quarter, year containing a day, or from–to); the default is the current month.
The download writes the same report as ``pakn report`` and leaves an audit entry: it carries
citizens' texts. ``chosen_period`` and ``scope`` serve the other report pages too
(review/scorecard_views.py, review/meeting_views.py).
"""

from __future__ import annotations

import io
from datetime import date, timedelta

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
from review.report_texts import tx
from storage.alert_state import unit_names
from storage.prolonged import MARGIN_WORKING_DAYS
from storage.report_periods import (
    KINDS,
    Period,
    local_today,
    month_of,
    parse_day,
    parse_period,
    quarter_of,
    week_of,
    year_of,
)
from storage.reports import build_report, by_assignee, open_backlog, percent, scope_units
from storage.users import display_names
from storage.workdays import WorkingCalendar

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.record_once
def _menu(state: BlueprintSetupState) -> None:
    assert isinstance(state.app, Flask)
    add_leader_nav(state.app, "reports.dashboard", vi="Báo cáo", en="Reports")


MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
OVERDUE_SHOWN = 100


def scope() -> tuple[str | None, frozenset[str] | None]:
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
def dashboard() -> str | BaseResponse:
    unit, within = scope()
    try:
        period = chosen_period()
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".dashboard", unit=unit))
    moment, session = now(), db()
    calendar = services().deadlines.calendar
    report = build_report(session, period, moment, unit, within=within, calendar=calendar)
    backlog = open_backlog(session, moment, {unit} if unit else within)
    officers = by_assignee(session, period, moment, scope_units(unit, within))
    # Officers by their display names; an unassigned row has no key (never a citizen's name).
    ids = [int(o.figures.key) for o in officers if o.figures.key is not None]
    officer_names = {str(k): v for k, v in display_names(session, ids).items()}
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
        officers=officers,
        officer_names=officer_names,
        units=unit_choices(within),
        unit=unit,
        tx=tx,
        name_of=lambda dimension, key: display_name(dimension, key, report),
        outcome_names=OUTCOME_NAMES,
        picker=picker(period),
        period_args=period_args(period, unit),
        margin=MARGIN_WORKING_DAYS,
    )


def unit_choices(within: frozenset[str] | None) -> list[tuple[str, str]]:
    names = unit_names(db())
    units = sorted((u for u in names if within is None or u in within), key=names.__getitem__)
    return [(u, names[u]) for u in units]


def chosen_period() -> Period:
    """The period the page asks for: ``from``/``to``, else ``period`` (week, month, quarter,
    year) containing ``at`` (default today); a ValueError says what to fix."""
    cutoff = services().settings.alerts.report_quarter_cutoff_day
    return parse_period(_period_spec(), _at_day(), cutoff)


def period_args(period: Period, unit: str | None) -> dict[str, str]:
    """The query arguments that show ``period`` (and ``unit``) again, on any report page."""
    if period.kind in KINDS:
        args = {"period": period.kind, "at": period.first.isoformat()}
    else:
        args = {"from": period.first.isoformat(), "to": period.last.isoformat()}
    return args | ({"unit": unit} if unit else {})


def picker(period: Period) -> dict[str, object]:
    """What the period form shows, and the first days of the neighbouring periods."""
    cutoff = services().settings.alerts.report_quarter_cutoff_day
    before = after = None
    if period.kind in KINDS:
        before = _same_kind(period.kind, period.first - timedelta(days=1), cutoff).first
        after = _same_kind(period.kind, period.last + timedelta(days=1), cutoff).first
    return {
        "kind": period.kind if period.kind in KINDS else "range",
        "kinds": KINDS,
        "at": period.first,
        "first": period.first,
        "last": period.last,
        "before": before,
        "after": after,
        "cutoff": cutoff,
        "today": local_today(now()),
    }


def _same_kind(kind: str, day: date, cutoff: int) -> Period:
    if kind == "week":
        return week_of(day)
    if kind == "month":
        return month_of(day)
    return quarter_of(day, cutoff) if kind == "quarter" else year_of(day, cutoff)


@bp.get("/download")
@roles_required("leader", "admin")
def download() -> BaseResponse:
    unit, within = scope()
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
    calendar = settings_calendar()
    report = build_report(session, period, moment, unit, within=within, calendar=calendar)
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


def settings_calendar() -> WorkingCalendar:
    """The working calendar the deadlines use (the admins' days off included)."""
    return services().deadlines.calendar


def _rate(rate: float | None) -> str:
    return percent_text(percent(rate))


def percent_text(value: float | None) -> str:
    """A percentage as the pages print it: "99,9 %", "100 %", "–"."""
    if value is None:
        return "–"
    return f"{value:.1f}".replace(".", ",").removesuffix(",0") + " %"


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
