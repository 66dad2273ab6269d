"""Deadline rules and the packaged rule table (config/deadlines.yaml).

Expected dates are worked out by hand from the calendar (1/1/2026 is a Thursday; Tết Bính Ngọ
for civil servants runs from Saturday 14/2 to Sunday 22/2/2026), not copied from the code.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.schema import ConfigError
from storage.deadlines import CATEGORIES, DeadlinePolicy, DeadlineRule, load_policy
from storage.workdays import VIETNAM_TZ, WorkingCalendar

POLICY = load_policy()


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VIETNAM_TZ)


def assert_ends_at_midnight_of(due: datetime, day: date) -> None:
    local = due.astimezone(VIETNAM_TZ)
    assert local.date() == day
    assert local.time() >= time(23, 59, 59)


def rule(name: str, **fields: Any) -> DeadlineRule:
    values: dict[str, Any] = {"category": None, "urgent": None, "unit": "working_days"}
    values |= {"amount": 5, "legal_basis": "Mặc định", "effective_from": date(2020, 1, 1)}
    values |= {"effective_to": None, "name": name}
    return DeadlineRule(**(values | fields))


def test_the_packaged_calendar_takes_the_whole_tet_2026_break_off() -> None:
    calendar = POLICY.calendar
    break_days = [date(2026, 2, 14) + timedelta(days=k) for k in range(9)]
    assert not any(calendar.is_working_day(d) for d in break_days)
    assert all("Tết" in (calendar.reason(d) or "") for d in break_days)
    assert calendar.is_working_day(date(2026, 2, 13))
    assert calendar.is_working_day(date(2026, 2, 23))


def test_five_working_days_from_friday_before_tet_end_on_friday_27_february() -> None:
    # Received Friday 13/2 16:00. 14/2–22/2 off; Mon 23 (1), 24 (2), 25 (3), 26 (4), Fri 27 (5).
    received = at(2026, 2, 13, 16)
    assert POLICY.rule_for("phan_anh", False, received).amount == 5
    due = POLICY.due_at("phan_anh", False, received)
    assert_ends_at_midnight_of(due, date(2026, 2, 27))
    assert POLICY.status(due, at(2026, 2, 27, 23, 59)) != "overdue"
    assert POLICY.status(due, at(2026, 2, 28, 0, 0)) == "overdue"


@pytest.mark.parametrize(
    "received",
    [
        pytest.param(at(2026, 2, 10, 9), id="last-day-friday-20-feb-a-tet-holiday"),
        pytest.param(at(2026, 2, 4, 9), id="last-day-saturday-14-feb-first-day-of-the-break"),
    ],
)
def test_a_calendar_day_deadline_ending_in_the_tet_break_ends_with_monday_23_february(
    received: datetime,
) -> None:
    # khieu_nai before 1/7/2026: 10 calendar days (Luật KN Điều 27), moved by BLDS Điều 148.
    assert POLICY.rule_for("khieu_nai", False, received).unit == "calendar_days"
    assert_ends_at_midnight_of(POLICY.due_at("khieu_nai", False, received), date(2026, 2, 23))


def test_an_urgent_item_on_sunday_night_is_due_four_wall_clock_hours_later() -> None:
    received = at(2026, 3, 8, 22)  # Sunday 22:00
    assert POLICY.due_at("phan_anh", True, received) == at(2026, 3, 9, 2)
    assert POLICY.due_at("to_cao", True, received) == at(2026, 3, 9, 2)
    assert POLICY.due_at(None, True, received) == at(2026, 3, 9, 2)


def test_an_urgent_item_during_tet_is_not_held_until_after_the_break() -> None:
    assert POLICY.due_at("phan_anh", True, at(2026, 2, 17, 10)) == at(2026, 2, 17, 14)


def test_an_urgent_item_received_in_utc_gets_a_local_deadline() -> None:
    due = POLICY.due_at("phan_anh", True, datetime(2026, 3, 8, 15, 0, tzinfo=UTC))
    assert due == at(2026, 3, 9, 2)
    assert due.utcoffset() == timedelta(hours=7)


def test_urgent_rule_beats_category_rule_beats_the_default() -> None:
    policy = DeadlinePolicy(
        [
            rule("default"),
            rule("to_cao", category="to_cao"),
            rule("urgent", urgent=True, unit="hours", amount=4),
            rule("urgent_to_cao", urgent=True, category="to_cao", unit="hours", amount=1),
        ],
        WorkingCalendar(),
    )
    received = at(2026, 3, 9, 9)
    assert policy.rule_for("phan_anh", False, received).name == "default"
    assert policy.rule_for(None, False, received).name == "default"
    assert policy.rule_for("to_cao", False, received).name == "to_cao"
    assert policy.rule_for("phan_anh", True, received).name == "urgent"
    assert policy.rule_for("to_cao", True, received).name == "urgent_to_cao"


def test_the_khieu_nai_rule_switches_on_1_july_2026() -> None:
    # Tuesday 30/6: 10 calendar days → Friday 10/7 (a 7-working-day rule would give Thursday 9/7).
    old = POLICY.deadline("khieu_nai", False, at(2026, 6, 30, 10))
    assert_ends_at_midnight_of(old[0], date(2026, 7, 10))
    # Friday 3/7: 7 working days → 6, 7, 8, 9, 10, 13, Tuesday 14/7 (10 days would give Mon 13/7).
    new = POLICY.deadline("khieu_nai", False, at(2026, 7, 3, 10))
    assert_ends_at_midnight_of(new[0], date(2026, 7, 14))
    assert old[1] != new[1]
    assert "CHƯA KIỂM CHỨNG" in POLICY.rule_for("khieu_nai", False, at(2026, 7, 3)).legal_basis


def test_the_effective_date_is_the_local_date_of_receipt() -> None:
    # 30/6 17:30 UTC is already 1/7 00:30 in Việt Nam.
    utc_evening = datetime(2026, 6, 30, 17, 30, tzinfo=UTC)
    assert POLICY.rule_for("khieu_nai", False, utc_evening).effective_from == date(2026, 7, 1)


def test_the_packaged_table_has_a_rule_for_every_classifier_label() -> None:
    for category in CATEGORIES:
        chosen = POLICY.rule_for(category, False, at(2026, 3, 9))
        assert chosen.category == category
        assert chosen.legal_basis.strip()


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(2026, 3, 9, 9), "ok"),
        (at(2026, 3, 10, 12), "due_soon"),
        (at(2026, 3, 11, 11, 59), "due_soon"),
        (at(2026, 3, 11, 12), "due_soon"),
        (at(2026, 3, 11, 12, 1), "overdue"),
    ],
)
def test_status_is_ok_then_due_soon_then_overdue(now: datetime, expected: str) -> None:
    assert POLICY.status(at(2026, 3, 11, 12), now, soon_hours=24) == expected


def test_status_uses_the_tables_due_soon_hours_by_default() -> None:
    due = at(2026, 3, 11, 12)
    assert POLICY.status(due, due - timedelta(hours=23)) == "due_soon"
    assert POLICY.status(due, due - timedelta(hours=25)) == "ok"


def test_naive_datetimes_are_rejected_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="không có múi giờ"):
        POLICY.due_at("phan_anh", False, datetime(2026, 3, 9, 9))
    with pytest.raises(ValueError, match="không có múi giờ"):
        POLICY.status(at(2026, 3, 9), datetime(2026, 3, 9, 9))


def test_an_unknown_category_is_rejected() -> None:
    with pytest.raises(ValueError, match="khieu_nia"):
        POLICY.due_at("khieu_nia", False, at(2026, 3, 9))


def test_an_item_without_any_rule_in_force_raises_a_lookup_error() -> None:
    policy = DeadlinePolicy([rule("from_2026", effective_from=date(2026, 1, 1))], WorkingCalendar())
    with pytest.raises(LookupError, match="31/12/2025"):
        policy.due_at("phan_anh", False, at(2025, 12, 31, 9))


VALID = """\
rules:
  - name: mac_dinh
    unit: working_days
    amount: 5
    legal_basis: "Mặc định"
    effective_from: 2020-01-01
