"""The dashboard's ring prints the on-time rate as the tile beside it does: rounded down."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from matplotlib.axes import Axes

from review import report_charts
from storage.report_periods import month_of
from storage.reports import Report, Tally


@pytest.mark.parametrize(
    ("tally", "middle"),
    [
        (Tally(None, 200, 199, 1, 0, 0), "99,5%"),
        (Tally(None, 2000, 1999, 0, 0, 1), "99,9%"),
        (Tally(None, 10, 10, 0, 0, 0), "100%"),
        (Tally(None, 3, 0, 0, 3, 0), "–"),
    ],
)
def test_the_ring_never_rounds_a_late_item_up_to_100_percent(
    tally: Tally, middle: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[str] = []
    real = Axes.text

    def text(self: Axes, x: float, y: float, s: str, *args: Any, **kwargs: Any) -> Any:
        written.append(s)
        return real(self, x, y, s, *args, **kwargs)

    monkeypatch.setattr(Axes, "text", text)
    report = Report(month_of(date(2026, 3, 1)), None, datetime(2026, 3, 20, tzinfo=UTC))
    report.totals = tally
    assert report_charts.outcomes(report).startswith("data:image/png;base64,")
    assert middle in written and (middle == "100%") == ("100%" in written)
