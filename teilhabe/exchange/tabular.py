"""Importing files into the tables of the data model: read, check everything, then upsert.

A Jobcenter gets its data as files: exports of its case software, spreadsheets of the network
coordinator, lists from providers. This module takes one file for one table and

1. reads it as people really have it (``read_file``): CSV with comma, semicolon, tab or "|",
   UTF-8 with or without BOM, Windows-1252 or UTF-16 (Excel's "Unicode text"), quoted fields,
   an Excel ``sep=`` line; Excel workbooks (first sheet); Parquet. Every value is read as text
   first, so that German dates (24.09.2013), decimal commas (48,68) and Excel's number cells
   (8135019 for the AGS 08135019) are interpreted the same way whatever the format. A file
   beyond the ``Limits`` (size, data rows, header columns; a workbook's zip archive unpacked
   piece by piece against its unpacked size, packing ratio, entries and cells) is refused with
   one German problem as soon as that is known, before it is parsed in full; a CSV is parsed
   as a stream and never held as text;
2. checks all of it before anything is written (``validate``): columns (matched
   case-insensitively, German headers and a few common spellings accepted), types, required
   fields, allowed codes (barrier catalogue, service categories, ...), keys (AGS with 8 digits),
   dates in range, references to rows that exist (in the database; a referral to an unknown
   service), duplicates of the natural key in the file, overlapping benefit spells. Every problem
   is reported with file, row (the header is row 1 in CSV and Excel; Parquet rows count from 1),
   column, value and a German message;
3. upserts by the table's natural key in ONE transaction (``import_table``): new rows are added,
   changed rows updated, nothing is deleted. Either the whole file lands or nothing changes, also
   when the process dies in the middle. Importing the same file twice changes nothing the second
   time. Columns missing from the file keep their values in existing rows.

Benefit spells get their derived month columns (``data_access.receipt.prepare_spells``) and the
LZB start of every spell of the clients concerned is recomputed; integrations get their month.
A real import is recorded in ``import_log``; when it changed data, ``dataset_info`` gets a new
``data_version`` (caches and the Parquet case copy are keyed on it, so the app shows the new data
without a restart), and an import of client-level data marks the data set as not synthetic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import DataError, IntegrityError

from data_access.auth import DATA_STEWARD, Actor, require_role
from data_access.models import (
    Barrier,
    ServiceCategory,
    ServiceCategoryBarrier,
)
from teilhabe.definitions import (
    BARRIERS,
    SERVICE_CATEGORIES,
)
from teilhabe.exchange.basics import LOOKUP_CHUNK, _chunks
from teilhabe.exchange.checking import _check, _Checked, _items, _Row
from teilhabe.exchange.core import TableImportReport, _log
from teilhabe.exchange.plan import _Plan
from teilhabe.exchange.reading import read_file
from teilhabe.exchange.report import Counts, Problem
from teilhabe.exchange.source import Limits, SourceFile
from teilhabe.exchange.specs import LinkSpec, TableSpec
from teilhabe.exchange.tables import table_spec

WRITE_CHUNK = 2_000  # rows per statement when writing


# --- Planning and writing --------------------------------------------------------------------


def _primary_key(spec: TableSpec) -> tuple[str, ...]:
    return tuple(column.name for column in spec.table.primary_key.columns)


def _load_existing(connection: Connection, spec: TableSpec, rows: list[_Row]) -> dict[tuple, dict]:
    """The database's rows with the natural keys of ``rows`` (key -> all columns)."""
    table = spec.table
    lookup = spec.key[0]
    values = sorted({row.get(lookup) for row in rows}, key=str)  # in chunks, in a fixed order
    keys = {row.key(spec) for row in rows}
    found: dict[tuple, dict] = {}
    for chunk in _chunks(values, LOOKUP_CHUNK):
        for record in connection.execute(
            select(table).where(table.c[lookup].in_(chunk))
        ).mappings():
            key = tuple(record[k] for k in spec.key)
            if key in keys:
                found[key] = dict(record)
    return found


