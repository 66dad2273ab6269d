"""Realistic citizen traffic for the simulated Pages: a seeded history and live events."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from simulator.phrasebook import Phrasebook
from simulator.records import Attachment
from simulator.world import World

PageSpec = tuple[str, str, str]
DAY = timedelta(days=1)
POST_KINDS = ("complaint", "urgent", "question", "denunciation")


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = max(0.0, (end - start).total_seconds())
    return start + timedelta(seconds=rng.uniform(0, span))


def seed_world(
    world: World,
    pages: list[PageSpec],
    rng: random.Random,
    *,
    posts_per_page: int = 12,
    days: int = 90,
) -> None:
    """Fill each Page with `days` of history: announcements, visitor and photo-only posts,
    comment threads with replies, and Messenger conversations."""
    book = Phrasebook.load()
    now = world.now()
    for page_id, name, token in pages:
        if page_id not in world.pages:
            world.add_page(page_id, name, token)
        people = [book.person(rng) for _ in range(30)]
        for index in range(posts_per_page):
            created = now - timedelta(seconds=rng.uniform(600, days * 86400))
            post_id = _seed_post(world, page_id, index, created, rng, book, people)
            _seed_thread(world, post_id, created, now, rng, book, people)
        for _ in range(rng.randint(3, 6)):
            _seed_conversation(world, page_id, now, days, rng, book, rng.choice(people))


def _seed_post(
    world: World,
    page_id: str,
    index: int,
    created: datetime,
    rng: random.Random,
    book: Phrasebook,
    people: list[tuple[str, str]],
) -> str:
    # Every Page gets at least one visitor post and one photo-only post.
    roll = rng.random()
    if index == 1 or (index > 2 and roll < 0.2):
        text = book.citizen_text(rng, rng.choice(POST_KINDS))
        return world.add_post(page_id, text, rng.choice(people), created, rng.random() < 0.3)
    if index == 2 or roll > 0.92:
        return world.add_post(page_id, None, None, created, attachment=True)
    return world.add_post(page_id, rng.choice(book.page_posts), None, created, rng.random() < 0.3)


def _seed_thread(
    world: World,
    post_id: str,
    created: datetime,
    now: datetime,
    rng: random.Random,
    book: Phrasebook,
    people: list[tuple[str, str]],
) -> None:
    for _ in range(rng.randint(0, 10)):
        when = _between(rng, created, min(now, created + 4 * DAY))
        photo = rng.random() < 0.05
        top = world.add_comment(post_id, rng.choice(people), book.citizen_text(rng), when, photo)
        last = top
        for depth in range(rng.choice((0, 0, 1, 1, 2, 3))):
            when = _between(rng, when, min(now, when + DAY))
            if rng.random() < 0.3:
                last = world.add_comment(top, None, rng.choice(book.page_replies), when)
            else:
                # Sometimes a reply answers the previous reply instead of the top comment.
                parent = last if depth and rng.random() < 0.4 else top
                last = world.add_comment(parent, rng.choice(people), rng.choice(book.replies), when)


def _seed_conversation(
    world: World,
    page_id: str,
    now: datetime,
    days: int,
    rng: random.Random,
    book: Phrasebook,
    user: tuple[str, str],
) -> None:
    when = now - timedelta(seconds=rng.uniform(600, days * 86400))
    for _ in range(rng.randint(2, 8)):
        from_page = rng.random() < 0.3
        text = rng.choice(book.page_replies) if from_page else _message_text(rng, book)
        world.add_message(page_id, user, text, from_page, when)
        when = _between(rng, when, min(now, when + timedelta(hours=6)))


def _message_text(rng: random.Random, book: Phrasebook) -> str:
    return rng.choice(book.messages) if rng.random() < 0.4 else book.citizen_text(rng)


class Traffic:
    """Adds one realistic event per `step()` at the world's current time."""

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
            "visitor_post": (5, self._visitor_post),
            "photo_post": (3, self._photo_post),
            "message": (12, self._message),
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

    def _post(self, page_id: str, old: bool = False) -> str | None:
        posts = self.world.post_ids(page_id)
        if old:
            edge = self.world.now() - 30 * DAY
            posts = [p for p in posts if self.world.posts[p].created < edge] or posts
        else:
            posts = sorted(posts, key=lambda p: self.world.posts[p].created)[-8:]
        return self.rng.choice(posts) if posts else None

    def _comment_on(self, page_id: str, want: Callable[[str], bool]) -> str | None:
        for _ in range(6):
            post_id = self._post(page_id, old=self.rng.random() < 0.3)
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

    # events -------------------------------------------------------------------------------
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

    def _reply(self, page_id: str, deep: bool = False) -> str:
        want = self._is_citizen_reply if deep else self._is_citizen
        parent = self._comment_on(page_id, want)
        if parent is None:
            return self._comment(page_id)
        who = self._citizen()
        text = self.rng.choice(self.book.replies + self.book.citizen["chatter"])
        reply_id = self.world.add_comment(parent, who, text)
        kind = "Trả lời nhiều tầng" if deep else "Trả lời bình luận"
        return f"{kind} của {who[1]} ({reply_id})"

    def _deep_reply(self, page_id: str) -> str:
        return self._reply(page_id, deep=True)

    def _visitor_post(self, page_id: str) -> str:
        who = self._citizen()
        text = self.book.citizen_text(self.rng, self.rng.choice(POST_KINDS))
        post_id = self.world.add_post(page_id, text, who, attachment=self.rng.random() < 0.3)
        return f"Bài đăng của người dân {who[1]} ({post_id})"

    def _photo_post(self, page_id: str) -> str:
        who = self._citizen() if self.rng.random() < 0.5 else None
        post_id = self.world.add_post(page_id, None, who, attachment=True)
        return f"Bài chỉ có ảnh ({post_id})"

    def _message(self, page_id: str) -> str:
        who = self._citizen()
        text = _message_text(self.rng, self.book)
        attachments: list[Attachment] | None = [True] if self.rng.random() < 0.08 else None
        thread = self.world.add_message(page_id, who, text, attachments=attachments)
        return f"Tin nhắn của {who[1]} ({thread})"

    def _burst(self, page_id: str) -> str:
        who = self._citizen()
        for _ in range(30):
            self.world.add_message(page_id, who, _message_text(self.rng, self.book))
        thread = self.world.conversation_with(page_id, who[0])
        return f"Loạt 30 tin nhắn của {who[1]} ({thread})"

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


def bulk_comments(world: World, page_id: str, n: int, rng: random.Random) -> None:
    """Quickly add `n` comments (about 20 % replies) over n/50 posts of the last 30 days."""
    book = Phrasebook.load()
    now = world.now()
    people = [book.person(rng) for _ in range(500)]
    texts = [book.citizen_text(rng) for _ in range(400)]
    threads: list[tuple[str, datetime, list[str]]] = []
    for _ in range(max(1, n // 50)):
        created = now - timedelta(seconds=rng.uniform(3600, 30 * 86400))
        post_id = world.add_post(page_id, rng.choice(book.page_posts), None, created)
        threads.append((post_id, created, []))
    span = 3 * 86400.0
    with world.lock:
        for _ in range(n):
            post_id, created, tops = rng.choice(threads)
            parent = rng.choice(tops) if tops and rng.random() < 0.2 else post_id
            start = world.comments[parent].created if parent != post_id else created
            when = min(start + timedelta(seconds=rng.uniform(0, span)), now)
            comment_id = world.add_comment(parent, rng.choice(people), rng.choice(texts), when)
            if parent == post_id:
                tops.append(comment_id)
