"""The § 48a SGB II figures over the columnar case copy: one implementation each.

Everything is built from one monthly table (``monthly_base``), a filter and a group-by over
the monthly cube (``teilhabe.cube``): per month (and per group of a breakdown) the ELB and
LZB stock, LZB by duration band, LZB in an active measure, single parents,
and the integrations of the month. The figures are windows over that table:

- K2 Integrationsquote: integrations in the 12 months up to M / average ELB stock of those months.
- K2E3 continuity: of the integrations in the 12 months ending 12 months before M (so that the
  following 12 months are known), the share still employed 12 months later.
- K2E4: K2 for single parents.
- K3: LZB stock in M compared with M - 12, as change in percent.
- K3E1: integrations of LZB in the 12 months / average LZB stock of those months.
- K3E2 Aktivierungsquote: LZB in an active labour-market measure in M / LZB stock in M.
- K1E2: ELB stock in M compared with M - 12, as change in percent (like K3).
- K1E3 / K1E4 average entry / exit rate of ELB: entries (exits) in the 12 months up to M / sum
  of the ELB stocks at the end of the month before each of them (M - 12 .. M - 1), in percent:
  the mean monthly rate, each month's flow against the stock it flowed into or out of.
- K3E3 / K3E4: the same for LZB.

Why this formula for K1E3 .. K3E4: the reference copy of the Verordnung zu § 48a SGB II
(``reference/README.md``) lists K2 and K3 only; the published definition of the "durchschnittliche
Zugangs-/Abgangsrate" is the sum of the entries (exits) of the last 12 months over the sum of
the stocks of the respective previous months. That is a flow-weighted mean of the 12 monthly
rates (a month with a larger stock weighs more), not a mean of 12 monthly ratios, and it needs
only published 12-month counts and published monthly stocks. Entries and exits are counted
between month ends (``cube._transitions``), so short interruptions within a month, which the
BA's own counting of spells may treat differently, do not appear.

Group membership (age group, number of barriers, the barrier filter, duration of receipt) is
taken in each month, as the BA's statistics do: the LZB with barrier "debts" in 03/2013 are those
who had it recorded then, and an integration counts for the group the person belonged to in the
month of the integration.
"""

from __future__ import annotations

import polars as pl

from teilhabe import cube, selection
from teilhabe.cases import Cases
from teilhabe.definitions import DISTRICT_DIGITS, LAND_DIGITS
from teilhabe.protection import Protection, key_column, publish_columns, rate
from teilhabe.selection import Filters

WINDOW = 12
# The breakdowns: the cube's own columns, and the areas above the municipality.
CUBE_DIMENSIONS = ("municipality", "sex", "age_group", "duration", "barrier_count")
DIMENSIONS = (*CUBE_DIMENSIONS, "jobcenter", "land")
# Breakdowns by area above the municipality: the leading digits of its AGS (the cube has none).
AREA_DIGITS = {"jobcenter": DISTRICT_DIGITS, "land": LAND_DIGITS}

By = str | tuple[str, ...] | None


def _keys(by: By) -> list[str]:
    """The group columns of a breakdown: none, one dimension, or several (a cross table)."""
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    unknown = [k for k in keys if k not in DIMENSIONS]
    if unknown:
        raise ValueError(
            f"Unbekannte Aufgliederung {unknown[0]!r}; möglich: {', '.join(DIMENSIONS)}"
        )
    return keys


