"""The provider directory as the database holds it: what an export writes and what an import
compares a package with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

if TYPE_CHECKING:
    import shapely

from data_access.models import (
    Barrier,
    Municipality,
    Provider,
    ProviderLocation,
    Service,
    ServiceArea,
    ServiceCategory,
    ServiceCategoryBarrier,
)

# --- The directory, as the database holds it -------------------------------------------------

PROVIDER_FIELDS = (
    "name",
    "kind",
    "street",
    "postcode",
    "city",
    "municipality_ags",
    "lat",
    "lon",
    "email",
    "phone",
    "website",
    "hsds",
)
LOCATION_FIELDS = (
    "provider_id",
    "position",
    "name",
    "street",
    "postcode",
    "city",
    "municipality_ags",
    "lat",
    "lon",
    "hsds",
)
SERVICE_FIELDS = (
    "provider_id",
    "name",
    "category_code",
    "capacity",
    "labour_market_measure",
    "active_from",
    "active_to",
    "hsds",
)


Boundaries = dict[str, "shapely.Geometry"]  # AGS -> boundary geometry (WGS84)


@dataclass
class _Directory:
    """Providers and services (by our id, without the id), categories, mapping, service areas."""

    providers: dict[str, dict[str, object]] = field(default_factory=dict)
    services: dict[str, dict[str, object]] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)  # code -> label
    category_barriers: set[tuple[str, str]] = field(default_factory=set)
    service_areas: set[tuple[str, str]] = field(default_factory=set)  # (service id, AGS)
    locations: dict[str, dict[str, object]] = field(default_factory=dict)  # further locations


@dataclass
class _Catalogues:
    """What a package may refer to but never changes: barriers and municipalities."""

    barriers: dict[str, dict[str, str]]  # code -> label, description, key_factor
    municipalities: dict[str, str]  # AGS -> name


def _blank_to_none(value: object) -> object:
    return None if value == "" else value


def _load(connection: Connection) -> tuple[_Directory, _Catalogues]:
    directory = _Directory()
    for row in connection.execute(select(Provider.__table__)).mappings():
        directory.providers[row["id"]] = {k: _blank_to_none(row[k]) for k in PROVIDER_FIELDS}
    for row in connection.execute(select(Service.__table__)).mappings():
        directory.services[row["id"]] = {k: _blank_to_none(row[k]) for k in SERVICE_FIELDS}
    for row in connection.execute(select(ProviderLocation.__table__)).mappings():
        directory.locations[row["id"]] = {k: _blank_to_none(row[k]) for k in LOCATION_FIELDS}
    directory.categories = dict(
        connection.execute(select(ServiceCategory.code, ServiceCategory.label)).all()
    )
    directory.category_barriers = {
        (c, b)
        for c, b in connection.execute(
            select(ServiceCategoryBarrier.category_code, ServiceCategoryBarrier.barrier_code)
        )
    }
    directory.service_areas = {
        (s, m)
        for s, m in connection.execute(select(ServiceArea.service_id, ServiceArea.municipality_ags))
    }
    catalogues = _Catalogues(
        barriers={
            row["code"]: {k: row[k] for k in ("label", "description", "key_factor")}
            for row in connection.execute(select(Barrier.__table__)).mappings()
        },
        municipalities=dict(connection.execute(select(Municipality.ags, Municipality.name)).all()),
    )
    return directory, catalogues
