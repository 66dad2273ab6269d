"""Plain records that cross package boundaries (no SQLAlchemy here)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Attachment:
    type: str
    url: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class ItemRecord:
    """One normalised citizen item: the only shape that leaves ``monitor/``."""

    source: str
    external_id: str
    unit_id: str
    created_time: datetime
    text: str = ""
    page_id: str | None = None
    thread_id: str | None = None
    parent_id: str | None = None
    author_id: str | None = None
    author_name: str | None = None
    author_phone: str | None = None
    by_page: bool = False
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    permalink: str | None = None
    hidden: bool = False

    def attachments_json(self) -> str | None:
        if not self.attachments:
            return None
        rows = [{k: v for k, v in vars(a).items() if v is not None} for a in self.attachments]
        return json.dumps(rows, ensure_ascii=False, sort_keys=True)

    def content_hash(self) -> str:
        digest = hashlib.sha256()
        digest.update(self.text.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
        digest.update((self.attachments_json() or "").encode("utf-8"))
        return digest.hexdigest()


@dataclass(frozen=True)
class PostInfo:
    """A watched object's polling-relevant facts: a feed post (the page's own or a visitor's),
    a reel, or one photo of an album post (``parent_post_id``). ``updated_time`` and
    ``comment_count`` are what Graph answered now, None when it did not say."""

    id: str
    page_id: str
    created_time: datetime
    updated_time: datetime | None
    message: str | None = None
    author_id: str | None = None
    author_name: str | None = None
    by_page: bool = True
    permalink: str | None = None
    kind: str = "post"
    parent_post_id: str | None = None
    comment_count: int | None = None


@dataclass(frozen=True)
class WatchedObject:
    """What the daemon knows of a watched object: last seen, fully read, next check."""

    id: str
    page_id: str
    kind: str
    created_time: datetime
    updated_time: datetime | None
    comment_count: int | None
    processed_updated_time: datetime | None
    processed_comment_count: int | None
    comments_seen_until: datetime | None
    next_check_at: datetime | None
    failures: int
    parent_post_id: str | None = None


@dataclass(frozen=True)
class ConversationInfo:
    id: str
    page_id: str
    updated_time: datetime
    participant_id: str | None = None
    participant_name: str | None = None


class Prediction(Protocol):
    @property
    def category(self) -> str: ...
    @property
    def urgent(self) -> bool: ...
    @property
    def field(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def model_version(self) -> str: ...


class LevelledPrediction(Prediction, Protocol):
    """What the classifier gives beyond `Prediction` (classifier.model.Prediction has it all).

    urgency: "urgent", "possible" (có thể khẩn cấp: `urgent` is True too, the duty officer must
    hear of it, but the model is unsure) or "none". shield: suspected to_cao ("có thể là tố
    cáo"): keep the sender masked until a leader confirms or clears it. to_cao_score: the
    calibrated to_cao probability behind it.
    """

    @property
    def urgency(self) -> str: ...
    @property
    def shield(self) -> bool: ...
    @property
    def to_cao_score(self) -> float: ...


def urgency_of(pred: Prediction) -> str:
    """The urgency level of any prediction; older or simpler ones only have `urgent`."""
    level = getattr(pred, "urgency", None)
    if isinstance(level, str):
        return level
    return "urgent" if pred.urgent else "none"


def suspected_to_cao(pred: Prediction) -> bool:
    """Masking must start now: the category is to_cao or the classifier's shield is up."""
    return pred.category == "to_cao" or bool(getattr(pred, "shield", False))


class Classify(Protocol):
    """What ingest needs from the classifier: texts in, one prediction per text out."""

    def __call__(self, texts: Sequence[str], /) -> Sequence[Prediction]: ...
