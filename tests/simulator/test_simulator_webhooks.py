"""The simulator's webhooks, sent to pakn's real receiver over HTTP on 127.0.0.1.

The receiver (`monitor.webhook_receiver.Receiver`) runs in a `wsgiref` server with a migrated
SQLite database; the sender is driven with `flush()` / `tick()` and the world's clock, so
retries and delays are checked without sleeping.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from monitor.webhook_events import Target, read_delivery
from monitor.webhook_receiver import PATH, Receiver
from simulator import GraphSimulator, World
from simulator.diagnostics import Diagnostics
from simulator.router import appsecret_proof
from simulator.webhooks import WebhookFaults, WebhookSender, verify_callback
from storage.webhooks import deliveries
from tests.clock import Clock
from tests.simulator.support import AN, BINH, CAM_GIANG, DONG_HOA, GraphClient

SECRET = "sim-app-secret"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "graph"
CAM, DONG = CAM_GIANG[0], DONG_HOA[0]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def receiver(sqlite_sessions: sessionmaker[Session]) -> Receiver:
    return Receiver(sqlite_sessions, app_secret=SECRET, verify_token="verify")


@pytest.fixture
def endpoint(receiver: Receiver) -> Iterator[str]:
    server: WSGIServer = make_server("127.0.0.1", 0, receiver, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}{PATH}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@dataclass
class Scene:
    world: World
    diagnostics: Diagnostics
    post: str  # a Page post on Cẩm Giàng, made before the sender listened


@pytest.fixture
def scene(sim_clock: Clock) -> Scene:
    world = World(clock=sim_clock, seed=7, app_secret=SECRET)
    world.add_page(*CAM_GIANG)
    world.add_page(*DONG_HOA)
    post = world.add_post(CAM, "Lịch tiếp công dân tháng 12")
    diagnostics = Diagnostics(world)
    diagnostics.subscribe(CAM, ("feed", "messages", "message_echoes", "message_edits"))
    return Scene(world, diagnostics, post)


def sender_for(scene: Scene, url: str, **options: Any) -> WebhookSender:
    return WebhookSender(scene.world, url, scene.diagnostics, **options)


@pytest.fixture
def sender(scene: Scene, endpoint: str) -> Iterator[WebhookSender]:
    sending = sender_for(scene, endpoint)
    yield sending
    sending.close()


def stored(sessions: sessionmaker[Session]) -> list[bytes]:
    with sessions.begin() as session:
        return [d.body for d in deliveries(session)]


def feed_values(body: bytes) -> list[dict[str, Any]]:
    document = json.loads(body)
    return [c["value"] for e in document["entry"] for c in e.get("changes", [])]


def messaging(body: bytes) -> list[dict[str, Any]]:
    return [m for e in json.loads(body)["entry"] for m in e.get("messaging", [])]


def comment_ids(bodies: list[bytes]) -> list[str]:
    return [v["comment_id"] for b in bodies for v in feed_values(b) if v["item"] == "comment"]


def shape(value: Any, key: str = "") -> Any:
    """Keys and value types; an id is an id whether it came as a number or a string."""
    if isinstance(value, dict):
        return {k: shape(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if key == "id" and isinstance(value, int | str):
        return "id"
    return type(value).__name__


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def add_comments(scene: Scene, count: int) -> list[str]:
    return [
        scene.world.add_comment(scene.post, AN, f"Ý kiến số {n} về đường thôn Đông")
        for n in range(count)
    ]


def test_a_new_comment_arrives_as_a_signed_feed_delivery_the_receiver_stores_verbatim(
    scene: Scene, sender: WebhookSender, sqlite_sessions: sessionmaker[Session]
) -> None:
    text = "Đường thôn Lương Xá ngập sâu, xe máy chết máy hàng loạt"
    comment = scene.world.add_comment(scene.post, AN, text)
    attempts = sender.flush()
    assert [a.status for a in attempts] == [200]
    [body] = stored(sqlite_sessions)
    assert body == sender.deliveries[0].body
    assert b"\\u0110" in body  # "Đ" travels escaped, as Meta signs it
    [value] = feed_values(body)
    created = int(scene.world.comments[comment].created.timestamp())
    assert value == {
        "item": "comment",
        "verb": "add",
        "comment_id": comment,
        "post_id": scene.post,
        "parent_id": scene.post,
        "from": {"id": AN[0], "name": AN[1]},
        "created_time": created,
        "message": text,
    }
    assert read_delivery(body).targets == [Target(CAM, "object", scene.post, "feed comment add")]


def test_feed_and_echo_payloads_have_the_keys_and_types_of_captured_deliveries(
    scene: Scene, sender: WebhookSender, sqlite_sessions: sessionmaker[Session]
) -> None:
    comment = add_comments(scene, 1)[0]
    sender.flush()
    scene.world.delete_comment(comment)
    sender.flush()
    scene.world.add_message(CAM, AN, "cho em hỏi lịch tiêm phòng")
    sender.flush()
    scene.world.add_message(CAM, AN, "Chị mang sổ tiêm đến trạm y tế sáng thứ Ba", from_page=True)
    sender.flush()
    add, remove, _citizen, echo = (json.loads(b) for b in stored(sqlite_sessions))
    assert shape(add) == shape(fixture("restfb_wh_feed_comment_add_v211.json"))
    assert shape(remove) == shape(fixture("restfb_wh_feed_comment_remove.json"))
    captured = fixture("restfb_wh_messaging_echo.json")
    # Meta stopped sending `seq` in 2017; `metadata` comes only when the Send API call set it.
    for key in ("seq", "metadata"):
        del captured["entry"][0]["messaging"][0]["message"][key]
    assert shape(echo) == shape(captured)
    assert echo["entry"][0]["messaging"][0]["sender"] == {"id": CAM}


def test_replies_edits_hides_posts_and_messages_arrive_in_meta_s_shapes(
    scene: Scene, sender: WebhookSender, sqlite_sessions: sessionmaker[Session]
) -> None:
    world = scene.world
    top = world.add_comment(scene.post, AN, "Xin hỏi lịch họp thôn")
    reply = world.add_comment(top, BINH, "Tôi cũng muốn biết")
    world.edit_comment(top, "Xin hỏi lịch họp thôn Đông tuần này")
    world.hide_comment(reply)
    visitor = world.add_post(CAM, "Phản ánh: đèn đường tắt", author=BINH)
    photo = world.add_post(CAM, "Ảnh cây đổ", author=AN, attachment=True)
    thread = world.add_message(CAM, AN, "ad ơi", attachments=[True])
    message = world.message_ids(thread)[-1]
    world.edit_message(message, "ad ơi, cho hỏi")
    sender.flush()
    bodies = stored(sqlite_sessions)
    values = [v for b in bodies for v in feed_values(b)]
    assert [(v["item"], v["verb"]) for v in values] == [
        ("comment", "add"),
        ("comment", "add"),
        ("comment", "edited"),
        ("comment", "hide"),
        ("status", "add"),
        ("photo", "add"),
    ]
    assert values[1]["parent_id"] == top
    assert values[2]["message"] == "Xin hỏi lịch họp thôn Đông tuần này"
    assert (values[4]["post_id"], values[4]["from"]["id"]) == (visitor, BINH[0])
    assert values[5]["post_id"] == photo
    new, edit = [m for b in bodies for m in messaging(b)]
    assert new["sender"] == {"id": AN[0]}
    assert new["recipient"] == {"id": CAM}
    assert new["message"]["attachments"][0]["type"] == "image"
    assert edit["message_edit"] == {"mid": message, "text": "ad ơi, cho hỏi", "num_edit": 1}
    targets = {t for b in bodies for t in read_delivery(b).targets}
    assert Target(CAM, "conversation", AN[0], "tin nhắn") in targets
    assert Target(CAM, "comment", reply, "bình luận hide") in targets


def test_without_advanced_access_citizens_comments_arrive_without_from(
    scene: Scene, sender: WebhookSender, sqlite_sessions: sessionmaker[Session]
) -> None:
    scene.world.set_from_hidden(CAM)
    add_comments(scene, 1)
    scene.world.add_comment(scene.post, None, "UBND xã xin trả lời")
    sender.flush()
    citizen, page = feed_values(stored(sqlite_sessions)[0])
    assert "from" not in citizen
    assert page["from"] == {"id": CAM, "name": CAM_GIANG[1]}


def test_only_subscribed_pages_and_subscribed_fields_are_sent(
    scene: Scene, sender: WebhookSender, sqlite_sessions: sessionmaker[Session]
) -> None:
    scene.diagnostics.subscribe(CAM, ("feed",))
    other = scene.world.add_post(DONG, "Thông báo")  # Đông Hòa never subscribed
    scene.world.add_comment(other, AN, "Bình luận ở trang chưa đăng ký")
    scene.world.add_message(CAM, AN, "tin nhắn khi chỉ đăng ký feed")
    assert sender.flush() == []
    assert stored(sqlite_sessions) == []


def test_several_changes_go_in_one_post_up_to_the_batch_size(
    scene: Scene, endpoint: str, sqlite_sessions: sessionmaker[Session]
) -> None:
    sender = sender_for(scene, endpoint, batch_size=3)
    made = add_comments(scene, 7)
    other = scene.world.add_post(DONG, "Thông báo")  # unsubscribed: not in any batch
    scene.world.add_comment(other, BINH, "không gửi")
    assert len(sender.flush()) == 3
    bodies = stored(sqlite_sessions)
    assert [len(feed_values(b)) for b in bodies] == [3, 3, 1]
    assert comment_ids(bodies) == made
    assert len(json.loads(bodies[0])["entry"]) == 1  # one entry per page, its changes listed


def test_a_duplicated_delivery_is_stored_twice_with_the_same_bytes(
    scene: Scene, endpoint: str, sqlite_sessions: sessionmaker[Session]
) -> None:
    sender = sender_for(scene, endpoint, batch_size=1, faults=WebhookFaults(duplicate_rate=1.0))
    made = add_comments(scene, 2)
    attempts = sender.flush()
    assert [a.duplicate for a in attempts] == [False, True, False, True]
    bodies = stored(sqlite_sessions)
    assert bodies[0] == bodies[1] and bodies[2] == bodies[3]
    assert comment_ids(bodies) == [made[0], made[0], made[1], made[1]]


def test_reordered_deliveries_arrive_out_of_creation_order(
    scene: Scene, endpoint: str, sqlite_sessions: sessionmaker[Session]
) -> None:
    sender = sender_for(scene, endpoint, batch_size=1, faults=WebhookFaults(reorder_rate=1.0))
    made = add_comments(scene, 4)
    sender.flush()
    assert comment_ids(stored(sqlite_sessions)) == [made[1], made[0], made[3], made[2]]


def test_a_dropped_delivery_is_never_sent_however_long_we_wait(
    scene: Scene, endpoint: str, sqlite_sessions: sessionmaker[Session], sim_clock: Clock
) -> None:
    sender = sender_for(scene, endpoint, batch_size=1, faults=WebhookFaults(seed=5, drop_rate=0.5))
    made = add_comments(scene, 10)
    sender.flush()
    sim_clock.advance(hours=48)
    sender.flush()
    dropped = [d.changes[0].value["comment_id"] for d in sender.by_state("dropped")]
    delivered = comment_ids(stored(sqlite_sessions))
    assert dropped and delivered  # the seed drops some and keeps some
    assert sorted(dropped + delivered) == sorted(made)
    assert not set(dropped) & set(delivered)
    # The comments are still on Facebook: only polling can find them now.
    assert {("facebook_comment", c) for c in dropped} <= scene.world.citizen_items(CAM)


def test_a_delayed_delivery_waits_on_the_world_s_clock(
    scene: Scene, endpoint: str, sqlite_sessions: sessionmaker[Session], sim_clock: Clock
) -> None:
    delay = WebhookFaults(delay_rate=1.0, delay=timedelta(minutes=2))
    sender = sender_for(scene, endpoint, faults=delay)
    made = add_comments(scene, 1)
    assert sender.flush() == []
    sim_clock.advance(seconds=119)
    assert sender.tick() == []
    sim_clock.advance(seconds=1)
    assert [a.status for a in sender.tick()] == [200]
    assert comment_ids(stored(sqlite_sessions)) == made


class _BrokenDatabase:
    """Stands in for the receiver's sessions while its database is down."""

    def begin(self) -> Any:
        raise OperationalError("INSERT INTO webhook_deliveries", {}, Exception("disk I/O error"))


