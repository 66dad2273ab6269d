"""SQLAlchemy tables. In this project "model" means the classifier, so ORM classes live here."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text  # Item has a column named text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.search_text import search_text as folded_search_text

# Named constraints so Alembic's batch mode (SQLite) can alter them later.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SOURCES = ("facebook_comment", "facebook_message", "facebook_post", "hotline")
STATUSES = (
    "new",
    "acknowledged",
    "in_triage",
    "assigned",
    "in_progress",
    "waiting_citizen",
    "transferred",
    "answered",
    "closed",
    "not_actionable",
    "reopened",
)
OPEN_STATUSES = tuple(s for s in STATUSES if s not in ("answered", "closed", "not_actionable"))
# Open items whose deadline still runs: a transfer is the unit's handling of an item outside its
# competence (README, "Reports: what each figure counts"), so a transferred item, still open
# until an officer closes it, is never due or overdue.
RUNNING_STATUSES = tuple(s for s in OPEN_STATUSES if s != "transferred")
_OPEN_ITEMS_SQL = (
    "status NOT IN (" + ", ".join(f"'{s}'" for s in STATUSES if s not in OPEN_STATUSES) + ")"
)
# What ix_items_search_words indexes: the words of the folded text and sender.
SEARCH_WORDS_SQL = "to_tsvector('simple'::regconfig, search_text)"
# The triage view's items (storage/queue_search.py) as SQLAlchemy writes the condition.
_TRIAGE_SQL = (
    _OPEN_ITEMS_SQL
    + " AND (status IN ('new', 'reopened') OR flagged IS {true})"
    + " AND set_aside IS {false} AND by_page IS {false}"
)
# What ix_items_triage_units carries besides its keys: the columns the queue filters test.
TRIAGE_FILTERED_COLUMNS = (
    "urgent",
    "category",
    "field",
    "source",
    "page_id",
    "assignee_id",
    "created_time",
)
ROLES = ("officer", "leader", "admin")
REPLY_KINDS = ("public_comment", "private_reply", "messenger")
# "unknown": Facebook may or may not have posted it (the sender died mid-send, or the answer
# to the POST was an error that can come after the write was applied); an officer checks the
# Page before sending it again. Plain strings in a String(12) column: no migration needed.
REPLY_STATES = ("pending", "sending", "sent", "failed", "unknown", "cancelled")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite keeps no time zone, PostgreSQL gets UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a time zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _search_text_of_row(context: Any) -> str:
    row = context.get_current_parameters()
    return folded_search_text(row.get("text"), row.get("author_name"), row.get("author_phone"))


def postgresql_only(index: Index) -> Index:
    """An index only PostgreSQL gets. SQLAlchemy honours ddl_if() but Alembic's comparison
    does not: ``include_object`` (below) keeps it out of SQLite's comparison."""
    index.info["only_on"] = "postgresql"
    return index.ddl_if(dialect="postgresql")


def include_object(dialect: str) -> Any:
    """Alembic's ``include_object`` hook for a database of ``dialect``."""

    def include(obj: Any, _name: str | None, kind: str, _reflected: bool, _other: Any) -> bool:
        only_on = obj.info.get("only_on") if kind == "index" else None
        return only_on is None or only_on == dialect

    return include


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class Unit(Base):
    __tablename__ = "units"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="xa")


