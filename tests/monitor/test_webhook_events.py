"""Reading webhook deliveries into targeted reads: real captured shapes, batches, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from monitor.webhook_events import MalformedDelivery, Target, read_delivery

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "graph"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def body(document: Any) -> bytes:
    return json.dumps(document).encode()


def feed(page: str, **value: Any) -> dict[str, Any]:
    return {"id": page, "time": 1, "changes": [{"field": "feed", "value": value}]}


def test_a_captured_comment_add_asks_for_the_post_s_comments() -> None:
    reading = read_delivery(fixture("restfb_wh_feed_comment_add_v211.json"))
    assert reading.targets == [
        Target("1234567890321", "object", "1234567890321_901097836652708", "feed comment add")
    ]


def test_a_captured_removal_asks_to_confirm_the_comment_and_reread_its_post() -> None:
    reading = read_delivery(fixture("restfb_wh_feed_comment_remove.json"))
    assert [(t.kind, t.object_id) for t in reading.targets] == [
        ("comment", "905578656204626_905579239537901"),
        ("object", "1234567890321_905578656204626"),
    ]


def test_a_captured_echo_reads_the_conversation_of_the_citizen_it_answered() -> None:
    reading = read_delivery(fixture("restfb_wh_messaging_echo.json"))
    assert reading.targets == [Target("12345654332", "conversation", "987654321432", "tin nhắn")]


def test_a_batch_of_pages_and_changes_gives_each_target_once() -> None:
    document = {
        "object": "page",
        "entry": [
            feed("1", item="comment", verb="add", post_id="1_10", comment_id="10_1"),
            feed("1", item="comment", verb="edited", post_id="1_10", comment_id="10_1"),
            feed("2", item="status", verb="add", post_id="2_20"),
            {
                "id": 2,
                "time": 1,
                "messaging": [
                    {"sender": {"id": 77}, "recipient": {"id": 2}, "message": {"mid": "m1"}},
                    {"sender": {"id": 77}, "recipient": {"id": 2}, "read": {"watermark": 5}},
                    {"sender": {"id": 78}, "recipient": {"id": 2}, "message_edit": {"mid": "m"}},
                ],
            },
        ],
    }
    reading = read_delivery(body(document))
    assert [(t.page_id, t.kind, t.object_id) for t in reading.targets] == [
        ("1", "object", "1_10"),
        ("2", "object", "2_20"),
        ("2", "conversation", "77"),
        ("2", "conversation", "78"),
    ]
    assert len(reading.skipped) == 1  # the read receipt


def test_the_legacy_sender_id_shape_and_a_mention_are_read() -> None:
    document = {
        "object": "page",
        "entry": [
            feed("1", item="comment", verb="add", post_id="1_5", sender_id=42, sender_name="An"),
            {
                "id": "1",
                "time": 1,
                "changes": [{"field": "mention", "value": {"post_id": "99_1", "item": "post"}}],
            },
        ],
    }
    reading = read_delivery(body(document))
    assert [(t.kind, t.object_id) for t in reading.targets] == [
        ("object", "1_5"),
        ("object", "99_1"),
    ]


@pytest.mark.parametrize(
    "raw",
    [b"not json", b"\xff\xfe", b"[]", b'{"object": "user", "entry": []}', b'{"object": "page"}'],
)
def test_a_delivery_that_is_not_a_page_webhook_is_refused_with_a_reason(raw: bytes) -> None:
    with pytest.raises(MalformedDelivery):
        read_delivery(raw)


def test_broken_parts_of_a_delivery_are_skipped_and_the_rest_is_read() -> None:
    document = {
        "object": "page",
        "entry": [
            "nonsense",
            {"time": 1, "changes": []},
            {"id": "1", "changes": [{"field": "feed"}, {"field": "feed", "value": []}]},
            feed("1", item="reaction", verb="add", post_id="1_3"),
            feed("1", item="comment", verb="add", post_id={"deep": ["x"]}),
            {"id": "1", "messaging": [{"message": {"mid": "m"}}, 7]},
            feed("1", item="comment", verb="add", post_id="1_4", comment_id="4_1"),
        ],
    }
    reading = read_delivery(body(document))
    assert [t.object_id for t in reading.targets] == ["1_4"]
    assert len(reading.skipped) == 8
