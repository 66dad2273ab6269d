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
    """A feed entry's polling-relevant facts (the page's own posts and visitor posts)."""

    id: str
    page_id: str
    created_time: datetime
    updated_time: datetime
    message: str | None = None
    author_id: str | None = None
    author_name: str | None = None
    by_page: bool = True
    permalink: str | None = None


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


class Classify(Protocol):
    """What ingest needs from the classifier: texts in, one prediction per text out."""

    def __call__(self, texts: Sequence[str], /) -> Sequence[Prediction]: ...
