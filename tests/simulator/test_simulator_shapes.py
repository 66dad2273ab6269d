"""The simulator's JSON has the same keys as real captured Graph API payloads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from simulator import World
from tests.simulator.support import AN, BINH, CAM_GIANG, GraphClient

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "graph"
PAGE = CAM_GIANG[0]


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _thread(world: World) -> tuple[str, str]:
    post = world.add_post(PAGE, "Lịch tiếp công dân")
    comment = world.add_comment(post, AN, "ảnh hiện trường", attachment=True)
    world.add_comment(comment, None, "Dạ xã đã tiếp nhận")
    return post, comment


def test_comment_node_has_the_keys_of_a_real_comment(sim_world: World, graph: GraphClient) -> None:
    real = _fixture("pyfb_comment_node_full.json")
    _, comment = _thread(sim_world)
    ours = graph.get(comment, fields=",".join(real)).json()
    assert set(ours) == set(real)
    assert set(ours["from"]) == set(real["from"])
    assert set(ours["attachment"]) == set(real["attachment"])
    assert set(ours["attachment"]["media"]["image"]) == set(real["attachment"]["media"]["image"])
    assert set(ours["attachment"]["target"]) == set(real["attachment"]["target"])
    assert ours["created_time"][-5:] == real["created_time"][-5:] == "+0000"


def test_comments_stream_page_has_the_keys_of_a_real_page(
    sim_world: World, graph: GraphClient
) -> None:
    real = _fixture("pyfb_comments_stream_p1.json")
    real_query = parse_qs(urlsplit(real["paging"]["next"]).query)
    post, _ = _thread(sim_world)
    ours = graph.get(
        f"{post}/comments",
        fields=real_query["fields"][0],
        summary=real_query["summary"][0],
        filter=real_query["filter"][0],
        limit=1,
    ).json()
    assert set(ours) == set(real)
    assert set(ours["paging"]) == set(real["paging"])
    assert set(ours["paging"]["cursors"]) == set(real["paging"]["cursors"])
    assert set(ours["summary"]) == set(real["summary"])
    # The captured items lack `id` (read without the MODERATE task); a Page's own app gets it.
    assert set(ours["data"][0]) == set(real["data"][0]) | {"id"}
    reply_links = [
        c["permalink_url"] for c in real["data"] if "reply_comment_id" in c["permalink_url"]
    ]
    assert reply_links, "the capture shows replies flattened into the stream"
    ours_next = parse_qs(urlsplit(ours["paging"]["next"]).query)
    assert {"after", "fields", "filter", "limit"} <= set(ours_next)


def test_conversation_node_has_the_keys_of_a_real_conversation(
    sim_world: World, graph: GraphClient
) -> None:
    real = _fixture("pyfb_conversation_node.json")
    thread = sim_world.add_message(PAGE, BINH, "ad ơi")
    ours = graph.get(thread, fields=",".join(real)).json()
    assert set(ours) == set(real)
    assert set(ours["participants"]["data"][0]) == set(real["participants"]["data"][0])
    assert ours["id"].startswith("t_")


def test_messages_have_the_keys_of_real_messages(sim_world: World, graph: GraphClient) -> None:
    real = next(iter(_fixture("pyfb_messages_by_ids.json").values()))
    thread = sim_world.add_message(PAGE, BINH, "", attachments=[True])
    ours = graph.get(f"{thread}/messages", fields=",".join(real)).json()["data"][0]
    assert set(ours) == set(real)
    assert set(ours["from"]) == set(real["from"])
    assert set(ours["attachments"]) == set(real["attachments"])
    assert set(ours["attachments"]["data"][0]) == set(real["attachments"]["data"][0])
    real_image = real["attachments"]["data"][0]["image_data"]
    assert set(ours["attachments"]["data"][0]["image_data"]) == set(real_image)


def test_multi_id_read_of_messages_has_the_shape_of_a_real_one(
    sim_world: World, graph: GraphClient
) -> None:
    real = _fixture("pyfb_messages_by_ids.json")
    real_first = next(iter(real.values()))
    thread = sim_world.add_message(PAGE, BINH, "", attachments=[True])
    sim_world.add_message(PAGE, BINH, "ảnh đây ạ", attachments=[True])
    ids = sim_world.message_ids(thread)
    ours = graph.get("", ids=",".join(ids), fields=",".join(real_first)).json()
    assert list(ours) == ids
    assert all(key == value["id"] for key, value in ours.items())
    assert all(set(value) == set(real_first) for value in ours.values())


def test_error_envelope_has_the_keys_of_a_real_error(graph: GraphClient) -> None:
    real = _fixture("pyfb_error_100_permission.json")["error"]
    response = graph.get("123_456")
    ours = response.json()["error"]
    assert set(real) <= set(ours) <= set(real) | {"error_subcode", "is_transient"}
    header = _fixture("zammad_cassette_excerpt_headers_and_error.json")
    real_header = header["page_token_GET_page_fields_first_name_status_400"]["Www-Authenticate"]
    assert response.headers["WWW-Authenticate"].split('" "')[:2] == real_header.split('" "')[:2]
    assert response.headers["WWW-Authenticate"].endswith(
        f'"{ours["message"].replace(chr(39), chr(39))}"'
    )


def test_batch_answer_has_the_keys_of_a_real_batch_answer(graph: GraphClient) -> None:
    real = _fixture("restfb_batch_first_op_error.json")
    ops = [{"method": "GET", "relative_url": "2"}, {"method": "GET", "relative_url": PAGE}]
    ours = graph.session.post(
        f"{graph.base_url}/v25.0/", data={"batch": json.dumps(ops)}, timeout=10
    ).json()
    assert [set(op) for op in ours] == [set(op) for op in real]
    assert [op["code"] for op in ours] == [op["code"] for op in real]
    real_error = json.loads(real[0]["body"])["error"]
    assert set(real_error) <= set(json.loads(ours[0]["body"])["error"])
    wanted = {"facebook-api-version", "x-app-usage", "www-authenticate"}
    real_names = {h["name"].lower() for h in real[0]["headers"]} & wanted
    assert real_names <= {h["name"].lower() for h in ours[0]["headers"]}


def test_usage_headers_have_the_keys_of_recorded_headers(graph: GraphClient) -> None:
    recorded = _fixture("zammad_cassette_excerpt_headers_and_error.json")
    real_buc = json.loads(
        recorded["page_token_GET_me_feed_response_headers"]["X-Business-Use-Case-Usage"]
    )
    real_app = json.loads(recorded["user_token_GET_me_accounts_response_headers"]["X-App-Usage"])
    response = graph.get(f"{PAGE}/feed")
    ours_buc = json.loads(response.headers["X-Business-Use-Case-Usage"])
    assert list(ours_buc) == [PAGE]
    assert set(ours_buc[PAGE][0]) == set(next(iter(real_buc.values()))[0])
    assert set(json.loads(response.headers["X-App-Usage"])) == set(real_app)
