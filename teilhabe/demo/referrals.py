"""The demo's referrals of clients to services addressing their barriers, and to measures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl

from teilhabe.definitions import BARRIER_CODES, SERVICE_CATEGORIES
from teilhabe.demo.spec import (
    DATA_END,
)


class Spill:
    """Frames of one district put aside on disk until the referrals are drawn (which go over
    all districts in the order of the persons' ids), so that no pass holds every district."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def put(self, kind: str, district: str, frame: pl.DataFrame) -> None:
        frame.write_parquet(self.folder / f"{kind}-{district}.parquet")

    def get(self, kind: str, district: str) -> pl.DataFrame:
        return pl.read_parquet(self.folder / f"{kind}-{district}.parquet")

    def column(self, kind: str, district: str, column: str) -> np.ndarray:
        return pl.read_parquet(self.folder / f"{kind}-{district}.parquet", columns=[column])[
            column
        ].to_numpy()


def put_aside(spill: Spill, district: str, cases: dict[str, pl.DataFrame]) -> None:
    """What the referrals need of one district's cases (no random draw): the barrier
    assessments that may lead to a referral and the spells during which a measure may start."""
    spill.put("candidates", district, _candidates(cases))
    spill.put("eligible", district, _eligible(cases))


def referral_pieces(
    rng: np.random.Generator, spill: Spill, districts: list[str], network: dict[str, pl.DataFrame]
) -> Iterator[pl.DataFrame]:
    """The referrals (table ``referral``) piece by piece: of clients with a barrier to a service
    of a matching category in their area, then to labour-market measures.

    ``districts`` are in the order of their persons' ids (every id of one before every id of the
    next). About 45 % of the barrier assessments lead to a referral; the random draws are taken
    for all districts at once in the order of client and barrier, so the result is fixed by the
    seed, whatever the pieces. The referral starts 10 to 199 days after the later of the start
    of the client's last spell and the recording of the barrier, and lasts 60 to 299 days; one
    still running after the end of the data is active, else completed or (one in five)
    cancelled. A referral repeating one before it (client, service, start) is left out.
    """
    sizes = [spill.column("candidates", d, "client_id").size for d in districts]
    size = sum(sizes)
    draws = {
        "draw": rng.random(size),
        "day": rng.integers(10, 200, size),
        "length": rng.integers(60, 300, size),
        "outcome": rng.random(size),
    }
    options = _referral_options(network)
    offset = 0
    for district, count in zip(districts, sizes, strict=True):
        part = slice(offset, offset + count)
        candidates = spill.get("candidates", district).with_columns(
            pl.Series(name, values[part]) for name, values in draws.items()
        )
        referrals = _barrier_referrals(candidates.with_row_index("order"), options).unique(
            KEY, keep="first", maintain_order=True
        )
        spill.put("referrals", district, referrals.select(KEY))
        offset += count
        yield referrals
    del draws
    yield from _measure_pieces(rng, spill, districts, network)


KEY = ["client_id", "service_id", "start_date"]


def _candidates(cases: dict[str, pl.DataFrame]) -> pl.DataFrame:
    spells = (
        cases["benefit_spell"]
        .group_by("client_id")
        .agg(pl.col("start_date").max().alias("spell_start"))
    )
    return (
        cases["barrier_assessment"]
        .select("client_id", "barrier_code", "recorded_on")
        .join(cases["client"].select("id", "municipality_ags"), left_on="client_id", right_on="id")
        .join(spells, on="client_id")
        .sort("client_id", "barrier_code")
    )


def _barrier_referrals(candidates: pl.DataFrame, options: pl.DataFrame) -> pl.DataFrame:
    start = pl.max_horizontal("spell_start", "recorded_on") + pl.duration(days=pl.col("day"))
    end = pl.col("start_date") + pl.duration(days=pl.col("length"))
    return (
        candidates.filter(pl.col("draw") <= 0.45)
        .join(options, on=["municipality_ags", "barrier_code"])
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


# The labour-market measures (qualification, language course, activation) of people in long
# receipt: after the first year of a spell, MEASURE_RATE participations per year on average,
# each of 90 to 269 days. So about one LZB in ten is in a measure at any time (K3E2).
MEASURE_RATE = 0.27
MEASURE_BARRIERS = ("qualification", "language", "motivation")


def _eligible(cases: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The spells in which a measure may start (after its first year), of the people with a
    barrier such a measure addresses (the first of ``MEASURE_BARRIERS`` they have), with the
    days in which it may start."""
    rank = {code: number for number, code in enumerate(MEASURE_BARRIERS)}
    barrier = (
        cases["barrier_assessment"]
        .filter(pl.col("barrier_code").is_in(MEASURE_BARRIERS))
        .with_columns(pl.col("barrier_code").replace_strict(rank, return_dtype=pl.Int32).alias("r"))
        .sort("client_id", "r")
        .group_by("client_id", maintain_order=True)
        .agg(pl.col("barrier_code").first())
    )
    return (
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
        .select(
            "client_id",
            "barrier_code",
            "municipality_ags",
            "from",
            (pl.col("to") - pl.col("from")).dt.total_days().alias("days"),
        )
    )


def _measure_pieces(
    rng: np.random.Generator, spill: Spill, districts: list[str], network: dict[str, pl.DataFrame]
) -> Iterator[pl.DataFrame]:
    """Referrals to labour-market measures during long receipt (the draws for all districts
    at once, in the order of client and spell), without those that repeat a referral before."""
    days = [spill.column("eligible", d, "days") for d in districts]
    count = rng.poisson(MEASURE_RATE * np.concatenate(days) / 365)
    rows = np.repeat(np.arange(count.size), count)
    every_days = np.concatenate(days)[rows]
    offset = np.floor(rng.random(rows.size) * every_days).astype(np.int64)
    del every_days
    length = rng.integers(90, 270, rows.size)
    cancelled = rng.random(rows.size) < 0.2
    options = _measure_options(network)
    first = 0
    for district, spells in zip(districts, days, strict=True):
        low, high = np.searchsorted(rows, [first, first + spells.size])
        part = slice(low, high)
        measures = _measures(
            spill.get("eligible", district)[rows[part] - first],
            offset[part],
            length[part],
            cancelled[part],
            options,
        )
        earlier = spill.get("referrals", district)
        kept = (
            pl.concat([earlier, measures.select(KEY)])
            .with_row_index("row")
            .unique(KEY, keep="first", maintain_order=True)
            .filter(pl.col("row") >= earlier.height)["row"]
            - earlier.height
        )
        first += spells.size
        yield measures[kept]


def _measure_options(network: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return (
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


def _measures(  # noqa: PLR0913 - the spells and the draws for them
    eligible: pl.DataFrame,
    offset: np.ndarray,
    length: np.ndarray,
    cancelled: np.ndarray,
    options: pl.DataFrame,
) -> pl.DataFrame:
    start = pl.col("from") + pl.duration(days=pl.col("offset"))
    end = start + pl.duration(days=pl.col("length"))
    return (
        eligible.select("client_id", "barrier_code", "municipality_ags", "from")
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
