"""The label set the classifier predicts: the single source for code, UI and tests.

Mirrors the tables of the labeling guide (docs checked by tests/classifier/test_labels.py).
"""

from __future__ import annotations

from typing import Final

# Precedence order: when a text mixes several things, the first applicable label wins.
CATEGORIES: Final[tuple[str, ...]] = (
    "to_cao",
    "khieu_nai",
    "phan_anh",
    "kien_nghi",
    "hoi_dap",
    "gop_y",
    "khac",
)

CATEGORY_NAMES: Final[dict[str, str]] = {
    "to_cao": "Tố cáo",
    "khieu_nai": "Khiếu nại",
    "phan_anh": "Phản ánh",
    "kien_nghi": "Kiến nghị",
    "hoi_dap": "Hỏi đáp",
    "gop_y": "Góp ý",
    "khac": "Khác",
}

FIELDS: Final[tuple[str, ...]] = (
    "khcn_cds",
    "ha_tang_moi_truong",
    "van_hoa_xa_hoi",
    "hanh_chinh",
    "an_ninh_trat_tu",
    "khac",
)

FIELD_NAMES: Final[dict[str, str]] = {
    "khcn_cds": "Khoa học, công nghệ và chuyển đổi số",
    "ha_tang_moi_truong": "Hạ tầng và môi trường",
    "van_hoa_xa_hoi": "Văn hóa - xã hội",
    "hanh_chinh": "Hành chính",
    "an_ninh_trat_tu": "An ninh trật tự",
    "khac": "Khác",
}

DEFAULT_DEPARTMENT: Final[dict[str, str]] = {
    "khcn_cds": "Phòng Văn hóa - Xã hội",
    "ha_tang_moi_truong": "Phòng Kinh tế (Kinh tế - Hạ tầng và Đô thị in wards)",
    "van_hoa_xa_hoi": "Phòng Văn hóa - Xã hội",
    "hanh_chinh": "Văn phòng HĐND và UBND / Trung tâm Phục vụ hành chính công",
    "an_ninh_trat_tu": "Công an xã/phường",
    "khac": "Văn phòng HĐND và UBND",
}

SOURCES: Final[tuple[str, ...]] = ("comment", "message", "hotline")


def category_name(label: str) -> str:
    """Vietnamese display name of a category label (the label itself when unknown)."""
    return CATEGORY_NAMES.get(label, label)


def field_name(label: str) -> str:
    """Vietnamese display name of a field label (the label itself when unknown)."""
    return FIELD_NAMES.get(label, label)
