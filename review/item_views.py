"""The item page and its actions: labels, status, assignment, notes, duplicates, replies.

Every handler loads the item through ``load_item``: 404 outside the user's units, 403 for a
confidential item the user may not open (the attempt is audited). Every rendered page that
shows a denouncer (storage.visibility) to someone entitled is audited: "view_confidential" for
the item itself, "view_confidential_listed" for each shielded neighbour shown unmasked.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from review.attachment_files import send_attachment
from review.context import audit_apart, db, now, services, t, viewer
from review.filters import label
from review.follow_up import follow_up_context
from review.forms import (
    ROW_ID_MAX,
    AssignForm,
    DuplicateForm,
    LabelsForm,
    NoteForm,
    ReplyForm,
    StatusForm,
)
from review.queue_errors import queue_error_text
from storage import attachments
from storage.departments import DepartmentError, choose, unit_departments
from storage.item_context import ItemContext, item_context
from storage.replies import ReplyRefusedError, create_reply, refused_for_good, resend, retry
from storage.review_queue import (
    QueueError,
    add_note,
    allowed_next,
    assign,
    change_status,
    mark_duplicate,
    review_labels,
)
from storage.tables import Item, Reply, ReplyAttachment
from storage.users import assignable_users, display_names, units
from storage.visibility import may_assign_others, may_open

bp = Blueprint("items", __name__, url_prefix="/items")
REPLY_KINDS_BY_SOURCE = {
    "facebook_comment": ("public_comment", "private_reply"),
    "facebook_post": ("public_comment", "private_reply"),
    "facebook_message": ("messenger",),
    "hotline": (),
}


def load_item(item_id: int) -> Item:
    item, who = db().get(Item, item_id), viewer()
    if item is None or not who.sees_unit(item.unit_id):
        abort(404)
    if not may_open(who, item):
        audit_apart("view_confidential_denied", item.id)  # kept: the refused request rolls back
        abort(403)
    return item


def _audit_identity_views(ctx: ItemContext) -> None:
    """Every denouncer this page shows to someone entitled (a GET's own session only reads)."""
    if ctx.shown.shielded and not ctx.shown.masked:
        audit_apart("view_confidential", ctx.shown.id)
    for listed in dict.fromkeys(c.id for c in ctx.neighbours() if c.shielded and not c.masked):
        audit_apart("view_confidential_listed", listed)


@bp.route("/<int:item_id>")
def show(item_id: int) -> tuple[str, int]:
    return render_item(load_item(item_id))


def render_item(
    item: Item, *, reply_form: ReplyForm | None = None, status: int = 200
) -> tuple[str, int]:
    who = viewer()
    ctx = item_context(db(), item, who)
    _audit_identity_views(ctx)
    status_form = StatusForm(formdata=None)
    status_form.status.choices = allowed_next(item.status)
    kinds = REPLY_KINDS_BY_SOURCE.get(item.source, ())
    follow_up = follow_up_context(item, ctx.replies)
    reply_form = reply_form or ReplyForm(
        formdata=None, data={"kind": kinds[0] if kinds else "", "text": follow_up.draft}
    )
    people = [item.assignee_id, item.labels_reviewed_by, *(r.created_by for r in ctx.replies)]
    page = render_template(
        "item.html",
        item=item,
        ctx=ctx,
        labels_form=LabelsForm(
            formdata=None,
            data={
                "category": item.category,
                "urgent": item.urgent,
                "field": item.field or "khac",
            },
        ),
        status_form=status_form,
        assign_form=AssignForm(
            formdata=None, data={"department": item.department, "assignee": item.assignee_id}
        ),
        note_form=NoteForm(formdata=None),
        duplicate_form=DuplicateForm(formdata=None),
        reply_form=reply_form,
        reply_kinds=kinds,
        reply_files=attachments.of_replies(db(), [r.id for r in ctx.replies]),
        file_limits={
            "count": attachments.MAX_FILES,
            "image_mb": attachments.MAX_IMAGE_BYTES // 1024 // 1024,
            "document_mb": attachments.MAX_DOCUMENT_BYTES // 1024 // 1024,
            "accept": attachments.ACCEPT,
        },
        refused_for_good=refused_for_good(db(), ctx.replies),
        can_assign_others=may_assign_others(who),
        assignees=assignable_users(db(), item.unit_id) if may_assign_others(who) else [],
        departments=unit_departments(db(), [item.unit_id], active_only=True),
        follow_up=follow_up,
        names=display_names(db(), people),
        identity_hidden=ctx.shown.masked,
        unit_names={u.id: u.name for u in units(db())},
        # A denouncer's photos may show a face or an ID card: only for those entitled.
        attachments=[] if ctx.shown.masked else _attachments(item.attachments),
    )
    return page, status


def _attachments(raw: str | None) -> list[dict[str, str]]:
    """The stored attachments as ``{"type", "url", "name"}`` strings, whatever the JSON holds.

    Rows written by older versions or by hand may hold a number, a list or an object where a
    string belongs, or one object instead of a list: such a value is left out, never a 500.
    """
    try:
        rows = json.loads(raw) if raw else []
    except (ValueError, RecursionError):
        return []
    if isinstance(rows, dict):
        rows = [rows]
    if not isinstance(rows, list):
        return []
    return [
        {key: value for key in ("type", "url", "name") if isinstance(value := row.get(key), str)}
        for row in rows
        if isinstance(row, dict)
    ]


def back(item: Item) -> BaseResponse:
    if not may_open(viewer(), item):
        # The change made the item confidential: only leaders and its officer may open it now.
        flash(t("item.now_confidential"), "ok")
        return redirect(url_for("queue.index"))
    return redirect(url_for("items.show", item_id=item.id))


def form_errors(form: Any) -> None:
    for errors in form.errors.values():
        for error in errors:
            flash(t(str(error)), "error")


@bp.route("/<int:item_id>/labels", methods=["POST"])
def labels(item_id: int) -> BaseResponse:
    item, form = load_item(item_id), LabelsForm()
    if not form.validate():
        form_errors(form)
        return back(item)
    try:
        corrected = review_labels(
            db(),
            item,
            category=form.category.data or "",
            urgent=bool(form.urgent.data),
            field=form.field.data or "",
            user_id=viewer().user_id,
            now=now(),
            policy=services().ingest_policy,
        )
    except QueueError as exc:
        flash(queue_error_text(exc), "error")
    else:
        flash(t("item.labels_corrected" if corrected else "item.labels_confirmed"), "ok")
    return back(item)


@bp.route("/<int:item_id>/status", methods=["POST"])
def status(item_id: int) -> BaseResponse:
    item, form = load_item(item_id), StatusForm()
    form.status.choices = allowed_next(item.status)
    if not form.validate():
        form_errors(form)
        return back(item)
    closing = form.status.data == "closed" and "closed" in form.status.choices
    if closing and not form.confirm_close.data:
        flash(t("item.close_unconfirmed"), "error")
        return back(item)
    try:
        change_status(db(), item, form.status.data or "", viewer().user_id, now())
        if (form.note.data or "").strip():
            add_note(db(), item, form.note.data or "", viewer().user_id, now())
    except QueueError as exc:
        flash(queue_error_text(exc), "error")
    else:
        flash(t("item.status_changed", status=label("status", item.status)), "ok")
    return back(item)


@bp.route("/<int:item_id>/assign", methods=["POST"])
def assign_item(item_id: int) -> BaseResponse:
    item, form, who = load_item(item_id), AssignForm(), viewer()
    if not form.validate():
        form_errors(form)
        return back(item)
    assignee = form.assignee.data or None
    department = item.department  # an officer takes the item; routing stays with leaders
    if not may_assign_others(who):
        if assignee != who.user_id:
            abort(403)
    elif (form.department.data or "") != str(item.department_id or ""):
        # From the unit's list (storage.departments), never typed; the current one may have
        # left the list since and is kept as long as it is not changed.
        try:
            chosen = choose(db(), item.unit_id, _department_id(form.department.data))
        except DepartmentError as exc:
            flash(str(exc), "error")
            return back(item)
        department = chosen.name if chosen else None
    try:
        assign(
            db(), item, department=department, assignee_id=assignee, user_id=who.user_id, now=now()
        )
    except QueueError as exc:
        flash(queue_error_text(exc), "error")
    else:
        flash(t("item.assigned"), "ok")
    return back(item)


def _department_id(value: str | None) -> int | None:
    if not value:
        return None
    if not value.isdigit() or len(value) > 10 or int(value) > ROW_ID_MAX:
        raise DepartmentError("Phòng ban phải chọn trong danh sách; tải lại trang rồi chọn lại.")
    return int(value)


@bp.route("/<int:item_id>/notes", methods=["POST"])
def note(item_id: int) -> BaseResponse:
    item, form = load_item(item_id), NoteForm()
    if not form.validate():
        form_errors(form)
        return back(item)
    try:
        add_note(db(), item, form.text.data or "", viewer().user_id, now())
    except QueueError as exc:
        flash(queue_error_text(exc), "error")
    else:
        flash(t("item.note_added"), "ok")
    return back(item)


@bp.route("/<int:item_id>/duplicate", methods=["POST"])
def duplicate(item_id: int) -> BaseResponse:
    item, form = load_item(item_id), DuplicateForm()
    if not form.validate():
        form_errors(form)
        return back(item)
    try:
        original = mark_duplicate(db(), item, form.original_id.data or 0, viewer().user_id, now())
    except QueueError as exc:
        flash(queue_error_text(exc), "error")
    else:
        flash(t("item.marked_duplicate", original=original.id), "ok")
    return back(item)


@bp.route("/<int:item_id>/replies", methods=["POST"])
def reply(item_id: int) -> BaseResponse | tuple[str, int]:
    item, form = load_item(item_id), ReplyForm()
    if not form.validate():
        form_errors(form)
        return render_item(item, reply_form=form, status=400)
    try:
        uploads = _checked_files(item, form)
    except attachments.AttachmentRefusedError as exc:
        form.files.errors = [str(exc)]  # nothing stored: the officer picks the files again
        return render_item(item, reply_form=form, status=422)
    try:
        created = create_reply(
            db(),
            item,
            form.kind.data or "",
            form.text.data or "",
            viewer().user_id,
            now(),
            tracking_url=services().settings.web.public_url,
        )
    except ReplyRefusedError as exc:
        # Shown beside the form, with the text kept, so the officer can fix it and resend.
        form.text.errors = [str(exc)]
        return render_item(item, reply_form=form, status=422)
    if uploads:
        settings = services().settings
        folder = attachments.attachments_dir(settings)
        user = viewer().user_id
        public_url = settings.web.public_url
        attachments.attach(db(), created, uploads, folder, user, now(), public_url)
    flash(t("item.reply_queued"), "ok")
    return back(item)


def _checked_files(item: Item, form: ReplyForm) -> list[attachments.Upload]:
    sent = [(f.filename, f.read()) for f in form.files.data or [] if f and f.filename]
    checked = attachments.check_all(sent)
    denunciation = item.category == "to_cao" or item.confidential
    reason = attachments.refusal(denunciation, form.kind.data or "", checked)
    if reason is not None:
        raise attachments.AttachmentRefusedError(reason)
    return checked


@bp.route("/<int:item_id>/files/<int:file_id>")
def reply_file(item_id: int, file_id: int) -> BaseResponse:
    """A file of one of the item's answers, for those who may open the item."""
    item = load_item(item_id)
    row = db().get(ReplyAttachment, file_id)
    return send_attachment(row if row is not None and row.item_id == item.id else None)


def _reply_of(item: Item, reply_id: int) -> Reply:
    found = db().get(Reply, reply_id)
    if found is None or found.item_id != item.id:
        abort(404)
    return found


@bp.route("/<int:item_id>/replies/<int:reply_id>/retry", methods=["POST"])
def retry_reply(item_id: int, reply_id: int) -> BaseResponse:
    item = load_item(item_id)
    found = _reply_of(item, reply_id)
    try:
        retry(db(), found, viewer().user_id, now())
    except ReplyRefusedError as exc:
        flash(str(exc), "error")
    else:
        flash(t("item.reply_retry"), "ok")
    return back(item)


@bp.route("/<int:item_id>/replies/<int:reply_id>/resend", methods=["POST"])
def resend_reply(item_id: int, reply_id: int) -> BaseResponse:
    """Send a reply left "unknown" again, once the officer says the Page does not have it."""
    item = load_item(item_id)
    found = _reply_of(item, reply_id)
    if request.form.get("checked") != "yes":
        flash(t("reply.resend_unchecked"), "error")
        return back(item)
    try:
        resend(db(), found, viewer().user_id, now())
    except ReplyRefusedError as exc:
        flash(str(exc), "error")
    else:
        flash(t("item.reply_resend"), "ok")
    return back(item)
