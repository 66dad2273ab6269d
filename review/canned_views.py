"""Canned replies: the list the reply box's ``/`` picker shows (review/static/canned.js), filled
for the item being answered, and the admins' page that keeps each unit's templates (its routes
are on the admin blueprint, review/admin_views.py; the work is here).
"""

from __future__ import annotations

import functools

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from review.context import db, now, t, viewer, write_apart
from review.item_views import load_item
from review.queue_forms import CannedForm
from storage.canned_replies import (
    PLACEHOLDERS,
    CannedReplyError,
    fill,
    save_template,
    store_defaults,
    unit_templates,
)
from storage.users import units

bp = Blueprint("canned", __name__)


@bp.route("/items/<int:item_id>/canned-replies")
def for_item(item_id: int) -> BaseResponse:
    """The item's unit's templates, placeholders filled (a denouncer is never named)."""
    item = load_item(item_id)
    found = unit_templates(db(), item.unit_id)
    if any(c.id is None for c in found):
        # The unit's first use: keep its defaults (a GET's own session only reads).
        write_apart(functools.partial(store_defaults, unit_id=item.unit_id, now=now()))
    return jsonify([{"title": c.title, "text": fill(db(), c.body, item)} for c in found])


def admin_page() -> BaseResponse | str:
    """GET /admin/canned-replies?unit=…: the unit's templates and a form to add one."""
    choices = units(db())
    unit_id = request.args.get("unit") or (choices[0].id if choices else "")
    if unit_id not in {u.id for u in choices}:
        unit_id = choices[0].id if choices else ""
    found = unit_templates(db(), unit_id, with_inactive=True) if unit_id else []
    if any(c.id is None for c in found):
        write_apart(functools.partial(store_defaults, unit_id=unit_id, now=now()))
        return redirect(url_for("admin.canned_replies", unit=unit_id))
    return render_template(
        "admin/canned.html",
        units=choices,
        unit_id=unit_id,
        templates=found,
        form=CannedForm(formdata=None),
        placeholders=PLACEHOLDERS,
    )


def admin_save(template_id: int | None) -> BaseResponse:
    """POST: add a template to a unit (``template_id`` None) or change one of its own."""
    unit_id = request.form.get("unit", "")
    if unit_id not in {u.id for u in units(db())}:
        flash(t("error.http_404"), "error")
        return redirect(url_for("admin.canned_replies"))
    form = CannedForm()
    back = redirect(url_for("admin.canned_replies", unit=unit_id))
    if not form.validate():
        flash(t("error.required"), "error")
        return back
    try:
        saved = save_template(
            db(),
            unit_id,
            title=form.title.data or "",
            body=form.body.data or "",
            active=bool(form.active.data) if template_id is not None else True,
            template_id=template_id,
            user_id=viewer().user_id,
            now=now(),
        )
    except CannedReplyError as exc:
        flash(str(exc), "error")
        return back
    flash(t("canned.saved", title=saved.title), "ok")
    return back
