"""One month with known answers: the dashboard, the workbook, ``pakn report``, the scorecard and
the queue's "Quá hạn" list all give the same figures (tests/storage/known_month.py).

The old dashboard showed "Xử lý đúng hạn 100 %" beside "Quá hạn 12": the rate left the
overdue items out. Here the month has overdue and prolonged items and every surface must say
44,4 % (4 on time out of 9 due).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cli.main import App
from cli.reports import report
from config.schema import Secret
from config.settings import Settings, UnitSettings, WebSettings
from review.app import create_app
from review.auth_views import signed_in
from storage.queue_search import queue_counts
from storage.tables import User
from storage.visibility import viewer_for
from tests.review.personas import make_policy
from tests.storage.known_month import EXPECTED, NOW, OVERDUE, PROLONGED, Month, build

MARCH_ARGS = "period=month&at=2026-03-01"


@dataclass(frozen=True)
class Built:
    month: Month
    web: Flask
    sessions: sessionmaker[Session]


@pytest.fixture
def built(sessions: sessionmaker[Session], tmp_path: Path) -> Built:
    month = build(sessions)
    settings = Settings(
        data_dir=str(tmp_path),
        units=[UnitSettings("cam-giang", "UBND xã Cẩm Giàng")],
        web=WebSettings(secret_key=Secret("k" * 48)),
    )
    web = create_app(settings, sessions, policy=make_policy(), clock=lambda: NOW, testing=True)
    return Built(month, web, sessions)


def client_as(built: Built, user_id: int) -> FlaskClient:
    client = built.web.test_client()
    with built.sessions.begin() as s:
        user = s.get(User, user_id)
        assert user is not None
        fields = signed_in(user)
    with client.session_transaction() as flask_session:
        flask_session.update(fields)
    return client


def tiles(html: str) -> dict[str, str]:
    found = re.findall(
        r'data-figure="(\w+)"><span class="rp-stat-label">[^<]*</span>'
        r'<span class="rp-stat-value">(?:<a [^>]*>)?([^<]+)<',
        html,
    )
    return dict(found)


def listed_in(html: str, section: str) -> set[int]:
    part = html.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]
    return {int(i) for i in re.findall(r'data-item="(\d+)"', part)}


def as_shown(value: float) -> str:
    return f"{value:.1f}".replace(".", ",").removesuffix(",0") + " %"


def test_the_dashboard_shows_the_known_figures_and_lists_what_it_counts(built: Built) -> None:
    html = client_as(built, built.month.leader).get(f"/reports/?{MARCH_ARGS}").get_data(True)

    shown = tiles(html)
    for key in ("received", "on_time", "late", "open", "overdue", "prolonged", "overdue_now"):
        assert int(shown[key]) == EXPECTED[key], key
    assert shown["on_time_rate"] == as_shown(EXPECTED["rate"]) == "44,4 %"
    assert "4 đúng hạn / 9 đã đến hạn" in html
    assert listed_in(html, "overdue") == built.month.of(*OVERDUE)
    assert listed_in(html, "prolonged") == built.month.of(*PROLONGED)
    assert "gia hạn theo chỉ đạo (đề xuất #" in html


def test_the_workbook_carries_the_same_figures_and_lists(built: Built) -> None:
    client = client_as(built, built.month.leader)
    response = client.get(f"/reports/download?{MARCH_ARGS}&format=xlsx")

    book = load_workbook(io.BytesIO(response.data))
    assert_workbook(book, built.month)


def assert_workbook(book: Any, month: Month) -> None:
    summary = {r[0]: r[1] for r in book["Tổng hợp"].iter_rows(values_only=True) if r and r[0]}
    figures = {
        "Tổng số tiếp nhận": EXPECTED["received"],
        "Đã xử lý đúng hạn": EXPECTED["on_time"],
        "Đã xử lý trễ hạn": EXPECTED["late"],
        "Đang xử lý, còn hạn": EXPECTED["open"],
        "Quá hạn, chưa xử lý": EXPECTED["overdue"],
        "Đã đến hạn (đúng hạn + trễ hạn + quá hạn)": EXPECTED["due"],
        "Tỷ lệ xử lý đúng hạn (%) = đúng hạn / đã đến hạn": EXPECTED["rate"],
        "Đang quá hạn lúc lập báo cáo, mọi kỳ nhận": EXPECTED["overdue_now"],
    }
    for label, value in figures.items():
        assert summary[label] == value, label
    prolonged = next(v for k, v in summary.items() if str(k).startswith("Kéo dài"))
    assert prolonged == EXPECTED["prolonged"]

    def ids(sheet: str) -> set[int]:
        return {r[0] for r in book[sheet].iter_rows(min_row=2, values_only=True) if r[0]}

    assert ids("Quá hạn") == month.of(*OVERDUE)
    assert ids("Kéo dài") == month.of(*PROLONGED)
    reasons = [r[-1] for r in book["Kéo dài"].iter_rows(min_row=2, values_only=True)]
    assert all(reasons) and any("gia hạn" in r for r in reasons)


def test_pakn_report_prints_and_writes_the_same_figures(
    built: Built, db_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "pakn.yaml"
    config.write_text(f'database_url: "{db_url}"\n', encoding="utf-8")
    out = tmp_path / "thang-3.xlsx"
    args = ["--period", "2026-03-01..2026-03-31", "--unit", "cam-giang", "--output", str(out)]
    with time_machine.travel(NOW, tick=False):
        result = CliRunner().invoke(report, args, obj=App(str(config)))

    assert result.exit_code == 0, result.output
    e = EXPECTED
    assert (
        f"Tiếp nhận {e['received']}: đúng hạn {e['on_time']}, trễ hạn {e['late']}, "
        f"còn hạn {e['open']}, quá hạn {e['overdue']}; tỷ lệ đúng hạn 44,4 % "
        f"({e['on_time']}/{e['due']} đã đến hạn); kéo dài {e['prolonged']}; "
        f"đang quá hạn mọi kỳ {e['overdue_now']}."
    ) in result.output
    assert_workbook(load_workbook(out), built.month)


def test_the_scorecard_gives_no_point_and_lists_the_prolonged_items(built: Built) -> None:
    client = client_as(built, built.month.leader)
    html = client.get(f"/reports/scorecard/?{MARCH_ARGS}").get_data(as_text=True)

    row = html.split('data-unit="cam-giang"', 1)[1].split("</tr>", 1)[0]
    cell = dict(re.findall(r'data-figure="(\w+)">(.*?)</td>', row, re.S))
    assert cell["received"] == "10" and cell["due"] == "9" and cell["on_time"] == "4"
    assert "<strong>44,4 %</strong>" in cell["on_time_rate"]
    assert "mốc 100 %: ✗ · mốc 90 %: ✗" in cell["on_time_rate"]
    assert cell["prolonged"].strip() == "4" and cell["points"].strip() == "0"
    section = html.split('id="unit-cam-giang"', 1)[1].split("</section>", 1)[0]
    listed = section.split("Phản ánh về cán bộ", 1)[0]
    assert {int(i) for i in re.findall(r'data-item="(\d+)"', listed)} == built.month.of(*PROLONGED)

    workbook = client.get(f"/reports/scorecard/download?{MARCH_ARGS}")
    book = load_workbook(io.BytesIO(workbook.data))
    rows = list(book["Chỉ số"].iter_rows(values_only=True))
    header = rows[4]
    line = dict(zip(header, rows[5], strict=False))
    assert line["Tỷ lệ đúng hạn (%)"] == 44.4 and line["Kéo dài"] == 4
    assert line["Điểm chỉ số 8"] == 0 and line["Đạt mốc 90 %"] == "Không"


def test_the_overdue_now_figure_is_the_queues_overdue_count(
    built: Built, sessions: sessionmaker[Session]
) -> None:
    html = client_as(built, built.month.leader).get(f"/reports/?{MARCH_ARGS}").get_data(True)
    with sessions.begin() as s:
        leader = s.get(User, built.month.leader)
        assert leader is not None
        counts = queue_counts(s, viewer_for(s, leader), now=NOW, soon=timedelta(hours=24))
    assert int(tiles(html)["overdue_now"]) == counts["overdue"] == EXPECTED["overdue_now"]


def test_an_admin_sees_every_unit_and_the_total_line_across_them(built: Built) -> None:
    with built.sessions.begin() as s:
        admin = s.scalars(select(User.id).where(User.username == "quantri")).one()
    html = client_as(built, admin).get(f"/reports/scorecard/?{MARCH_ARGS}").get_data(True)

    rows = {unit: html.split(f'data-unit="{unit}"', 1)[1].split("</tr>", 1)[0]
            for unit in ("cam-giang", "ai-quoc", "total")}  # fmt: skip
    received = {
        unit: int(re.search(r'data-figure="received">(\d+)<', row).group(1))  # type: ignore[union-attr]
        for unit, row in rows.items()
    }
    assert received == {"cam-giang": 10, "ai-quoc": 1, "total": 11}
    assert "Toàn bộ 2 đơn vị" in rows["total"]
