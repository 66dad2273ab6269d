"""Labelled examples: the packaged seed set, the register test sets (JSON Lines), and the hash of
a training set."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, Final

from classifier.errors import DatasetError
from classifier.labels import CATEGORIES, FIELDS, SOURCES

SEED_PACKAGE: Final = "classifier"
SEED_DIR: Final = ("data", "seed")
# One test file per register of real traffic (shouts, formal letters, hotline notes, portal
# reports, online-service questions, voter petitions, mixed comments, chit-chat). Never trained
# on: `pakn train` and the default model read SEED_DIR only.
EVAL_DIR: Final = ("data", "eval")
CHITCHAT_REGISTER: Final = "tan-gau"
SPLITS: Final = ("train", "heldout")
_KEYS: Final = ("text", "category", "urgent", "field", "source", "split")


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    category: str
    urgent: bool
    field: str
    source: str
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class SeedSet:
    train: list[Example]
    heldout: list[Example]


def load_seed(directory: Traversable | None = None) -> SeedSet:
    """Read every `*.jsonl` of the packaged seed (or of `directory`), validated, split."""
    root = directory if directory is not None else _packaged_seed_dir()
    files = sorted((f for f in root.iterdir() if f.name.endswith(".jsonl")), key=lambda f: f.name)
    if not files:
        raise DatasetError(
            f"Không tìm thấy tệp dữ liệu mẫu *.jsonl trong {root}. "
            "Hãy cài lại gói pakn (dữ liệu mẫu đi kèm gói)."
        )
    split: dict[str, list[Example]] = {name: [] for name in SPLITS}
    for file in files:
        for split_name, example in parse_lines(file.name, file.read_text("utf-8").splitlines()):
            split[split_name].append(example)
    return SeedSet(train=split["train"], heldout=split["heldout"])


def _packaged_seed_dir() -> Traversable:
    return _packaged_dir(SEED_DIR)


def _packaged_dir(parts: tuple[str, ...]) -> Traversable:
    root = resources.files(SEED_PACKAGE)
    for part in parts:
        root = root.joinpath(part)
    return root


def load_registers(directory: Traversable | None = None) -> dict[str, list[Example]]:
    """The register test sets: {register: examples}, one `*.jsonl` per register, sorted by name.

    Every line must be in the "heldout" split: these files measure the model and are never
    trained on, so a "train" line is a mistake to fix, not to use.
    """
    root = directory if directory is not None else _packaged_dir(EVAL_DIR)
    files = sorted((f for f in root.iterdir() if f.name.endswith(".jsonl")), key=lambda f: f.name)
    if not files:
        raise DatasetError(
            f"Không tìm thấy tệp kiểm tra *.jsonl trong {root}. "
            "Hãy cài lại gói pakn (các tệp kiểm tra theo dạng văn bản đi kèm gói)."
        )
    registers: dict[str, list[Example]] = {}
    for file in files:
        examples = []
        for number, (split, example) in enumerate(
            parse_lines(file.name, file.read_text("utf-8").splitlines()), start=1
        ):
            if split != "heldout":
                raise DatasetError(
                    f"{file.name}: mục thứ {number} có split {split!r}; tệp kiểm tra chỉ chứa "
                    '"heldout" (chuyển mục dùng để huấn luyện sang classifier/data/seed/).'
                )
            examples.append(example)
        registers[file.name.removesuffix(".jsonl")] = examples
    return registers


def parse_lines(name: str, lines: Iterable[str]) -> list[tuple[str, Example]]:
    """Validate JSON Lines; returns (split, example) pairs. Blank lines are allowed."""
    parsed: list[tuple[str, Example]] = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            parsed.append(parse_line(line, f"{name}:{number}"))
    return parsed


def parse_line(line: str, where: str) -> tuple[str, Example]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{where}: không phải JSON hợp lệ ({exc.msg}).") from exc
    if not isinstance(record, dict):
        raise DatasetError(f"{where}: mỗi dòng phải là một đối tượng JSON {{...}}.")
    missing = [key for key in _KEYS if key not in record]
    if missing:
        raise DatasetError(f"{where}: thiếu khóa '{missing[0]}' (cần đủ: {', '.join(_KEYS)}).")
    unknown = sorted(set(record) - set(_KEYS))
    if unknown:
        raise DatasetError(f"{where}: khóa lạ '{unknown[0]}' (chỉ dùng: {', '.join(_KEYS)}).")
    _check(record, where)
    example = Example(
        text=record["text"],
        category=record["category"],
        urgent=record["urgent"],
        field=record["field"],
        source=record["source"],
    )
    return record["split"], example


def _check(record: dict[str, Any], where: str) -> None:
    if not isinstance(record["text"], str) or not record["text"].strip():
        raise DatasetError(f"{where}: khóa 'text' phải là chuỗi không rỗng.")
    if not isinstance(record["urgent"], bool):
        raise DatasetError(f"{where}: khóa 'urgent' phải là true hoặc false (không có ngoặc kép).")
    allowed = {"category": CATEGORIES, "field": FIELDS, "source": SOURCES, "split": SPLITS}
    for key, values in allowed.items():
        if record[key] not in values:
            raise DatasetError(
                f"{where}: khóa '{key}' có giá trị {record[key]!r} không hợp lệ "
                f"(chọn một trong: {', '.join(values)})."
            )


def training_hash(examples: Sequence[Example]) -> str:
    """SHA-256 of a training set, independent of example order."""
    lines = sorted(
        json.dumps(
            [ex.text, ex.category, ex.urgent, ex.field, ex.source, round(ex.weight, 6)],
            ensure_ascii=False,
        )
        for ex in examples
    )
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8", "surrogatepass") + b"\n")
    return digest.hexdigest()
