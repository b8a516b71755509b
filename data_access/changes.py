"""Which persons' case rows changed, recorded by the database itself (``case_change``).

Triggers on the case tables (migration 0007) write, in the transaction of every change, the
persons whose rows it touched into ``case_change``: an import, the bench's delivery, a
statement typed by hand alike, so that the record is complete whoever writes. A change that
can concern every person (a municipality's district, a service's kind, the whole data set
written anew) is recorded as a row without a person (``client_id`` NULL).

Reading: ``mark`` is the last row the reader's snapshot sees (its id and a random token each row
gets); ``changed_persons`` the persons changed after an earlier mark (None: something changed
for every person, or the earlier mark is not in this record). On PostgreSQL the triggers take
one transaction-level advisory lock before they write, so that ids are given in the order the
writing transactions commit: a snapshot that sees id n sees every id below it (on SQLite there
is only one writer anyway). The record is append-only: a trigger refuses to change or delete
its rows (only a writer of the whole data set, ``replacing_everything``, starts it anew, with
a row without a person), so that nothing recorded after a mark can go missing without
dropping the triggers themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import polars as pl
from sqlalchemy import Connection, text

TABLE = "case_change"
# the case tables with the column naming the person
PERSON_TABLES = {
    "client": "id",
    "benefit_spell": "client_id",
    "integration": "client_id",
    "barrier_assessment": "client_id",
    "referral": "client_id",
}
# columns of other tables whose change can concern every person (the cube's districts, the
# kind, category and provider of the services referrals go to); a row added or removed, too
# (a person or referral may name it before it exists where foreign keys are not enforced)
SHARED_COLUMNS = {
    "municipality": ("ags", "district_key"),
    "service": ("id", "labour_market_measure", "category_code", "provider_id"),
}
GUARD = f"{TABLE}_guard"  # the record is append-only: rows are neither changed nor deleted
REFUSAL = "case_change: Zeilen werden nur angefügt"
LOCK_KEY = 4816  # PostgreSQL advisory lock of the writers of ``case_change``


def trigger_statements(dialect: str) -> list[str]:
    """The statements creating the triggers (``drop_statements`` removes them)."""
    if dialect == "postgresql":
        return [*_postgres_triggers(), *_postgres_guard()]
    statements = [
        f"CREATE TRIGGER {GUARD}_{event.lower()} BEFORE {event} ON {TABLE} "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        for event in ("UPDATE", "DELETE")
    ]
    for table, column in PERSON_TABLES.items():
        for event, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
            values = " UNION ".join(f"SELECT {row}.{column}" for row in rows)
            statements.append(
                f"CREATE TRIGGER {TABLE}_{table}_{event.lower()} AFTER {event} ON {table} "
                f"FOR EACH ROW BEGIN INSERT INTO {TABLE} (client_id) {values}; END"
            )
    for table, columns in SHARED_COLUMNS.items():
        for event in ("INSERT", f"UPDATE OF {', '.join(columns)}", "DELETE"):
            name = f"{TABLE}_{table}_{event.split()[0].lower()}"
            statements.append(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} "
                f"FOR EACH ROW BEGIN INSERT INTO {TABLE} (client_id) VALUES (NULL); END"
            )
    return statements


def _postgres_triggers() -> list[str]:
    """Statement-level triggers with transition tables (one INSERT per statement, also for
    COPY), each taking the advisory lock first (see the module)."""
    statements = []
    for table, column in PERSON_TABLES.items():
        for event, relations in (
            ("INSERT", ("new_rows",)),
            ("UPDATE", ("old_rows", "new_rows")),
            ("DELETE", ("old_rows",)),
        ):
            name = f"{TABLE}_{table}_{event.lower()}"
            selects = " UNION ".join(f"SELECT {column} FROM {r}" for r in relations)
            referencing = " ".join(
                f"{'OLD' if r == 'old_rows' else 'NEW'} TABLE AS {r}" for r in relations
            )
            statements += [
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"PERFORM pg_advisory_xact_lock({LOCK_KEY}); "
                f"INSERT INTO {TABLE} (client_id) {selects}; RETURN NULL; END $$",
                f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
            ]
    shared = f"{TABLE}_shared"
    statements.append(
        f"CREATE FUNCTION {shared}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"PERFORM pg_advisory_xact_lock({LOCK_KEY}); "
        f"INSERT INTO {TABLE} (client_id) VALUES (NULL); RETURN NULL; END $$"
    )
    for table, columns in SHARED_COLUMNS.items():
        for event in ("INSERT", f"UPDATE OF {', '.join(columns)}", "DELETE"):
            name = f"{TABLE}_{table}_{event.split()[0].lower()}"
            statements.append(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {shared}()"
            )
    return statements


def _postgres_guard() -> list[str]:
    return [
        f"CREATE FUNCTION {GUARD}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"RAISE EXCEPTION '{REFUSAL}'; END $$",
        f"CREATE TRIGGER {GUARD} BEFORE UPDATE OR DELETE OR TRUNCATE ON {TABLE} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {GUARD}()",
    ]


def drop_statements(dialect: str) -> list[str]:
    """The statements removing the triggers of ``trigger_statements``."""
    names = [
        f"{TABLE}_{table}_{event}"
        for table in (*PERSON_TABLES, *SHARED_COLUMNS)
        for event in ("insert", "update", "delete")
    ]
    if dialect != "postgresql":
        guards = [f"{GUARD}_update", f"{GUARD}_delete"]
        return [f"DROP TRIGGER IF EXISTS {name}" for name in (*names, *guards)]
    tables = {
        f"{TABLE}_{t}_{e}": t
        for t in (*PERSON_TABLES, *SHARED_COLUMNS)
        for e in ("insert", "update", "delete")
    }
    return [
        *(f"DROP TRIGGER IF EXISTS {name} ON {tables[name]}" for name in names),
        f"DROP TRIGGER IF EXISTS {GUARD} ON {TABLE}",
        *(f"DROP FUNCTION IF EXISTS {name}()" for name in (*names, f"{TABLE}_shared", GUARD)),
    ]


def record_everything_changed(connection: Connection) -> None:
    """Record that every person may have changed (inside the writer's transaction): for a
    writer that replaces the whole data set without the triggers."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    connection.execute(text(f"INSERT INTO {TABLE} (client_id) VALUES (NULL)"))


def mark(connection: Connection) -> tuple[int, int] | None:
    """The last row of ``case_change`` this connection's snapshot sees: its id and its random
    token (None: no row). A later reader that finds the same token at that id reads the same
    lineage of the record (not, say, a backup restored and changed otherwise since)."""
    row = connection.execute(
        text(f"SELECT id, token FROM {TABLE} WHERE id = (SELECT max(id) FROM {TABLE})")
    ).first()
    return None if row is None or row[1] is None else (int(row[0]), int(row[1]))


def changed_persons(
    connection: Connection, since: tuple[int, int], until: tuple[int, int]
) -> pl.Series | None:
    """The persons recorded as changed after the mark ``since`` up to ``until`` (distinct,
    sorted); None if a change may concern every person, or if ``since`` is not a mark of this
    record (its row is gone or has another token)."""
    token = connection.execute(
        text(f"SELECT token FROM {TABLE} WHERE id = :id"), {"id": since[0]}
    ).scalar()
    if token is None or int(token) != since[1] or since[0] > until[0]:
        return None
    rows = connection.execute(
        text(
            f"SELECT DISTINCT client_id FROM {TABLE} WHERE id > :since AND id <= :until "
            "ORDER BY client_id"
        ),
        {"since": since[0], "until": until[0]},
    ).all()
    persons = [row[0] for row in rows]
    if None in persons:
        return None
    return pl.Series("client_id", persons, dtype=pl.String)


@contextmanager
def replacing_everything(connection: Connection) -> Iterator[None]:
    """For a writer that replaces the whole data set (inside its transaction): without the
    triggers (a row each would only slow it down), then the record starts again with a row
    without a person."""
    dialect = connection.dialect.name
    for statement in drop_statements(dialect):
        connection.execute(text(statement))
    connection.execute(text(f"DELETE FROM {TABLE}"))
    yield
    for statement in trigger_statements(dialect):
        connection.execute(text(statement))
    record_everything_changed(connection)
