"""Building the cube store (``build_store``): each version whole, but only what changed rebuilt.

The persons are split into partitions (the municipalities of one district, at most
``PARTITION_PERSONS`` persons each; cells never span municipalities, so the partitions' cubes
are disjoint). The other tables are streamed from the database once, in batches, and spilled
to Parquet by partition; then each partition's copy and cube are built (``cases.code_cases``
and ``cube.build``, as a build in memory), written as the partition's parts and freed; finally
each frame's parts are merged into the files the apps read (``cube_store``), sorted as
``cube`` sorts them, the cube's frames ``MERGE_MONTHS`` months a file (window ``month //
MERGE_MONTHS``). Peak memory follows the largest partition and a merge window.

A version folder keeps, next to the frames, what the next build needs (``_build/``, never read
by an app): each partition's source rows as read from the database (with the record keys of
its persons, integrations and referrals: the next build takes them over for the same records
instead of computing each HMAC again), its parts (the per-person
frames one file a partition, the cube's frames one file a partition and window) and
``build.json``. The next build compares each partition's source rows with the previous
version's, exactly (as multisets of rows):

- all equal and the same month of the data (``through``): the partition's parts are hard links
  to the previous version's (a delivery for another district);
- otherwise the first month whose cube rows can differ (``since``, below): the partition's
  per-person frames and referral rows are built anew, its stocks and flows only for the months
  from ``since["stock"]`` and ``since["flow"]`` on (``cube.build(since=...)``); the earlier
  months' parts are reused;
- a merged file whose parts are all the previous version's very files (the same inodes) is a
  hard link to the previous merged file; every other one is merged anew.

``since``: the cube's rows of month m depend only on the rows of the tables as seen through
month m (spells that started by m with their end and LZB start cut at m, the integrations,
barriers and measures that began by m with their end cut at m), on the persons'
characteristics and on the Enum types of the whole. ``_events`` turns each row into events
dated in the first month they can change, so that the events up to m tell the rows as seen
through m; the events up to ``T`` (the earlier of the old and new month of the data) are
compared, and ``since`` is the first month of an event in one and not the other, at most
T + 1, for the stocks over the tables they depend on (spells, barriers, measures) and for the
flows over theirs (spells, integrations, barriers). A change of a person's characteristics
(not of their index), of the partition's municipalities, of the
Enum types, layout or secret, or no previous version at all, rebuilds the partition from its first
month (a full build). So a correction of an old record rebuilds from its month; a monthly
delivery (one more month, open spells continuing) from the new month, the flows from the month
of the oldest record it changed (e.g. the integrations whose continuity became known). Readers
see a new version only when it is complete (``cube_store``).

Where the database's record of changes (``data_access.changes``) tells which persons changed
since the previous version, only their rows are read and compared; the others' are the
previous version's kept rows (``cube_patch``). Otherwise, or if a kept file turns out to be
unreadable, everything is read (``KeptUnreadable``: the build starts again that way).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Final

import polars as pl
from sqlalchemy import Connection, Engine

from data_access.periods import month_key
from teilhabe.cases import (
    CLIENT_SCHEMA,
    clients_statement,
    code_cases,
    data_as_of,
    fetch_batches,
    recorded_version,
    snapshot,
    table_statements,
)
from teilhabe.cube_changes import (
    BUILD,
    CLIENT_SOURCE,
    RECORD,
    Plan,
    Previous,
    keyed,
    old_sources,
    plan_partition,
    previous_version,
    write_record,
)
from teilhabe.cube_patch import (
    Delta,
    canonical,
    only_persons,
    patched_clients,
    patched_sources,
    read_delta,
)
from teilhabe.cube_store import (
    CASE_FIELDS,
    CUBE_FIELDS,
    DATA_ENUMS,
    MERGE_MONTHS,
    PARTITION_PERSONS,
    ROLLUP_FIELDS,
    SORT_KEYS,
    STALE_BUILD_SECONDS,
    Manifest,
    Progress,
    database_folder,
    private_folder,
    remove_superseded,
    version_key,
    write_manifest,
)
from teilhabe.protection import secret_fingerprint

PEOPLE_FIELDS = tuple(name for name in CASE_FIELDS if name not in CUBE_FIELDS)
# the cube's frames whose rows of a month depend only on the data seen through that month
MONTHLY_FIELDS = tuple(name for name in CUBE_FIELDS if name != "referral_rows")
KEPT: Final = "lz4"  # compression of what only builds read (``_build/``): fast to write and read


def build_store(
    engine: Engine,
    store: Path,
    *,
    database_label: str,
    secret: str,
    partition_persons: int = PARTITION_PERSONS,
    progress: Progress | None = None,
) -> Manifest:
    """Build the copy of the database's current data version into the store, reusing what the
    current version already holds (see the module), and make it the current version; the
    manifest of the new version."""
    arguments = (engine, store, database_label, secret, partition_persons, progress)
    try:
        return _build_version(*arguments, use_record=True)
    except KeptUnreadable:  # what the record of changes needed is gone: read everything
        return _build_version(*arguments, use_record=False)


class KeptUnreadable(Exception):
    """The previous version's kept source rows of a partition could not be read."""


