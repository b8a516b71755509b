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
by an app): each partition's source rows as read from the database, its parts (the per-person
frames one file a partition, the cube's frames one file a partition and window) and
``build.json``. The next build compares each partition's source rows with the previous
version's, exactly (as multisets of rows):

- all equal and the same month of the data (``through``): the partition's parts are hard links
  to the previous version's (a delivery for another district);
- otherwise the first month whose cube rows can differ (``since``, below): the partition's
  per-person frames and referral rows are built anew, its cube only for the months from
  ``since`` on (``cube.build(since=...)``); the earlier months' parts are reused;
- a merged file whose parts are all the previous version's very files (the same inodes) is a
  hard link to the previous merged file; every other one is merged anew.

``since``: the cube's rows of month m depend only on the rows of the tables as seen through
month m (``_as_of``: spells that started by m with their end and LZB start cut at m, the
integrations, barriers and measures that began by m with their end cut at m), on the persons'
characteristics and on the Enum types of the whole. The rows seen through ``T`` (the earlier
of the old and new month of the data) are compared; ``since`` is the first month of a row
seen in one and not the other, at most T + 1. A change of a person's characteristics, of the
partition's municipalities, of the Enum types, layout or secret, or no previous version at all,
rebuilds the partition from its first month (a full build). So a correction of an old record
rebuilds from its month; a monthly delivery (one more month, open spells continuing) from the
new month, or from the month of the oldest record it changed (e.g. the integrations whose
continuity became known). Readers see a new version only when it is complete (``cube_store``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import Connection, Engine, Select

from data_access.periods import covered_months, month_key
from teilhabe.cases import (
    CLIENT_SCHEMA,
    READ_BATCH_ROWS,
    clients_statement,
    code_cases,
    data_as_of,
    read_batches,
    record_keys_of,
    recorded_version,
    snapshot,
    table_statements,
    with_record_keys,
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
    STORE_LAYOUT,
    Manifest,
    Progress,
    current,
    database_folder,
    private_folder,
    remove_superseded,
    version_key,
    write_manifest,
)
from teilhabe.protection import secret_fingerprint

BUILD = "_build"  # in a version folder: what the next build reuses (never read by an app)
RECORD = "build.json"
PEOPLE_FIELDS = tuple(name for name in CASE_FIELDS if name not in CUBE_FIELDS)
# the cube's frames whose rows of a month depend only on the data seen through that month
MONTHLY_FIELDS = tuple(name for name in CUBE_FIELDS if name != "referral_rows")
# the tables the stocks and the flows of the cube depend on (besides the persons)
DEPENDS = {
    "stock": ("spells", "barriers", "measures"),
    "flow": ("spells", "integrations", "barriers"),
}
CUBE_TABLES = ("spells", "integrations", "barriers", "measures")
CLIENT_SOURCE = "clients"  # the partition's persons with their index, next to the tables
# the sources' record keys (``cases.with_record_keys``): column and natural key
KEYED = {
    CLIENT_SOURCE: ("key", ["client_id"]),
    "integrations": ("key", ["client_id", "month"]),
    "referrals": ("referral_key", ["client_id", "service_id", "start_date"]),
}


@dataclass(frozen=True)
class _Previous:
    """The current version as the next build finds it (``_previous``)."""

    folder: Path
    through: int | None
    types: dict[str, list[str]]
    partitions: frozenset[str]


@dataclass(frozen=True)
class _Plan:
    """What a partition reuses: everything (``same``), or its stocks' and flows' months before
    ``since["stock"]`` and ``since["flow"]`` (None: nothing)."""

    same: bool
    since: dict[str, int] | None


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
    say = progress or (lambda _text: None)
    started = time.perf_counter()
    base = database_folder(store, database_label)
    private_folder(base)
    _remove_stale_builds(base)
    previous = _previous(store, database_label, secret)
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=base))
    try:
        with snapshot(engine) as connection:
            version = recorded_version(connection)
            through = data_as_of(connection)
            clients = _read_clients(connection, partition_persons)
            names = _partition_names(clients)
            say(f"{clients.height} Personen in {len(names)} Teilen; Tabellen werden gelesen …")
            _spill(connection, clients.select("client_id", "partition"), work / "spill")
        types = {
            column: sorted(clients[source].unique().drop_nulls())
            for column, source in DATA_ENUMS.items()
        }
        if previous is not None and previous.types != types:
            previous = None  # other categories: every part is typed anew
        finished = work / "version"
        private_folder(finished / BUILD)
        for number, name in enumerate(names):
            part = clients.filter(pl.col("partition") == number).drop("partition")
            old = _old_sources(previous, name)
            sources = _keyed(_sources(part, work / "spill", number), old, secret)
            plan = _plan(previous, old, sources, through)
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
                _write_sources(sources, finished / BUILD / "source", name)
            say(f"Teil {number + 1} von {len(names)}: {_said(plan)}")
        _merge(finished, previous)
        _write_record(finished / BUILD / RECORD, through, types, names)
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


