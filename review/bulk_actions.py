"""Bulk actions of the queue page: one change to many items, each through the queue's own
functions (storage/review_queue.py, storage/small_talk.py), so that every item is checked and
audited exactly as on its own page. An item the user may not act on, or that the workflow
refuses, is left as it was and named with the reason in the user's language.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from classifier.labels import CATEGORIES, FIELDS
from review.context import db, now, services, t, viewer
from review.filters import label
from review.queue_forms import BulkForm
from storage.review_queue import (
    TRANSITIONS,
    QueueError,
    allowed_next,
    assign,
    bulk,
    change_status,
    items_for_bulk,
    mark_duplicate,
    review_labels,
)
from storage.small_talk import NotSetAsideError, pull_back
from storage.tables import STATUSES, Item
from storage.visibility import may_assign_others, may_open

MAX_ITEMS: Final = 200
_CLOSE = "not_actionable"
_REFUSALS = (QueueError, NotSetAsideError)


class BulkRequestError(ValueError):
    """The request itself cannot be carried out; the message (translated) says what to fix."""


@dataclass(frozen=True)
class BulkReport:
    done: list[int]
    refused: list[tuple[int, str]]  # (item id, reason in the user's language)


def run(form: BulkForm, ids: Sequence[int]) -> BulkReport:
    """Carry out the form's action on the items ``ids`` that the user may open."""
    if not ids:
        raise BulkRequestError(t("inbox.bulk_none"))
    if len(ids) > MAX_ITEMS:
        raise BulkRequestError(t("inbox.bulk_too_many", max=MAX_ITEMS))
    action = form.action.data or ""
    who = viewer()
    rows = items_for_bulk(db(), ids)
    items = [i for i in rows if who.sees_unit(i.unit_id) and may_open(who, i)]
    refused = [(i, t("inbox.refused_access")) for i in sorted(set(ids) - {i.id for i in items})]
    if action == "duplicate":
        # The original is the number given, or the oldest of the selected items.
        form.original_id.data = form.original_id.data or (items[0].id if items else None)
        items = [i for i in items if i.id != form.original_id.data]
    change = _change(action, form)
    if action in ("status", "close"):
        target = _CLOSE if action == "close" else form.status.data or ""
        moving = [i for i in items if target in TRANSITIONS.get(i.status, frozenset())]
        refused += [(i.id, _transition(i.status, target)) for i in items if i not in moving]
        items = moving
    outcome = bulk(db(), items, change, refusals=_REFUSALS)
    refused += [(item_id, reason) for item_id, reason in outcome.refused.items()]
    return BulkReport(outcome.done, sorted(refused))


def _change(action: str, form: BulkForm) -> Callable[[Item], object]:
    session, uid, moment = db(), viewer().user_id, now()
    if action == "take":
        return lambda i: assign(
            session, i, department=i.department, assignee_id=uid, user_id=uid, now=moment
        )
    if action == "assign":
        if not may_assign_others(viewer()):
            raise BulkRequestError(t("inbox.bulk_not_yours"))
        if form.assignee.data is None:
            raise BulkRequestError(t("inbox.bulk_need_assignee"))
        whom = form.assignee.data
        return lambda i: assign(
            session, i, department=i.department, assignee_id=whom, user_id=uid, now=moment
        )
    if action in ("status", "close"):
        target = _CLOSE if action == "close" else form.status.data or ""
        if target not in STATUSES:
            raise BulkRequestError(t("inbox.bulk_need_status"))
        return lambda i: change_status(session, i, target, uid, moment)
    if action == "labels":
        return _labels(form)
    if action == "duplicate":
        original = form.original_id.data or 0
        return lambda i: mark_duplicate(session, i, original, uid, moment)
    if action == "pull_back":
        policy = services().ingest_policy
        return lambda i: pull_back(session, i, user_id=uid, now=moment, policy=policy)
    raise BulkRequestError(t("inbox.bulk_unknown_action"))


def _labels(form: BulkForm) -> Callable[[Item], object]:
    category = form.category.data or ""
    field = form.field.data or ""
    urgent = {"yes": True, "no": False}.get(form.urgent.data or "")
    if category not in ("", *CATEGORIES) or field not in ("", *FIELDS):
        raise BulkRequestError(t("inbox.bulk_need_label"))
    if not category and not field and urgent is None:
        raise BulkRequestError(t("inbox.bulk_need_label"))
    session, uid, moment, policy = db(), viewer().user_id, now(), services().ingest_policy

    def relabel(item: Item) -> object:
        return review_labels(
            session,
            item,
            category=category or item.category or "khac",
            urgent=item.urgent if urgent is None else urgent,
            field=field or item.field or "khac",
            user_id=uid,
            now=moment,
            policy=policy,
        )

    return relabel


def _transition(before: str, after: str) -> str:
    choices = ", ".join(label("status", s) for s in allowed_next(before))
    return t(
        "inbox.refused_transition",
        before=label("status", before),
        after=label("status", after),
        choices=choices or t("inbox.refused_none"),
    )
