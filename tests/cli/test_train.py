"""The retraining round trip through the database: officers' labels → pakn train → model."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from classifier.dataset import load_seed
from classifier.registry import Registry, load_active_or_build_default
from cli.main import main
from storage.ingest import ingest
from storage.poll_state import sync_pages
from storage.records import ItemRecord
from storage.tables import Item

pytestmark = pytest.mark.slow
NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
NEW_PATTERN = "máy bán vé tự động zetaphon ở nhà văn hóa nuốt tiền"


def reviewed(sessions: sessionmaker[Session], texts: list[str], category: str, field: str) -> None:
    """Items an officer corrected to ``category``/``field``, as the web UI records them."""
    with sessions.begin() as session:
        start = session.scalar(select(func.count()).select_from(Item)) or 0
        records = [
            ItemRecord(
                source="hotline",
                external_id=f"hotline-{start + n}",
                unit_id="cam-giang",
                created_time=NOW - timedelta(minutes=n),
                text=text,
            )
            for n, text in enumerate(texts)
        ]
        ingest(session, records, now=NOW)
        for item in session.scalars(select(Item).where(Item.category.is_(None))):
            item.category, item.field, item.urgent = category, field, False
            item.labels_reviewed_at, item.labels_corrected = NOW, True


@pytest.fixture
def setup(
    tmp_path: Path, sqlite_url: str, sqlite_sessions: sessionmaker[Session], trained_models: Path
) -> tuple[Path, Path]:
    models = tmp_path / "models"
    shutil.copytree(trained_models, models)
    with sqlite_sessions.begin() as session:
        sync_pages(session, [("cam-giang", "UBND xã Cẩm Giàng", "xa")], [])
    config = tmp_path / "pakn.yaml"
    config.write_text(
        f'database_url: "{sqlite_url}"\nclassifier: {{models_dir: "{models}"}}\n', encoding="utf-8"
    )
    return config, models


def train(config: Path, *args: str) -> str:
    result = CliRunner().invoke(
        main, ["--config", str(config), "train", *args], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_corrections_change_the_next_model_a_worse_one_is_refused_and_rollback_restores(
    setup: tuple[Path, Path], sqlite_sessions: sessionmaker[Session]
) -> None:
    config, models = setup
    registry = Registry(models)
    first = registry.active()
    before = load_active_or_build_default(models).predict([NEW_PATTERN])[0]
    variants = [
        f"{NEW_PATTERN} {suffix}"
        for suffix in (
            "lần 1",
            "hôm qua",
            "ad ơi",
            "mất 50k",
            "mấy lần rồi",
            "thôn 3",
            "sáng nay",
            "lại nữa",
            "ai quản lý",
            "nhiều người bị",
        )
    ]
    reviewed(sqlite_sessions, variants * 3, "phan_anh", "khcn_cds")
    output = train(config)
    assert "ĐÃ DÙNG" in output
    second = registry.active()
    assert second != first
    after = load_active_or_build_default(models).predict([NEW_PATTERN])[0]
    assert (after.category, after.field) == ("phan_anh", "khcn_cds")
    assert (before.category, before.field) != (
        after.category,
        after.field,
    ) or after.confidence > before.confidence

    # Officers' mistakes en masse: ordinary reports relabelled as chit-chat.
    poison = [ex.text for ex in load_seed().train if ex.category == "phan_anh"][:400]
    reviewed(sqlite_sessions, poison, "khac", "khac")
    refused = train(config)
    assert "GIỮ mô hình cũ" in refused
    assert registry.active() == second

    rollback = CliRunner().invoke(main, ["--config", str(config), "model", "rollback"])
    assert rollback.exit_code == 0, rollback.output
    assert registry.active() == first
