"""Each unit's list of departments (phòng ban), and routing items to one of them.

An item's department is chosen from its unit's list, never typed: ``items.department_id``
points at the list and ``items.department`` keeps its name for the reports and alert texts.
Admins keep the list (review/admin_views.py). Routing sends a new item to the active department
whose ``fields`` include the item's field, else to the one named by the routing table (the
defaults of ``cli.services.routing()``); a unit with no list at all gets the routing table's
departments the first time an item is routed there. A field no department takes leaves the
item unrouted, for a leader to choose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.tables import Department, Item, Unit

_FIELD = re.compile(r"^[a-z_]{1,24}$")
NAME_MAX = 120


class DepartmentError(ValueError):
    """The change to the list is refused; the message says why and what to do instead."""


def fields_of(department: Department) -> list[str]:
    return [f for f in department.fields.split(",") if f]


def unit_departments(
    session: Session, unit_ids: Iterable[str] | None = None, *, active_only: bool = False
) -> list[Department]:
    """The lists of ``unit_ids`` (every unit when None), by unit then name."""
    query = select(Department).order_by(Department.unit_id, Department.name, Department.id)
    if unit_ids is not None:
        query = query.where(Department.unit_id.in_(sorted(set(unit_ids))))
    if active_only:
        query = query.where(Department.active.is_(True))
    return list(session.scalars(query))


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise DepartmentError("Tên phòng ban đang trống; nhập tên, ví dụ 'Phòng Văn hóa - Xã hội'.")
    if len(cleaned) > NAME_MAX:
        raise DepartmentError(f"Tên phòng ban dài quá {NAME_MAX} ký tự; viết gọn lại.")
    return cleaned


def _clean_fields(fields: Iterable[str]) -> str:
    chosen = list(dict.fromkeys(fields))
    bad = [f for f in chosen if not _FIELD.match(f)]
    if bad:
        raise DepartmentError(f"Lĩnh vực không hợp lệ: {', '.join(bad)}; chọn trong danh sách.")
    return ",".join(chosen)


def _taken(session: Session, unit_id: str, name: str, but: int | None = None) -> bool:
    query = select(Department.id).where(Department.unit_id == unit_id, Department.name == name)
    found = session.scalar(query)
    return found is not None and found != but


def add_department(
    session: Session, unit_id: str, name: str, fields: Iterable[str], now: datetime
) -> Department:
    if session.get(Unit, unit_id) is None:
        raise DepartmentError(f"Không có đơn vị {unit_id!r}; chọn đơn vị trong danh sách.")
    cleaned = _clean_name(name)
    if _taken(session, unit_id, cleaned):
        raise DepartmentError(
            f"Đơn vị đã có phòng ban '{cleaned}'; sửa phòng ban đó thay vì thêm mới."
        )
    department = Department(
        unit_id=unit_id, name=cleaned, fields=_clean_fields(fields), active=True, created_at=now
    )
    session.add(department)
    session.flush()
    return department


def update_department(
    session: Session, department: Department, *, name: str, fields: Iterable[str], active: bool
) -> None:
    """Rename (the items follow), change the fields routed here, or take it off the list.

    A department taken off the list keeps its items; it is no longer offered nor routed to.
    """
    cleaned = _clean_name(name)
    if _taken(session, department.unit_id, cleaned, but=department.id):
        raise DepartmentError(
            f"Đơn vị đã có phòng ban '{cleaned}'; chọn tên khác hoặc sửa phòng ban đó."
        )
    department.fields, department.active = _clean_fields(fields), active
    if cleaned != department.name:
        department.name = cleaned
        session.flush()
        session.execute(
            update(Item)
            .where(Item.department_id == department.id)
            .values(department=cleaned)
            .execution_options(synchronize_session="fetch")
        )


def seed_defaults(session: Session, unit_id: str, routing: Mapping[str, str], now: datetime) -> int:
    """Add the routing table's departments the unit lacks, each with the fields routed to it,
    and give those fields to a same-named department that routes by name only; how many
    changed. Insert-or-ignore: two processes seeding at once add each one once."""
    by_name: dict[str, list[str]] = {}
    for field, name in routing.items():
        cleaned = " ".join(name.split())[:NAME_MAX]
        if cleaned:
            by_name.setdefault(cleaned, []).append(field)
    have = {d.name: d for d in unit_departments(session, [unit_id])}
    changed = 0
    for name, fields in by_name.items():
        found = have.get(name)
        if found is not None and not found.fields:
            found.fields, changed = ",".join(fields), changed + 1
    rows = [
        {
            "unit_id": unit_id,
            "name": name,
            "fields": ",".join(fields),
            "active": True,
            "created_at": now,
        }
        for name, fields in by_name.items()
        if name not in have
    ]
    if rows:
        module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        stmt = module.insert(Department).on_conflict_do_nothing(index_elements=["unit_id", "name"])
        session.execute(stmt, rows)
    return changed + len(rows)


def choose(session: Session, unit_id: str, department_id: int | None) -> Department | None:
    """The department an officer picked for an item of ``unit_id`` (None: no department)."""
    if department_id is None:
        return None
    found = session.get(Department, department_id)
    if found is None or found.unit_id != unit_id or not found.active:
        raise DepartmentError(
            "Phòng ban đã chọn không có trong danh sách của đơn vị (có thể vừa bị bỏ khỏi danh "
            "sách); tải lại trang rồi chọn lại."
        )
    return found


def department_id_named(session: Session, unit_id: str, name: str | None) -> int | None:
    """The id of the unit's department called ``name``, on the list or taken off it."""
    if not name:
        return None
    return session.scalar(
        select(Department.id).where(Department.unit_id == unit_id, Department.name == name)
    )


