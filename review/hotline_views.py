"""Logging a hotline call: it enters through ``ingest()`` like every other item, so it is
classified, given a deadline and queued the same way (NĐ 20/2008 Điều 7: the officer records a
call to the published number faithfully in writing)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask import Blueprint, abort, flash, render_template, request
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from review.context import db, now, services, t, viewer
from review.forms import HotlineForm
from review.item_views import back
from storage.audit import record as audit
from storage.ingest import ingest
from storage.records import ItemRecord
from storage.tables import Item
from storage.users import units
from storage.workdays import VIETNAM_TZ

bp = Blueprint("hotline", __name__, url_prefix="/hotline")
# Clocks of a phone and a server disagree a little; a call "in the future" beyond this is a typo.
_CLOCK_SKEW = timedelta(minutes=5)


@bp.route("", methods=["GET", "POST"])
def log_call() -> BaseResponse | tuple[str, int]:
    who = viewer()
    choices = [(u.id, u.name) for u in units(db()) if who.sees_unit(u.id)]
    form = HotlineForm()
    form.unit.choices = [unit_id for unit_id, _ in choices]
    if request.method == "GET":
        form.call_id.data = uuid.uuid4().hex
        form.received_at.data = now().astimezone(VIETNAM_TZ).replace(tzinfo=None, second=0)
        form.unit.data = choices[0][0] if len(choices) == 1 else None
        return render_template("hotline.html", form=form, units=choices), 200
    if not form.validate():
        return render_template("hotline.html", form=form, units=choices), 400
    if form.unit.data not in {unit_id for unit_id, _ in choices}:
        abort(403)
    received = form.received_at.data.replace(tzinfo=VIETNAM_TZ)
    if received > now() + _CLOCK_SKEW:
        form.received_at.errors = [t("hotline.future")]
        return render_template("hotline.html", form=form, units=choices), 400
    item = _store(form, received)
    flash(t("hotline.logged", id=item.id), "ok")
    return back(item)


def _store(form: HotlineForm, received: datetime) -> Item:
    external_id = f"hotline-{form.call_id.data}"
    record = ItemRecord(
        source="hotline",
        external_id=external_id,
        unit_id=form.unit.data or "",
        created_time=received,
        text=(form.text.data or "").strip(),
        author_name=(form.caller_name.data or "").strip() or None,
        author_phone=(form.phone.data or "").strip() or None,
    )
    result = ingest(db(), [record], now=now(), policy=services().ingest_policy)
    item = (
        db()
        .scalars(select(Item).where(Item.source == "hotline", Item.external_id == external_id))
        .one()
    )
    if result.inserted:  # a resubmitted form stores nothing new and logs nothing new
        audit(
            db(), viewer().user_id, "hotline_logged", item.id, None, {"unit": item.unit_id}, now()
        )
    return item
