"""Fixtures for the classifier tests: a small synthetic corpus built from templates."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from classifier.dataset import Example, SeedSet, training_hash
from classifier.evaluation import evaluate
from classifier.registry import Registry
from classifier.training import TrainingConfig, TrainingResult, train

PLACES = ["thôn Đông", "tổ dân phố 3", "xóm Chùa", "ngõ 12", "thôn Lương Xá", "khu 5", "ấp Tân Hòa"]
THINGS = ["cổng dịch vụ công", "VNeID", "wifi nhà văn hóa", "sóng 4G", "chữ ký số"]

# (template, category, field, urgent)
TEMPLATES: list[tuple[str, str, str, bool]] = [
    (
        "Cán bộ địa chính {place} đòi tiền mới ký hồ sơ, tôi tố cáo hành vi này",
        "to_cao",
        "hanh_chinh",
        False,
    ),
    ("chủ tịch xã nhận hối lộ để cho xây nhà trái phép ở {place}", "to_cao", "hanh_chinh", False),
    (
        "Ông trưởng {place} ăn chặn tiền hỗ trợ hộ nghèo, đề nghị xử lý",
        "to_cao",
        "van_hoa_xa_hoi",
        False,
    ),
    (
        "hồ sơ của tôi nộp trên {thing} bị từ chối không lý do, đề nghị xem xét lại",
        "khieu_nai",
        "khcn_cds",
        False,
    ),
    (
        "tôi không đồng ý quyết định xử phạt của xã đối với gia đình tôi ở {place}",
        "khieu_nai",
        "hanh_chinh",
        False,
    ),
    (
        "xã bác đơn xin trợ cấp của mẹ tôi là sai, đề nghị xem lại",
        "khieu_nai",
        "van_hoa_xa_hoi",
        False,
    ),
    ("{place} mất {thing} cả tuần nay rồi ad ơi", "phan_anh", "khcn_cds", False),
    ("đường {place} bị ổ gà rất nhiều, đi lại khó khăn", "phan_anh", "ha_tang_moi_truong", False),
    ("rác thải đổ bừa bãi ở đầu {place} bốc mùi hôi thối", "phan_anh", "ha_tang_moi_truong", False),
    (
        "quán karaoke ở {place} hát to đến khuya không ngủ được",
        "phan_anh",
        "an_ninh_trat_tu",
        False,
    ),
    (
        "Dây điện đứt rơi xuống đường {place}, đang tóe lửa, mọi người tránh xa",
        "phan_anh",
        "ha_tang_moi_truong",
        True,
    ),
    (
        "cháy lớn ở {place}, lửa đang lan sang nhà bên, gọi cứu hỏa gấp",
        "phan_anh",
        "ha_tang_moi_truong",
        True,
    ),
    (
        "mẹ em bị lừa cài app giả, tài khoản đang bị trừ tiền liên tục, cứu với",
        "phan_anh",
        "khcn_cds",
        True,
    ),
    (
        "có nhóm thanh niên cầm dao đánh nhau ở {place}, mọi người báo công an gấp",
        "phan_anh",
        "an_ninh_trat_tu",
        True,
    ),
    ("Đề nghị UBND xã lắp {thing} miễn phí ở {place}", "kien_nghi", "khcn_cds", False),
    ("kiến nghị xã lắp đèn đường cho {place} vì tối quá", "kien_nghi", "ha_tang_moi_truong", False),
    ("mong xã mở lớp hướng dẫn người già dùng {thing}", "kien_nghi", "khcn_cds", False),
    ("cho em hỏi đăng ký {thing} thì cần giấy tờ gì ạ", "hoi_dap", "khcn_cds", False),
    ("xin hỏi làm giấy khai sinh ở xã mất mấy ngày ạ", "hoi_dap", "hanh_chinh", False),
    ("cho hỏi bộ phận một cửa làm việc thứ bảy không ạ", "hoi_dap", "hanh_chinh", False),
    ("Bài đăng rất hữu ích, cảm ơn xã đã công khai thông tin 👍", "gop_y", "khac", False),
    ("cán bộ xã nên nói năng nhẹ nhàng hơn với dân", "gop_y", "hanh_chinh", False),
    ("trang của xã đăng tin nhanh quá, cảm ơn ad", "gop_y", "khac", False),
    ("Nhận làm thẻ tín dụng, vay nhanh không thế chấp, ib em", "khac", "khac", False),
    ("hay quá 😍😍", "khac", "khac", False),
    ("@Nguyễn Văn A vào xem này", "khac", "khac", False),
]


def synthetic_examples(per_template: int = 4, seed: int = 0) -> list[Example]:
    """Deterministic labelled examples; variants drop accents or add teencode and noise."""
    rng = random.Random(seed)
    examples: list[Example] = []
    for template, category, field, urgent in TEMPLATES:
        for copy in range(per_template):
            text = template.format(place=rng.choice(PLACES), thing=rng.choice(THINGS))
            if copy % 3 == 1:
                text = text.lower() + " ạ"
            elif copy % 3 == 2:
                text = text.replace("không", "ko") + rng.choice(["", " !!", " mn ơi", " 😡"])
            examples.append(
                Example(text, category, urgent, field, rng.choice(["comment", "message"]))
            )
    return examples


@pytest.fixture(scope="session")
def small_config() -> TrainingConfig:
    """Small, fast settings for tests (3 folds, char n-grams up to 4)."""
    return TrainingConfig(views=("char", "char_stripped", "word"), char_ngrams=(2, 4), folds=3)


@pytest.fixture(scope="session")
def corpus() -> SeedSet:
    train = synthetic_examples(per_template=5, seed=1)
    heldout = synthetic_examples(per_template=2, seed=2)
    return SeedSet(train=train, heldout=heldout)


@pytest.fixture
def make_seed_dir(tmp_path: Path) -> Callable[[dict[str, list[str]]], Path]:
    """Writes files {name: lines} to a fresh directory and returns it."""

    def make(files: dict[str, list[str]]) -> Path:
        directory = tmp_path / "seed"
        directory.mkdir(exist_ok=True)
        for name, lines in files.items():
            (directory / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        return directory

    return make


@pytest.fixture(scope="session")
def trained(corpus: SeedSet, small_config: TrainingConfig) -> TrainingResult:
    """A small model trained once per session on the synthetic corpus."""
    return train(corpus.train, small_config, seed=0)


@pytest.fixture
def models_dir(tmp_path: Path, trained: TrainingResult, corpus: SeedSet) -> Path:
    """A registry directory whose active model is the small trained one."""
    directory = tmp_path / "models"
    registry = Registry(directory)
    version = registry.save(
        trained.classifier,
        {"heldout": evaluate(trained.classifier, corpus.heldout, "heldout").summary()},
        training_hash=training_hash(corpus.train),
        training_size=len(corpus.train),
        seed=0,
        note="mô hình thử",
    )
    registry.promote(version)
    return directory
