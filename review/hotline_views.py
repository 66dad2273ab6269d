"""The hotline form: a call is logged through ``storage.hotline.log_call``, the same intake as
``pakn call add``."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask import Blueprint, abort, flash, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from review.context import db, now, services, t, viewer
from review.forms import HotlineForm
from review.item_views import back
from storage import hotline
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
    call = hotline.Call(
        call_id=form.call_id.data or "",
        unit_id=form.unit.data or "",
        received=received,
        text=form.text.data or "",
        caller_name=form.caller_name.data,
        phone=form.phone.data,
    )
    logged = hotline.log_call(
        db(), call, policy=services().ingest_policy, now=now(), user_id=viewer().user_id
    )
    return logged.item
