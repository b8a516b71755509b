"""The § 48a SGB II figures over the columnar case copy: one implementation each.

Everything is built from one monthly table (``monthly_base``), a filter and a group-by over
the monthly cube (``data_access.cube``): per month (and per group of a breakdown) the ELB and
LZB stock, LZB by duration band, LZB in an active measure, single parents,
and the integrations of the month. The figures are windows over that table:

- K2 Integrationsquote: integrations in the 12 months up to M / average ELB stock of those months.
- K2E3 continuity: of the integrations in the 12 months ending 12 months before M (so that the
  following 12 months are known), the share still employed 12 months later.
- K2E4: K2 for single parents.
- K3: LZB stock in M compared with M - 12, as change in percent.
- K3E1: integrations of LZB in the 12 months / average LZB stock of those months.
- K3E2 Aktivierungsquote: LZB in an active labour-market measure in M / LZB stock in M.

Group membership (age group, number of barriers, the barrier filter, duration of receipt) is
taken in each month, as the BA's statistics do: the LZB with barrier "debts" in 03/2013 are those
who had it recorded then, and an integration counts for the group the person belonged to in the
month of the integration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from data_access import cube
from data_access.cases import Cases

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
    integrations_<kind>, continuity_known, continued. All are exact counts (no suppression yet).
    Every group that occurs in the months has a row for each month (zeros where empty).
    """
    keys = _keys(by)
    parts = []
    for cells, plain, measures in (
        (cases.stock_cells, cases.stock_plain, cube.STOCKS),
        (cases.flow_cells, cases.flow_plain, cube.FLOWS),
    ):
        rows = cube.select_cells(
            cells,
            plain,
            first=first,
            last=last,
            municipalities=filters.municipalities,
            sexes=filters.sexes,
            age_groups=filters.age_groups,
            barriers=filters.barriers,
            barrier_mode=filters.barrier_mode,
        )
        parts.append(rows.group_by(*keys, "month").agg(pl.col(*measures).sum().cast(pl.Int64)))
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


RATE_COLUMNS = (
    "integration_rate",
    "continuity_rate",
    "integration_rate_single_parents",
    "lzb_change",
    "integration_rate_lzb",
    "activation_rate_lzb",
)


def figures_from_base(base: pl.DataFrame, by: By = None) -> pl.DataFrame:
    """The figures of each month from the monthly table: counts and their numerators/denominators.

    Needs the 23 months before the first month of interest in ``base`` (for K2E3 and K3).
    Rates are in percent; a rate with a zero denominator is null.
    """
    keys = _keys(by)

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
    cases: Cases, filters: Filters, as_of: int, first: int, by: By = None
) -> pl.DataFrame:
    """Monthly figures from ``first`` to ``as_of`` (exact, not yet suppressed)."""
    base = monthly_base(cases, filters, first - 2 * WINDOW, as_of, by)
    return figures_from_base(base, by).filter(pl.col("month") >= first)
