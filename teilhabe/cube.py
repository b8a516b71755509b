"""The monthly cube: every client figure is a sum over its cells.

Built once per data version from the case copy (``cases``) and kept with it. One row per month
and cell, where a cell is a combination of the characteristics a filter or a breakdown can ask
for, each as it was in that month:

- municipality, sex, single_parent: as recorded for the client;
- age_group: the age in the month's year (birth year only, no birth dates);
- duration: duration of the current spell of receipt in the month (for integrations: of the spell
  they happened in or ended);
- barrier_mask: the barriers recorded in the month, one bit per catalogue code
  (``BARRIER_BITS``), and barrier_count, the number of them in the groups of ``BARRIER_COUNTS``.

Measures per cell and month: the stocks elb, lzb, lzb by duration band, lzb_measure (LZB in an
active labour-market measure), elb_single_parent, and the flows of the month: the integrations
(all, of LZB, of single parents, per kind, with continuity known / continued) and the entries
into and exits from the ELB and the LZB stock (``TRANSITIONS``, see ``_transitions``). Measures
that only count part of a cell (a band, the single parents) are stored as their own columns, so
that every figure is a plain sum.

An entry in month M is a person in the stock at the end of M who was not in it at the end of
M - 1; an exit in M one who was in it at the end of M - 1 and is not at the end of M; so the
stock of M is the stock of M - 1 plus the entries minus the exits of M. An entry takes the
characteristics of its month, an exit those of the last month in the stock (M - 1): the exits
of a group are then part of the group's stock a month before, the base of the exit rate.

Because every characteristic is taken in the month it describes, a filter such as "barrier
debts" selects, in each month, the people who had that barrier then (the cross-section the BA's
statistics use, e.g. K2E4 over the single parents of each month), and every figure is additive
over cells. A filter change is therefore a filter and a group-by over the cube, never over the
persons (see ``teilhabe bench``).

Next to every measure, its key sum (``protection.key_column``, e.g. ``elb__key``): the sum of
the record keys of the persons (stocks) or integrations (flows) counted in it, as UInt32 that
wraps around modulo 2^32. Key sums add over cells exactly like the counts, so any filter or
breakdown yields the cell key of its counts by the same sums (``protection``).

Two frames: ``cells`` with the barrier mask (for barrier filters) and ``plain`` summed over the
mask (for everything else; far fewer rows). Both are sorted by month.

And a small third, the rollups (``teilhabe.rollups``): the same sums already formed for the
questions most filter changes ask.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from data_access.receipt import FOUR_YEARS_MONTHS, TWO_YEARS_MONTHS
from teilhabe import rollups
from teilhabe.definitions import (
    AGE_GROUP_ENUM,
    BARRIER_BITS,
    BARRIER_COUNT_ENUM,
    DURATION_ENUM,
    INTEGRATION_KINDS,
    LZB_BAND_COLUMNS,
    age_group_codes,
)
from teilhabe.protection import KEY_DTYPE, key_column

KINDS = tuple(INTEGRATION_KINDS)
STOCKS = ("elb", "lzb", *LZB_BAND_COLUMNS.values(), "lzb_measure", "elb_single_parent")
FLOWS = (
    "integrations",
    "integrations_lzb",
    "integrations_single_parent",
    *(f"integrations_{kind}" for kind in KINDS),
    "continuity_known",
    "continued",
)
# Entries into and exits from the ELB and the LZB stock (K1E3, K1E4, K3E3, K3E4).
TRANSITIONS = ("elb_entries", "elb_exits", "lzb_entries", "lzb_exits")
FLOWS = (*FLOWS, *TRANSITIONS)
FLOW_KIND = pl.Enum(["integration", *TRANSITIONS])
MEASURES = (*STOCKS, *FLOWS)
STOCK_KEYS = tuple(key_column(m) for m in STOCKS)
FLOW_KEYS = tuple(key_column(m) for m in FLOWS)
PERSON_KEYS = ("municipality", "sex", "single_parent")
CELL_KEYS = (*PERSON_KEYS, "age_group", "duration", "barrier_count")
EVERY_MONTH = -(2**31)  # ``build(since=...)`` not given: every month


def build(
    clients: pl.DataFrame,
    spells: pl.DataFrame,
    integrations: pl.DataFrame,
    barriers: pl.DataFrame,
    measures: pl.DataFrame,
    referrals: pl.DataFrame,
    *,
    through: int,
    since: Mapping[str, int] | None = None,
) -> dict[str, pl.DataFrame]:
    """The cube of all months up to ``through`` (open spells end there), as six frames:
    ``stock_cells``/``flow_cells`` with the barrier mask, ``stock_plain``/``flow_plain``
    summed over it, ``stock_rollups``/``flow_rollups`` (see ``rollups``); and
    ``referral_rows`` (see ``referral_rows``).

    Inputs are the frames of ``cases.Cases`` (``client`` is the dense client index).
    ``since``: only the stocks' rows of the months from ``since["stock"]`` on and the flows'
    from ``since["flow"]`` on (each month's rows are the same as in the whole cube;
    ``referral_rows`` stay whole), for a partial rebuild (``teilhabe.cube_build``).
    """
    first = (since or {}).get("stock", EVERY_MONTH)
    flows_first = (since or {}).get("flow", EVERY_MONTH)
    types = _types(clients)
    people = clients.select(
        "client",
        pl.col("municipality_ags").cast(types["municipality"]).alias("municipality"),
        pl.col("sex").cast(types["sex"]),
        "birth_year",
        "single_parent",
        pl.col("key").alias("person_key"),
    )
    mask_segments = _mask_segments(barriers, through)
    measure_segments = _measure_segments(measures, through)

    # One row per person and month of receipt (a few tens of millions at a million clients).
    months = (
        spells.filter(
            pl.col("start_month") <= through, pl.min_horizontal("end_month", through) >= first
        )
        .select(
            "client",
            "start_month",
            "lzb_from_month",
            pl.int_ranges(
                pl.max_horizontal("start_month", first),
                pl.min_horizontal("end_month", through) + 1,
                dtype=pl.Int32,
            ).alias("month"),
        )
        .explode("month")
        .sort("month")
    )
    months = _attach_segments(months, mask_segments, "barrier_mask", 0)
    months = _attach_segments(months, measure_segments, "in_measure", False)
    lzb = pl.col("lzb_from_month").is_not_null() & (pl.col("lzb_from_month") <= pl.col("month"))
    person_key = pl.col("person_key")
    stocks = (
        months.join(people, on="client")
        .group_by(
            "month",
            *PERSON_KEYS,
            _age_group(types),
            _duration(pl.col("month") - pl.col("start_month"), types),
            "barrier_mask",
        )
        .agg(
            pl.len().cast(pl.UInt32).alias("elb"),
            lzb.sum().cast(pl.UInt32).alias("lzb"),
            (lzb & pl.col("in_measure")).sum().cast(pl.UInt32).alias("lzb_measure"),
            person_key.sum().alias(key_column("elb")),
            person_key.filter(lzb).sum().alias(key_column("lzb")),
            person_key.filter(lzb & pl.col("in_measure")).sum().alias(key_column("lzb_measure")),
        )
        .with_columns(
            *(
                pl.when(pl.col("duration") == band).then(measure).otherwise(0).alias(target)
                for band, column in LZB_BAND_COLUMNS.items()
                for measure, target in (
                    ("lzb", column),
                    (key_column("lzb"), key_column(column)),
                )
            ),
            *(
                pl.when("single_parent").then(measure).otherwise(0).alias(target)
                for measure, target in (
                    ("elb", "elb_single_parent"),
                    (key_column("elb"), key_column("elb_single_parent")),
                )
            ),
        )
    )

    integration_events = integrations.filter(pl.col("month") <= through).select(
        "client",
        "month",
        pl.col("month").alias("state_month"),
        pl.lit("integration", dtype=FLOW_KIND).alias("flow"),
        "kind",
        "continued_12m",
        "lzb",
        # an integration outside any recorded spell counts as under two years
        (pl.col("month") - pl.col("spell_start_month")).fill_null(0).alias("receipt_months"),
        pl.col("key").cast(KEY_DTYPE).alias("event_key"),
    )
    events = _attach_segments(
        pl.concat(
            [integration_events, _transitions(_reaching(spells, flows_first - 1), through)],
            how="diagonal_relaxed",
        )
        .filter(pl.col("month") >= flows_first)
        .with_columns(pl.col("lzb").fill_null(False))
        .sort("state_month"),
        mask_segments,
        "barrier_mask",
        0,
        on="state_month",
    )
    is_integration = pl.col("flow") == "integration"
    # an integration's own key; a person's key for the entries and exits
    event_key = pl.coalesce("event_key", pl.col("person_key").cast(KEY_DTYPE))
    flows = (
        events.join(people, on="client")
        .group_by(
            "month",
            *PERSON_KEYS,
            _age_group(types, pl.col("state_month")),
            _duration(pl.col("receipt_months"), types),
            "barrier_mask",
        )
        .agg(
            is_integration.sum().cast(pl.UInt32).alias("integrations"),
            (is_integration & pl.col("lzb")).sum().cast(pl.UInt32).alias("integrations_lzb"),
            *(
                (pl.col("kind") == kind).sum().cast(pl.UInt32).alias(f"integrations_{kind}")
                for kind in KINDS
            ),
            pl.col("continued_12m").is_not_null().sum().cast(pl.UInt32).alias("continuity_known"),
            pl.col("continued_12m").fill_null(False).sum().cast(pl.UInt32).alias("continued"),
            event_key.filter(is_integration).sum().alias(key_column("integrations")),
            event_key.filter(is_integration & pl.col("lzb"))
            .sum()
            .alias(key_column("integrations_lzb")),
            *(
                event_key.filter(pl.col("kind") == kind)
                .sum()
                .alias(key_column(f"integrations_{kind}"))
                for kind in KINDS
            ),
            event_key.filter(pl.col("continued_12m").is_not_null())
            .sum()
            .alias(key_column("continuity_known")),
            event_key.filter(pl.col("continued_12m").fill_null(False))
            .sum()
            .alias(key_column("continued")),
            *((pl.col("flow") == flow).sum().cast(pl.UInt32).alias(flow) for flow in TRANSITIONS),
            *(
                event_key.filter(pl.col("flow") == flow).sum().alias(key_column(flow))
                for flow in TRANSITIONS
            ),
        )
        .with_columns(
            *(
                pl.when("single_parent").then(measure).otherwise(0).alias(target)
                for measure, target in (
                    ("integrations", "integrations_single_parent"),
                    (key_column("integrations"), key_column("integrations_single_parent")),
                )
            ),
        )
    )

    cubes: dict[str, pl.DataFrame] = {}
    parts: tuple[tuple[str, pl.DataFrame, tuple[str, ...]], ...] = (
        ("stock", stocks, (*STOCKS, *STOCK_KEYS)),
        ("flow", flows, (*FLOWS, *FLOW_KEYS)),
    )
    for name, frame, counted in parts:
        cells = (
            frame.with_columns(_barrier_count(types))
            .with_columns(pl.col(*counted).cast(pl.UInt32))
            .sort("month", *CELL_KEYS, "barrier_mask")
            .select("month", *CELL_KEYS, "barrier_mask", *counted)
        )
        cubes[f"{name}_cells"] = cells
        cubes[f"{name}_plain"] = _collapse(cells, counted)
        cubes[f"{name}_rollups"] = rollups.rollups(cells, cubes[f"{name}_plain"], counted)
    cubes["referral_rows"] = referral_rows(
        referrals, people, integrations, mask_segments, types, through=through
    )
    return cubes


def referral_rows(
    referrals: pl.DataFrame,
    people: pl.DataFrame,
    integrations: pl.DataFrame,
    mask_segments: pl.DataFrame,
    types: dict[str, pl.DataType],
    *,
    through: int,
) -> pl.DataFrame:
    """One row per referral that started up to ``through``, sorted by its start month.

    Columns: month (of the start), client, client_key (the person's record key), referral_key,
    the client's cell characteristics in that month (municipality, sex, single_parent,
    age_group, barrier_mask), status, barrier_code (the barrier it addresses, where recorded),
    category_code, provider_id, and next_integration_month: the first integration in or after
    the start month (null if none up to ``through``).
    """
    started = referrals.filter(pl.col("month") <= through).sort("month")
    started = _attach_segments(started, mask_segments, "barrier_mask", 0)
    first_integration = (
        integrations.filter(pl.col("month") <= through)
        .select("client", pl.col("month"), pl.col("month").alias("next_integration_month"))
        .unique()
        .sort("month")
    )
    with_outcome = started.join_asof(
        first_integration, on="month", by="client", strategy="forward", check_sortedness=False
    )
    return (
        with_outcome.join(people, on="client")
        .with_columns(_age_group(types))
        .select(
            "month",
            "client",
            pl.col("person_key").cast(KEY_DTYPE).alias("client_key"),
            pl.col("referral_key").cast(KEY_DTYPE),
            *PERSON_KEYS,
            "age_group",
            pl.col("barrier_mask").cast(pl.Int16),
            "status",
            "barrier_code",
            "category_code",
            "provider_id",
            pl.col("next_integration_month").cast(pl.Int32),
        )
        .sort("month")
    )


def _reaching(spells: pl.DataFrame, month: int) -> pl.DataFrame:
    """The spells of the clients with a spell that ends in ``month`` or later: all their
    entries and exits from the month after on (``_transitions``; a client's other spells end
    earlier and have none)."""
    if month <= EVERY_MONTH:
        return spells
    reaching = spells.filter(pl.col("end_month") >= month)["client"].unique()
    return spells.filter(pl.col("client").is_in(reaching.implode()))


def _transitions(spells: pl.DataFrame, through: int) -> pl.DataFrame:
    """The entries into and exits from the ELB and the LZB stock up to ``through``, one row each.

    Columns: client, month (of the entry or exit), state_month (whose characteristics it takes:
    the month of an entry, the last month in the stock for an exit), flow (``TRANSITIONS``),
    receipt_months (duration of the spell in state_month). A client's spells do not overlap;
    one that begins in the month after the previous one ended continues the receipt (no exit
    and entry), and LZB continues across it when the new spell is LZB from its first month.
    Open spells end after ``through``, so they have no exit.
    """
    spell = (
        spells.filter(pl.col("start_month") <= through)
        .select("client", "start_month", "end_month", "lzb_from_month")
        .sort("client", "start_month")
        .with_columns(
            continued=(_before(pl.col("end_month")) == pl.col("start_month") - 1).fill_null(False),
            lzb_continued=_before(pl.col("lzb_from_month")).is_not_null(),
            continues=(_after(pl.col("start_month")) == pl.col("end_month") + 1).fill_null(False),
            lzb_continues=(_after(pl.col("lzb_from_month")) == pl.col("end_month") + 1).fill_null(
                False
            ),
        )
    )
    ended = pl.col("end_month") < through
    lzb_from = pl.col("lzb_from_month")

    def rows(flow: str, condition: pl.Expr, month: pl.Expr, state_month: pl.Expr) -> pl.DataFrame:
        return spell.filter(condition).select(
            "client",
            month.cast(pl.Int32).alias("month"),
            state_month.cast(pl.Int32).alias("state_month"),
            pl.lit(flow, dtype=FLOW_KIND).alias("flow"),
            (state_month - pl.col("start_month")).cast(pl.Int32).alias("receipt_months"),
        )

    start, end = pl.col("start_month"), pl.col("end_month")
    return pl.concat(
        [
            rows("elb_entries", ~pl.col("continued"), start, start),
            rows("elb_exits", ended & ~pl.col("continues"), end + 1, end),
            rows(
                "lzb_entries",
                (lzb_from <= through)
                & ~((lzb_from == start) & pl.col("continued") & pl.col("lzb_continued")),
                lzb_from,
                lzb_from,
            ),
            rows(
                "lzb_exits", lzb_from.is_not_null() & ended & ~pl.col("lzb_continues"), end + 1, end
            ),
        ]
    )


def _before(value: pl.Expr) -> pl.Expr:
    """The value of the client's previous spell (rows sorted by client; null for the first):
    ``shift(1).over("client")`` without a window per client, which is slow for many."""
    return pl.when(pl.col("client") == pl.col("client").shift(1)).then(value.shift(1))


def _after(value: pl.Expr) -> pl.Expr:
    """The value of the client's next spell (null for the last)."""
    return pl.when(pl.col("client") == pl.col("client").shift(-1)).then(value.shift(-1))


