"""Messenger threads of the simulated world: conversations, their folders, messages."""

from __future__ import annotations

import base64
from datetime import datetime

from simulator.records import Attachment, ConversationRecord, MessageRecord, Person
from simulator.state import WorldState

# `folder` values third-party code reads; Meta does not document the list.
FOLDERS = ("inbox", "other", "page_done", "spam")
STICKER_URL = "https://scontent.xx.fbcdn.net/v/t39.1997-6/sticker-369239263222822.png"


class MessengerMixin(WorldState):
    def add_message(
        self,
        page_id: str,
        user: tuple[str, str],
        message: str = "",
        from_page: bool = False,
        created_time: datetime | None = None,
        attachments: list[Attachment] | None = None,
        *,
        folder: str | None = None,
        shares: list[dict[str, str]] | None = None,
        sticker: str | bool = False,
        story: dict[str, str] | None = None,
        unsupported: bool = False,
    ) -> str:
        """Add one message to the thread with `user`, creating it if needed; returns t_... id.

        A message may carry, instead of text: `shares` (links), a `sticker` (True or an image
        URL; served as a URL before 2026-08-30 and as an attachment of type "sticker" from
        then on), `story` (a reply to the Page's story) or content the API cannot show
        (`unsupported`). `folder` moves the thread (inbox, other, page_done, spam).
        """
        with self.lock:
            self._require_page(page_id)
            key = (page_id, str(user[0]))
            if key not in self._threads:
                conversation = ConversationRecord(
                    f"t_{self._object_id()}", page_id, Person(key[1], user[1]), self._next_seq()
                )
                self.conversations[conversation.id] = conversation
                self._threads[key] = conversation.id
            conversation = self.conversations[self._threads[key]]
            if folder is not None:
                self.move_conversation(conversation.id, folder)
            record = MessageRecord(
                id="m_" + base64.urlsafe_b64encode(self._rng.randbytes(63)).decode(),
                conversation_id=conversation.id,
                from_page=from_page,
                text=message or "",
                created=self._moment(created_time),
                attachments=list(attachments or []),
                seq=self._next_seq(),
                shares=list(shares or []),
                sticker=(STICKER_URL if sticker is True else sticker) or None,
                story=story,
                unsupported=unsupported,
            )
            self.messages[record.id] = record
            conversation.message_ids.append(record.id)
            self._emit("message", "add", record.id, page_id)
            return conversation.id

    def edit_message(self, message_id: str, text: str) -> None:
        """The citizen edits the text of a message they sent (Messenger's "Edit")."""
        with self.lock:
            message = self.messages[message_id]
            message.text = text
            message.edits += 1
            page_id = self.conversations[message.conversation_id].page_id
            self._emit("message", "edited", message_id, page_id)

    def move_conversation(self, conversation_id: str, folder: str) -> None:
        """File a thread elsewhere, as an officer or Meta's filters do in the Page inbox."""
        if folder not in FOLDERS:
            raise ValueError(f"folder must be one of {', '.join(FOLDERS)}, got {folder!r}")
        with self.lock:
            self.conversations[conversation_id].folder = folder

    def conversation_with(self, page_id: str, user_id: str) -> str | None:
        with self.lock:
            return self._threads.get((page_id, user_id))

    def message_ids(self, conversation_id: str) -> list[str]:
        with self.lock:
            return list(self.conversations[conversation_id].message_ids)

    def last_message(self, conversation_id: str, from_user: bool = False) -> MessageRecord | None:
        """The newest message of a thread (only the user's messages when from_user)."""
        with self.lock:
            found: MessageRecord | None = None
            for message_id in self.conversations[conversation_id].message_ids:
                message = self.messages[message_id]
                if from_user and message.from_page:
                    continue
                if found is None or (message.created, message.seq) > (found.created, found.seq):
                    found = message
            return found

    def conversation_ids(self, page_id: str, folder: str | None = None) -> list[str]:
        """The Page's threads, in every folder unless `folder` is given."""
        with self.lock:
            return [
                c.id
                for c in self.conversations.values()
                if c.page_id == page_id and folder in (None, c.folder)
            ]
