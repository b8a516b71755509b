"""The cube store: the case copy and cube of a data version, built once, read by every process.

``build_store`` (``teilhabe cube build``, and the end of every import) reads the case tables in
one snapshot and writes the copy (``cases.Cases``: the persons, their spells, integrations,
barriers and measures, the monthly cube and the referral rows) as one Parquet file per frame
into a folder of its own, then names that folder in the manifest. App processes only read:
``current`` reads the manifest (a few hundred bytes, cheap enough for every page run) and
``read_version`` the folder it names: the cube's frames without the barrier masks at once, the
per-person frames (persons, spells, barriers, referral rows, ...) and the cells by barrier mask
only when a page first asks for them (``ON_FIRST_USE``), so that a process showing the
Übersicht holds neither the persons nor the largest frame of the cube. Several processes, also
on several machines with a shared path, read one store.

Layout, per database (``database_folder``: one subfolder per database URL, so that two
databases never share a manifest)::

    <store>/<database>/manifest.json          the last complete version (Manifest)
    <store>/<database>/v-<key>-<build>/<frame>/*.parquet   (the cube's frames: 6 months a file)
    <store>/<database>/.build-*/              a build in progress (never read)

Writing is atomic for readers: a build writes into a ``.build-*`` folder, renames it to its
final name when every file is complete, and only then replaces the manifest (a temporary file
and ``os.replace``). A reader therefore sees the old version or the new one, never half of one.
The version before the current one is kept, so that a reader that read the manifest just
before it changed still finds its folder; older ones are deleted.

The build is lean: the persons are split into partitions (the municipalities of one district,
at most ``PARTITION_PERSONS`` persons each; cells never span municipalities, so the partitions'
cubes are disjoint). The other tables are streamed from the database once, in batches, and
spilled to Parquet by partition; then each partition's copy and cube are built (the same
``cases.code_cases`` and ``cube.build`` as a build in memory), written and freed; finally each
frame's parts are merged, sorted as ``cube`` sorts it, the cube's frames a few months at a
time. Peak memory follows the largest partition and a merge window, not the number of persons.

The store holds client-level data: its folders are 0700 and its files 0600.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

import polars as pl
from sqlalchemy import Connection, Engine

from teilhabe import cube
from teilhabe.cases import (
    CLIENT_SCHEMA,
    PERSON_FIELDS,
    Cases,
    StoredFrame,
    clients_statement,
    code_cases,
    data_as_of,
    read_batches,
    recorded_version,
    snapshot,
    table_statements,
)
from teilhabe.protection import secret_fingerprint

LOG = logging.getLogger(__name__)

# Raise when the layout of the stored copy changes: a store of another layout counts as empty.
# 3: entries and exits of ELB and LZB in the cube (K1E2..K3E4); 4: the rollups (issue 16)
STORE_LAYOUT = 4
MANIFEST = "manifest.json"
PARTITION_PERSONS = 250_000
MERGE_MONTHS = 6  # months of the cube merged (and stored) per file
STALE_BUILD_SECONDS = 6 * 3600  # a build folder this old belongs to a build that died
CASE_FIELDS = tuple(f.name for f in fields(Cases))
# the order of each frame in the store (the cube's frames as ``cube`` sorts them: by month)
SORT_KEYS: dict[str, tuple[str, ...]] = {
    "clients": ("client",),
    "spells": ("client", "start_month"),
    "integrations": ("client", "month"),
    "barriers": ("client", "barrier_code", "first_month"),
    "measures": ("client", "first_month"),
    "stock_cells": ("month", *cube.CELL_KEYS, "barrier_mask"),
    "stock_plain": ("month", *cube.CELL_KEYS),
    "flow_cells": ("month", *cube.CELL_KEYS, "barrier_mask"),
    "flow_plain": ("month", *cube.CELL_KEYS),
    "stock_rollups": cube.ROLLUP_KEYS,
    "flow_rollups": cube.ROLLUP_KEYS,
    "referral_rows": ("month", "client"),
}
# The frames an app process reads only when a page first asks for them: the per-person frames
# (the network and barrier pages') and the cube's cells by barrier mask (a barrier filter's),
# the largest of all; the Übersicht without a barrier filter needs neither.
ON_FIRST_USE = (*PERSON_FIELDS, "stock_cells", "flow_cells")
# Enum columns of the cube whose categories come from the data (the source column of the
# persons): a partition's categories are a subset of the whole's
DATA_ENUMS = {"municipality": "municipality_ags", "sex": "sex"}
CUBE_FIELDS = (
    "stock_cells",
    "stock_plain",
    "flow_cells",
    "flow_plain",
    "stock_rollups",
    "flow_rollups",
    "referral_rows",
)
# The rollups: each partition's rows summed with the others' in the merge (they stay small).
ROLLUP_FIELDS = ("stock_rollups", "flow_rollups")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Manifest:
    """The last complete version of a database's copy in the store."""

    version: str  # the data version of the database it was read from
    folder: str  # its folder in the database's store folder; unique per build
    as_of: int | None  # the month the data describe (``cases.data_as_of``)
    persons: int
    partitions: int
    built_at: str  # ISO time (UTC)
    seconds: float  # how long the build took
    secret: str  # fingerprint of the cell-key secret the record keys derive from
    layout: int = STORE_LAYOUT


