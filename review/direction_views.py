"""Proposals to the leadership and their directions (storage/proposals.py), on screen.

- ``/directions/``: the leaders' "Chờ chỉ đạo" list (the morning digest links here), the
  proposals returned to the officers, and the latest directions; for the viewer's units.
- ``/directions/new?item=…``: an officer's proposal on one item or a group (the meeting
  summary links a whole topic here); every item is opened through the item page's rules.
- ``/directions/<id>``: the proposal, its items, and the leader's decision form (leaders of its
  unit) or the revision form (when it was returned).
- ``/directions/rules``: which categories of which units are answered only after a direction
  (admins, and leaders for their units).
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from werkzeug.wrappers import Response as BaseResponse

from review.context import add_leader_nav, db, now, viewer
from review.item_views import load_item
from review.queue_views import audit_identity_views
from review.report_texts import tx
from storage import proposals as store
from storage.departments import unit_departments
from storage.report_periods import parse_day
from storage.tables import Item, Proposal
from storage.users import display_names, units
from storage.visibility import cards

bp = Blueprint("directions", __name__, url_prefix="/directions")
DECIDED_SHOWN = 30


@bp.record_once
def _menu(state: BlueprintSetupState) -> None:
    assert isinstance(state.app, Flask)
    add_leader_nav(state.app, "directions.index", vi="Chờ chỉ đạo", en="Awaiting direction")


def _names() -> dict[str, str]:
    return {u.id: u.name for u in units(db())}


@bp.get("/")
def index() -> str:
    within = viewer().unit_ids
    session = db()
    lists = {
        "pending": store.listed(session, within, ["pending"]),
        "returned": store.listed(session, within, ["returned"]),
        "decided": store.listed(session, within, store.DIRECTED, limit=DECIDED_SHOWN),
    }
    people = [p.proposed_by for found in lists.values() for p in found]
    people += [p.directed_by for found in lists.values() for p in found]
    return render_template(
        "reports/directions.html",
        lists=lists,
        names=display_names(session, people),
        unit_names=_names(),
        states=store.STATE_NAMES,
        may_set_rules=viewer().is_admin or viewer().is_leader,
        tx=tx,
    )


def _items(ids: list[int]) -> list[Item]:
    """The items asked for, each opened with the item page's rules (404 / 403, audited)."""
    return [load_item(item_id) for item_id in dict.fromkeys(ids)]


def _ids(*fields: str) -> list[int]:
    found: list[int] = []
    for name in fields:
        for raw in request.values.getlist(name):
            for part in raw.replace(";", ",").replace("#", "").split(","):
                part = part.strip()
                if part.isdigit() and len(part) <= 9:
                    found.append(int(part))
                elif part:
                    abort(400)
    return found


def _draft() -> store.Draft:
    return store.Draft(
        summary=request.form.get("summary", ""),
        handling=request.form.get("handling", ""),
        department=request.form.get("department", ""),
        deadline=_day(request.form.get("deadline", "").strip()),
    )


def _day(text: str) -> date | None:
    if not text:
        return None
    try:
        return parse_day(text)
    except ValueError as exc:
        raise store.ProposalError(str(exc)) from exc


@bp.route("/new", methods=["GET", "POST"])
def new() -> str | BaseResponse | tuple[str, int]:
    items = _items(_ids("item", "more_items"))
    if not items:
        flash(tx("dr_none"), "error")
        return redirect(url_for(".index"))
    if request.method == "POST":
        try:
            found = store.propose(db(), items, _draft(), viewer().user_id, now())
        except store.ProposalError as exc:
            flash(str(exc), "error")
            return _form(items, 422)
        flash(tx("dr_created", id=found.id), "ok")
        return redirect(url_for(".show", proposal_id=found.id))
    return _form(items, 200)


