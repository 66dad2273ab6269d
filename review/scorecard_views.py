"""The leaders' scorecard: chỉ số 8 and the other figures a friendly-government scorecard
asks for, for any period, per unit and across a city's units (storage/scorecard.py).

A leader of several units sees each unit and their total; one unit can be chosen. The
download is the same scorecard as an Excel workbook (review/scorecard_export.py), audited:
it lists citizens' texts (masked as in every report file).
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from werkzeug.wrappers import Response as BaseResponse

from review.context import audit_apart, db, now, roles_required
from review.report_export import OUTCOME_NAMES, display_name
from review.report_texts import tx
from review.reports_views import (
    MIME,
    chosen_period,
    percent_text,
    period_args,
    picker,
    scope,
    settings_calendar,
    unit_choices,
)
from review.scorecard_export import file_name, write_scorecard
from storage.prolonged import MARGIN_WORKING_DAYS
from storage.report_periods import Period
from storage.reports import percent
from storage.scorecard import Scorecard, build_scorecard

bp = Blueprint("scorecard", __name__, url_prefix="/reports/scorecard")


def _build() -> tuple[Scorecard, Period, str | None, frozenset[str] | None]:
    unit, within = scope()
    period = chosen_period()
    units = {unit} if unit else within
    card = build_scorecard(db(), period, now(), units, settings_calendar())
    if not card.units:
        abort(404)
    return card, period, unit, within


@bp.get("/")
@roles_required("leader", "admin")
def show() -> str | BaseResponse:
    try:
        card, period, unit, within = _build()
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".show"))
    first = card.units[0].report
    return render_template(
        "reports/scorecard.html",
        card=card,
        lines=[*card.units, *([card.total] if card.total else [])],
        period=period,
        units=unit_choices(within),
        unit=unit,
        picker=picker(period),
        period_args=period_args(period, unit),
        tx=tx,
        pct=lambda rate: percent_text(percent(rate)),
        name_of=lambda dimension, key: display_name(dimension, key, first),
        outcome_names=OUTCOME_NAMES,
        margin=MARGIN_WORKING_DAYS,
    )


@bp.get("/download")
@roles_required("leader", "admin")
def download() -> BaseResponse:
    try:
        card, period, unit, _within = _build()
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".show"))
    buffer = io.BytesIO()
    write_scorecard(card, buffer)
    buffer.seek(0)
    detail = {"period": f"{period.first}..{period.last}", "unit": unit, "format": "xlsx"}
    audit_apart("scorecard_download", None, detail)
    return send_file(
        buffer, mimetype=MIME["xlsx"], as_attachment=True, download_name=file_name(card, unit)
    )
