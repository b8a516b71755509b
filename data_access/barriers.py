"""Barrier analysis for team leads (the Hemmnisse page and ``teilhabe figures --by barrier``).

Every answer is computed from the monthly cube (``data_access.cube``) with the barrier mask of
each month, for the group of the global filters, and leaves this module suppressed:

- prevalence: per barrier, ELB and LZB with it and their share of the group, K2 of those with it;
- co-occurrence: per pair of barriers, ELB with both and their share of the group;
- the integration rate by number of barriers x duration of receipt;
- the group with the chosen barriers against everybody else (same other filters);
- referrals to services that address the barrier, and what came of them.

Prevalence and co-occurrence counts overlap (one person has several barriers), so they are not
parts of a total: a hidden one cannot be recovered by subtraction, and primary suppression
suffices. Where parts do add up to a total (group and everybody else, the number of barriers per
person) the secondary suppression of ``figures.suppress_groups`` applies.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace

import polars as pl

from data_access import cube
from data_access.cases import Cases
from data_access.catalogue import BARRIER_CODES, SERVICE_CATEGORIES
from data_access.figures import COUNT_COLUMNS, RATES, suppress, suppress_groups
from data_access.indicators import (
    WINDOW,
    Filters,
    figures_from_base,
    figures_series,
    monthly_base,
)
from data_access.network import integrated_within_12_months, referrals_of

MATRIX = ("barrier_count", "duration")


def _rows(cases: Cases, kind: str, filters: Filters, first: int, last: int) -> pl.DataFrame:
    """Cube rows (stock or flow) of the group in ``first`` .. ``last``, with their mask."""
    return cube.select_cells(
        getattr(cases, f"{kind}_cells"),
        getattr(cases, f"{kind}_plain"),
        first=first,
        last=last,
        municipalities=filters.municipalities,
        sexes=filters.sexes,
        age_groups=filters.age_groups,
        barriers=filters.barriers,
        barrier_mode=filters.barrier_mode,
        keep_mask=True,
    )


def _share(count: pl.Expr, whole: pl.Expr) -> pl.Expr:
    return pl.when(whole > 0).then(count / whole * 100)


def prevalence_exact(cases: Cases, filters: Filters, as_of: int) -> pl.DataFrame:
    """Per barrier (catalogue order): exact elb, lzb, group_elb, group_lzb as of ``as_of`` and
    integrations_12m, elb_sum_12m over the 12 months up to it (K2 of those with the barrier)."""
    first = as_of - WINDOW + 1
    stocks = _rows(cases, "stock", filters, first, as_of)
    flows = _rows(cases, "flow", filters, first, as_of)
    now = stocks.filter(pl.col("month") == as_of)
    frames = []
    for code in BARRIER_CODES:
        with_it = cube.has_barrier(code)
        stock = now.select(
            pl.col("elb").filter(with_it).sum().alias("elb"),
            pl.col("lzb").filter(with_it).sum().alias("lzb"),
            pl.col("elb").sum().alias("group_elb"),
            pl.col("lzb").sum().alias("group_lzb"),
        )
        window = stocks.select(pl.col("elb").filter(with_it).sum().alias("elb_sum_12m"))
        events = flows.select(
            pl.col("integrations").filter(with_it).sum().alias("integrations_12m")
        )
        frames.append(pl.concat([stock, window, events], how="horizontal"))
    exact = pl.concat(frames).cast(pl.Int64)
    return exact.insert_column(0, pl.Series("barrier", BARRIER_CODES))


def _stocks_shown(threshold: int) -> list[pl.Expr]:
    """elb, elb_share, lzb, lzb_share from the exact counts and the group's, suppressed."""
    small = _disclosive(threshold)
    return [
        pl.when(small("elb")).then(None).otherwise("elb").alias("elb"),
        pl.when(small("elb") | small("group_elb"))
        .then(None)
        .otherwise(_share(pl.col("elb"), pl.col("group_elb")))
        .alias("elb_share"),
        pl.when(small("lzb")).then(None).otherwise("lzb").alias("lzb"),
        pl.when(small("lzb") | small("group_lzb"))
        .then(None)
        .otherwise(_share(pl.col("lzb"), pl.col("group_lzb")))
        .alias("lzb_share"),
    ]