def monthly_base(
    cases: Cases, filters: Filters, first: int, last: int, by: By = None
) -> pl.DataFrame:
    """Per month from ``first`` to ``last`` (and per group of ``by``): stocks and integrations.

    Columns: [by], month, elb, lzb, lzb_under_2y, lzb_2_4y, lzb_4y_plus, lzb_measure,
    elb_single_parent, integrations, integrations_lzb, integrations_single_parent,
    integrations_<kind>, continuity_known, continued, elb_entries, elb_exits, lzb_entries,
    lzb_exits, each with its key sum
    (``protection.key_column``). All are exact counts, not yet published. Every group that
    occurs in the months has a row for each month (zeros where empty).
    """
    keys = _keys(by)
    # a Jobcenter or Land is summed from its municipalities (a cube column)
    cube_keys = list(dict.fromkeys("municipality" if k in AREA_DIGITS else k for k in keys))
    parts = []
    for kind, measures in (
        ("stock", (*cube.STOCKS, *cube.STOCK_KEYS)),
        ("flow", (*cube.FLOWS, *cube.FLOW_KEYS)),
    ):
        plain, rollups = getattr(cases, f"{kind}_plain"), getattr(cases, f"{kind}_rollups")
        # the cells by barrier mask only for a barrier filter (``selection.cube_rows`` reads them
        # for nothing else): an app process reads them on first use (cube_store.ON_FIRST_USE)
        cells = getattr(cases, f"{kind}_cells") if filters.barriers else plain
        # from the smallest rollup that can answer, else from the cells
        rows = selection.summable_rows(cells, plain, rollups, filters, first, last, cube_keys)
        sums_ = rows.group_by(*cube_keys, "month").agg(pl.col(*measures).sum().cast(pl.Int64))
        if cube_keys != keys:
            sums_ = (
                sums_.with_columns(pl.col(cube_keys).cast(pl.String))
                .with_columns(
                    pl.col("municipality").str.slice(0, AREA_DIGITS[k]).alias(k)
                    for k in keys
                    if k in AREA_DIGITS
                )
                .group_by(*keys, "month")
                .agg(pl.col(*measures).sum())
            )
        parts.append(sums_)
    sums = parts[0].join(parts[1], on=[*keys, "month"], how="full", coalesce=True)
    if keys:
        sums = sums.with_columns(pl.col(*keys).cast(pl.String))
    months = pl.DataFrame({"month": range(first, last + 1)}, schema={"month": pl.Int32})
    grid = sums.select(keys).unique().join(months, how="cross") if keys else months
    return (
        grid.join(sums, on=[*keys, "month"], how="left")
        .with_columns(pl.exclude(*keys, "month").fill_null(0))
        .sort(*keys, "month")
    )


# Monthly stocks that are published month by month (and averaged over 12 months for a rate).
MONTHLY_STOCKS = (*cube.STOCKS,)
# Counts over the 12 months up to the month: (published column, monthly measure, shift).
WINDOW_COUNTS = {
    "integrations_12m": ("integrations", 0),
    "integrations_lzb_12m": ("integrations_lzb", 0),
    "integrations_single_parent_12m": ("integrations_single_parent", 0),
    "integrations_employment_12m": ("integrations_employment", 0),
    "integrations_training_12m": ("integrations_training", 0),
    "integrations_self_employment_12m": ("integrations_self_employment", 0),
    # K2E3: the integrations of the 12 months ending 12 months before (their year has passed)
    "continuity_known_12m": ("continuity_known", WINDOW),
    "continued_12m": ("continued", WINDOW),
    # K1E3, K1E4, K3E3, K3E4: entries into and exits from the stocks
    **{f"{flow}_12m": (flow, 0) for flow in cube.TRANSITIONS},
}


