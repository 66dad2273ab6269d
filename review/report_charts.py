"""The dashboard's small charts, drawn on the server with matplotlib's Agg canvas as PNG data URIs.

PNG rather than inline SVG: matplotlib's SVG carries inline styles, which the UI's Content
Security Policy (``style-src 'self'``) refuses; ``img-src data:`` is allowed. Figures are built
with ``matplotlib.figure.Figure`` directly, never pyplot, whose global state is not safe across
the web server's threads.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from classifier.labels import CATEGORIES, category_name
from storage.reports import Backlog, Report, percent

# Colour per category, fixed so a category keeps its colour from month to month.
PALETTE = ("#c0392b", "#d35400", "#2471a3", "#17a589", "#7d3c98", "#b7950b", "#7f8c8d")
OUTCOME_COLOURS = {"on_time": "#1e8449", "late": "#ca6f1e", "open": "#2e86c1", "overdue": "#c0392b"}
GREY = "#95a5a6"
DPI = 144


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)  # the Agg raster canvas: no display, no global backend switch
    fig.set_layout_engine("constrained")
    return fig


def _data_uri(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _tidy(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=8)


def received_per_day(report: Report) -> str:
    """Stacked bars: items received each day of the period, by category."""
    days = sorted(report.per_day)
    fig = _figure(9.0, 2.5)
    ax = fig.add_subplot()
    bottoms = [0] * len(days)
    keys = [*CATEGORIES, ""]
    for index, key in enumerate(keys):
        counts = [report.per_day[d].get(key, 0) for d in days]
        if not any(counts):
            continue
        colour = PALETTE[index] if index < len(PALETTE) else GREY
        name = category_name(key) if key else "Chưa phân loại"
        ax.bar(range(len(days)), counts, bottom=bottoms, color=colour, label=name, width=0.8)
        bottoms = [b + c for b, c in zip(bottoms, counts, strict=True)]
    ax.set_xticks(range(len(days)), [f"{d.day}" for d in days])
    ax.set_xlim(-0.6, len(days) - 0.4)
    ax.set_ylabel("Số mục", fontsize=8)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if any(bottoms):
        ax.legend(fontsize=7, ncols=4, frameon=False, loc="upper left")
        ax.set_ylim(0, max(bottoms) * 1.35)
    else:
        ax.text(0.5, 0.5, "Chưa có mục nào", ha="center", va="center", transform=ax.transAxes)
    _tidy(ax)
    return _data_uri(fig)


def outcomes(report: Report) -> str:
    """A ring of the four outcomes, the on-time rate in the middle."""
    t = report.totals
    values = {"on_time": t.on_time, "late": t.late, "open": t.open, "overdue": t.overdue}
    fig = _figure(2.6, 2.6)
    ax = fig.add_subplot()
    shown = {k: v for k, v in values.items() if v}
    if shown:
        ax.pie(
            list(shown.values()),
            colors=[OUTCOME_COLOURS[k] for k in shown],
            startangle=90,
            counterclock=False,
            wedgeprops={"width": 0.36, "edgecolor": "white"},
        )
    else:
        ax.pie([1], colors=["#e5e8e8"], wedgeprops={"width": 0.36})
    # As the tile beside it prints it: rounded down, so 199 of 200 never reads "100%".
    rate = percent(t.on_time_rate)
    middle = "–" if rate is None else f"{rate:.1f}".replace(".", ",").removesuffix(",0") + "%"
    ax.text(0, 0.08, middle, ha="center", va="center", fontsize=17, fontweight="bold")
    ax.text(0, -0.22, "đúng hạn", ha="center", va="center", fontsize=8)
    ax.set_aspect("equal")
    return _data_uri(fig)


def backlog(rows: Sequence[Backlog], limit: int = 8) -> str:
    """Horizontal bars: open items per department, the overdue part in red."""
    shown = list(rows[:limit])[::-1]
    fig = _figure(4.6, 0.8 + 0.34 * max(len(shown), 2))
    ax = fig.add_subplot()
    names = [_short(b.department or "Chưa giao phòng ban") for b in shown]
    in_time = [b.open - b.overdue for b in shown]
    ax.barh(names, in_time, color=OUTCOME_COLOURS["open"], label="Còn hạn", height=0.6)
    ax.barh(
        names,
        [b.overdue for b in shown],
        left=in_time,
        color=OUTCOME_COLOURS["overdue"],
        label="Quá hạn",
        height=0.6,
    )
    for y, b in enumerate(shown):
        ax.text(b.open, y, f" {b.open}", va="center", fontsize=8)
    if shown:
        ax.set_xlim(0, max(b.open for b in shown) * 1.18 + 0.5)
        ax.legend(fontsize=7, frameon=False, ncols=2, loc="lower right", bbox_to_anchor=(1.0, 1.0))
    else:
        ax.text(0.5, 0.5, "Không có mục đang mở", ha="center", va="center", transform=ax.transAxes)
        ax.set_yticks([])
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _tidy(ax)
    return _data_uri(fig)


def _short(name: str, limit: int = 34) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"