def prevalence(cases: Cases, filters: Filters, as_of: int, threshold: int) -> pl.DataFrame:
    """Per barrier: elb, elb_share, lzb, lzb_share (shares of the group's ELB/LZB in percent),
    integrations_12m and integration_rate (K2 of the ELB with the barrier), suppressed."""
    exact = prevalence_exact(cases, filters, as_of)
    small = _disclosive(threshold)
    return exact.select(
        "barrier",
        *_stocks_shown(threshold),
        pl.when(small("integrations_12m"))
        .then(None)
        .otherwise("integrations_12m")
        .alias("integrations_12m"),
        pl.when(small("integrations_12m") | (pl.col("elb_sum_12m") < WINDOW * threshold))
        .then(None)
        .otherwise(_share(pl.col("integrations_12m"), pl.col("elb_sum_12m") / WINDOW))
        .alias("integration_rate"),
    )


def prevalence_series(
    cases: Cases, filters: Filters, months: Sequence[int], threshold: int
) -> pl.DataFrame:
    """Per month of ``months`` and barrier: elb, elb_share, lzb, lzb_share (suppressed)."""
    frames = []
    for month in sorted(set(months)):
        now = _rows(cases, "stock", filters, month, month)
        for code in BARRIER_CODES:
            with_it = cube.has_barrier(code)
            frames.append(
                now.select(
                    pl.lit(month, dtype=pl.Int32).alias("month"),
                    pl.lit(code).alias("barrier"),
                    pl.col("elb").filter(with_it).sum().cast(pl.Int64).alias("elb"),
                    pl.col("lzb").filter(with_it).sum().cast(pl.Int64).alias("lzb"),
                    pl.col("elb").sum().cast(pl.Int64).alias("group_elb"),
                    pl.col("lzb").sum().cast(pl.Int64).alias("group_lzb"),
                )
            )
    return pl.concat(frames).select("month", "barrier", *_stocks_shown(threshold))


def co_occurrence_exact(cases: Cases, filters: Filters, as_of: int) -> pl.DataFrame:
    """Per ordered pair of barriers (both orders, and a barrier with itself): exact elb with both
    as of ``as_of`` and group_elb."""
    now = _rows(cases, "stock", filters, as_of, as_of)
    group = int(now["elb"].sum())
    pairs = list(itertools.combinations_with_replacement(BARRIER_CODES, 2))
    counts = now.select(
        pl.col("elb")
        .filter(cube.has_barrier(a) & cube.has_barrier(b))
        .sum()
        .cast(pl.Int64)
        .alias(f"{a}|{b}")
        for a, b in pairs
    ).row(0)
    rows = []
    for (a, b), count in zip(pairs, counts, strict=True):
        rows.append((a, b, count))
        if a != b:
            rows.append((b, a, count))
    frame = pl.DataFrame(
        rows, schema={"barrier_a": pl.String, "barrier_b": pl.String, "elb": pl.Int64}, orient="row"
    )
    return frame.with_columns(pl.lit(group, dtype=pl.Int64).alias("group_elb"))


def co_occurrence(cases: Cases, filters: Filters, as_of: int, threshold: int) -> pl.DataFrame:
    """Per ordered pair of barriers: elb with both and share of the group's ELB (suppressed)."""
    exact = co_occurrence_exact(cases, filters, as_of)
    small = _disclosive(threshold)
    return exact.select(
        "barrier_a",
        "barrier_b",
        pl.when(small("elb")).then(None).otherwise("elb").alias("elb"),
        pl.when(small("elb") | small("group_elb"))
        .then(None)
        .otherwise(_share(pl.col("elb"), pl.col("group_elb")))
        .alias("share"),
    )


def rate_matrix(cases: Cases, filters: Filters, as_of: int, threshold: int) -> pl.DataFrame:
    """K2 (and K3E1) per number of barriers x duration of receipt, as of ``as_of`` (suppressed).

    Columns: barrier_count, duration, elb, integrations_12m, integration_rate,
    integration_rate_lzb. Groups and duration are those of each month (``cube``).
    """
    exact = figures_series(cases, filters, as_of, as_of, by=MATRIX).filter(
        pl.col("elb_sum_12m") > 0  # nobody in the cell during the 12 months: nothing to say
    )
    return suppress(exact, threshold=threshold).select(
        *MATRIX, "elb", "integrations_12m", "integration_rate", "integration_rate_lzb"
    )


GROUP_LABELS = {"group": "mit den gewählten Hemmnissen", "others": "alle anderen"}


