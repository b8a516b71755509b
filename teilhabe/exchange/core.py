"""The core every importer shares: the record of an import in ``import_log``, the data version
an import that changed data bumps, and the report of a table import (``TableImportReport``; the
shape every importer's report shares is in ``report``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl
from sqlalchemy import Connection, Engine, insert, select

from data_access.auth import Actor
from data_access.models import (
    ImportLog,
)
from data_access.store import new_data_version, set_dataset_info
from teilhabe.exchange.basics import _count
from teilhabe.exchange.report import ImportReport
from teilhabe.exchange.tables import TABLES

# --- The report of a table import -----------------------------------------------------------


@dataclass
class TableImportReport(ImportReport):
    """The report of a table file: the general report plus the file's table, hash, format and
    rows read."""

    table: str
    file_name: str
    sha256: str
    file_format: str
    rows: int = 0

    def __post_init__(self) -> None:
        if self.table in TABLES:
            self.labels.setdefault(self.table, TABLES[self.table].label)

    @property
    def label(self) -> str:
        return self.labels.get(self.table, self.table)

    @property
    def subject(self) -> str:
        return f"Die Datei {self.file_name}"

    def opening(self) -> list[str]:
        return [
            f"{self.file_name} ({self.file_format}) geprüft: {_count(self.rows)} "
            f"{'Zeile' if self.rows == 1 else 'Zeilen'} für {self.label}, keine Probleme."
        ]


def failure_message(error: Exception) -> str:
    """One German line for a database error while importing (nothing was written)."""
    cause = str(getattr(error, "orig", None) or error).strip().splitlines()
    return (
        "Der Import ist an der Datenbank gescheitert"
        + (f" ({cause[0]})" if cause else "")
        + "; es wurde nichts geschrieben."
    )


def attribution(actor: Actor) -> dict[str, str | None]:
    """The ``import_log`` columns naming who imported: a label (e-mail, name or OS user) and,
    for a logged-in person, their OIDC subject, e-mail and role."""
    return {
        "imported_by": actor.label[:120] if actor.kind != "cli" or actor.name else None,
        "imported_by_subject": actor.subject[:255] if actor.subject else None,
        "imported_by_email": actor.email[:255] if actor.email else None,
        "imported_by_role": actor.role if actor.kind != "cli" else None,
    }


def _log(connection: Connection, report: TableImportReport, actor: Actor) -> None:
    """Record a real import of a table file; when it changed data, a new data version."""
    report.log_id = record_import(
        connection,
        table=report.table,
        file_name=report.file_name,
        sha256=report.sha256,
        counts=(report.added, report.updated, report.unchanged),
        actor=actor,
        rows=report.rows,
    )
    if not report.changed:
        return
    report.data_version = new_data_version(
        connection, kind="import", log_id=report.log_id, sha256=report.sha256
    )
    if TABLES[report.table].personal:
        set_dataset_info(connection, "synthetic", "false")


def record_import(
    connection: Connection,
    *,
    table: str,
    file_name: str,
    sha256: str,
    counts: tuple[int, int, int],
    actor: Actor,
    rows: int | None = None,
) -> int:
    """Log an import (a table file, the HSDS provider directory, boundaries) in ``import_log``,
    inside the caller's transaction; ``counts`` are added, updated and unchanged rows, ``rows``
    the rows read (default: their sum). The data version is given by ``new_data_version``.
    Returns the log's id."""
    added, updated, unchanged = counts
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    result = connection.execute(
        insert(ImportLog).values(
            imported_at=now,
            table_name=table[:40],
            file_name=file_name[:255],
            file_sha256=sha256,
            rows=added + updated + unchanged if rows is None else rows,
            added=added,
            updated=updated,
            unchanged=unchanged,
            **attribution(actor),
        )
    )
    key = result.inserted_primary_key
    assert key is not None  # an INSERT of one row has its key
    return int(key[0])


def import_log(engine: Engine, *, limit: int = 200) -> pl.DataFrame:
    """The newest imports first: time (UTC), table, file, hash, counts, by whom, data version."""
    schema: dict[str, pl.DataType | type[pl.DataType]] = {
        "id": pl.Int64,
        "imported_at": pl.Datetime("us"),
        "table_name": pl.String,
        "file_name": pl.String,
        "file_sha256": pl.String,
        "rows": pl.Int64,
        "added": pl.Int64,
        "updated": pl.Int64,
        "unchanged": pl.Int64,
        "imported_by": pl.String,
        "data_version": pl.String,
        "imported_by_subject": pl.String,
        "imported_by_email": pl.String,
        "imported_by_role": pl.String,
    }
    with engine.connect() as connection:
        records = connection.execute(
            select(ImportLog.__table__).order_by(ImportLog.id.desc()).limit(limit)
        ).all()
    return pl.DataFrame([tuple(r) for r in records], schema=schema, orient="row")
