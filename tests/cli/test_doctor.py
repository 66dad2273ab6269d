"""``pakn doctor`` as the IT officer who connects a fanpage meets it, against the simulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner, Result

from cli.main import main
from simulator import GraphSimulator, World
from tests.clock import Clock
from tests.monitor.harness import PAGES

CAM, CAM2, AIQ = (p[0] for p in PAGES)
TOKENS = {f"TOKEN_{n}": token for n, (*_rest, token) in enumerate(PAGES)}
APP_SECRET = "app-secret-4f1c"


def make_world(clock: Clock, app_secret: str | None = None) -> World:
    world = World(clock=clock, seed=4, app_secret=app_secret)
    for page_id, name, _unit, token in PAGES:
        world.add_page(page_id, name, token)
    post = world.add_post(CAM, "Lịch tiếp công dân tháng 3")
    start = clock.now - timedelta(hours=1)
    for n, (author, text) in enumerate(
        [
            (("501", "Vũ Thị Mai"), "cho em hỏi thứ 7 có làm không ạ"),
            (("502", "Hoàng Văn Nam"), "đường ngập"),
        ]
    ):
        world.add_comment(post, author, text, created_time=start + timedelta(minutes=n))
    world.add_message(AIQ, ("503", "Đỗ Thị Hoa"), "mất sóng 4G cả tuần nay rồi ad ơi")
    return world


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Now, standing still; the doctor's pauses between Conversations API calls move it."""
    clock = Clock(datetime.now(UTC))
    monkeypatch.setattr("monitor.doctor.pause", lambda seconds: clock.advance(seconds=seconds))
    return clock


@pytest.fixture
def world(clock: Clock) -> World:
    return make_world(clock)


@pytest.fixture
def sim(world: World) -> Iterator[GraphSimulator]:
    with GraphSimulator(world) as server:
        yield server


def write_config(tmp_path: Path, base_url: str, *, app_secret: bool = False) -> Path:
    pages = "\n".join(
        f'  - {{id: "{pid}", name: "{name}", unit: {unit}, access_token: "${{TOKEN_{n}}}"}}'
        for n, (pid, name, unit, _token) in enumerate(PAGES)
    )
    secret = ', app_secret: "${APP_SECRET}"' if app_secret else ""
    path = tmp_path / "pakn.yaml"
    path.write_text(
        f'database_url: "sqlite:///{tmp_path / "pakn.db"}"\n'
        f'graph: {{base_url: "{base_url}", max_retries: 0{secret}}}\n'
        f"pages:\n{pages}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def config(tmp_path: Path, sim: GraphSimulator) -> Path:
    return write_config(tmp_path, sim.base_url)


def pakn(config: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["--config", str(config), *args], env={**TOKENS, **(env or {})})


def test_doctor_reports_every_page_in_vietnamese_and_exits_0_when_nothing_is_wrong(
    config: Path,
) -> None:
    result = pakn(config, "doctor")

    assert result.exit_code == 0, result.output
    for page_id, name, _unit, _token in PAGES:
        assert f"Trang {name} ({page_id})" in result.output
    assert "[lỗi]" not in result.output
    assert "  [ok]       Mã truy cập dùng được cho trang Xã Cẩm Giàng" in result.output
    assert result.output.count("Tổng: ") == 3


def test_doctor_of_one_page_with_a_revoked_token_exits_1_with_the_fix_and_no_token(
    config: Path, world: World
) -> None:
    world.revoke_token(CAM2)

    result = pakn(config, "doctor", CAM2)

    assert result.exit_code == 1
    assert "Tuổi trẻ Cẩm Giàng" in result.output and "Xã Cẩm Giàng (" not in result.output
    assert "[lỗi]      Mã truy cập của trang không dùng được" in result.output
    assert "Cách xử lý: Quản trị viên trang lấy mã truy cập trang mới" in result.output
    assert TOKENS["TOKEN_1"] not in result.output


def test_json_output_parses_and_carries_each_finding(
    config: Path, sim: GraphSimulator, world: World
) -> None:
    sim.router.diagnostics.grant(
        TOKENS["TOKEN_0"], expires_at=datetime.now(UTC) + timedelta(days=5, hours=1)
    )
    world.set_from_hidden(CAM)

    result = pakn(config, "doctor", "--json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    [page] = [p for p in document["pages"] if p["id"] == CAM]
    assert page["ok"] is True and page["name"] == "Xã Cẩm Giàng"
    found = {f["check"]: f for f in page["findings"]}
    assert found["token_expiry"]["status"] == "warning"
    assert "hết hạn sau 6 ngày" in found["token_expiry"]["title"]
    assert found["from"]["status"] == "warning"
    assert set(found["from"]) == {"check", "status", "title", "detail", "fix"}
    assert datetime.fromisoformat(document["checked_at"]).tzinfo is not None


def test_missing_permissions_fail_the_check_and_name_what_breaks(
    config: Path, sim: GraphSimulator
) -> None:
    sim.router.diagnostics.grant(
        TOKENS["TOKEN_2"], scopes=["pages_show_list", "pages_read_engagement"]
    )

    result = pakn(config, "doctor", AIQ)

    assert result.exit_code == 1
    assert "[lỗi]" in result.output and "pages_messaging: không đọc được tin nhắn" in result.output


def test_the_command_never_posts(
    config: Path, sim: GraphSimulator, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    methods: list[str] = []
    send = requests.Session.request

    def recording(self: requests.Session, method: str, url: str, *a: Any, **kw: Any) -> Any:
        methods.append(method)
        return send(self, method, url, *a, **kw)

    monkeypatch.setattr(requests.Session, "request", recording)
    before = {p: world.comment_ids(p) for p in world.post_ids(CAM)}

    assert pakn(config, "doctor").exit_code == 0

    assert methods and set(methods) == {"GET"}
    paths = sim.stats.snapshot()["requests_by_path"]
    assert "/" not in paths and not any(p.endswith("/messages") for p in paths)
    assert world.sent_by_page() == []
    assert {p: world.comment_ids(p) for p in world.post_ids(CAM)} == before


def test_with_app_id_debug_token_is_asked_with_the_app_token(tmp_path: Path, clock: Clock) -> None:
    world = make_world(clock, app_secret=APP_SECRET)
    with GraphSimulator(world) as sim:
        config = write_config(tmp_path, sim.base_url, app_secret=True)
        expired = datetime.now(UTC) - timedelta(days=1)
        sim.router.diagnostics.grant(TOKENS["TOKEN_0"], expires_at=expired)

        result = pakn(
            config, "doctor", CAM, "--app-id", "100000000000000", env={"APP_SECRET": APP_SECRET}
        )
        wrong = pakn(config, "doctor", CAM2, "--app-id", "1", env={"APP_SECRET": "sai"})

    assert result.exit_code == 1
    assert "Mã truy cập đã hết hạn lúc" in result.output
    assert APP_SECRET not in result.output
    # A wrong secret: the page token cannot be used (bad proof), and the cause is named.
    assert wrong.exit_code == 1 and "appsecret_proof" in wrong.output


def test_unknown_page_and_app_id_without_a_secret_say_how_to_fix(config: Path) -> None:
    unknown = pakn(config, "doctor", "999")
    no_secret = pakn(config, "doctor", "--app-id", "100000000000000")

    assert unknown.exit_code == 1
    assert "Không có trang 999" in unknown.output and f"{CAM} (Xã Cẩm Giàng)" in unknown.output
    assert no_secret.exit_code == 1 and "graph.app_secret" in no_secret.output
