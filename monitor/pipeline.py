"""Wires settings into the ingest policy: classifier, deadlines (with admin days), routing."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifier.labels import DEFAULT_DEPARTMENT
from config.settings import Settings, models_dir
from storage.deadlines import DeadlinePolicy, load_policy
from storage.ingest import IngestPolicy
from storage.records import Prediction
from storage.tables import CalendarDay
from storage.workdays import WorkingCalendar

log = logging.getLogger("pakn.monitor")


# The labeling guide names the economic department differently in communes and wards.
_LOCAL_NAMES = {
    "ha_tang_moi_truong": "Phòng Kinh tế (ở phường: Phòng Kinh tế, Hạ tầng và Đô thị)",
}


def routing(settings: Settings) -> dict[str, str]:
    return {**DEFAULT_DEPARTMENT, **_LOCAL_NAMES, **settings.routing}


def deadline_policy(settings: Settings, session: Session | None = None) -> DeadlinePolicy:
    """The configured rules on a calendar that includes the days admins added in the web UI."""
    policy = load_policy(settings.deadlines_file or None)
    if session is None:
        return policy
    days = session.scalars(select(CalendarDay)).all()
    if not days:
        return policy
    cal = policy.calendar
    calendar = WorkingCalendar(
        weekend=cal.weekend,
        extra_days_off={**cal.extra_days_off, **{d.day: d.note for d in days if d.kind == "off"}},
        make_up_days={**cal.make_up_days, **{d.day: d.note for d in days if d.kind == "work"}},
        office_hours=cal.office_hours,
    )
    return DeadlinePolicy(policy.rules, calendar, due_soon_hours=policy.due_soon_hours)


class LazyClassifier:
    """Loads (or, on a fresh install, builds) the active model on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._model: Any = None

    def load(self) -> Any:
        if self._model is None:
            from classifier.registry import load_active_or_build_default

            self._model = load_active_or_build_default(models_dir(self.settings))
            log.info("bộ phân loại phiên bản %s", self._model.version)
        return self._model

    def __call__(self, texts: Sequence[str], /) -> Sequence[Prediction]:
        predictions: Sequence[Prediction] = self.load().predict(list(texts))
        return predictions


def ingest_policy(
    settings: Settings, session: Session | None = None, *, classify: Any = None
) -> IngestPolicy:
    deadlines = deadline_policy(settings, session)

    def due_at(
        category: str | None, urgent: bool, received: datetime
    ) -> tuple[datetime | None, str | None]:
        due, rule = deadlines.deadline(category, urgent, received)
        return due, rule

    return IngestPolicy(
        classify=classify if classify is not None else LazyClassifier(settings),
        due_at=due_at,
        routing=routing(settings),
        review_below_confidence=settings.classifier.review_below_confidence,
    )
