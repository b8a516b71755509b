"""The § 48a SGB II figures over the columnar case copy: one implementation each.

Everything is built from one monthly table (``monthly_base``): per month (and per group of a
breakdown) the ELB and LZB stock, LZB by duration band, LZB in an active measure, single parents,
and the integrations of the month. The figures are windows over that table:

- K2 Integrationsquote: integrations in the 12 months up to M / average ELB stock of those months.
- K2E3 continuity: of the integrations in the 12 months ending 12 months before M (so that the
  following 12 months are known), the share still employed 12 months later.
- K2E4: K2 for single parents.
- K3: LZB stock in M compared with M - 12, as change in percent.
- K3E1: integrations of LZB in the 12 months / average LZB stock of those months.
- K3E2 Aktivierungsquote: LZB in an active labour-market measure in M / LZB stock in M.

Group membership (municipality, sex, age group, number of barriers, the barrier filter) is taken
at the reporting day of the as-of month, and the same group is followed back in time; the
duration band is the duration of the current spell in each month.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from data_access.cases import Cases
from data_access.receipt import FOUR_YEARS_MONTHS, TWO_YEARS_MONTHS

WINDOW = 12
DURATION_BANDS = {
    "u2": "unter 2 Jahre",
    "2_4": "2 bis unter 4 Jahre",
    "4plus": "4 Jahre und länger",
}
LZB_BAND_COLUMNS = {"u2": "lzb_under_2y", "2_4": "lzb_2_4y", "4plus": "lzb_4y_plus"}
AGE_GROUPS = {
    "u25": "unter 25",
    "25_34": "25 bis unter 35",
    "35_44": "35 bis unter 45",
    "45_54": "45 bis unter 55",
    "55plus": "55 und älter",
}
BARRIER_COUNTS = {"0": "keine", "1": "1", "2": "2", "3": "3", "4plus": "4 und mehr"}
DIMENSIONS = ("municipality", "sex", "age_group", "duration", "barrier_count")


@dataclass(frozen=True)
class Filters:
    """Who is counted: empty tuples mean everybody."""

    municipalities: tuple[str, ...] = ()
    sexes: tuple[str, ...] = ()
    age_groups: tuple[str, ...] = ()
    barriers: tuple[str, ...] = ()
    barrier_mode: Literal["any", "all"] = "any"


def age_group(as_of: int) -> pl.Expr:
    """Age group at the as-of month; the age is the difference of years (no birth dates)."""
    age = pl.lit(as_of // 12, dtype=pl.Int32) - pl.col("birth_year")
    return (
        pl.when(age < 25)
        .then(pl.lit("u25"))
        .when(age < 35)
        .then(pl.lit("25_34"))
        .when(age < 45)
        .then(pl.lit("35_44"))
        .when(age < 55)
        .then(pl.lit("45_54"))
        .otherwise(pl.lit("55plus"))
    )


def people(cases: Cases, filters: Filters, as_of: int) -> pl.DataFrame:
    """The clients in the filtered group with their attributes at the as-of month.

    Columns: client, single_parent, municipality, sex, age_group, barrier_count.
    """
    active = cases.barriers.filter(
        pl.col("first_month") <= as_of, pl.col("last_month") >= as_of
    ).unique(["client", "barrier_code"])
    per_client = active.group_by("client").agg(
        pl.len().alias("barriers"),
        pl.col("barrier_code").is_in(list(filters.barriers)).sum().alias("matching"),
    )
    frame = (
        cases.clients.join(per_client, on="client", how="left")
        .with_columns(pl.col("barriers", "matching").fill_null(0))
        .select(
            "client",
            "single_parent",
            pl.col("municipality_ags").alias("municipality"),
            "sex",
            age_group(as_of).alias("age_group"),
            pl.when(pl.col("barriers") >= 4)
            .then(pl.lit("4plus"))
            .otherwise(pl.col("barriers").cast(pl.String))
            .alias("barrier_count"),
            "matching",
        )
    )
    conditions = []
    if filters.municipalities:
        conditions.append(pl.col("municipality").is_in(list(filters.municipalities)))
    if filters.sexes:
        conditions.append(pl.col("sex").is_in(list(filters.sexes)))
    if filters.age_groups:
        conditions.append(pl.col("age_group").is_in(list(filters.age_groups)))
    if filters.barriers:
        needed = len(set(filters.barriers)) if filters.barrier_mode == "all" else 1
        conditions.append(pl.col("matching") >= needed)
    if conditions:
        frame = frame.filter(*conditions)
    return frame.drop("matching")


def _band_intervals(spells: pl.DataFrame, first: str) -> pl.DataFrame:
    """Split the interval [``first``, end_month] of each spell by duration band."""
    limits = {
        "u2": (0, TWO_YEARS_MONTHS - 1),
        "2_4": (TWO_YEARS_MONTHS, FOUR_YEARS_MONTHS - 1),
        "4plus": (FOUR_YEARS_MONTHS, None),
    }
    parts = []
    for band, (low, high) in limits.items():
        start = pl.max_horizontal(pl.col(first), pl.col("start_month") + low)
        end = (
            pl.col("end_month")
            if high is None
            else pl.min_horizontal(pl.col("end_month"), pl.col("start_month") + high)
        )
        parts.append(
            spells.select(
                pl.exclude("start_month", "end_month", "lzb_from_month"),
                start.alias("first"),
                end.alias("last"),
                pl.lit(band).alias("duration"),
            )
        )
    return pl.concat(parts).filter(pl.col("first").is_not_null(), pl.col("first") <= pl.col("last"))


def _count_intervals(
    intervals: pl.DataFrame, months: pl.DataFrame, by: list[str], name: str
) -> pl.DataFrame:
    """How many intervals [first, last] cover each month, per group: a running sum of changes."""
    first_month, last_month = months["month"].min(), months["month"].max()
    relevant = intervals.filter(pl.col("first") <= last_month, pl.col("last") >= first_month)
    changes = (
        pl.concat(
            [
                relevant.select(
                    *by,
                    pl.col("first").clip(lower_bound=first_month).alias("month"),
                    pl.lit(1, dtype=pl.Int64).alias("change"),
                ),
                relevant.filter(pl.col("last") < last_month).select(
                    *by,
                    (pl.col("last") + 1).alias("month"),
                    pl.lit(-1, dtype=pl.Int64).alias("change"),
                ),
            ]
        )
        .group_by(*by, "month")
        .agg(pl.col("change").sum())
    )
    return changes.rename({"change": name})


def monthly_base(
    cases: Cases, filters: Filters, as_of: int, first: int, by: str | None = None
) -> pl.DataFrame:
    """Per month from ``first`` to ``as_of`` (and per group of ``by``): stocks and integrations.

    Columns: [by], month, elb, lzb, lzb_under_2y, lzb_2_4y, lzb_4y_plus, lzb_measure,
    elb_single_parent,
    integrations, integrations_lzb, integrations_single_parent, integrations_<kind>,
    continuity_known, continued. All are exact counts (no suppression yet).
    """
    group = people(cases, filters, as_of)
    keys = [by] if by else []
    person_keys = [k for k in keys if k != "duration"]
    members = group.select("client", "single_parent", *person_keys)
    spells = cases.spells.select("client", "start_month", "end_month", "lzb_from_month").join(
        members, on="client"
    )
    months = pl.DataFrame({"month": range(first, as_of + 1)}, schema={"month": pl.Int32})

    elb = spells.select(
        pl.exclude("lzb_from_month"), first=pl.col("start_month"), last=pl.col("end_month")
    )
    lzb = spells.filter(pl.col("lzb_from_month").is_not_null()).select(
        pl.exclude("lzb_from_month"), first=pl.col("lzb_from_month"), last=pl.col("end_month")
    )
    lzb_bands = _band_intervals(
        spells.filter(pl.col("lzb_from_month").is_not_null()), "lzb_from_month"
    )
    elb_bands = _band_intervals(spells, "start_month")
    if by == "duration":
        elb, lzb = elb_bands, lzb_bands
    measures = cases.measures.join(members.select("client"), on="client")
    lzb_measure = (
        lzb.join(measures, on="client", suffix="_measure")
        .select(
            *keys,
            "client",
            pl.max_horizontal("first", "first_month").alias("first"),
            pl.min_horizontal("last", "last_month").alias("last"),
        )
        .filter(pl.col("first") <= pl.col("last"))
        # several overlapping measures of one person count once per month
        .pipe(_merge_overlaps, keys)
    )

    counts = [
        _count_intervals(elb, months, keys, "elb"),
        _count_intervals(lzb, months, keys, "lzb"),
        _count_intervals(lzb_measure, months, keys, "lzb_measure"),
        _count_intervals(elb.filter(pl.col("single_parent")), months, keys, "elb_single_parent"),
    ]
    for band, column in LZB_BAND_COLUMNS.items():
        counts.append(
            _count_intervals(lzb_bands.filter(pl.col("duration") == band), months, keys, column)
        )

    integrations = cases.integrations.join(members, on="client").filter(
        pl.col("month").is_between(first, as_of)
    )
    if by == "duration":
        integrations = integrations.with_columns(
            pl.when(pl.col("month") - pl.col("spell_start_month") >= FOUR_YEARS_MONTHS)
            .then(pl.lit("4plus"))
            .when(pl.col("month") - pl.col("spell_start_month") >= TWO_YEARS_MONTHS)
            .then(pl.lit("2_4"))
            .otherwise(pl.lit("u2"))
            .alias("duration")
        )
    events = integrations.group_by(*keys, "month").agg(
        pl.len().alias("integrations"),
        pl.col("lzb").sum().alias("integrations_lzb"),
        pl.col("single_parent").sum().alias("integrations_single_parent"),
        (pl.col("kind") == "employment").sum().alias("integrations_employment"),
        (pl.col("kind") == "training").sum().alias("integrations_training"),
        (pl.col("kind") == "self_employment").sum().alias("integrations_self_employment"),
        pl.col("continued_12m").is_not_null().sum().alias("continuity_known"),
        pl.col("continued_12m").fill_null(False).sum().alias("continued"),
    )

    grid = months
    if keys:
        values = pl.concat([c.select(keys) for c in counts] + [events.select(keys)]).unique()
        grid = values.join(months, how="cross")
    stock_columns = ["elb", "lzb", "lzb_measure", "elb_single_parent", *LZB_BAND_COLUMNS.values()]
    base = grid
    for frame in counts:
        base = base.join(frame, on=[*keys, "month"], how="left")
    base = base.join(events, on=[*keys, "month"], how="left").fill_null(0).sort(*keys, "month")
    return base.with_columns(
        pl.col(c).cum_sum().over(keys).cast(pl.Int64)
        if keys
        else pl.col(c).cum_sum().cast(pl.Int64)
        for c in stock_columns
    ).with_columns(pl.exclude(*keys, "month").cast(pl.Int64))


def _merge_overlaps(intervals: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Merge overlapping intervals of the same client (and group) into one."""
    ordered = intervals.sort("client", "first")
    return (
        ordered.with_columns(pl.col("last").cum_max().shift(1).over("client").alias("_reach"))
        .with_columns(
            ((pl.col("_reach").is_null()) | (pl.col("first") > pl.col("_reach") + 0))
            .cum_sum()
            .over("client")
            .alias("_run")
        )
        .group_by("client", "_run", *keys)
        .agg(pl.col("first").min(), pl.col("last").max())
        .drop("_run")
    )