def _build_version(  # noqa: PLR0913 - as ``build_store``
    engine: Engine,
    store: Path,
    database_label: str,
    secret: str,
    partition_persons: int,
    progress: Progress | None,
    *,
    use_record: bool,
) -> Manifest:
    """``build_store``; with ``use_record``, reading only what the record of changes names
    where it can."""
    say = progress or (lambda _text: None)
    started = time.perf_counter()
    base = database_folder(store, database_label)
    private_folder(base)
    _remove_stale_builds(base)
    previous = previous_version(store, database_label, secret)
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=base))
    try:
        with snapshot(engine) as connection:
            version = recorded_version(connection)
            through = data_as_of(connection)
            mark, delta = read_delta(connection, previous if use_record else None)
            clients = _clients(connection, previous, delta, partition_persons)
            names = _partition_names(clients)
            types = {
                column: sorted(clients[source].unique().drop_nulls())
                for column, source in DATA_ENUMS.items()
            }
            if previous is not None and previous.types != types:
                previous = None  # other categories: every part is typed anew
            if previous is None or not set(names) <= previous.partitions:
                delta = None  # other partitions: their rows are read in full
            say(f"{clients.height} Personen in {len(names)} Teilen; {_reading(delta)} …")
            if delta is None:
                _spill(connection, clients.select("client_id", "partition"), work / "spill")
        finished = work / "version"
        private_folder(finished / BUILD)
        for number, name in enumerate(names):
            part = clients.filter(pl.col("partition") == number).drop("partition")
            old = old_sources(previous, name)
            if delta is None:
                sources = keyed(_sources(part, work / "spill", number), old, secret)
                plan = plan_partition(previous, old, sources, through)
            else:
                if old is None:
                    raise KeptUnreadable(name)
                sources = patched_sources(part, old, delta, secret)
                plan = plan_partition(
                    previous,
                    only_persons(old, delta.persons),
                    only_persons(sources, delta.persons),
                    through,
                )
            _build_partition(
                sources,
                name,
                plan,
                finished / BUILD,
                previous,
                through=through,
                secret=secret,
                types={column: pl.Enum(values) for column, values in types.items()},
            )
            if plan.same and previous is not None:  # the same rows: the same files
                for table in sources:
                    _link_tree(
                        previous.folder / BUILD / "source" / table,
                        finished / BUILD / "source" / table,
                        name,
                    )
            else:
                _write_sources(sources, finished / BUILD / "source", name, old, previous)
            say(f"Teil {number + 1} von {len(names)}: {_said(plan)}")
        _merge(finished, previous)
        write_record(finished / BUILD / RECORD, through, types, names, mark)
        for path in (finished, *finished.rglob("*")):
            os.chmod(path, 0o700 if path.is_dir() else 0o600)
        folder = f"v-{version_key(version, secret)}-{time.time_ns():x}"
        finished.rename(base / folder)
        manifest = Manifest(
            version=version,
            folder=folder,
            as_of=through,
            persons=clients.height,
            partitions=len(names),
            built_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            seconds=round(time.perf_counter() - started, 3),
            secret=secret_fingerprint(secret),
        )
        write_manifest(base, manifest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    remove_superseded(base, manifest.folder)
    return manifest


def _reading(delta: Delta | None) -> str:
    if delta is None:
        return "Tabellen werden gelesen"
    return f"nur die {delta.persons.len()} geänderten werden gelesen"


def _said(plan: Plan) -> str:
    if plan.same:
        return "unverändert übernommen"
    if plan.since is None:
        return "ganz neu gebaut"
    stock, flow = (month_key(plan.since[kind]) for kind in ("stock", "flow"))
    return f"Bestände ab {stock}, Bewegungen ab {flow} neu gebaut"


# --- Reading -----------------------------------------------------------------------------------


def _clients(
    connection: Connection, previous: Previous | None, delta: Delta | None, partition_persons: int
) -> pl.DataFrame:
    """All persons with their dense index (as ``cases.read_cases`` gives it) and partition:
    those of the previous version patched with the changed ones where the record of changes
    allows (``cube_patch``), else as read."""
    clients = None
    if delta is not None and previous is not None:
        clients = patched_clients(previous, delta)
    if clients is None:
        frames = list(fetch_batches(connection, clients_statement(), CLIENT_SCHEMA))
        clients = pl.concat(frames) if frames else pl.DataFrame(schema=CLIENT_SCHEMA)
    return _partitioned(clients.with_row_index("client"), partition_persons)


def _partitioned(clients: pl.DataFrame, partition_persons: int) -> pl.DataFrame:
    """The persons with their partition (see the module)."""
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


def _partition_names(clients: pl.DataFrame) -> list[str]:
    """Per partition number a name from its municipalities: the same name in the next build
    only for the same municipalities (at least one partition, also without persons)."""
    groups = (
        clients.group_by("partition")
        .agg(pl.col("municipality_ags").unique().sort())
        .sort("partition")
    )
    names = [
        hashlib.sha256("\n".join(ags).encode("utf-8")).hexdigest()[:12]
        for ags in groups["municipality_ags"].to_list()
    ]
    return names or ["empty"]


def _spill(connection: Connection, index: pl.DataFrame, folder: Path) -> None:
    """Stream every other case table once and write its rows by partition of their person
    (rows of unknown persons are left out, as ``cases.code_cases`` leaves them out)."""
    for name, (statement, schema) in table_statements().items():
        for number, batch in enumerate(fetch_batches(connection, statement, schema)):
            routed = batch.join(index, on="client_id")
            for key, piece in routed.partition_by(
                "partition", as_dict=True, include_key=False
            ).items():
                target = folder / name / str(key[0])
                target.mkdir(parents=True, exist_ok=True)
                piece.write_parquet(target / f"{number:06d}.parquet", compression="lz4")


def _sources(clients: pl.DataFrame, spill: Path, number: int) -> dict[str, pl.DataFrame]:
    """The partition's source rows: its persons (``CLIENT_SOURCE``) and its rows of each table."""
    tables = {CLIENT_SOURCE: clients}
    for name, (_statement, schema) in table_statements().items():
        folder = spill / name / str(number)
        files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
        tables[name] = canonical(
            pl.read_parquet(files).cast(pl.Schema(schema)) if files else pl.DataFrame(schema=schema)
        )
    return tables


def _write_sources(
    sources: dict[str, pl.DataFrame],
    folder: Path,
    name: str,
    old: dict[str, pl.DataFrame] | None,
    previous: Previous | None,
) -> None:
    """The partition's source rows, a table whose rows are the very same as the previous
    version's (``old``; in the same order) as a link to its file."""
    for table, frame in sources.items():
        private_folder(folder / table)
        target = folder / table / f"{name}.parquet"
        before = old[table] if old is not None else None
        if (
            previous is not None
            and before is not None
            and before.schema == frame.schema
            and before.equals(frame)
        ):
            _link(previous.folder / BUILD / "source" / table / target.name, target)
        else:
            frame.write_parquet(target, compression=KEPT)


# --- Building a partition ----------------------------------------------------------------------


def _build_partition(  # noqa: PLR0913 - the partition, its plan and what it is built with
    sources: dict[str, pl.DataFrame],
    name: str,
    plan: Plan,
    folder: Path,
    previous: Previous | None,
    *,
    through: int | None,
    secret: str,
    types: dict[str, pl.Enum],
) -> None:
    """Write the partition's parts into ``folder/parts``: links to the previous version's
    where the plan reuses them, the rest built (see the module), the cube's Enum columns typed
    as those of the whole (``types``)."""
    parts, old_parts = folder / "parts", previous.folder / BUILD / "parts" if previous else None
    if plan.same and old_parts is not None:
        for frame in CASE_FIELDS:
            _link_tree(old_parts / frame, parts / frame, name)
        return
    tables = [sources[table] for table in table_statements()]  # in ``code_cases``' order
    copy = code_cases(
        sources[CLIENT_SOURCE], *tables, through=through, secret=secret, since=plan.since
    )
    for frame in PEOPLE_FIELDS:
        private_folder(parts / frame)
        _write_or_link(getattr(copy, frame), old_parts, parts / frame / f"{name}.parquet")
    for frame in CUBE_FIELDS:
        since = plan.since[frame.split("_")[0]] if plan.since and frame in MONTHLY_FIELDS else None
        old = old_parts / frame / name if old_parts is not None and since is not None else None
        rows = getattr(copy, frame).with_columns(
            pl.col(column).cast(pl.String).cast(dtype) for column, dtype in types.items()
        )
        _write_windows(rows, old, parts / frame / name, since)


def _write_or_link(rows: pl.DataFrame, old_parts: Path | None, target: Path) -> None:
    """A per-person part: a link to the previous version's if that holds the very same rows
    (in the same order; then a merged file can be linked, too), else written."""
    before = old_parts / target.parent.name / target.name if old_parts is not None else None
    if before is not None and before.is_file():
        try:
            kept = pl.read_parquet(before)
            same = kept.schema == rows.schema and kept.equals(rows)
        except (OSError, pl.exceptions.PolarsError):
            same = False
        if same:
            _link(before, target)
            return
    rows.write_parquet(target, compression=KEPT)


def _window(month: int) -> int:
    return month // MERGE_MONTHS


def _write_windows(new: pl.DataFrame, old: Path | None, folder: Path, since: int | None) -> None:
    """One partition's rows of a cube frame, a file per window: the months before ``since``
    from ``old`` (the previous version's files; linked where a window lies before it), the
    others ``new``'s. A frame without rows: an empty file (its schema)."""
    private_folder(folder)
    written = False
    old_files = sorted(old.glob("[0-9]*.parquet")) if old is not None and old.is_dir() else []
    kept: dict[int, pl.DataFrame] = {}
    for file in old_files:
        window = int(file.stem)
        if since is None or window * MERGE_MONTHS >= since:
            continue
        if (window + 1) * MERGE_MONTHS <= since:
            _link(file, folder / file.name)
            written = True
        else:
            kept[window] = pl.read_parquet(file).filter(pl.col("month") < since)
    windowed = new.with_columns((pl.col("month") // MERGE_MONTHS).alias("_window"))
    for key, rows in windowed.partition_by("_window", as_dict=True, include_key=False).items():
        window = int(key[0])  # type: ignore[call-overload]
        rows = pl.concat([kept.pop(window), rows]) if window in kept else rows
        rows.write_parquet(folder / f"{window:05d}.parquet", compression=KEPT)
        written = True
    for window, rows in kept.items():
        rows.write_parquet(folder / f"{window:05d}.parquet", compression=KEPT)
        written = True
    if not written:
        new.head(0).write_parquet(folder / "empty.parquet")


# --- Merging -----------------------------------------------------------------------------------


def _merge(finished: Path, previous: Previous | None) -> None:
    """Each frame's parts into ``finished/<frame>/``, sorted by ``SORT_KEYS``; a merged file
    whose parts are all the previous version's very files is linked to the previous one."""
    parts = finished / BUILD / "parts"
    for name in CASE_FIELDS:
        target = finished / name
        private_folder(target)
        old = previous.folder if previous is not None else None
        if name in CUBE_FIELDS:
            _merge_cube(parts / name, target, old)
        else:
            _merge_people(parts / name, target, old)


def _merge_people(parts: Path, target: Path, old: Path | None) -> None:
    files = sorted(parts.glob("*.parquet"))
    if old is not None and _same_files(
        files, sorted((old / BUILD / "parts" / parts.name).glob("*.parquet"))
    ):
        _link(old / target.name / "00000.parquet", target / "00000.parquet")
        return
    pl.scan_parquet(files).sort(*SORT_KEYS[target.name], maintain_order=True).sink_parquet(
        target / "00000.parquet"
    )


def _merge_cube(parts: Path, target: Path, old: Path | None) -> None:
    """A cube frame's parts window by window (one file each, in month order), so that the merge
    holds one window and never a whole frame."""
    name = target.name
    windows: dict[str, list[Path]] = {}
    for file in sorted(parts.glob("*/[0-9]*.parquet")):
        windows.setdefault(file.name, []).append(file)
    if not windows:  # no rows: one empty file keeps the schema
        pl.read_parquet(sorted(parts.glob("*/empty.parquet"))[0]).write_parquet(
            target / "00000.parquet"
        )
        return
    for window, files in sorted(windows.items()):
        before = sorted((old / BUILD / "parts" / name).glob(f"*/{window}")) if old else []
        if old is not None and _same_files(files, before):
            _link(old / name / window, target / window)
            continue
        frame = pl.scan_parquet(files)
        if name in ROLLUP_FIELDS:  # UInt32 sums: key sums wrap as in ``rollups.rollups``
            frame = frame.group_by(*SORT_KEYS[name]).agg(pl.exclude(*SORT_KEYS[name]).sum())
        frame.sort(*SORT_KEYS[name], maintain_order=True).collect().write_parquet(target / window)


def _same_files(files: list[Path], before: list[Path]) -> bool:
    """Whether ``files`` are exactly the files ``before`` (links to them: the same inodes)."""
    if not files or len(files) != len(before):
        return False
    identity = {(s.st_dev, s.st_ino) for s in (os.stat(f) for f in before)}
    return all((s.st_dev, s.st_ino) in identity for s in (os.stat(f) for f in files))


def _link(source: Path, target: Path) -> None:
    """``target`` as a hard link to ``source`` (a copy where links are not possible)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _link_tree(source: Path, target: Path, name: str) -> None:
    """The partition ``name``'s parts of one frame (``name.parquet`` or folder ``name/``)."""
    private_folder(target)
    single = source / f"{name}.parquet"
    if single.is_file():
        _link(single, target / single.name)
        return
    private_folder(target / name)
    for file in sorted((source / name).glob("*.parquet")):
        _link(file, target / name / file.name)


def _remove_stale_builds(base: Path) -> None:
    now = time.time()
    for build in base.glob(".build-*"):
        try:
            if now - build.stat().st_mtime > STALE_BUILD_SECONDS:
                shutil.rmtree(build, ignore_errors=True)
        except OSError:
            continue
