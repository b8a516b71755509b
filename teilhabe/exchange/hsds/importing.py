"""Importing a package (``import_hsds``): the changes against the database, written in one
transaction and recorded in ``import_log``.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, and_, delete, insert, select, update

from data_access.auth import DATA_STEWARD, Actor, require_role
from data_access.models import (
    MunicipalityBoundary,
    Provider,
    ProviderLocation,
    Service,
    ServiceArea,
    ServiceCategory,
    ServiceCategoryBarrier,
)
from data_access.store import new_data_version
from teilhabe.exchange.core import record_import
from teilhabe.exchange.hsds.category_map import CategoryMap, read_category_map
from teilhabe.exchange.hsds.checking import _check_package
from teilhabe.exchange.hsds.directory import _Directory, _load
from teilhabe.exchange.hsds.package import HsdsPackageInvalid, _read_package

# --- Import: the changes and writing them ----------------------------------------------------

# table -> (label of the counts, label of one changed row)
TABLE_LABELS: dict[str, tuple[str, str]] = {
    "provider": ("Anbieter", "Anbieter"),
    "service": ("Leistungen", "Leistung"),
    "provider_location": ("Weitere Standorte", "Standort"),
    "service_category": ("Leistungskategorien", "Leistungskategorie"),
    "service_category_barrier": ("Zuordnungen Kategorie → Hemmnis", "Hemmnisse der Kategorie"),
    "service_area": ("Versorgungsgebiete", "Versorgungsgebiet der Leistung"),
}
SHOWN_CHANGES = 100  # the CLI lists at most this many changes
HSDS_LOG_TABLE = "hsds"  # import_log.table_name of a directory import
# The two link tables an import sets per owner: table -> (owner column, value column).
LINK_TABLES: dict[str, tuple[str, str]] = {
    "service_category_barrier": ("category_code", "barrier_code"),
    "service_area": ("service_id", "municipality_ags"),
}


@dataclass
class _Plan:
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    changes: list[dict[str, object]] = field(default_factory=list)
    inserts: dict[str, list[dict[str, object]]] = field(default_factory=lambda: defaultdict(list))
    updates: dict[str, list[tuple[str, dict[str, object]]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    deletes: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))


def _plan(current: _Directory, wanted: _Directory) -> _Plan:
    plan = _Plan()
    for table, have, want, key in (
        (
            "service_category",
            {c: {"label": v} for c, v in current.categories.items()},
            {c: {"label": v} for c, v in wanted.categories.items()},
            "code",
        ),
        ("provider", current.providers, wanted.providers, "id"),
        ("provider_location", current.locations, wanted.locations, "id"),
        ("service", current.services, wanted.services, "id"),
    ):
        counts = {"added": 0, "updated": 0, "unchanged": 0}
        for natural_id, values in sorted(want.items()):
            old = have.get(natural_id)
            if old is None:
                counts["added"] += 1
                plan.inserts[table].append({key: natural_id, **values})
                plan.changes.append(
                    {"table": table, "id": natural_id, "field": None, "old": None, "new": None}
                )
                continue
            changed = {name: value for name, value in values.items() if old.get(name) != value}
            if not changed:
                counts["unchanged"] += 1
                continue
            counts["updated"] += 1
            plan.updates[table].append((natural_id, changed))
            plan.changes.extend(
                {
                    "table": table,
                    "id": natural_id,
                    "field": name,
                    "old": old.get(name),
                    "new": value,
                }
                for name, value in sorted(changed.items())
            )
        plan.counts[table] = counts
    if not any(plan.counts["provider_location"].values()):
        del plan.counts["provider_location"]  # no provider with several locations
    # the further locations of a provider in the package are exactly those of the package
    for lid, location in sorted(current.locations.items()):
        if location["provider_id"] in wanted.providers and lid not in wanted.locations:
            plan.deletes["provider_location"].append((lid, ""))
            plan.changes.append(
                {"table": "provider_location", "id": lid, "field": "id", "old": lid, "new": None}
            )
    for table, have, want, owners in (
        (
            "service_category_barrier",
            current.category_barriers,
            wanted.category_barriers,
            set(wanted.categories),
        ),
        ("service_area", current.service_areas, wanted.service_areas, set(wanted.services)),
    ):
        owner_column, value_column = LINK_TABLES[table]
        have = {pair for pair in have if pair[0] in owners}  # only what the package describes
        for owner, value in sorted(want - have):
            plan.inserts[table].append({owner_column: owner, value_column: value})
            plan.changes.append(
                {"table": table, "id": owner, "field": value_column, "old": None, "new": value}
            )
        for owner, value in sorted(have - want):
            plan.deletes[table].append((owner, value))
            plan.changes.append(
                {"table": table, "id": owner, "field": value_column, "old": value, "new": None}
            )
        plan.counts[table] = {
            "added": len(want - have),
            "removed": len(have - want),
            "unchanged": len(want & have),
        }
    return plan


def _apply(connection: Connection, plan: _Plan) -> None:
    """Write the plan; parents before children, so that every foreign key holds at each step."""
    table = ProviderLocation.__table__
    for lid, _ in plan.deletes["provider_location"]:
        connection.execute(delete(table).where(table.c.id == lid))
    for model, key in (
        (ServiceCategory, "code"),
        (Provider, "id"),
        (ProviderLocation, "id"),
        (Service, "id"),
    ):
        table = model.__table__
        if plan.inserts[table.name]:
            connection.execute(insert(table), plan.inserts[table.name])
        for natural_id, values in plan.updates[table.name]:
            connection.execute(update(table).where(table.c[key] == natural_id).values(**values))
    for model in (ServiceCategoryBarrier, ServiceArea):
        table = model.__table__
        owner_column, value_column = (table.c[name] for name in LINK_TABLES[table.name])
        for owner, value in plan.deletes[table.name]:
            connection.execute(
                delete(table).where(and_(owner_column == owner, value_column == value))
            )
        if plan.inserts[table.name]:
            connection.execute(insert(table), plan.inserts[table.name])


def import_hsds(
    engine: Engine,
    folder: Path,
    *,
    actor: Actor,
    dry_run: bool = False,
    category_map: Path | CategoryMap | None = None,
) -> dict[str, object]:
    """Check the package in ``folder`` and upsert the directory it describes; all or nothing.

    ``actor`` needs the role ``datenverantwortung`` (else ``PermissionDenied``, nothing read).

    Providers, services and categories are matched on their natural ids: new ones are added,
    changed ones updated. For each category and each service in the package its barriers and
    its municipalities become exactly those of the package. Nothing else is deleted: providers
    and services missing from the package stay (referrals may point to them) and are listed
    under ``not_in_package``. Any problem raises ``HsdsPackageInvalid`` listing all of them,
    before anything is written. With ``dry_run`` the report is the same but nothing is written.
    An import that changes something sets a new data version, so a running app shows it.

    A package written by another tool (without our ``teilhabe_*`` columns) imports with
    defaults (kind of provider, municipality from the coordinates or the city, start of the
    services) and warnings; its services get their category from ``category_map`` (a CSV file,
    see ``read_category_map``), and services without one are listed and not imported. Fields
    and rows the model has no column for are kept (``hsds`` columns) and written back on export.

    Returns ``{"dry_run", "counts": {table: {"added", "updated"|"removed", "unchanged"}},
    "changes": [{"table", "id", "field", "old", "new"}], "not_in_package": {...},
    "warnings": [str]}``; a change with ``field`` None is an added row.
    """
    require_role(actor, DATA_STEWARD, "Der Import des Anbieterverzeichnisses")
    package = _read_package(folder)
    with engine.begin() as connection:
        current, catalogues = _load(connection)
        mapping = category_map
        if isinstance(mapping, Path):
            mapping = read_category_map(mapping, current.categories)
        if mapping is not None:
            package.problems.extend(mapping.problems)
        boundaries = _boundaries(connection)
        wanted = _check_package(package, catalogues, current, mapping, boundaries)
        if package.problems:
            raise HsdsPackageInvalid(folder, package.problems)
        plan = _plan(current, wanted)
        if not dry_run:
            _apply(connection, plan)
            # who changed the directory, in the import log like every file import
            digest = _package_hash(folder)
            log_id = record_import(
                connection,
                table=HSDS_LOG_TABLE,
                file_name=Path(folder).name or str(folder),
                sha256=digest,
                counts=tuple(
                    sum(c.get(k, 0) for c in plan.counts.values())
                    for k in ("added", "updated", "unchanged")
                ),
                actor=actor,
            )
            if plan.changes:
                # a new data version: the app's caches of the directory are keyed on it
                new_data_version(connection, kind="hsds", log_id=log_id, sha256=digest)
    return {
        "dry_run": dry_run,
        "counts": plan.counts,
        "changes": plan.changes,
        "not_in_package": {
            "provider": sorted(set(current.providers) - set(wanted.providers)),
            "service": sorted(set(current.services) - set(wanted.services)),
        },
        "warnings": [str(w) for w in package.warnings],
    }


def _boundaries(connection: Connection) -> dict[str, object]:
    """AGS -> boundary geometry (WGS84) of the municipalities that have one."""
    import shapely

    return {
        ags: shapely.from_geojson(text)
        for ags, text in connection.execute(
            select(MunicipalityBoundary.ags, MunicipalityBoundary.geometry_geojson)
        )
    }


def _package_hash(folder: Path) -> str:
    """SHA-256 over the package's files (names and contents, in name order)."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).iterdir()):
        if path.is_file() and path.suffix.lower() in (".csv", ".json"):
            digest.update(path.name.encode() + b"\0")
            with path.open("rb") as handle:  # in blocks: a file may be large
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            digest.update(b"\0")
    return digest.hexdigest()
