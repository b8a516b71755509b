"""Importing a package (``import_hsds``): the changes against the database, written in one
transaction and recorded in ``import_log``.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping
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
from teilhabe.exchange.hsds.directory import Boundaries, _Directory, _load
from teilhabe.exchange.hsds.export import _csv_value
from teilhabe.exchange.hsds.package import HsdsPackageInvalid, _read_package
from teilhabe.exchange.report import Counts, ImportReport
from teilhabe.exchange.specs import table_of

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


@dataclass(frozen=True)
class Change:
    """One change an import makes: a row added (``field`` None), a field changed (``old`` →
    ``new``), a link added (``old`` None) or removed (``new`` None)."""

    table: str
    id: str
    field: str | None
    old: object
    new: object


@dataclass(kw_only=True)
class HsdsImportReport(ImportReport):
    """The report of an HSDS import: the general report (its notes are the package's
    warnings) plus every change and the providers and services the package does not name."""

    folder: str
    changes: list[Change] = field(default_factory=list)
    not_in_package: dict[str, list[str]] = field(default_factory=dict)

    @property
    def subject(self) -> str:
        return f"Das HSDS-Paket {self.folder}"

    def opening(self) -> list[str]:
        return [f"HSDS-Paket {self.folder} geprüft: keine Probleme."]

    def details(self, limit: int | None) -> list[str]:
        lines = [change_line(change) for change in self.changes[:limit]]
        if limit is not None and len(self.changes) > limit:
            lines.append(f"  … und {len(self.changes) - limit} weitere Änderungen")
        providers, services = (self.not_in_package.get(t, []) for t in ("provider", "service"))
        if providers or services:
            lines.append(
                f"Nicht im Paket und unverändert behalten: {len(providers)} Anbieter, "
                f"{len(services)} Leistungen."
            )
        return lines

    def outcome(self) -> str:
        return super().outcome().replace("auf dem Stand der Datei", "auf dem Stand des Pakets")


def change_line(change: Change) -> str:
    """One change in German, e.g. ``  geändert: Anbieter P03: name „A“ → „B“``."""
    label = TABLE_LABELS[change.table][1]
    if change.field is None:
        return f"  neu: {label} {change.id}"
    if change.field == "hsds":
        return f"  geändert: {label} {change.id}: weitere HSDS-Angaben (Felder, Zeilen)"
    if change.new is None:
        return f"  entfernt: {label} {change.id}: {_shown(change.old)}"
    if change.old is None and change.table in LINK_TABLES:
        return f"  hinzu: {label} {change.id}: {_shown(change.new)}"
    return (
        f"  geändert: {label} {change.id}: {change.field} "
        f"{_shown(change.old)} → {_shown(change.new)}"
    )


def _shown(value: object) -> str:
    return "(leer)" if value is None else f"„{_csv_value(value)}“"


@dataclass
class _Plan:
    counts: dict[str, Counts] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    inserts: dict[str, list[dict[str, object]]] = field(default_factory=lambda: defaultdict(list))
    updates: dict[str, list[tuple[str, dict[str, object]]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    deletes: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))


Rows = Mapping[str, Mapping[str, object]]


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
        plan.counts[table] = _plan_rows(plan, table, have, want, key)
    if plan.counts["provider_location"] == Counts():
        del plan.counts["provider_location"]  # no provider with several locations
    # the further locations of a provider in the package are exactly those of the package
    for lid, location in sorted(current.locations.items()):
        if location["provider_id"] in wanted.providers and lid not in wanted.locations:
            plan.deletes["provider_location"].append((lid, ""))
            plan.changes.append(Change("provider_location", lid, "id", lid, None))
    for table, have_links, want_links, owners in (
        (
            "service_category_barrier",
            current.category_barriers,
            wanted.category_barriers,
            set(wanted.categories),
        ),
        ("service_area", current.service_areas, wanted.service_areas, set(wanted.services)),
    ):
        # only what the package describes
        have_described = {pair for pair in have_links if pair[0] in owners}
        plan.counts[table] = _plan_links(plan, table, have_described, want_links)
    return plan


def _plan_rows(plan: _Plan, table: str, have: Rows, want: Rows, key: str) -> Counts:
    """Add the inserts and updates of one table to the plan; its counts."""
    added = updated = unchanged = 0
    for natural_id, values in sorted(want.items()):
        old = have.get(natural_id)
        if old is None:
            added += 1
            plan.inserts[table].append({key: natural_id, **values})
            plan.changes.append(Change(table, natural_id, None, None, None))
            continue
        changed = {name: value for name, value in values.items() if old.get(name) != value}
        if not changed:
            unchanged += 1
            continue
        updated += 1
        plan.updates[table].append((natural_id, changed))
        plan.changes.extend(
            Change(table, natural_id, name, old.get(name), value)
            for name, value in sorted(changed.items())
        )
    return Counts(added, updated, unchanged)


def _plan_links(
    plan: _Plan, table: str, have: set[tuple[str, str]], want: set[tuple[str, str]]
) -> Counts:
    """Make the links of the package's owners exactly those of the package; their counts."""
    _owner_column, value_column = LINK_TABLES[table]
    for owner, value in sorted(want - have):
        plan.inserts[table].append({_owner_column: owner, value_column: value})
        plan.changes.append(Change(table, owner, value_column, None, value))
    for owner, value in sorted(have - want):
        plan.deletes[table].append((owner, value))
        plan.changes.append(Change(table, owner, value_column, value, None))
    return Counts(len(want - have), 0, len(want & have), removed=len(have - want))


