"""A refused queue change (storage.review_queue.QueueError) in the user's language.

Storage names the refusal (``key``) and its particulars as codes; here they become the display
names of statuses and a sentence that says how to go on, from review/translations. A refusal
without a known key keeps storage's own message (Vietnamese, display names already).
"""

from __future__ import annotations

from typing import Final

from review.context import t
from review.filters import label
from storage.review_queue import QueueError

KEYS: Final = frozenset(
    {
        "transition",
        "assignee",
        "note_empty",
        "no_original",
        "self_duplicate",
        "closed_duplicate",
        "category",
    }
)


def queue_error_text(exc: QueueError) -> str:
    if exc.key not in KEYS:
        return str(exc)
    values = dict(exc.values)
    for name in ("current", "wanted"):
        if name in values:
            values[name] = label("status", values[name])
    if exc.key == "transition":
        steps = [s for s in values.get("choices", "").split(",") if s]
        quoted = ", ".join(f"“{label('status', s)}”" for s in steps)
        values["choices"] = quoted or t("queue_error.no_step")
    if exc.key == "closed_duplicate":
        values["reopened"] = label("status", "reopened")
    return t(f"queue_error.{exc.key}", **values)
