"""Queue lists and search, paginated by keyset so that page 100 costs what page 1 costs.

Each list is a filter on the viewer's units (and the officer's own filters, storage/
queue_filters.py) plus an order on one column and the id; the cursor is the last row's (value,
id). Ordering by deadline puts urgent items (4-hour rule) first
without a separate sort key. Items without a deadline (only possible without a deadline policy)
come after the others, ordered by id. Small talk set aside at ingest (storage/small_talk.py) has
no deadline and its own view, newest first; it is not among the new items to triage.

Search matches the folded copy of each item's text and sender (``items.search_text``, see
storage/search_text.py), a word as a whole word. On PostgreSQL a full-text index of its words
(``ix_items_search_words``, 'simple' configuration: no stemming, no stop words) finds the items
holding every word, and a trigram index the numbers that may be part of a longer one; SQLite
reads the viewer's units and tests one LIKE per word. Text searches rank their matches in tiers
(the numbered item, the whole phrase in the text, the rest), each newest first; each tier is
its own query under a LIMIT, tried first among the viewer's newest items (RECENT_WINDOW) so that
a common word does not read and sort every item that holds it, and the tier is the first part
of the cursor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session

from storage.queue_filters import QueueFilters
from storage.search_text import (
    NUMBER_PART,
    SEPARATOR,
    fold,
    item_number,
    search_terms,
    search_text,
)
from storage.tables import OPEN_STATUSES, STATUSES, Item, UTCDateTime
from storage.visibility import (
    ItemCard,
    Viewer,
    card,
    identity_clause,
    is_shielded,
    shielded_conversations,
    unit_clause,
)

VIEWS: Final = ("triage", "mine", "due_soon", "overdue", "small_talk", "all")
COUNTED_VIEWS: Final = ("triage", "mine", "due_soon", "overdue", "small_talk")
PAGE_SIZE: Final = 50
# "Tất cả" holds every item ever received, closed ones too: a million at city scale, where an
# exact count(*) reads the whole of the units' index on every page and every live poll (hundreds
# of milliseconds on PostgreSQL, which keeps no row count). Past this many the list says "more
# than" instead: counting stops at the cap, a bounded index read like a page of the list. 1,000
# is 20 pages of 50, more than anyone pages through (they filter or search instead), and costs
# about a millisecond where 10,000 cost ten on every page and poll (bench/queue_bench.py).
ALL_COUNT_CAP: Final = 1_000
# "Tất cả" under an officer's filters (category, not urgent, no reply...) is counted up to
# this many: the filters are not in any index, so each item counted is read from the table, and
# at 1,000,000 items a count to 1,000 read 1,300 to 54,000 rows (10 to 60 ms) on every page,
# where 200 (four pages) costs about 10 ms. Past it the pager says "hơn 200 mục": time to narrow
# the filter, or take the figures from the reports.
FILTERED_COUNT_CAP: Final = 200
# Newest-first lists of at most this many units are read unit by unit (_first_keys).
MERGED_UNITS: Final = 16
# A text search first looks among the viewer's newest this many items (_Window): common
# words match tens of thousands of items at city scale, and the word index hands over every one
# of them, to be read and sorted for a page of 50 (a leader's "mất sóng" at 1,000,000 items:
# 343 ms; within the newest 2,000 items: 10 ms). When the newest items hold a page of matches,
# those are the first matches of all, every item left out being older; otherwise (rare words,
# the usual search) the whole table is searched, after a few milliseconds' try.
RECENT_WINDOW: Final = 2_000
_CLOSED_STATUSES = tuple(s for s in STATUSES if s not in OPEN_STATUSES)
_CURSOR = re.compile(r"^(?:v(-?\d{1,20})_(\d{1,18})|n(\d{1,18}))$")
_RANKED_CURSOR = re.compile(r"^r([0-2])_(-?\d{1,20}_\d{1,18})$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The text search configuration of ix_items_search_words: words as they are, lower-cased.
_SIMPLE: Final[ColumnElement[Any]] = literal_column("'simple'::regconfig")
# A folded word the full-text parser keeps whole, as the same lexeme, wherever it stands.
_INDEXED_WORD: Final = re.compile(r"^[0-9a-z]{1,100}$")


@dataclass(frozen=True)
class ItemPage:
    cards: list[ItemCard]
    next_cursor: str | None
    # The cursor of the page before, when this page is not the first and the one before is not
    # the first either (None then: the first page has no cursor).
    prev_cursor: str | None = None


@dataclass(frozen=True)
class ViewCount:
    """How many items a list holds; ``capped``: at least ``value`` + 1, not counted further."""

    value: int
    capped: bool = False


@dataclass(frozen=True)
class _Order:
    column: Any
    descending: bool
    nullable: bool


_BY_DEADLINE = _Order(Item.due_at, descending=False, nullable=True)
_NEWEST_FIRST = _Order(Item.created_time, descending=True, nullable=False)


def view_clause(view: str, viewer: Viewer, now: datetime, soon: timedelta) -> ColumnElement[bool]:
    """The filter of one queue view (besides the viewer's units)."""
    if view == "all":
        return true()
    return and_(_still_open(), _work_clause(view, viewer, now, soon))


def _work_clause(view: str, viewer: Viewer, now: datetime, soon: timedelta) -> ColumnElement[bool]:
    """What singles out a work view among the open items."""
    if view == "triage":
        # Small talk set aside at ingest waits in its own view, not among the new items.
        fresh = or_(Item.status.in_(_literal(("new", "reopened"))), Item.flagged.is_(True))
        return and_(fresh, Item.set_aside.is_(False))
    if view == "small_talk":
        return Item.set_aside.is_(True)
    if view == "mine":
        return Item.assignee_id == viewer.user_id
    if view == "due_soon":
        return and_(Item.due_at >= now, Item.due_at <= now + soon, _deadline_runs())
    if view == "overdue":
        return and_(Item.due_at < now, _deadline_runs())
    raise ValueError(f"unknown queue view {view!r}; one of {', '.join(VIEWS)}")


def _literal(values: tuple[str, ...]) -> Any:
    # Written into the SQL rather than bound, so that PostgreSQL can prove that the query only
    # wants open items and use the partial indexes on them (storage/tables.py).
    return bindparam("statuses", values, unique=True, expanding=True, literal_execute=True)


def _deadline_runs() -> ColumnElement[bool]:
    # A transferred item is handled for the figures (storage/reports.py): never due, never late.
    return Item.status != "transferred"


def _still_open() -> ColumnElement[bool]:
    # The same words as the partial indexes' predicate in storage/tables.py.
    return Item.status.not_in(_literal(_CLOSED_STATUSES))


def _base(viewer: Viewer) -> Select[Item]:
    return select(Item).where(unit_clause(viewer), Item.by_page.is_(False))


def queue_page(
    session: Session,
    viewer: Viewer,
    view: str,
    *,
    now: datetime,
    soon: timedelta,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
    filters: QueueFilters | None = None,
) -> ItemPage:
    query = _view_query(viewer, view, now, soon, filters)
    # Small talk has no deadline to order by: newest first, like everything.
    order = _NEWEST_FIRST if view in ("all", "small_talk") else _BY_DEADLINE
    return _paginate(session, viewer, query, order, cursor, limit)


def _view_query(
    viewer: Viewer, view: str, now: datetime, soon: timedelta, filters: QueueFilters | None
) -> Select[Item]:
    query = _base(viewer).where(view_clause(view, viewer, now, soon))
    if filters is not None:
        query = query.where(*filters.clauses(viewer))
    return query


def view_count(
    session: Session,
    viewer: Viewer,
    view: str,
    *,
    now: datetime,
    soon: timedelta,
    filters: QueueFilters | None = None,
) -> ViewCount:
    """The items of one queue view under the officer's filters: the WHERE of queue_page.
    The work views hold open items (their partial indexes count them); "all" counts up to
    ALL_COUNT_CAP, or FILTERED_COUNT_CAP under filters (see there)."""
    ids = _view_query(viewer, view, now, soon, filters).with_only_columns(Item.id)
    if view != "all":
        return ViewCount(int(session.scalar(select(func.count()).select_from(ids.subquery())) or 0))
    filtered = filters is not None and filters.active()
    return capped_count(session, ids, FILTERED_COUNT_CAP if filtered else ALL_COUNT_CAP)


def capped_count(session: Session, ids: Select[Any], cap: int) -> ViewCount:
    found = session.scalar(select(func.count()).select_from(ids.limit(cap + 1).subquery())) or 0
    return ViewCount(min(int(found), cap), capped=found > cap)


def all_count(session: Session, viewer: Viewer) -> ViewCount:
    """The "Tất cả" tab's number: every item in the viewer's units, up to ALL_COUNT_CAP."""
    return capped_count(session, _base(viewer).with_only_columns(Item.id), ALL_COUNT_CAP)


def queue_counts(
    session: Session, viewer: Viewer, *, now: datetime, soon: timedelta
) -> dict[str, int]:
    """Open items per work view, in one pass over the viewer's open items."""
    columns = [
        func.count().filter(_work_clause(v, viewer, now, soon)).label(v) for v in COUNTED_VIEWS
    ]
    row = session.execute(
        select(*columns).where(unit_clause(viewer), Item.by_page.is_(False), _still_open())
    ).one()
    return {v: int(row._mapping[v] or 0) for v in COUNTED_VIEWS}


@dataclass(frozen=True)
class SearchFilters:
    """Search criteria; empty strings and None mean "any". ``received_to`` is exclusive."""

    text: str = ""
    author: str = ""
    category: str = ""
    status: str = ""
    unit_id: str = ""
    received_from: datetime | None = None
    received_to: datetime | None = None

    def clauses(
        self, viewer: Viewer, dialect: str = "sqlite", *, word_index: bool = True
    ) -> list[ColumnElement[bool]]:
        """The SQL conditions; ``dialect`` picks how words are matched (the same items), and
        without ``word_index`` PostgreSQL tests each row's words without its word index."""
        found: list[ColumnElement[bool]] = []
        if self.text.strip():
            found.append(_text_clause(self.text, viewer, dialect, word_index))
        if self.author.strip():
            found.append(_author_clause(self.author.strip()))
            found.append(identity_clause(viewer))
        if self.category == "none":
            found.append(Item.category.is_(None))
        elif self.category:
            found.append(Item.category == self.category)
        if self.status:
            found.append(Item.status == self.status)
        if self.unit_id:
            found.append(Item.unit_id == self.unit_id)
        if self.received_from is not None:
            found.append(Item.created_time >= self.received_from)
        if self.received_to is not None:
            found.append(Item.created_time < self.received_to)
        return found

    def shows(self, found: ItemCard) -> bool:
        """Whether the text matches what the viewer is shown of the item, not only what is
        stored: a name or number masked in a text (storage.visibility) must not be what made
        the item match, or its turning up would confirm the guess."""
        number = item_number(self.text)
        if not self.text.strip() or (number is not None and number[0] == found.id):
            return True
        sender = (None, None) if found.masked else (found.author_name, found.author_phone)
        seen = search_text(found.text, *sender)
        return all(_holds(seen, term) for term in search_terms(self.text))

    def tiers(self, dialect: str = "sqlite") -> list[tuple[int, ColumnElement[bool]]] | None:
        """The ranking of a text search, best first: 0 for the item numbered by the query, 1
        for the items whose text holds the query's words in a row, 2 for the other matches;
        None when there is no text to rank by."""
        if not self.text.strip():
            return None
        number = item_number(self.text)
        phrase = fold(self.text)
        if not phrase:
            return [(2, true())]
        in_text = _phrase_in_text(phrase, dialect)
        if number is None:
            return [(1, in_text), (2, ~in_text)]
        numbered = Item.id == number[0]
        return [(0, numbered), (1, and_(~numbered, in_text)), (2, and_(~numbered, ~in_text))]


def _text_clause(
    query: str, viewer: Viewer, dialect: str, word_index: bool = True
) -> ColumnElement[bool]:
    """Every word in the item's text or sender, or the item numbered ``#123``.

    The words never find an item whose sender the viewer may not know: not by its sender's
    name or phone (a guess must not be confirmable) and not by its text either (denouncers
    sign their texts). Found by its number it is listed masked, as in the queue."""
    number = item_number(query)
    if number is not None and number[1]:
        return Item.id == number[0]
    terms = search_terms(query)
    matches = and_(_words(terms, dialect, word_index), identity_clause(viewer))
    if not terms:
        matches = false()
    return matches if number is None else or_(Item.id == number[0], matches)


def _words(terms: list[str], dialect: str, word_index: bool = True) -> ColumnElement[bool]:
    """Every term in the item's text or sender, each as ``_word`` says.

    PostgreSQL: the words the full-text index holds as themselves (letters and digits without
    diacritics: what fold() makes of Vietnamese) are looked up there, every word of a query in
    one index read, then checked as whole words in the text (the index's parser also splits
    at characters fold() keeps, such as "_"); the rest (long numbers, other scripts) as LIKE.
    Without ``word_index``, only the check of each row: for a few thousand rows already chosen
    (the newest items, _Window), where reading the index of a common word costs more."""
    if dialect != "postgresql":
        return and_(*(_like(_word(t)) for t in terms))
    indexed = [t for t in terms if _INDEXED_WORD.match(t) and not NUMBER_PART.match(t)]
    found: list[ColumnElement[bool]] = []
    if indexed and word_index:
        query = func.plainto_tsquery(_SIMPLE, " ".join(indexed))
        found.append(search_words().bool_op("@@")(query))
    if indexed:
        found += [func.strpos(Item.search_text, f" {t} ") > 0 for t in indexed]
    found += [_like(_word(t)) for t in terms if t not in indexed]
    return and_(*found)


def _phrase_in_text(phrase: str, dialect: str) -> ColumnElement[bool]:
    """The folded phrase as whole words in the item's text (before SEPARATOR). PostgreSQL: a
    plain string search, not LIKE, which its planner would answer from the trigram index."""
    if dialect != "postgresql":
        return _like(f"% {_escape(phrase)} %{SEPARATOR}%")
    text_part = func.split_part(Item.search_text, SEPARATOR, 1)
    return func.strpos(text_part, f" {phrase} ") > 0


def search_words() -> ColumnElement[Any]:
    """The expression ix_items_search_words indexes (PostgreSQL only), as its queries name it."""
    return func.to_tsvector(_SIMPLE, Item.search_text)


def _author_clause(who: str) -> ColumnElement[bool]:
    """Every word in the sender's name or phone (after the separator), or the exact id."""
    terms = search_terms(who)
    in_sender = and_(*(_like(f"%{SEPARATOR}{_word(t)}") for t in terms)) if terms else false()
    return or_(in_sender, Item.author_id == who)


def _word(term: str) -> str:
    """A LIKE pattern for one folded word: the whole word (Vietnamese words are short: "ho"
    must not find "thôn"), except that a long number also matches inside a longer one."""
    if NUMBER_PART.match(term):
        return f"%{_escape(term)}%"
    return f"% {_escape(term)} %"


def _holds(stored: str, term: str) -> bool:
    """``_like(_word(term))`` in Python, on a search_text."""
    return (term in stored) if NUMBER_PART.match(term) else (f" {term} " in stored)


def _escape(term: str) -> str:
    return term.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _like(pattern: str) -> ColumnElement[bool]:
    # One bound pattern (not '%' || :term || '%') so that PostgreSQL's planner sees the
    # trigrams and uses ix_items_search_text.
    return Item.search_text.like(pattern, escape="/")


def search(
    session: Session,
    viewer: Viewer,
    filters: SearchFilters,
    *,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> ItemPage:
    """Matches newest first; with text, the numbered item first, then the items holding the
    whole phrase, then the rest (each newest first), on every page: the tier is in the key."""
    dialect = session.get_bind().dialect.name
    query = _base(viewer).where(*filters.clauses(viewer, dialect))
    tiers = filters.tiers(dialect)
    if tiers is None:
        return _paginate(session, viewer, query, _NEWEST_FIRST, cursor, limit)
    key = _decode_ranked_cursor(cursor)
    # Long numbers (a phone) and the numbered item are rare: no window to try for them.
    words = search_terms(filters.text)
    common = bool(words) and not any(NUMBER_PART.match(t) for t in words)
    window = _Window(viewer, filters, dialect) if common else None
    shown: list[tuple[ItemCard, int]] = []
    for tier, clause in tiers:
        if key is not None and tier < key[0]:
            continue
        after = key[1:] if key is not None and tier == key[0] else None
        while len(shown) <= limit:
            # Usually once: a row is dropped only when its match lay in what the viewer may
            # not see.
            wanted = limit + 1 - len(shown)
            tried = window if tier > 0 else None
            rows = _newest_matches(session, query, clause, after, wanted, tried)
            cards = _cards(session, viewer, rows, None).cards
            shown += [(c, tier) for c in cards if filters.shows(c)]
            if len(rows) < wanted:
                break
            after = (rows[-1].created_time, rows[-1].id)
        if len(shown) > limit:
            break
    more = len(shown) > limit
    shown = shown[:limit]
    next_cursor = None
    if more:
        last_card, tier = shown[-1]
        micros = encode_cursor(last_card.created_time, last_card.id).removeprefix("v")
        next_cursor = f"r{tier}_{micros}"
    return ItemPage([c for c, _tier in shown], next_cursor)


def _newest_matches(
    session: Session,
    query: Select[Item],
    tier: ColumnElement[bool],
    after: tuple[datetime, int] | None,
    count: int,
    window: _Window | None,
) -> list[Item]:
    """The first ``count`` rows of ``query`` in ``tier`` after ``after``, newest first: with a
    ``window``, looked for among the newest RECENT_WINDOW items first, then, if they hold
    fewer, everywhere."""
    start = window.start(session, after) if window is not None else None
    if window is not None and start is not None:
        recent = window.matches.where(tier, Item.created_time >= start)
        rows = _newest_rows(session, recent, after, count)
        if len(rows) == count:
            return rows
    return _newest_rows(session, query.where(tier), after, count)


class _Window:
    """Where a search's newest items start (RECENT_WINDOW), once per cursor position, and the
    search's matches as tested there: row by row, without the word index, whose read of a
    common word costs more than the rows themselves."""

    def __init__(self, viewer: Viewer, filters: SearchFilters, dialect: str) -> None:
        self.viewer = viewer
        self.matches = _base(viewer).where(*filters.clauses(viewer, dialect, word_index=False))
        self.units = _merged_units(viewer, _NEWEST_FIRST)
        self.known: dict[datetime | None, datetime | None] = {}

    def start(self, session: Session, after: tuple[datetime, int] | None) -> datetime | None:
        """The time of the RECENT_WINDOW-th newest item (before ``after``), or None when there
        are not that many. Every item before it is older than every item from it on, so the
        newest matches from it on are the newest of all. Counted in the viewer's units: unit
        by unit from ix_items_created alone for a few units, else along ix_items_newest.
        Counting the page's own items, ties, and the items at ``after``'s time make the window
        smaller, never wrong."""
        edge = after[0] if after is not None else None
        if edge not in self.known:
            self.known[edge] = self._nth(session, edge)
        return self.known[edge]

    def _nth(self, session: Session, edge: datetime | None) -> datetime | None:
        base = select(Item.created_time.label("key"))
        if edge is not None:
            base = base.where(Item.created_time <= literal(edge, UTCDateTime()))
        if self.units is None:
            branches = [base.where(unit_clause(self.viewer))]
        else:
            branches = [base.where(Item.unit_id == unit) for unit in self.units]
        times = [
            b.order_by(Item.created_time.desc()).limit(RECENT_WINDOW).subquery() for b in branches
        ]
        if len(times) == 1:
            merged = times[0]
        else:
            merged = union_all(*(select(t.c.key) for t in times)).subquery()
        nth = select(merged.c.key).order_by(merged.c.key.desc())
        found: datetime | None = session.scalar(nth.offset(RECENT_WINDOW - 1).limit(1))
        return found


def _newest_rows(
    session: Session, query: Select[Item], after: tuple[datetime, int] | None, count: int
) -> list[Item]:
    if after is not None:
        bound = tuple_(literal(after[0], UTCDateTime()), literal(after[1]))
        query = query.where(tuple_(Item.created_time, Item.id) < bound)
    ordered = query.order_by(Item.created_time.desc(), Item.id.desc()).limit(count)
    return list(session.scalars(ordered))


def _decode_ranked_cursor(cursor: str | None) -> tuple[int, datetime, int] | None:
    """(rank, created, id) of the last row shown, or None for the first page."""
    match = _RANKED_CURSOR.match(cursor or "")
    if match is None:
        return None
    key = decode_cursor("v" + match.group(2))
    if key is None or key[0] is None:
        return None
    return int(match.group(1)), key[0], key[1]


def _paginate(
    session: Session,
    viewer: Viewer,
    query: Select[Item],
    order: _Order,
    cursor: str | None,
    limit: int,
) -> ItemPage:
    key = decode_cursor(cursor)
    col = order.column
    units = _merged_units(viewer, order)
    rows: list[Item] = []
    if key is None or key[0] is not None:
        ranked = query.where(col.is_not(None))
        if key is not None:
            ranked = ranked.where(*_beyond(col, key, ascending=not order.descending))
        # The page's ids first, then its rows: an index holding a view's order, its units and
        # (in its predicate) the rest of its filter answers the ids alone (ix_items_triage),
        # and only the rows shown are read, not every row of the view before the sort.
        top = _first_keys(ranked, col, ascending=not order.descending, count=limit + 1, units=units)
        by = (col.desc(), Item.id.desc()) if order.descending else (col.asc(), Item.id.asc())
        page_ids = select(top.c.id).correlate(None)
        rows = list(session.scalars(select(Item).where(Item.id.in_(page_ids)).order_by(*by)))
    if order.nullable and len(rows) <= limit:
        after = key[1] if key is not None and key[0] is None else 0
        rest = query.where(col.is_(None), Item.id > after).order_by(Item.id)
        rows += session.scalars(rest.limit(limit + 1 - len(rows)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(getattr(rows[-1], col.key), rows[-1].id) if more else None
    found = _cards(session, viewer, rows, next_cursor)
    if key is None or not rows:
        return found
    first = (getattr(rows[0], col.key), rows[0].id)
    previous = _previous_cursor(session, query, order, first, limit, units)
    return replace(found, prev_cursor=previous)


def _previous_cursor(
    session: Session,
    query: Select[Item],
    order: _Order,
    first: tuple[datetime | None, int],
    limit: int,
    units: list[str] | None,
) -> str | None:
    """The cursor of the page before the one starting at ``first``: the rows before it read
    backwards, as many as a page and one more (keyset, like the next page: page 100 costs what
    page 1 costs). The one more is the last row of the page before that; None when there is
    none, the page before being the first."""
    col = order.column
    back: list[tuple[Any, int]] = []
    if first[0] is None:
        # Undated rows come last, by id: first those before it, then the dated ones.
        nulls = query.where(col.is_(None), Item.id < first[1]).order_by(Item.id.desc())
        back += [
            (None, i) for i in session.scalars(nulls.with_only_columns(Item.id).limit(limit + 1))
        ]
    if len(back) <= limit:
        dated = query.where(col.is_not(None))
        if first[0] is not None:
            dated = dated.where(*_beyond(col, (first[0], first[1]), ascending=order.descending))
        wanted = limit + 1 - len(back)
        top = _first_keys(dated, col, ascending=order.descending, count=wanted, units=units)
        rows = session.execute(select(top.c.key, top.c.id))
        back += [(value, item_id) for value, item_id in rows]
    if len(back) <= limit:
        return None
    return encode_cursor(back[limit][0], back[limit][1])


def _beyond(col: Any, key: tuple[Any, int], *, ascending: bool) -> list[ColumnElement[bool]]:
    """The rows after ``key`` in (col, id) order. The bound on the column alone repeats what
    the pair says, so that an index on (unit, column) can start there: with the pair alone,
    each unit would be read from its first row to the key."""
    edge = literal(key[0], UTCDateTime())
    bound = tuple_(col, Item.id)
    value = tuple_(edge, literal(key[1]))
    if ascending:
        return [col >= edge, bound > value]
    return [col <= edge, bound < value]


def _merged_units(viewer: Viewer, order: _Order) -> list[str] | None:
    """The units to walk one by one for a newest-first list (see _first_keys), or None."""
    units = viewer.unit_ids
    if order is not _NEWEST_FIRST or units is None or not 1 < len(units) <= MERGED_UNITS:
        return None
    return sorted(units)


def _first_keys(
    query: Select[Item], col: Any, *, ascending: bool, count: int, units: list[str] | None
) -> Any:
    """The first ``count`` rows of ``query`` in (col, id) order, as a subquery of their ``key``
    (the value of ``col``) and ``id``; with ``units``, one branch per unit, merged.

    A newest-first list (everything, small talk) of an officer's few units would otherwise walk
    ix_items_newest across every unit and skip the others' rows: at 1,000,000 items over 114
    units, some 7,000 rows for a filtered page of 50 in two units (20 ms). Each branch walks
    its own unit in ix_items_created (unit, created time) and stops after ``count`` rows
    (2 ms). Over many units (a leader's, an admin's) most rows are theirs: one walk it is."""
    if units is None:
        by = (col.asc(), Item.id.asc()) if ascending else (col.desc(), Item.id.desc())
        keys = query.with_only_columns(col.label("key"), Item.id.label("id"))
        return keys.order_by(*by).limit(count).subquery()
    branches = []
    for unit in units:
        branch = _first_keys(
            query.where(Item.unit_id == unit), col, ascending=ascending, count=count, units=None
        )
        branches.append(select(branch.c.key, branch.c.id))
    merged = union_all(*branches).subquery()
    if ascending:
        by = (merged.c.key.asc(), merged.c.id.asc())
    else:
        by = (merged.c.key.desc(), merged.c.id.desc())
    return select(merged.c.key, merged.c.id).order_by(*by).limit(count).subquery()


def _cards(session: Session, viewer: Viewer, rows: list[Item], next_cursor: str | None) -> ItemPage:
    shielded = shielded_conversations(session, rows)
    cards = [card(item, viewer, shielded=is_shielded(item, shielded)) for item in rows]
    return ItemPage(cards, next_cursor)


def encode_cursor(value: datetime | None, item_id: int) -> str:
    if value is None:
        return f"n{item_id}"
    micros = (value - _EPOCH) // timedelta(microseconds=1)
    return f"v{micros}_{item_id}"


def decode_cursor(cursor: str | None) -> tuple[datetime | None, int] | None:
    """(value, id) of the last row shown, or None for the first page (also for a bad cursor)."""
    match = _CURSOR.match(cursor or "")
    if match is None:
        return None
    if match.group(3) is not None:
        return None, int(match.group(3))
    try:
        value = _EPOCH + timedelta(microseconds=int(match.group(1)))
    except OverflowError:
        return None
    return value, int(match.group(2))