RATE_COLUMNS = (
    "integration_rate",
    "continuity_rate",
    "integration_rate_single_parents",
    "lzb_change",
    "integration_rate_lzb",
    "activation_rate_lzb",
)


def figures_from_base(base: pl.DataFrame, by: str | None = None) -> pl.DataFrame:
    """The figures of each month from the monthly table: counts and their numerators/denominators.

    Needs the 23 months before the first month of interest in ``base`` (for K2E3 and K3).
    Rates are in percent; a rate with a zero denominator is null.
    """
    keys = [by] if by else []

    def rolling(column: str, months: int = WINDOW, shift: int = 0) -> pl.Expr:
        expr = pl.col(column).shift(shift) if shift else pl.col(column)
        expr = expr.rolling_sum(months)
        return expr.over(keys) if keys else expr

    def lagged(column: str, months: int) -> pl.Expr:
        expr = pl.col(column).shift(months)
        return expr.over(keys) if keys else expr

    frame = base.sort(*keys, "month").with_columns(
        integrations_12m=rolling("integrations"),
        integrations_lzb_12m=rolling("integrations_lzb"),
        integrations_single_parent_12m=rolling("integrations_single_parent"),
        integrations_employment_12m=rolling("integrations_employment"),
        integrations_training_12m=rolling("integrations_training"),
        integrations_self_employment_12m=rolling("integrations_self_employment"),
        elb_sum_12m=rolling("elb"),
        lzb_sum_12m=rolling("lzb"),
        elb_single_parent_sum_12m=rolling("elb_single_parent"),
        continuity_known_12m=rolling("continuity_known", shift=WINDOW),
        continued_12m=rolling("continued", shift=WINDOW),
        lzb_year_before=lagged("lzb", WINDOW),
    )
    return frame.with_columns(
        integration_rate=_rate("integrations_12m", pl.col("elb_sum_12m") / WINDOW),
        continuity_rate=_rate("continued_12m", pl.col("continuity_known_12m")),
        integration_rate_single_parents=_rate(
            "integrations_single_parent_12m", pl.col("elb_single_parent_sum_12m") / WINDOW
        ),
        lzb_change=_rate("lzb", pl.col("lzb_year_before")) - 100,
        integration_rate_lzb=_rate("integrations_lzb_12m", pl.col("lzb_sum_12m") / WINDOW),
        activation_rate_lzb=_rate("lzb_measure", pl.col("lzb")),
    )


def _rate(numerator: str, denominator: pl.Expr) -> pl.Expr:
    return pl.when(denominator > 0).then(pl.col(numerator) / denominator * 100)


def figures_series(
    cases: Cases, filters: Filters, as_of: int, first: int, by: str | None = None
) -> pl.DataFrame:
    """Monthly figures from ``first`` to ``as_of`` (exact, not yet suppressed)."""
    base = monthly_base(cases, filters, as_of, first - 2 * WINDOW, by)
    return figures_from_base(base, by).filter(pl.col("month") >= first)
