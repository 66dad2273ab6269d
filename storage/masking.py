"""Short, masked excerpts of citizens' texts for notifications and leaders' reports.

Phone numbers and e-mail addresses are masked everywhere; for a confidential item (a denouncer,
Luật Tố cáo Điều 8 khoản 3) the author's name and id are also removed from the text itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASKED_AUTHOR = "(ẩn danh: thông tin người tố cáo được bảo vệ)"
# Vietnamese numbers written the usual ways: 0912345678, 0912 345 678, 091.234.5678, +84 912...
_PHONE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?!\d)")
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_SPACES = re.compile(r"\s+")


def mask_contacts(text: str) -> str:
    """Replace phone numbers and e-mail addresses with placeholders."""
    return _EMAIL.sub("[email đã ẩn]", _PHONE.sub("[số điện thoại đã ẩn]", text))


def excerpt(text: str, limit: int = 200, *, hide: Iterable[str | None] = ()) -> str:
    """The first ``limit`` characters on one line, contacts masked, ``hide`` strings removed."""
    flat = _SPACES.sub(" ", text).strip()
    for secret in hide:
        # Short ids or names ("An") would blank out ordinary words; 3 letters is the floor.
        if secret and len(secret.strip()) >= 3:
            flat = re.sub(re.escape(secret.strip()), "***", flat, flags=re.IGNORECASE)
    flat = mask_contacts(flat)
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def author_label(name: str | None, confidential: bool) -> str:
    """What a list may show as the author: nothing that identifies a denouncer."""
    if confidential:
        return MASKED_AUTHOR
    return name or ""
