"""``pakn pages`` with webhooks on: each page's subscription as the daemon read it, and its
last event."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import main
from simulator import GraphSimulator, World
from tests.monitor.harness import PAGES, world_with_pages

CAM, CAM2, AIQ = (p[0] for p in PAGES)
TOKENS = {f"TOKEN_{n}": token for n, (*_rest, token) in enumerate(PAGES)}


@pytest.fixture
def sim() -> Iterator[GraphSimulator]:
    world: World = world_with_pages(seed=4)
    with GraphSimulator(world) as server:
        server.router.diagnostics.subscribe(CAM, ("feed", "messages"))
        scopes = ("pages_read_engagement", "pages_read_user_content", "pages_messaging")
        server.router.diagnostics.grant(PAGES[1][3], scopes=scopes)
        yield server


@pytest.fixture
def config(tmp_path: Path, sim: GraphSimulator, db_url: str, trained_models: Path) -> Path:
    pages = "\n".join(
        f'  - {{id: "{pid}", name: "{name}", unit: {unit}, access_token: "${{TOKEN_{n}}}"}}'
        for n, (pid, name, unit, _token) in enumerate(PAGES)
    )
    path = tmp_path / "pakn.yaml"
    path.write_text(
        f'database_url: "{db_url}"\n'
        f'graph: {{base_url: "{sim.base_url}", app_secret: "s3cret", max_retries: 1,'
        " backoff_base_seconds: 0.001}\n"
        'webhooks: {enabled: true, verify_token: "verify"}\n'
        f'classifier: {{models_dir: "{trained_models}"}}\n'
        f"pages:\n{pages}\n",
        encoding="utf-8",
    )
    return path


def pakn(config: Path, *args: str) -> Result:
    return CliRunner().invoke(
        main, ["--config", str(config), *args], env=TOKENS, catch_exceptions=False
    )


def page_blocks(output: str) -> dict[str, str]:
    """Each page's lines, by page id (a page's first line starts with its id)."""
    blocks: dict[str, str] = {}
    current = ""
    for line in output.splitlines():
        if line[:1].isdigit():
            current = line.split()[0]
        blocks[current] = blocks.get(current, "") + line + "\n"
    return blocks


def test_pages_shows_webhooks_on_with_fields_off_or_unknown_with_the_reason(
    config: Path,
) -> None:
    assert pakn(config, "run", "--once").exit_code == 0
    blocks = page_blocks(pakn(config, "pages").output)
    assert "webhook: BẬT, trường: feed, messages" in blocks[CAM]
    assert "webhook: TẮT: trang chưa cài ứng dụng nào" in blocks[AIQ]
    assert "webhook: chưa rõ: không đọc được đăng ký" in blocks[CAM2]
    assert "quyền" in blocks[CAM2]
    for block in blocks.values():
        if block.strip():
            assert "sự kiện: chưa nhận sự kiện nào" in block
    assert not any(token in "".join(blocks.values()) for token in TOKENS.values())
