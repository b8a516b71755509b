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
from sqlalchemy import Engine, select

from data_access.models import (
    Municipality,
    NetworkEvent,
    NetworkEventProvider,
    Provider,
    ProviderLocation,
    Service,
    ServiceArea,
    ServiceCategory,
    ServiceCategoryBarrier,
)
from data_access.periods import month_end
from teilhabe import selection
from teilhabe.cases import Cases
from teilhabe.definitions import BARRIER_BITS, BARRIER_CODES
from teilhabe.figures import breakdown_series
from teilhabe.indicators import WINDOW, Filters
from teilhabe.protection import Protection, key_column, publish, rate
from teilhabe.selection import has_barrier

METRIC_CRS = "EPSG:25832"
OUTCOMES = {
    "integrated": "Integration binnen 12 Monaten",
    "not_integrated": "keine Integration binnen 12 Monaten",
}


# --- The directory (database) ---------------------------------------------------------------


def provider_directory(*, engine: Engine) -> pl.DataFrame:
    """One row per service with its provider, category, the barriers it addresses, the
    municipalities it serves (AGS list), address, coordinates and contact channels;
    ``locations``: the provider's further locations (name, address, AGS, lat, lon), each a
    point on the map."""
    with engine.connect() as connection:
        services = pl.DataFrame(
            [
                dict(row._mapping)
                for row in connection.execute(
                    select(
                        Provider.id.label("provider_id"),
                        Provider.name.label("provider"),
                        Provider.kind,
                        Provider.street,
                        Provider.postcode,
                        Provider.city,
                        Provider.municipality_ags,
                        Provider.lat,
                        Provider.lon,
                        Provider.email,
                        Provider.phone,
                        Provider.website,
                        Service.id.label("service_id"),
                        Service.name.label("service"),
                        Service.category_code,
                        ServiceCategory.label.label("category"),
                        Service.capacity,
                        Service.labour_market_measure,
                        Service.active_from,
                        Service.active_to,
                    )
                    .join(Service, Service.provider_id == Provider.id)
                    .join(ServiceCategory, ServiceCategory.code == Service.category_code)
                    .order_by(Provider.name, Service.name)
                )
            ],
            schema=DIRECTORY_SCHEMA,
        )
        addressed = pl.DataFrame(
            [
                dict(row._mapping)
                for row in connection.execute(
                    select(
                        ServiceCategoryBarrier.category_code, ServiceCategoryBarrier.barrier_code
                    )
                )
            ],
            schema={"category_code": pl.String, "barrier_code": pl.String},
        )
        areas = pl.DataFrame(
            [
                dict(row._mapping)
                for row in connection.execute(
                    select(ServiceArea.service_id, ServiceArea.municipality_ags)
                )
            ],
            schema={"service_id": pl.String, "municipality_ags": pl.String},
        )
        further = pl.DataFrame(
            [
                dict(row._mapping)
                for row in connection.execute(
                    select(
                        ProviderLocation.provider_id,
                        ProviderLocation.name,
                        ProviderLocation.street,
                        ProviderLocation.postcode,
                        ProviderLocation.city,
                        ProviderLocation.municipality_ags,
                        ProviderLocation.lat,
                        ProviderLocation.lon,
                    ).order_by(ProviderLocation.provider_id, ProviderLocation.position)
                )
            ],
            schema={"provider_id": pl.String, **LOCATION_SCHEMA},
        )
    locations = further.group_by("provider_id", maintain_order=True).agg(
        pl.struct(*LOCATION_SCHEMA).alias("locations")
    )
    barriers = addressed.group_by("category_code").agg(
        pl.col("barrier_code").sort().alias("barriers")
    )
    served = areas.group_by("service_id").agg(pl.col("municipality_ags").sort().alias("areas"))
    return (
        services.join(barriers, on="category_code", how="left")
        .join(served, on="service_id", how="left")
        .join(locations, on="provider_id", how="left")
        .with_columns(
            pl.col("barriers").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            pl.col("areas").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            pl.col("locations").fill_null(pl.lit([], dtype=pl.List(pl.Struct(LOCATION_SCHEMA)))),
        )
    )


