"""The points Meta's documentation leaves open, as switches, so pakn is tested both ways.

Each default is the answer the Graph contract expects (see the corrections at the top of
the shared Graph API reference); the pollers must stay correct with either value.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Behaviour:
    """Pass as `World(behaviour=...)`; a test may also replace `world.behaviour` midway."""

    # Does a reply to a comment move its post's `updated_time`? Unverified on the real API.
    reply_bumps_post: bool = False
    # Does editing a comment move its post's `updated_time`? Unverified on the real API.
    edit_bumps_post: bool = False
    # Does a comment on a child photo of an album move the album post's `updated_time`?
    photo_comment_bumps_album: bool = False
    # `filter=stream` is documented as chronological; may `order=reverse_chronological`
    # still reverse it? Meta's SDK lists the parameter; a captured stream ignored it.
    stream_honours_order: bool = False
    # `GET /?ids=a,b` with an id that is gone or not readable: True fails the whole
    # request with code 100, False leaves that id out of the answer.
    missing_id_fails_request: bool = True