def _collapse(cells: pl.DataFrame, measures: tuple[str, ...]) -> pl.DataFrame:
    """The cells summed over the barrier mask, sorted by month."""
    return (
        cells.group_by("month", *CELL_KEYS)
        .agg(pl.col(*measures).sum())
        .sort("month", *CELL_KEYS)
        .select("month", *CELL_KEYS, *measures)
    )


def _types(clients: pl.DataFrame) -> dict[str, pl.DataType]:
    """Enum types of the cells: compact, fast to group, and in a stable order."""
    return {
        "municipality": pl.Enum(sorted(clients["municipality_ags"].unique().drop_nulls())),
        "sex": pl.Enum(sorted(clients["sex"].unique().drop_nulls())),
        "age_group": AGE_GROUP_ENUM,
        "duration": DURATION_ENUM,
        "barrier_count": BARRIER_COUNT_ENUM,
    }


def _age_group(types: dict[str, pl.DataType], month: pl.Expr | None = None) -> pl.Expr:
    """The age group in the year of ``month`` (default: the row's month; birth year only, no
    birth dates)."""
    age = (pl.col("month") if month is None else month) // 12 - pl.col("birth_year")
    return age_group_codes(age).cast(types["age_group"]).alias("age_group")


def _duration(months_in_receipt: pl.Expr, types: dict[str, pl.DataType]) -> pl.Expr:
    return (
        pl.when(months_in_receipt >= FOUR_YEARS_MONTHS)
        .then(pl.lit("4plus"))
        .when(months_in_receipt >= TWO_YEARS_MONTHS)
        .then(pl.lit("2_4"))
        .otherwise(pl.lit("u2"))
        .cast(types["duration"])
        .alias("duration")
    )