def _apply(connection: Connection, plan: _Plan) -> None:
    """Write the plan; parents before children, so that every foreign key holds at each step."""
    table = table_of(ProviderLocation)
    for lid, _ in plan.deletes["provider_location"]:
        connection.execute(delete(table).where(table.c.id == lid))
    for model, key in (
        (ServiceCategory, "code"),
        (Provider, "id"),
        (ProviderLocation, "id"),
        (Service, "id"),
    ):
        table = table_of(model)
        if plan.inserts[table.name]:
            connection.execute(insert(table), plan.inserts[table.name])
        for natural_id, values in plan.updates[table.name]:
            connection.execute(update(table).where(table.c[key] == natural_id).values(**values))
    for link_model in (ServiceCategoryBarrier, ServiceArea):
        table = table_of(link_model)
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
) -> HsdsImportReport:
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
    services) and warnings (the report's notes); its services get their category from
    ``category_map`` (a CSV file, see ``read_category_map``), and services without one are
    listed and not imported. Fields and rows the model has no column for are kept (``hsds``
    columns) and written back on export.

    The report counts per table (link tables count ``removed`` rows instead of updated ones)
    and lists every change (``Change``; ``field`` None is an added row).
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
        report = HsdsImportReport(
            folder=str(folder),
            dry_run=dry_run,
            counts=plan.counts,
            labels={table: labels[0] for table, labels in TABLE_LABELS.items()},
            notes=[str(w) for w in package.warnings],
            changes=plan.changes,
            not_in_package={
                "provider": sorted(set(current.providers) - set(wanted.providers)),
                "service": sorted(set(current.services) - set(wanted.services)),
            },
        )
        if not dry_run:
            _apply(connection, plan)
            _log(connection, report, folder, actor)
    return report


def _log(connection: Connection, report: HsdsImportReport, folder: Path, actor: Actor) -> None:
    """Who changed the directory, in the import log like every file import; a change gives the
    data a new version (the app's caches of the directory are keyed on it)."""
    digest = _package_hash(folder)
    report.log_id = record_import(
        connection,
        table=HSDS_LOG_TABLE,
        file_name=Path(folder).name or str(folder),
        sha256=digest,
        counts=(report.added, report.updated, report.unchanged),
        actor=actor,
    )
    report.changed = bool(report.changes)
    if report.changed:
        report.data_version = new_data_version(
            connection, kind="hsds", log_id=report.log_id, sha256=digest
        )


def _boundaries(connection: Connection) -> Boundaries:
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
