"""The log is the last surface a token could leak through: tracebacks included."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from cli.main import setup_logging

TOKEN = "EAAB" + "x7Q2" * 12


def test_a_traceback_that_carries_a_token_is_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging(verbose=False)
    try:
        raise RuntimeError(f"Malformed access token {TOKEN}")
    except RuntimeError:
        logging.getLogger("pakn.monitor").exception("trang 123 lỗi")
    err = capsys.readouterr().err
    assert "Malformed access token" in err
    assert TOKEN not in err
    assert TOKEN[:12] not in err


def test_log_lines_are_stamped_in_vietnam_time_with_the_offset() -> None:
    setup_logging(verbose=False)
    record = logging.LogRecord("pakn.monitor", logging.INFO, __file__, 1, "cảnh báo", None, None)
    record.created, record.msecs = datetime(2026, 12, 4, 2, 30, tzinfo=UTC).timestamp(), 0.0
    formatter = logging.getLogger().handlers[0].formatter
    assert formatter is not None
    assert formatter.format(record).startswith("2026-12-04 09:30:00,000+0700 INFO pakn.monitor")


def test_matplotlib_building_its_font_cache_stays_out_of_the_log(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging(verbose=False)
    logging.getLogger("matplotlib.font_manager").info(
        "Matplotlib is building the font cache; this may take a moment."
    )
    assert "font cache" not in capsys.readouterr().err
