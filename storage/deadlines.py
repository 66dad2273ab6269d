"""Deadline rules: which period applies to an item, when it is due, and whether it is late.

Each rule names its legal basis and the dates it is in force, so that a change in the law (the
amendments in force from 1/7/2026) is a new rule rather than an edit of an old one. The default
table is ``config/deadlines.yaml``; ``load_policy`` reads it strictly.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

from config.schema import ConfigError
from storage.workdays import (
    WorkingCalendar,
    as_list,
    calendar_from_config,
    check_keys,
    parse_date,
    to_local,
)

Unit = Literal["hours", "working_hours", "working_days", "calendar_days"]
UNITS: tuple[str, ...] = get_args(Unit)
DeadlineStatus = Literal["ok", "due_soon", "overdue"]
# The classifier's labels (classifier/ owns them; storage may not import it for this alone).
CATEGORIES = ("to_cao", "khieu_nai", "phan_anh", "kien_nghi", "hoi_dap", "gop_y", "khac")
_DAY_UNITS = ("working_days", "calendar_days")


@dataclass(frozen=True, kw_only=True)
class DeadlineRule:
    """One period: for which items, how long, on what legal basis, in force when.

    ``category``/``urgent`` set to ``None`` match any item. ``effective_to`` is the last day in
    force (inclusive); ``None`` means open-ended. Dates are compared with the item's local
    (Asia/Ho_Chi_Minh) date of receipt.
    """

    category: str | None
    urgent: bool | None
    unit: Unit
    amount: float
    legal_basis: str
    effective_from: date
    effective_to: date | None
    name: str

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unit: phải là một trong {', '.join(UNITS)}, nhận được {self.unit!r}")
        if not math.isfinite(self.amount) or self.amount <= 0:
            raise ValueError(f"amount: cần một số dương, nhận được {self.amount!r}")
        if self.unit in _DAY_UNITS and self.amount != int(self.amount):
            raise ValueError(f"amount: số ngày phải là số nguyên, nhận được {self.amount!r}")
        if not self.legal_basis.strip():
            raise ValueError(
                "legal_basis: ghi căn cứ pháp lý, hoặc 'Mặc định (không có thời hạn "
                "luật định)' nếu là mức tự đặt"
            )
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(
                f"effective_to: {self.effective_to} trước effective_from {self.effective_from}"
            )

    @property
    def specificity(self) -> int:
        """Urgent rule > category rule > default; a rule setting both beats either."""
        return (2 if self.urgent is not None else 0) + (1 if self.category is not None else 0)

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )

    def applies(self, category: str | None, urgent: bool, day: date) -> bool:
        return (
            self.category in (None, category)
            and self.urgent in (None, urgent)
            and self.in_force(day)
        )


class DeadlinePolicy:
    """Picks the rule for an item and computes its deadline on ``calendar``."""

    def __init__(
        self,
        rules: Iterable[DeadlineRule],
        calendar: WorkingCalendar,
        *,
        categories: Collection[str] = CATEGORIES,
        due_soon_hours: float = 24.0,
    ) -> None:
        self.rules = tuple(rules)
        self.calendar = calendar
        self.categories = frozenset(categories)
        self.due_soon_hours = due_soon_hours
        if not math.isfinite(due_soon_hours) or due_soon_hours < 0:
            raise ValueError(f"due_soon_hours: cần số giờ không âm, nhận được {due_soon_hours!r}")
        _check_rules(self.rules, self.categories)
        self._by_day: dict[tuple[str | None, bool, date], tuple[datetime, str]] = {}

    def rule_for(self, category: str | None, urgent: bool, received_at: datetime) -> DeadlineRule:
        """The most specific rule in force on the (local) day ``received_at`` falls on."""
        if category is not None and category not in self.categories:
            raise ValueError(
                f"Loại {category!r} không có trong danh sách {sorted(self.categories)}; "
                "thêm loại đó vào cấu hình thời hạn hoặc sửa nhãn phân loại."
            )
        day = self.calendar.localize(received_at).date()
        candidates = [r for r in self.rules if r.applies(category, urgent, day)]
        if not candidates:
            raise LookupError(
                f"Không có quy tắc thời hạn nào cho loại {category!r} (khẩn: {urgent}) vào ngày "
                f"{day:%d/%m/%Y}; thêm một quy tắc mặc định (không ghi category, urgent) trong "
                "config/deadlines.yaml."
            )
        return max(candidates, key=lambda r: r.specificity)

    def due_at(self, category: str | None, urgent: bool, received_at: datetime) -> datetime:
        """Deadline of an item received at ``received_at`` (aware), in Asia/Ho_Chi_Minh."""
        return self.deadline(category, urgent, received_at)[0]

    def deadline(
        self, category: str | None, urgent: bool, received_at: datetime
    ) -> tuple[datetime, str]:
        """``(due_at, rule name)``: the shape the ingest step stores on the queue item."""
        cal = self.calendar
        day_key = (category, urgent, cal.localize(received_at).date())
        known = self._by_day.get(day_key)
        if known is not None:
            return known
        rule = self.rule_for(category, urgent, received_at)
        if rule.unit == "hours":
            # Elapsed hours, nights and holidays included: urgent items do not wait. Added in UTC
            # so the arithmetic would stay right even in a zone with daylight saving time.
            utc = to_local(received_at, UTC) + timedelta(hours=rule.amount)
            due = cal.localize(utc)
        elif rule.unit == "working_hours":
            due = cal.add_working_hours(received_at, rule.amount)
        elif rule.unit == "working_days":
            due = cal.add_working_days(received_at, int(rule.amount))
        else:
            due = cal.add_calendar_days(received_at, int(rule.amount))
        if rule.unit in ("working_days", "calendar_days") and rule.amount > 0:
            # Day-based periods end at 24:00 whatever the hour of receipt: one answer per day.
            if len(self._by_day) > 4096:
                self._by_day.clear()
            self._by_day[day_key] = (due, rule.name)
        return due, rule.name

    def status(
        self, due_at: datetime, now: datetime, soon_hours: float | None = None
    ) -> DeadlineStatus:
        """``overdue`` after ``due_at``; ``due_soon`` within ``soon_hours`` (wall clock) of it."""
        due, current = to_local(due_at), to_local(now)
        if current > due:
            return "overdue"
        window = timedelta(hours=self.due_soon_hours if soon_hours is None else soon_hours)
        return "due_soon" if due - current <= window else "ok"


def _check_rules(rules: tuple[DeadlineRule, ...], categories: frozenset[str]) -> None:
    seen: dict[str, int] = {}
    for i, rule in enumerate(rules):
        if rule.category is not None and rule.category not in categories:
            raise ValueError(
                f"rules[{i}].category: {rule.category!r} không phải nhãn phân loại; dùng một "
                f"trong {', '.join(sorted(categories))}, hoặc bỏ trống cho mọi loại."
            )
        if rule.name in seen:
            raise ValueError(
                f"rules[{i}].name: tên {rule.name!r} đã dùng ở rules[{seen[rule.name]}]"
            )
        seen[rule.name] = i
        for j, other in enumerate(rules[:i]):
            if (other.category, other.urgent) == (rule.category, rule.urgent) and _overlap(
                rule, other
            ):
                raise ValueError(
                    f"rules[{i}].effective_from: quy tắc {rule.name!r} trùng đối tượng và thời "
                    f"gian hiệu lực với rules[{j}] ({other.name!r}); đặt effective_to của quy tắc "
                    "cũ là ngày trước khi quy tắc mới có hiệu lực."
                )


def _overlap(a: DeadlineRule, b: DeadlineRule) -> bool:
    a_end, b_end = a.effective_to or date.max, b.effective_to or date.max
    return a.effective_from <= b_end and b.effective_from <= a_end


# ---------------------------------------------------------------- loading config/deadlines.yaml

_TOP_KEYS = ("weekend", "office_hours", "extra_days_off", "make_up_days", "due_soon_hours", "rules")
_RULE_KEYS = tuple(f.name for f in dataclasses.fields(DeadlineRule))
_RULE_REQUIRED = ("name", "unit", "amount", "legal_basis", "effective_from")
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as strings: PyYAML raises a bare ValueError for 2026-13-01,
    while ``parse_date`` reports it with its key path."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_policy(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> DeadlinePolicy:
    """Read the rule table (the packaged default when ``path`` is None), strictly.

    Each top-level key in ``overrides`` (same shape as the file) replaces the file's value for
    that key, e.g. ``{"extra_days_off": [...]}`` from the administrator's settings.
    """
    if path is None:
        source = "config/deadlines.yaml"
        text = importlib.resources.files("config").joinpath("deadlines.yaml").read_text("utf-8")
    else:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"{source}: không đọc được tệp ({exc.strerror}); kiểm tra đường "
                "dẫn deadlines_file và quyền đọc."
            ) from exc
    try:
        raw = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: YAML không hợp lệ: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: tệp phải là một bảng khoá: giá trị (mapping).")
    try:
        check_keys(dict(overrides or {}), _TOP_KEYS, (), "overrides")
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    return parse_policy({**raw, **(overrides or {})}, source)


def parse_policy(raw: Mapping[str, Any], source: str = "deadlines") -> DeadlinePolicy:
    """Build a policy from already-parsed YAML; errors name the key path and the fix."""
    try:
        check_keys(raw, _TOP_KEYS, ("rules",), "")
        calendar = calendar_from_config(raw)
        entries = as_list(raw["rules"], "rules")
        policy = DeadlinePolicy(
            [_rule(entry, f"rules[{i}]") for i, entry in enumerate(entries)],
            calendar,
            due_soon_hours=_number(raw.get("due_soon_hours", 24), "due_soon_hours"),
        )
        if not any(r.category is None and r.urgent is None for r in policy.rules):
            # Unclassified items are queued with category None: they need a catch-all rule.
            raise ValueError(
                "rules: cần ít nhất một quy tắc mặc định (không ghi category và urgent) để mọi "
                "phản ánh đều có hạn xử lý"
            )
        return policy
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}") from exc


def _rule(entry: Any, where: str) -> DeadlineRule:
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: cần một bảng khoá: giá trị (name, unit, amount, ...)")
    check_keys(entry, _RULE_KEYS, _RULE_REQUIRED, where)
    category, urgent, effective_to = (entry.get(k) for k in ("category", "urgent", "effective_to"))
    if category is not None and not isinstance(category, str):
        raise ValueError(f"{where}.category: cần một nhãn dạng chuỗi, nhận được {category!r}")
    if urgent is not None and not isinstance(urgent, bool):
        raise ValueError(f"{where}.urgent: cần true hoặc false, nhận được {urgent!r}")
    for key in ("name", "unit", "legal_basis"):
        if not isinstance(entry[key], str):
            raise ValueError(f"{where}.{key}: cần một chuỗi, nhận được {entry[key]!r}")
    amount = _number(entry["amount"], f"{where}.amount")
    effective_from = parse_date(entry["effective_from"], f"{where}.effective_from")
    effective_to = (
        None if effective_to is None else parse_date(effective_to, f"{where}.effective_to")
    )
    try:
        return DeadlineRule(
            category=category,
            urgent=urgent,
            unit=entry["unit"],
            amount=amount,
            legal_basis=entry["legal_basis"],
            effective_from=effective_from,
            effective_to=effective_to,
            name=entry["name"],
        )
    except ValueError as exc:  # the rule's own checks name the field, not the rule
        raise ValueError(f"{where}.{exc}") from exc


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where}: cần một số, nhận được {value!r}")
    return float(value)