class Page(Base):
    """A fanpage and its polling state; the state lives with the items it produced."""

    __tablename__ = "pages"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"))
    name: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    feed_watermark: Mapped[datetime | None]
    conversations_watermark: Mapped[datetime | None]
    last_sweep_at: Mapped[datetime | None]
    last_poll_started_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_class: Mapped[str | None] = mapped_column(String(16))
    last_error_at: Mapped[datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    quarantined_at: Mapped[datetime | None]
    quarantine_token_fp: Mapped[str | None] = mapped_column(String(64))
    throttled_until: Mapped[datetime | None]
    usage_percent: Mapped[float | None] = mapped_column(Float)
    usage_json: Mapped[str | None] = mapped_column(Text)
    api_version_seen: Mapped[str | None] = mapped_column(String(16))
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None]
    # When the administrators were told the page is down; cleared by the "recovered" message,
    # so one incident gives one alert however many cycles it lasts.
    down_alerted_at: Mapped[datetime | None]
    # Feed discovery (monitor/discovery.py): creation-time ranges of the feed not listed yet
    # (JSON [[from, to], ...]); a capped walk leaves the rest here instead of skipping it.
    feed_gaps: Mapped[str | None] = mapped_column(Text)
    # Newest reel creation time whose older reels are all known.
    reels_watermark: Mapped[datetime | None]
    # The last full listing of every Messenger folder back to poll.watch_days.
    conversations_swept_at: Mapped[datetime | None]


