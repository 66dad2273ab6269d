"""The services the composition root builds from settings and hands to the daemon and the web.

``ingest_policy`` wires the classifier, the deadline rules (with the days admins added) and the
routing table into the one ``IngestPolicy`` that ``storage.ingest`` applies. ``LazyClassifier``
follows the registry's active pointer, so ``pakn model promote`` and ``rollback`` reach a
running daemon and web without a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from classifier.labels import DEFAULT_DEPARTMENT
from config.settings import Settings, models_dir
from storage.calendar_days import deadline_policy
from storage.ingest import IngestPolicy
from storage.records import Prediction

if TYPE_CHECKING:
    from classifier.model import Classifier

log = logging.getLogger("pakn.cli")

# The labeling guide names the economic department differently in communes and wards.
_LOCAL_NAMES = {
    "ha_tang_moi_truong": "Phòng Kinh tế (ở phường: Phòng Kinh tế, Hạ tầng và Đô thị)",
}
# How often a running process looks at the active pointer (one small file read).
MODEL_CHECK_SECONDS = 10.0


def routing(settings: Settings) -> dict[str, str]:
    return {**DEFAULT_DEPARTMENT, **_LOCAL_NAMES, **settings.routing}


class LazyClassifier:
    """Loads (or, on a fresh install, builds) the active model on first use, and loads the new
    one when an admin promotes or rolls back a version."""

    def __init__(
        self,
        settings: Settings,
        *,
        check_every: float = MODEL_CHECK_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory = models_dir(settings)
        self.check_every, self.monotonic = check_every, monotonic
        self._model: Classifier | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def load(self) -> Classifier:
        with self._lock:
            if self._model is None:
                from classifier.registry import load_active_or_build_default

                self._model = load_active_or_build_default(self.directory)
                self._checked_at = self.monotonic()
                log.info("bộ phân loại phiên bản %s", self._model.version)
            elif self.monotonic() - self._checked_at >= self.check_every:
                self._checked_at = self.monotonic()
                self._follow_pointer(self._model)
            return self._model

    def _follow_pointer(self, current: Classifier) -> None:
        from classifier.registry import Registry

        registry = Registry(self.directory)
        active = registry.active()
        if active is None or active == current.version:
            return
        try:
            self._model = registry.load(active)
        except Exception:  # a half-written or broken model must not stop intake
            log.exception("không nạp được mô hình %s; vẫn dùng %s", active, current.version)
            return
        log.info("đã chuyển sang bộ phân loại phiên bản %s", active)

    def __call__(self, texts: Sequence[str], /) -> Sequence[Prediction]:
        predictions: Sequence[Prediction] = self.load().predict(list(texts))
        return predictions


def ingest_policy(
    settings: Settings, session: Session | None = None, *, classify: Any = None
) -> IngestPolicy:
    policy = IngestPolicy(
        classify=classify if classify is not None else LazyClassifier(settings),
        routing=routing(settings),
        review_below_confidence=settings.classifier.review_below_confidence,
        small_talk_confidence=settings.queue.small_talk_confidence,
    )
    return policy.with_deadlines(deadline_policy(settings.deadlines_file, session))
