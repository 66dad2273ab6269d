"""Command-line commands of the classifier (added to the `pakn` group by monitor/cli.py).

`classify` needs no database, configuration file or network: it reads the model directory and,
on a fresh install, trains the default model from the packaged seed data.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from classifier.errors import ClassifierError

if TYPE_CHECKING:
    from classifier.model import Classifier

# scikit-learn, skops and the models are imported inside the commands: importing them costs
# about two seconds, which every other `pakn` command (and `pakn --help`) would pay.
BATCH_SIZE = 1000


def default_models_dir() -> Path:
    """$PAKN_MODELS_DIR, else ~/.local/share/pakn/models."""
    configured = os.environ.get("PAKN_MODELS_DIR")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".local" / "share" / "pakn" / "models"


models_dir_option = click.option(
    "--models-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Thư mục chứa mô hình (mặc định: $PAKN_MODELS_DIR, nếu không có thì "
    "~/.local/share/pakn/models).",
)


def _models_dir(option: Path | None) -> Path:
    """--models-dir, else the one the application configured (``classifier.models_dir`` when
    run as ``pakn``), else the default."""
    if option is not None:
        return option
    context = click.get_current_context(silent=True)
    configured = getattr(context.obj if context else None, "models_dir", None)
    if callable(configured):
        found = configured()
        if isinstance(found, Path):
            return found
    return default_models_dir()


@contextmanager
def _user_errors(directory: Path) -> Iterator[None]:
    """Domain and file-system errors become one-line messages that say how to fix them."""
    try:
        yield
    except ClassifierError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(
            f"Không đọc/ghi được thư mục mô hình {directory}: {exc.strerror or exc}. "
            "Hãy chọn thư mục khác bằng --models-dir hoặc biến môi trường PAKN_MODELS_DIR."
        ) from exc


def _active_classifier(models_dir: Path) -> Classifier:
    from classifier.registry import Registry, load_active_or_build_default

    with _user_errors(models_dir):
        if Registry(models_dir).active() is None:
            click.echo(
                "Chưa có mô hình: đang huấn luyện mô hình mặc định từ dữ liệu mẫu (vài giây)…",
                err=True,
            )
        return load_active_or_build_default(models_dir)


@dataclass(frozen=True, slots=True)
class _Line:
    number: int
    text: str | None  # None: the line could not be read
    item_id: Any = None
    error: str | None = None


def parse_input_line(number: int, line: str) -> _Line:
    """A plain text line, or a JSON object with "text" and optional "id"."""
    line = line.rstrip("\r\n")
    if not line.lstrip().startswith("{"):
        return _Line(number, line)
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return _Line(number, None, error=f"JSON không hợp lệ: {exc.msg} (cột {exc.colno})")
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        return _Line(number, None, error='đối tượng JSON phải có khóa "text" kiểu chuỗi')
    return _Line(number, record["text"], item_id=record.get("id"))


def _batches(lines: Iterable[str]) -> Iterator[list[_Line]]:
    numbered = enumerate(lines, start=1)
    while batch := [parse_input_line(n, line) for n, line in islice(numbered, BATCH_SIZE)]:
        yield batch


def _output(line: _Line, prediction: Any) -> dict[str, Any]:
    record: dict[str, Any] = {} if line.item_id is None else {"id": line.item_id}
    record.update(
        category=prediction.category,
        urgent=prediction.urgent,
        urgency=getattr(prediction, "urgency", "urgent" if prediction.urgent else "none"),
        shield=getattr(prediction, "shield", prediction.category == "to_cao"),
        field=prediction.field,
        confidence=round(prediction.confidence, 4),
        model_version=prediction.model_version,
    )
    return record


@click.command("classify")
@click.argument("source", type=click.File("r", encoding="utf-8", errors="replace"), default="-")
@models_dir_option
def classify_command(source: IO[str], models_dir: Path | None) -> None:
    """Phân loại văn bản từ SOURCE (tệp, hoặc - là đầu vào chuẩn).

    Mỗi dòng là một văn bản; dòng bắt đầu bằng { được đọc như JSON có "text" (và "id" tùy
    chọn). In ra mỗi dòng một đối tượng JSON: id, category, urgent, field, confidence,
    model_version. Dòng JSON hỏng cho ra một đối tượng "error" và việc xử lý vẫn tiếp tục.
    Không cần cơ sở dữ liệu, tệp cấu hình hay mạng.
    """
    classifier = _active_classifier(_models_dir(models_dir))
    failures = 0
    for batch in _batches(source):
        readable = [line for line in batch if line.text is not None]
        predictions = iter(
            classifier.predict([line.text or "" for line in readable], with_probs=False)
        )
        for line in batch:
            if line.error is not None:
                failures += 1
                click.echo(f"Dòng {line.number}: {line.error}; bỏ qua dòng này.", err=True)
                record: dict[str, Any] = {"line": line.number, "error": line.error}
            else:
                record = _output(line, next(predictions))
            click.echo(json.dumps(record, ensure_ascii=False))
    if failures:
        click.echo(f'Có {failures} dòng lỗi (xem các đối tượng "error").', err=True)


@click.command("evaluate")
@models_dir_option
@click.option(
    "--version", "version", default=None, help="Phiên bản cần đánh giá (mặc định: đang dùng)."
)
@click.option(
    "--png",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Ghi ma trận nhầm lẫn ra tệp PNG này, và biểu đồ hiệu chỉnh độ tin cậy bên cạnh"
    " (tên tệp thêm -hieu-chinh).",
)
@click.option(
    "--cv/--no-cv",
    default=True,
    show_default=True,
    help="Kiểm định chéo phân tầng trên phần train của dữ liệu mẫu (thêm vài giây).",
)
def evaluate_command(
    models_dir: Path | None, version: str | None, png: Path | None, cv: bool
) -> None:
    """Đánh giá mô hình: phần heldout, từng dạng văn bản thật và kiểm định chéo.

    Phần heldout của dữ liệu mẫu; từng tệp kiểm tra theo dạng văn bản (tiếng kêu ngắn, đơn thư,
    sổ trực, cổng phản ánh, hỏi dịch vụ, kiến nghị cử tri, bình luận nhiều việc, chuyện phiếm);
    kiểm định chéo trên phần train.
    """
    from classifier.dataset import load_registers, load_seed
    from classifier.evaluation import (
        evaluate,
        evaluate_raw,
        format_registers,
        format_report,
        register_scores,
        write_calibration_png,
        write_confusion_png,
    )
    from classifier.registry import Registry
    from classifier.training import TrainingConfig, label_indices, train

    directory = _models_dir(models_dir)
    with _user_errors(directory):
        registry = Registry(directory)
        classifier = _active_classifier(directory) if version is None else registry.load(version)
        seed = load_seed()
        report = evaluate(classifier, seed.heldout, f"heldout, mô hình {classifier.version}")
        click.echo(format_report(report))
        registers = [
            (name, examples, classifier.predict_raw([ex.text for ex in examples]))
            for name, examples in load_registers().items()
        ]
        rows = [register_scores(examples, raw, name) for name, examples, raw in registers]
        click.echo("\n" + format_registers(rows))
        if cv:
            config = TrainingConfig.from_dict(classifier.parts.config)
            result = train(seed.train, config, seed=registry.info(classifier.version).seed)
            if result.cv_predictions is not None:
                cv_report = evaluate_raw(seed.train, result.cv_predictions, "cv-train")
                click.echo("\n" + format_report(cv_report))
    if png is not None:
        write_confusion_png(report, png)
        click.echo(f"Đã ghi ma trận nhầm lẫn vào {png}")
        curves = png.with_name(f"{png.stem}-hieu-chinh{png.suffix}")
        write_calibration_png(
            [(name, raw, label_indices(examples)["category"]) for name, examples, raw in registers],
            curves,
        )
        click.echo(f"Đã ghi biểu đồ hiệu chỉnh độ tin cậy vào {curves}")


@click.group("model")
def model_group() -> None:
    """Quản lý các phiên bản mô hình phân loại."""


@model_group.command("list")
@models_dir_option
def list_command(models_dir: Path | None) -> None:
    """Liệt kê các phiên bản (dấu * là phiên bản đang dùng)."""
    from classifier.registry import Registry

    directory = _models_dir(models_dir)
    with _user_errors(directory):
        registry = Registry(directory)
        infos, active = registry.list(), registry.active()
    if not infos:
        click.echo(f"Chưa có mô hình nào trong {directory}.")
        return
    click.echo(
        f"  {'phiên bản':<15} {'tạo lúc (UTC)':<26} {'macro-F1':>8} {'recall khẩn':>11}  ghi chú"
    )
    for info in infos:
        heldout = info.metrics.get("heldout", {})
        mark = "*" if info.version == active else " "
        click.echo(
            f"{mark} {info.version:<15} {info.created_at:<26} {heldout.get('macro_f1', 0):>8.3f}"
            f" {heldout.get('urgent_recall', 0):>11.3f}  {info.note}"
        )


@model_group.command("promote")
@click.argument("version")
@models_dir_option
def promote_command(version: str, models_dir: Path | None) -> None:
    """Dùng phiên bản VERSION làm mô hình đang dùng."""
    from classifier.registry import Registry

    directory = _models_dir(models_dir)
    with _user_errors(directory):
        Registry(directory).promote(version)
    click.echo(f"Đang dùng mô hình {version}.")


@model_group.command("rollback")
@models_dir_option
def rollback_command(models_dir: Path | None) -> None:
    """Quay lại phiên bản đã dùng trước phiên bản hiện tại."""
    from classifier.registry import Registry

    directory = _models_dir(models_dir)
    with _user_errors(directory):
        version = Registry(directory).rollback()
    click.echo(f"Đã quay lại mô hình {version}.")


COMMANDS = (classify_command, evaluate_command, model_group)


if __name__ == "__main__":  # `python3 -m cli.classifier …` during development
    development = click.Group("classifier", commands=list(COMMANDS))
    development()