def test_a_500_is_retried_at_once_then_later_and_delivered_once_the_receiver_recovers(
    scene: Scene,
    receiver: Receiver,
    sender: WebhookSender,
    sqlite_sessions: sessionmaker[Session],
    sim_clock: Clock,
) -> None:
    receiver.sessions = _BrokenDatabase()  # type: ignore[assignment]
    made = add_comments(scene, 1)
    start = sim_clock.now
    first = sender.flush()
    assert [(a.status, a.at) for a in first] == [(500, start)] * 3  # at once, twice again
    sim_clock.advance(seconds=9)
    assert sender.tick() == []  # the next try waits
    sim_clock.advance(seconds=1)
    assert [a.status for a in sender.tick()] == [500]
    receiver.sessions = sqlite_sessions
    sim_clock.advance(seconds=59)
    assert sender.tick() == []
    sim_clock.advance(seconds=1)
    assert [a.status for a in sender.tick()] == [200]
    assert comment_ids(stored(sqlite_sessions)) == made
    sim_clock.advance(hours=40)
    assert sender.flush() == []  # delivered once, never again
    assert [d.state for d in sender.deliveries] == ["delivered"]


def test_a_delivery_signed_with_another_secret_is_refused_and_given_up_after_36_hours(
    scene: Scene, endpoint: str, sqlite_sessions: sessionmaker[Session], sim_clock: Clock
) -> None:
    sender = sender_for(scene, endpoint, app_secret="not-the-app-secret")
    add_comments(scene, 1)
    assert [a.status for a in sender.flush()] == [403, 403, 403]
    [delivery] = sender.deliveries
    assert delivery.state == "pending"
    for _ in range(60):
        sim_clock.advance(hours=1)
        sender.tick()
    assert delivery.state == "failed"
    assert all(a.status == 403 and not a.ok for a in delivery.attempts)
    assert delivery.attempts[-1].at - delivery.created <= timedelta(hours=36)
    assert stored(sqlite_sessions) == []


