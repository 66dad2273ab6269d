"""Departments come from each unit's list; routing and the officers' choices keep to it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from classifier.labels import DEFAULT_DEPARTMENT
from storage.db import make_engine, upgrade
from storage.departments import (
    DepartmentError,
    add_department,
    choose,
    fields_of,
    seed_defaults,
    unit_departments,
    update_department,
)
from storage.review_queue import assign, review_labels
from storage.tables import Department, Item
from tests.storage.queue_world import NOW, People, add_item, policy

CULTURE = DEFAULT_DEPARTMENT["khcn_cds"]  # "Phòng Văn hóa - Xã hội": khcn_cds and van_hoa_xa_hoi


def named(session: Session, unit: str, name: str) -> Department:
    return session.scalars(
        select(Department).where(Department.unit_id == unit, Department.name == name)
    ).one()


def test_a_units_first_item_brings_the_routing_tables_departments_with_their_fields(
    world: tuple[Session, People],
) -> None:
    session, _people = world
    item = add_item(session, "Mất sóng 4G ở thôn 3")  # khcn_cds
    listed = {d.name: fields_of(d) for d in unit_departments(session, ["a"])}
    assert listed[CULTURE] == ["khcn_cds", "van_hoa_xa_hoi"]
    assert set(listed) == set(DEFAULT_DEPARTMENT.values())
    assert unit_departments(session, ["b"]) == []  # unit b has had no item yet
    assert item.department == CULTURE
    assert item.department_id == named(session, "a", CULTURE).id


def test_routing_follows_a_renamed_department_and_its_items_take_the_new_name(
    world: tuple[Session, People],
) -> None:
    session, _people = world
    old = add_item(session, "Mất sóng 4G ở thôn 3")
    culture = named(session, "a", CULTURE)
    update_department(session, culture, name="Phòng VH-XH", fields=fields_of(culture), active=True)
    session.refresh(old)
    assert old.department == "Phòng VH-XH"
    new = add_item(session, "Wifi nhà văn hoá chập chờn")
    assert (new.department, new.department_id) == ("Phòng VH-XH", culture.id)
    assert not any(d.name == CULTURE for d in unit_departments(session, ["a"]))


def test_a_department_taken_off_the_list_gets_no_new_items_and_is_not_added_back(
    world: tuple[Session, People],
) -> None:
    session, _people = world
    add_item(session, "Mất sóng 4G ở thôn 3")
    culture = named(session, "a", CULTURE)
    update_department(session, culture, name=culture.name, fields=[], active=False)
    item = add_item(session, "Wifi nhà văn hoá chập chờn")
    assert (item.department, item.department_id) == (None, None)
    assert len(unit_departments(session, ["a"])) == len(set(DEFAULT_DEPARTMENT.values()))
    with pytest.raises(DepartmentError, match="không có trong danh sách"):
        choose(session, "a", culture.id)


def test_a_department_of_another_unit_cannot_be_chosen_and_names_are_unique_per_unit(
    world: tuple[Session, People],
) -> None:
    session, _people = world
    theirs = add_department(session, "b", "Công an phường", ["an_ninh_trat_tu"], NOW)
    with pytest.raises(DepartmentError):
        choose(session, "a", theirs.id)
    with pytest.raises(DepartmentError, match="đã có"):
        add_department(session, "b", "  Công an   phường ", [], NOW)
    with pytest.raises(DepartmentError, match="trống"):
        add_department(session, "b", "   ", [], NOW)
    with pytest.raises(DepartmentError, match="Lĩnh vực"):
        add_department(session, "b", "Phòng Kinh tế", ["DROP TABLE"], NOW)
    assert choose(session, "b", theirs.id) is theirs
    assert choose(session, "b", None) is None


def test_seeding_twice_adds_each_default_department_once(
    world: tuple[Session, People],
) -> None:
    session, _people = world
    routing = policy().routing
    assert seed_defaults(session, "b", routing, NOW) == len(set(routing.values()))
    assert seed_defaults(session, "b", routing, NOW) == 0
    assert len(unit_departments(session, ["b"])) == len(set(routing.values()))


def test_correcting_the_field_routes_the_item_to_the_department_of_the_new_field(
    world: tuple[Session, People],
) -> None:
    session, people = world
    item = add_item(session, "Mất sóng 4G ở thôn 3")
    review_labels(
        session,
        item,
        category="phan_anh",
        urgent=False,
        field="an_ninh_trat_tu",
        user_id=people.leader_a,
        now=NOW,
        policy=policy(),
    )
    police = named(session, "a", DEFAULT_DEPARTMENT["an_ninh_trat_tu"])
    assert (item.department, item.department_id) == (police.name, police.id)


def test_assigning_a_department_by_its_name_links_the_list_entry(
    world: tuple[Session, People],
) -> None:
    session, people = world
    item = add_item(session, "Mất sóng 4G ở thôn 3")
    police = named(session, "a", DEFAULT_DEPARTMENT["an_ninh_trat_tu"])
    assign(
        session,
        item,
        department=police.name,
        assignee_id=None,
        user_id=people.leader_a,
        now=NOW,
    )
    assert item.department_id == police.id
    assign(session, item, department=None, assignee_id=None, user_id=people.leader_a, now=NOW)
    assert (item.department, item.department_id) == (None, None)


def test_the_migration_makes_each_units_free_text_departments_its_list(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine, "0006")
    values = [("a", "Văn phòng"), ("a", " Văn phòng "), ("a", None), ("b", "Văn phòng")]
    values += [("b", "Công an")]
    at = datetime(2026, 1, 5, tzinfo=UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO units (id, name, kind) VALUES ('a', 'A', 'xa'), ('b', 'B', 'xa')")
        )
        for n, (unit, department) in enumerate(values):
            conn.execute(
                text(
                    "INSERT INTO items (source, external_id, unit_id, by_page, text, content_hash,"
                    " created_time, hidden, first_seen_at, last_seen_at, edited, deleted,"
                    " missing_checks, urgent, labels_corrected, status, flagged, confidential,"
                    " department, search_text) VALUES ('hotline', :n, :unit, false, 't', 'h', :at,"
                    " false, :at, :at, false, false, 0, false, false, 'new', false, false,"
                    " :department, '')"
                ),
                {"n": str(n), "unit": unit, "department": department, "at": at},
            )
    upgrade(engine)
    with Session(engine) as session:
        lists = {(d.unit_id, d.name): d.id for d in unit_departments(session)}
        assert set(lists) == {("a", "Văn phòng"), ("b", "Văn phòng"), ("b", "Công an")}
        linked = [
            (i.unit_id, i.department, i.department_id)
            for i in session.scalars(select(Item).order_by(Item.id))
        ]
    engine.dispose()
    assert linked == [
        ("a", "Văn phòng", lists["a", "Văn phòng"]),
        ("a", "Văn phòng", lists["a", "Văn phòng"]),
        ("a", None, None),
        ("b", "Văn phòng", lists["b", "Văn phòng"]),
        ("b", "Công an", lists["b", "Công an"]),
    ]
