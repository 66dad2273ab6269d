"""Serving the files officers attach to answers (storage/attachments.py).

Only ever through a view that first decided the file may be seen. A file goes out with the
type its first bytes proved when it was stored, ``nosniff`` so no browser guesses another, a
sandbox policy so nothing in it runs, and as a download unless it is a photo.
"""

from __future__ import annotations

from flask import abort, send_file
from werkzeug.wrappers import Response as BaseResponse

from review.context import services
from storage.attachments import attachments_dir, path_of
from storage.tables import ReplyAttachment


def send_attachment(row: ReplyAttachment | None) -> BaseResponse:
    if row is None:
        abort(404)
    path = path_of(attachments_dir(services().settings), row)
    if not path.is_file():
        abort(404)
    photo = row.content_type.startswith("image/")
    response = send_file(
        path,
        mimetype=row.content_type,
        as_attachment=not photo,
        download_name=row.file_name,
        conditional=True,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
