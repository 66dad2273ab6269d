"""The queue views (new & flagged, mine, due soon, overdue, all) and the search page."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from classifier.labels import CATEGORIES
from review.context import audit_apart, db, now, services, viewer
from review.forms import SearchForm
from storage.queue_search import VIEWS, SearchFilters, queue_counts, queue_page, search
from storage.tables import STATUSES
from storage.users import display_names, units
from storage.visibility import ItemCard
from storage.workdays import VIETNAM_TZ

bp = Blueprint("queue", __name__)
_SEARCH_KEYS = ("text", "author", "category", "status", "unit", "received_from", "received_to")


def due_soon_window() -> timedelta:
    return timedelta(hours=services().deadlines.due_soon_hours)


def audit_identity_views(cards: list[ItemCard]) -> None:
    """A list that shows denouncers to someone entitled is a view of them (storage.visibility);
    a GET's own session only reads, so the entries are written apart."""
    for item_id in dict.fromkeys(c.id for c in cards if c.shielded and not c.masked):
        audit_apart("view_confidential_listed", item_id)


def list_lookups(cards: list[ItemCard]) -> dict[str, Any]:
    """Names the list shows instead of ids: assignees and units."""
    return {
        "assignees": display_names(db(), (c.assignee_id for c in cards)),
        "unit_names": {u.id: u.name for u in units(db())},
    }


@bp.route("/")
def index() -> BaseResponse:
    return redirect(url_for("queue.show", view="triage"))


@bp.route("/queue/<view>")
def show(view: str) -> str:
    if view not in VIEWS:
        abort(404)
    who, moment, soon = viewer(), now(), due_soon_window()
    cursor = request.args.get("cursor")
    page = queue_page(db(), who, view, now=moment, soon=soon, cursor=cursor)
    counts = queue_counts(db(), who, now=moment, soon=soon)
    audit_identity_views(page.cards)
    return render_template(
        "queue.html",
        view=view,
        views=VIEWS,
        page=page,
        counts=counts,
        first_page=not cursor,
        **list_lookups(page.cards),
    )


@bp.route("/search")
def find() -> str:
    form = SearchForm(formdata=request.args)
    asked = any(request.args.get(k) for k in _SEARCH_KEYS)
    page = None
    if asked and form.validate():
        filters = SearchFilters(
            text=form.text.data or "",
            author=form.author.data or "",
            category=form.category.data or "",
            status=form.status.data or "",
            unit_id=form.unit.data or "",
            received_from=_day_start(form.received_from.data),
            received_to=_day_start(form.received_to.data, days_after=1),
        )
        page = search(db(), viewer(), filters, cursor=request.args.get("cursor"))
        audit_identity_views(page.cards)
    who = viewer()
    return render_template(
        "search.html",
        form=form,
        page=page,
        categories=CATEGORIES,
        statuses=STATUSES,
        visible_units=[u for u in units(db()) if who.sees_unit(u.id)],
        **list_lookups(page.cards if page else []),
    )


def _day_start(day: date | None, days_after: int = 0) -> datetime | None:
    """Midnight (Hà Nội) at the start of ``day``: the search's dates are local dates."""
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=days_after), time(), tzinfo=VIETNAM_TZ)