LOCATION_SCHEMA = {
    "name": pl.String,
    "street": pl.String,
    "postcode": pl.String,
    "city": pl.String,
    "municipality_ags": pl.String,
    "lat": pl.Float64,
    "lon": pl.Float64,
}
DIRECTORY_SCHEMA = {
    "provider_id": pl.String,
    "provider": pl.String,
    "kind": pl.String,
    "street": pl.String,
    "postcode": pl.String,
    "city": pl.String,
    "municipality_ags": pl.String,
    "lat": pl.Float64,
    "lon": pl.Float64,
    "email": pl.String,
    "phone": pl.String,
    "website": pl.String,
    "service_id": pl.String,
    "service": pl.String,
    "category_code": pl.String,
    "category": pl.String,
    "capacity": pl.Int64,
    "labour_market_measure": pl.Boolean,
    "active_from": pl.Date,
    "active_to": pl.Date,
}


def active_services(directory: pl.DataFrame, as_of: int) -> pl.DataFrame:
    """The services active on the Stichtag (the last day of month ``as_of``)."""
    day = month_end(as_of)
    return directory.filter(
        pl.col("active_from") <= day, pl.col("active_to").is_null() | (pl.col("active_to") >= day)
    )


def category_barriers(directory: pl.DataFrame) -> dict[str, list[str]]:
    """Service category -> the barriers it addresses, as the directory records it."""
    pairs = directory.select("category_code", "barriers").unique("category_code")
    return {code: list(barriers) for code, barriers in pairs.iter_rows()}


def municipalities(*, engine: Engine) -> pl.DataFrame:
    """AGS, name, population and town centre of every municipality."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                Municipality.ags,
                Municipality.name,
                Municipality.district_key,
                Municipality.population,
                Municipality.lat,
                Municipality.lon,
            ).order_by(Municipality.ags)
        ).all()
    return pl.DataFrame(
        [dict(r._mapping) for r in rows],
        schema={
            "ags": pl.String,
            "name": pl.String,
            "district_key": pl.String,
            "population": pl.Int64,
            "lat": pl.Float64,
            "lon": pl.Float64,
        },
    )


def events_with_providers(*, engine: Engine, until: int | None = None) -> pl.DataFrame:
    """Network events (date, title, attendees, location) with the names of the providers that
    took part (list), up to the end of month ``until``."""
    with engine.connect() as connection:
        events = connection.execute(
            select(
                NetworkEvent.id,
                NetworkEvent.date,
                NetworkEvent.title,
                NetworkEvent.attendees,
                NetworkEvent.location,
            ).order_by(NetworkEvent.date)
        ).all()
        taking_part = connection.execute(
            select(NetworkEventProvider.event_id, Provider.name).join(
                Provider, Provider.id == NetworkEventProvider.provider_id
            )
        ).all()
    names: dict[int, list[str]] = {}
    for event_id, name in taking_part:
        names.setdefault(event_id, []).append(name)
    frame = pl.DataFrame(
        [
            {
                "date": e.date,
                "title": e.title,
                "attendees": e.attendees,
                "location": e.location,
                "providers": sorted(names.get(e.id, [])),
            }
            for e in events
        ],
        schema={
            "date": pl.Date,
            "title": pl.String,
            "attendees": pl.Int64,
            "location": pl.String,
            "providers": pl.List(pl.String),
        },
    )
    if until is not None:
        frame = frame.filter(pl.col("date") <= month_end(until))
    return frame


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
    sums = [
        pl.len().cast(pl.Int64).alias("referrals"),
        pl.col("referral_key").sum().alias(key_column("referrals")),
    ]
    first = (
        links.group_by("barrier", "category_code")
        .agg(sums)
        .select(
            ("barrier:" + pl.col("barrier")).alias("source"),
            ("category:" + pl.col("category_code")).alias("target"),
            "referrals",
            key_column("referrals"),
        )
    )
    second = (
        links.group_by("category_code", "outcome")
        .agg(sums)
        .select(
            ("category:" + pl.col("category_code")).alias("source"),
            ("outcome:" + pl.col("outcome")).alias("target"),
            "referrals",
            key_column("referrals"),
        )
    )
    published = pl.concat([first, second]).select(
        "source",
        "target",
        publish("referrals", key_column("referrals"), protection).alias("referrals"),
    )
    return published.filter(pl.col("referrals") > 0).sort("source", "target")


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
