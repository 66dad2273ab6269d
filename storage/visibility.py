"""The one identity policy: who may know who sent an item, and what everyone else is shown.

Luật Tố cáo 2018 (Điều 8 khoản 3, Điều 56): a denouncer's identity is known only to the
leaders of the unit and the officer assigned to the denunciation.

- A *denunciation* is a ``confidential`` item (set by the model, a rule or an officer; an edit
  never clears it and only a leader may, ``confidential_after_review``).
- A sender is *shielded* when they are a denouncer: on the denunciation itself, on every message
  of a Messenger conversation holding one (one citizen writes the whole conversation), and on
  every other comment, reply or visitor post by the same author_id in the same thread.
- Who may know a shielded sender (``may_see_identity``): the leaders of the unit; on a
  denunciation its assigned officer; on the other shielded items, the officers assigned to the
  denunciations that shield them. Admins run the system, they do not handle denunciations.
- Audiences with no person behind them (``pakn export``, report files, alert texts, a public
  reply) are never entitled: files and messages travel.
- What the others see (``reveal``): name, id, phone and link replaced, the text with identity
  spans masked (storage.masking); a neighbour's text loses the denouncers' names and numbers.
- Every look at a shielded sender by an entitled person is audited by the web: a card with
  ``shielded`` and not ``masked`` is one ("view_confidential" for the item page,
  "view_confidential_listed" for lists and neighbours: review/item_views.py, queue_views.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from sqlalchemy import ColumnElement, and_, exists, or_, select, true
from sqlalchemy.orm import Session, aliased, object_session

from storage.item_card import ItemCard, Shown, card_of
from storage.masking import introduced_names, mask_identity, mask_names, mentions, numbers_in
from storage.tables import Item, ItemVersion, User, UserUnit

MASK = "Thông tin người gửi được bảo mật"
_CHUNK = 500

__all__ = ["MASK", "ItemCard", "Shown"]


@dataclass(frozen=True)
class Viewer:
    """The signed-in user as the access rules see them."""

    user_id: int
    role: str
    unit_ids: frozenset[str] | None  # None: every unit (admins)

    @property
    def is_leader(self) -> bool:
        return self.role == "leader"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def sees_unit(self, unit_id: str) -> bool:
        return self.unit_ids is None or unit_id in self.unit_ids


def viewer_for(session: Session, user: User) -> Viewer:
    if user.role == "admin":
        return Viewer(user.id, user.role, None)
    units = session.scalars(select(UserUnit.unit_id).where(UserUnit.user_id == user.id)).all()
    return Viewer(user.id, user.role, frozenset(units))


def unit_clause(viewer: Viewer) -> ColumnElement[bool]:
    """Restricts a query on ``Item`` to the viewer's units."""
    if viewer.unit_ids is None:
        return true()
    return Item.unit_id.in_(sorted(viewer.unit_ids))


# --------------------------------------------------------------------- who is a denouncer


@dataclass(frozen=True)
class Denunciation:
    """A confidential item, as far as it protects the items around it."""

    id: int
    thread_id: str | None
    messenger: bool
    author_id: str | None
    assignee_id: int | None
    names: tuple[str, ...]  # profile name, id and the names given in its texts
    numbers: tuple[str, ...]  # phones and ID numbers, as digits

    def covers(self, item: Item) -> bool:
        """Whether the item's sender is this denouncer."""
        if item.id == self.id:
            return True
        if item.thread_id is None or item.thread_id != self.thread_id:
            return False
        if self.messenger and item.source == "facebook_message":
            return True
        return self.author_id is not None and item.author_id == self.author_id

    def entitles(self, viewer: Viewer | None) -> bool:
        return viewer is not None and (viewer.is_leader or viewer.user_id == self.assignee_id)


def _denunciation(row: Item, earlier: Iterable[str]) -> Denunciation:
    texts = [row.text, *earlier]
    names = [n for t in texts for n in introduced_names(t)]
    numbers = [n for t in (row.author_phone or "", *texts) for n in numbers_in(t)]
    return Denunciation(
        id=row.id,
        thread_id=row.thread_id,
        messenger=row.source == "facebook_message",
        author_id=row.author_id,
        assignee_id=row.assignee_id,
        names=tuple(n for n in (row.author_name, row.author_id, *names) if n),
        numbers=tuple(dict.fromkeys(numbers)),
    )


