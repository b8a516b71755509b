"""What changed since the current version of the cube store: per partition, whether its source
rows are the same, and else from which month its stocks and flows must be rebuilt
(``plan_partition``; the reasoning is in ``teilhabe.cube_build``'s docstring), and the record
keys the previous version already computed (``keyed``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from data_access.periods import covered_months
from teilhabe.cases import record_keys_of, table_statements, with_record_keys
from teilhabe.cube_store import STORE_LAYOUT, current, database_folder

BUILD = "_build"  # in a version folder: what the next build reuses (never read by an app)
RECORD = "build.json"
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
class Previous:
    """The current version as the next build finds it (``_previous``)."""

    folder: Path
    through: int | None
    types: dict[str, list[str]]
    partitions: frozenset[str]
    mark: tuple[int, int] | None  # the mark of ``data_access.changes`` at its snapshot


@dataclass(frozen=True)
class Plan:
    """What a partition reuses: everything (``same``), or its stocks' and flows' months before
    ``since["stock"]`` and ``since["flow"]`` (None: nothing)."""

    same: bool
    since: dict[str, int] | None


def previous_version(store: Path, database_label: str, secret: str) -> Previous | None:
    """The current version, if its build left what a partial build needs."""
    manifest = current(store, database_label, secret)
    if manifest is None:
        return None
    folder = database_folder(store, database_label) / manifest.folder
    try:
        record = json.loads((folder / BUILD / RECORD).read_text(encoding="utf-8"))
        if record["layout"] != STORE_LAYOUT:
            return None
        return Previous(
            folder=folder,
            through=record["through"],
            types=record["types"],
            partitions=frozenset(record["partitions"]),
            mark=tuple(record["mark"]) if record.get("mark") else None,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_record(  # noqa: PLR0913 - the record's fields
    path: Path, through: int | None, types: dict, names: list[str], mark: tuple[int, int] | None
) -> None:
    record = {
        "layout": STORE_LAYOUT,
        "through": through,
        "types": types,
        "partitions": names,
        "mark": mark,
    }
    path.write_text(json.dumps(record, indent=1), encoding="utf-8")
    os.chmod(path, 0o600)


def old_sources(previous: Previous | None, name: str) -> dict[str, pl.DataFrame] | None:
    """The previous version's source rows of the partition ``name`` (None: none, or not
    readable: the partition is then built whole)."""
    if previous is None or name not in previous.partitions:
        return None
    folder = previous.folder / BUILD / "source"
    try:
        return {
            table: pl.read_parquet(folder / table / f"{name}.parquet")
            for table in (CLIENT_SOURCE, *table_statements())
        }
    except (OSError, pl.exceptions.PolarsError):
        return None


def keyed(
    sources: dict[str, pl.DataFrame], old: dict[str, pl.DataFrame] | None, secret: str
) -> dict[str, pl.DataFrame]:
    """The sources with the record keys of the persons, integrations and referrals: those of
    the same records in ``old`` (the same secret: the same keys), the others computed."""
    keyed = {**sources, **{table: taken_over(sources, old, secret, table) for table in KEYED}}
    clients, integrations, referrals = with_record_keys(
        keyed[CLIENT_SOURCE], keyed["integrations"], keyed["referrals"], secret
    )
    return {**keyed, CLIENT_SOURCE: clients, "integrations": integrations, "referrals": referrals}


def taken_over(
    sources: dict[str, pl.DataFrame], old: dict[str, pl.DataFrame] | None, secret: str, table: str
) -> pl.DataFrame:
    """The rows of ``sources[table]`` with the record keys of the same records in ``old``,
    the others computed (unchanged if ``old`` has no keys)."""
    column, natural = KEYED[table]
    frame = sources[table]
    if old is None or column not in old[table].columns:
        return frame
    known = old[table].select(*natural, column).unique(subset=natural)
    frame = frame.join(known, on=natural, how="left", nulls_equal=True, maintain_order="left")
    missing = frame[column].is_null().arg_true()
    if missing.len():
        fresh = record_keys_of(table, frame[missing], secret)
        frame = frame.with_columns(frame[column].scatter(missing, fresh))
    return frame


def plan_partition(
    previous: Previous | None,
    old: dict[str, pl.DataFrame] | None,
    sources: dict[str, pl.DataFrame],
    through: int | None,
) -> Plan:
    """What a partition can reuse of the previous version (see the module); ``old``: its
    sources there."""
    if old is None or previous is None or through is None or previous.through is None:
        return Plan(same=False, since=None)
    if any(old[table].schema != frame.schema for table, frame in sources.items()):
        return Plan(same=False, since=None)
    changes = {table: _changes(old[table], frame) for table, frame in sources.items()}
    if through == previous.through and all(
        gone.is_empty() and came.is_empty() for gone, came in changes.values()
    ):
        return Plan(same=True, since=None)
    people = [column for column in sources[CLIENT_SOURCE].columns if column != "client"]
    if not _differing(
        old[CLIENT_SOURCE].select(people), sources[CLIENT_SOURCE].select(people)
    ).is_empty():
        return Plan(same=False, since=None)
    if any(_ambiguous(frame["spells"]) for frame in (old, sources)):
        return Plan(same=False, since=None)
    seen = min(through, previous.through)
    first = {table: _first_difference(*changes[table], table, seen) for table in CUBE_TABLES}
    since: dict[str, int] = {}
    for kind, tables in DEPENDS.items():
        months = [month for table in tables if (month := first[table]) is not None]
        since[kind] = min([seen + 1, *months])
    return Plan(same=False, since=since)


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
    surplus = _differing(old, new)

    def repeated(excess: pl.Expr) -> pl.DataFrame:
        return (
            surplus.filter(excess > 0)
            .with_columns(pl.int_ranges(0, excess).alias("_copy"))
            .explode("_copy")
            .select(old.columns)
        )

    return repeated(-pl.col("_surplus")), repeated(pl.col("_surplus"))


def _differing(old: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """The distinct rows of ``old`` and ``new`` (the same columns) that are not in both as
    often, with how many more times they are in ``new`` (``_surplus``; negative: in ``old``)."""
    return (
        pl.concat(
            [
                old.with_columns(_surplus=pl.lit(-1, dtype=pl.Int64)),
                new.with_columns(_surplus=pl.lit(1, dtype=pl.Int64)),
            ]
        )
        .group_by(old.columns)
        .agg(pl.col("_surplus").sum())
        .filter(pl.col("_surplus") != 0)
    )


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
