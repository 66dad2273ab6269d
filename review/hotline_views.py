"""The hotline form: a call is logged through ``storage.hotline.log_call``, the same intake as
``pakn call add``."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from review.context import db, now, services, t, viewer
from review.forms import HotlineForm
from review.item_views import back
from storage import hotline
from storage.users import units
from storage.workdays import VIETNAM_TZ

bp = Blueprint("hotline", __name__, url_prefix="/hotline")
# Clocks of a phone and a server disagree a little; a call "in the future" beyond this is a typo.
_CLOCK_SKEW = timedelta(minutes=5)
_CALL_ID = re.compile(r"^[0-9a-f]{32}$")


@bp.route("", methods=["GET", "POST"])
def log_call() -> BaseResponse | tuple[str, int]:
    who = viewer()
    choices = [(u.id, u.name) for u in units(db()) if who.sees_unit(u.id)]
    form = HotlineForm()
    form.unit.choices = [unit_id for unit_id, _ in choices]
    if request.method == "GET":
        # The call id lives in the address, so Back to this form (which the browser fetches
        # again) still carries it and a second Save is recognised as the same call.
        call_id = request.args.get("call", "")
        if not _CALL_ID.match(call_id):
            return redirect(url_for("hotline.log_call", call=uuid.uuid4().hex))
        form.call_id.data = call_id
        form.received_at.data = now().astimezone(VIETNAM_TZ).replace(tzinfo=None, second=0)
        form.unit.data = choices[0][0] if len(choices) == 1 else None
        saved = hotline.find_call(db(), call_id)
        if saved is not None and not who.sees_unit(saved.unit_id):
            saved = None
        return render_template("hotline.html", form=form, units=choices, saved=saved), 200
    if not form.validate():
        return render_template("hotline.html", form=form, units=choices), 400
    if form.unit.data not in {unit_id for unit_id, _ in choices}:
        abort(403)
    received = form.received_at.data.replace(tzinfo=VIETNAM_TZ)
    if received > now() + _CLOCK_SKEW:
        form.received_at.errors = [t("hotline.future")]
        return render_template("hotline.html", form=form, units=choices), 400
    logged = _store(form, received)
    flash(t("hotline.logged" if logged.new else "hotline.already", id=logged.item.id), "ok")
    return back(logged.item)


def _store(form: HotlineForm, received: datetime) -> hotline.LoggedCall:
    call = hotline.Call(
        call_id=form.call_id.data or "",
        unit_id=form.unit.data or "",
        received=received,
        text=form.text.data or "",
        caller_name=form.caller_name.data,
        phone=form.phone.data,
    )
    return hotline.log_call(
        db(), call, policy=services().ingest_policy, now=now(), user_id=viewer().user_id
    )
