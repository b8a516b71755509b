"""The demo's referrals of clients to services addressing their barriers, and to measures."""

from __future__ import annotations

import numpy as np
import polars as pl

from teilhabe.definitions import BARRIER_CODES, SERVICE_CATEGORIES
from teilhabe.demo.spec import (
    DATA_END,
)


def _referrals(rng, cases, network, municipalities) -> pl.DataFrame:
    """Referrals of clients with a barrier to a service of a matching category in their area.

    About 45 % of the barrier assessments lead to a referral (vectorised over all assessments;
    the random draws are taken in the order of client and barrier, so the result is fixed by the
    seed). The referral starts 10 to 199 days after the later of the start of the client's last
    spell and the recording of the barrier, and lasts 60 to 299 days; one still running after
    the end of the data is active, else completed or (one in five) cancelled.
    """
    spells = (
        cases["benefit_spell"]
        .group_by("client_id")
        .agg(pl.col("start_date").max().alias("spell_start"))
    )
    candidates = (
        cases["barrier_assessment"]
        .select("client_id", "barrier_code", "recorded_on")
        .join(cases["client"].select("id", "municipality_ags"), left_on="client_id", right_on="id")
        .join(spells, on="client_id")
        .sort("client_id", "barrier_code")
    )
    size = candidates.height
    candidates = candidates.with_columns(
        pl.Series("draw", rng.random(size)),
        pl.Series("day", rng.integers(10, 200, size)),
        pl.Series("length", rng.integers(60, 300, size)),
        pl.Series("outcome", rng.random(size)),
    ).with_row_index("order")
    start = pl.max_horizontal("spell_start", "recorded_on") + pl.duration(days=pl.col("day"))
    end = pl.col("start_date") + pl.duration(days=pl.col("length"))
    referrals = (
        candidates.filter(pl.col("draw") <= 0.45)
        .join(_referral_options(network), on=["municipality_ags", "barrier_code"])
        .sort("order")
        .with_columns(
            pl.col("options")
            .list.get(pl.col("day") % pl.col("options").list.len())
            .alias("service_id"),
            start.alias("start_date"),
        )
        .filter(pl.col("start_date") <= DATA_END)
        .with_columns(end.alias("end_date"))
        .select(
            "client_id",
            "service_id",
            "barrier_code",
            "start_date",
            pl.when(pl.col("end_date") <= DATA_END).then(pl.col("end_date")).alias("end_date"),
            pl.when(pl.col("end_date") > DATA_END)
            .then(pl.lit("active"))
            .when(pl.col("outcome") < 0.2)
            .then(pl.lit("cancelled"))
            .otherwise(pl.lit("completed"))
            .alias("status"),
        )
    )
    measures = _measure_referrals(rng, cases, network)
    return pl.concat([referrals, measures]).unique(
        ["client_id", "service_id", "start_date"], keep="first", maintain_order=True
    )


# The labour-market measures (qualification, language course, activation) of people in long
# receipt: after the first year of a spell, MEASURE_RATE participations per year on average,
# each of 90 to 269 days. So about one LZB in ten is in a measure at any time (K3E2).
MEASURE_RATE = 0.27
MEASURE_BARRIERS = ("qualification", "language", "motivation")


def _measure_referrals(rng, cases, network) -> pl.DataFrame:
    """Referrals to labour-market measures during long receipt, for the people with a barrier
    such a measure addresses (the first of ``MEASURE_BARRIERS`` they have)."""
    rank = {code: number for number, code in enumerate(MEASURE_BARRIERS)}
    barrier = (
        cases["barrier_assessment"]
        .filter(pl.col("barrier_code").is_in(MEASURE_BARRIERS))
        .with_columns(pl.col("barrier_code").replace_strict(rank, return_dtype=pl.Int32).alias("r"))
        .sort("client_id", "r")
        .group_by("client_id", maintain_order=True)
        .agg(pl.col("barrier_code").first())
    )
    eligible = (
        cases["benefit_spell"]
        .join(barrier, on="client_id")
        .join(
            cases["client"].select(pl.col("id").alias("client_id"), "municipality_ags"),
            on="client_id",
        )
        .with_columns(
            (pl.col("start_date") + pl.duration(days=365)).alias("from"),
            pl.min_horizontal(pl.col("end_date").fill_null(DATA_END), pl.lit(DATA_END)).alias("to"),
        )
        .filter(pl.col("to") > pl.col("from"))
        .sort("client_id", "start_date")
    )
    days = (eligible["to"] - eligible["from"]).dt.total_days().to_numpy()
    count = rng.poisson(MEASURE_RATE * days / 365)
    rows = np.repeat(np.arange(eligible.height), count)
    offset = np.floor(rng.random(rows.size) * days[rows]).astype(np.int64)
    length = rng.integers(90, 270, rows.size)
    cancelled = rng.random(rows.size) < 0.2
    options = (
        network["service"]
        .filter(pl.col("labour_market_measure"))
        .select(pl.col("id").alias("service_id"), "category_code")
        .join(network["service_area"], on="service_id")
        .join(
            pl.DataFrame(
                [
                    {"barrier_code": b, "category_code": c.code}
                    for c in SERVICE_CATEGORIES
                    for b in c.barriers
                    if b in MEASURE_BARRIERS
                ]
            ),
            on="category_code",
        )
        .sort("municipality_ags", "barrier_code", "service_id")
        .group_by("municipality_ags", "barrier_code", maintain_order=True)
        .agg(pl.col("service_id").alias("options"))
    )
    start = pl.col("from") + pl.duration(days=pl.col("offset"))
    end = start + pl.duration(days=pl.col("length"))
    return (
        eligible.select("client_id", "barrier_code", "municipality_ags", "from")[rows]
        .with_columns(
            pl.Series("offset", offset),
            pl.Series("length", length),
            pl.Series("cancelled", cancelled),
        )
        .join(options, on=["municipality_ags", "barrier_code"], maintain_order="left")
        .with_columns(
            pl.col("options")
            .list.get(pl.col("length") % pl.col("options").list.len())
            .alias("service_id"),
            start.alias("start_date"),
            end.alias("end"),
        )
        .select(
            "client_id",
            "service_id",
            "barrier_code",
            "start_date",
            pl.when(pl.col("end") <= DATA_END).then(pl.col("end")).alias("end_date"),
            pl.when(pl.col("end") > DATA_END)
            .then(pl.lit("active"))
            .when(pl.col("cancelled"))
            .then(pl.lit("cancelled"))
            .otherwise(pl.lit("completed"))
            .alias("status"),
        )
    )


def _referral_options(network: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Per municipality and barrier: the services a client there can be referred to.

    The options are ordered by the catalogue's order of the categories addressing the barrier,
    then by service id (a small table: municipalities x barriers).
    """
    category_rank = {c.code: rank for rank, c in enumerate(SERVICE_CATEGORIES)}
    matching = pl.DataFrame(
        [
            {"barrier_code": barrier, "category_code": c.code}
            for barrier in BARRIER_CODES
            for c in SERVICE_CATEGORIES
            if barrier in c.barriers
        ],
        schema={"barrier_code": pl.String, "category_code": pl.String},
    )
    return (
        network["service"]
        .select("id", "category_code")
        .join(network["service_area"], left_on="id", right_on="service_id")
        .join(matching, on="category_code")
        .with_columns(
            pl.col("category_code")
            .replace_strict(category_rank, return_dtype=pl.Int32)
            .alias("rank")
        )
        .sort("municipality_ags", "barrier_code", "rank", "id")
        .group_by("municipality_ags", "barrier_code", maintain_order=True)
        .agg(pl.col("id").alias("options"))
    )
