"""The live queue: what changed since the browser last asked, as JSON (review/static/pakn.js).

A poll, not a stream. ``pakn web`` runs on waitress, which serves each request on one of
``web.threads`` threads (8 by default, 15 at most, one database connection each): a server-sent
event stream per open tab would hold a thread and a connection for as long as the tab stays
open, so a commune's dozen officers with two tabs each would take every thread and the pages
would queue behind the streams. A 10-second poll of "what changed since <cursor>" is one short
request, answered in a few milliseconds from the primary keys and the open-items index; it
needs nothing special from nginx (no proxy_buffering off, no long read timeouts) and survives
proxies and networks that cut idle connections. Ten seconds is quicker than anyone answers a
comment, and an urgent item is a 4-hour rule (``web.live_poll_seconds``; ``pakn demo`` asks
every 2 seconds, so that a comment it simulates shows up while one watches).

Each answer carries the counts of the queue views, whether the list should be fetched again,
the urgent items nobody has touched yet (the browser notifies those it has not seen, with a
sound and a count in the tab's title) and the user's own replies that failed or may not have
been sent (notified once). A notification never carries what a denouncer wrote.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, jsonify, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from review.context import db, now, services, t, viewer
from review.queue_tabs import count_text, tab_counts
from storage.queue_live import LiveCursor, ReplyNews, changes
from storage.visibility import ItemCard

bp = Blueprint("live", __name__, url_prefix="/live")
_EXCERPT = 140


@bp.route("/changes")
def changed() -> BaseResponse:
    who, moment = viewer(), now()
    found = changes(db(), who, LiveCursor.decode(request.args.get("since")), now=moment)
    soon = timedelta(hours=services().deadlines.due_soon_hours)
    # The tabs' numbers as the page shows them (review/queue_tabs.py), "Tất cả" capped too.
    tabs = tab_counts(who, moment, soon)
    return jsonify(
        {
            "cursor": found.cursor.encode(),
            "poll_seconds": services().settings.web.live_poll_seconds,
            "changed": found.changed,
            "counts": {v: c.value for v, c in tabs.items()},
            "count_texts": {v: count_text(c) for v, c in tabs.items()},
            "urgent": [_urgent(c) for c in found.urgent],
            "replies": [_reply(r) for r in found.replies],
        }
    )


def _urgent(found: ItemCard) -> dict[str, Any]:
    # Shown by the operating system, maybe on a screen others see: never a denouncer's words.
    text = t("inbox.live_hidden_text") if found.shielded or found.masked else found.text
    return {
        "id": found.id,
        "title": t("inbox.live_urgent", id=found.id),
        "body": _short(text),
        "url": url_for("items.show", item_id=found.id),
    }


def _reply(news: ReplyNews) -> dict[str, Any]:
    key = "inbox.live_reply_failed" if news.status == "failed" else "inbox.live_reply_unknown"
    return {
        "key": f"{news.reply_id}:{news.status}",
        "item_id": news.item_id,
        "status": news.status,
        "title": t(key, id=news.item_id),
        "body": _short(news.error or ""),
        "url": url_for("items.show", item_id=news.item_id) + "#h-replies",
    }


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 1].rstrip() + "…"
