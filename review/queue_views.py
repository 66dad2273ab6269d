"""The queue: its views (new & flagged, mine, due soon, overdue, small talk, all) as a dense
list with filters, saved filters and bulk actions, and the search page.

The list refreshes itself: review/static/pakn.js polls /live/changes (review/live_views.py) and
asks this view for the list alone (``?partial=1``) when something in the user's units moved.
Keyboard shortcuts and row selection are in review/static/queue.js.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from classifier.labels import CATEGORIES, FIELDS
from review import bulk_actions
from review.context import audit_apart, db, now, services, t, viewer
from review.forms import SearchForm
from review.queue_forms import BULK_ACTIONS, FILTER_KEYS, BulkForm, FilterForm, SaveFilterForm
from review.queue_forms import day_start as _day_start
from review.queue_tabs import count_text, page_number, pager, tab_counts
from storage.active_learning import items_to_confirm
from storage.queue_filters import filter_choices
from storage.queue_live import current_cursor, reply_marks
from storage.queue_search import (
    PAGE_SIZE,
    VIEWS,
    ItemPage,
    SearchFilters,
    queue_page,
    search,
    view_count,
)
from storage.saved_filters import SavedFilterError, delete_filter, save_filter, saved_filters
from storage.small_talk import figures
from storage.tables import SOURCES, STATUSES, Unit
from storage.users import display_names, units
from storage.visibility import ItemCard, cards, may_assign_others

bp = Blueprint("queue", __name__)
_SEARCH_KEYS = ("text", "author", "category", "status", "unit", "received_from", "received_to")
_FIELD_ERRORS = {"received_from": "inbox.error_date", "received_to": "inbox.error_date"}


def due_soon_window() -> timedelta:
    return timedelta(hours=services().deadlines.due_soon_hours)


def audit_identity_views(cards: list[ItemCard]) -> None:
    """A list that shows denouncers to someone entitled is a view of them (storage.visibility);
    a GET's own session only reads, so the entries are written apart."""
    for item_id in dict.fromkeys(c.id for c in cards if c.shielded and not c.masked):
        audit_apart("view_confidential_listed", item_id)


def all_units() -> list[Unit]:
    """Every unit, read once per request (the list and the filters both name them)."""
    if "all_units" not in g:
        g.all_units = units(db())
    found: list[Unit] = g.all_units
    return found


def list_lookups(cards: list[ItemCard]) -> dict[str, Any]:
    """Names the list shows instead of ids: assignees, units, and each item's reply state."""
    return {
        "assignees": display_names(db(), (c.assignee_id for c in cards)),
        "unit_names": {u.id: u.name for u in all_units()},
        "reply_marks": reply_marks(db(), (c.id for c in cards)),
    }


CONFIRM_PAGE = 30
QUEUE_PAGE = PAGE_SIZE


@bp.route("/")
def index() -> BaseResponse:
    return redirect(url_for("queue.show", view="triage"))


@bp.route("/queue/<view>")
def show(view: str) -> str:
    if view not in VIEWS:
        abort(404)
    who, moment = viewer(), now()
    form = FilterForm(formdata=request.args)
    valid = form.validate()
    cursor = request.args.get("cursor")
    filters = form.filters() if valid else None
    soon = due_soon_window()
    page = queue_page(
        db(), who, view, now=moment, soon=soon, cursor=cursor, filters=filters, limit=QUEUE_PAGE
    )
    audit_identity_views(page.cards)
    lookups = list_lookups(page.cards)
    params = form.params() if valid else {}
    partial = bool(request.args.get("partial"))
    tabs = None if partial else tab_counts(who, moment, soon)
    if tabs is not None and not (filters is not None and filters.active()):
        # An unfiltered list is its tab: the tab's count has the list's WHERE already.
        total = tabs[view]
    else:
        # The same WHERE as the list (storage.queue_search.view_count): "Trang k / n" holds.
        total = view_count(db(), who, view, now=moment, soon=soon, filters=filters)
    cursors = (page.prev_cursor, page.next_cursor, bool(cursor))
    number = page_number(request.args.get("page_no"), cursor)
    lookups["pager"] = pager(view, params, total, number, QUEUE_PAGE, cursors)
    if tabs is None:
        return render_template("queue_list.html", page=page, view=view, **lookups)
    counts = {v: c.value for v, c in tabs.items()}
    return render_template(
        "queue.html",
        view=view,
        views=VIEWS,
        page=page,
        counts=counts,
        count_texts={v: count_text(c) for v, c in tabs.items()},
        form=form,
        errors=_form_errors(form),
        params=params,
        first_page=not cursor,
        saved=saved_filters(db(), who.user_id),
        choices=filter_choices(db(), who),
        visible_units=[u for u in all_units() if who.sees_unit(u.id)],
        can_assign_others=may_assign_others(who),
        small_talk=figures(db(), who.unit_ids) if view == "small_talk" else None,
        partial_url=_partial_url(view),
        live_cursor=current_cursor(db(), moment).encode(),
        poll_seconds=services().settings.web.live_poll_seconds,
        categories=CATEGORIES,
        fields=FIELDS,
        sources=SOURCES,
        statuses=STATUSES,
        bulk_actions=BULK_ACTIONS,
        **lookups,
    )


