"""The ``pakn`` command as an IT officer meets it: exit codes, page health, export, errors."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import main
from simulator import GraphSimulator, World
from tests.monitor.harness import PAGES, world_with_pages

REPO = Path(__file__).resolve().parents[2]
CAM, CAM2, AIQ = (p[0] for p in PAGES)


def config_text(base_url: str, db_url: str, models: Path) -> str:
    pages = "\n".join(
        f'  - {{id: "{pid}", name: "{name}", unit: {unit}, access_token: "${{TOKEN_{n}}}"}}'
        for n, (pid, name, unit, _token) in enumerate(PAGES)
    )
    return (
        f'database_url: "{db_url}"\n'
        f'graph: {{base_url: "{base_url}", max_retries: 1, backoff_base_seconds: 0.001}}\n'
        f'classifier: {{models_dir: "{models}"}}\n'
        f"pages:\n{pages}\n"
    )


TOKENS = {f"TOKEN_{n}": token for n, (*_rest, token) in enumerate(PAGES)}


@pytest.fixture
def world() -> World:
    w = world_with_pages(seed=4)
    post = w.add_post(CAM, message="Lịch tiếp công dân tháng 3")
    w.add_comment(post, author=("501", "Vũ Thị Mai"), message="cho em hỏi thứ 7 có làm không ạ")
    w.add_comment(
        post, author=("502", "Hoàng Văn Nam"), message="Cán bộ địa chính đòi 3 triệu mới ký hồ sơ"
    )
    w.add_message(AIQ, user=("503", "Đỗ Thị Hoa"), message="mất sóng 4G cả tuần nay rồi ad ơi")
    return w


@pytest.fixture
def sim(world: World) -> Iterator[GraphSimulator]:
    with GraphSimulator(world) as server:
        yield server


@pytest.fixture
def config(tmp_path: Path, sim: GraphSimulator, db_url: str, trained_models: Path) -> Path:
    path = tmp_path / "pakn.yaml"
    path.write_text(config_text(sim.base_url, db_url, trained_models), encoding="utf-8")
    return path


def pakn(config: Path | None, *args: str, env: dict[str, str] | None = None) -> Result:
    base = ["--config", str(config)] if config else []
    return CliRunner().invoke(
        main, [*base, *args], env={**TOKENS, **(env or {})}, catch_exceptions=False
    )


def test_run_once_exits_0_when_every_page_was_polled(config: Path) -> None:
    result = pakn(config, "run", "--once")
    assert result.exit_code == 0, result.output
    assert result.output.count("[OK ]") == 3


def test_run_once_exits_1_naming_the_failed_page_without_its_token(
    config: Path, world: World
) -> None:
    world.revoke_token(CAM2)
    result = pakn(config, "run", "--once")
    assert result.exit_code == 1
    failed = [line for line in result.output.splitlines() if line.startswith("[LỖI]")]
    assert len(failed) == 1
    assert CAM2 in failed[0]
    assert "Tuổi trẻ Cẩm Giàng" in failed[0]
    assert "Mã truy cập" in failed[0]
    assert TOKENS["TOKEN_1"] not in result.output


def test_pages_shows_health_and_the_quarantined_page(config: Path, world: World) -> None:
    world.revoke_token(CAM2)
    pakn(config, "run", "--once")
    result = pakn(config, "pages")
    lines = {line.split()[0]: line for line in result.output.splitlines() if line[:1].isdigit()}
    assert "CÁCH LY" in lines[CAM2]
    assert "[OK]" in lines[CAM]
    assert "hôm nay: 2" in lines[CAM]
    assert "API v25.0" in lines[CAM]  # the version the (simulated) Graph API answered with


def test_export_writes_every_item_once_with_a_denouncers_identity_masked(
    config: Path, tmp_path: Path
) -> None:
    pakn(config, "run", "--once")
    out = tmp_path / "items.jsonl"
    assert pakn(config, "export", "--format", "jsonl", "--output", str(out)).exit_code == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 3
    assert {r["source"] for r in rows} == {"facebook_comment", "facebook_message"}
    for row in rows:
        assert row["created_time"].endswith("Z")
        assert set(row) >= {
            "external_id",
            "page_id",
            "parent_id",
            "author_id",
            "text",
            "deleted",
            "edited",
            "permalink",
            "category",
            "urgent",
            "field",
            "confidence",
            "status",
            "due_at",
        }
    denunciation = next(r for r in rows if "đòi 3 triệu" in r["text"])
    if denunciation["category"] == "to_cao":
        assert "Hoàng Văn Nam" not in json.dumps(denunciation, ensure_ascii=False)
    csv_rows = list(csv.DictReader(io.StringIO(pakn(config, "export", "--format", "csv").output)))
    assert len(csv_rows) == 3


def test_a_missing_config_file_says_how_to_create_one(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "none.yaml"), "run", "--once"])
    assert result.exit_code != 0
    assert "pakn config init" in result.output


def test_a_broken_yaml_line_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "pakn.yaml"
    path.write_text("database_url: sqlite:///x.db\npages:\n  - id: [1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(path), "pages"])
    assert result.exit_code != 0
    assert "dòng" in result.output


def test_an_unreachable_database_names_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "pakn.yaml"
    path.write_text(
        'database_url: "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["--config", str(path), "pages"])
    assert result.exit_code != 0
    assert "Không kết nối được cơ sở dữ liệu" in result.output
    assert "database_url" in result.output


def test_a_page_without_a_token_is_refused_with_its_id(tmp_path: Path) -> None:
    path = tmp_path / "pakn.yaml"
    path.write_text(
        'pages:\n  - {id: "123", name: "Xã A", unit: a, access_token: ""}\n', encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["--config", str(path), "run", "--once"])
    assert result.exit_code != 0
    assert "123" in result.output
    assert "access_token" in result.output


def test_config_init_writes_the_commented_example_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "pakn.yaml"
    assert CliRunner().invoke(main, ["config", "init", str(target)]).exit_code == 0
    assert "access_token: ${PAGE_TOKEN_CAMGIANG}" in target.read_text(encoding="utf-8")
    again = CliRunner().invoke(main, ["config", "init", str(target)])
    assert again.exit_code != 0


def test_sigterm_lets_the_daemon_finish_and_exit_cleanly(config: Path) -> None:
    env = {**os.environ, **TOKENS, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "--config", str(config), "run"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:  # wait for the first cycle's classifier load, then stop it
        if "bộ phân loại phiên bản" in line:
            break
    proc.send_signal(signal.SIGTERM)
    _, rest = proc.communicate(timeout=60)
    assert proc.returncode == 0, rest
    assert "đã dừng daemon" in rest


def test_classify_uses_the_models_dir_of_the_configuration(
    tmp_path: Path, trained_models: Path
) -> None:
    from classifier.registry import Registry

    path = tmp_path / "pakn.yaml"
    path.write_text(f'classifier: {{models_dir: "{trained_models}"}}\n', encoding="utf-8")
    result = CliRunner().invoke(
        main,
        ["--config", str(path), "classify", "-"],
        input='{"id": "a1", "text": "cháy nhà ở xóm 3 rồi, cứu với"}\nad ơi cho hỏi giờ làm việc\n',
        env={"HOME": str(tmp_path), "PAKN_MODELS_DIR": ""},
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [line.get("id") for line in lines] == ["a1", None]
    active = Registry(trained_models).active()
    assert {line["model_version"] for line in lines} == {active}
    assert lines[0]["urgent"] is True
    assert not (tmp_path / ".local").exists()  # no second model trained in the default place


def test_demo_on_a_port_in_use_says_how_to_pick_another(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(
            main, ["demo", "--dir", str(tmp_path / "demo"), "--port", str(port), "--duration", "1"]
        )
    assert result.exit_code != 0
    assert f"Cổng {port} đang được dùng" in result.output
    assert "--port" in result.output


def test_a_hotline_call_enters_the_queue_once_even_when_logged_twice(config: Path) -> None:
    pakn(config, "run", "--once")  # creates the units from the configuration
    args = ["call", "add", "--unit", "cam-giang", "--name", "Bà Lan", "--phone", "0912345678"]
    args += ["--at", "2026-03-01T22:00", "--id", "call-0001"]
    text = "Cây đổ chắn ngang đường thôn Lương Xá, dây điện đứt đang tóe lửa"
    first = pakn(config, *args, "--text", text)
    again = pakn(config, *args, "--text", text)
    assert first.exit_code == 0, first.output
    assert "đã ghi" in first.output
    assert "KHẨN" in first.output
    assert "không ghi thêm" in again.output
    exported = [json.loads(line) for line in pakn(config, "export").output.splitlines()]
    calls = [row for row in exported if row["source"] == "hotline"]
    assert len(calls) == 1
    assert calls[0]["urgent"] is True


def test_a_call_for_an_unknown_unit_names_the_known_ones(config: Path) -> None:
    pakn(config, "run", "--once")
    result = pakn(config, "call", "add", "--unit", "khong-co", "--text", "alo")
    assert result.exit_code != 0
    assert "ai-quoc" in result.output


def test_export_rows_carry_the_item_number_and_vietnam_time_beside_utc(
    config: Path, tmp_path: Path
) -> None:
    pakn(config, "run", "--once")
    rows = [json.loads(line) for line in pakn(config, "export").output.splitlines()]
    assert sorted(r["id"] for r in rows) == sorted({r["id"] for r in rows})
    assert all(isinstance(r["id"], int) for r in rows)
    for row in rows:
        for key in ("created_time", "first_seen_at", "due_at"):
            if row[key] is None:
                assert row[f"{key}_local"] is None
                continue
            local = datetime.fromisoformat(row[f"{key}_local"])
            assert local.utcoffset() == timedelta(hours=7)
            assert local == datetime.fromisoformat(row[key].replace("Z", "+00:00"))
    header = pakn(config, "export", "--format", "csv").output.splitlines()[0].split(",")
    assert header[0] == "id"
    assert "due_at_local" in header
