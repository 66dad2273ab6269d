"""Jinja filters and globals: local times, label names, deadline states, language links."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Flask, g, request

from review.context import current_user, db, language, now, services, t
from storage.tables import RUNNING_STATUSES
from storage.users import display_names, units
from storage.workdays import VIETNAM_TZ, ends_its_day


def local(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A stored (UTC) time in Hà Nội time; a deadline that ends with its day (23:59:59.999999)
    reads "hết ngày 04/12/2026", as storage.workdays.deadline_text writes it everywhere."""
    if value is None:
        return ""
    moment = value.astimezone(VIETNAM_TZ)
    if ends_its_day(moment) and fmt.endswith("%H:%M"):
        return t("due.end_of_day", day=moment.strftime("%d/%m/%Y"))
    return moment.strftime(fmt)


def day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def deadline_state(due_at: datetime | None, status: str) -> str:
    """ok, due_soon or overdue for an open item; "" when it has no running deadline."""
    if due_at is None or status not in RUNNING_STATUSES:
        return ""
    return services().deadlines.status(due_at, now())


def rule_basis(name: str | None) -> str:
    for rule in services().deadlines.rules:
        if rule.name == name:
            return rule.legal_basis
    return ""


def label(kind: str, code: str | None) -> str:
    """Display name of a code: label("status", "new"), label("category", "to_cao")."""
    key = f"{kind}.{code or 'none'}"
    text = t(key)
    return code if text == key and code else text


# A model's top probability is not a measured accuracy ("100 %" was shown on predictions whose
# field was wrong): say in words how sure the classifier is of the category, never a percentage.
SURE = 0.9


def certainty(value: float | None) -> str:
    """ "máy khá chắc về loại…", "máy chưa chắc…", "máy không chắc…" for a prediction's score."""
    if value is None:
        return ""
    if value < services().settings.classifier.review_below_confidence:
        return t("item.certainty_low")
    return t("item.certainty_high" if value >= SURE else "item.certainty_mid")


def percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f}%"


def lang_url(lang: str) -> str:
    args = request.args.to_dict()
    args["lang"] = lang
    return f"{request.path}?{urlencode(args)}"


def page_url(cursor: str) -> str:
    args = request.args.to_dict()
    args.pop("lang", None)
    args["cursor"] = cursor
    return f"{request.path}?{urlencode(args)}"


def audit_change(raw: str | None) -> str:
    """An audit entry's before/after JSON as short "key: value" text."""
    if not raw:
        return ""
    try:
        data = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(data, dict):
        return str(data)
    return "; ".join(f"{label('audit_field', k)}: {_audit_value(k, v)}" for k, v in data.items())


# Codes kept in the audit log, shown by their names (review/translations: rule.*, role.*, …).
_AUDIT_LABELS = {
    "status": "status",
    "category": "category",
    "field": "field",
    "deadline_rule": "rule",
    "kind": "reply_kind",
    "role": "role",
}
_AUDIT_NUMBERS = ("reply_id", "note_id", "duplicate_of", "canned_reply_id", "department_id")


def _audit_value(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return t("audit_field.yes" if value else "audit_field.no")
    if key in _AUDIT_LABELS and isinstance(value, str):
        return label(_AUDIT_LABELS[key], value)
    if key in ("assignee_id", "user_id") and isinstance(value, int):
        return _person(value)
    if key == "unit" and isinstance(value, str):
        return _unit_name(value)
    if key in _AUDIT_NUMBERS and isinstance(value, int):
        return f"#{value}"
    if key == "due_at" and isinstance(value, str):
        try:
            return local(datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def _person(user_id: int) -> str:
    names: dict[int, str] = g.setdefault("audit_people", {})
    if user_id not in names:
        names.update(display_names(db(), [user_id]))
    return names.get(user_id, "—")


def _unit_name(unit_id: str) -> str:
    if "audit_units" not in g:
        g.audit_units = {u.id: u.name for u in units(db())}
    found: str = g.audit_units.get(unit_id, unit_id)
    return found


def register(app: Flask) -> None:
    app.jinja_env.filters.update(
        local=local, day=day, percent=percent, certainty=certainty, audit_change=audit_change
    )
    app.jinja_env.globals.update(
        t=t,
        label=label,
        deadline_state=deadline_state,
        rule_basis=rule_basis,
        lang_url=lang_url,
        page_url=page_url,
        current_user=current_user,
        language=language,
        leader_nav=lambda: services().leader_nav,
    )
