"""Polling state kept beside the items: watched objects (posts, reels, album photos) with their
check schedule and failures, conversations, page watermarks, health and leases."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.orm import Session

from storage.records import ConversationInfo, PostInfo, WatchedObject
from storage.tables import Conversation, Item, Page, Post, RejectedPayload, Unit


class ConversationMark(NamedTuple):
    """A conversation's fully read updated_time, and when a failed read may be retried."""

    processed: datetime | None
    retry_at: datetime | None


def sync_pages(
    session: Session, units: Iterable[tuple[str, str, str]], pages: Iterable[tuple[str, str, str]]
) -> None:
    """Make units and pages match the configuration (never deletes: items refer to them)."""
    for unit_id, name, kind in units:
        unit = session.get(Unit, unit_id)
        if unit is None:
            session.add(Unit(id=unit_id, name=name, kind=kind))
        else:
            unit.name, unit.kind = name, kind
    session.flush()
    for page_id, name, unit_id in pages:
        if session.get(Unit, unit_id) is None:
            session.add(Unit(id=unit_id, name=unit_id, kind="xa"))
            session.flush()
        page = session.get(Page, page_id)
        if page is None:
            session.add(Page(id=page_id, name=name, unit_id=unit_id, enabled=True))
        else:
            page.name, page.unit_id, page.enabled = name, unit_id, True


