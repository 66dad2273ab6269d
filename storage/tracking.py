"""Tracking codes: how a citizen follows an item on the public status page (/tra-cuu/<code>).

A code is 8 characters from an alphabet without 0/O and 1/I (32 symbols, 40 random bits drawn
with ``secrets``): nothing in it comes from the item or its sender, and guessing one is slowed
by the web (review/lookup_throttle.py). Codes are issued lazily, the first time one is needed:
when the first answer to the citizen is written (``claim_line``, called by
``storage.replies.create_reply``) or when an officer asks for one (a hotline caller is told it
on the phone). Items the Page wrote itself and the many comments nobody answers never get one,
ingest stays as it is, and items stored before codes existed are served by the same path.

The line with the code goes into one answer per item: the first one written, unless it is a
public comment on a denunciation (a code in public next to a denouncer's comment would tie
the status page to them). If the answer that carried it failed or was cancelled, the next
answer carries it again. Two officers answering at once: the ``version`` column decides.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.tables import Item, Reply, TrackingCode

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 8
# A reply in these states reached, or may still reach, the citizen.
_CARRYING = ("pending", "sending", "sent", "unknown")
_ATTEMPTS = 8
_LINE = re.compile(rf"\s*Mã theo dõi: [{ALPHABET}]{{4}}-[{ALPHABET}]{{4}} — tra cứu tại \S+")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(raw: str) -> str | None:
    """The code typed by a citizen (any case, with spaces or a dash), or None if it cannot be
    one. O and I are read as 0 and 1 would be: not in the alphabet, so not a code."""
    cleaned = "".join(raw.split()).replace("-", "").upper()
    if len(cleaned) != LENGTH or any(c not in ALPHABET for c in cleaned):
        return None
    return cleaned


def shown(code: str) -> str:
    """As printed for people: AB7K-2QXD."""
    return f"{code[:4]}-{code[4:]}"


def status_url(public_url: str, code: str) -> str:
    return f"{public_url.rstrip('/')}/tra-cuu/{code}"


def tracking_line(code: str, public_url: str) -> str:
    return f"Mã theo dõi: {shown(code)} — tra cứu tại {status_url(public_url, code)}"


def without_line(text: str) -> str:
    """An answer without its tracking line: what is published must not hand the code to
    everyone (whoever holds it may rate the answer)."""
    return _LINE.sub("", text).rstrip()


def code_of(session: Session, item_id: int) -> str | None:
    return session.scalar(select(TrackingCode.code).where(TrackingCode.item_id == item_id))


def issue(session: Session, item: Item, now: datetime) -> TrackingCode:
    """The item's code, issued now if it has none (insert-or-ignore on the item: a racing
    request's code wins and both answer with it)."""
    if item.by_page:
        raise ValueError("Bài hoặc bình luận của chính Trang không có mã theo dõi.")
    found = session.get(TrackingCode, item.id)
    if found is not None:
        return found
    code = new_code()
    for _ in range(_ATTEMPTS):  # 2^40 codes: a collision is a curiosity, not a plan
        if session.scalar(select(TrackingCode.item_id).where(TrackingCode.code == code)) is None:
            break
        code = new_code()
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        module.insert(TrackingCode)
        .values(item_id=item.id, code=code, issued_at=now, version=0)
        .on_conflict_do_nothing(index_elements=["item_id"])
    )
    issued = session.get(TrackingCode, item.id)
    if issued is None:  # pragma: no cover - the row was just written or found
        raise RuntimeError(f"tracking code of item {item.id} vanished")
    return issued


def find(session: Session, code: str) -> Item | None:
    """The item a (normalised) code belongs to."""
    return session.scalar(
        select(Item)
        .join(TrackingCode, TrackingCode.item_id == Item.id)
        .where(TrackingCode.code == code)
    )


def carries_code(item: Item, kind: str) -> bool:
    """Whether an answer of ``kind`` may carry the item's code at all."""
    if item.by_page or item.source == "hotline":
        return False
    denunciation = item.category == "to_cao" or item.confidential
    return not (denunciation and kind == "public_comment")


def claim_line(
    session: Session, item: Item, kind: str, public_url: str, now: datetime
) -> str | None:
    """The line to append to the answer being written, or None when another answer carries
    (or may carry) the code already. Claimed with a conditional UPDATE; ``given`` then records
    which reply took it, in the same transaction."""
    if not carries_code(item, kind):
        return None
    row = issue(session, item, now)
    if row.given_reply_id is not None:
        state = session.scalar(select(Reply.status).where(Reply.id == row.given_reply_id))
        if state in _CARRYING:
            return None
    claimed = session.execute(
        update(TrackingCode)
        .where(TrackingCode.item_id == item.id, TrackingCode.version == row.version)
        .values(version=row.version + 1, given_reply_id=None, given_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return None
    session.refresh(row)
    return tracking_line(row.code, public_url)


def given(session: Session, item_id: int, reply_id: int) -> None:
    """The reply that carries the line ``claim_line`` returned."""
    session.execute(
        update(TrackingCode)
        .where(TrackingCode.item_id == item_id)
        .values(given_reply_id=reply_id)
        .execution_options(synchronize_session=False)
    )
    found = session.get(TrackingCode, item_id)
    if found is not None:
        session.refresh(found)
