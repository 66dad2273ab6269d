"""The numbers around a queue list: each tab's count and the pager ("← Trang trước",
"Trang k / n", how many items the list holds), the same on the page and in the live poll."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil
from urllib.parse import urlencode

from flask import url_for

from review.context import db, language, t
from storage.queue_search import ViewCount, all_count, queue_counts
from storage.visibility import Viewer


def tab_counts(who: Viewer, moment: datetime, soon: timedelta) -> dict[str, ViewCount]:
    """Every tab's count: the open items of each work view, and "Tất cả" up to its cap."""
    found = {v: ViewCount(n) for v, n in queue_counts(db(), who, now=moment, soon=soon).items()}
    found["all"] = all_count(db(), who)
    return found


def count_text(count: ViewCount) -> str:
    """1.000 in Vietnamese, 1,000 in English; "hơn 1.000" when counting stopped there."""
    number = f"{count.value:,}"
    if language() == "vi":
        number = number.replace(",", ".")
    return t("queue.count_more", n=number) if count.capped else number


@dataclass(frozen=True)
class Pager:
    number: int  # this page, from 1
    pages: int | None  # None when the count was capped
    total: str  # the count of the list, in words
    prev_url: str | None
    next_url: str | None

    @property
    def label(self) -> str:
        if self.pages is None:
            return t("queue.page_only", k=self.number)
        return t("queue.page_of", k=self.number, n=self.pages)


def page_number(raw: str | None, cursor: str | None) -> int:
    """The page asked for (the address carries it beside the cursor); 1 without a cursor."""
    if not cursor:
        return 1
    if not raw or not raw.isdigit() or len(raw) > 7:
        return 2
    return max(int(raw), 2)


def pager(
    view: str,
    params: dict[str, str],
    count: ViewCount,
    number: int,
    page_size: int,
    cursors: tuple[str | None, str | None, bool],
) -> Pager:
    """``cursors``: the page before's, the next page's, and whether this page had one."""
    prev_cursor, next_cursor, paged = cursors
    pages = None if count.capped else max(1, ceil(count.value / page_size))
    if pages is not None:
        number = min(number, pages) if next_cursor is None else min(number, pages - 1)
    prev_url = None
    if paged:
        back = {"cursor": prev_cursor, "page_no": str(number - 1)} if prev_cursor else {}
        prev_url = _url(view, {**params, **back})
    next_url = None
    if next_cursor:
        next_url = _url(view, {**params, "cursor": next_cursor, "page_no": str(number + 1)})
    total = t("queue.count_items", n=count_text(count))
    return Pager(number, pages, total, prev_url, next_url)


def _url(view: str, params: dict[str, str]) -> str:
    query = urlencode(params)
    return url_for("queue.show", view=view) + (f"?{query}" if query else "")