def database_folder(store: Path, database_label: str) -> Path:
    """The store folder of one database (named by a digest of its URL without password)."""
    return store / hashlib.sha256(database_label.encode("utf-8")).hexdigest()[:16]


def current(store: Path, database_label: str, secret: str | None) -> Manifest | None:
    """The store's last complete version for this database and secret; None if there is none
    (no manifest, an unreadable one, another layout, another secret, or its folder missing).
    ``secret`` None: whatever secret (for what needs no figures about persons)."""
    base = database_folder(store, database_label)
    try:
        raw = json.loads((base / MANIFEST).read_text(encoding="utf-8"))
        manifest = Manifest(**raw)
    except (OSError, ValueError, TypeError) as error:
        if not isinstance(error, FileNotFoundError):
            LOG.warning("Manifest in %s unreadable (%s)", base, error)
        return None
    if manifest.layout != STORE_LAYOUT:
        return None
    if secret is not None and manifest.secret != secret_fingerprint(secret):
        return None
    if not (base / manifest.folder).is_dir():
        return None
    return manifest


def read_version(store: Path, database_label: str, folder: str, *, lazy: bool = True) -> Cases:
    """The copy stored in ``folder`` (a manifest's), every frame read completely (its files in
    order: the cube's are month windows); those of ``ON_FIRST_USE`` only when first used
    (``lazy``), else now. A frame first used after its version was deleted (two newer builds
    later) cannot be read: the next page run reads the newer version."""
    where = database_folder(store, database_label) / folder
    return Cases(
        **{
            name: _stored_frame(where / name)
            if lazy and name in ON_FIRST_USE
            else _read_frame(where / name)
            for name in CASE_FIELDS
        }
    )


def _frame_files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("*.parquet"))
    if not files:
        raise FileNotFoundError(f"{folder} holds no Parquet file")
    return files


def _read_frame(folder: Path) -> pl.DataFrame:
    return pl.read_parquet(_frame_files(folder))


def _stored_frame(folder: Path) -> StoredFrame:
    return StoredFrame(_frame_files(folder))


def load(store: Path, database_label: str, secret: str | None) -> tuple[Cases, Manifest] | None:
    """The current version and its manifest, or None if the store has none. A version
    replaced (and deleted) while it is read is read again as the newer one."""
    for attempt in range(3):
        manifest = current(store, database_label, secret)
        if manifest is None:
            return None
        try:
            return read_version(store, database_label, manifest.folder), manifest
        except (OSError, pl.exceptions.PolarsError):
            if attempt == 2:
                raise
    return None


