"""Messenger folders and the kinds of message content besides text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from simulator import World
from tests.clock import Clock
from tests.simulator.support import AN, BINH, CAM_GIANG, GraphClient, error_of

PAGE = CAM_GIANG[0]
CHI = ("5100000000000003", "Lê Thị Chi")
MESSAGE_FIELDS = "id,message,attachments,sticker,shares,story,is_unsupported"


def _listed(graph: GraphClient, clock: Clock, **params: str) -> list[str]:
    clock.advance(seconds=1)  # the Conversations API allows 2 calls a second
    body = graph.get(f"{PAGE}/conversations", platform="messenger", **params).json()
    return [c["id"] for c in body["data"]]


def _newest(graph: GraphClient, clock: Clock, thread: str) -> dict[str, object]:
    clock.advance(seconds=1)
    data = graph.get(f"{thread}/messages", fields=MESSAGE_FIELDS).json()["data"]
    newest: dict[str, object] = data[0]
    return newest


def test_without_folder_only_the_inbox_is_listed(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    inbox = sim_world.add_message(PAGE, AN, "cho hỏi lịch tiêm")
    other = sim_world.add_message(PAGE, BINH, "chào ad", folder="other")
    done = sim_world.add_message(PAGE, CHI, "cảm ơn xã")
    sim_world.move_conversation(done, "page_done")
    assert _listed(graph, sim_clock) == [inbox]
    assert _listed(graph, sim_clock, folder="inbox") == [inbox]
    assert _listed(graph, sim_clock, folder="other") == [other]
    assert _listed(graph, sim_clock, folder="page_done") == [done]
    assert _listed(graph, sim_clock, folder="spam") == []
    sim_clock.advance(seconds=1)
    folder = graph.get(other, fields="folder").json()["folder"]
    assert folder == "other"
    by_user = graph.get(f"{PAGE}/conversations", user_id=BINH[0]).json()["data"]
    assert [c["id"] for c in by_user] == [other], "a lookup by person searches every folder"
    everything = {key for key in sim_world.citizen_items(PAGE) if key[0] == "facebook_message"}
    assert len(everything) == 3, "messages in every folder are citizen items"


def test_an_unknown_folder_is_refused(graph: GraphClient) -> None:
    response = graph.get(f"{PAGE}/conversations", folder="archived")
    assert (response.status_code, error_of(response)["code"]) == (400, 100)


def test_moving_to_an_unknown_folder_is_a_programming_error(sim_world: World) -> None:
    thread = sim_world.add_message(PAGE, AN, "alo")
    with pytest.raises(ValueError, match="folder must be one of"):
        sim_world.move_conversation(thread, "archived")


def test_a_shared_link_comes_as_shares(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    link = {"link": "https://vnexpress.net/bai-viet", "name": "Sạt lở đê", "description": "..."}
    thread = sim_world.add_message(PAGE, AN, "", shares=[link])
    message = _newest(graph, sim_clock, thread)
    assert message["shares"] == {"data": [link]}
    assert message["message"] == ""
    assert "attachments" not in message


def test_a_sticker_before_2026_08_30_is_a_url_and_after_it_an_attachment(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    old = sim_world.add_message(
        PAGE, AN, "", created_time=datetime(2026, 8, 29, 23, 0, tzinfo=UTC), sticker=True
    )
    message = _newest(graph, sim_clock, old)
    assert str(message["sticker"]).startswith("https://")
    assert "attachments" not in message
    new = sim_world.add_message(PAGE, BINH, "", sticker="https://cdn.example/like.png")
    message = _newest(graph, sim_clock, new)
    assert "sticker" not in message
    attachments = message["attachments"]
    assert isinstance(attachments, dict)
    (sticker,) = attachments["data"]
    assert sticker["type"] == "sticker"
    assert sticker["image_data"]["url"] == "https://cdn.example/like.png"
    assert sticker["image_data"]["render_as_sticker"] is True


def test_a_story_reply_and_unsupported_content_carry_no_text(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    story = {"id": "18000000000000001", "url": "https://www.facebook.com/stories/1"}
    thread = sim_world.add_message(PAGE, AN, "", story=story)
    assert _newest(graph, sim_clock, thread)["story"] == story
    sim_clock.advance(minutes=1)
    sim_world.add_message(PAGE, AN, "", unsupported=True)
    message = _newest(graph, sim_clock, thread)
    assert (message["is_unsupported"], message["message"]) == (True, "")
    sim_clock.advance(minutes=1)
    sim_world.add_message(PAGE, AN, "còn đây là chữ")
    assert "is_unsupported" not in _newest(graph, sim_clock, thread), "sent only when true"


def test_the_folder_of_an_older_thread_does_not_change_by_itself(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    thread = sim_world.add_message(PAGE, AN, "quảng cáo", folder="spam")
    sim_clock.advance(days=1)
    sim_world.add_message(PAGE, AN, "ad ơi em hỏi thật", created_time=sim_clock.now)
    assert _listed(graph, sim_clock, folder="spam") == [thread]
    assert _listed(graph, sim_clock) == []
