"""Polling state kept beside the items: posts, conversations, page health and leases."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from storage.records import ConversationInfo, PostInfo
from storage.tables import Conversation, Item, Page, Post, RejectedPayload, Unit


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
    conversations: datetime | None = None,
    swept_at: datetime | None = None,
) -> None:
    values: dict[str, Any] = {}
    if feed is not None:
        values["feed_watermark"] = feed
    if conversations is not None:
        values["conversations_watermark"] = conversations
    if swept_at is not None:
        values["last_sweep_at"] = swept_at
    if values:
        session.execute(update(Page).where(Page.id == page_id).values(**values))


def upsert_posts(session: Session, posts: Iterable[PostInfo]) -> dict[str, datetime | None]:
    """Remember feed entries; returns each post's processed_updated_time."""
    out: dict[str, datetime | None] = {}
    for info in posts:
        post = session.get(Post, info.id)
        if post is None:
            post = Post(
                id=info.id,
                page_id=info.page_id,
                created_time=info.created_time,
                processed_updated_time=None,
            )
            session.add(post)
        post.updated_time = info.updated_time
        post.message = info.message
        post.author_id, post.author_name = info.author_id, info.author_name
        post.by_page, post.permalink = info.by_page, info.permalink
        out[info.id] = post.processed_updated_time
    session.flush()
    return out


def mark_post_processed(
    session: Session, post_id: str, updated_time: datetime, *, full_scan_at: datetime | None = None
) -> None:
    values: dict[str, Any] = {"processed_updated_time": updated_time}
    if full_scan_at is not None:
        values["last_full_scan_at"] = full_scan_at
    session.execute(
        update(Post)
        .where(
            Post.id == post_id,
            or_(Post.processed_updated_time.is_(None), Post.processed_updated_time <= updated_time),
        )
        .values(**values)
    )


def posts_for_sweep(
    session: Session, page_id: str, since: datetime
) -> list[tuple[str, datetime | None]]:
    rows = session.execute(
        select(Post.id, Post.updated_time)
        .where(Post.page_id == page_id, or_(Post.created_time >= since, Post.updated_time >= since))
        .order_by(Post.updated_time.desc())
    )
    return [(r[0], r[1]) for r in rows]


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


def conversation_state(session: Session, conv_ids: Iterable[str]) -> dict[str, datetime | None]:
    ids = list(conv_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Conversation.id, Conversation.processed_updated_time).where(Conversation.id.in_(ids))
    )
    found = {r[0]: r[1] for r in rows}
    return {i: found.get(i) for i in ids}


def mark_conversation_processed(
    session: Session, info: ConversationInfo, last_citizen_at: datetime | None
) -> None:
    conv = session.get(Conversation, info.id)
    if conv is None:
        conv = Conversation(id=info.id, page_id=info.page_id)
        session.add(conv)
    conv.participant_id, conv.participant_name = info.participant_id, info.participant_name
    conv.updated_time = info.updated_time
    conv.processed_updated_time = info.updated_time
    if last_citizen_at and (
        conv.last_citizen_message_at is None or last_citizen_at > conv.last_citizen_message_at
    ):
        conv.last_citizen_message_at = last_citizen_at


def reject(
    session: Session, page_id: str | None, kind: str, raw: Any, reason: str, now: datetime
) -> None:
    text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, default=str)
    session.add(
        RejectedPayload(page_id=page_id, kind=kind, raw=text[:100_000], reason=reason, at=now)
    )
