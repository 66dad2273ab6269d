"""The audit log: who changed or viewed what, when, before and after."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storage.tables import AuditEntry


def _dump(value: Any) -> str | None:
    return (
        None
        if value is None
        else json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    )


def record(
    session: Session,
    user_id: int | None,
    action: str,
    item_id: int | None,
    before: Any,
    after: Any,
    now: datetime,
) -> None:
    """Append one entry; ``user_id`` None means the system (the daemon) did it."""
    session.add(
        AuditEntry(
            at=now,
            user_id=user_id,
            action=action,
            item_id=item_id,
            before=_dump(before),
            after=_dump(after),
        )
    )