class Post(Base):
    """An object whose comments are watched: a feed post, a reel, or one photo of an album post
    (``parent_post_id``), with what was last seen of it and when it is checked again."""

    __tablename__ = "posts"
    __table_args__ = (Index("ix_posts_due", "page_id", "next_check_at"),)
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    page_id: Mapped[str] = mapped_column(ForeignKey("pages.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8), default="post", server_default="post")
    parent_post_id: Mapped[str | None] = mapped_column(String(80))
    created_time: Mapped[datetime]
    updated_time: Mapped[datetime | None]
    # The post's updated_time whose comments were all stored: advanced with the last batch.
    processed_updated_time: Mapped[datetime | None]
    # Comment count (replies included) last seen, and the one whose comments were all stored:
    # replies and photo comments may leave updated_time alone, the count still moves.
    comment_count: Mapped[int | None] = mapped_column(Integer)
    processed_comment_count: Mapped[int | None] = mapped_column(Integer)
    # Newest comment creation time read: the next read asks only from here (minus overlap).
    comments_seen_until: Mapped[datetime | None]
    checked_at: Mapped[datetime | None]
    next_check_at: Mapped[datetime | None]
    # Failures of this object alone, backed off on their own (next_check_at moves away).
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    # "Does not exist" answers in a row; gone_at is set after two.
    missing_checks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    gone_at: Mapped[datetime | None]
    message: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[str | None] = mapped_column(String(40))
    author_name: Mapped[str | None] = mapped_column(String(200))
    by_page: Mapped[bool] = mapped_column(Boolean, default=True)
    permalink: Mapped[str | None] = mapped_column(Text)
    last_full_scan_at: Mapped[datetime | None]


class Conversation(Base):
    __tablename__ = "conversations"
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    page_id: Mapped[str] = mapped_column(ForeignKey("pages.id"), index=True)
    participant_id: Mapped[str | None] = mapped_column(String(40))
    participant_name: Mapped[str | None] = mapped_column(String(200))
    updated_time: Mapped[datetime | None]
    processed_updated_time: Mapped[datetime | None]
    last_citizen_message_at: Mapped[datetime | None]
    # Failures of this conversation alone; it is read again from retry_at on.
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    retry_at: Mapped[datetime | None]


class Item(Base):
    """One citizen comment, message, visitor post or hotline call: the unit of the queue."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_items_source_external_id"),
        Index("ix_items_queue", "unit_id", "status", "due_at"),
        # by_page too: the "Tất cả" tab's count (queue_search.all_count) reads the index alone.
        Index("ix_items_created", "unit_id", "created_time", "by_page"),
        # The queue views (storage/queue_search.py) read open items in deadline order across
        # several units, count them per view, and list everything newest first. Partial indexes
        # keep the open backlog small to scan however many closed items pile up over the years;
        # the queries write the status list as literals so PostgreSQL can match the predicate.
        Index(
            "ix_items_open_due",
            "due_at",
            "id",
            postgresql_where=sql_text(_OPEN_ITEMS_SQL),
            sqlite_where=sql_text(_OPEN_ITEMS_SQL),
        ),
        Index(
            "ix_items_open_units",
            "unit_id",
            "status",
            "due_at",
            "flagged",
            "assignee_id",
            "by_page",
            # Counted apart (the "không cần xử lý" view): the counts stay index-only.
            "set_aside",
            postgresql_where=sql_text(_OPEN_ITEMS_SQL),
            sqlite_where=sql_text(_OPEN_ITEMS_SQL),
        ),
        # The new items to triage, in deadline order across the viewer's units: walked in that
        # order with the units read from the index, the first page costs its 50 rows instead
        # of the whole triage backlog of the units (measured: bench/queue_bench.py, migration
        # 0015). The predicate has the query's words (queue_search._work_clause) per dialect,
        # or neither database would match it.
        Index(
            "ix_items_triage",
            "due_at",
            "id",
            "unit_id",
            postgresql_where=sql_text(_TRIAGE_SQL.format(true="true", false="false")),
            sqlite_where=sql_text(_TRIAGE_SQL.format(true="1", false="0")),
        ),
        # "Việc của tôi": an officer's open items in deadline order, wherever they stand in
        # the units' backlog (at 1,000,000 items, 2,100 of them: 4.3 ms through
        # ix_items_open_units and a table read each, then a sort; from here, 0.8 ms).
        Index(
            "ix_items_open_assignee",
            "assignee_id",
            "due_at",
            "id",
            "unit_id",
            postgresql_where=sql_text(_OPEN_ITEMS_SQL + " AND by_page IS false"),
            sqlite_where=sql_text(_OPEN_ITEMS_SQL + " AND by_page IS 0"),
        ),
        # The same backlog per unit, with the columns the queue filters test (storage/
        # queue_filters.py) carried along: a filtered triage list of an officer's few units is
        # read unit by unit from the index alone, instead of the whole backlog of every unit
        # and then each candidate's row (measured at 1,000,000 items, 6 units: the page and its
        # count from 16 to 2.5 ms). PostgreSQL only: SQLite has no INCLUDE, and its lists read
        # the units' rows anyway (ix_items_queue).
        postgresql_only(
            Index(
                "ix_items_triage_units",
                "unit_id",
                "due_at",
                "id",
                postgresql_include=list(TRIAGE_FILTERED_COLUMNS),
                postgresql_where=sql_text(_TRIAGE_SQL.format(true="true", false="false")),
            )
        ),
        # The denunciations among the threads of a page of items (storage/visibility.py: the
        # shield, and the identity test of every search and author filter). They are a few in
        # a hundred: without it each thread looked up read every item of the thread.
        Index(
            "ix_items_confidential_threads",
            "thread_id",
            "author_id",
            "source",
            "assignee_id",
            postgresql_where=sql_text("confidential IS true"),
            sqlite_where=sql_text("confidential IS 1"),
        ),
        Index("ix_items_newest", "created_time", "id"),
        # The small talk figures (storage/small_talk.py, shown on its view) count the items the
        # rule set aside in some units, from the index alone.
        Index(
            "ix_items_set_aside_units",
            "unit_id",
            "created_time",
            "set_aside",
            "status",
            postgresql_where=sql_text("set_aside_at IS NOT NULL"),
            sqlite_where=sql_text("set_aside_at IS NOT NULL"),
        ),
        # Search (storage/queue_search.py) on PostgreSQL: whole words from a full-text index of
        # the folded words ('simple': as they are), numbers that may be part of a longer one
        # (LIKE '%0912345%') from trigrams. SQLite has neither: it reads the viewer's units.
        postgresql_only(
            Index(
                "ix_items_search_text",
                "search_text",
                postgresql_using="gin",
                postgresql_ops={"search_text": "gin_trgm_ops"},
            )
        ),
        postgresql_only(
            Index(
                "ix_items_search_words",
                sql_text(SEARCH_WORDS_SQL),
                postgresql_using="gin",
            )
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(24))
    external_id: Mapped[str] = mapped_column(String(160))
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"))
    page_id: Mapped[str | None] = mapped_column(ForeignKey("pages.id"))
    thread_id: Mapped[str | None] = mapped_column(String(80), index=True)
    parent_id: Mapped[str | None] = mapped_column(String(160))
    author_id: Mapped[str | None] = mapped_column(String(40))
    author_name: Mapped[str | None] = mapped_column(String(200))
    author_phone: Mapped[str | None] = mapped_column(String(40))
    by_page: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text, default="")
    # The folded text and sender (storage/search_text.py) that search matches: ingest() fills
    # it; the default covers rows written by other means (bulk loads, fixtures).
    search_text: Mapped[str] = mapped_column(Text, default=_search_text_of_row, server_default="")
    attachments: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_time: Mapped[datetime]
    permalink: Mapped[str | None] = mapped_column(Text)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    edited: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[datetime | None]
    missing_checks: Mapped[int] = mapped_column(Integer, default=0)
    # Labels: the classifier's proposal and the current (possibly corrected) labels.
    pred_category: Mapped[str | None] = mapped_column(String(16))
    pred_urgent: Mapped[bool | None] = mapped_column(Boolean)
    pred_field: Mapped[str | None] = mapped_column(String(24))
    confidence: Mapped[float | None] = mapped_column(Float)
    model_version: Mapped[str | None] = mapped_column(String(64))
    classified_at: Mapped[datetime | None]
    category: Mapped[str | None] = mapped_column(String(16))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    field: Mapped[str | None] = mapped_column(String(24))
    labels_reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    labels_reviewed_at: Mapped[datetime | None]
    labels_corrected: Mapped[bool] = mapped_column(Boolean, default=False)
    # Queue.
    status: Mapped[str] = mapped_column(String(20), default="new")
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_reasons: Mapped[str | None] = mapped_column(String(200))
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    department: Mapped[str | None] = mapped_column(String(120))
    # The department of the unit's list (storage/departments.py); ``department`` is its name.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    due_at: Mapped[datetime | None]
    deadline_rule: Mapped[str | None] = mapped_column(String(120))
    acknowledged_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # A citizen's "chưa hài lòng" starts a second handling round (storage/satisfaction.py):
    # when it did (indexed: the reports count the rounds reopened in a period), and the first
    # round frozen as it stood, for the figures of its own period: the deadline it was measured
    # against, when it was handled, when it was answered. due_at, answered_at and closed_at
    # are then the second round's.
    reopened_at: Mapped[datetime | None] = mapped_column(index=True)
    first_due_at: Mapped[datetime | None]
    first_handled_at: Mapped[datetime | None]
    first_answered_at: Mapped[datetime | None]
    # Indexed: every item page looks up the items marked duplicates of it.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    alerted_at: Mapped[datetime | None]
    # Small talk ("Vâng ạ", "Đồng ý với bạn trên") set aside at ingest (storage/small_talk.py):
    # no deadline, out of the work views, swept from its own view. set_aside_at stays when an
    # officer pulls the item back (set_aside false): together they count what the rule did.
    set_aside: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sql_text("false")
    )
    set_aside_at: Mapped[datetime | None]


class ItemVersion(Base):
    """A previous text of an edited item, kept as evidence."""

    __tablename__ = "item_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    attachments: Mapped[str | None] = mapped_column(Text)
    replaced_at: Mapped[datetime]


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(4), default="vi")
    created_at: Mapped[datetime]
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    # Copied into the session cookie at sign-in; raised on sign-out and on a new password, which
    # ends every session issued before (storage/users.py).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class UserUnit(Base):
    __tablename__ = "user_units"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), primary_key=True)


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)


class Reply(Base):
    """An officer's answer; the web writes it, the daemon sends it with the page token."""

    __tablename__ = "replies"
    # Each officer's live poll asks for their replies that failed lately (queue_live.reply_news).
    __table_args__ = (Index("ix_replies_problems", "created_by", "status", "updated_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    graph_id: Mapped[str | None] = mapped_column(String(160))
    error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_until: Mapped[datetime | None]


class Notification(Base):
    """One message to one recipient; the unique key makes every event go out once."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    event: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[str | None] = mapped_column(String(64))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    target_name: Mapped[str] = mapped_column(String(200))
    target_ref: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


class CalendarDay(Base):
    """An admin-edited exception to the public holiday calendar."""

    __tablename__ = "calendar_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # "off" or "work" (ngày làm bù)
    note: Mapped[str] = mapped_column(String(200), default="")


class RejectedPayload(Base):
    """A Graph object we could not store as an item: kept verbatim with the reason."""

    __tablename__ = "rejected_payloads"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    page_id: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(32))
    raw: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class WebhookDelivery(Base):
    """A signed delivery from Meta's webhooks, kept verbatim before the receiver answers 200.

    The daemon consumes it into targeted reads; ``status`` is new, consumed, ignored (a page we
    do not watch, an event we do not need) or set_aside (malformed, with the reason).
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_status", "status", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime]
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="new")
    reason: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_until: Mapped[datetime | None]
    consumed_at: Mapped[datetime | None]


class WebhookPageState(Base):
    """Per page: when a webhook event last arrived and how many, for page health and alerts,
    and the page's webhook subscription as the daemon last read it."""

    __tablename__ = "webhook_page_state"
    page_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_event_at: Mapped[datetime | None]
    events_total: Mapped[int] = mapped_column(Integer, default=0)
    silent_alerted_at: Mapped[datetime | None]
    # What the daemon last read of ``/{page}/subscribed_apps``: the apps installed on the page
    # with their fields (JSON list of {id, name, fields}), when, and the reason if it failed.
    subscribed_apps: Mapped[str | None] = mapped_column(Text)
    subscriptions_read_at: Mapped[datetime | None]
    subscriptions_error: Mapped[str | None] = mapped_column(Text)


class RatePause(Base):
    """A pause Meta imposed (a throttle), scoped to what it throttled: the app (``page_id``
    empty, ``kind`` "app"), a page ("page") or one usage type of a page ("pages", "messenger").
    Shared here so every daemon holds it and ends it at the same time."""

    __tablename__ = "rate_pauses"
    page_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    until: Mapped[datetime]
    # True when Meta stated the time (estimated_time_to_regain_access); else a computed backoff.
    stated: Mapped[bool] = mapped_column(Boolean, default=False)
    backoff_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    reason: Mapped[str] = mapped_column(String(80), default="")
    set_at: Mapped[datetime]


class Department(Base):
    """A department of a unit (phòng ban), from the list its admins keep (storage/departments)."""

    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("unit_id", "name", name="uq_departments_unit_id_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"))
    name: Mapped[str] = mapped_column(String(120))
    # The fields (classifier.labels.FIELDS) routed here, comma-separated; "" routes by name only.
    fields: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class TrackingCode(Base):
    """The code a citizen follows an item with (/tra-cuu/<code>), and the reply that gave it."""

    __tablename__ = "tracking_codes"
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    issued_at: Mapped[datetime]
    given_reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id"))
    given_at: Mapped[datetime | None]
    # Raised by whoever claims the right to send the code (storage/tracking.py): two officers
    # answering at once give it once.
    version: Mapped[int] = mapped_column(Integer, default=0)


class Publication(Base):
    """An answer made public (NĐ 20/2008 Điều 19): a reply of the item or a result text."""

    __tablename__ = "publications"
    __table_args__ = (Index("ix_publications_unit", "unit_id", "published_at"),)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"))
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id"))
    result_text: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime]
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Rating(Base):
    """A citizen's rating of the answer: one per item, the first one counts."""

    __tablename__ = "ratings"
    __table_args__ = (Index("ix_ratings_unit", "unit_id", "rated_at"),)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"))
    satisfied: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime]