def group_comparison(cases: Cases, filters: Filters, as_of: int, threshold: int) -> pl.DataFrame:
    """The group with the chosen barriers against everybody else with the same other filters.

    One row per side (``side``: "group", "others") with every figure of ``COUNT_COLUMNS`` and
    ``RATES`` as of ``as_of``. The total of both sides is published on every page (without the
    barrier filter), so it cannot be hidden: where one side's count is hidden, so is the other's,
    and the rates built on them.
    """
    if not filters.barriers:
        raise ValueError("group_comparison needs a barrier filter")
    first = as_of - 2 * WINDOW + 1
    everybody = monthly_base(cases, replace(filters, barriers=()), first, as_of)
    group = monthly_base(cases, filters, first, as_of)
    columns = [c for c in everybody.columns if c != "month"]
    others = everybody.join(group, on="month", suffix="_group").select(
        "month", *(pl.col(c) - pl.col(f"{c}_group") for c in columns)
    )
    exact = pl.concat(
        [
            figures_from_base(frame)
            .filter(pl.col("month") == as_of)
            .with_columns(pl.lit(side).alias("side"))
            for side, frame in (("group", group), ("others", others))
        ]
    )
    shown = suppress_groups(exact, by="side", threshold=threshold)
    both = [
        pl.when(pl.col(c).is_null().any()).then(None).otherwise(pl.col(c)).alias(c)
        for c in COUNT_COLUMNS
    ]
    shown = shown.with_columns(both)
    rates = [
        pl.when(pl.col(numerator).is_null()).then(None).otherwise(pl.col(rate)).alias(rate)
        for rate, (numerator, _) in RATES.items()
        if numerator in COUNT_COLUMNS
    ]
    return shown.with_columns(rates)


def referral_outcomes(
    cases: Cases,
    filters: Filters,
    as_of: int,
    threshold: int,
    barriers: Sequence[str] = (),
    addresses: dict[str, list[str]] | None = None,
) -> pl.DataFrame:
    """Per barrier: referrals of people with it to a service that addresses it, and outcomes.

    Only the barriers in ``barriers`` (default: the filter's, or all). Columns: barrier,
    referrals_12m (started in the 12 months up to ``as_of``), clients_12m (distinct persons),
    referrals_outcome_known (started in the 12 months ending 12 months before ``as_of``, so that
    12 months have passed), integrated_12m (of those, followed by an integration within 12
    months of the start), outcome_rate (percent). People and their barriers are taken in the
    month of the referral's start. ``addresses`` maps service categories to the barriers they
    address (default: the catalogue's mapping; the app passes the directory's). Suppressed.
    """
    chosen = tuple(barriers) or filters.barriers or BARRIER_CODES
    if addresses is None:
        addresses = {c.code: list(c.barriers) for c in SERVICE_CATEGORIES}
    rows = referrals_of(cases, filters, as_of - 2 * WINDOW + 1, as_of)
    recent = pl.col("month") > as_of - WINDOW
    known = pl.col("month") <= as_of - WINDOW
    success = integrated_within_12_months()
    frames = []
    for code in (c for c in BARRIER_CODES if c in chosen):
        categories = [category for category, codes in addresses.items() if code in codes]
        matching = rows.filter(cube.has_barrier(code), pl.col("category_code").is_in(categories))
        frames.append(
            matching.select(
                pl.lit(code).alias("barrier"),
                recent.sum().cast(pl.Int64).alias("referrals_12m"),
                pl.col("client").filter(recent).n_unique().cast(pl.Int64).alias("clients_12m"),
                known.sum().cast(pl.Int64).alias("referrals_outcome_known"),
                (known & success).sum().cast(pl.Int64).alias("integrated_12m"),
            )
        )
    schema = {
        "barrier": pl.String,
        "referrals_12m": pl.Int64,
        "clients_12m": pl.Int64,
        "referrals_outcome_known": pl.Int64,
        "integrated_12m": pl.Int64,
    }
    exact = pl.concat(frames) if frames else pl.DataFrame(schema=schema)
    small = _disclosive(threshold)
    counts = ["referrals_12m", "clients_12m", "referrals_outcome_known", "integrated_12m"]
    return exact.select(
        "barrier",
        *(pl.when(small(c)).then(None).otherwise(c).alias(c) for c in counts),
        pl.when(small("integrated_12m") | small("referrals_outcome_known"))
        .then(None)
        .otherwise(_share(pl.col("integrated_12m"), pl.col("referrals_outcome_known")))
        .alias("outcome_rate"),
    )


def _disclosive(threshold: int):
    """An expression factory: is the count in column ``name`` in 1 .. threshold - 1?"""

    def small(name: str) -> pl.Expr:
        return pl.col(name).is_between(1, threshold - 1)

    return small
