"""Model versions on disk: round trip, integrity checks, promote and rollback, default model."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio

from classifier.artefact import sha256_of
from classifier.dataset import SeedSet, load_seed, training_hash
from classifier.errors import ArtefactError, RegistryError
from classifier.labels import CATEGORIES, FIELDS
from classifier.registry import Registry, load_active_or_build_default
from classifier.training import TrainingResult


class Intruder:
    """A type no model may contain."""


def save(registry: Registry, trained: TrainingResult, note: str = "") -> str:
    return registry.save(
        trained.classifier,
        {"heldout": {"macro_f1": 0.5}},
        training_hash="abc",
        training_size=3,
        seed=7,
        note=note,
    )


def test_saved_model_loads_and_predicts_exactly_the_same(
    tmp_path: Path, trained: TrainingResult, corpus: SeedSet
) -> None:
    registry = Registry(tmp_path)
    version = save(registry, trained)
    loaded = registry.load(version)
    texts = [ex.text for ex in corpus.heldout] + ["", "😍"]
    before, after = trained.classifier.predict_raw(texts), loaded.predict_raw(texts)
    np.testing.assert_array_equal(before.category_probs, after.category_probs)
    np.testing.assert_array_equal(before.field_probs, after.field_probs)
    np.testing.assert_array_equal(before.urgent, after.urgent)
    assert loaded.version == version
    assert {p.model_version for p in loaded.predict(texts)} == {version}


def test_sidecar_records_versions_labels_hash_and_artefact_checksum(
    tmp_path: Path, trained: TrainingResult
) -> None:
    registry = Registry(tmp_path)
    version = save(registry, trained, note="thử")
    sidecar = json.loads((tmp_path / f"{version}.json").read_text("utf-8"))
    assert sidecar["sha256"] == sha256_of(tmp_path / f"{version}.skops")
    assert sidecar["labels"] == {"categories": list(CATEGORIES), "fields": list(FIELDS)}
    assert sidecar["sklearn_version"] and sidecar["skops_version"]
    assert (sidecar["training_hash"], sidecar["seed"], sidecar["note"]) == ("abc", 7, "thử")
    assert sidecar["metrics"] == {"heldout": {"macro_f1": 0.5}}
    assert zipfile.ZipFile(tmp_path / f"{version}.skops").infolist()[0].compress_type == (
        zipfile.ZIP_DEFLATED
    )


def test_versions_are_numbered_in_order(tmp_path: Path, trained: TrainingResult) -> None:
    registry = Registry(tmp_path)
    first, second = save(registry, trained), save(registry, trained)
    assert [info.version for info in registry.list()] == [first, second]
    assert int(second.split("-")[0]) == int(first.split("-")[0]) + 1


def test_a_tampered_artefact_is_refused(tmp_path: Path, trained: TrainingResult) -> None:
    registry = Registry(tmp_path)
    version = save(registry, trained)
    artefact = tmp_path / f"{version}.skops"
    data = bytearray(artefact.read_bytes())
    data[len(data) // 2] ^= 0xFF
    artefact.write_bytes(bytes(data))
    with pytest.raises(ArtefactError, match="SHA-256"):
        registry.load(version)


def test_a_corrupt_artefact_with_a_matching_checksum_gives_a_clear_error(
    tmp_path: Path, trained: TrainingResult
) -> None:
    registry = Registry(tmp_path)
    version = save(registry, trained)
    artefact = tmp_path / f"{version}.skops"
    artefact.write_bytes(b"not a zip file")
    rewrite_checksum(tmp_path, version)
    with pytest.raises(ArtefactError, match="Không đọc được"):
        registry.load(version)


def test_an_artefact_with_an_untrusted_type_is_refused(
    tmp_path: Path, trained: TrainingResult
) -> None:
    registry = Registry(tmp_path)
    version = save(registry, trained)
    sio.dump({"format": 1, "features": Intruder()}, tmp_path / f"{version}.skops")
    rewrite_checksum(tmp_path, version)
    with pytest.raises(ArtefactError, match="Intruder"):
        registry.load(version)


def rewrite_checksum(directory: Path, version: str) -> None:
    sidecar = directory / f"{version}.json"
    record = json.loads(sidecar.read_text("utf-8"))
    record["sha256"] = sha256_of(directory / f"{version}.skops")
    sidecar.write_text(json.dumps(record), "utf-8")


def test_promote_and_rollback_walk_back_through_the_history(
    tmp_path: Path, trained: TrainingResult
) -> None:
    registry = Registry(tmp_path)
    one, two, three = (save(registry, trained) for _ in range(3))
    assert registry.active() is None
    for version in (one, two, three):
        registry.promote(version)
    registry.promote(three)  # promoting the active version changes nothing
    assert registry.active() == three
    assert registry.rollback() == two
    assert registry.active() == two
    assert registry.rollback() == one
    with pytest.raises(RegistryError, match="Không có phiên bản trước"):
        registry.rollback()
    assert registry.active() == one


def test_unknown_or_malformed_versions_are_refused(tmp_path: Path, trained: TrainingResult) -> None:
    registry = Registry(tmp_path)
    save(registry, trained)
    with pytest.raises(RegistryError, match="pakn model list"):
        registry.promote("9999-20250101")
    with pytest.raises(RegistryError, match="không hợp lệ"):
        registry.load("../../etc/passwd")


def test_default_model_is_built_from_the_packaged_seed_once(trained_models: Path) -> None:
    # `trained_models` (tests/conftest.py) ran load_active_or_build_default on an empty directory.
    registry = Registry(trained_models)
    [info] = registry.list()
    assert registry.active() == info.version
    assert info.training_hash == training_hash(load_seed().train)
    assert info.metrics["heldout"]["size"] == len(load_seed().heldout)
    assert "cv" in info.metrics
    again = load_active_or_build_default(trained_models)
    assert again.version == info.version
    assert len(registry.list()) == 1