"""
RULE_1 = "  - {name: r1, category: khieu_nai, unit: working_days, amount: 7, "
RULE_1 += "legal_basis: x, effective_from: 2026-07-01}\n"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param(VALID.replace("working_days", "days"), "rules[0].unit", id="bad-unit"),
        pytest.param(VALID.replace("amount:", "amout:"), "rules[0].amout", id="unknown-key"),
        pytest.param(
            VALID.replace('    legal_basis: "Mặc định"\n', ""),
            "rules[0].legal_basis",
            id="missing-legal-basis",
        ),
        pytest.param(
            VALID.replace("2020-01-01", "2020-13-01"), "rules[0].effective_from", id="bad-date"
        ),
        pytest.param(VALID.replace("amount: 5", "amount: 2.5"), "rules[0].amount", id="half-day"),
        pytest.param(VALID.replace("amount: 5", "amount: true"), "rules[0].amount", id="bool"),
        pytest.param(VALID.replace("amount: 5", "amount: 0"), "rules[0].amount", id="zero"),
        pytest.param(VALID + "    urgent: yes please\n", "rules[0].urgent", id="bad-urgent"),
        pytest.param(VALID + "    category: khieu_nia\n", "rules[0].category", id="bad-category"),
        pytest.param(
            VALID + "    effective_to: 2019-12-31\n",
            "rules[0].effective_to",
            id="ends-before-it-starts",
        ),
        pytest.param(
            VALID + RULE_1 + RULE_1.replace("r1", "r2").replace("07-01", "08-01"),
            "rules[2].effective_from",
            id="overlapping-rules",
        ),
        pytest.param(VALID + RULE_1 + RULE_1, "rules[2].name", id="duplicate-name"),
        pytest.param(VALID + "    category: gop_y\n", "quy tắc mặc định", id="no-default-rule"),
        pytest.param("weekend_days: [sunday]\n" + VALID, "weekend_days", id="unknown-top-key"),
        pytest.param("weekend: [sundy]\n" + VALID, "weekend[0]", id="bad-weekday"),
        pytest.param("office_hours: [13:30]\n" + VALID, "office_hours[0]", id="unquoted-time"),
        pytest.param("office_hours: ['7h30-11h30']\n" + VALID, "office_hours[0]", id="bad-span"),
        pytest.param("due_soon_hours: -1\n" + VALID, "due_soon_hours", id="negative-soon"),
        pytest.param(
            "extra_days_off: [{from: 2026-02-22, to: 2026-02-14, reason: Tết}]\n" + VALID,
            "extra_days_off[0]",
            id="range-backwards",
        ),
        pytest.param(
            "make_up_days: [{date: 2026-03-14}]\n" + VALID,
            "make_up_days[0].reason",
            id="make-up-day-without-reason",
        ),
        pytest.param("rules: {a: 1}\n", "rules", id="rules-not-a-list"),
        pytest.param("rules: [\n", "YAML", id="broken-yaml"),
    ],
)
def test_the_rule_table_is_parsed_strictly_and_errors_name_the_key(
    tmp_path: Path, text: str, fragment: str
) -> None:
    path = tmp_path / "deadlines.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_policy(path)
    assert fragment in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_valid_minimal_table_loads(tmp_path: Path) -> None:
    path = tmp_path / "deadlines.yaml"
    path.write_text(VALID + RULE_1, encoding="utf-8")
    policy = load_policy(path)
    assert [r.name for r in policy.rules] == ["mac_dinh", "r1"]
    assert policy.calendar.office_hours == ((time(7, 30), time(11, 30)), (time(13, 30), time(17)))


def test_a_missing_file_is_reported_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.yaml"):
        load_policy(tmp_path / "nowhere.yaml")


def test_overrides_replace_keys_of_the_packaged_table() -> None:
    make_up = {"make_up_days": [{"date": "2026-03-14", "reason": "Làm bù"}]}
    received = at(2026, 3, 13, 16)  # Friday
    # Default: Mon 16 .. Fri 20. With Saturday 14 worked: 14, 16, 17, 18, Thursday 19.
    assert_ends_at_midnight_of(POLICY.due_at("phan_anh", False, received), date(2026, 3, 20))
    overridden = load_policy(overrides=make_up)
    assert_ends_at_midnight_of(overridden.due_at("phan_anh", False, received), date(2026, 3, 19))


def test_an_unknown_override_key_is_named() -> None:
    with pytest.raises(ConfigError, match=r"overrides\.make_up_day"):
        load_policy(overrides={"make_up_day": []})


@settings(deadline=None)
@given(
    received=st.datetimes(
        min_value=datetime(2020, 1, 1),
        max_value=datetime(2028, 12, 31),
        timezones=st.sampled_from([VIETNAM_TZ, UTC]),
    ),
    category=st.sampled_from([None, *CATEGORIES]),
    urgent=st.booleans(),
)
def test_an_item_is_never_due_before_it_was_received(
    received: datetime, category: str | None, urgent: bool
) -> None:
    due = POLICY.due_at(category, urgent, received)
    assert due >= received
    assert due.utcoffset() == timedelta(hours=7)