def claim_page(session: Session, page_id: str, owner: str, now: datetime, lease: timedelta) -> bool:
    """Take the page for one poll; several daemons share pages this way (check the row count)."""
    result = session.execute(
        update(Page)
        .where(
            Page.id == page_id,
            Page.enabled.is_(True),
            or_(Page.lease_until.is_(None), Page.lease_until < now, Page.lease_owner == owner),
        )
        .values(lease_owner=owner, lease_until=now + lease, last_poll_started_at=now)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def take_over_page(
    session: Session, page_id: str, dead_owner: str, owner: str, now: datetime, lease: timedelta
) -> bool:
    """Take a lease from a holder known to be dead (same row count check as claim_page)."""
    result = session.execute(
        update(Page)
        .where(Page.id == page_id, Page.lease_owner == dead_owner)
        .values(lease_owner=owner, lease_until=now + lease, last_poll_started_at=now)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def release_page(session: Session, page_id: str, owner: str) -> None:
    session.execute(
        update(Page)
        .where(Page.id == page_id, Page.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )


def record_success(
    session: Session,
    page_id: str,
    now: datetime,
    usage: float | None,
    usage_json: str | None,
    api_version: str | None,
) -> None:
    session.execute(
        update(Page)
        .where(Page.id == page_id)
        .values(
            last_success_at=now,
            consecutive_failures=0,
            quarantined_at=None,
            quarantine_token_fp=None,
            usage_percent=usage,
            usage_json=usage_json,
            api_version_seen=api_version,
        )
    )


def record_failure(
    session: Session,
    page_id: str,
    now: datetime,
    kind: str,
    reason: str,
    *,
    token_fp: str | None = None,
    throttled_until: datetime | None = None,
) -> None:
    values: dict[str, Any] = {
        "last_error": reason,
        "last_error_class": kind,
        "last_error_at": now,
        "consecutive_failures": Page.consecutive_failures + 1,
    }
    if token_fp is not None:
        values |= {"quarantined_at": now, "quarantine_token_fp": token_fp}
    if throttled_until is not None:
        values["throttled_until"] = throttled_until
    session.execute(update(Page).where(Page.id == page_id).values(**values))


def page_row(session: Session, page_id: str) -> Page | None:
    return session.get(Page, page_id)


def set_page_watermark(
    session: Session,
    page_id: str,
    *,
    feed: datetime | None = None,
    feed_gaps: str | None = None,
    reels: datetime | None = None,
    conversations: datetime | None = None,
    swept_at: datetime | None = None,
    conversations_swept_at: datetime | None = None,
) -> None:
    """Move the given marks (None leaves a mark as it is)."""
    values: dict[str, Any] = {
        "feed_watermark": feed,
        "feed_gaps": feed_gaps,
        "reels_watermark": reels,
        "conversations_watermark": conversations,
        "last_sweep_at": swept_at,
        "conversations_swept_at": conversations_swept_at,
    }
    values = {k: v for k, v in values.items() if v is not None}
    if values:
        session.execute(update(Page).where(Page.id == page_id).values(**values))


def forget_conversation_sweep(session: Session, page_id: str) -> None:
    """A capped inbox walk stopped early: list every folder in full at the next cycle."""
    session.execute(update(Page).where(Page.id == page_id).values(conversations_swept_at=None))


# -- watched objects (posts, reels, album photos) ---------------------------------------------
def _watched(post: Post) -> WatchedObject:
    return WatchedObject(
        id=post.id,
        page_id=post.page_id,
        kind=post.kind,
        created_time=post.created_time,
        updated_time=post.updated_time,
        comment_count=post.comment_count,
        processed_updated_time=post.processed_updated_time,
        processed_comment_count=post.processed_comment_count,
        comments_seen_until=post.comments_seen_until,
        next_check_at=post.next_check_at,
        failures=post.failures,
        parent_post_id=post.parent_post_id,
    )


# When an object is checked next: (object id, kind, created time, first check).
NextCheck = Callable[[str, str, datetime, bool], datetime]


def upsert_objects(
    session: Session, infos: Iterable[PostInfo], now: datetime, next_check: NextCheck
) -> dict[str, WatchedObject]:
    """Remember what a listing showed of each object; returns each one's state.

    An object whose updated_time or comment count was observed counts as checked now and gets
    its next check from ``next_check``, unless it is backing off after failures.
    """
    infos = list(infos)
    found = {
        p.id: p for p in session.scalars(select(Post).where(Post.id.in_([i.id for i in infos])))
    }
    for info in infos:
        post = found.get(info.id)
        if post is None:
            post = Post(id=info.id, page_id=info.page_id, created_time=info.created_time)
            post.failures, post.missing_checks = 0, 0
            post.next_check_at = next_check(info.id, info.kind, info.created_time, True)
            session.add(post)
            found[info.id] = post
            first = True
        else:
            first = False
        _apply(post, info)
        if info.updated_time is not None or info.comment_count is not None:
            # A first sight spreads the object's checks over its interval: a backfill would
            # otherwise make a year of objects due in the same cycle an hour later.
            _checked(post, now, next_check, first=first)
    session.flush()
    return {i.id: _watched(found[i.id]) for i in infos}


def record_checks(
    session: Session,
    seen: Iterable[tuple[str, datetime | None, int | None]],
    now: datetime,
    next_check: NextCheck,
) -> dict[str, WatchedObject]:
    """What a multi-id check saw of known objects: (id, updated_time, comment count)."""
    seen = list(seen)
    found = {
        p.id: p for p in session.scalars(select(Post).where(Post.id.in_([s[0] for s in seen])))
    }
    for object_id, updated, count in seen:
        post = found.get(object_id)
        if post is None:
            continue
        if updated is not None:
            post.updated_time = updated
        if count is not None:
            post.comment_count = count
        post.missing_checks, post.gone_at = 0, None
        _checked(post, now, next_check)
        _adopt_updated(post)
    session.flush()
    return {object_id: _watched(p) for object_id, p in found.items()}


def _checked(post: Post, now: datetime, next_check: NextCheck, *, first: bool = False) -> None:
    """Checked now: the next check follows the object's age, unless its reads are failing,
    in which case the retry time set by the failure stands."""
    post.checked_at = now
    if post.failures == 0:
        post.next_check_at = next_check(post.id, post.kind, post.created_time, first)


def _adopt_updated(post: Post) -> None:
    """An object read before its updated_time was known (an album photo), and whose count has
    not moved since: that updated_time is covered by the read."""
    if (
        post.processed_updated_time is None
        and post.updated_time is not None
        and post.processed_comment_count is not None
        and post.comment_count == post.processed_comment_count
        and post.failures == 0
    ):
        post.processed_updated_time = post.updated_time


def _apply(post: Post, info: PostInfo) -> None:
    post.kind = info.kind
    post.gone_at, post.missing_checks = None, 0
    if info.parent_post_id is not None:
        post.parent_post_id = info.parent_post_id
    if info.updated_time is not None:
        post.updated_time = info.updated_time
    if info.comment_count is not None:
        post.comment_count = info.comment_count
    if info.kind != "photo" or info.message is not None:
        post.message = info.message
        post.author_id, post.author_name = info.author_id, info.author_name
        post.by_page = info.by_page
    if info.permalink is not None:
        post.permalink = info.permalink


def watched_objects(session: Session, ids: Iterable[str]) -> dict[str, WatchedObject]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    return {p.id: _watched(p) for p in session.scalars(select(Post).where(Post.id.in_(wanted)))}


def _watch_query(page_id: str, watched_since: datetime) -> Select[Post]:
    return select(Post).where(
        Post.page_id == page_id, Post.gone_at.is_(None), Post.created_time >= watched_since
    )


def due_objects(
    session: Session,
    page_id: str,
    *,
    watched_since: datetime,
    due_by: datetime,
    checked_before: datetime,
    limit: int,
    batch: int,
    young_since: datetime,
    young_fill_until: datetime,
    old_fill_until: datetime,
) -> list[WatchedObject]:
    """Objects whose check is due by ``due_by``, oldest schedule first, up to ``limit``; the
    last request is filled up to ``batch`` ids with the checks due next: by
    ``young_fill_until`` for objects created since ``young_since``, by ``old_fill_until`` for
    older ones (each tier is brought forward by a small share of its own interval)."""
    query = _watch_query(page_id, watched_since).where(
        or_(Post.checked_at.is_(None), Post.checked_at < checked_before)
    )
    due = list(
        session.scalars(
            query.where(Post.next_check_at <= due_by).order_by(Post.next_check_at).limit(limit)
        )
    )
    room = (-len(due)) % batch
    if due and room:
        soon = or_(
            and_(Post.created_time >= young_since, Post.next_check_at <= young_fill_until),
            and_(Post.created_time < young_since, Post.next_check_at <= old_fill_until),
        )
        due += session.scalars(
            query.where(Post.next_check_at > due_by, soon).order_by(Post.next_check_at).limit(room)
        )
    return [_watched(p) for p in due]


def cap_next_checks(
    session: Session,
    page_id: str,
    *,
    hot_since: datetime,
    young_since: datetime,
    hot_by: datetime,
    young_by: datetime,
    old_by: datetime,
) -> int:
    """Bring forward checks scheduled later than their tier's normal interval allows (set while
    the page's webhooks were healthy): posts and reels created since ``hot_since`` to
    ``hot_by``, other objects created since ``young_since`` to ``young_by``, older ones to
    ``old_by``. Objects backing off after failures keep their retry time. Returns how many."""
    hot = and_(Post.created_time >= hot_since, Post.kind != "photo")
    tiers = (
        (hot, hot_by),
        (and_(Post.created_time >= young_since, ~hot), young_by),
        (Post.created_time < young_since, old_by),
    )
    moved = 0
    for tier, cap in tiers:
        result = session.execute(
            update(Post)
            .where(Post.page_id == page_id, Post.failures == 0, Post.next_check_at > cap, tier)
            .values(next_check_at=cap)
        )
        moved += int(getattr(result, "rowcount", 0) or 0)
    return moved


def dirty_objects(
    session: Session, page_id: str, *, watched_since: datetime, now: datetime, limit: int
) -> list[WatchedObject]:
    """Objects known to hold comments not read yet: never read in full, or their count or
    updated_time moved since (a poll stopped between the check and the read)."""
    rows = session.scalars(
        _watch_query(page_id, watched_since)
        .where(
            or_(
                Post.processed_comment_count.is_(None),
                Post.comment_count != Post.processed_comment_count,
                Post.updated_time > Post.processed_updated_time,
            ),
            or_(Post.failures == 0, Post.next_check_at <= now),
        )
        .order_by(Post.created_time.desc())
        .limit(limit)
    )
    return [_watched(p) for p in rows]


def objects_for_sweep(session: Session, page_id: str, since: datetime) -> list[WatchedObject]:
    """Objects with comments created since ``since`` (a sweep re-reads them in full)."""
    rows = session.scalars(
        _watch_query(page_id, since)
        .where(or_(Post.comment_count > 0, Post.processed_comment_count > 0))
        .order_by(Post.created_time.desc())
    )
    return [_watched(p) for p in rows]


def mark_object_read(
    session: Session,
    object_id: str,
    *,
    updated_time: datetime | None,
    comment_count: int | None,
    seen_until: datetime | None,
    full_scan_at: datetime | None = None,
) -> None:
    """Every comment up to this updated_time and count is stored (same transaction)."""
    post = session.get(Post, object_id)
    if post is None:
        return
    if updated_time is not None and (
        post.processed_updated_time is None or updated_time >= post.processed_updated_time
    ):
        post.processed_updated_time = updated_time
    if comment_count is not None:
        post.processed_comment_count = comment_count
    if seen_until is not None and (
        post.comments_seen_until is None or seen_until > post.comments_seen_until
    ):
        post.comments_seen_until = seen_until
    if full_scan_at is not None:
        post.last_full_scan_at = full_scan_at
    post.failures, post.last_error, post.missing_checks = 0, None, 0


def object_failed(
    session: Session, object_id: str, now: datetime, reason: str, retry_at: datetime
) -> int:
    """Record one failure of this object alone; returns its failures in a row."""
    post = session.get(Post, object_id)
    if post is None:
        return 0
    post.failures += 1
    post.last_error, post.last_error_at = reason[:2000], now
    post.next_check_at = retry_at
    return post.failures


def object_missing(session: Session, object_id: str, now: datetime, confirmations: int) -> bool:
    """Graph says the object does not exist; after ``confirmations`` in a row it is gone."""
    post = session.get(Post, object_id)
    if post is None:
        return False
    post.missing_checks += 1
    if post.missing_checks >= confirmations:
        post.gone_at = now
        return True
    return False


def request_check(session: Session, object_id: str, now: datetime) -> bool:
    """Check this object at the next cycle (a webhook said it changed); False if unknown."""
    result = session.execute(update(Post).where(Post.id == object_id).values(next_check_at=now))
    return bool(getattr(result, "rowcount", 0))


def live_comment_count(session: Session, thread_id: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Item)
            .where(
                Item.thread_id == thread_id,
                Item.source == "facebook_comment",
                Item.deleted.is_(False),
            )
        )
        or 0
    )


def known_ids(session: Session, source: str, ids: Iterable[str]) -> set[str]:
    wanted = list(set(ids))
    if not wanted:
        return set()
    rows = session.scalars(
        select(Item.external_id).where(Item.source == source, Item.external_id.in_(wanted))
    )
    return set(rows)


def live_comment_ids(session: Session, post_id: str) -> set[str]:
    rows = session.scalars(
        select(Item.external_id).where(
            Item.thread_id == post_id, Item.source == "facebook_comment", Item.deleted.is_(False)
        )
    )
    return set(rows)


def suspected_missing(session: Session, page_id: str) -> list[str]:
    rows = session.scalars(
        select(Item.external_id).where(
            Item.page_id == page_id,
            Item.source == "facebook_comment",
            Item.missing_checks > 0,
            Item.deleted.is_(False),
        )
    )
    return list(rows)


def note_missing(session: Session, external_id: str, now: datetime, confirmations: int) -> bool:
    """One more 'object does not exist' answer; returns True when it is now marked deleted."""
    item = session.scalar(
        select(Item).where(Item.source == "facebook_comment", Item.external_id == external_id)
    )
    if item is None or item.deleted:
        return False
    item.missing_checks += 1
    if item.missing_checks >= confirmations:
        item.deleted, item.deleted_at = True, now
        return True
    return False


def clear_missing(session: Session, external_id: str) -> None:
    session.execute(
        update(Item)
        .where(Item.source == "facebook_comment", Item.external_id == external_id)
        .values(missing_checks=0)
    )


def conversation_state(session: Session, conv_ids: Iterable[str]) -> dict[str, ConversationMark]:
    ids = list(conv_ids)
    if not ids:
        return {}
    rows = session.scalars(select(Conversation).where(Conversation.id.in_(ids)))
    found = {c.id: ConversationMark(c.processed_updated_time, c.retry_at) for c in rows}
    return {i: found.get(i, ConversationMark(None, None)) for i in ids}


def conversations_to_retry(
    session: Session, page_id: str, now: datetime, limit: int = 50
) -> list[ConversationInfo]:
    """Conversations whose last read failed and whose pause is over."""
    rows = session.scalars(
        select(Conversation)
        .where(
            Conversation.page_id == page_id,
            Conversation.failures > 0,
            Conversation.retry_at <= now,
        )
        .order_by(Conversation.retry_at)
        .limit(limit)
    )
    return [
        ConversationInfo(
            c.id, c.page_id, c.updated_time or now, c.participant_id, c.participant_name
        )
        for c in rows
    ]


def _conversation(session: Session, info: ConversationInfo) -> Conversation:
    conv = session.get(Conversation, info.id)
    if conv is None:
        conv = Conversation(id=info.id, page_id=info.page_id, failures=0)
        session.add(conv)
    conv.participant_id, conv.participant_name = info.participant_id, info.participant_name
    conv.updated_time = info.updated_time
    return conv


def mark_conversation_processed(
    session: Session,
    info: ConversationInfo,
    last_citizen_at: datetime | None,
    processed: datetime | None = None,
) -> None:
    """Every message up to ``processed`` (default: the conversation's updated_time) is
    stored, in the same transaction as the last of them."""
    conv = _conversation(session, info)
    conv.processed_updated_time = processed or info.updated_time
    conv.failures, conv.last_error, conv.retry_at = 0, None, None
    if last_citizen_at and (
        conv.last_citizen_message_at is None or last_citizen_at > conv.last_citizen_message_at
    ):
        conv.last_citizen_message_at = last_citizen_at


def conversation_failed(
    session: Session,
    info: ConversationInfo,
    now: datetime,
    reason: str,
    delay: Callable[[int], timedelta],
) -> int:
    """Record one failure of this conversation alone, retried after ``delay(failures)``;
    returns its failures in a row."""
    conv = _conversation(session, info)
    conv.failures = (conv.failures or 0) + 1
    conv.last_error, conv.last_error_at = reason[:2000], now
    conv.retry_at = now + delay(conv.failures)
    return conv.failures


def reject(
    session: Session, page_id: str | None, kind: str, raw: Any, reason: str, now: datetime
) -> bool:
    """Keep a Graph object we could not store as it came, with why; False when kept already."""
    try:
        text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, default=str)
    except RecursionError:
        text = repr(type(raw))  # nested beyond what can be written back; the reason says so
    raw_text, why = _storable(text[:100_000]), _storable(reason[:2000])
    # The same broken object is served again at every read: it is kept once.
    known = select(RejectedPayload.id).where(
        RejectedPayload.page_id == page_id,
        RejectedPayload.kind == kind,
        RejectedPayload.reason == why,
        RejectedPayload.raw == raw_text,
    )
    if session.scalar(known.limit(1)) is not None:
        return False
    session.add(RejectedPayload(page_id=page_id, kind=kind, raw=raw_text, reason=why, at=now))
    return True


def _storable(text: str) -> str:
    """Text both databases accept: NUL and lone surrogates written as escapes."""
    return text.replace("\x00", "\\u0000").encode("utf-8", "backslashreplace").decode("utf-8")