def test_subscribing_through_the_graph_api_starts_the_deliveries(
    scene: Scene, endpoint: str, sqlite_sessions: sessionmaker[Session]
) -> None:
    with GraphSimulator(scene.world) as sim:
        sender = WebhookSender(scene.world, endpoint, sim.router.diagnostics)
        client = GraphClient(sim.base_url, DONG_HOA[2])
        proof = appsecret_proof(SECRET, DONG_HOA[2])
        answer = client.post(
            f"{DONG}/subscribed_apps",
            data={"subscribed_fields": "feed,messages", "appsecret_proof": proof},
        )
        assert answer.json() == {"success": True}
        listed = client.get(f"{DONG}/subscribed_apps", appsecret_proof=proof).json()
        assert listed["data"][0]["subscribed_fields"] == ["feed", "messages"]
        wrong = client.post(
            f"{DONG}/subscribed_apps",
            data={"subscribed_fields": "feed,comments", "appsecret_proof": proof},
        )
        assert wrong.json()["error"]["code"] == 100
        post = scene.world.add_post(DONG, "Thông báo")
        comment = scene.world.add_comment(post, BINH, "Xin hỏi giờ làm việc")
        sender.flush()
    assert comment in comment_ids(stored(sqlite_sessions))


def test_the_callback_is_verified_like_meta_does_only_with_the_right_token(endpoint: str) -> None:
    assert verify_callback(endpoint, "verify")
    assert not verify_callback(endpoint, "a-guess")


def test_installing_the_app_on_a_page_needs_the_permissions_metas_reference_names(
    scene: Scene,
) -> None:
    """pages_manage_metadata and pages_show_list for any field, pages_messaging as well for the
    Messenger ones."""
    with GraphSimulator(scene.world) as sim:
        client = GraphClient(sim.base_url, DONG_HOA[2])
        proof = appsecret_proof(SECRET, DONG_HOA[2])

        def install(fields: str) -> dict[str, Any]:
            data = {"subscribed_fields": fields, "appsecret_proof": proof}
            answer: dict[str, Any] = client.post(f"{DONG}/subscribed_apps", data=data).json()
            return answer

        no_messaging = ("pages_show_list", "pages_manage_metadata", "pages_read_engagement")
        sim.router.diagnostics.grant(DONG_HOA[2], scopes=no_messaging)
        refused = install("feed,messages")["error"]
        assert refused["code"] == 200 and "pages_messaging" in refused["message"]
        assert install("feed") == {"success": True}
        sim.router.diagnostics.grant(DONG_HOA[2], scopes=("pages_manage_metadata",))
        assert install("feed")["error"]["code"] == 200  # pages_show_list too
        assert sim.router.diagnostics.subscriptions[DONG] == ("feed",)