def _pick(
    departments: Sequence[Department], field: str | None, name: str | None
) -> Department | None:
    active = [d for d in departments if d.active]
    by_field = [d for d in active if field and field in fields_of(d)]
    if by_field:
        return by_field[0]
    return next((d for d in active if name and d.name == name), None)


def route(
    session: Session, item: Item, field: str | None, routing: Mapping[str, str], now: datetime
) -> None:
    """Send ``item`` to the department that takes ``field`` (labels corrected): by the list,
    else by the routing table's name; no such department keeps the one it has."""
    departments = _list_for(session, item.unit_id, routing, now)
    chosen = _pick(departments, field, routing.get(field or ""))
    if chosen is not None:
        item.department, item.department_id = chosen.name, chosen.id


def _list_for(
    session: Session, unit_id: str, routing: Mapping[str, str], now: datetime
) -> list[Department]:
    """The unit's list; the first time (no department routes by field yet) with the routing
    table's departments added. A renamed or retired default is not added back later."""
    departments = unit_departments(session, [unit_id])
    if routing and not any(d.fields for d in departments):
        seed_defaults(session, unit_id, routing, now)
        session.flush()
        departments = unit_departments(session, [unit_id])
    return departments


def link_items(
    session: Session, item_ids: Sequence[int], routing: Mapping[str, str], now: datetime
) -> None:
    """Link items that ingest() routed by name to their unit's list.

    An item already linked to the department it names is left alone (an officer's choice);
    one whose name was just set by the routing table is routed by its field, then by name.
    """
    if not item_ids:
        return
    rows = session.execute(
        select(Item.id, Item.unit_id, Item.field, Item.department, Item.department_id).where(
            Item.id.in_(item_ids), Item.by_page.is_(False)
        )
    ).all()
    linked = {d.id: d.name for d in unit_departments(session, {r.unit_id for r in rows})}
    lists: dict[str, list[Department]] = {}
    moves: dict[tuple[int | None, str | None], list[int]] = {}
    for row in rows:
        if row.department_id is not None and linked.get(row.department_id) == row.department:
            continue
        if row.unit_id not in lists:
            lists[row.unit_id] = _list_for(session, row.unit_id, routing, now)
        chosen = _pick(lists[row.unit_id], row.field, row.department)
        key = (chosen.id, chosen.name) if chosen else (None, None)
        if key != (row.department_id, row.department):
            moves.setdefault(key, []).append(row.id)
    for (department_id, name), ids in moves.items():
        session.execute(
            update(Item)
            .where(Item.id.in_(ids))
            .values(department_id=department_id, department=name)
            .execution_options(synchronize_session="fetch")
        )