def _load_links(connection: Connection, link: LinkSpec, owners: Iterable) -> dict[object, set[str]]:
    table = link.table
    result: dict[object, set[str]] = defaultdict(set)
    for chunk in _chunks(sorted(set(owners)), LOOKUP_CHUNK):
        statement = select(table.c[link.owner], table.c[link.value]).where(
            table.c[link.owner].in_(chunk)
        )
        for owner, value in connection.execute(statement):
            result[owner].add(value)
    return result


def _plan(connection: Connection, checked: _Checked) -> _Plan:
    spec = checked.spec
    if spec.planner is not None:  # the table plans its writes itself
        return spec.planner(connection, checked)
    plan = _Plan()
    existing = _load_existing(connection, spec, checked.rows)
    pk = _primary_key(spec)
    surrogate = pk == ("id",) and "id" not in spec.key
    base = [c.name for c in spec.table.c if c.name != "id" or not surrogate]
    provided = [c for c in base if c in checked.columns and c not in spec.key]
    link_columns = [c for c in spec.links if c in checked.columns]
    current_links = {
        column: _load_links(
            connection,
            spec.links[column],
            [record["id"] if surrogate else record[spec.key[0]] for record in existing.values()],
        )
        for column in link_columns
    }
    for row in checked.rows:
        key = row.key(spec)
        old = existing.get(key)
        if old is None:
            values = {c: row.get(c) for c in base}
            plan.inserts.append(values)
            plan.added += 1
            continue
        owner = old["id"] if surrogate else old[spec.key[0]]
        changed = tuple(c for c in provided if old[c] != row.values[c])
        links_changed = any(
            set(_items(row.values[column])) != current_links[column].get(owner, set())
            for column in link_columns
        )
        if changed:
            plan.updates[changed].append(
                {**{f"k_{c}": old[c] for c in pk}, **{f"v_{c}": row.values[c] for c in changed}}
            )
        if changed or links_changed:
            plan.updated += 1
        else:
            plan.unchanged += 1
    for column in link_columns:
        plan.links[column] = {
            row.key(spec): [str(v) for v in _items(row.values[column])] for row in checked.rows
        }
    return plan


def _write_chunk(connection: Connection, statement, rows: list[dict[str, object]]) -> None:
    """Execute one statement for a chunk of rows (the one place where rows are written)."""
    connection.execute(statement, rows)


def _apply(connection: Connection, checked: _Checked, plan: _Plan) -> None:
    spec = checked.spec
    table = spec.table
    pk = _primary_key(spec)
    for chunk in _chunks(plan.inserts, WRITE_CHUNK):
        _write_chunk(connection, insert(table), list(chunk))
    for columns, rows in plan.updates.items():
        statement = (
            update(table)
            .where(*(table.c[c] == bindparam(f"k_{c}") for c in pk))
            .values({c: bindparam(f"v_{c}") for c in columns})
        )
        for chunk in _chunks(rows, WRITE_CHUNK):
            _write_chunk(connection, statement, list(chunk))
    for column, wanted in plan.links.items():
        link = spec.links[column]
        link_table = link.table
        owners = _owners(connection, checked, list(wanted))
        current = _load_links(connection, link, owners.values())
        removals, additions = [], []
        for key, values in wanted.items():
            owner = owners[key]
            have = current.get(owner, set())
            removals += [{"o": owner, "v": v} for v in sorted(have - set(values))]
            additions += [{link.owner: owner, link.value: v} for v in values if v not in have]
        removal = delete(link_table).where(
            link_table.c[link.owner] == bindparam("o"), link_table.c[link.value] == bindparam("v")
        )
        for chunk in _chunks(removals, WRITE_CHUNK):
            _write_chunk(connection, removal, list(chunk))
        for chunk in _chunks(additions, WRITE_CHUNK):
            _write_chunk(connection, insert(link_table), list(chunk))


def _owners(connection: Connection, checked: _Checked, keys: list[tuple]) -> dict[tuple, object]:
    """Natural key -> the value a link table stores for the row (its id, or its key)."""
    spec = checked.spec
    if _primary_key(spec) != ("id",) or "id" in spec.key:
        return {key: key[0] for key in keys}
    rows = [_Row(0, dict(zip(spec.key, key, strict=True)), {}) for key in keys]
    return {key: record["id"] for key, record in _load_existing(connection, spec, rows).items()}