def _said(plan: _Plan) -> str:
    if plan.same:
        return "unverändert übernommen"
    if plan.since is None:
        return "ganz neu gebaut"
    stock, flow = (month_key(plan.since[kind]) for kind in ("stock", "flow"))
    return f"Bestände ab {stock}, Bewegungen ab {flow} neu gebaut"


# --- Reading -----------------------------------------------------------------------------------


def _read_clients(connection: Connection, partition_persons: int) -> pl.DataFrame:
    """All persons with their dense index (as ``cases.read_cases`` gives it) and partition."""
    frames = list(_batches(connection, clients_statement(), CLIENT_SCHEMA))
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
        for number, batch in enumerate(_batches(connection, statement, schema)):
            routed = batch.join(index, on="client_id")
            for key, piece in routed.partition_by(
                "partition", as_dict=True, include_key=False
            ).items():
                target = folder / name / str(key[0])
                target.mkdir(parents=True, exist_ok=True)
                piece.write_parquet(target / f"{number:06d}.parquet")


def _batches(connection: Connection, statement: Select, schema: dict) -> Iterator[pl.DataFrame]:
    """``cases.read_batches``; on SQLite straight from the driver's cursor (dates as ISO text,
    booleans as 0/1, as SQLAlchemy stores them there), without a Python object per value."""
    if connection.dialect.name != "sqlite":
        yield from read_batches(connection, statement, schema)
        return
    text = str(
        statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    )
    stored = {
        column: pl.String if dtype == pl.Date else pl.Int64 if dtype == pl.Boolean else dtype
        for column, dtype in schema.items()
    }
    typed = [
        pl.col(column).str.to_date("%Y-%m-%d") if dtype == pl.Date else pl.col(column).cast(dtype)
        for column, dtype in schema.items()
        if stored[column] != dtype
    ]
    driver = connection.connection.driver_connection
    assert driver is not None  # an open connection has its driver connection
    cursor = driver.cursor()
    try:
        cursor.execute(text)
        while rows := cursor.fetchmany(READ_BATCH_ROWS):
            yield pl.DataFrame(rows, schema=stored, orient="row").with_columns(typed)
    finally:
        cursor.close()


def _sources(clients: pl.DataFrame, spill: Path, number: int) -> dict[str, pl.DataFrame]:
    """The partition's source rows: its persons (``CLIENT_SOURCE``) and its rows of each table."""
    tables = {CLIENT_SOURCE: clients}
    for name, (_statement, schema) in table_statements().items():
        folder = spill / name / str(number)
        files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
        tables[name] = (
            pl.read_parquet(files).cast(pl.Schema(schema)) if files else pl.DataFrame(schema=schema)
        )
    return tables


def _write_sources(sources: dict[str, pl.DataFrame], folder: Path, name: str) -> None:
    for table, frame in sources.items():
        private_folder(folder / table)
        frame.write_parquet(folder / table / f"{name}.parquet")


# --- What a partition reuses -------------------------------------------------------------------