def _barrier_count(types: dict[str, pl.DataType]) -> pl.Expr:
    bits = pl.lit(0, dtype=pl.Int32)
    for bit in BARRIER_BITS.values():
        bits = bits + ((pl.col("barrier_mask") & bit) > 0).cast(pl.Int32)
    return (
        pl.when(bits >= 4)
        .then(pl.lit("4plus"))
        .otherwise(bits.cast(pl.String))
        .cast(types["barrier_count"])
        .alias("barrier_count")
    )


def _segments(changes: pl.DataFrame, value: str) -> pl.DataFrame:
    """From per-client changes (client, month, delta) the running value from each month on."""
    return (
        changes.group_by("client", "month")
        .agg(pl.col("delta").sum())
        .sort("client", "month")
        .with_columns(pl.col("delta").cum_sum().over("client").alias(value))
        .select("client", "month", value)
        .sort("month")
    )


def _mask_segments(barriers: pl.DataFrame, through: int) -> pl.DataFrame:
    """Per client, the barrier mask from each month in which it changes on."""
    known = barriers.filter(
        pl.col("barrier_code").is_in(list(BARRIER_BITS)),
        pl.col("first_month") <= through,
        pl.col("first_month") <= pl.col("last_month"),
    ).with_columns(pl.col("barrier_code").replace_strict(BARRIER_BITS, return_dtype=pl.Int32))
    # the same barrier recorded twice for overlapping months must set its bit once
    merged = _merge_overlaps(known, ["client", "barrier_code"])
    changes = pl.concat(
        [
            merged.select("client", pl.col("first_month").alias("month"), delta="barrier_code"),
            merged.filter(pl.col("last_month") < through).select(
                "client",
                (pl.col("last_month") + 1).alias("month"),
                delta=-pl.col("barrier_code"),
            ),
        ]
    )
    return _segments(changes, "barrier_mask").with_columns(pl.col("barrier_mask").cast(pl.Int16))