@dataclass(frozen=True)
class Guard:
    """The denunciations around one item: those whose sender is its sender (``shielding``)
    and every one in its thread (``nearby``), whose identities its text must not give away."""

    shielding: tuple[Denunciation, ...]
    nearby: tuple[Denunciation, ...]

    def hidden_names(self, viewer: Viewer | None) -> list[str]:
        return [n for d in self.nearby if not d.entitles(viewer) for n in d.names]


@dataclass(frozen=True)
class Shield:
    """The denunciations of some threads, from which each item's ``Guard`` follows."""

    by_thread: Mapping[str, tuple[Denunciation, ...]]

    def guard(self, item: Item) -> Guard | None:
        nearby = self.by_thread.get(item.thread_id or "", ())
        if item.confidential and all(d.id != item.id for d in nearby):
            nearby = (*nearby, _denunciation(item, ()))
        if not nearby:
            return None
        return Guard(tuple(d for d in nearby if d.covers(item)), nearby)


def shield_for(session: Session, items: Iterable[Item]) -> Shield:
    """The shield of the threads of ``items``: two queries, whatever their number."""
    threads = sorted({i.thread_id for i in items if i.thread_id})
    found: list[Denunciation] = []
    for start in range(0, len(threads), _CHUNK):
        found += _denunciations(session, Item.thread_id.in_(threads[start : start + _CHUNK]))
    return _by_thread(found)


def every_shield(session: Session) -> Shield:
    """The shield of every thread (``pakn export`` reads them all)."""
    return _by_thread(_denunciations(session, Item.thread_id.is_not(None)))


def shield_around(item: Item) -> Guard | None:
    """The guard of an item through the session that loaded it, for callers that hold only
    the item (alert texts, the reply check when the daemon sends)."""
    session = object_session(item)
    return (shield_for(session, [item]) if session else Shield({})).guard(item)


def _denunciations(session: Session, where: ColumnElement[bool]) -> list[Denunciation]:
    rows = list(session.scalars(select(Item).where(where, Item.confidential.is_(True))))
    # The earlier texts too: an edit must not wash out the name the denouncer first gave.
    texts: dict[int, list[str]] = {}
    for start in range(0, len(rows), _CHUNK):
        ids = [r.id for r in rows[start : start + _CHUNK]]
        for item_id, text in session.execute(
            select(ItemVersion.item_id, ItemVersion.text).where(ItemVersion.item_id.in_(ids))
        ):
            texts.setdefault(item_id, []).append(text)
    return [_denunciation(r, texts.get(r.id, ())) for r in rows]


def _by_thread(found: Iterable[Denunciation]) -> Shield:
    grouped: dict[str, list[Denunciation]] = {}
    for d in found:
        grouped.setdefault(d.thread_id or "", []).append(d)
    return Shield({t: tuple(ds) for t, ds in grouped.items()})


# The names storage/queue_search.py calls: the whole policy behind the old words.
shielded_conversations = shield_for


def is_shielded(item: Item, shield: Shield) -> Guard | None:
    return shield.guard(item)


# ------------------------------------------------------------------------- who may know


def may_see_identity(viewer: Viewer, item: Item, *, shielded: Guard | None = None) -> bool:
    """Whether the viewer may know who sent the item; ``shielded`` is its guard (shield_for)."""
    if not viewer.sees_unit(item.unit_id):
        return False
    if viewer.is_leader:
        return True
    if item.confidential:
        return item.assignee_id == viewer.user_id
    shielding = shielded.shielding if shielded else ()
    return not shielding or any(d.assignee_id == viewer.user_id for d in shielding)


def may_open(viewer: Viewer, item: Item) -> bool:
    """Open the item page and act on it: a denunciation only for those who may know its
    sender; another shielded item opens with its sender masked."""
    return may_see_identity(viewer, item)