class Transfer(Base):
    """An item sent to the competent agency or level, with the slip's facts and its clock."""

    __tablename__ = "transfers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    agency: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    # 05 working days from receipt (NĐ 20/2008 Điều 9.1.d, Luật Tố cáo 2018 Điều 24.2).
    due_at: Mapped[datetime]
    transferred_at: Mapped[datetime]
    transferred_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class SavedFilter(Base):
    """A queue filter an officer named and keeps (storage/saved_filters.py)."""

    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_filters_user_id_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(80))
    view: Mapped[str] = mapped_column(String(16))
    # The form's fields as JSON {"category": "phan_anh", ...}: the web reads them back.
    params: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class CannedReply(Base):
    """A unit's ready answer to a question citizens keep asking (storage/canned_replies.py).

    Never deleted, only switched off: a unit with no row at all gets the defaults on first use.
    """

    __tablename__ = "canned_replies"
    __table_args__ = (UniqueConstraint("unit_id", "title", name="uq_canned_replies_unit_id_title"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


# Proposals to the leadership and their directions (storage/proposals.py). "approved" and
# "changed" (approved with the leader's changes) are directions an answer may follow;
# "returned" goes back to the officers with the leader's direction, to be revised.
PROPOSAL_STATES = ("pending", "approved", "changed", "returned")
MODERATION_ACTIONS = ("hide", "unhide")
# Like a reply's: "unknown" means Facebook may or may not have applied it (storage/moderation.py).
MODERATION_STATES = ("pending", "sending", "done", "failed", "unknown", "cancelled")


class Proposal(Base):
    """An officer's proposal on one item or a group (summary, proposed handling, department,
    deadline) and the leader's direction (ý kiến chỉ đạo) on it."""

    __tablename__ = "proposals"
    __table_args__ = (Index("ix_proposals_unit_state", "unit_id", "state"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"))
    summary: Mapped[str] = mapped_column(Text)
    handling: Mapped[str] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(String(120))
    deadline: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(12), default="pending")
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime]
    direction: Mapped[str | None] = mapped_column(Text)
    directed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    directed_at: Mapped[datetime | None]
    # What the leader decided: the proposal's own values when approved as proposed.
    directed_department: Mapped[str | None] = mapped_column(String(120))
    directed_deadline: Mapped[datetime | None]
    # Raised by every decision and revision (conditional UPDATE): two leaders deciding at
    # once, or a decision on a version the leader did not read, cannot both stand.
    version: Mapped[int] = mapped_column(Integer, default=0)


class ProposalItem(Base):
    """The items a proposal covers (one, or a group of similar reports)."""

    __tablename__ = "proposal_items"
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True, index=True)


class DirectionRule(Base):
    """A unit's category whose answers to citizens wait for an approved direction."""

    __tablename__ = "direction_rules"
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), primary_key=True)
    category: Mapped[str] = mapped_column(String(16), primary_key=True)
    set_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime]


