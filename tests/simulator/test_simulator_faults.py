"""Fault switches of the simulator: each one, their reproducibility, and recovery."""

from __future__ import annotations

import json
import time

import pytest
import requests

from simulator import Faults, GraphSimulator
from tests.simulator.support import CAM_GIANG, DONG_HOA, GraphClient, error_of

PAGE = CAM_GIANG[0]


def test_http_500_fault_answers_a_transient_code_2(
    simulator: GraphSimulator, graph: GraphClient
) -> None:
    simulator.faults.set(http_500_rate=1.0)
    response = graph.get(PAGE)
    error = error_of(response)
    assert (response.status_code, error["code"], error["is_transient"]) == (500, 2, True)


def test_html_502_fault_answers_like_a_proxy(simulator: GraphSimulator, graph: GraphClient) -> None:
    simulator.faults.set(html_502_rate=1.0)
    response = graph.get(PAGE)
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError, match="Expecting value"):
        response.json()


def test_slow_fault_delays_the_answer(simulator: GraphSimulator, graph: GraphClient) -> None:
    simulator.faults.set(slow_rate=1.0, slow_seconds=0.3)
    started = time.monotonic()
    assert graph.get(PAGE).status_code == 200
    assert time.monotonic() - started >= 0.3
    with pytest.raises(requests.Timeout):
        graph.session.get(graph.url(PAGE), timeout=0.05)


def test_drop_fault_closes_the_connection_without_an_answer(
    simulator: GraphSimulator, graph: GraphClient
) -> None:
    simulator.faults.set(drop_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        graph.get(PAGE)
    simulator.faults.clear()
    assert graph.get(PAGE).status_code == 200


def test_throttled_page_gets_80001_with_five_minutes_to_wait(
    simulator: GraphSimulator, graph: GraphClient
) -> None:
    simulator.faults.set(throttle_pages={PAGE})
    response = graph.get(f"{PAGE}/feed")
    usage = json.loads(response.headers["X-Business-Use-Case-Usage"])[PAGE][0]
    assert error_of(response)["code"] == 80001
    assert usage["estimated_time_to_regain_access"] == 5
    other = GraphClient(graph.base_url, DONG_HOA[2]).get(DONG_HOA[0])
    assert other.status_code == 200


def test_app_throttle_answers_code_4_with_full_app_usage(
    simulator: GraphSimulator, graph: GraphClient
) -> None:
    simulator.faults.set(app_throttle=True)
    response = graph.get(PAGE)
    assert error_of(response)["code"] == 4
    assert json.loads(response.headers["X-App-Usage"])["call_count"] == 100


def test_faults_can_be_switched_from_another_process_over_http(
    simulator: GraphSimulator, graph: GraphClient
) -> None:
    control = f"{simulator.base_url}/_sim/faults"
    answer = requests.post(control, json={"http_500_rate": 1, "throttle_pages": [PAGE]}, timeout=5)
    assert answer.json()["faults"]["throttle_pages"] == [PAGE]
    assert graph.get(PAGE).status_code == 500
    requests.post(f"{control}/clear", timeout=5)
    assert graph.get(PAGE).status_code == 200
    refused = requests.post(control, json={"no_such_switch": 1}, timeout=5)
    assert refused.status_code == 400


def test_fault_decisions_repeat_for_the_same_seed() -> None:
    def run(seed: int) -> list[bool]:
        faults = Faults(seed=seed, http_500_rate=0.3)
        return [faults.roll("http_500_rate") for _ in range(50)]

    assert run(3) == run(3)
    assert run(3) != run(4)
    assert not any(Faults(seed=3).roll("http_500_rate") for _ in range(50))


def test_server_keeps_serving_through_mixed_faults(
    simulator: GraphSimulator, graph: GraphClient
) -> None:
    simulator.faults.set(http_500_rate=0.2, html_502_rate=0.2, drop_rate=0.2)
    outcomes: set[int] = set()
    for _ in range(40):
        try:
            outcomes.add(graph.get(PAGE).status_code)
        except requests.ConnectionError:
            outcomes.add(0)
    assert {0, 200, 500, 502} <= outcomes
    simulator.faults.clear()
    assert graph.get(PAGE).status_code == 200


def test_invalid_fault_values_are_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        Faults(http_500_rate=2)
