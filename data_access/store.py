"""Writing whole data sets (replace every table's rows in one transaction) and the one place
that writes ``dataset_info``, above all the data version every cache is keyed on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import polars as pl
from sqlalchemy import Connection, Engine, Table, delete, func, insert, select, update

from data_access.changes import replacing_everything
from data_access.models import Base, CaseChange, Client, DatasetInfo, ImportLog
from data_access.periods import month_index_expr
from data_access.receipt import prepare_spells

INSERT_CHUNK_ROWS = 50_000


def replace_dataset(*, engine: Engine, tables: dict[str, pl.DataFrame]) -> dict[str, int]:
    """Delete all rows and insert ``tables`` (table name -> frame); all or nothing.

    Frames may carry extra columns (e.g. a postcode used by the generator); only the columns of
    the table are written. Returns the row count written per table.
    """
    unknown = set(tables) - set(Base.metadata.tables)
    if unknown:
        raise ValueError(f"Unbekannte Tabellen: {', '.join(sorted(unknown))}")
    ordered = (
        (table.name, tables[table.name])
        for table in Base.metadata.sorted_tables
        if table.name in tables
    )
    return replace_dataset_chunks(engine=engine, chunks=ordered)


def replace_dataset_chunks(
    *, engine: Engine, chunks: Iterable[tuple[str, pl.DataFrame]]
) -> dict[str, int]:
    """``replace_dataset`` for a data set written piece by piece (table name, frame), so that
    it never has to be in memory as a whole (the demo at a scale of millions): all or nothing,
    in one transaction. The pieces come in an order the foreign keys allow (a row's references
    written before it), each table's pieces in the order of its rows."""
    written: dict[str, int] = {}
    with engine.begin() as connection, replacing_everything(connection):
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in ("alembic_version", CaseChange.__tablename__):
                connection.execute(delete(table))
        for name, piece in chunks:
            table = Base.metadata.tables.get(name)
            if table is None:
                raise ValueError(f"Unbekannte Tabelle: {name}")
            frame = piece
            if name == "benefit_spell":
                frame = prepare_spells(frame)  # per person: a piece holds all of a person's
            elif name == "integration":
                frame = frame.with_columns(month=month_index_expr(pl.col("date")))
            frame = frame.select([c for c in frame.columns if c in table.columns])
            if name == DatasetInfo.__tablename__:
                _write_dataset_info(connection, frame)
            else:
                bulk_insert(connection, table, frame)
            written[name] = written.get(name, 0) + frame.height
    return written


def _write_dataset_info(connection: Connection, frame: pl.DataFrame) -> None:
    for key, value in frame.select("key", "value").iter_rows():
        if key == DATA_VERSION:
            set_data_version(connection, value)
        else:
            set_dataset_info(connection, key, value)


DATA_VERSION = "data_version"  # the dataset_info key caches and the case copy are keyed on


def set_dataset_info(connection: Connection, key: str, value: str) -> None:
    """Insert or update one key of ``dataset_info`` (inside the caller's transaction)."""
    exists = connection.execute(select(DatasetInfo.key).where(DatasetInfo.key == key)).scalar()
    if exists is None:
        connection.execute(insert(DatasetInfo).values(key=key, value=value))
    else:
        connection.execute(update(DatasetInfo).where(DatasetInfo.key == key).values(value=value))


def set_data_version(connection: Connection, version: str) -> str:
    """Give the data the version ``version`` (inside the caller's transaction): every writer of
    the data version calls this, a data set written as a whole (the demo) as well as
    ``new_data_version`` after an import. Returns the version."""
    set_dataset_info(connection, DATA_VERSION, version)
    return version


def new_data_version(connection: Connection, *, kind: str, log_id: int, sha256: str) -> str:
    """A new data version after an import that changed data, one convention for every importer:
    ``{kind}-{import log id}-{UTC time to the microsecond}-{first 8 hex digits of the file's
    SHA-256}`` (e.g. ``import-7-20261130T080000123456Z-abcdef12``). It is recorded on the
    import's ``import_log`` row and becomes the data version (``set_data_version``)."""
    now = dt.datetime.now(dt.UTC)
    version = f"{kind}-{log_id}-{now:%Y%m%dT%H%M%S%fZ}-{sha256[:8]}"
    connection.execute(update(ImportLog).where(ImportLog.id == log_id).values(data_version=version))
    return set_data_version(connection, version)


def bulk_insert(connection: Connection, table: Table, frame: pl.DataFrame) -> None:
    """Insert a frame's rows fast: COPY on PostgreSQL, a prepared executemany on SQLite.

    Values are stored exactly as the ORM would store them (ISO dates on SQLite), so that rows
    written here and rows written through SQLAlchemy compare equal.
    """
    if frame.is_empty():
        return
    columns = frame.columns
    names = ", ".join(connection.dialect.identifier_preparer.quote(c) for c in columns)
    quoted_table = connection.dialect.identifier_preparer.format_table(table)
    if connection.dialect.name == "postgresql":
        dbapi = connection.connection.dbapi_connection
        assert dbapi is not None  # an open connection has its driver connection
        cursor = dbapi.cursor()
        with cursor.copy(f"COPY {quoted_table} ({names}) FROM STDIN") as copy:
            for row in frame.iter_rows():
                copy.write_row(row)
        return
    dates = [c for c, dtype in frame.schema.items() if dtype == pl.Date]
    frame = frame.with_columns(pl.col(c).dt.to_string("%Y-%m-%d") for c in dates)
    placeholders = ", ".join("?" for _ in columns)
    statement = f"INSERT INTO {quoted_table} ({names}) VALUES ({placeholders})"
    for chunk in frame.iter_slices(INSERT_CHUNK_ROWS):
        connection.exec_driver_sql(statement, chunk.rows())


def has_data(engine: Engine) -> bool:
    """True once any data set (demo or imported) has been written."""
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(DatasetInfo)).scalar_one() > 0


def holds_real_data(engine: Engine) -> bool:
    """True if the database holds data that were not generated by the demo generator."""
    with engine.connect() as connection:
        synthetic = connection.execute(
            select(DatasetInfo.value).where(DatasetInfo.key == "synthetic")
        ).scalar()
        clients = connection.execute(select(func.count()).select_from(Client)).scalar_one()
    return clients > 0 and synthetic != "true"