def may_assign_others(viewer: Viewer) -> bool:
    """Leaders (and admins) hand work out; an officer may only take an item themselves."""
    return viewer.role in ("leader", "admin")


# Built once: an alias sets up its column collection (every column of items) when a query first
# uses it, some 5 ms of every search and queue page when made anew each time.
_MINE: Final = aliased(Item, name="mine")
_OTHER: Final = aliased(Item, name="other")


def identity_clause(viewer: Viewer) -> ColumnElement[bool]:
    """Items whose sender the viewer may know, as SQL: searching by author must not find the
    others, or a masked item would give its author away by turning up in the results."""
    if viewer.is_leader:
        return true()
    mine, other = _MINE, _OTHER
    return or_(
        and_(Item.confidential.is_(True), Item.assignee_id == viewer.user_id),
        and_(
            Item.confidential.is_(False),
            or_(
                ~exists().where(_covers(other)),
                exists().where(_covers(mine), mine.assignee_id == viewer.user_id),
            ),
        ),
    )


def _covers(d: type[Item]) -> ColumnElement[bool]:
    """``d`` is a denunciation whose sender also sent ``Item`` (Denunciation.covers)."""
    return and_(
        d.confidential.is_(True),
        d.thread_id == Item.thread_id,
        or_(
            and_(d.source == "facebook_message", Item.source == "facebook_message"),
            and_(d.author_id.is_not(None), d.author_id == Item.author_id),
        ),
    )


def confidential_after_review(
    session: Session, item: Item, category: str, user_id: int | None
) -> bool:
    """tố cáo makes an item confidential; once it is, only a leader lifts the flag (the label
    review is audited with the flag before and after)."""
    if category == "to_cao" or not item.confidential:
        return category == "to_cao"
    user = session.get(User, user_id) if user_id is not None else None
    return user is None or user.role != "leader"


# --------------------------------------------------------------------- what is shown


def reveal(item: Item, guard: Guard | None, viewer: Viewer | None, label: str = MASK) -> Shown:
    """What ``viewer`` sees of the item; None: a file or message leaving the web (export,
    report, alert text), where a shielded sender is never shown."""
    shielded = item.confidential or bool(guard and guard.shielding)
    known = not shielded if viewer is None else may_see_identity(viewer, item, shielded=guard)
    text = shown_text(item.text, item, guard, viewer, known=known)
    if not known:
        return Shown(False, True, label, None, None, None, text)
    return Shown(
        True, shielded, item.author_name, item.author_id, item.author_phone, item.permalink, text
    )


def shown_text(
    text: str, item: Item, guard: Guard | None, viewer: Viewer | None, *, known: bool
) -> str:
    """``text`` (the item's, or an earlier version of it) as the audience may read it."""
    hidden = guard.hidden_names(viewer) if guard else []
    if not known:
        return mask_identity(text, (item.author_name, item.author_id, *hidden))
    return mask_names(text, hidden) if hidden else text


def card(item: Item, viewer: Viewer, *, shielded: Guard | None = None) -> ItemCard:
    """A list row or context entry; ``shielded`` is the item's guard (``cards`` finds it)."""
    return card_of(item, reveal(item, shielded, viewer), openable=may_open(viewer, item))


def cards(session: Session, items: Iterable[Item], viewer: Viewer) -> list[ItemCard]:
    """List rows for the viewer, with one shield for them all (what a list should call)."""
    batch = list(items)
    shield = shield_for(session, batch)
    return [card(i, viewer, shielded=shield.guard(i)) for i in batch]


def names_a_denouncer(session: Session | None, item: Item, text: str) -> bool:
    """The reply check: whether ``text`` gives the name, phone or ID number of a denouncer of
    the item's thread (or of the item), however spaced, cased, accented or composed."""
    guard = (shield_for(session, [item]) if session else Shield({})).guard(item)
    if guard is None:
        return False
    names = [n for d in guard.nearby for n in d.names]
    return mentions(text, names, [n for d in guard.nearby for n in d.numbers])
