"""Realistic citizen traffic for the simulated Pages: live events, one per `Traffic.step()`.

The seeded histories live in history.py and are re-exported here.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from simulator.history import (
    POST_KINDS,
    History,
    bulk_comments,
    message_text,
    seed_history,
    seed_world,
)
from simulator.phrasebook import Phrasebook
from simulator.records import Attachment
from simulator.world import World

__all__ = ["History", "Traffic", "bulk_comments", "seed_history", "seed_world"]
DAY = timedelta(days=1)
# Live comments reach back to posts, reels and photos up to a year old.
OLDEST = 365 * DAY


class Traffic:
    """Adds one realistic event per `step()` at the world's current time.

    Comments and replies reach posts of any age up to a year, reels and album photos;
    messages sometimes carry no text (a sticker, a link, a story reply) or land outside the
    main inbox. `World.citizen_items()` is the ground truth of what exists afterwards.
    """

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.book = Phrasebook.load()
        self.people: list[tuple[str, str]] = [self.book.person(rng) for _ in range(40)]
        self._events: dict[str, tuple[int, Callable[[str], str]]] = {
            "comment": (30, self._comment),
            "reply": (12, self._reply),
            "deep_reply": (6, self._deep_reply),
            "old_post_comment": (6, self._old_post_comment),
            "old_post_reply": (3, self._old_post_reply),
            "reel_comment": (4, self._reel_comment),
            "photo_comment": (4, self._photo_comment),
            "visitor_post": (5, self._visitor_post),
            "photo_post": (3, self._photo_post),
            "album_post": (1, self._album_post),
            "reel": (1, self._reel),
            "message": (12, self._message),
            "message_without_text": (3, self._message_without_text),
            "filtered_message": (2, self._filtered_message),
            "burst": (2, self._burst),
            "edit": (5, self._edit),
            "delete": (4, self._delete),
            "page_reply": (8, self._page_reply),
            "announcement": (3, self._announcement),
        }

    def step(self) -> str:
        """Add one event and return a short Vietnamese description of it."""
        page_id = self.rng.choice(sorted(self.world.pages))
        names = list(self._events)
        weights = [self._events[name][0] for name in names]
        event = self.rng.choices(names, weights)[0]
        return self._events[event][1](page_id)

    # choosing who and what -------------------------------------------------------------
    def _citizen(self) -> tuple[str, str]:
        if self.rng.random() < 0.3:
            fresh = self.book.person(self.rng)
            self.people.append(fresh)
            return fresh
        return self.rng.choice(self.people)

    def _within_a_year(self, ids: list[str]) -> list[str]:
        edge = self.world.now() - OLDEST
        return [i for i in ids if self.world.posts[i].created >= edge]

    def _post(self, page_id: str, old: bool = False) -> str | None:
        """One of the 8 newest posts, or (old) any post of the last year."""
        posts = self.world.post_ids(page_id)
        if old:
            posts = self._within_a_year(posts) or posts
        else:
            posts = sorted(posts, key=lambda p: self.world.posts[p].created)[-8:]
        return self.rng.choice(posts) if posts else None

    def _comment_on(
        self, page_id: str, want: Callable[[str], bool], old: bool | None = None
    ) -> str | None:
        for _ in range(6):
            use_old = self.rng.random() < 0.3 if old is None else old
            post_id = self._post(page_id, old=use_old)
            if post_id is None:
                return None
            candidates = [c for c in self.world.comment_ids(post_id) if want(c)]
            if candidates:
                return self.rng.choice(candidates)
        return None

    def _is_citizen(self, comment_id: str) -> bool:
        return not self.world.comments[comment_id].by_page

    def _is_citizen_reply(self, comment_id: str) -> bool:
        comment = self.world.comments[comment_id]
        return comment.is_reply and not comment.by_page

    def _say(self, target: str, reply_share: float) -> tuple[str, str, bool]:
        """A citizen's comment on `target`, or a reply to one already there; (id, name, reply)."""
        who = self._citizen()
        existing = [c for c in self.world.comment_ids(target) if self._is_citizen(c)]
        if existing and self.rng.random() < reply_share:
            text = self.rng.choice(self.book.replies + self.book.citizen["chatter"])
            return self.world.add_comment(self.rng.choice(existing), who, text), who[1], True
        comment = self.world.add_comment(target, who, self.book.citizen_text(self.rng))
        return comment, who[1], False

    # events on posts ----------------------------------------------------------------------
    def _comment(self, page_id: str, old: bool = False) -> str:
        post_id = self._post(page_id, old)
        if post_id is None:
            return self._visitor_post(page_id)
        who = self._citizen()
        photo = self.rng.random() < 0.05
        comment_id = self.world.add_comment(
            post_id, who, self.book.citizen_text(self.rng), attachment=photo
        )
        return f"Bình luận mới của {who[1]} ({comment_id})"

    def _old_post_comment(self, page_id: str) -> str:
        return self._comment(page_id, old=True).replace("Bình luận mới", "Bình luận trên bài cũ")

    def _reply(self, page_id: str, deep: bool = False, old: bool | None = None) -> str:
        want = self._is_citizen_reply if deep else self._is_citizen
        parent = self._comment_on(page_id, want, old)
        if parent is None:
            return self._comment(page_id)
        who = self._citizen()
        text = self.rng.choice(self.book.replies + self.book.citizen["chatter"])
        reply_id = self.world.add_comment(parent, who, text)
        kind = "Trả lời nhiều tầng" if deep else "Trả lời bình luận"
        if old:
            kind = "Trả lời trên bài cũ"
        return f"{kind} của {who[1]} ({reply_id})"

    def _deep_reply(self, page_id: str) -> str:
        return self._reply(page_id, deep=True)

    def _old_post_reply(self, page_id: str) -> str:
        return self._reply(page_id, old=True)

    def _visitor_post(self, page_id: str) -> str:
        who = self._citizen()
        text = self.book.citizen_text(self.rng, self.rng.choice(POST_KINDS))
        post_id = self.world.add_post(page_id, text, who, attachment=self.rng.random() < 0.3)
        return f"Bài đăng của người dân {who[1]} ({post_id})"

    def _photo_post(self, page_id: str) -> str:
        who = self._citizen() if self.rng.random() < 0.5 else None
        post_id = self.world.add_post(page_id, None, who, attachment=True)
        return f"Bài chỉ có ảnh ({post_id})"

    # reels and album photos ---------------------------------------------------------------
    def _reel(self, page_id: str) -> str:
        reel = self.world.add_reel(page_id, self.rng.choice(self.book.page_posts))
        return f"Trang đăng reel mới ({reel})"

    def _album_post(self, page_id: str) -> str:
        text = self.rng.choice(self.book.page_posts)
        post_id = self.world.add_album_post(page_id, text, photos=self.rng.randint(2, 5))
        return f"Trang đăng album ảnh ({post_id})"

    def _reel_comment(self, page_id: str) -> str:
        reels = self._within_a_year(self.world.reel_ids(page_id))
        if not reels:
            return self._reel(page_id)
        comment, name, reply = self._say(self.rng.choice(reels), reply_share=0.3)
        kind = "Trả lời trên reel" if reply else "Bình luận trên reel"
        return f"{kind} của {name} ({comment})"

    def _photo_comment(self, page_id: str) -> str:
        albums = [p for p in self.world.post_ids(page_id) if self.world.photo_ids(p)]
        albums = self._within_a_year(albums)
        if not albums:
            return self._album_post(page_id)
        photo = self.rng.choice(self.world.photo_ids(self.rng.choice(albums)))
        comment, name, reply = self._say(photo, reply_share=0.3)
        kind = "Trả lời trên ảnh album" if reply else "Bình luận trên ảnh album"
        return f"{kind} của {name} ({comment})"

    # Messenger ----------------------------------------------------------------------------
    def _message(self, page_id: str) -> str:
        who = self._citizen()
        text = message_text(self.rng, self.book)
        attachments: list[Attachment] | None = [True] if self.rng.random() < 0.08 else None
        thread = self.world.add_message(page_id, who, text, attachments=attachments)
        return f"Tin nhắn của {who[1]} ({thread})"

    def _message_without_text(self, page_id: str) -> str:
        who = self._citizen()
        kind = self.rng.choice(("sticker", "shares", "story", "unsupported"))
        if kind == "sticker":
            thread = self.world.add_message(page_id, who, sticker=True)
        elif kind == "shares":
            link = {"link": "https://baochinhphu.vn/tin-tuc", "name": "Tin chính phủ"}
            thread = self.world.add_message(page_id, who, shares=[link])
        elif kind == "story":
            story_id = str(self.rng.randrange(10**16, 10**17))
            story = {"id": story_id, "url": f"https://www.facebook.com/stories/{story_id}"}
            thread = self.world.add_message(page_id, who, story=story)
        else:
            thread = self.world.add_message(page_id, who, unsupported=True)
        return f"Tin nhắn không có chữ ({kind}) của {who[1]} ({thread})"

    def _filtered_message(self, page_id: str) -> str:
        who = self._citizen()
        folder = self.rng.choice(("other", "other", "spam"))
        thread = self.world.add_message(page_id, who, message_text(self.rng, self.book))
        self.world.move_conversation(thread, folder)
        return f"Tin nhắn vào mục {folder} của {who[1]} ({thread})"

    def _burst(self, page_id: str) -> str:
        who = self._citizen()
        for _ in range(30):
            self.world.add_message(page_id, who, message_text(self.rng, self.book))
        thread = self.world.conversation_with(page_id, who[0])
        return f"Loạt 30 tin nhắn của {who[1]} ({thread})"

    # edits, deletions and the Page's own activity --------------------------------------------
    def _edit(self, page_id: str) -> str:
        comment_id = self._comment_on(page_id, self._is_citizen)
        if comment_id is None:
            return self._comment(page_id)
        old = self.world.comments[comment_id].message
        self.world.edit_comment(comment_id, f"{old} (đã sửa: {self.book.citizen_text(self.rng)})")
        return f"Sửa bình luận {comment_id}"

    def _delete(self, page_id: str) -> str:
        comment_id = self._comment_on(page_id, self._is_citizen)
        if comment_id is None:
            return self._comment(page_id)
        self.world.delete_comment(comment_id)
        return f"Xóa bình luận {comment_id}"

    def _page_reply(self, page_id: str) -> str:
        comment_id = self._comment_on(page_id, self._is_citizen)
        if comment_id is None:
            return self._announcement(page_id)
        reply_id = self.world.add_comment(comment_id, None, self.rng.choice(self.book.page_replies))
        return f"Trang trả lời bình luận {comment_id} ({reply_id})"

    def _announcement(self, page_id: str) -> str:
        text = self.rng.choice(self.book.page_posts)
        post_id = self.world.add_post(page_id, text, attachment=self.rng.random() < 0.3)
        return f"Trang đăng thông báo mới ({post_id})"
