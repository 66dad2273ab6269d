"""The log is the last surface a token could leak through: tracebacks included."""

from __future__ import annotations

import logging

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