class ModerationRequest(Base):
    """An officer's request to hide (or show again) a comment on the Page: the web writes it,
    the daemon performs it at most once (storage/moderation.py, monitor/moderation.py)."""

    __tablename__ = "moderation_requests"
    __table_args__ = (Index("ix_moderation_requests_status", "status", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    action: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    # The comment as it read when the officer asked: kept as evidence whatever happens next.
    text_kept: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="pending")
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_until: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class ReplyAttachment(Base):
    """A photo or document an officer attached to a reply (storage/attachments.py): the file
    lives under ``<data_dir>/attachments/<item>/<stored_name>``, this row says what it is and
    whether the daemon sent it to Facebook (its own claim, like a reply's: at most once)."""

    __tablename__ = "reply_attachments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    reply_id: Mapped[int] = mapped_column(ForeignKey("replies.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime]
    # with_reply (goes in the reply's own request), pending (its own message after the reply),
    # sending, sent, unknown, failed, not_sent (only shown on the status page).
    status: Mapped[str] = mapped_column(String(12), index=True)
    updated_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A file certainly not sent (transient, throttled) waits until then, as a reply does.
    next_attempt_at: Mapped[datetime | None]
    graph_id: Mapped[str | None] = mapped_column(String(160))
    error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_until: Mapped[datetime | None]
