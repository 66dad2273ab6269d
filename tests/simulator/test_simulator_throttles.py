"""Each throttle Meta documents, with its body and headers, ended by the world's clock: the
app (#4, X-App-Usage at 100 %), one page (#32, no usage header), one usage type of one page
(80001 for ``pages``, 80006 for ``messenger``, with the minutes left)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import requests

from simulator import GraphSimulator
from tests.clock import Clock
from tests.simulator.support import CAM_GIANG, DONG_HOA, GraphClient, error_of

PAGE, OTHER = CAM_GIANG[0], DONG_HOA[0]


def buc(response: requests.Response, page: str = PAGE) -> dict[str, Any]:
    entry: dict[str, Any] = json.loads(response.headers["X-Business-Use-Case-Usage"])[page][0]
    return entry


def feed(graph: GraphClient) -> requests.Response:
    return graph.get(f"{PAGE}/feed")


def inbox(graph: GraphClient) -> requests.Response:
    return graph.get(f"{PAGE}/conversations", platform="messenger")


def test_a_messenger_throttle_answers_80006_with_the_minutes_left_and_leaves_the_feed(
    sim_clock: Clock, simulator: GraphSimulator, graph: GraphClient
) -> None:
    simulator.faults.throttle("messenger", sim_clock.now + timedelta(minutes=7), page_id=PAGE)
    refused = inbox(graph)
    assert (refused.status_code, error_of(refused)["code"]) == (400, 80006)
    assert buc(refused)["type"] == "messenger"
    assert buc(refused)["estimated_time_to_regain_access"] == 7
    assert buc(refused)["call_count"] == 100
    assert feed(graph).status_code == 200
    sim_clock.advance(minutes=6, seconds=30)
    assert buc(inbox(graph))["estimated_time_to_regain_access"] == 1  # whole minutes, rounded up
    sim_clock.advance(seconds=30)
    assert inbox(graph).status_code == 200


def test_a_pages_throttle_answers_80001_for_that_page_only(
    sim_clock: Clock, simulator: GraphSimulator, graph: GraphClient
) -> None:
    simulator.faults.throttle("pages", sim_clock.now + timedelta(minutes=5), page_id=PAGE)
    refused = feed(graph)
    assert error_of(refused)["code"] == 80001
    assert "too many calls to this Page account" in error_of(refused)["message"]
    assert (buc(refused)["type"], buc(refused)["estimated_time_to_regain_access"]) == ("pages", 5)
    assert inbox(graph).status_code == 200
    other = GraphClient(simulator.base_url, DONG_HOA[2])
    assert other.get(f"{OTHER}/feed").status_code == 200


def test_a_page_limit_answers_32_without_a_usage_header(
    sim_clock: Clock, simulator: GraphSimulator, graph: GraphClient
) -> None:
    simulator.faults.throttle("page", sim_clock.now + timedelta(seconds=90), page_id=PAGE)
    for refused in (feed(graph), inbox(graph)):
        assert error_of(refused) | {"fbtrace_id": ""} == {
            "message": "(#32) Page request limit reached",
            "type": "OAuthException",
            "code": 32,
            "fbtrace_id": "",
        }
        assert "X-Business-Use-Case-Usage" not in refused.headers
    sim_clock.advance(seconds=90)
    assert feed(graph).status_code == 200


def test_an_app_throttle_answers_4_on_every_page_with_the_app_usage_at_100(
    sim_clock: Clock, simulator: GraphSimulator, graph: GraphClient
) -> None:
    simulator.faults.throttle("app", sim_clock.now + timedelta(minutes=2))
    other = GraphClient(simulator.base_url, DONG_HOA[2])
    for refused in (feed(graph), other.get(f"{OTHER}/feed")):
        assert error_of(refused)["code"] == 4
        assert json.loads(refused.headers["X-App-Usage"])["call_count"] == 100
    sim_clock.advance(minutes=2)
    answered = feed(graph)
    assert answered.status_code == 200
    assert json.loads(answered.headers["X-App-Usage"])["call_count"] < 100


def test_a_throttle_of_an_unknown_kind_or_without_its_page_is_refused(
    sim_clock: Clock, simulator: GraphSimulator
) -> None:
    with pytest.raises(ValueError, match="unknown throttle kind"):
        simulator.faults.throttle("ads", sim_clock.now, page_id=PAGE)
    with pytest.raises(ValueError, match="names no page"):
        simulator.faults.throttle("app", sim_clock.now, page_id=PAGE)
    with pytest.raises(ValueError, match="names no page"):
        simulator.faults.throttle("messenger", sim_clock.now)
