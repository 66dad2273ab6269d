"""The citizens' pages, without sign-in: the status of a case (/tra-cuu/<code>), its rating, and
each unit's published answers (/cong-khai/<unit>).

They show what ``storage.case_status`` and ``storage.publication`` hand over and nothing of the
sender. Lookups of codes that do not exist are counted per address (review/lookup_throttle.py).
They use their own base template (templates/public/base.html): no officers' menu.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from werkzeug.wrappers import Response as BaseResponse

from review.attachment_files import send_attachment
from review.context import db, now, services, t
from review.forms import RatingForm
from review.lookup_throttle import LookupThrottle
from storage import attachments
from storage.case_status import case_status
from storage.publication import published_answer, published_list
from storage.satisfaction import RatingRefusedError, rate
from storage.tables import Item, ReplyAttachment, Unit
from storage.tracking import find, normalise
from storage.users import units

bp = Blueprint("public", __name__)
ENDPOINTS = frozenset(
    {
        "public.lookup",
        "public.status",
        "public.rate_answer",
        "public.units_index",
        "public.published",
        "public.status_file",
        "public.published_file",
    }
)
THROTTLE = "pakn.lookup_throttle"
PAGE_SIZE = 30


@bp.record_once
def _throttle(state: BlueprintSetupState) -> None:
    state.app.extensions.setdefault(THROTTLE, LookupThrottle())


def throttle(app: Flask | None = None) -> LookupThrottle:
    found: LookupThrottle = (app or current_app).extensions[THROTTLE]
    return found


def _address() -> str:
    return request.remote_addr or "?"


def _slow_down() -> tuple[str, int, dict[str, str]] | None:
    wait = throttle().retry_after(_address(), now())
    if not wait:
        return None
    page = render_template("public/lookup.html", error=t("public.slow_down", seconds=wait))
    return page, 429, {"Retry-After": str(wait)}


@bp.route("/tra-cuu")
def lookup() -> BaseResponse | tuple[str, int]:
    typed = request.args.get("ma", "").strip()
    if not typed:
        return render_template("public/lookup.html"), 200
    code = normalise(typed[:40])
    if code is None:
        return render_template("public/lookup.html", error=t("public.bad_code"), typed=typed), 400
    return redirect(url_for("public.status", code=code))


def _item(code: str) -> tuple[Item | None, str | None]:
    """The item of ``code``; a well-formed code that matches nothing counts as a miss."""
    normal = normalise(code[:40])
    if normal is None:
        return None, None
    item = find(db(), normal)
    if item is None:
        throttle().missed(_address(), now())
    return item, normal


def _not_found(code: str) -> tuple[str, int]:
    page = render_template("public/lookup.html", error=t("public.not_found"), typed=code[:40])
    return page, 404


@bp.route("/tra-cuu/<code>")
def status(code: str) -> BaseResponse | tuple[str, int] | tuple[str, int, dict[str, str]]:
    refused = _slow_down()
    if refused:
        return refused
    item, normal = _item(code)
    if item is None or normal is None:
        return _not_found(code)
    if normal != code:
        return redirect(url_for("public.status", code=normal))
    form = RatingForm(formdata=None)
    return render_template(
        "public/status.html",
        case=case_status(db(), item, normal),
        form=form,
        files=attachments.for_status_page(db(), item.id),
    ), 200


@bp.route("/tra-cuu/<code>/tep/<int:file_id>")
def status_file(code: str, file_id: int) -> BaseResponse | tuple[str, int, dict[str, str]]:
    """A file of an answer sent to the holder of the code, or of its published answer."""
    refused = _slow_down()
    if refused:
        return refused
    item, _normal = _item(code)
    shown = attachments.for_status_page(db(), item.id) if item is not None else []
    return send_attachment(next((f for f in shown if f.id == file_id), None))


@bp.route("/tra-cuu/<code>/danh-gia", methods=["POST"])
def rate_answer(code: str) -> BaseResponse | tuple[str, int] | tuple[str, int, dict[str, str]]:
    refused = _slow_down()
    if refused:
        return refused
    item, normal = _item(code)
    if item is None or normal is None:
        return _not_found(code)
    form = RatingForm()
    if not form.validate():
        flash(t("public.rating_choose"), "error")
        return redirect(url_for("public.status", code=normal))
    try:
        rate(
            db(),
            item,
            satisfied=form.satisfied.data == "yes",
            reason=form.reason.data,
            now=now(),
            policy=services().deadlines,  # a reopened item's fresh deadline: admins' days too
        )
    except RatingRefusedError as exc:
        flash(str(exc), "error")
    else:
        flash(
            t("public.rating_thanks" if form.satisfied.data == "yes" else "public.rating_reopened"),
            "ok",
        )
    return redirect(url_for("public.status", code=normal))


@bp.route("/cong-khai")
def units_index() -> str:
    return render_template("public/units.html", units=units(db()))


@bp.route("/cong-khai/<unit_id>")
def published(unit_id: str) -> tuple[str, int]:
    unit = db().get(Unit, unit_id[:64])
    if unit is None:
        return render_template(
            "public/units.html", units=units(db()), error=t("public.no_unit")
        ), 404
    page = request.args.get("trang", "1")
    number = int(page) if page.isdigit() and 0 < int(page) <= 10_000 else 1
    answers = published_list(db(), unit.id, limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE)
    return render_template(
        "public/published.html",
        unit=unit,
        answers=answers[:PAGE_SIZE],
        files=attachments.for_published(db(), [a.item_id for a in answers[:PAGE_SIZE]]),
        page=number,
        more=len(answers) > PAGE_SIZE,
    ), 200


@bp.route("/cong-khai/<unit_id>/tep/<int:file_id>")
def published_file(unit_id: str, file_id: int) -> BaseResponse:
    """A file of a published answer the public list shows (never a denunciation's)."""
    row = db().get(ReplyAttachment, file_id)
    answer = published_answer(db(), row.item_id) if row is not None else None
    if row is None or answer is None or answer.unit_id != unit_id[:64]:
        return send_attachment(None)
    files = attachments.for_published(db(), [row.item_id]).get(row.item_id, [])
    return send_attachment(row if any(f.id == row.id for f in files) else None)
