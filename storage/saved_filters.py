"""Queue filters an officer names and keeps: one click brings back "urgent road reports of my
commune" on any device. Stored per user as the form's fields; the web checks them when it reads
them back, as it checks a filter typed in the address bar.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.tables import SavedFilter

MAX_PER_USER: Final = 20
MAX_NAME: Final = 80


class SavedFilterError(ValueError):
    """The filter cannot be saved; the message says what to change."""


@dataclass(frozen=True)
class Saved:
    id: int
    name: str
    view: str
    params: dict[str, str]


def saved_filters(session: Session, user_id: int) -> list[Saved]:
    rows = session.scalars(
        select(SavedFilter).where(SavedFilter.user_id == user_id).order_by(SavedFilter.name)
    )
    return [Saved(r.id, r.name, r.view, _params(r.params)) for r in rows]


def save_filter(
    session: Session,
    user_id: int,
    name: str,
    view: str,
    params: Mapping[str, str],
    now: datetime,
) -> SavedFilter:
    """Keep ``params`` under ``name``; a filter of the same name is replaced."""
    name = " ".join(name.split())
    if not name:
        raise SavedFilterError("Đặt tên cho bộ lọc (ví dụ: Khẩn - hạ tầng) rồi lưu lại.")
    if len(name) > MAX_NAME:
        raise SavedFilterError(f"Tên bộ lọc dài quá {MAX_NAME} ký tự; đặt tên ngắn hơn.")
    kept = {k: v for k, v in params.items() if v}
    found = session.scalar(
        select(SavedFilter).where(SavedFilter.user_id == user_id, SavedFilter.name == name)
    )
    if found is None:
        count = len(saved_filters(session, user_id))
        if count >= MAX_PER_USER:
            raise SavedFilterError(
                f"Đã có {MAX_PER_USER} bộ lọc; xoá bớt bộ lọc không dùng rồi lưu lại."
            )
        found = SavedFilter(user_id=user_id, name=name, created_at=now)
        session.add(found)
    found.view, found.params = view, json.dumps(kept, ensure_ascii=False, sort_keys=True)
    session.flush()
    return found


def delete_filter(session: Session, user_id: int, filter_id: int) -> bool:
    """Forget one of the user's own filters; False when they have none with that id."""
    found = session.get(SavedFilter, filter_id)
    if found is None or found.user_id != user_id:
        return False
    session.delete(found)
    return True


def _params(raw: str) -> dict[str, str]:
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v) for k, v in data.items() if isinstance(v, str | int)}