def _form(items: list[Item], status: int) -> tuple[str, int]:
    shown = cards(db(), items, viewer())
    audit_identity_views(shown)
    departments = unit_departments(db(), {i.unit_id for i in items}, active_only=True)
    page = render_template(
        "reports/proposal_new.html",
        items=shown,
        departments=sorted({d.name for d in departments}),
        form=request.form,
        unit_names=_names(),
        tx=tx,
    )
    return page, status


def _proposal(proposal_id: int) -> Proposal:
    found = db().get(Proposal, proposal_id)
    if found is None or not viewer().sees_unit(found.unit_id):
        abort(404)
    return found


@bp.get("/<int:proposal_id>")
def show(proposal_id: int) -> tuple[str, int]:
    return _show(_proposal(proposal_id), 200)


def _show(found: Proposal, status: int) -> tuple[str, int]:
    session, who = db(), viewer()
    shown = cards(session, store.items_of(session, found.id), who)
    audit_identity_views([c for c in shown if c.openable])
    departments = unit_departments(session, [found.unit_id], active_only=True)
    page = render_template(
        "reports/proposal.html",
        p=found,
        items=shown,
        may_decide=who.is_leader and found.state == "pending",
        may_revise=found.state == "returned" and all(c.openable for c in shown),
        names=display_names(session, [found.proposed_by, found.directed_by]),
        unit_names=_names(),
        departments=sorted({d.name for d in departments}),
        states=store.STATE_NAMES,
        form=request.form,
        tx=tx,
    )
    return page, status


def _version() -> int:
    raw = request.form.get("version", "")
    if not raw.isdigit() or len(raw) > 9:
        abort(400)
    return int(raw)


@bp.post("/<int:proposal_id>/decide")
def decide(proposal_id: int) -> BaseResponse | tuple[str, int]:
    found, who = _proposal(proposal_id), viewer()
    if not who.is_leader:
        abort(403)
    decision = request.form.get("decision", "")
    try:
        change = None
        if decision == "changed":  # the leader changes where and by when, not the summary
            change = store.Draft(
                found.summary,
                found.handling,
                request.form.get("new_department", ""),
                _day(request.form.get("new_deadline", "").strip()),
            )
        store.decide(
            db(),
            found,
            decision,
            request.form.get("direction", ""),
            who.user_id,
            now(),
            version=_version(),
            change=change,
        )
    except store.ProposalError as exc:
        flash(str(exc), "error")
        return _show(found, 422)
    flash(tx("dr_decided_ok", id=found.id), "ok")
    return redirect(url_for(".index"))


@bp.post("/<int:proposal_id>/revise")
def revise(proposal_id: int) -> BaseResponse | tuple[str, int]:
    found = _proposal(proposal_id)
    _items(store.item_ids(db(), found.id))  # the officer must be able to open every item
    try:
        store.revise(db(), found, _draft(), viewer().user_id, now(), version=_version())
    except store.ProposalError as exc:
        flash(str(exc), "error")
        return _show(found, 422)
    flash(tx("dr_revised", id=found.id), "ok")
    return redirect(url_for(".show", proposal_id=found.id))


@bp.route("/rules", methods=["GET", "POST"])
def rules() -> str | BaseResponse:
    who = viewer()
    if not (who.is_admin or who.is_leader):
        abort(403)
    mine = [u for u in units(db()) if who.sees_unit(u.id)]
    if request.method == "POST":
        wanted = set(request.form.getlist("rule"))
        changed = 0
        for unit in mine:
            for category in store.CATEGORY_NAMES:
                required = f"{unit.id}:{category}" in wanted
                changed += store.require_direction(
                    db(), unit.id, category, required, who.user_id, now()
                )
        flash(tx("dr_saved", n=changed), "ok")
        return redirect(url_for(".rules"))
    return render_template(
        "reports/direction_rules.html",
        units=mine,
        rules=store.rules(db(), [u.id for u in mine]),
        categories=store.CATEGORY_NAMES,
        tx=tx,
    )
