"""ingest(): the one door every item comes through (comments, messages, visitor posts, calls).

Insert-or-ignore on (source, external_id) makes a replayed batch harmless; the caller commits
the items together with the cursor/watermark that produced them, so a crash either keeps both or
neither. Edits keep the previous text as evidence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.audit import record as audit
from storage.departments import link_items
from storage.page_answers import answer_from_page
from storage.records import Classify, ItemRecord, Prediction, suspected_to_cao, urgency_of
from storage.search_text import search_text
from storage.tables import Item, ItemVersion

if TYPE_CHECKING:
    from storage.deadlines import DeadlinePolicy

log = logging.getLogger("pakn.storage")

FLAG_CATEGORIES = frozenset({"to_cao", "khieu_nai"})
_CHUNK = 500

DueAt = Callable[[str | None, bool, datetime], "tuple[datetime | None, str | None]"]


@dataclass(frozen=True)
class IngestPolicy:
    """How new items are labelled and queued; built once by the caller."""

    classify: Classify | None = None
    due_at: DueAt | None = None
    routing: Mapping[str, str] = field(default_factory=dict)
    review_below_confidence: float = 0.6
    # "khac" at least this sure, with nothing to flag, is small talk: no deadline, set aside
    # (storage/small_talk.py). None sets nothing aside.
    small_talk_confidence: float | None = None

    def is_small_talk(self, pred: Prediction) -> bool:
        threshold = self.small_talk_confidence
        return threshold is not None and pred.category == "khac" and pred.confidence >= threshold

    def with_deadlines(self, deadlines: DeadlinePolicy) -> IngestPolicy:
        """The same policy on new deadline rules (admins edited the calendar)."""
        return replace(self, due_at=deadlines.deadline)


@dataclass
class IngestResult:
    inserted: list[int] = field(default_factory=list)
    edited: list[int] = field(default_factory=list)
    unchanged: int = 0

    def __iadd__(self, other: IngestResult) -> IngestResult:
        self.inserted += other.inserted
        self.edited += other.edited
        self.unchanged += other.unchanged
        return self


def ingest(
    session: Session,
    records: Iterable[ItemRecord],
    *,
    now: datetime,
    policy: IngestPolicy | None = None,
) -> IngestResult:
    """Store new items, update edited ones, touch the rest. Never commits."""
    policy = policy or IngestPolicy()
    unique: dict[tuple[str, str], ItemRecord] = {}
    for rec in records:
        unique[(rec.source, rec.external_id)] = rec
    result = IngestResult()
    batch = list(unique.values())
    for start in range(0, len(batch), _CHUNK):
        result += _ingest_chunk(session, batch[start : start + _CHUNK], now, policy)
    return result


def _ingest_chunk(
    session: Session, chunk: list[ItemRecord], now: datetime, policy: IngestPolicy
) -> IngestResult:
    result = IngestResult()
    existing = _existing(session, chunk)
    fresh: list[ItemRecord] = []
    relabel: list[tuple[int, ItemRecord]] = []
    for rec in chunk:
        row = existing.get((rec.source, rec.external_id))
        if row is None:
            fresh.append(rec)
        elif _refresh(session, row, rec, now):
            result.edited.append(row["id"])
            if row["labels_reviewed_at"] is None and not rec.by_page:
                relabel.append((row["id"], rec))
        else:
            result.unchanged += 1
    seen = [row["id"] for key, row in existing.items()]
    if seen:
        session.execute(update(Item).where(Item.id.in_(seen)).values(last_seen_at=now))
    if relabel and policy.classify is not None:
        _relabel(session, relabel, now, policy, policy.classify)
    if fresh:
        result.inserted = _insert(session, fresh, now, policy)
    link_items(session, [*result.inserted, *result.edited], policy.routing, now)
    if result.inserted:
        # A page reply made on Facebook itself answers the citizen item it replies to.
        answer_from_page(session, result.inserted, now)
    return result


def _relabel(
    session: Session,
    edited: list[tuple[int, ItemRecord]],
    now: datetime,
    policy: IngestPolicy,
    classify: Classify,
) -> None:
    """An edit can turn a question into a report of a fire: classify the new text again,
    unless an officer has already decided the labels. An edit never lifts confidentiality: a
    denouncer who softens the text is still a denouncer (only a leader clears the flag)."""
    predictions = classify([rec.text for _id, rec in edited])
    before = {
        row.id: row
        for row in session.execute(
            select(Item.id, Item.category, Item.urgent, Item.field, Item.confidential).where(
                Item.id.in_([item_id for item_id, _rec in edited])
            )
        )
    }
    for (item_id, rec), pred in zip(edited, predictions, strict=True):
        values = labels_and_queue(pred, rec.created_time, policy, now)
        values["confidential"] = bool(values.get("confidential")) or before[item_id].confidential
        session.execute(update(Item).where(Item.id == item_id).values(**values))
        _audit_relabel(session, before[item_id], values, now)


def _audit_relabel(session: Session, old: Any, values: dict[str, Any], now: datetime) -> None:
    """The labels the daemon gave an edited item, beside the ones it had (the system did it)."""
    keys = ("category", "urgent", "field", "confidential")
    was = {k: getattr(old, k) for k in keys}
    after = {k: values.get(k, was[k]) for k in keys}
    if after != was:
        audit(session, None, "labels_reclassified", old.id, was, after, now)


def _existing(session: Session, chunk: Sequence[ItemRecord]) -> dict[tuple[str, str], Any]:
    ids = {rec.external_id for rec in chunk}
    sources = {rec.source for rec in chunk}
    rows = session.execute(
        select(
            Item.id,
            Item.source,
            Item.external_id,
            Item.content_hash,
            Item.text,
            Item.author_name,
            Item.author_phone,
            Item.attachments,
            Item.hidden,
            Item.deleted,
            Item.missing_checks,
            Item.labels_reviewed_at,
        ).where(Item.external_id.in_(ids), Item.source.in_(sources))
    ).mappings()
    return {(r["source"], r["external_id"]): r for r in rows}


def _refresh(session: Session, row: Any, rec: ItemRecord, now: datetime) -> bool:
    """Apply what changed on Facebook since we last saw the item; True when the text changed."""
    values: dict[str, Any] = {}
    if row["hidden"] != rec.hidden:
        values["hidden"] = rec.hidden
    if row["deleted"] or row["missing_checks"]:
        # It is back (or was never gone: a cursor glitch or a permission hiccup).
        values |= {"deleted": False, "deleted_at": None, "missing_checks": 0}
    new_hash = rec.content_hash()
    edited = bool(new_hash != row["content_hash"])
    if edited:
        session.add(
            ItemVersion(
                item_id=row["id"], text=row["text"], attachments=row["attachments"], replaced_at=now
            )
        )
        values |= {
            "text": rec.text,
            "search_text": search_text(rec.text, row["author_name"], row["author_phone"]),
            "attachments": rec.attachments_json(),
            "content_hash": new_hash,
            "edited": True,
        }
    if values:
        session.execute(update(Item).where(Item.id == row["id"]).values(**values))
    return edited


def _insert(
    session: Session, fresh: list[ItemRecord], now: datetime, policy: IngestPolicy
) -> list[int]:
    citizen = [r for r in fresh if not r.by_page]
    predictions: dict[tuple[str, str], Prediction] = {}
    if policy.classify is not None and citizen:
        preds = policy.classify([r.text for r in citizen])
        predictions = {(r.source, r.external_id): p for r, p in zip(citizen, preds, strict=True)}
    rows = [_row(rec, predictions.get((rec.source, rec.external_id)), now, policy) for rec in fresh]
    keys = set().union(*(row.keys() for row in rows))
    # One executemany needs one shape: fill what page replies leave out with column defaults.
    rows = [{k: row.get(k, _EMPTY.get(k)) for k in keys} for row in rows]
    session.execute(_insert_ignore(session), rows)
    # Ours are the ones stamped with this call's time; a concurrent writer's copy is not.
    inserted = session.scalars(
        select(Item.id).where(
            Item.external_id.in_({r.external_id for r in fresh}),
            Item.source.in_({r.source for r in fresh}),
            Item.first_seen_at == now,
        )
    ).all()
    if len(inserted) < len(rows):
        # Another daemon stored some between our SELECT and INSERT: that is the point of the key.
        log.info("bỏ qua %d mục đã có (ghi đồng thời)", len(rows) - len(inserted))
    return list(inserted)


_EMPTY: dict[str, Any] = {
    "flagged": False,
    "confidential": False,
    "urgent": False,
    "labels_corrected": False,
    "edited": False,
    "deleted": False,
    "missing_checks": 0,
    "set_aside": False,
}


def _insert_ignore(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    table = Item.__table__
    return module.insert(table).on_conflict_do_nothing(index_elements=["source", "external_id"])


def _row(
    rec: ItemRecord, pred: Prediction | None, now: datetime, policy: IngestPolicy
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "source": rec.source,
        "external_id": rec.external_id,
        "unit_id": rec.unit_id,
        "page_id": rec.page_id,
        "thread_id": rec.thread_id,
        "parent_id": rec.parent_id,
        "author_id": rec.author_id,
        "author_name": rec.author_name,
        "author_phone": rec.author_phone,
        "by_page": rec.by_page,
        "text": rec.text,
        "search_text": search_text(rec.text, rec.author_name, rec.author_phone),
        "attachments": rec.attachments_json(),
        "content_hash": rec.content_hash(),
        "created_time": rec.created_time,
        "permalink": rec.permalink,
        "hidden": rec.hidden,
        "first_seen_at": now,
        "last_seen_at": now,
        "status": "not_actionable" if rec.by_page else "new",
    }
    if rec.by_page:
        return row
    row |= labels_and_queue(pred, rec.created_time, policy, now)
    return row


def labels_and_queue(
    pred: Prediction | None, received_at: datetime, policy: IngestPolicy, now: datetime
) -> dict[str, Any]:
    """Labels, review flags, confidentiality, routing and deadline for a citizen item."""
    if pred is None:
        due, rule = policy.due_at(None, False, received_at) if policy.due_at else (None, None)
        return {
            "flagged": True,
            "flag_reasons": "unclassified",
            "due_at": due,
            "deadline_rule": rule,
        }
    reasons = []
    if pred.confidence < policy.review_below_confidence:
        reasons.append("low_confidence")
    if pred.category in FLAG_CATEGORIES:
        reasons.append(pred.category)
    if pred.urgent:
        # "possible": the duty officer hears of it at night too, told the classifier is unsure.
        reasons.append("urgent" if urgency_of(pred) == "urgent" else "possible_urgent")
    if suspected_to_cao(pred) and pred.category != "to_cao":
        reasons.append("possible_to_cao")
    due, rule = (None, None)
    aside = policy.is_small_talk(pred) and not reasons
    if policy.due_at is not None and not aside:
        due, rule = policy.due_at(pred.category, pred.urgent, received_at)
    return {
        "pred_category": pred.category,
        "pred_urgent": pred.urgent,
        "pred_field": pred.field,
        "confidence": pred.confidence,
        "model_version": pred.model_version,
        "classified_at": now,
        "category": pred.category,
        "urgent": pred.urgent,
        "field": pred.field,
        "flagged": bool(reasons),
        "flag_reasons": ",".join(reasons) or None,
        # Fails safe: a suspected denunciation is masked until a leader confirms or clears it.
        "confidential": suspected_to_cao(pred),
        "department": policy.routing.get(pred.field),
        "due_at": due,
        "deadline_rule": rule,
        "set_aside": aside,
        "set_aside_at": now if aside else None,
    }