def _previous(store: Path, database_label: str, secret: str) -> _Previous | None:
    """The current version, if its build left what a partial build needs."""
    manifest = current(store, database_label, secret)
    if manifest is None:
        return None
    folder = database_folder(store, database_label) / manifest.folder
    try:
        record = json.loads((folder / BUILD / RECORD).read_text(encoding="utf-8"))
        if record["layout"] != STORE_LAYOUT:
            return None
        return _Previous(
            folder=folder,
            through=record["through"],
            types=record["types"],
            partitions=frozenset(record["partitions"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_record(path: Path, through: int | None, types: dict, names: list[str]) -> None:
    record = {"layout": STORE_LAYOUT, "through": through, "types": types, "partitions": names}
    path.write_text(json.dumps(record, indent=1), encoding="utf-8")
    os.chmod(path, 0o600)


def _old_sources(previous: _Previous | None, name: str) -> dict[str, pl.DataFrame] | None:
    """The previous version's source rows of the partition ``name`` (None: none)."""
    if previous is None or name not in previous.partitions:
        return None
    folder = previous.folder / BUILD / "source"
    return {
        table: pl.read_parquet(folder / table / f"{name}.parquet")
        for table in (CLIENT_SOURCE, *table_statements())
    }


def _keyed(
    sources: dict[str, pl.DataFrame], old: dict[str, pl.DataFrame] | None, secret: str
) -> dict[str, pl.DataFrame]:
    """The sources with the record keys of the persons, integrations and referrals: those of
    the same records in ``old`` (the same secret: the same keys), the others computed."""
    keyed = dict(sources)
    for table, (column, natural) in KEYED.items():
        if old is None or column not in old[table].columns:
            continue
        known = old[table].select(*natural, column).unique(subset=natural)
        frame = sources[table].join(
            known, on=natural, how="left", nulls_equal=True, maintain_order="left"
        )
        missing = frame[column].is_null().arg_true()
        if missing.len():
            fresh = record_keys_of(table, frame[missing], secret)
            frame = frame.with_columns(frame[column].scatter(missing, fresh))
        keyed[table] = frame
    clients, integrations, referrals = with_record_keys(
        keyed[CLIENT_SOURCE], keyed["integrations"], keyed["referrals"], secret
    )
    return {**keyed, CLIENT_SOURCE: clients, "integrations": integrations, "referrals": referrals}


def _plan(
    previous: _Previous | None,
    old: dict[str, pl.DataFrame] | None,
    sources: dict[str, pl.DataFrame],
    through: int | None,
) -> _Plan:
    """What a partition can reuse of the previous version (see the module); ``old``: its
    sources there."""
    if old is None or previous is None or through is None or previous.through is None:
        return _Plan(same=False, since=None)
    if any(old[table].schema != frame.schema for table, frame in sources.items()):
        return _Plan(same=False, since=None)
    changes = {table: _changes(old[table], frame) for table, frame in sources.items()}
    if through == previous.through and all(
        gone.is_empty() and came.is_empty() for gone, came in changes.values()
    ):
        return _Plan(same=True, since=None)
    people = [column for column in sources[CLIENT_SOURCE].columns if column != "client"]
    if not _differing(
        old[CLIENT_SOURCE].select(people), sources[CLIENT_SOURCE].select(people)
    ).is_empty():
        return _Plan(same=False, since=None)
    if any(_ambiguous(frame["spells"]) for frame in (old, sources)):
        return _Plan(same=False, since=None)
    seen = min(through, previous.through)
    first = {table: _first_difference(*changes[table], table, seen) for table in CUBE_TABLES}
    since: dict[str, int] = {}
    for kind, tables in DEPENDS.items():
        months = [month for table in tables if (month := first[table]) is not None]
        since[kind] = min([seen + 1, *months])
    return _Plan(same=False, since=since)


def _first_difference(gone: pl.DataFrame, came: pl.DataFrame, table: str, seen: int) -> int | None:
    """The first month up to ``seen`` in which the table's rows differ (``_events``), from the
    rows only before (``gone``) and only now (``came``): the others give the same events."""
    changed = _differing(
        _events(table, gone).filter(pl.col("month") <= seen),
        _events(table, came).filter(pl.col("month") <= seen),
    )
    first = changed["month"].min() if changed.height else None
    return None if first is None else int(first)  # type: ignore[arg-type]


def _changes(old: pl.DataFrame, new: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows only in ``old`` and those only in ``new``, as multisets (a row twice in one and
    once in the other is once in the first result)."""
    differing = _differing(old, new)
    surplus = pl.col("before").fill_null(0).cast(pl.Int64) - pl.col("after").fill_null(0)

    def repeated(excess: pl.Expr) -> pl.DataFrame:
        return (
            differing.filter(excess > 0)
            .with_columns(pl.int_ranges(0, excess).alias("_copy"))
            .explode("_copy")
            .select(old.columns)
        )

    return repeated(surplus), repeated(-surplus)


def _differing(old: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``old`` and ``new`` (the same columns) that are not in both as often."""
    columns = old.columns
    joined = (
        old.group_by(columns)
        .len("before")
        .join(
            new.group_by(columns).len("after"),
            on=columns,
            how="full",
            nulls_equal=True,
            coalesce=True,
        )
    )
    return joined.filter(pl.col("before").fill_null(0) != pl.col("after").fill_null(0))


def _ambiguous(spells: pl.DataFrame) -> bool:
    """Whether a person has two spells starting in one month (then their events below do not
    tell which end belongs to which spell; the import refuses such overlaps)."""
    return spells.select("client_id", "start_month").is_duplicated().any()


def _events(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """A table's rows as events, each in the first month (``month``) whose cube rows it can
    change: the events up to month m tell the rows as seen through m, all the cube's rows up
    to m depend on (see the module). A spell: its start; its end in the month after it (the
    exit); its LZB start when it begins, or after the spell's end if later (only whether it
    has one matters then). A barrier or measure: its first month; its last in the month
    after. An integration: itself."""
    if table == "integrations":
        return frame
    if table == "spells":
        end, lzb = pl.col("end_month"), pl.col("lzb_from_month")
        return pl.concat(
            [
                frame.select(
                    "client_id",
                    "start_month",
                    event=pl.lit("start"),
                    value=None,
                    month="start_month",
                ),
                frame.select(
                    "client_id", "start_month", event=pl.lit("end"), value=end, month=end + 1
                ),
                frame.filter(lzb.is_not_null()).select(
                    "client_id",
                    "start_month",
                    event=pl.lit("lzb"),
                    value=lzb,
                    month=pl.min_horizontal(lzb, end + 1),
                ),
            ],
            how="vertical_relaxed",
        )
    if table == "barriers":
        first, last = covered_months(
            pl.col("recorded_on"), pl.col("resolved_on") - pl.duration(days=1)
        )
        columns = ["client_id", "barrier_code"]
    else:  # measures
        first, last = covered_months(pl.col("start_date"), pl.col("end_date"))
        columns = ["client_id"]
    intervals = frame.select(*columns, first.alias("first_month"), last.alias("last_month"))
    return pl.concat(
        [
            intervals.select(*columns, "first_month", last_month=None, month="first_month"),
            intervals.select(*columns, "first_month", "last_month", month=pl.col("last_month") + 1),
        ],
        how="vertical_relaxed",
    )


# --- Building a partition ----------------------------------------------------------------------


def _build_partition(  # noqa: PLR0913 - the partition, its plan and what it is built with
    sources: dict[str, pl.DataFrame],
    name: str,
    plan: _Plan,
    folder: Path,
    previous: _Previous | None,
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
        getattr(copy, frame).write_parquet(parts / frame / f"{name}.parquet")
    for frame in CUBE_FIELDS:
        since = plan.since[frame.split("_")[0]] if plan.since and frame in MONTHLY_FIELDS else None
        old = old_parts / frame / name if old_parts is not None and since is not None else None
        rows = getattr(copy, frame).with_columns(
            pl.col(column).cast(pl.String).cast(dtype) for column, dtype in types.items()
        )
        _write_windows(rows, old, parts / frame / name, since)


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
        rows.write_parquet(folder / f"{window:05d}.parquet")
        written = True
    for window, rows in kept.items():
        rows.write_parquet(folder / f"{window:05d}.parquet")
        written = True
    if not written:
        new.head(0).write_parquet(folder / "empty.parquet")


# --- Merging -----------------------------------------------------------------------------------


def _merge(finished: Path, previous: _Previous | None) -> None:
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
        if name in ROLLUP_FIELDS:  # UInt32 sums: key sums wrap as in ``cube.rollups``
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
