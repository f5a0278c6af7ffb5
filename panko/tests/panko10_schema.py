"""A database as Panko 10.0.0 left it, for upgrade tests.

The tables are those Panko 10's SQL driver created (``create_all`` of its
models, never stamped by alembic), written here as DDL per dialect; the
rows are written the way its driver wrote them (on MySQL, times as
DECIMAL seconds since the epoch; text traits at most 255 characters).
"""

from __future__ import annotations

import calendar
import datetime
import decimal
import json

import sqlalchemy as sa

from panko.storage import models

_TRAIT_TABLES = {
    models.TEXT_TYPE: "trait_text",
    models.INT_TYPE: "trait_int",
    models.FLOAT_TYPE: "trait_float",
    models.DATETIME_TYPE: "trait_datetime",
}


def _ddl(dialect: str) -> list[str]:
    serial = {
        "postgresql": "SERIAL",
        "mysql": "INTEGER AUTO_INCREMENT",
        "sqlite": "INTEGER",
    }[dialect]
    stamp = {
        "postgresql": "TIMESTAMP WITHOUT TIME ZONE",
        "mysql": "DECIMAL(20, 6)",
        "sqlite": "DATETIME",
    }[dialect]
    float_type = "FLOAT" if dialect == "sqlite" else "FLOAT(53)"
    q = "`" if dialect == "mysql" else '"'
    event_type_args = (
        " CHARSET=utf8 ENGINE=InnoDB" if dialect == "mysql" else ""
    )
    statements = [
        "CREATE TABLE event_type (id %s NOT NULL, %sdesc%s VARCHAR(255), "
        "PRIMARY KEY (id), UNIQUE (%sdesc%s))%s"
        % (serial, q, q, q, q, event_type_args),
        "CREATE TABLE event (id %s NOT NULL, message_id VARCHAR(50), "
        "%sgenerated%s %s, raw TEXT, event_type_id INTEGER, "
        "PRIMARY KEY (id), UNIQUE (message_id), "
        "FOREIGN KEY(event_type_id) REFERENCES event_type (id))"
        % (serial, q, q, stamp),
        "CREATE INDEX ix_event_message_id ON event (message_id)",
        "CREATE INDEX ix_event_generated ON event (%sgenerated%s)" % (q, q),
        "CREATE INDEX ix_event_type_id ON event (event_type_id)",
    ]
    values = {
        "trait_text": "VARCHAR(255)",
        "trait_int": "BIGINT",
        "trait_float": float_type,
        "trait_datetime": stamp,
    }
    for table, value_type in values.items():
        statements += [
            "CREATE TABLE %s (event_id INTEGER NOT NULL, %skey%s VARCHAR(255) "
            "NOT NULL, value %s, PRIMARY KEY (event_id, %skey%s), "
            "FOREIGN KEY(event_id) REFERENCES event (id))"
            % (table, q, q, value_type, q, q),
            "CREATE INDEX ix_%s_event_id_key ON %s (event_id, %skey%s)"
            % (table, table, q, q),
        ]
    return statements


def _stamp(dialect: str, value: datetime.datetime):
    if dialect != "mysql":
        return value
    seconds = calendar.timegm(value.utctimetuple())
    return decimal.Decimal(seconds) + decimal.Decimal(value.microsecond) / (
        decimal.Decimal(1000000)
    )


def create(engine: sa.engine.Engine, events: list[models.Event]) -> None:
    """Create Panko 10's tables and store ``events`` as it would have."""
    dialect = engine.dialect.name
    with engine.begin() as conn:
        for statement in _ddl(dialect):
            conn.exec_driver_sql(statement)
        meta = sa.MetaData()
        meta.reflect(conn)
        type_ids = {}
        for event in events:
            if event.event_type not in type_ids:
                type_ids[event.event_type] = conn.execute(
                    meta.tables["event_type"]
                    .insert()
                    .values(desc=event.event_type)
                ).inserted_primary_key[0]
            event_id = conn.execute(
                meta.tables["event"]
                .insert()
                .values(
                    message_id=event.message_id,
                    generated=_stamp(dialect, event.generated),
                    raw=None if event.raw is None else json.dumps(event.raw),
                    event_type_id=type_ids[event.event_type],
                )
            ).inserted_primary_key[0]
            for trait in event.traits:
                value = trait.value
                if trait.dtype == models.DATETIME_TYPE:
                    value = _stamp(dialect, value)
                conn.execute(
                    meta.tables[_TRAIT_TABLES[trait.dtype]]
                    .insert()
                    .values(event_id=event_id, key=trait.name, value=value)
                )


TABLES = (
    "event_type",
    "event",
    "trait_text",
    "trait_int",
    "trait_float",
    "trait_datetime",
)


def _jsonable(value):
    if isinstance(value, decimal.Decimal):
        return {"decimal": str(value)}
    if isinstance(value, datetime.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, float):
        return {"float": repr(value)}
    return value


def rows(conn: sa.engine.Connection) -> dict[str, list[dict]]:
    """Every row of Panko 10's tables, as JSON, in primary key order: to
    compare the rows written here with those Panko 10 wrote."""
    meta = sa.MetaData()
    meta.reflect(conn, only=TABLES)
    found = {}
    for name in TABLES:
        table = meta.tables[name]
        found[name] = [
            {key: _jsonable(value) for key, value in row._mapping.items()}
            for row in conn.execute(
                sa.select(table).order_by(*table.primary_key.columns)
            )
        ]
    return found


def describe(conn: sa.engine.Connection) -> dict[str, dict]:
    """Panko 10's tables as the database describes them, as JSON."""
    inspector = sa.inspect(conn)
    schema = {}
    for name in TABLES:
        schema[name] = {
            "columns": [
                {
                    "name": c["name"],
                    "type": str(c["type"]),
                    "nullable": c["nullable"],
                    "default": c.get("default"),
                    "autoincrement": c.get("autoincrement"),
                }
                for c in inspector.get_columns(name)
            ],
            "primary_key": inspector.get_pk_constraint(name)[
                "constrained_columns"
            ],
            "foreign_keys": sorted(
                [fk["constrained_columns"], fk["referred_table"]]
                for fk in inspector.get_foreign_keys(name)
            ),
            "indexes": sorted(
                [i["name"], i["column_names"], bool(i["unique"])]
                for i in inspector.get_indexes(name)
            ),
            "unique_constraints": sorted(
                u["column_names"]
                for u in inspector.get_unique_constraints(name)
            ),
            "options": {
                key: value
                for key, value in inspector.get_table_options(name).items()
                if key in ("mysql_engine", "mysql_default charset")
            },
        }
    return schema
