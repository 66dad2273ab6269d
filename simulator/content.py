"""Posts, reels, album photos and their comment threads in the simulated world."""

from __future__ import annotations

from datetime import datetime

from simulator.records import (
    Attachment,
    Author,
    CommentRecord,
    Person,
    PhotoRecord,
    PostRecord,
    ReelRecord,
)
from simulator.state import WorldState


def _person(author: Author) -> Person | None:
    return None if author is None else Person(str(author[0]), str(author[1]))


class ContentMixin(WorldState):
    # posts, reels and albums ----------------------------------------------------------------
    def add_post(
        self,
        page_id: str,
        message: str | None = None,
        author: Author = None,
        created_time: datetime | None = None,
        attachment: Attachment = None,
        published: bool = True,
    ) -> str:
        """A post on the Page's timeline; `author` None means the Page itself."""
        with self.lock:
            self._require_page(page_id)
            object_id = self._object_id()
            moment = self._moment(created_time)
            post = PostRecord(
                id=f"{page_id}_{object_id}",
                page_id=page_id,
                object_id=object_id,
                author=_person(author),
                message=message or None,
                created=moment,
                updated=moment,
                attachment=attachment,
                seq=self._next_seq(),
                published=published,
            )
            self.posts[post.id] = post
            self.page_posts[page_id].append(post.id)
            if published:
                self._emit("post", "add", post.id, page_id)
            return post.id

    def add_album_post(
        self,
        page_id: str,
        message: str | None = None,
        photos: int = 3,
        author: Author = None,
        created_time: datetime | None = None,
    ) -> str:
        """A multi-photo post; each photo (see `photo_ids`) has its own comment thread."""
        if photos < 1:
            raise ValueError("an album post needs at least one photo")
        with self.lock:
            post_id = self.add_post(page_id, message, author, created_time, attachment=True)
            album = self.posts[post_id]
            for _ in range(photos):
                object_id = self._object_id()
                photo = PhotoRecord(
                    id=object_id,
                    page_id=page_id,
                    object_id=object_id,
                    author=album.author,
                    message=None,
                    created=album.created,
                    updated=album.created,
                    attachment=True,
                    seq=self._next_seq(),
                    album_id=post_id,
                )
                self.posts[photo.id] = photo
                album.photo_ids.append(photo.id)
            return post_id

    def add_reel(
        self, page_id: str, text: str | None = None, created_time: datetime | None = None
    ) -> str:
        """A Page reel: listed by `/{page}/video_reels`, not by `/feed`."""
        with self.lock:
            self._require_page(page_id)
            object_id = self._object_id()
            moment = self._moment(created_time)
            reel = ReelRecord(
                id=object_id,
                page_id=page_id,
                object_id=object_id,
                author=None,
                message=text or None,
                created=moment,
                updated=moment,
                attachment=None,
                seq=self._next_seq(),
            )
            self.posts[reel.id] = reel
            self.page_reels[page_id].append(reel.id)
            self._emit("post", "add", reel.id, page_id)
            return reel.id

    def delete_post(self, post_id: str) -> None:
        """Delete a post, reel or album post; its comments (and its photos) go with it."""
        with self.lock:
            post = self.posts[post_id]
            for object_id in [post_id, *post.photo_ids]:
                gone = self.posts[object_id]
                gone.deleted = True
                for comment_id in gone.comment_ids:
                    self.comments[comment_id].deleted = True
            self._emit("post", "remove", post_id, post.page_id)

    def set_cursor_limit(self, object_id: str, limit: int | None) -> None:
        """Make `after` cursors deeper than `limit` comments fail on this object's comments."""
        with self.lock:
            self.posts[object_id].cursor_limit = limit

    # comments -------------------------------------------------------------------------------
    def add_comment(
        self,
        parent_id: str,
        author: Author = None,
        message: str = "",
        created_time: datetime | None = None,
        attachment: Attachment = None,
    ) -> str:
        """A comment on a post, reel or photo, or a reply when `parent_id` is a comment."""
        with self.lock:
            parent = self.comments.get(parent_id)
            post = self.posts[parent.post_id] if parent else self.posts.get(parent_id)
            if post is None or post.deleted or (parent is not None and parent.deleted):
                raise KeyError(f"no live post, reel, photo or comment {parent_id}")
            object_id = self._object_id()
            comment_id = f"{post.object_id}_{object_id}"
            moment = self._moment(created_time)
            comment = CommentRecord(
                id=comment_id,
                page_id=post.page_id,
                post_id=post.id,
                object_id=object_id,
                parent_id=parent_id,
                top_id=parent.top_id if parent else comment_id,
                author=_person(author),
                message=message,
                created=moment,
                attachment=attachment,
                seq=self._next_seq(),
                like_count=self._rng.choice((0, 0, 0, 1, 2, 5)),
            )
            self.comments[comment_id] = comment
            post.comment_ids.append(comment_id)
            if parent is not None:
                parent.reply_ids.append(comment_id)
            # A comment moves its object's updated_time; a reply only if the switch says so.
            if parent is None or self.behaviour.reply_bumps_post:
                self._touch(post, moment)
            self._emit("comment", "add", comment_id, post.page_id)
            return comment_id

    def _touch(self, post: PostRecord, moment: datetime) -> None:
        post.updated = max(post.updated, moment)
        if isinstance(post, PhotoRecord) and self.behaviour.photo_comment_bumps_album:
            album = self.posts[post.album_id]
            album.updated = max(album.updated, moment)

    def edit_comment(self, comment_id: str, message: str) -> None:
        with self.lock:
            comment = self._live_comment(comment_id)
            comment.message = message
            if self.behaviour.edit_bumps_post:
                self._touch(self.posts[comment.post_id], self.now())
            self._emit("comment", "edited", comment_id, comment.page_id)

    def delete_comment(self, comment_id: str) -> None:
        """Delete a comment and, as Facebook does, every reply under it."""
        with self.lock:
            comment = self._live_comment(comment_id)
            pending = [comment]
            while pending:
                current = pending.pop()
                current.deleted = True
                pending.extend(self.comments[reply] for reply in current.reply_ids)
            # One removal for the comment the person deleted, none for the replies under it.
            self._emit("comment", "remove", comment_id, comment.page_id)

    def hide_comment(self, comment_id: str, hidden: bool = True) -> None:
        with self.lock:
            comment = self._live_comment(comment_id)
            comment.hidden = hidden
            self._emit("comment", "hide" if hidden else "unhide", comment_id, comment.page_id)

    def _live_comment(self, comment_id: str) -> CommentRecord:
        comment = self.comments.get(comment_id)
        if comment is None or comment.deleted:
            raise KeyError(f"no live comment {comment_id}")
        return comment

    # listings for tests and traffic ---------------------------------------------------------
    def post_ids(self, page_id: str) -> list[str]:
        """Live timeline posts (what `/feed` can list), oldest created first."""
        with self.lock:
            return [p for p in self.page_posts[page_id] if not self.posts[p].deleted]

    def reel_ids(self, page_id: str) -> list[str]:
        with self.lock:
            return [r for r in self.page_reels[page_id] if not self.posts[r].deleted]

    def photo_ids(self, post_id: str) -> list[str]:
        """The child photos of an album post (empty for other posts)."""
        with self.lock:
            return [p for p in self.posts[post_id].photo_ids if not self.posts[p].deleted]

    def comment_ids(self, object_id: str) -> list[str]:
        """Live comments and replies on a post, reel or photo, in creation order."""
        with self.lock:
            post = self.posts[object_id]
            return [c for c in post.comment_ids if not self.comments[c].deleted]
