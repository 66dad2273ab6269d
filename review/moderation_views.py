"""Hiding a comment on the Page, and the item page's panel of proposals and moderation.

An officer asks to hide (or show again) a citizen's comment with a reason; the request is a
row the daemon performs at most once (storage/moderation.py, monitor/moderation.py). A request
left "unknown" is settled by an officer who looked at the Page. Every handler opens the item
through the item page's rules (review.item_views.load_item).

The item page includes templates/reports/_item_panel.html; ``item_panel(item)`` (a template
global) gives it the item's proposals, whether its answer waits for a direction, and its
moderation requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, request
from werkzeug.wrappers import Response as BaseResponse

from review.context import db, now, viewer
from review.item_views import back, load_item
from review.report_texts import tx
from storage import moderation as store
from storage.proposals import STATE_NAMES, direction_gate, proposals_for
from storage.tables import Item, ModerationRequest, Proposal

bp = Blueprint("moderation", __name__, url_prefix="/items")


@dataclass(frozen=True)
class ItemPanel:
    proposals: list[Proposal]
    waiting: str | None  # why an answer waits for a direction, or None
    moderable: bool
    requests: list[ModerationRequest]
    open_request: ModerationRequest | None


def item_panel(item: Item) -> ItemPanel:
    session = db()
    history = store.history(session, item.id)
    return ItemPanel(
        proposals=proposals_for(session, [item.id])[item.id],
        waiting=direction_gate(session, item),
        moderable=item.source == "facebook_comment" and not item.by_page and not item.deleted,
        requests=history,
        open_request=next((r for r in history if r.status in store.OPEN_STATES), None),
    )


@bp.app_context_processor
def _panel_globals() -> dict[str, Any]:
    return {
        "item_panel": item_panel,
        "panel_tx": tx,
        "proposal_states": STATE_NAMES,
        "moderation_reasons": store.REASONS,
        "moderation_actions": store.ACTION_NAMES,
        "moderation_states": store.STATE_NAMES,
    }


@bp.post("/<int:item_id>/moderation")
def ask(item_id: int) -> BaseResponse:
    item = load_item(item_id)
    try:
        found = store.request(
            db(),
            item,
            request.form.get("action", ""),
            request.form.get("reason", ""),
            request.form.get("note"),
            viewer().user_id,
            now(),
        )
    except store.ModerationRefusedError as exc:
        flash(str(exc), "error")
    else:
        flash(tx("md_requested", id=found.id), "ok")
    return back(item)


def _request_of(item: Item, request_id: int) -> ModerationRequest:
    found = db().get(ModerationRequest, request_id)
    if found is None or found.item_id != item.id:
        abort(404)
    return found


@bp.post("/<int:item_id>/moderation/<int:request_id>/confirm")
def confirm(item_id: int, request_id: int) -> BaseResponse:
    item = load_item(item_id)
    found = _request_of(item, request_id)
    applied = request.form.get("applied") == "yes"
    try:
        store.confirm(db(), found, applied, viewer().user_id, now())
    except store.ModerationRefusedError as exc:
        flash(str(exc), "error")
    else:
        flash(tx("md_settled"), "ok")
    return back(item)


@bp.post("/<int:item_id>/moderation/<int:request_id>/cancel")
def cancel(item_id: int, request_id: int) -> BaseResponse:
    item = load_item(item_id)
    found = _request_of(item, request_id)
    try:
        store.cancel(db(), found, viewer().user_id, now())
    except store.ModerationRefusedError as exc:
        flash(str(exc), "error")
    else:
        flash(tx("md_settled"), "ok")
    return back(item)
