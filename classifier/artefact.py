"""Model artefacts on disk: skops files (no pickle), loaded with an explicit allow-list."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Any, Final

import skops.io as sio

from classifier.errors import ArtefactError
from classifier.model import ModelParts, Thresholds

ARTEFACT_FORMAT: Final = 1
# The only non-scikit-learn type an artefact may contain. Never trust what a file lists itself.
TRUSTED_TYPES: Final[list[str]] = ["classifier.features.TextFeatures"]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def dump_parts(parts: ModelParts, path: Path) -> None:
    state = {
        "format": ARTEFACT_FORMAT,
        "features": parts.features,
        "category": parts.category,
        "field": parts.field,
        "urgent": parts.urgent,
        "temperature": float(parts.temperature),
        "urgent_threshold": float(parts.urgent_threshold),
        "config": parts.config,
        "thresholds": {
            "urgent": float(parts.thresholds.urgent),
            "possible": float(parts.thresholds.possible),
            "word": float(parts.thresholds.word),
            "sure": float(parts.thresholds.sure),
            "shield": float(parts.thresholds.shield),
        },
    }
    # ZIP_DEFLATED: the default ZIP_STORED makes these files about 20 times larger.
    sio.dump(state, path, compression=zipfile.ZIP_DEFLATED)


def load_parts(path: Path, expected_sha256: str) -> ModelParts:
    """Load an artefact after checking its SHA-256 against the recorded one."""
    if not path.is_file():
        raise ArtefactError(
            f"Không tìm thấy tệp mô hình {path}. Hãy chọn phiên bản khác "
            "(`pakn model list`, `pakn model promote PHIÊN_BẢN`)."
        )
    actual = sha256_of(path)
    if actual != expected_sha256:
        raise ArtefactError(
            f"Tệp mô hình {path.name} đã bị thay đổi hoặc hỏng (SHA-256 không khớp: "
            f"{actual[:12]}… khác {expected_sha256[:12]}…). Không nạp tệp này; hãy quay lại "
            "phiên bản trước (`pakn model rollback`) hoặc huấn luyện lại (`pakn train`)."
        )
    try:
        state: Any = sio.load(path, trusted=TRUSTED_TYPES)
    except Exception as exc:  # skops raises several types for bad or hostile content
        raise ArtefactError(
            f"Không đọc được tệp mô hình {path.name}: {exc}. Hãy quay lại phiên bản trước "
            "(`pakn model rollback`) hoặc huấn luyện lại (`pakn train`)."
        ) from exc
    return _parts_from_state(state, path)


def _parts_from_state(state: Any, path: Path) -> ModelParts:
    if not isinstance(state, dict) or state.get("format") != ARTEFACT_FORMAT:
        raise ArtefactError(
            f"Tệp {path.name} không phải mô hình pakn định dạng {ARTEFACT_FORMAT}. "
            "Hãy huấn luyện lại bằng phiên bản pakn hiện tại (`pakn train`)."
        )
    # Artefacts saved before the urgency levels and the to_cao shield have no "thresholds":
    # they get the safe defaults, with their own urgent threshold.
    fitted = dict(state.get("thresholds") or {"urgent": state["urgent_threshold"]})
    return ModelParts(
        features=state["features"],
        category=state["category"],
        field=state["field"],
        urgent=state["urgent"],
        temperature=float(state["temperature"]),
        urgent_threshold=float(state["urgent_threshold"]),
        config=dict(state["config"]),
        thresholds=Thresholds(**{key: float(value) for key, value in fitted.items()}),
    )
