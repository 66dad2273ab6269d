"""config/deadlines.yaml against the sources (docs: ../shared reference, "Corrections"): each
rule names its article or says it is a default, and the statutory clocks are the law's."""

from __future__ import annotations

import importlib.resources
from datetime import UTC, date, datetime

import pytest

from storage.deadlines import load_policy
from storage.transfers import LEGAL_BASIS, TRANSFER_WORKING_DAYS, transfer_due

POLICY = load_policy()
RULES = {rule.name: rule for rule in POLICY.rules}
TEXT = importlib.resources.files("config").joinpath("deadlines.yaml").read_text("utf-8")


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_rule_names_its_article_or_says_it_is_a_default(name: str) -> None:
    basis = RULES[name].legal_basis
    assert "Điều" in basis or basis.startswith("Mặc định (không có thời hạn luật định)"), basis


def test_to_cao_acceptance_is_seven_working_days_and_facebook_items_use_it_as_a_default() -> None:
    rule = RULES["to_cao_xu_ly_ban_dau"]
    assert (rule.category, rule.unit, rule.amount) == ("to_cao", "working_days", 7)
    assert "Điều 24 khoản 1" in rule.legal_basis
    # An anonymous Facebook comment has no statutory clock: the rule says so and says why.
    for source in ("Điều 25", "NĐ 31/2019/NĐ-CP, Điều 20", "không có thời hạn luật định"):
        assert source in rule.legal_basis
    assert "KHÔNG có thời hạn luật định" in TEXT and "người gửi có thể nộp đơn chính thức" in TEXT


def test_khieu_nai_acceptance_is_ten_days_then_seven_working_days_from_1_july_2026() -> None:
    before = POLICY.rule_for("khieu_nai", False, datetime(2026, 6, 30, 3, tzinfo=UTC))
    after = POLICY.rule_for("khieu_nai", False, datetime(2026, 7, 1, 3, tzinfo=UTC))
    assert (before.unit, before.amount, "Điều 27" in before.legal_basis) == (
        "calendar_days",
        10,
        True,
    )
    assert (after.unit, after.amount, after.effective_from) == ("working_days", 7, date(2026, 7, 1))
    assert "NĐ 155/2026" in after.legal_basis and "CHƯA KIỂM CHỨNG" in after.legal_basis


def test_the_transfer_clock_is_five_working_days_as_the_table_says() -> None:
    assert TRANSFER_WORKING_DAYS == 5
    assert "Điều 9 khoản 1 điểm d" in LEGAL_BASIS and "Điều 24 khoản 2" in LEGAL_BASIS
    for source in (
        "05 ngày làm việc",
        "Điều 9 khoản 1",
        "Điều 24 khoản 2",
        "TRANSFER_WORKING_DAYS = 5",
    ):
        assert source in TEXT
    friday = datetime(2026, 3, 6, 2, tzinfo=UTC)  # 09:00 Friday in Việt Nam
    assert transfer_due(POLICY.calendar, friday).date() == date(2026, 3, 13)


def test_urgent_items_are_due_in_four_wall_clock_hours_with_the_crime_rule_named() -> None:
    rule = RULES["khan_cap"]
    assert (rule.urgent, rule.unit, rule.amount) == (True, "hours", 4)
    assert "Điều 27" in rule.legal_basis
