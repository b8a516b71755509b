"""Reading only what changed since the current version of the cube store (``cube_build``).

The database records which persons' case rows changed (``data_access.changes``: triggers, in
the changing transaction, whoever writes). A build whose previous version noted the record's
mark at its snapshot reads only the rows of the persons recorded after that mark and takes the
others' rows over from the previous version's kept source rows (``patched_sources``); the
result is the same rows a full read gives (each partition's tables are in one canonical order,
``canonical``, whichever way they were read). It reads everything instead when the record
cannot tell (a change concerning every person, the whole data set written anew, no mark of
the previous version, a partition the previous version does not have).

The persons themselves are taken over, too, on SQLite (where ``ORDER BY`` compares ids byte
by byte as polars does, so that their dense index comes out the same); PostgreSQL orders by
the database's collation, so the persons are read there in full (one narrow table).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import Connection, Select, select

from data_access.changes import changed_persons, mark
from data_access.models import CaseChange, Client
from teilhabe.cases import (
    CLIENT_SCHEMA,
    clients_statement,
    fetch_batches,
    record_keys_of,
    table_statements,
)
from teilhabe.cube_changes import BUILD, CLIENT_SOURCE, KEYED, Previous, taken_over


@dataclass(frozen=True)
class Delta:
    """The persons changed since the previous version (sorted ids), with their rows read
    now: ``clients`` (None: read in full) and per table its rows of these persons."""

    persons: pl.Series
    clients: pl.DataFrame | None
    tables: dict[str, pl.DataFrame]


def read_delta(
    connection: Connection, previous: Previous | None
) -> tuple[tuple[int, int] | None, Delta | None]:
    """The record's mark of this snapshot and, if the record tells what changed since the
    previous version, the changed persons' rows (None: read everything)."""
    now = mark(connection)
    if previous is None or previous.mark is None or now is None:
        return now, None
    persons = changed_persons(connection, previous.mark, now)
    if persons is None:
        return now, None
    concerned = select(CaseChange.client_id).where(
        CaseChange.id > previous.mark[0], CaseChange.id <= now[0]
    )
    tables = {
        name: _read(connection, _only(statement, concerned), schema)
        for name, (statement, schema) in table_statements().items()
    }
    clients = None
    if connection.dialect.name == "sqlite":
        clients = _read(
            connection, clients_statement().where(Client.id.in_(concerned)), CLIENT_SCHEMA
        )
    return now, Delta(persons=persons, clients=clients, tables=tables)


def _only(statement: Select, concerned: Select) -> Select:
    return statement.where(statement.selected_columns.client_id.in_(concerned))


def _read(connection: Connection, statement: Select, schema: dict) -> pl.DataFrame:
    frames = list(fetch_batches(connection, statement, schema))
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)


def patched_clients(previous: Previous, delta: Delta) -> pl.DataFrame | None:
    """All persons as ``clients_statement`` reads them (ordered by id): the previous version's
    without the changed ones, and those as read now (None: not readable, read them all)."""
    if delta.clients is None:
        return None
    folder = previous.folder / BUILD / "source" / CLIENT_SOURCE
    try:
        kept = [
            pl.read_parquet(folder / f"{name}.parquet", columns=list(CLIENT_SCHEMA))
            for name in sorted(previous.partitions)
        ]
    except (OSError, pl.exceptions.PolarsError):
        return None
    unchanged = pl.concat(kept).filter(~pl.col("client_id").is_in(delta.persons.implode()))
    return pl.concat([unchanged, delta.clients.cast(pl.Schema(CLIENT_SCHEMA))]).sort("client_id")


def patched_sources(
    clients: pl.DataFrame, old: dict[str, pl.DataFrame], delta: Delta, secret: str
) -> dict[str, pl.DataFrame]:
    """A partition's source rows with their record keys (its persons ``clients``; as
    ``cube_changes.keyed(cube_build._sources(...))`` gives them): the previous version's rows
    (``old``, their keys taken over) of its unchanged persons, and the changed persons' rows
    as read now (their keys computed; few)."""
    tables = {CLIENT_SOURCE: taken_over({CLIENT_SOURCE: clients}, old, secret, CLIENT_SOURCE)}
    changed = delta.persons.implode()
    ids = clients["client_id"].implode()
    for name, (_statement, schema) in table_statements().items():
        column = KEYED[name][0] if name in KEYED else None
        kept = old[name].select(*schema, *([column] if column else []))
        kept = kept.filter(~pl.col("client_id").is_in(changed))
        fresh = delta.tables[name].filter(pl.col("client_id").is_in(ids)).cast(pl.Schema(schema))
        if column is not None:
            keys = record_keys_of(name, fresh, secret) if fresh.height else None
            fresh = fresh.with_columns(pl.Series(column, keys, dtype=kept.schema[column]))
        tables[name] = _in_order(kept, fresh.sort(list(schema), nulls_last=True), list(schema))
    return tables


def _in_order(kept: pl.DataFrame, fresh: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """The rows of both in the order ``canonical`` gives them by ``columns`` (equal rows have
    equal keys): both in that order already and of other persons, merged by person; else
    sorted."""
    if kept["client_id"].is_sorted() and fresh["client_id"].is_sorted():
        return kept.set_sorted("client_id").merge_sorted(fresh.set_sorted("client_id"), "client_id")
    return pl.concat([kept, fresh]).sort(columns, nulls_last=True)


def canonical(frame: pl.DataFrame) -> pl.DataFrame:
    """A table's rows in one order that depends only on the rows (a multiset)."""
    return frame.sort(frame.columns, nulls_last=True)


def only_persons(sources: dict[str, pl.DataFrame], persons: pl.Series) -> dict[str, pl.DataFrame]:
    """The rows of these persons in each table (what ``plan_partition`` needs to compare when
    the others' rows are the previous version's by construction)."""
    wanted = persons.implode()
    return {
        table: frame.filter(pl.col("client_id").is_in(wanted)) for table, frame in sources.items()
    }
