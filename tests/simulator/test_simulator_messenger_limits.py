"""Messenger's own budget, the Conversations API's 2 calls a second, and Pages going on."""

from __future__ import annotations

import json

import requests

from simulator import GraphSimulator, World
from tests.clock import Clock
from tests.simulator.support import AN, CAM_GIANG, DONG_HOA, GraphClient, error_of

PAGE = CAM_GIANG[0]


def _usage(response: requests.Response, page: str = PAGE) -> dict[str, int | str]:
    entry: dict[str, int | str] = json.loads(response.headers["X-Business-Use-Case-Usage"])[page][0]
    return entry


def _inbox(graph: GraphClient) -> requests.Response:
    return graph.get(f"{PAGE}/conversations", platform="messenger")


def test_a_third_conversations_call_in_one_second_is_throttled_with_613(
    sim_world: World, sim_clock: Clock, simulator: GraphSimulator, graph: GraphClient
) -> None:
    thread = sim_world.add_message(PAGE, AN, "alo ad")
    assert _inbox(graph).status_code == 200
    assert graph.get(f"{thread}/messages").status_code == 200
    throttled = graph.get(f"{thread}/messages")
    error = error_of(throttled)
    assert (throttled.status_code, error["code"]) == (400, 613)
    usage = _usage(throttled)
    assert usage["type"] == "messenger"
    assert int(usage["estimated_time_to_regain_access"]) >= 1
    # The Pages API and other Pages are not held up meanwhile.
    feed = graph.get(f"{PAGE}/feed")
    assert (feed.status_code, _usage(feed)["type"]) == (200, "pages")
    other = GraphClient(simulator.base_url, DONG_HOA[2])
    assert other.get(f"{DONG_HOA[0]}/conversations").status_code == 200
    sim_clock.advance(seconds=1)
    assert _inbox(graph).status_code == 200


def test_sending_is_not_a_conversations_read(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    sim_world.add_message(PAGE, AN, "alo ad")
    for _ in range(2):
        _inbox(graph)
    assert error_of(_inbox(graph))["code"] == 613
    body = {"recipient": {"id": AN[0]}, "messaging_type": "RESPONSE", "message": {"text": "Dạ"}}
    assert graph.post(f"{PAGE}/messages", json=body).status_code == 200


def test_each_batch_operation_counts_against_the_per_second_limit(
    sim_world: World, graph: GraphClient
) -> None:
    thread = sim_world.add_message(PAGE, AN, "alo ad")
    ops = [{"method": "GET", "relative_url": f"{thread}/messages"}] * 3
    answers = graph.session.post(
        f"{graph.base_url}/v25.0/", data={"batch": json.dumps(ops)}, timeout=10
    ).json()
    assert [answer["code"] for answer in answers] == [200, 200, 400]
    assert json.loads(answers[2]["body"])["error"]["code"] == 613


def test_the_per_second_limit_can_be_switched_off(sim_world: World, graph: GraphClient) -> None:
    sim_world.add_message(PAGE, AN, "alo ad")
    sim_world.set_conversation_rate(None)
    assert all(_inbox(graph).status_code == 200 for _ in range(10))
    sim_world.set_conversation_rate(5)
    answers = [_inbox(graph).status_code for _ in range(6)]
    assert answers == [200] * 5 + [400]


def test_messenger_has_its_own_budget_and_pages_work_while_it_is_spent(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    sim_world.add_message(PAGE, AN, "alo ad")
    sim_world.set_messenger_budget(PAGE, 3, 86400)
    sim_world.set_budget(PAGE, 100, 3600)
    for _ in range(3):
        sim_clock.advance(seconds=1)
        assert _inbox(graph).status_code == 200
    sim_clock.advance(seconds=1)
    spent = _inbox(graph)
    assert (spent.status_code, error_of(spent)["code"]) == (400, 80006)
    usage = _usage(spent)
    assert (usage["type"], usage["call_count"]) == ("messenger", 100)
    assert int(usage["estimated_time_to_regain_access"]) > 60
    feed = graph.get(f"{PAGE}/feed")
    assert feed.status_code == 200
    assert _usage(feed) == {
        "type": "pages",
        "call_count": 1,
        "total_cputime": 0,
        "total_time": 0,
        "estimated_time_to_regain_access": 0,
    }
    sim_clock.advance(hours=24)
    assert _inbox(graph).status_code == 200


def test_messenger_throttle_fault_leaves_pages_calls_working(
    sim_world: World, simulator: GraphSimulator, graph: GraphClient
) -> None:
    simulator.faults.set(throttle_messenger={PAGE})
    assert error_of(_inbox(graph))["code"] == 80006
    assert graph.get(f"{PAGE}/feed").status_code == 200
