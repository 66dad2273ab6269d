"""``pakn train``: the seed data plus the officers' confirmed and corrected labels."""

from __future__ import annotations

from typing import Any

import click

from classifier.dataset import Example
from classifier.retrain import retrain
from config.settings import models_dir
from storage.review_queue import training_examples


@click.command("train")
@click.option(
    "--force", is_flag=True, help="Dùng mô hình mới kể cả khi nó kém hơn mô hình đang dùng."
)
@click.option(
    "--seed",
    default=0,
    show_default=True,
    help="Hạt giống ngẫu nhiên (cùng hạt giống, cùng mô hình).",
)
@click.option(
    "--no-corrections", is_flag=True, help="Chỉ dùng dữ liệu mẫu, bỏ qua nhãn của cán bộ."
)
@click.pass_obj
def train_command(app: Any, force: bool, seed: int, no_corrections: bool) -> None:
    """Huấn luyện lại bộ phân loại từ dữ liệu mẫu và nhãn cán bộ đã xác nhận hoặc sửa."""
    extra: list[Example] = []
    if not no_corrections:
        sessions = app.sessions()
        with sessions.begin() as session:
            rows = training_examples(session)
        extra = [
            Example(text=t, category=c, urgent=u, field=f, source="officer", weight=w)
            for t, c, u, f, w in rows
        ]
    corrected = sum(1 for e in extra if e.weight > 1)
    click.echo(
        f"Dữ liệu cán bộ: {len(extra)} mục ({corrected} sửa nhãn, "
        f"{len(extra) - corrected} xác nhận).",
        err=True,
    )
    result = retrain(models_dir(app.settings), extra, force=force, seed=seed)
    new = result.new_report.summary()
    old = result.active_report.summary() if result.active_report else None
    click.echo(f"Mô hình mới {result.version} ({result.training_size} ví dụ):")
    for key in ("macro_f1", "urgent_recall", "urgent_precision", "field_accuracy"):
        before = f"{old[key]:.3f}" if old and key in old else "—"
        click.echo(f"  {key:18} mới {new.get(key, float('nan')):.3f}   đang dùng {before}")
    if result.dropped_extra:
        click.echo(f"  (bỏ {result.dropped_extra} mục trùng tập kiểm tra giữ riêng)")
    verdict = "ĐÃ DÙNG mô hình mới" if result.promoted else "GIỮ mô hình cũ"
    click.echo(f"{verdict}: {result.reason}")