def figures_from_base(
    base: pl.DataFrame, protection: Protection, by: By = None, *, first: int | None = None
) -> pl.DataFrame:
    """The published figures of each month from the monthly table (``monthly_base``).

    Every count is published (``protection.publish``) with the cell key of exactly the records
    it counts: the monthly stocks per month, the 12-month counts with the key sum over the
    window. Rates are built from published counts only:

    - K2 = published integrations of the 12 months / mean of the 12 published monthly ELB
      stocks (likewise K2E4, K3E1 with their stocks);
    - K2E3 = published continued / published integrations with known continuity;
    - K3 = published LZB / published LZB a year before, as change in percent;
    - K3E2 = published LZB in a measure / published LZB;
    - K1E2 = published ELB / published ELB a year before, as change in percent;
    - K1E3 (K1E4) = published ELB entries (exits) of the 12 months / sum of the 12 published
      ELB stocks of the months before them (M - 12 .. M - 1), i.e. the mean monthly rate;
      likewise K3E3, K3E4 with the LZB entries, exits and stocks.

    A rate whose published denominator (the mean stock, for K2, K1E3 .. K3E4) is below
    ``protection.min_rate_base`` is null. Needs the 23 months before the first month of
    interest in ``base`` (for K2E3, K3 and K1E2); ``first`` drops the months before it early. The
    result has no key columns.
    """
    keys = _keys(by)

    def over(expr: pl.Expr) -> pl.Expr:
        return expr.over(keys) if keys else expr

    def window_sum(column: str, shift: int) -> pl.Expr:
        expr = pl.col(column).cast(pl.Int64)
        return over((expr.shift(shift) if shift else expr).rolling_sum(WINDOW))

    monthly = publish_columns(base.sort(*keys, "month"), MONTHLY_STOCKS, protection)
    windows = monthly.with_columns(
        *(
            expr
            for column, (measure, shift) in WINDOW_COUNTS.items()
            for expr in (
                window_sum(measure, shift).alias(column),
                window_sum(key_column(measure), shift).alias(key_column(column)),
            )
        ),
        elb_mean_12m=over(pl.col("elb").rolling_sum(WINDOW)) / WINDOW,
        lzb_mean_12m=over(pl.col("lzb").rolling_sum(WINDOW)) / WINDOW,
        elb_single_parent_mean_12m=over(pl.col("elb_single_parent").rolling_sum(WINDOW)) / WINDOW,
        lzb_year_before=over(pl.col("lzb").shift(WINDOW)),
        elb_year_before=over(pl.col("elb").shift(WINDOW)),
        # the stocks the entries and exits of the 12 months flowed into or out of
        elb_prev_mean_12m=over(pl.col("elb").shift(1).rolling_sum(WINDOW)) / WINDOW,
        lzb_prev_mean_12m=over(pl.col("lzb").shift(1).rolling_sum(WINDOW)) / WINDOW,
    )
    if first is not None:  # the months before are only needed for the windows above
        windows = windows.filter(pl.col("month") >= first)
    frame = publish_columns(windows, list(WINDOW_COUNTS), protection)
    frame = frame.with_columns(
        integration_rate=rate("integrations_12m", "elb_mean_12m", protection),
        continuity_rate=rate("continued_12m", "continuity_known_12m", protection),
        integration_rate_single_parents=rate(
            "integrations_single_parent_12m", "elb_single_parent_mean_12m", protection
        ),
        lzb_change=rate("lzb", "lzb_year_before", protection) - 100,
        integration_rate_lzb=rate("integrations_lzb_12m", "lzb_mean_12m", protection),
        activation_rate_lzb=rate("lzb_measure", "lzb", protection),
        elb_change=rate("elb", "elb_year_before", protection) - 100,
        **{
            f"{stock}_{kind}_rate": rate(
                pl.col(f"{stock}_{flow}_12m") / WINDOW, f"{stock}_prev_mean_12m", protection
            )
            for stock in ("elb", "lzb")
            for kind, flow in (("entry", "entries"), ("exit", "exits"))
        },
    )
    return frame.drop([c for c in frame.columns if c.endswith("__key")]).drop(
        [m for m in cube.FLOWS if m in frame.columns]
    )


def figures_series(
    cases: Cases,
    filters: Filters,
    as_of: int,
    first: int,
    protection: Protection,
    by: By = None,
) -> pl.DataFrame:
    """Published monthly figures from ``first`` to ``as_of``."""
    base = monthly_base(cases, filters, first - 2 * WINDOW, as_of, by)
    return figures_from_base(base, protection, by, first=first)
