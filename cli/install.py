"""``pakn db upgrade``, ``pakn config init`` and ``pakn config check``: installing pakn."""

from __future__ import annotations

from pathlib import Path

import click

from cli.main import App, pass_app


@click.group()
def db() -> None:
    """Cơ sở dữ liệu."""


@db.command("upgrade")
@pass_app
def db_upgrade(app: App) -> None:
    """Tạo hoặc nâng cấp lược đồ cơ sở dữ liệu (chạy sau mỗi lần cập nhật pakn)."""
    from storage.db import upgrade

    engine = app.engine()
    upgrade(engine)
    click.echo(f"Đã nâng cấp cơ sở dữ liệu {engine.url.render_as_string(hide_password=True)}")


@click.group("config")
def config_group() -> None:
    """Tệp cấu hình."""


@config_group.command("init")
@click.argument("path", type=click.Path(dir_okay=False), default="pakn.yaml")
def config_init(path: str) -> None:
    """Tạo tệp cấu hình mẫu có chú thích."""
    target = Path(path)
    if target.exists():
        raise click.ClickException(f"{target} đã tồn tại; xoá hoặc chọn tên khác.")
    from config.settings import example_config_text

    target.write_text(example_config_text(), encoding="utf-8")
    click.echo(f"Đã tạo {target}. Sửa mã trang, access_token rồi chạy: pakn config check")


@config_group.command("check")
@pass_app
def config_check(app: App) -> None:
    """Kiểm tra tệp cấu hình và kết nối cơ sở dữ liệu."""
    from config.settings import config_path

    if config_path(app.config_path) is None:
        raise click.ClickException(
            "Không tìm thấy tệp cấu hình (đã tìm --config, PAKN_CONFIG và ./pakn.yaml). "
            "Tạo tệp mẫu có chú thích bằng 'pakn config init pakn.yaml', sửa rồi chạy lại."
        )
    settings = app.settings
    with app.engine().connect():
        pass
    click.echo(f"Cấu hình hợp lệ: {len(settings.pages)} trang, {len(settings.unit_ids())} đơn vị.")
