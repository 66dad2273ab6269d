"""``pakn demo`` and ``pakn simulate``."""

from __future__ import annotations

import threading
from pathlib import Path

import click

from cli.demo_world import Demo, DemoError, demo_world, wait
from simulator import GraphSimulator


@click.command("demo")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Giữ dữ liệu trong thư mục này (mặc định: thư mục tạm).",
)
@click.option("--port", default=8080, show_default=True, help="Cổng của giao diện web.")
@click.option(
    "--duration", type=float, help="Tự dừng sau số giây này (mặc định: đến khi bấm Ctrl-C)."
)
@click.option(
    "--every",
    default=8.0,
    show_default=True,
    help="Cứ bấy nhiêu giây lại có một hoạt động mới của người dân.",
)
@click.option("--seed", default=2026, show_default=True, help="Hạt giống của dữ liệu mô phỏng.")
def demo_command(
    directory: Path | None, port: int, duration: float | None, every: float, seed: int
) -> None:
    """Chạy thử toàn bộ dịch vụ trên SQLite với trình mô phỏng Facebook.

    Ba fanpage mô phỏng (xã Cẩm Giàng có hai trang, phường Ái Quốc một trang) liên tục nhận
    bình luận và tin nhắn tiếng Việt (có việc khẩn cấp và tố cáo); daemon đọc chúng, bộ phân
    loại gắn nhãn, giao diện web cho cán bộ xử lý. Không cần tài khoản Facebook, không cần mạng.
    In ra địa chỉ web và các tài khoản thử. Ctrl-C để dừng.
    """
    runner = Demo(directory, port, seed, every)
    try:
        accounts = runner.start(lambda text: click.echo(text, err=True))
    except DemoError as exc:
        runner.close()
        raise click.ClickException(str(exc)) from exc
    click.echo("")
    click.echo(f"pakn demo đang chạy: http://127.0.0.1:{port}")
    click.echo(f"Dữ liệu và cấu hình: {runner.directory}")
    click.echo("Tài khoản thử (tên đăng nhập / mật khẩu / vai trò):")
    for acc in accounts:
        click.echo(f"  {acc.username:18} {acc.password:18} {acc.role:8} {', '.join(acc.units)}")
    click.echo("Bấm Ctrl-C để dừng.")
    try:
        wait(runner.stop, duration)
    finally:
        click.echo("Đang dừng…", err=True)
        runner.close()
    click.echo("Đã dừng.", err=True)


@click.command("simulate")
@click.option("--port", default=8765, show_default=True, help="Cổng của trình mô phỏng.")
@click.option("--seed", default=2026, show_default=True)
def simulate_command(port: int, seed: int) -> None:
    """Chạy riêng trình mô phỏng Graph API (để thử cấu hình hoặc phát triển)."""
    tokens = {
        pid: f"sim-{pid[-1]}" for pid in ("100000000000001", "100000000000002", "100000000000003")
    }
    world = demo_world(seed, tokens)
    sim = GraphSimulator(world, port=port).start()
    click.echo(f"Trình mô phỏng: {sim.base_url} (đặt graph.base_url hoặc PAKN_GRAPH_URL)")
    for page_id, token in tokens.items():
        click.echo(f"  trang {page_id}: access_token {token}")
    stop = threading.Event()
    try:
        wait(stop, None)
    finally:
        sim.stop()
