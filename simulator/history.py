"""Seeded history for the simulated Pages: a short one for the demo (`seed_world`), a year of
a busy Page (`seed_history`), and a fast bulk fill of comments (`bulk_comments`)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from simulator.phrasebook import Phrasebook
from simulator.world import World

PageSpec = tuple[str, str, str]
Person = tuple[str, str]
DAY = timedelta(days=1)
POST_KINDS = ("complaint", "urgent", "question", "denunciation")
# Share of a year's comments that land on a post long after its first days.
LATE_COMMENT_SHARE = 0.15


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = max(0.0, (end - start).total_seconds())
    return start + timedelta(seconds=rng.uniform(0, span))


def message_text(rng: random.Random, book: Phrasebook) -> str:
    return rng.choice(book.messages) if rng.random() < 0.4 else book.citizen_text(rng)


# the demo's short history --------------------------------------------------------------------
def seed_world(
    world: World,
    pages: list[PageSpec],
    rng: random.Random,
    *,
    posts_per_page: int = 12,
    days: int = 90,
) -> None:
    """Fill each Page with `days` of history: announcements, visitor, photo-only and album
    posts, a reel, comment threads with replies, and Messenger conversations."""
    book = Phrasebook.load()
    now = world.now()
    for page_id, name, token in pages:
        if page_id not in world.pages:
            world.add_page(page_id, name, token)
        people = [book.person(rng) for _ in range(30)]
        for index in range(posts_per_page):
            created = now - timedelta(seconds=rng.uniform(600, days * 86400))
            post_id = _seed_post(world, page_id, index, created, rng, book, people)
            for target in [post_id, *world.photo_ids(post_id)]:
                _seed_thread(world, target, created, now, rng, book, people)
        created = now - timedelta(seconds=rng.uniform(600, days * 86400))
        reel = world.add_reel(page_id, rng.choice(book.page_posts), created)
        _seed_thread(world, reel, created, now, rng, book, people)
        for _ in range(rng.randint(3, 6)):
            _seed_conversation(world, page_id, now, days, rng, book, rng.choice(people))


def _seed_post(
    world: World,
    page_id: str,
    index: int,
    created: datetime,
    rng: random.Random,
    book: Phrasebook,
    people: list[Person],
) -> str:
    # Every Page gets at least one visitor post, one photo-only post and one album post.
    roll = rng.random()
    if index == 1 or (index > 3 and roll < 0.2):
        text = book.citizen_text(rng, rng.choice(POST_KINDS))
        return world.add_post(page_id, text, rng.choice(people), created, rng.random() < 0.3)
    if index == 2 or roll > 0.92:
        return world.add_post(page_id, None, None, created, attachment=True)
    if index == 3:
        text = rng.choice(book.page_posts)
        return world.add_album_post(page_id, text, rng.randint(2, 4), created_time=created)
    return world.add_post(page_id, rng.choice(book.page_posts), None, created, rng.random() < 0.3)


def _seed_thread(
    world: World,
    post_id: str,
    created: datetime,
    now: datetime,
    rng: random.Random,
    book: Phrasebook,
    people: list[Person],
) -> None:
    for _ in range(rng.randint(0, 10)):
        when = between(rng, created, min(now, created + 4 * DAY))
        photo = rng.random() < 0.05
        top = world.add_comment(post_id, rng.choice(people), book.citizen_text(rng), when, photo)
        last = top
        for depth in range(rng.choice((0, 0, 1, 1, 2, 3))):
            when = between(rng, when, min(now, when + DAY))
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
    user: Person,
) -> None:
    when = now - timedelta(seconds=rng.uniform(600, days * 86400))
    for _ in range(rng.randint(2, 8)):
        from_page = rng.random() < 0.3
        text = rng.choice(book.page_replies) if from_page else message_text(rng, book)
        world.add_message(page_id, user, text, from_page, when)
        when = between(rng, when, min(now, when + timedelta(hours=6)))


# a year of a busy Page -------------------------------------------------------------------------
@dataclass(frozen=True)
class History:
    """What `seed_history` created on one Page."""

    posts: int
    reels: int
    albums: int
    comments: int
    conversations: int


def seed_history(
    world: World,
    page_id: str,
    *,
    days: int = 365,
    posts_per_day: float = 3,
    rng: random.Random | None = None,
    comments_per_post: float = 2.5,
    reel_share: float = 0.03,
    album_share: float = 0.08,
    visitor_share: float = 0.06,
    conversations: int = 20,
) -> History:
    """`days` of a busy commune Page: round(days x posts_per_day) feed posts (some visitor
    and album posts) and reels, spread evenly over the span. Most comments come in a post's
    first days; a tail of them (and their replies) lands on posts of every age up to now."""
    rng = rng or random.Random(1)
    book = Phrasebook.load()
    now = world.now()
    fill = _Filler(world, rng, book, now, comments_per_post)
    counts = {"posts": 0, "reels": 0, "albums": 0}
    with world.lock:
        for _ in range(round(days * posts_per_day)):
            created = now - timedelta(seconds=rng.uniform(600, days * 86400))
            roll = rng.random()
            if roll < reel_share:
                targets = [world.add_reel(page_id, rng.choice(book.page_posts), created)]
                counts["reels"] += 1
            elif roll < reel_share + album_share:
                post = world.add_album_post(
                    page_id, rng.choice(book.page_posts), rng.randint(2, 5), created_time=created
                )
                targets = [post, *world.photo_ids(post)]
                counts["albums"] += 1
            elif roll < reel_share + album_share + visitor_share:
                text = book.citizen_text(rng, rng.choice(POST_KINDS))
                targets = [world.add_post(page_id, text, rng.choice(fill.people), created)]
            else:
                text = rng.choice(book.page_posts)
                targets = [world.add_post(page_id, text, None, created, rng.random() < 0.3)]
            counts["posts"] += roll >= reel_share
            for index, target in enumerate(targets):
                # An album's photos draw fewer comments than the post itself.
                fill.thread(target, created, 1.0 if index == 0 else 0.3)
        for _ in range(conversations):
            _seed_conversation(world, page_id, now, days, rng, book, rng.choice(fill.people))
    return History(counts["posts"], counts["reels"], counts["albums"], fill.comments, conversations)


class _Filler:
    """Comment threads drawn from pre-made pools, so a year of a Page builds quickly."""

    def __init__(
        self, world: World, rng: random.Random, book: Phrasebook, now: datetime, mean: float
    ) -> None:
        self.world, self.rng, self.book, self.now, self.mean = world, rng, book, now, mean
        self.people = [book.person(rng) for _ in range(300)]
        self.texts = [book.citizen_text(rng) for _ in range(300)]
        self.comments = 0

    def thread(self, target: str, created: datetime, weight: float) -> None:
        rng, now = self.rng, self.now
        count = min(40, int(rng.expovariate(1 / (self.mean * weight + 0.5))))
        for _ in range(count):
            if rng.random() < LATE_COMMENT_SHARE:
                when = between(rng, created, now)
            else:
                when = between(rng, created, min(now, created + 3 * DAY))
            top = self.world.add_comment(
                target, rng.choice(self.people), rng.choice(self.texts), when
            )
            self.comments += 1
            for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
                when = between(rng, when, min(now, when + DAY))
                if rng.random() < 0.3:
                    self.world.add_comment(top, None, rng.choice(self.book.page_replies), when)
                else:
                    text = rng.choice(self.book.replies)
                    self.world.add_comment(top, rng.choice(self.people), text, when)
                self.comments += 1


# a fast bulk fill ------------------------------------------------------------------------------
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