def view_url(view: str, params: dict[str, str]) -> str:
    """A queue view with its filters (and page) in the address."""
    query = urlencode(params)
    return url_for("queue.show", view=view) + (f"?{query}" if query else "")


def _partial_url(view: str) -> str:
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("partial", "lang")]
    return url_for("queue.show", view=view) + "?" + urlencode([*args, ("partial", "1")])


def _form_errors(form: FilterForm) -> list[str]:
    """Each invalid filter once, in the user's language (WTForms' own texts are English)."""
    found = []
    for name, errors in form.errors.items():
        key = _FIELD_ERRORS.get(str(name))
        found += [t(key)] if key else [t(str(e)) for e in errors]
    return list(dict.fromkeys(found))


@bp.route("/queue/bulk", methods=["POST"])
def bulk() -> BaseResponse:
    form = BulkForm()
    wants_json = request.accept_mimetypes.best == "application/json"
    ids = _ids(request.form)
    try:
        if not form.validate() or (form.action.data or "") not in BULK_ACTIONS:
            raise bulk_actions.BulkRequestError(_first_error(form))
        report = bulk_actions.run(form, ids)
    except bulk_actions.BulkRequestError as exc:
        if wants_json:
            return jsonify({"done": [], "refused": [], "error": str(exc)})
        flash(str(exc), "error")
        return redirect(safe_next(form.next.data))
    if wants_json:
        refused = [{"id": i, "reason": r} for i, r in report.refused]
        return jsonify({"done": report.done, "refused": refused, "error": None})
    if report.done:
        flash(t("inbox.bulk_done", n=len(report.done)), "ok")
    for item_id, reason in report.refused[:10]:
        flash(t("inbox.bulk_refused", id=item_id, reason=reason), "error")
    return redirect(safe_next(form.next.data))


def _ids(data: MultiDict[str, str]) -> list[int]:
    """The ticked rows, or every row shown when the user swept the whole list."""
    raw = data.getlist("ids")
    if data.get("sweep"):
        raw = (data.get("shown") or "").split(",")
    return [int(v) for v in raw if v.strip().isdigit() and len(v.strip()) < 10]


def _first_error(form: BulkForm) -> str:
    for name, errors in form.errors.items():
        if name in ("assignee", "original_id"):
            return t("inbox.error_number")
        return t(str(errors[0]))
    return t("inbox.bulk_unknown_action")


def safe_next(target: str | None) -> str:
    """Back where the user came from: a queue view or an item page of this site, nothing else."""
    target = target or ""
    if target.startswith(("/queue/", "/items/")) and "//" not in target and "\\" not in target:
        return target
    return url_for("queue.index")


@bp.route("/queue/filters", methods=["POST"])
def save() -> BaseResponse:
    form = SaveFilterForm()
    view = form.view.data if form.view.data in VIEWS else "triage"
    wanted = FilterForm(formdata=MultiDict(_query_pairs(form.query.data or "")))
    if not form.validate() or not wanted.validate():
        flash(t("error.required") if form.errors else _form_errors(wanted)[0], "error")
        return redirect(url_for("queue.show", view=view))
    try:
        saved = save_filter(
            db(), viewer().user_id, form.name.data or "", view, wanted.params(), now()
        )
    except SavedFilterError as exc:
        flash(str(exc), "error")
    else:
        flash(t("inbox.saved_ok", name=saved.name), "ok")
    return redirect(view_url(view, wanted.params()))


def _query_pairs(query: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in parse_qsl(query) if k in FILTER_KEYS]


@bp.route("/queue/filters/<int:filter_id>/delete", methods=["POST"])
def forget(filter_id: int) -> BaseResponse:
    if delete_filter(db(), viewer().user_id, filter_id):
        flash(t("inbox.deleted_ok"), "ok")
    else:
        flash(t("inbox.filter_gone"), "error")
    return redirect(safe_next(request.form.get("next")))


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
        visible_units=[u for u in all_units() if who.sees_unit(u.id)],
        **list_lookups(page.cards if page else []),
    )


@bp.route("/can-xac-nhan")
def to_confirm() -> str:
    """Items the classifier is least sure about, plus a seeded random share: what an officer
    should confirm or correct first, so that retraining learns where it helps most."""
    picked = items_to_confirm(db(), viewer(), limit=CONFIRM_PAGE)
    shown = cards(db(), [p.item for p in picked], viewer())
    audit_identity_views(shown)
    return render_template(
        "confirm.html",
        page=ItemPage(shown, None),
        reasons={p.item.id: p.reason for p in picked},
        **list_lookups(shown),
    )