def _measure_segments(measures: pl.DataFrame, through: int) -> pl.DataFrame:
    """Per client, whether they are in an active measure from each month in which it changes."""
    relevant = measures.filter(
        pl.col("first_month") <= through, pl.col("first_month") <= pl.col("last_month")
    )
    changes = pl.concat(
        [
            relevant.select("client", pl.col("first_month").alias("month"), delta=pl.lit(1)),
            relevant.filter(pl.col("last_month") < through).select(
                "client", (pl.col("last_month") + 1).alias("month"), delta=pl.lit(-1)
            ),
        ]
    )
    return _segments(changes, "in_measure").with_columns(pl.col("in_measure") > 0)


def _attach_segments(
    rows: pl.DataFrame, segments: pl.DataFrame, value: str, default: object, on: str = "month"
) -> pl.DataFrame:
    """The segment value in force at each row's (client, ``on`` month); ``default`` before any."""
    # both sides are sorted by month (``_segments``, callers), hence within each client too
    joined = rows.join_asof(
        segments,
        left_on=on,
        right_on="month",
        by="client",
        strategy="backward",
        check_sortedness=False,
    )
    return joined.with_columns(pl.col(value).fill_null(default))


def _merge_overlaps(intervals: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Merge overlapping or adjacent intervals [first_month, last_month] within each ``by``.

    In one pass over the rows sorted by ``by`` and first month (no window per group, which is
    slow for many small groups): the furthest last month of the group's rows before a row is a
    running maximum over the whole frame of (group number, last month), as the group numbers
    rise; a row that begins after it plus one begins a new run."""
    ordered = intervals.sort(*by, "first_month")
    new_group = pl.any_horizontal(*((pl.col(c) != pl.col(c).shift(1)).fill_null(True) for c in by))
    group = new_group.cum_sum().cast(pl.Int64) * (1 << 32)
    last = pl.col("last_month").cast(pl.Int64) + (1 << 31)  # 0 .. 2^32 - 1
    reach = pl.when(~new_group).then((group + last).cum_max().shift(1) - group - (1 << 31))
    return (
        ordered.with_columns(
            (reach.is_null() | (pl.col("first_month") > reach + 1)).cum_sum().alias("_run")
        )
        .group_by(*by, "_run")
        .agg(pl.col("first_month").min(), pl.col("last_month").max())
        .drop("_run")
    )
