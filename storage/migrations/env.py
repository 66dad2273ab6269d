"""Alembic environment: the engine comes from pakn's settings, never from an ini file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from storage.tables import Base, include_object

config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):  # pragma: no cover - only when run by hand
    raise RuntimeError("run migrations through 'pakn db upgrade'")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode recreates tables
        compare_type=True,
        include_object=include_object(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
