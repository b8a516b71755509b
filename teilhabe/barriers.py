"""Barrier analysis for team leads (the Hemmnisse page and ``teilhabe figures --by barrier``).

Every answer is computed from the monthly cube (``teilhabe.cube``) with the barrier mask of
each month, for the group of the global filters, and leaves this module published
(``protection.publish``: every count with the cell key of the records it counts):

- prevalence: per barrier, ELB and LZB with it and their share of the group, K2 of those with it;
- co-occurrence: per pair of barriers, ELB with both and their share of the group;
- the integration rate by number of barriers x duration of receipt;
- the group with the chosen barriers against everybody else (same other filters);
- referrals to services that address the barrier, and what came of them.

Shares and rates are ratios of published counts.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace

import polars as pl

from teilhabe import selection
from teilhabe.cases import Cases
from teilhabe.definitions import BARRIER_CODES, SERVICE_CATEGORIES
from teilhabe.figures import COUNT_COLUMNS, RATES
from teilhabe.indicators import WINDOW, figures_from_base, figures_series, monthly_base
from teilhabe.network import integrated_within_12_months
from teilhabe.protection import Protection, key_column, publish, rate
from teilhabe.selection import Filters, has_barrier

MATRIX = ("barrier_count", "duration")


def _rows(cases: Cases, kind: str, filters: Filters, first: int, last: int) -> pl.DataFrame:
    """Cube rows (stock or flow) of the group in ``first`` .. ``last``, with their mask."""
    cells, plain = getattr(cases, f"{kind}_cells"), getattr(cases, f"{kind}_plain")
    return selection.cube_rows(cells, plain, filters, first, last, keep_mask=True)


def _sums(measure: str, condition: pl.Expr | None, name: str) -> list[pl.Expr]:
    """The sum of ``measure`` and of its key sum over the rows meeting ``condition`` (all rows
    for None), as ``name`` and ``key_column(name)``."""
    count, key = pl.col(measure), pl.col(key_column(measure))
    if condition is not None:
        count, key = count.filter(condition), key.filter(condition)
    return [count.sum().cast(pl.Int64).alias(name), key.sum().alias(key_column(name))]


def _stock_sums(now: pl.DataFrame, code: str) -> pl.DataFrame:
    """One row: elb, lzb with barrier ``code`` and the group's (group_elb, group_lzb), with
    their key sums."""
    with_it = has_barrier(code)
    return now.select(
        *_sums("elb", with_it, "elb"),
        *_sums("lzb", with_it, "lzb"),
        *_sums("elb", None, "group_elb"),
        *_sums("lzb", None, "group_lzb"),
    )


def _stocks_published(protection: Protection) -> list[pl.Expr]:
    """elb, elb_share, lzb, lzb_share from the published counts of ``_stock_sums``."""
    elb, lzb, group_elb, group_lzb = (
        publish(c, key_column(c), protection) for c in ("elb", "lzb", "group_elb", "group_lzb")
    )
    return [
        elb.alias("elb"),
        rate(elb, group_elb, protection).alias("elb_share"),
        lzb.alias("lzb"),
        rate(lzb, group_lzb, protection).alias("lzb_share"),
    ]


def prevalence(cases: Cases, filters: Filters, as_of: int, protection: Protection) -> pl.DataFrame:
    """Per barrier (catalogue order): elb, elb_share, lzb, lzb_share (shares of the group's
    ELB/LZB in percent) as of ``as_of``, integrations_12m and integration_rate (K2 of the ELB
    with the barrier: published integrations over the mean of the 12 published monthly stocks),
    all published."""
    first = as_of - WINDOW + 1
    stocks = _rows(cases, "stock", filters, first, as_of)
    flows = _rows(cases, "flow", filters, first, as_of)
    now = stocks.filter(pl.col("month") == as_of)
    frames = []
    for code in BARRIER_CODES:
        with_it = has_barrier(code)
        monthly = (
            stocks.group_by("month")
            .agg(_sums("elb", with_it, "elb"))
            .select(publish("elb", key_column("elb"), protection).alias("elb"))
        )
        mean_stock = monthly["elb"].sum() / WINDOW
        events = flows.select(_sums("integrations", with_it, "integrations_12m"))
        frames.append(
            pl.concat([_stock_sums(now, code), events], how="horizontal").with_columns(
                pl.lit(mean_stock, dtype=pl.Float64).alias("elb_mean_12m")
            )
        )
    sums = pl.concat(frames).insert_column(0, pl.Series("barrier", BARRIER_CODES))
    integrations = publish("integrations_12m", key_column("integrations_12m"), protection)
    return sums.select(
        "barrier",
        *_stocks_published(protection),
        integrations.alias("integrations_12m"),
        rate(integrations, pl.col("elb_mean_12m"), protection).alias("integration_rate"),
    )


def prevalence_series(
    cases: Cases, filters: Filters, months: Sequence[int], protection: Protection
) -> pl.DataFrame:
    """Per month of ``months`` and barrier: elb, elb_share, lzb, lzb_share (published)."""
    frames = []
    for month in sorted(set(months)):
        now = _rows(cases, "stock", filters, month, month)
        for code in BARRIER_CODES:
            frames.append(
                _stock_sums(now, code).select(
                    pl.lit(month, dtype=pl.Int32).alias("month"),
                    pl.lit(code).alias("barrier"),
                    pl.all(),
                )
            )
    return pl.concat(frames).select("month", "barrier", *_stocks_published(protection))


def co_occurrence(
    cases: Cases, filters: Filters, as_of: int, protection: Protection
) -> pl.DataFrame:
    """Per ordered pair of barriers (both orders, and a barrier with itself): elb with both as
    of ``as_of`` and its share of the group's ELB, published. A pair's value is the same in both
    orders, and a barrier with itself is that barrier's ELB of ``prevalence``."""
    now = _rows(cases, "stock", filters, as_of, as_of)
    pairs = list(itertools.combinations_with_replacement(BARRIER_CODES, 2))
    sums = now.select(
        *_sums("elb", None, "group"),
        *(
            expr
            for a, b in pairs
            for expr in _sums("elb", has_barrier(a) & has_barrier(b), f"{a}|{b}")
        ),
    )
    published = sums.select(
        publish(c, key_column(c), protection).alias(c)
        for c in ("group", *(f"{a}|{b}" for a, b in pairs))
    ).row(0, named=True)
    rows = []
    for a, b in pairs:
        rows.append((a, b, published[f"{a}|{b}"]))
        if a != b:
            rows.append((b, a, published[f"{a}|{b}"]))
    frame = pl.DataFrame(
        rows, schema={"barrier_a": pl.String, "barrier_b": pl.String, "elb": pl.Int64}, orient="row"
    )
    group = pl.lit(published["group"], dtype=pl.Int64)
    return frame.with_columns(rate("elb", group, protection).alias("share"))


