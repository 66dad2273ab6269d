"""Simulated Messenger: conversations, messages, Send API windows, replies to comments."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from simulator import World
from tests.clock import Clock
from tests.simulator.support import AN, BINH, CAM_GIANG, GraphClient, error_of, walk

PAGE = CAM_GIANG[0]


def _send(graph: GraphClient, recipient: dict[str, str], **extra: Any) -> Any:
    body = {"recipient": recipient, "message": {"text": "UBND xã đã tiếp nhận ạ"}, **extra}
    return graph.post(f"{PAGE}/messages", json=body)


def test_conversations_are_listed_newest_first_with_participants(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    old = sim_world.add_message(PAGE, AN, "alo ad", created_time=sim_clock.now - timedelta(days=2))
    new = sim_world.add_message(PAGE, BINH, "cho hỏi", created_time=sim_clock.now)
    fields = "id,updated_time,participants,message_count,unread_count,snippet,can_reply"
    body = graph.get(f"{PAGE}/conversations", platform="messenger", fields=fields).json()
    assert [c["id"] for c in body["data"]] == [new, old]
    newest = body["data"][0]
    assert newest["participants"]["data"][0] == {
        "name": BINH[1],
        "email": f"{BINH[0]}@facebook.com",
        "id": BINH[0],
    }
    assert (newest["message_count"], newest["unread_count"], newest["snippet"]) == (1, 1, "cho hỏi")
    sim_world.add_message(PAGE, AN, "còn đó không ạ")
    again = graph.get(f"{PAGE}/conversations", platform="messenger").json()
    assert [c["id"] for c in again["data"]] == [old, new]


def test_more_than_25_messages_page_newest_first_with_cursors(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    for i in range(30):
        sim_world.add_message(
            PAGE, AN, f"tin {i}", created_time=sim_clock.now + timedelta(seconds=i)
        )
    thread = sim_world.conversation_with(PAGE, AN[0])
    assert thread is not None
    first = graph.get(f"{thread}/messages", fields="id,message,created_time")
    assert len(first.json()["data"]) == 25
    everything = walk(graph, first)
    assert [m["message"] for m in everything] == [f"tin {i}" for i in range(29, -1, -1)]
    sim_clock.advance(seconds=1)  # the Conversations API allows 2 calls a second
    nested = graph.get(f"{PAGE}/conversations", fields="messages.limit(5){message}").json()
    inner = nested["data"][0]["messages"]
    assert [m["message"] for m in inner["data"]] == [f"tin {i}" for i in range(29, 24, -1)]
    assert "next" in inner["paging"]


def test_message_fields_match_the_graph_shape(sim_world: World, graph: GraphClient) -> None:
    thread = sim_world.add_message(PAGE, AN, "", attachments=[True])
    message = graph.get(f"{thread}/messages", fields="id,message,from,to,attachments").json()
    item = message["data"][0]
    assert item["id"].startswith("m_")
    assert item["message"] == ""
    assert item["from"] == {"name": AN[1], "email": f"{AN[0]}@facebook.com", "id": AN[0]}
    assert item["to"]["data"][0]["id"] == PAGE
    attachment = item["attachments"]["data"][0]
    assert attachment["mime_type"] == "image/jpeg"
    assert attachment["image_data"]["url"].startswith("http")


def test_response_within_24_hours_is_delivered_and_recorded(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    thread = sim_world.add_message(PAGE, AN, "xin hỏi lịch tiêm", created_time=sim_clock.now)
    sim_clock.advance(hours=23)
    response = _send(graph, {"id": AN[0]}, messaging_type="RESPONSE")
    assert response.status_code == 200, response.text
    sent = response.json()
    assert sent["recipient_id"] == AN[0]
    assert sim_world.message_ids(thread)[-1] == sent["message_id"]
    record = sim_world.sent_by_page(PAGE)[-1]
    assert (record["kind"], record["id"], record["target"]) == (
        "message",
        sent["message_id"],
        AN[0],
    )
    newest = graph.get(f"{thread}/messages", fields="from,message").json()["data"][0]
    assert newest["from"]["id"] == PAGE


def test_response_after_24_hours_is_refused_outside_the_window(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    sim_world.add_message(PAGE, AN, "alo", created_time=sim_clock.now)
    sim_clock.advance(hours=25)
    response = _send(graph, {"id": AN[0]}, messaging_type="RESPONSE")
    error = error_of(response)
    assert (response.status_code, error["code"], error["error_subcode"]) == (400, 10, 2018278)
    assert "outside of allowed window" in error["message"]
    assert sim_world.sent_by_page() == []


def test_human_agent_tag_extends_the_window_to_7_days(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    sim_world.add_message(PAGE, AN, "alo", created_time=sim_clock.now)
    sim_clock.advance(days=6, hours=23)
    tagged = {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    assert _send(graph, {"id": AN[0]}, **tagged).status_code == 200
    sim_clock.advance(hours=2)
    assert error_of(_send(graph, {"id": AN[0]}, **tagged))["error_subcode"] == 2018278


def test_tags_removed_in_2026_are_refused_with_code_100(
    sim_world: World, graph: GraphClient
) -> None:
    sim_world.add_message(PAGE, AN, "alo")
    response = _send(graph, {"id": AN[0]}, messaging_type="MESSAGE_TAG", tag="ACCOUNT_UPDATE")
    assert error_of(response)["code"] == 100


def test_private_reply_is_allowed_once_per_comment(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    post = sim_world.add_post(PAGE, "Cảnh báo lừa đảo")
    comment = sim_world.add_comment(post, BINH, "em bị trừ tiền rồi")
    assert graph.get(comment, fields="can_reply_privately").json()["can_reply_privately"] is True
    first = _send(graph, {"comment_id": comment})
    assert first.status_code == 200, first.text
    assert first.json()["recipient_id"] == BINH[0]
    assert graph.get(comment, fields="can_reply_privately").json()["can_reply_privately"] is False
    second = _send(graph, {"comment_id": comment})
    assert error_of(second)["code"] == 10
    kinds = [entry["kind"] for entry in sim_world.sent_by_page(PAGE)]
    assert kinds == ["private_reply"]


def test_private_reply_after_7_days_is_refused(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    post = sim_world.add_post(PAGE, "Thông báo")
    comment = sim_world.add_comment(post, BINH, "hỏi chút", created_time=sim_clock.now)
    sim_clock.advance(days=7, minutes=1)
    assert graph.get(comment, fields="can_reply_privately").json()["can_reply_privately"] is False
    error = error_of(_send(graph, {"comment_id": comment}))
    assert (error["code"], error["error_subcode"]) == (10, 2018278)


def test_public_reply_creates_a_page_comment_under_the_comment(
    sim_world: World, graph: GraphClient
) -> None:
    post = sim_world.add_post(PAGE, "Lịch tiếp dân")
    comment = sim_world.add_comment(post, AN, "thứ mấy ạ")
    response = graph.post(f"{comment}/comments", data={"message": "Dạ thứ Năm ạ"})
    assert response.status_code == 200, response.text
    reply_id = response.json()["id"]
    reply = graph.get(reply_id, fields="from,parent{id},message").json()
    assert reply["from"]["id"] == PAGE
    assert reply["parent"]["id"] == comment
    assert ("facebook_comment", reply_id) not in sim_world.citizen_items()
    assert sim_world.sent_by_page(PAGE)[0]["target"] == comment


def test_sending_to_someone_who_never_wrote_is_refused(graph: GraphClient) -> None:
    error = error_of(_send(graph, {"id": "999"}, messaging_type="RESPONSE"))
    assert (error["code"], error["error_subcode"]) == (100, 2018001)
