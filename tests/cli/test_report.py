"""``pakn report`` from the command line: periods, units, files."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from cli.main import App
from cli.reports import report
from storage.poll_state import sync_pages
from storage.tables import Item

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def app(tmp_path: Path, sqlite_sessions: sessionmaker[Session], sqlite_url: str) -> App:
    config = tmp_path / "pakn.yaml"
    config.write_text(f'database_url: "{sqlite_url}"\n', encoding="utf-8")
    with sqlite_sessions.begin() as s:
        sync_pages(s, [("cam-giang", "UBND xã Cẩm Giàng", "xa")], [])
        for n, day in enumerate(
            (datetime(2026, 3, 10, 9, tzinfo=VN), datetime(2026, 3, 16, 9, tzinfo=VN))
        ):
            s.add(
                Item(
                    source="hotline",
                    external_id=f"call-{n}",
                    unit_id="cam-giang",
                    text="Đường dây nóng",
                    content_hash=str(n),
                    created_time=day,
                    first_seen_at=day,
                    last_seen_at=day,
                    status="new",
                    due_at=day + timedelta(days=2),
                )
            )
    return App(str(config))


def test_the_current_quarter_follows_the_cut_off_and_is_written_to_xlsx(
    app: App, tmp_path: Path
) -> None:
    out = tmp_path / "quy.xlsx"
    with time_machine.travel(datetime(2026, 3, 20, 10, 0, tzinfo=VN), tick=False):
        result = CliRunner().invoke(report, ["--period", "quarter", "--output", str(out)], obj=app)

    assert result.exit_code == 0, result.output
    assert "Quý II năm 2026 (15/03/2026 – 14/06/2026)" in result.output
    book = load_workbook(out)
    summary = {row[0]: row[1] for row in book["Tổng hợp"].iter_rows(values_only=True) if row}
    assert summary["Tổng số tiếp nhận"] == 1  # 16/3 is in Q2; 10/3 belongs to Q1
    assert summary["Quá hạn, chưa xử lý"] == 1


def test_a_csv_for_a_date_range_and_a_unit_goes_to_the_default_file_name(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["--period", "2026-03-01..2026-03-31", "--unit", "cam-giang", "--format", "csv"]
    result = CliRunner().invoke(report, args, obj=app)

    assert result.exit_code == 0, result.output
    text = (tmp_path / "bao-cao-cam-giang-20260301-20260331.csv").read_text(encoding="utf-8-sig")
    assert "Tổng số tiếp nhận,2" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--unit", "khong-co"], "cam-giang"),
        (["--period", "2026-03-31..2026-03-01"], "trước ngày bắt đầu"),
        (["--at", "31/02/2026"], "14/03/2026"),
    ],
)
def test_bad_arguments_say_how_to_fix_them(app: App, args: list[str], message: str) -> None:
    result = CliRunner().invoke(report, args, obj=app)
    assert result.exit_code == 2
    assert message in result.output
