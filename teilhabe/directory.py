"""The provider directory and the network's events: facts from the database (SQL), no client.

The directory has one row per service (provider, category, addresses, locations, service areas,
the barriers its category addresses, active period); the municipalities with their centres; the
network events with their providers. ``teilhabe.network`` computes the client figures over them.
"""

from __future__ import annotations

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
