"""Simulated tokens, appsecret_proof, usage headers, Page budgets, batch requests, counters."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import requests

from simulator import GraphSimulator, World
from tests.clock import Clock
from tests.simulator.support import AN, CAM_GIANG, DONG_HOA, GraphClient, error_of

PAGE = CAM_GIANG[0]


def _proof(secret: str, token: str) -> str:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def _batch(graph: GraphClient, ops: list[dict[str, Any]], **form: str) -> requests.Response:
    return graph.session.post(
        f"{graph.base_url}/v25.0/", data={"batch": json.dumps(ops), **form}, timeout=10
    )


def test_unknown_token_is_refused_with_190_467(simulator: GraphSimulator) -> None:
    response = GraphClient(simulator.base_url, "not-a-token").get(PAGE)
    error = error_of(response)
    assert (response.status_code, error["type"], error["code"], error["error_subcode"]) == (
        400,
        "OAuthException",
        190,
        467,
    )
    assert "invalid_token" in response.headers["WWW-Authenticate"]


def test_revoked_token_fails_with_190_460_and_a_replacement_works(
    sim_world: World, simulator: GraphSimulator, graph: GraphClient
) -> None:
    assert graph.get(PAGE).status_code == 200
    sim_world.revoke_token(PAGE)
    error = error_of(graph.get(PAGE))
    assert (error["code"], error["error_subcode"]) == (190, 460)
    sim_world.set_token(PAGE, "tok-camgiang-moi")
    assert error_of(graph.get(PAGE))["error_subcode"] == 460
    assert GraphClient(simulator.base_url, "tok-camgiang-moi").get(PAGE).status_code == 200


def test_token_parameter_works_like_the_header(simulator: GraphSimulator) -> None:
    response = requests.get(
        f"{simulator.base_url}/v25.0/{PAGE}", params={"access_token": CAM_GIANG[2]}, timeout=10
    )
    assert response.json()["id"] == PAGE
    assert error_of(GraphClient(simulator.base_url, None).get(PAGE))["code"] == 104


def test_a_token_cannot_read_another_pages_objects(sim_world: World, graph: GraphClient) -> None:
    other = sim_world.add_post(DONG_HOA[0], "Thông báo của phường")
    for path in (DONG_HOA[0], other, f"{other}/comments", f"{DONG_HOA[0]}/feed"):
        response = graph.get(path)
        assert error_of(response)["code"] == 200, path


def test_appsecret_proof_is_enforced_when_the_app_secret_is_set(
    sim_clock: Clock,
) -> None:
    world = World(clock=sim_clock, app_secret="bi-mat")
    world.add_page(*CAM_GIANG)
    with GraphSimulator(world) as sim:
        graph = GraphClient(sim.base_url, CAM_GIANG[2])
        missing = error_of(graph.get(PAGE))
        wrong = error_of(graph.get(PAGE, appsecret_proof="00" * 32))
        right = graph.get(PAGE, appsecret_proof=_proof("bi-mat", CAM_GIANG[2]))
    assert missing["code"] == 100
    assert (wrong["code"], wrong["message"]) == (
        100,
        "Invalid appsecret_proof provided in the API argument",
    )
    assert right.status_code == 200


def test_usage_headers_report_pages_and_messenger_separately(
    sim_world: World, graph: GraphClient
) -> None:
    sim_world.set_budget(PAGE, 10, 3600)
    sim_world.add_message(PAGE, AN, "alo")
    graph.get(PAGE)
    pages = graph.get(f"{PAGE}/feed").headers
    messenger = graph.get(f"{PAGE}/conversations").headers
    usage = json.loads(pages["X-Business-Use-Case-Usage"])[PAGE][0]
    assert usage == {
        "type": "pages",
        "call_count": 20,
        "total_cputime": usage["total_cputime"],
        "total_time": usage["total_time"],
        "estimated_time_to_regain_access": 0,
    }
    assert json.loads(messenger["X-Business-Use-Case-Usage"])[PAGE][0]["type"] == "messenger"
    assert set(json.loads(pages["X-App-Usage"])) == {"call_count", "total_cputime", "total_time"}


def test_over_budget_answers_80001_until_the_window_slides(
    sim_world: World, sim_clock: Clock, graph: GraphClient
) -> None:
    sim_world.set_budget(PAGE, 5, 600)
    answers = [graph.get(PAGE) for _ in range(5)]
    assert all(a.status_code == 200 for a in answers)
    blocked = graph.get(PAGE)
    error = error_of(blocked)
    usage = json.loads(blocked.headers["X-Business-Use-Case-Usage"])[PAGE][0]
    assert (blocked.status_code, error["code"]) == (400, 80001)
    assert "too many calls to this Page account" in error["message"]
    assert usage["call_count"] >= 100
    assert usage["estimated_time_to_regain_access"] > 0
    other = GraphClient(graph.base_url, DONG_HOA[2]).get(DONG_HOA[0])
    assert other.status_code == 200
    sim_clock.advance(seconds=601)
    assert graph.get(PAGE).status_code == 200


def test_batch_answers_each_operation_in_order_with_its_own_error(
    sim_world: World, graph: GraphClient
) -> None:
    post = sim_world.add_post(PAGE, "Lịch tiếp dân")
    sim_world.add_comment(post, AN, "hỏi")
    ops = [
        {"method": "GET", "relative_url": f"{post}/comments?fields=id,message"},
        {"method": "GET", "relative_url": "v25.0/123_456"},
        {"method": "GET", "relative_url": f"{PAGE}?fields=name"},
    ]
    response = _batch(graph, ops)
    results = response.json()
    assert response.status_code == 200
    assert [r["code"] for r in results] == [200, 400, 200]
    assert json.loads(results[0]["body"])["data"][0]["message"] == "hỏi"
    assert json.loads(results[1]["body"])["error"]["error_subcode"] == 33
    assert {"name", "value"} == set(results[2]["headers"][0])
    quiet = _batch(graph, ops, include_headers="false").json()
    assert all(set(r) == {"code", "body"} for r in quiet)


def test_batch_needs_a_top_level_token_even_when_operations_carry_their_own(
    simulator: GraphSimulator,
) -> None:
    ops = [{"method": "GET", "relative_url": f"{PAGE}?access_token={CAM_GIANG[2]}"}]
    anonymous = GraphClient(simulator.base_url, None)
    assert error_of(_batch(anonymous, ops))["code"] == 104


def test_batch_operation_token_wins_for_that_operation(
    simulator: GraphSimulator, graph: GraphClient
) -> None:
    ops = [
        {"method": "GET", "relative_url": f"{DONG_HOA[0]}?access_token={DONG_HOA[2]}"},
        {"method": "GET", "relative_url": DONG_HOA[0]},
    ]
    results = _batch(graph, ops).json()
    assert [r["code"] for r in results] == [200, 400]
    assert simulator.stats.snapshot()["calls_by_page"] == {PAGE: 1, DONG_HOA[0]: 1}


def test_batch_of_more_than_50_operations_is_refused(graph: GraphClient) -> None:
    ops = [{"method": "GET", "relative_url": PAGE}] * 51
    response = _batch(graph, ops)
    assert (response.status_code, error_of(response)["code"]) == (400, 100)


def test_batch_null_fault_leaves_some_operations_unanswered(
    simulator: GraphSimulator, graph: GraphClient
) -> None:
    simulator.faults.set(batch_null_rate=0.5)
    results = _batch(graph, [{"method": "GET", "relative_url": PAGE}] * 20).json()
    assert len(results) == 20
    assert None in results
    assert any(r is not None and r["code"] == 200 for r in results)


def test_batch_can_post_a_reply_with_a_form_body(sim_world: World, graph: GraphClient) -> None:
    post = sim_world.add_post(PAGE, "Thông báo")
    comment = sim_world.add_comment(post, AN, "hỏi")
    ops = [{"method": "POST", "relative_url": f"{comment}/comments", "body": "message=Dạ+vâng"}]
    result = _batch(graph, ops).json()[0]
    assert result["code"] == 200
    assert sim_world.sent_by_page(PAGE)[0]["message"] == "Dạ vâng"


def test_stats_count_http_requests_and_each_batch_operation(
    simulator: GraphSimulator, graph: GraphClient
) -> None:
    graph.get(PAGE)
    _batch(graph, [{"method": "GET", "relative_url": PAGE}] * 3)
    stats = simulator.stats.snapshot()
    assert (stats["http_requests"], stats["graph_calls"]) == (2, 4)
    assert stats["calls_by_page"] == {PAGE: 4}
    assert stats["requests_by_path"] == {f"/{PAGE}": 1, "/": 1}
    simulator.stats.reset()
    assert simulator.stats.snapshot()["graph_calls"] == 0


def test_debug_token_reports_a_revoked_token_as_invalid(
    sim_world: World, simulator: GraphSimulator
) -> None:
    app = GraphClient(simulator.base_url, "100000000000000|app-secret")
    assert app.get("debug_token", input_token=CAM_GIANG[2]).json()["data"]["is_valid"] is True
    sim_world.revoke_token(PAGE)
    data = app.get("debug_token", input_token=CAM_GIANG[2]).json()["data"]
    assert (data["is_valid"], data["error"]["subcode"]) == (False, 460)
