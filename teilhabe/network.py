"""The network: provider directory, reach, barrier coverage, coverage gaps, flows, events.

Facts about providers and events come from the database (SQL); figures about clients come from
the case copy (``cases.referral_rows``, the cube) and leave this module published
(``protection.publish``: persons with the persons' keys, referrals with the referrals'). Definitions
(README "Definitions", shown in the glossary):

- reach of a provider (or service category): distinct clients with a referral to it that started
  in the 12 months up to the Stichtag;
- outcome after referral: an integration within 12 months of the referral's start, for the
  referrals that started 13 to 24 months before the Stichtag (so that the 12 months have passed);
- barrier coverage: of the ELB with barrier b at the Stichtag, the share with a referral to a
  service addressing b that started in the 12 months up to it;
- coverage gap: a municipality x barrier with affected ELB but no active service addressing the
  barrier within a distance (straight line in EPSG:25832 from the municipality's town centre,
  where most of its people live).

People are taken with their characteristics in the month of the referral's start (reach, flows)
or at the Stichtag (coverage), as everywhere in the app.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import polars as pl

from teilhabe import selection
from teilhabe.cases import Cases
from teilhabe.definitions import BARRIER_BITS, BARRIER_CODES
from teilhabe.directory import active_services
from teilhabe.figures import breakdown_series
from teilhabe.indicators import WINDOW
from teilhabe.protection import Protection, key_column, publish, rate
from teilhabe.selection import Filters, has_barrier

METRIC_CRS = "EPSG:25832"
OUTCOMES = {
    "integrated": "Integration binnen 12 Monaten",
    "not_integrated": "keine Integration binnen 12 Monaten",
}


# --- Client figures --------------------------------------------------------------------------


def integrated_within_12_months() -> pl.Expr:
    """Referral rows followed by an integration within 12 months of their start."""
    return pl.col("next_integration_month").is_not_null() & (
        pl.col("next_integration_month") < pl.col("month") + WINDOW
    )


def reach(
    cases: Cases, filters: Filters, as_of: int, protection: Protection, *, by: str = "provider_id"
) -> pl.DataFrame:
    """Per provider (``by="provider_id"``) or service category (``"category_code"``): clients
    reached and referrals in the 12 months up to ``as_of``; referrals with a known outcome and
    the share followed by an integration within 12 months. Published; a provider or category
    with no referral in the 24 months has no row."""
    rows = selection.referral_rows(cases, filters, as_of - 2 * WINDOW + 1, as_of)
    recent = pl.col("month") > as_of - WINDOW
    known = ~recent
    referral_key = pl.col("referral_key")
    counted = rows.group_by(by).agg(
        recent.sum().cast(pl.Int64).alias("referrals"),
        referral_key.filter(recent).sum().alias(key_column("referrals")),
        known.sum().cast(pl.Int64).alias("outcome_known"),
        referral_key.filter(known).sum().alias(key_column("outcome_known")),
        (known & integrated_within_12_months()).sum().cast(pl.Int64).alias("integrated"),
        referral_key.filter(known & integrated_within_12_months())
        .sum()
        .alias(key_column("integrated")),
    )
    persons = (
        rows.filter(recent)
        .unique([by, "client"])
        .group_by(by)
        .agg(
            pl.len().cast(pl.Int64).alias("clients"),
            pl.col("client_key").sum().alias(key_column("clients")),
        )
    )
    counts = ("clients", "referrals", "outcome_known", "integrated")
    joined = counted.join(persons, on=by, how="left").with_columns(
        pl.col("clients", key_column("clients")).fill_null(0)
    )
    published = joined.select(
        by, *(publish(c, key_column(c), protection).alias(c) for c in counts)
    ).sort(by)
    return published.with_columns(
        rate("integrated", "outcome_known", protection).alias("outcome_rate")
    )


def reach_series(
    cases: Cases, filters: Filters, as_of: int, years: int, protection: Protection, *, by: str
) -> pl.DataFrame:
    """``reach`` for each 12-month window ending ``as_of``, a year before, ... (``years``
    windows), with the column window_end (the last month of the window)."""
    frames = [
        reach(cases, filters, end, protection, by=by).with_columns(
            pl.lit(end, dtype=pl.Int32).alias("window_end")
        )
        for end in range(as_of, as_of - WINDOW * years, -WINDOW)
    ]
    return pl.concat(frames).sort("window_end", by)


def coverage_series(
    cases: Cases,
    filters: Filters,
    as_of: int,
    years: int,
    protection: Protection,
    addresses: dict[str, list[str]],
) -> pl.DataFrame:
    """``barrier_coverage`` as of ``as_of``, a year before, ... with the column month."""
    frames = [
        barrier_coverage(cases, filters, month, protection, addresses).with_columns(
            pl.lit(month, dtype=pl.Int32).alias("month")
        )
        for month in range(as_of, as_of - WINDOW * years, -WINDOW)
    ]
    return pl.concat(frames).sort("month", "barrier_code")


def _elb_with_barriers(
    cases: Cases, filters: Filters, as_of: int, among: pl.DataFrame
) -> pl.DataFrame:
    """Of the clients in ``among`` (column client), those in receipt at the Stichtag in the
    filtered group, one row per barrier they have then (client, municipality, barrier_code)."""
    people = selection.persons(cases, filters, as_of, among)
    active = (
        cases.barriers.join(among, on="client", how="semi")
        .filter(pl.col("first_month") <= as_of, pl.col("last_month") >= as_of)
        .unique(["client", "barrier_code"])
    )
    return people.join(active, on="client").select("client", "municipality", "barrier_code")


def barrier_coverage_counts(
    cases: Cases,
    filters: Filters,
    as_of: int,
    addresses: dict[str, list[str]],
    *,
    by_municipality: bool = False,
) -> pl.DataFrame:
    """Exact counts with their key sums (not for display: pass them through
    ``protection.publish``): per barrier (and municipality) the ELB with it at the Stichtag
    (``affected``, from the cube) and those of them with a referral to a service addressing it
    that started in the 12 months up to the Stichtag (``covered``, checked person by person for
    the referred only)."""
    keys = ["barrier_code", "municipality"] if by_municipality else ["barrier_code"]
    now = selection.cube_rows(
        cases.stock_cells, cases.stock_plain, filters, as_of, as_of, keep_mask=True
    )
    per_barrier = [
        pl.struct(
            pl.col("elb").filter(has_barrier(code)).sum().cast(pl.Int64).alias("affected"),
            pl.col(key_column("elb")).filter(has_barrier(code)).sum().alias(key_column("affected")),
        ).alias(code)
        for code in BARRIER_CODES
    ]
    if by_municipality:
        wide = (
            now.group_by("municipality")
            .agg(per_barrier)
            .with_columns(pl.col("municipality").cast(pl.String))
        )
        index = ["municipality"]
    else:
        wide = now.select(per_barrier)
        index = []
    affected = wide.unpivot(index=index, variable_name="barrier_code", value_name="sums").unnest(
        "sums"
    )
    pairs = pl.DataFrame(
        [(c, b) for c, barriers in addresses.items() for b in barriers],
        schema={"category_code": pl.String, "barrier_code": pl.String},
        orient="row",
    )
    referred = (
        selection.referral_rows(cases, Filters(), as_of - WINDOW + 1, as_of)
        .select("client", "category_code")
        .join(pairs, on="category_code")
        .select("client", "barrier_code")
        .unique()
    )
    covered = (
        _elb_with_barriers(cases, filters, as_of, referred.select("client").unique())
        .join(referred, on=["client", "barrier_code"], how="semi")
        .join(cases.clients.select("client", "key"), on="client")
        .group_by(keys)
        .agg(
            pl.len().cast(pl.Int64).alias("covered"),
            pl.col("key").sum().alias(key_column("covered")),
        )
    )
    counted = affected.join(covered, on=keys, how="left").with_columns(
        pl.col("covered").fill_null(0), pl.col(key_column("covered")).fill_null(0)
    )
    columns = [*keys, "affected", key_column("affected"), "covered", key_column("covered")]
    if by_municipality:
        return counted.filter(pl.col("affected") > 0).select(columns).sort(keys)
    return counted.select(columns)


def barrier_coverage(
    cases: Cases,
    filters: Filters,
    as_of: int,
    protection: Protection,
    addresses: dict[str, list[str]],
    *,
    by_municipality: bool = False,
) -> pl.DataFrame:
    """Per barrier (and municipality): published ``affected`` and ``covered``, and
    ``coverage_rate`` in percent (published covered / published affected)."""
    counts = barrier_coverage_counts(
        cases, filters, as_of, addresses, by_municipality=by_municipality
    )
    keys = ["barrier_code", "municipality"] if by_municipality else ["barrier_code"]
    published = counts.select(
        *keys,
        *(publish(c, key_column(c), protection).alias(c) for c in ("affected", "covered")),
    )
    if by_municipality:
        published = published.filter(pl.col("affected") > 0)
    return published.with_columns(rate("covered", "affected", protection).alias("coverage_rate"))


def flows(
    cases: Cases,
    filters: Filters,
    as_of: int,
    protection: Protection,
    addresses: dict[str, list[str]],
) -> pl.DataFrame:
    """Referrals with a known outcome (started 13 to 24 months before the Stichtag) as flows
    barrier -> service category -> outcome. A referral counts for the barrier it was recorded
    for, else for the barriers of the person its category addresses.

    Returns the links (source, target, referrals; source/target are "barrier:<code>",
    "category:<code>", "outcome:<key>"), each published with the keys of its referrals; links
    published as 0 are left out.
    """
    rows = selection.referral_rows(cases, filters, as_of - 2 * WINDOW + 1, as_of - WINDOW)
    pairs = pl.DataFrame(
        [(c, b) for c, barriers in addresses.items() for b in barriers],
        schema={"category_code": pl.String, "barrier": pl.String},
        orient="row",
    )
    recorded = rows.filter(pl.col("barrier_code").is_not_null()).with_columns(
        pl.col("barrier_code").alias("barrier")
    )
    inferred = (
        rows.filter(pl.col("barrier_code").is_null())
        .join(pairs, on="category_code")
        .filter(
            pl.col("barrier").replace_strict(BARRIER_BITS, default=0, return_dtype=pl.Int16)
            & pl.col("barrier_mask")
            != 0
        )
    )
    columns = [
        "barrier",
        "category_code",
        "referral_key",
        integrated_within_12_months().alias("ok"),
    ]
    links = pl.concat([recorded.select(columns), inferred.select(columns)]).with_columns(
        pl.when("ok")
        .then(pl.lit("integrated"))
        .otherwise(pl.lit("not_integrated"))
        .alias("outcome")
    )
    first = _stage(links, "barrier", "category_code")
    second = _stage(links, "category_code", "outcome")
    published = pl.concat([first, second]).select(
        "source",
        "target",
        publish("referrals", key_column("referrals"), protection).alias("referrals"),
    )
    return published.filter(pl.col("referrals") > 0).sort("source", "target")


# the nodes of the flows: "<kind>:<code>" for each column the links are grouped by
NODE_KIND = {"barrier": "barrier", "category_code": "category", "outcome": "outcome"}


def _stage(links: pl.DataFrame, source: str, target: str) -> pl.DataFrame:
    """The referrals (and their key sum) of each pair of ``source`` and ``target`` values, as
    links between "<kind>:<code>" nodes."""
    return (
        links.group_by(source, target)
        .agg(
            pl.len().cast(pl.Int64).alias("referrals"),
            pl.col("referral_key").sum().alias(key_column("referrals")),
        )
        .select(
            (f"{NODE_KIND[source]}:" + pl.col(source)).alias("source"),
            (f"{NODE_KIND[target]}:" + pl.col(target)).alias("target"),
            "referrals",
            key_column("referrals"),
        )
    )


def municipality_measures(
    cases: Cases,
    filters: Filters,
    as_of: int,
    protection: Protection,
    places: pl.DataFrame,
    addresses: dict[str, list[str]],
) -> pl.DataFrame:
    """Per municipality the measures the map can shade, published:
    lzb, lzb_per_1000 (published LZB per 1,000 inhabitants), elb, integration_rate (K2), and for
    the chosen barriers (if any): barrier_elb (ELB with them), barrier_share (percent of the ELB
    with the other filters), coverage_rate (barrier coverage of those with them)."""
    everybody = Filters(
        municipalities=filters.municipalities, sexes=filters.sexes, age_groups=filters.age_groups
    )
    base = breakdown_series(
        cases=cases, by="municipality", months=[as_of], protection=protection, filters=filters
    ).select(pl.col("municipality").alias("ags"), "elb", "lzb", "integration_rate")
    frame = places.select("ags", "name", "population").join(base, on="ags", how="left")
    frame = frame.with_columns(
        rate("lzb", "population", protection, scale=1000.0).alias("lzb_per_1000")
    )
    if not filters.barriers:
        return frame
    all_elb = breakdown_series(
        cases=cases, by="municipality", months=[as_of], protection=protection, filters=everybody
    ).select(pl.col("municipality").alias("ags"), pl.col("elb").alias("all_elb"))
    covered = (
        barrier_coverage_counts(cases, filters, as_of, addresses, by_municipality=True)
        .filter(pl.col("barrier_code").is_in(list(filters.barriers)))
        .group_by("municipality")
        .agg(pl.col("affected", "covered", key_column("affected"), key_column("covered")).sum())
        .select(
            pl.col("municipality").alias("ags"),
            rate(
                publish("covered", key_column("covered"), protection),
                publish("affected", key_column("affected"), protection),
                protection,
            ).alias("coverage_rate"),
        )
    )
    return (
        frame.join(all_elb, on="ags", how="left")
        .with_columns(
            pl.col("elb").alias("barrier_elb"),
            rate("elb", "all_elb", protection).alias("barrier_share"),
        )
        .join(covered, on="ags", how="left")
        .drop("all_elb")
    )


# --- Geometry: distances and gaps ------------------------------------------------------------


def nearest_distance_km(areas: gpd.GeoDataFrame, points: gpd.GeoDataFrame) -> list[float | None]:
    """For each area (polygon or point, any CRS), the straight-line distance in km to the
    nearest point in EPSG:25832; 0 where a point lies inside; None if there are no points."""
    if points.empty:
        return [None] * len(areas)
    metric_areas = areas.to_crs(METRIC_CRS).geometry
    metric_points = points.to_crs(METRIC_CRS).geometry
    return [float(metric_points.distance(area).min()) / 1000 for area in metric_areas]


def coverage_gaps(
    areas: gpd.GeoDataFrame,
    directory: pl.DataFrame,
    affected: pl.DataFrame,
    *,
    as_of: int,
    distance_km: float,
    barriers: Sequence[str],
) -> pl.DataFrame:
    """Per municipality (``areas``: ags, geometry) and barrier: affected ELB (``affected``:
    municipality, barrier_code, affected, already published), the distance to the nearest active
    service addressing the barrier, and ``gap`` (published affected > 0 and no such service
    within ``distance_km``)."""
    services = active_services(directory, as_of).filter(
        pl.col("lat").is_not_null(), pl.col("lon").is_not_null()
    )
    rows = []
    for code in barriers:
        matching = services.filter(pl.col("barriers").list.contains(code))
        points = gpd.GeoDataFrame(
            geometry=gpd.points_from_xy(matching["lon"].to_list(), matching["lat"].to_list()),
            crs="EPSG:4326",
        )
        distances = nearest_distance_km(areas, points)
        for ags, distance in zip(areas["ags"], distances, strict=True):
            rows.append((ags, code, distance))
    frame = pl.DataFrame(
        rows,
        schema={"municipality": pl.String, "barrier_code": pl.String, "distance_km": pl.Float64},
        orient="row",
    )
    return (
        frame.join(affected, on=["municipality", "barrier_code"], how="left")
        .with_columns(pl.col("affected").fill_null(0))
        .with_columns(
            (
                (pl.col("affected") > 0)
                & (pl.col("distance_km").is_null() | (pl.col("distance_km") > distance_km))
            ).alias("gap")
        )
    )
