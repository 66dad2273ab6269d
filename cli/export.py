"""``pakn export``: every item as JSON Lines or CSV, a denouncer's identity masked."""

from __future__ import annotations

import csv
import json
import sys

import click

from cli.main import App, pass_app


@click.command()
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@click.option("--output", type=click.Path(dir_okay=False), help="Tệp đích (mặc định: màn hình).")
@click.option("--include-page-replies", is_flag=True, help="Gồm cả trả lời của chính trang.")
@pass_app
def export(app: App, fmt: str, output: str | None, include_page_replies: bool) -> None:
    """Xuất mọi mục (JSON Lines hoặc CSV). Danh tính người tố cáo được che."""
    from storage.export import FIELDS, export_rows

    sessions = app.sessions()
    out = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout  # noqa: SIM115
    count = 0
    try:
        writer = csv.DictWriter(out, fieldnames=FIELDS) if fmt == "csv" else None
        if writer:
            writer.writeheader()
        with sessions.begin() as session:
            rows = export_rows(
                session, include_page_replies=include_page_replies, spreadsheet=fmt == "csv"
            )
            for row in rows:
                if writer:
                    writer.writerow(row)
                else:
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
    finally:
        if output:
            out.close()
    if output:
        click.echo(f"Đã xuất {count} mục vào {output}", err=True)