# --- Building ----------------------------------------------------------------------------------


def build_store(
    engine: Engine,
    store: Path,
    *,
    database_label: str,
    secret: str,
    partition_persons: int = PARTITION_PERSONS,
    progress: Progress | None = None,
) -> Manifest:
    """Build the copy of the database's current data version into the store and make it the
    current version; the manifest of the new version."""
    say = progress or (lambda _text: None)
    started = time.perf_counter()
    base = database_folder(store, database_label)
    _private_folder(base)
    _remove_stale_builds(base)
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=base))
    try:
        with snapshot(engine) as connection:
            version = recorded_version(connection)
            through = data_as_of(connection)
            clients = _read_clients(connection, partition_persons)
            count = clients["partition"].n_unique() if clients.height else 0
            say(f"{clients.height} Personen in {count} Teilen; Tabellen werden gelesen …")
            _spill(connection, clients.select("client_id", "partition"), work / "spill")
        types = {
            column: pl.Enum(sorted(clients[source].unique().drop_nulls()))
            for column, source in DATA_ENUMS.items()
        }
        for number in range(max(count, 1)):
            part = clients.filter(pl.col("partition") == number).drop("partition")
            copy = _build_partition(part, work / "spill", number, through, secret, types)
            _write_parts(copy, work / "parts", number)
            del copy
            say(f"Teil {number + 1} von {max(count, 1)} gebaut")
        finished = work / "version"
        _merge(work / "parts", finished)
        folder = f"v-{_version_key(version, secret)}-{time.time_ns():x}"
        finished.rename(base / folder)
        manifest = Manifest(
            version=version,
            folder=folder,
            as_of=through,
            persons=clients.height,
            partitions=max(count, 1),
            built_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            seconds=round(time.perf_counter() - started, 3),
            secret=secret_fingerprint(secret),
        )
        _write_manifest(base, manifest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _remove_superseded(base, manifest.folder)
    return manifest


def _read_clients(connection: Connection, partition_persons: int) -> pl.DataFrame:
    """All persons with their dense index (as ``cases.read_cases`` gives it) and partition."""
    frames = list(read_batches(connection, clients_statement(), CLIENT_SCHEMA))
    clients = pl.concat(frames) if frames else pl.DataFrame(schema=CLIENT_SCHEMA)
    clients = clients.with_row_index("client")
    sizes = (
        clients.group_by("district_key", "municipality_ags")
        .len()
        .sort("district_key", "municipality_ags")
    )
    assigned: dict[str, int] = {}
    number, filled, district = -1, 0, None
    for key, ags, size in sizes.iter_rows():
        # a new partition with each district, and when the next municipality would overflow it
        if number < 0 or key != district or filled + size > partition_persons:
            number, filled, district = number + 1, 0, key
        assigned[ags] = number
        filled += size
    return clients.with_columns(
        pl.col("municipality_ags")
        .replace_strict(assigned, return_dtype=pl.Int32, default=None)
        .alias("partition")
    )


def _spill(connection: Connection, index: pl.DataFrame, folder: Path) -> None:
    """Stream every other case table once and write its rows by partition of their person
    (rows of unknown persons are left out, as ``cases.code_cases`` leaves them out)."""
    for name, (statement, schema) in table_statements().items():
        for number, batch in enumerate(read_batches(connection, statement, schema)):
            routed = batch.join(index, on="client_id")
            for key, piece in routed.partition_by(
                "partition", as_dict=True, include_key=False
            ).items():
                target = folder / name / str(key[0])
                target.mkdir(parents=True, exist_ok=True)
                piece.write_parquet(target / f"{number:06d}.parquet")


def _read_spilled(folder: Path, schema: dict) -> pl.DataFrame:
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        return pl.DataFrame(schema=schema)
    return pl.read_parquet(files).cast(pl.Schema(schema))


def _build_partition(  # noqa: PLR0913 - the partition and what it is built with
    clients: pl.DataFrame,
    spill: Path,
    number: int,
    through: int | None,
    secret: str,
    types: dict[str, pl.Enum],
) -> Cases:
    """The copy of one partition, its Enum columns typed as those of the whole."""
    tables = {
        name: _read_spilled(spill / name / str(number), schema)
        for name, (_statement, schema) in table_statements().items()
    }
    copy = code_cases(clients, **tables, through=through, secret=secret)
    retyped = {
        name: getattr(copy, name).with_columns(
            pl.col(column).cast(pl.String).cast(dtype) for column, dtype in types.items()
        )
        for name in CUBE_FIELDS
    }
    return dataclasses.replace(copy, **retyped)


def _write_parts(copy: Cases, folder: Path, number: int) -> None:
    for name in CASE_FIELDS:
        target = folder / name
        target.mkdir(parents=True, exist_ok=True)
        getattr(copy, name).write_parquet(target / f"{number:05d}.parquet")


def _merge(parts: Path, folder: Path) -> None:
    """Each frame's parts into ``folder/<frame>/``, sorted by ``SORT_KEYS``: the cube's frames
    month window by month window (``MERGE_MONTHS`` at a time, one file each, in month order;
    the parts are sorted by month, so each window reads only its row groups), so that the
    merge holds one window and never a whole frame; the others (a few rows per person) in one
    streamed sort."""
    _private_folder(folder)
    for name in CASE_FIELDS:
        files = sorted((parts / name).glob("*.parquet"))
        target = folder / name
        _private_folder(target)
        frames = pl.scan_parquet(files)
        if name not in CUBE_FIELDS:
            frames.sort(*SORT_KEYS[name], maintain_order=True).sink_parquet(
                target / "00000.parquet"
            )
            continue
        bounds = frames.select(
            pl.col("month").min().alias("first"), pl.col("month").max()
        ).collect()
        first, last = bounds.row(0)
        if first is None:  # no rows: one empty file keeps the schema
            frames.head(0).collect().write_parquet(target / "00000.parquet")
            continue
        for number, start in enumerate(range(first, last + 1, MERGE_MONTHS)):
            window = frames.filter(pl.col("month").is_between(start, start + MERGE_MONTHS - 1))
            if name in ROLLUP_FIELDS:  # UInt32 sums: key sums wrap as in ``cube.rollups``
                window = window.group_by(*SORT_KEYS[name]).agg(pl.exclude(*SORT_KEYS[name]).sum())
            window.sort(*SORT_KEYS[name], maintain_order=True).collect().write_parquet(
                target / f"{number:05d}.parquet"
            )
    for file in folder.rglob("*.parquet"):
        os.chmod(file, 0o600)


def _version_key(version: str, secret: str) -> str:
    key = f"{version}\n{STORE_LAYOUT}\n{secret_fingerprint(secret)}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def _write_manifest(base: Path, manifest: Manifest) -> None:
    """Replace the manifest in one step (a reader reads the old one or the new one)."""
    handle, name = tempfile.mkstemp(prefix=".manifest-", dir=base)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(dataclasses.asdict(manifest), file, indent=1)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(name, 0o600)
        os.replace(name, base / MANIFEST)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _private_folder(folder: Path) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)


def _remove_superseded(base: Path, keep: str) -> None:
    """Delete versions older than the one before ``keep`` (a reader may still read that one)."""
    versions = sorted(
        (p for p in base.iterdir() if p.is_dir() and p.name.startswith("v-") and p.name != keep),
        key=lambda p: p.stat().st_mtime,
    )
    for old in versions[:-1]:
        shutil.rmtree(old, ignore_errors=True)


def _remove_stale_builds(base: Path) -> None:
    now = time.time()
    for build in base.glob(".build-*"):
        try:
            if now - build.stat().st_mtime > STALE_BUILD_SECONDS:
                shutil.rmtree(build, ignore_errors=True)
        except OSError:
            continue
