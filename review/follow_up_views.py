"""Closing the loop on the item page: the tracking code, the published answer, the transfer and
its printable slip (phiếu chuyển), and the citizen's rating.

Every handler opens the item through ``review.item_views.load_item`` (unit and identity rules).
The item page shows this through ``review.follow_up.follow_up_context`` and
templates/follow_up/_item.html.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template
from werkzeug.wrappers import Response as BaseResponse

from review.context import audit_apart, db, now, services, t, viewer
from review.documents import DOCX_MIMETYPE, slip_docx
from review.forms import PublishForm, TransferForm
from review.item_views import back, form_errors, load_item
from storage.publication import (
    PublicationRefusedError,
    publish_reply,
    publish_result,
    withdraw,
)
from storage.tables import Transfer
from storage.tracking import code_of, issue, shown
from storage.transfers import LEGAL_BASIS, Slip, TransferRefusedError, slip, transfer
from storage.users import display_names

bp = Blueprint("follow_up", __name__, url_prefix="/items")


@bp.route("/<int:item_id>/tracking-code", methods=["POST"])
def tracking_code(item_id: int) -> BaseResponse:
    item = load_item(item_id)
    if item.by_page:
        abort(404)
    code = issue(db(), item, now()).code
    flash(t("follow_up.code_issued", code=shown(code)), "ok")
    return back(item)


@bp.route("/<int:item_id>/publish", methods=["POST"])
def publish(item_id: int) -> BaseResponse:
    item, form = load_item(item_id), PublishForm()
    if not form.validate():
        form_errors(form)
        return back(item)
    who = viewer().user_id
    try:
        if form.reply_id.data:
            publish_reply(db(), item, form.reply_id.data, who, now())
        elif (form.result.data or "").strip():
            publish_result(db(), item, form.result.data or "", who, now())
        else:
            flash(t("follow_up.publish_choose"), "error")
            return back(item)
    except PublicationRefusedError as exc:
        flash(str(exc), "error")
    else:
        flash(t("follow_up.published"), "ok")
    return back(item)


@bp.route("/<int:item_id>/unpublish", methods=["POST"])
def unpublish(item_id: int) -> BaseResponse:
    item = load_item(item_id)
    if withdraw(db(), item, viewer().user_id, now()):
        flash(t("follow_up.unpublished"), "ok")
    return back(item)


@bp.route("/<int:item_id>/transfer", methods=["POST"])
def transfer_item(item_id: int) -> BaseResponse:
    item, form = load_item(item_id), TransferForm()
    if not form.validate():
        form_errors(form)
        return back(item)
    try:
        transfer(
            db(),
            item,
            agency=form.agency.data or "",
            reason=form.reason.data or "",
            user_id=viewer().user_id,
            now=now(),
            calendar=services().deadlines.calendar,
        )
    except TransferRefusedError as exc:
        flash(str(exc), "error")
    else:
        flash(t("follow_up.transferred"), "ok")
    return back(item)


def _slip(item_id: int, transfer_id: int) -> Slip:
    """The slip, for those who may open the item (load_item: a denunciation only for its
    leaders and assigned officer, storage.visibility)."""
    item = load_item(item_id)
    found = db().get(Transfer, transfer_id)
    if found is None or found.item_id != item.id:
        abort(404)
    officer = display_names(db(), [found.transferred_by]).get(found.transferred_by or 0)
    return slip(db(), found, officer)


@bp.route("/<int:item_id>/transfers/<int:transfer_id>/slip")
def transfer_slip(item_id: int, transfer_id: int) -> str:
    found = _slip(item_id, transfer_id)
    return render_template(
        "follow_up/slip.html",
        slip=found,
        code=code_of(db(), item_id),
        legal_basis=LEGAL_BASIS,
    )


@bp.route("/<int:item_id>/transfers/<int:transfer_id>/slip.docx")
def transfer_slip_docx(item_id: int, transfer_id: int) -> BaseResponse:
    """The slip as a Word file; every download is audited (it carries a citizen's text)."""
    found = _slip(item_id, transfer_id)
    content = slip_docx(found, code_of(db(), item_id), LEGAL_BASIS)
    audit_apart("slip_download", item_id, {"transfer_id": transfer_id, "format": "docx"})
    name = f"phieu-chuyen-{transfer_id}.docx"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return BaseResponse(content, mimetype=DOCX_MIMETYPE, headers=headers)