def _seed_catalogues(connection: Connection, spec: TableSpec) -> bool:
    """Write the shared barrier and service catalogue into a database that has none yet, when
    the table refers to them."""
    if not any(column.catalogue for column in spec.columns):
        return False
    seeded = False
    if connection.execute(select(func.count()).select_from(Barrier)).scalar_one() == 0:
        connection.execute(insert(Barrier), [vars(b) for b in BARRIERS])
        seeded = True
    if connection.execute(select(func.count()).select_from(ServiceCategory)).scalar_one() == 0:
        connection.execute(
            insert(ServiceCategory),
            [{"code": c.code, "label": c.label} for c in SERVICE_CATEGORIES],
        )
        connection.execute(
            insert(ServiceCategoryBarrier),
            [
                {"category_code": c.code, "barrier_code": b}
                for c in SERVICE_CATEGORIES
                for b in c.barriers
            ],
        )
        seeded = True
    return seeded


# --- Importing -------------------------------------------------------------------------------


def validate(
    engine: Engine,
    table: str,
    source: Path | str | bytes | SourceFile,
    *,
    actor: Actor,
    name: str | None = None,
    limits: Limits | None = None,
) -> TableImportReport:
    """Check a file completely and say what an import would do; writes nothing.

    Needs the role ``datenverantwortung`` like the import (the check looks up persons and
    spells in the database).
    """
    return import_table(engine, table, source, actor=actor, name=name, dry_run=True, limits=limits)


def import_table(
    engine: Engine,
    table: str,
    source: Path | str | bytes | SourceFile,
    *,
    actor: Actor,
    name: str | None = None,
    dry_run: bool = False,
    limits: Limits | None = None,
) -> TableImportReport:
    """Check the file and upsert its rows by natural key, all in one transaction.

    ``actor`` is the person importing; without the role ``datenverantwortung`` (or higher)
    ``PermissionDenied`` is raised before the file is even read. With problems nothing is
    written and the report lists every one of them; with ``dry_run`` nothing is written either,
    and the report says what the import would add and update. Otherwise the rows are written,
    the import is logged (``import_log``, naming the actor) and, if anything changed, the data
    get a new version. A file beyond ``limits`` (default: ``Limits()``) is refused while it is
    read, with one problem naming the limit. Raises ``UnknownTable`` for a table name that is
    not importable; a failure while writing (database gone, disk full) propagates and leaves
    the database as it was.
    """
    require_role(actor, DATA_STEWARD, "Der Import von Dateien")
    spec = table_spec(table)
    file = source if isinstance(source, SourceFile) else read_file(source, name, limits)
    report = TableImportReport(spec.name, file.name, file.sha256, file.format, dry_run=dry_run)
    try:
        with engine.connect() as connection, connection.begin() as transaction:
            checked = _check(connection, spec, file)
            report.rows = len(checked.rows)
            report.problems = checked.problems
            report.notes = checked.notes
            if checked.problems:
                transaction.rollback()
                return report
            plan = _plan(connection, checked)
            report.counts[spec.name] = Counts(plan.added, plan.updated, plan.unchanged)
            if dry_run:
                transaction.rollback()
                return report
            seeded = _seed_catalogues(connection, spec)
            _apply(connection, checked, plan)
            # derived columns of rows not in the file (LZB months of a person's other spells)
            # count as a change of the data, too
            report.changed = seeded or bool(plan.inserts or plan.updates or plan.updated)
            _log(connection, report, actor)
    except (IntegrityError, DataError):
        # e.g. another process changed the same rows at the same moment: nothing was written
        report.problems.append(
            Problem(
                file.name,
                None,
                None,
                None,
                "Die Datenbank hat den Import abgelehnt (ein Schlüssel oder Verweis passt nicht, "
                "etwa weil sich dieselben Daten gleichzeitig geändert haben). Es wurde nichts "
                "geschrieben; bitte erneut prüfen und importieren.",
            )
        )
        report.changed, report.data_version, report.log_id = False, None, None
    return report