def co_occurrence_matrix(frame: pl.DataFrame, column: str = "elb") -> list[list[object]]:
    """The pairs of ``co_occurrence`` as a square matrix in catalogue order (rows barrier_a,
    columns barrier_b)."""
    values = {(a, b): v for a, b, v in frame.select("barrier_a", "barrier_b", column).iter_rows()}
    return [[values.get((a, b)) for b in BARRIER_CODES] for a in BARRIER_CODES]


def rate_matrix(cases: Cases, filters: Filters, as_of: int, protection: Protection) -> pl.DataFrame:
    """K2 (and K3E1) per number of barriers x duration of receipt, as of ``as_of`` (published).

    Columns: barrier_count, duration, elb, integrations_12m, integration_rate,
    integration_rate_lzb. Groups and duration are those of each month (``cube``). Cells whose
    published mean ELB stock of the 12 months is 0 are left out (nobody to speak of).
    """
    published = figures_series(cases, filters, as_of, as_of, protection, by=MATRIX)
    return published.filter(pl.col("elb_mean_12m") > 0).select(
        *MATRIX, "elb", "integrations_12m", "integration_rate", "integration_rate_lzb"
    )


GROUP_LABELS = {"group": "mit den gewählten Hemmnissen", "others": "alle anderen"}


def group_comparison(
    cases: Cases, filters: Filters, as_of: int, protection: Protection
) -> pl.DataFrame:
    """The group with the chosen barriers against everybody else with the same other filters.

    One row per side (``side``: "group", "others") with every figure of ``COUNT_COLUMNS`` and
    ``RATES`` as of ``as_of``, published. "Everybody else" is a set of persons like any other:
    its counts and key sums are those of everybody minus those of the group, so its published
    values carry their own noise, and the group plus everybody else need not add up exactly to
    the published total.
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
    return pl.concat(
        [
            figures_from_base(frame, protection)
            .filter(pl.col("month") == as_of)
            .select(pl.lit(side).alias("side"), *COUNT_COLUMNS, *RATES)
            for side, frame in (("group", group), ("others", others))
        ]
    )


def referral_outcomes(
    cases: Cases,
    filters: Filters,
    as_of: int,
    protection: Protection,
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
    address (default: the catalogue's mapping; the app passes the directory's). Published:
    referral counts with the referrals' keys, persons with the persons' keys.
    """
    chosen = tuple(barriers) or filters.barriers or BARRIER_CODES
    if addresses is None:
        addresses = {c.code: list(c.barriers) for c in SERVICE_CATEGORIES}
    rows = selection.referral_rows(cases, filters, as_of - 2 * WINDOW + 1, as_of)
    recent = pl.col("month") > as_of - WINDOW
    known = pl.col("month") <= as_of - WINDOW
    success = integrated_within_12_months()
    frames = []
    for code in (c for c in BARRIER_CODES if c in chosen):
        categories = [category for category, codes in addresses.items() if code in codes]
        matching = rows.filter(has_barrier(code), pl.col("category_code").is_in(categories))
        persons = matching.filter(recent).unique("client")
        frames.append(
            pl.concat(
                [
                    matching.select(
                        pl.lit(code).alias("barrier"),
                        *_referral_sums("referrals_12m", recent),
                        *_referral_sums("referrals_outcome_known", known),
                        *_referral_sums("integrated_12m", known & success),
                    ),
                    persons.select(
                        pl.len().cast(pl.Int64).alias("clients_12m"),
                        pl.col("client_key").sum().alias(key_column("clients_12m")),
                    ),
                ],
                how="horizontal",
            )
        )
    counts = ["referrals_12m", "clients_12m", "referrals_outcome_known", "integrated_12m"]
    if not frames:
        return pl.DataFrame(
            schema={
                "barrier": pl.String,
                **dict.fromkeys(counts, pl.Int64),
                "outcome_rate": pl.Float64,
            }
        )
    published = pl.concat(frames).select(
        "barrier", *(publish(c, key_column(c), protection).alias(c) for c in counts)
    )
    return published.with_columns(
        rate("integrated_12m", "referrals_outcome_known", protection).alias("outcome_rate")
    )


def _referral_sums(name: str, condition: pl.Expr) -> list[pl.Expr]:
    """How many referral rows meet ``condition``, and the sum of their referral keys."""
    return [
        condition.sum().cast(pl.Int64).alias(name),
        pl.col("referral_key").filter(condition).sum().alias(key_column(name)),
    ]
