"""multipart/form-data bodies, as Meta takes a file: ``source`` on a comment, ``filedata`` on
the Send API. Text parts become parameters; file parts are kept as what was received."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP


@dataclass(frozen=True)
class Upload:
    """One file part: what the simulator records of it (never the bytes' meaning)."""

    field: str
    name: str
    content_type: str
    size: int
    sha256: str

    def describe(self) -> dict[str, object]:
        return {
            "field": self.field,
            "name": self.name,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
        }


def parse(content_type: str, raw: bytes) -> tuple[dict[str, str], dict[str, Upload]]:
    """The text fields and the files of a multipart body; empty when it is not one."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + raw)
    params: dict[str, str] = {}
    files: dict[str, Upload] = {}
    if not message.is_multipart():
        return params, files
    for part in message.iter_parts():
        _take(part, params, files)
    return params, files


def _take(part: Message, params: dict[str, str], files: dict[str, Upload]) -> None:
    name = part.get_param("name", header="content-disposition")
    if not isinstance(name, str):
        return
    body = part.get_payload(decode=True)
    data = body if isinstance(body, bytes) else b""
    filename = part.get_filename()
    if filename is None:
        params[name] = data.decode(part.get_content_charset() or "utf-8", "replace")
        return
    files[name] = Upload(
        name, filename, part.get_content_type(), len(data), hashlib.sha256(data).hexdigest()
    )
