"""Versioned models in a directory, with an active pointer and a rollback history.

Layout of `models_dir`:
    <version>.skops   the artefact          <version>.json  its sidecar (ModelInfo)
    active            the active version    history.json    versions activated, oldest first
    .lock             serialises writers (the daemon and the web may start at the same time)
"""

from __future__ import annotations

import builtins
import fcntl
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from classifier.artefact import dump_parts, load_parts, sha256_of
from classifier.dataset import load_seed, training_hash
from classifier.errors import RegistryError
from classifier.evaluation import evaluate, evaluate_raw
from classifier.labels import CATEGORIES, FIELDS
from classifier.model import Classifier
from classifier.training import DEFAULT_CONFIG, train

DEFAULT_SEED = 0
log = logging.getLogger("pakn.classifier")

_VERSION = re.compile(r"(\d{4,})-(\d{8})")


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """The sidecar of one model version."""

    version: str
    created_at: str
    sha256: str
    sklearn_version: str
    skops_version: str
    labels: dict[str, list[str]]
    metrics: dict[str, Any]
    training_hash: str
    training_size: int
    seed: int
    parent: str | None = None
    note: str = ""
    config: dict[str, Any] = field(default_factory=dict)


def _write_atomic(path: Path, text: str) -> None:
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


class Registry:
    def __init__(self, models_dir: Path | str) -> None:
        self.models_dir = Path(models_dir).expanduser()
        self._lock_depth = 0

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive lock across processes; re-entrant within this object."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        self.models_dir.mkdir(parents=True, exist_ok=True)
        with (self.models_dir / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            self._lock_depth = 1
            try:
                yield
            finally:
                self._lock_depth = 0
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- reading -------------------------------------------------------------------------
    def list(self) -> builtins.list[ModelInfo]:
        """All complete versions, oldest first."""
        if not self.models_dir.is_dir():
            return []
        names = (p.stem for p in self.models_dir.glob("*.json") if _VERSION.fullmatch(p.stem))
        return [self.info(name) for name in sorted(names, key=_version_number)]

    def info(self, version: str) -> ModelInfo:
        path = self._path(version, ".json")
        try:
            return ModelInfo(**json.loads(path.read_text("utf-8")))
        except FileNotFoundError:
            raise RegistryError(
                f"Không có phiên bản mô hình '{version}' trong {self.models_dir}. "
                "Xem các phiên bản bằng `pakn model list`."
            ) from None
        except (ValueError, TypeError) as exc:
            raise RegistryError(
                f"Tệp mô tả {path} bị hỏng ({exc}); hãy chọn phiên bản khác."
            ) from exc

    def active(self) -> str | None:
        try:
            version = (self.models_dir / "active").read_text("utf-8").strip()
        except FileNotFoundError:
            return None
        return version or None

    def history(self) -> builtins.list[str]:
        try:
            versions = json.loads((self.models_dir / "history.json").read_text("utf-8"))
        except FileNotFoundError:
            return []
        return [str(v) for v in versions]

    def load(self, version: str) -> Classifier:
        """Load a version, refusing a file whose SHA-256 differs from its sidecar."""
        info = self.info(version)
        parts = load_parts(self._path(version, ".skops"), info.sha256)
        return Classifier(parts, version)

    def load_active(self) -> Classifier | None:
        version = self.active()
        return None if version is None else self.load(version)

    # -- writing -------------------------------------------------------------------------
    def save(
        self,
        classifier: Classifier,
        metrics: dict[str, Any],
        *,
        training_hash: str,
        training_size: int,
        seed: int,
        parent: str | None = None,
        note: str = "",
    ) -> str:
        """Store a new version (not activated) and return its name."""
        with self.locked():
            now = datetime.now(UTC)
            numbers = [_version_number(info.version) for info in self.list()]
            version = f"{max(numbers, default=0) + 1:04d}-{now:%Y%m%d}"
            artefact = self._path(version, ".skops")
            temp = artefact.with_name(f".{artefact.name}.tmp")
            dump_parts(classifier.parts, temp)
            os.replace(temp, artefact)
            info = ModelInfo(
                version=version,
                created_at=now.isoformat(timespec="seconds"),
                sha256=sha256_of(artefact),
                sklearn_version=package_version("scikit-learn"),
                skops_version=package_version("skops"),
                labels={"categories": list(CATEGORIES), "fields": list(FIELDS)},
                metrics=metrics,
                training_hash=training_hash,
                training_size=training_size,
                seed=seed,
                parent=parent,
                note=note,
                config=dict(classifier.parts.config),
            )
            # The sidecar comes last: a version exists only once it is complete.
            _write_atomic(self._path(version, ".json"), _sidecar_json(info))
            return version

    def promote(self, version: str) -> None:
        """Make `version` active after checking that it loads."""
        with self.locked():
            self.load(version)
            if self.active() == version:
                return
            self._activate(version, [*self.history(), version])

    def rollback(self) -> str:
        """Reactivate the version that was active before the current one; returns it."""
        with self.locked():
            stack = self.history()
            current = self.active()
            while stack and stack[-1] == current:
                stack.pop()
            if not stack:
                raise RegistryError(
                    "Không có phiên bản trước để quay lại. Xem `pakn model list` và chọn "
                    "phiên bản bằng `pakn model promote PHIÊN_BẢN`."
                )
            previous = stack[-1]
            self.load(previous)
            self._activate(previous, stack)
            return previous

    def _activate(self, version: str, stack: builtins.list[str]) -> None:
        _write_atomic(self.models_dir / "history.json", json.dumps(stack))
        _write_atomic(self.models_dir / "active", version + "\n")

    def _path(self, version: str, suffix: str) -> Path:
        if not _VERSION.fullmatch(version):
            raise RegistryError(
                f"Tên phiên bản '{version}' không hợp lệ (dạng 0001-20250101). "
                "Xem các phiên bản bằng `pakn model list`."
            )
        return self.models_dir / f"{version}{suffix}"


def load_active_or_build_default(models_dir: Path | str) -> Classifier:
    """The active model; on a fresh install, train one from the packaged seed and activate it.

    Needs no download: the seed data ships inside the package. Deterministic (DEFAULT_SEED).
    """
    registry = Registry(models_dir)
    if registry.active() is None:
        with registry.locked():  # a second process waits here, then finds the model
            if registry.active() is None:
                _build_default(registry)
    classifier = registry.load_active()
    if classifier is None:  # only if someone removed the pointer meanwhile
        raise RegistryError(f"Không có mô hình đang dùng trong {registry.models_dir}.")
    return classifier


def _build_default(registry: Registry) -> None:
    if registry.list():
        raise RegistryError(
            f"Thư mục {registry.models_dir} có mô hình nhưng chưa chọn phiên bản nào. "
            "Hãy chọn bằng `pakn model promote PHIÊN_BẢN` (xem `pakn model list`)."
        )
    log.info("Chưa có mô hình: huấn luyện mô hình mặc định từ dữ liệu mẫu đi kèm gói")
    seed = load_seed()
    result = train(seed.train, DEFAULT_CONFIG, seed=DEFAULT_SEED)
    metrics: dict[str, Any] = {"heldout": evaluate(result.classifier, seed.heldout, "heldout")}
    if result.cv_predictions is not None:
        metrics["cv"] = evaluate_raw(seed.train, result.cv_predictions, "cv-train")
    version = registry.save(
        result.classifier,
        {name: report.summary() for name, report in metrics.items()},
        training_hash=training_hash(seed.train),
        training_size=len(seed.train),
        seed=DEFAULT_SEED,
        note="Mô hình mặc định, huấn luyện từ dữ liệu mẫu đi kèm gói",
    )
    registry.promote(version)


def _version_number(version: str) -> int:
    match = _VERSION.fullmatch(version)
    return int(match.group(1)) if match else 0


def _sidecar_json(info: ModelInfo) -> str:
    return json.dumps(asdict(info), ensure_ascii=False, indent=2, default=_jsonable)


def _jsonable(value: object) -> object:
    """numpy scalars and tuples in metrics/config become plain JSON values."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


__all__ = ["ModelInfo", "Registry", "load_active_or_build_default"]
