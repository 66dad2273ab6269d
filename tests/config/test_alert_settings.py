from __future__ import annotations

import pytest

from config.schema import ConfigError
from config.settings import parse

BASE = """
units:
  - {id: cam-giang, name: "UBND xã Cẩm Giàng"}
alerts:
"""


@pytest.mark.parametrize(
    ("alerts", "message"),
    [
        (
            "  unit_targets:\n    cam-giang:\n      - {url: 'json://h/x', events: [urgnet]}",
            "alerts.unit_targets.cam-giang[0].events: sự kiện 'urgnet'",
        ),
        (
            "  unit_targets:\n    khong-co:\n      - {url: 'json://h/x', events: [urgent]}",
            "alerts.unit_targets.khong-co",
        ),
        ("  admin_targets:\n    - {url: '', events: [page_down]}", "alerts.admin_targets[0].url"),
        ('  digest_time: "7h30"', "alerts.digest_time"),
        ("  report_quarter_cutoff_day: 31", "alerts.report_quarter_cutoff_day"),
    ],
)
def test_a_wrong_alert_setting_is_refused_naming_the_key(alerts: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse(BASE + alerts + "\n", env={})
    assert message in str(error.value)


def test_alert_targets_and_the_report_cut_off_are_read_from_the_file() -> None:
    text = BASE + (
        "  report_quarter_cutoff_day: 15\n"
        "  admin_targets:\n    - {url: 'json://h/admin', events: [page_down, reply_failed]}\n"
    )
    alerts = parse(text, env={}).alerts
    assert alerts.report_quarter_cutoff_day == 15
    assert alerts.admin_targets[0].events == ["page_down", "reply_failed"]
