"""The provider directory as an Open Referral HSDS 3.0 tabular data package.

``export_hsds`` writes one CSV file per HSDS object and a Frictionless ``datapackage.json``;
``import_hsds`` reads such a package back, checks all of it before it writes anything, and then
upserts the directory in one transaction. Only the directory travels: providers, their services,
the service categories with the barriers they address, and the municipalities each service is open
to. Case data (clients, referrals, integrations, counts about people) never enter a package.

HSDS ids must be UUIDs; ours are short natural keys. Every HSDS id is therefore a uuid5 of a fixed
namespace and our key, so the same directory always gives byte-identical files. Facts HSDS has no
field for travel in extra columns prefixed ``teilhabe_`` (HSDS allows additional properties; each
is described in ``datapackage.json``):

* ``organization.teilhabe_id`` / ``service.teilhabe_id``: our provider and service ids. The import
  matches on them (on the HSDS id where they are empty), never on the UUIDs, so a package edited
  with other tools still updates the right rows.
* ``organization.teilhabe_kind``: the provider kind (``teilhabe.definitions.PROVIDER_KINDS``).
* ``location.teilhabe_municipality_ags``: the municipality (AGS) the provider belongs to.
* ``service.teilhabe_capacity``, ``teilhabe_labour_market_measure``, ``teilhabe_active_from``,
  ``teilhabe_active_to``: the service's capacity, measure flag and active period. HSDS ``status``
  is derived from ``teilhabe_active_to`` and not read back.
* ``taxonomy.teilhabe_code``: ``service_category`` or ``barrier``, which of our two catalogues a
  taxonomy is; taxonomies without it (e.g. an external one) are carried along but not imported.
* ``taxonomy_term.teilhabe_barrier_codes``: for a service category, the codes of the barriers it
  addresses, separated by ";" (the category->barrier mapping). ``teilhabe_key_factor``: a
  barrier's key factor.

``service_area`` rows name one municipality each: ``extent`` holds its AGS (``extent_type``
``text``), ``name`` its name. On import a text extent may also be a municipality's name, and a
GeoJSON extent gives the municipalities it overlaps (it is kept and written back as well).

Packages written by other tools (HSDS 3.x, e.g. the specification's example) are read as they
come: plural file names, optional files absent, all HSDS 3 files checked for references, several
locations per organisation (``provider_location``); without our ``teilhabe_*`` columns defaults
apply with warnings, and a category map (``read_category_map``) places services of a foreign
taxonomy. HSDS ids, fields the model has no column for and rows of other files are kept as JSON
(``provider.hsds``, ``provider_location.hsds``, ``service.hsds``) and written back on export.

``attribute`` links each service to its category term (``link_type`` ``service_category``) and
to the barrier terms its category addresses (``link_type`` ``addressed_barrier``; derived from
the category, not read back).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import math
import sys
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, and_, delete, insert, select, update

from data_access.auth import DATA_STEWARD, Actor, require_role
from data_access.models import (
    Barrier,
    Municipality,
    MunicipalityBoundary,
    Provider,
    ProviderLocation,
    Service,
    ServiceArea,
    ServiceCategory,
    ServiceCategoryBarrier,
)
from data_access.settings import Settings
from teilhabe.definitions import PROVIDER_KINDS, SERVICE_CATEGORIES
from teilhabe.exchange.core import record_import, set_dataset_info
from teilhabe.exchange.safe_paths import (
    UnusablePath,
    check_file,
    check_folder,
    check_path_text,
    load_json,
    os_reason,
    shown_path,
)
from teilhabe.startup import open_database

EXIT_ERROR = 2
DESCRIPTOR = "datapackage.json"
MAX_DESCRIPTOR_BYTES = 5 * 2**20  # a package's description is a few KB; larger is refused
MAX_CATEGORY_MAP_BYTES = 10 * 2**20  # a mapping of terms is a few KB
MAX_COUNT = 2**31 - 1  # largest whole number a column of the database holds (INTEGER)

# Fixed for good: uuid5(NAMESPACE_URL, "urn:teilhabe-monitor:hsds"). Changing it changes every id.
NAMESPACE = uuid.UUID("1ba6b062-b156-57a6-9cb7-66b392c03b49")

CATEGORY_TAXONOMY = "service_category"
BARRIER_TAXONOMY = "barrier"
CATEGORY_LINK = "service_category"
BARRIER_LINK = "addressed_barrier"
CODE_SEPARATOR = ";"

# Land (first two digits of the AGS) -> name, for the HSDS address field state_province.
STATES: dict[str, str] = {
    "01": "Schleswig-Holstein",
    "02": "Hamburg",
    "03": "Niedersachsen",
    "04": "Bremen",
    "05": "Nordrhein-Westfalen",
    "06": "Hessen",
    "07": "Rheinland-Pfalz",
    "08": "Baden-Württemberg",
    "09": "Bayern",
    "10": "Saarland",
    "11": "Berlin",
    "12": "Brandenburg",
    "13": "Mecklenburg-Vorpommern",
    "14": "Sachsen",
    "15": "Sachsen-Anhalt",
    "16": "Thüringen",
}


# --- The package layout ----------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One CSV column: HSDS field (or our extension), its Frictionless type and whether we need it.

    ``required`` fields must be present as a column and filled in every row on import.
    """

    name: str
    type: str = "string"
    format: str | None = None
    required: bool = False
    description: str | None = None

    def descriptor(self) -> dict[str, object]:
        result: dict[str, object] = {"name": self.name, "type": self.type}
        if self.format:
            result["format"] = self.format
        if self.description:
            result["description"] = self.description
        constraints: dict[str, object] = {}
        if self.required:
            constraints["required"] = True
        if self.name == "id":
            constraints["unique"] = True
        if constraints:
            result["constraints"] = constraints
        return result


def _id() -> Field:
    return Field("id", format="uuid", required=True)


def _ref(name: str, *, required: bool = False, description: str | None = None) -> Field:
    return Field(name, format="uuid", required=required, description=description)


@dataclass(frozen=True)
class Resource:
    """One HSDS object: a CSV file and its schema; ``references`` are (field, resource) pairs."""

    name: str
    title: str
    fields: tuple[Field, ...]
    references: tuple[tuple[str, str], ...] = ()
    required_file: bool = True

    @property
    def path(self) -> str:
        return f"{self.name}.csv"

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def descriptor(self) -> dict[str, object]:
        schema: dict[str, object] = {
            "fields": [f.descriptor() for f in self.fields],
            "primaryKey": "id",
        }
        if self.references:
            schema["foreignKeys"] = [
                {"fields": column, "reference": {"resource": target, "fields": "id"}}
                for column, target in self.references
            ]
        return {
            "name": self.name,
            "path": self.path,
            "title": self.title,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": schema,
        }


RESOURCES: tuple[Resource, ...] = (
    Resource(
        "organization",
        "Organisationen (Anbieter im Netzwerk)",
        (
            _id(),
            Field("name", required=True),
            Field("description"),
            Field("email", format="email"),
            Field("website", format="uri"),
            Field("teilhabe_id", description="Erweiterung: Anbieter-ID im Teilhabe-Monitor."),
            Field(
                "teilhabe_kind",
                required=True,
                description="Erweiterung: Art des Anbieters, einer von "
                + ", ".join(f"{code} ({label})" for code, label in PROVIDER_KINDS.items())
                + ".",
            ),
        ),
    ),
    Resource(
        "location",
        "Standorte der Organisationen",
        (
            _id(),
            Field("location_type"),
            _ref("organization_id", required=True),
            Field("name"),
            Field("latitude", "number", description="WGS84, Dezimalgrad"),
            Field("longitude", "number", description="WGS84, Dezimalgrad"),
            Field(
                "teilhabe_municipality_ags",
                required=True,
                description="Erweiterung: Amtlicher Gemeindeschlüssel (8 Stellen) der Gemeinde, "
                "zu der der Anbieter gehört.",
            ),
        ),
        references=(("organization_id", "organization"),),
    ),
    Resource(
        "address",
        "Anschriften der Standorte",
        (
            _id(),
            _ref("location_id", required=True),
            Field("address_1"),
            Field("city"),
            Field("state_province"),
            Field("postal_code"),
            Field("country", description="ISO 3166-1 alpha-2"),
            Field("address_type"),
        ),
        references=(("location_id", "location"),),
        required_file=False,
    ),
    Resource(
        "phone",
        "Telefonnummern der Organisationen",
        (
            _id(),
            _ref("organization_id", required=True),
            Field("number", required=True),
            Field("type"),
        ),
        references=(("organization_id", "organization"),),
        required_file=False,
    ),
    Resource(
        "service",
        "Leistungen der Organisationen",
        (
            _id(),
            _ref("organization_id", required=True),
            Field("name", required=True),
            Field("description"),
            Field(
                "status",
                description="active oder inactive, abgeleitet aus teilhabe_active_to (beim "
                "Import nicht gelesen)",
            ),
            Field("teilhabe_id", description="Erweiterung: Leistungs-ID im Teilhabe-Monitor."),
            Field("teilhabe_capacity", "integer", description="Erweiterung: Zahl der Plätze."),
            Field(
                "teilhabe_labour_market_measure",
                "boolean",
                description="Erweiterung: aktive Arbeitsmarktmaßnahme im Sinne der Kennzahl "
                "K3E2 (Aktivierungsquote).",
            ),
            Field(
                "teilhabe_active_from",
                "date",
                required=True,
                description="Erweiterung: Leistung angeboten ab (ISO-Datum).",
            ),
            Field(
                "teilhabe_active_to",
                "date",
                description="Erweiterung: Leistung angeboten bis (leer: unbefristet).",
            ),
        ),
        references=(("organization_id", "organization"),),
    ),
    Resource(
        "service_at_location",
        "Leistungen an Standorten",
        (_id(), _ref("service_id", required=True), _ref("location_id", required=True)),
        references=(("service_id", "service"), ("location_id", "location")),
        required_file=False,
    ),
    Resource(
        "service_area",
        "Versorgungsgebiete: je Leistung die Gemeinden, für die sie offen ist",
        (
            _id(),
            _ref("service_id", required=True),
            Field("name", description="Name der Gemeinde"),
            Field(
                "extent",
                required=True,
                description="Amtlicher Gemeindeschlüssel (AGS, 8 Stellen) der Gemeinde",
            ),
            Field("extent_type", description="text"),
        ),
        references=(("service_id", "service"),),
    ),
    Resource(
        "taxonomy",
        "Taxonomien: Leistungskategorien und Hemmniskatalog",
        (
            _id(),
            Field("name", required=True),
            Field("description"),
            Field(
                "teilhabe_code",
                description=f"Erweiterung: {CATEGORY_TAXONOMY} (Leistungskategorien) oder "
                f"{BARRIER_TAXONOMY} (Hemmnisse); leer bei fremden Taxonomien.",
            ),
        ),
    ),
    Resource(
        "taxonomy_term",
        "Begriffe der Taxonomien",
        (
            _id(),
            Field("code", description="Code der Kategorie bzw. des Hemmnisses"),
            Field("name", required=True, description="Deutsche Bezeichnung"),
            Field("description"),
            _ref("parent_id"),
            _ref("taxonomy_id", required=True),
            Field("language"),
            Field(
                "teilhabe_key_factor",
                description="Erweiterung: Schlüsselgröße des 4-Phasen-Modells (nur Hemmnisse).",
            ),
            Field(
                "teilhabe_barrier_codes",
                description="Erweiterung: Codes der Hemmnisse, die eine Leistungskategorie "
                f"adressiert, getrennt durch '{CODE_SEPARATOR}' (nur Leistungskategorien).",
            ),
        ),
        references=(("taxonomy_id", "taxonomy"), ("parent_id", "taxonomy_term")),
    ),
    Resource(
        "attribute",
        "Zuordnung der Leistungen zu Kategorie und adressierten Hemmnissen",
        (
            _id(),
            _ref("link_id", required=True),
            Field(
                "link_type",
                description=f"{CATEGORY_LINK}: die Leistungskategorie der Leistung; "
                f"{BARRIER_LINK}: ein Hemmnis, das die Kategorie adressiert (abgeleitet, beim "
                "Import nicht gelesen)",
            ),
            Field("link_entity", required=True),
            _ref("taxonomy_term_id", required=True),
        ),
        references=(("taxonomy_term_id", "taxonomy_term"),),
    ),
)
RESOURCE_BY_NAME: dict[str, Resource] = {r.name: r for r in RESOURCES}
# File names other HSDS tools use for the same objects (HSDS' own compiled package: plural).
OTHER_PATHS: dict[str, tuple[str, ...]] = {
    "organization": ("organizations.csv",),
    "location": ("locations.csv",),
    "address": ("addresses.csv",),
    "phone": ("phones.csv",),
    "service": ("services.csv",),
    "service_at_location": ("service_at_locations.csv", "services_at_location.csv"),
    "service_area": ("service_areas.csv",),
    "taxonomy": ("taxonomies.csv",),
    "taxonomy_term": ("taxonomy_terms.csv",),
    "attribute": ("attributes.csv",),
}


def _descriptor(columns: dict[str, list[str]] | None = None) -> dict[str, object]:
    """The ``datapackage.json`` of an export (Frictionless Tabular Data Package); ``columns``:
    the columns of each file written, where they go beyond ours (kept from imports)."""
    columns = columns or {}
    resources = []
    for resource in RESOURCES:
        descriptor_ = resource.descriptor()
        fields = descriptor_["schema"]["fields"]  # type: ignore[index]
        fields.extend(
            {"name": name, "type": "string"}
            for name in columns.get(resource.name, [])
            if name not in resource.columns
        )
        resources.append(descriptor_)
    for name, names in columns.items():
        if name in RESOURCE_BY_NAME:
            continue
        resources.append(
            {
                "name": name,
                "path": f"{name}.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": [{"name": n, "type": "string"} for n in names],
                    "primaryKey": "id",
                },
            }
        )
    return {
        "profile": "tabular-data-package",
        "name": "teilhabe-monitor-anbieterverzeichnis",
        "title": "Anbieterverzeichnis des Teilhabe-Monitors (Open Referral HSDS 3.0)",
        "description": "Anbieter, Leistungen, Standorte und Versorgungsgebiete des Netzwerks "
        "als Tabular Data Package nach Open Referral HSDS 3.0. Zusätzliche Spalten mit dem "
        "Präfix teilhabe_ sind Erweiterungen des Teilhabe-Monitors. Das Paket enthält keine "
        "Daten über Personen.",
        "keywords": ["Open Referral", "HSDS", "Anbieterverzeichnis"],
        "resources": resources,
    }


def hsds_id(kind: str, *key: str) -> str:
    """The HSDS UUID of one of our objects: uuid5 of the fixed namespace, the kind and our key."""
    return str(uuid.uuid5(NAMESPACE, json.dumps([kind, *key], ensure_ascii=False)))


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


# --- Export ----------------------------------------------------------------------------------


def export_hsds(engine: Engine, folder: Path, *, today: dt.date | None = None) -> dict[str, int]:
    """Write the provider directory to ``folder`` as an HSDS tabular data package.

    Writes every file of ``RESOURCES`` (a header even where there are no rows) and
    ``datapackage.json``; other files in the folder are left alone. ``today`` decides the HSDS
    status of services (inactive once ``active_to`` has passed). Returns the rows per file.
    """
    with engine.connect() as connection:
        directory, catalogues = _load(connection)
    tables = _hsds_tables(directory, catalogues, today or dt.date.today())
    columns: dict[str, list[str]] = {}
    try:
        folder = check_path_text(folder, "den Zielordner")
        if folder.exists() and not folder.is_dir():
            raise UnusablePath(f"{shown_path(folder)} ist kein Ordner.")
        folder.mkdir(parents=True, exist_ok=True)
        for name, rows in tables.items():
            if name not in RESOURCE_BY_NAME and not rows:
                continue
            columns[name] = _columns(name, rows)
            with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(columns[name])
                for row in rows:
                    writer.writerow([_csv_value(row.get(column)) for column in columns[name]])
        text = json.dumps(_descriptor(columns), ensure_ascii=False, indent=2) + "\n"
        (folder / "datapackage.json").write_text(text, encoding="utf-8")
    except UnusablePath as error:
        raise HsdsError(str(error)) from None
    except OSError as error:
        raise HsdsError(
            f"Das HSDS-Paket kann nicht nach „{shown_path(folder)}“ geschrieben werden: "
            f"{os_reason(error)}."
        ) from None
    return {name: len(rows) for name, rows in tables.items()}


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back as the same float
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _hsds_of(values: dict[str, object]) -> dict[str, object]:
    text = values.get("hsds")
    return json.loads(str(text)) if text else {}


def _with(row: dict[str, object], fields: dict[str, dict[str, str]], resource: str):
    """A generated row with the fields a package had for it written back over it."""
    return {**row, **fields.get(resource, {})}


def _provider_rows(
    pid: str,
    p: dict[str, object],
    municipalities: dict[str, str],
    fields: dict[str, dict[str, str]],
) -> dict[str, dict[str, object]]:
    """The organization, main location, address and phone rows of one provider."""
    organization = fields.get("organization", {}).get("id") or hsds_id("organization", pid)
    location = fields.get("location", {}).get("id") or hsds_id("location", pid)
    place = p["city"] or municipalities.get(str(p["municipality_ags"]), "")
    rows = {
        "organization": _with(
            {
                "id": organization,
                "name": p["name"],
                "description": f"{PROVIDER_KINDS.get(str(p['kind']), p['kind'])} in {place}",
                "email": p["email"],
                "website": p["website"],
                "teilhabe_id": pid,
                "teilhabe_kind": p["kind"],
            },
            fields,
            "organization",
        ),
        "location": _with(
            {
                "id": location,
                "location_type": "physical",
                "organization_id": organization,
                "name": p["name"],
                "latitude": p["lat"],
                "longitude": p["lon"],
                "teilhabe_municipality_ags": p["municipality_ags"],
            },
            fields,
            "location",
        ),
    }
    if p["street"] or p["postcode"] or p["city"] or "address" in fields:
        rows["address"] = _with(_address(hsds_id("address", pid), location, p), fields, "address")
    if p["phone"]:
        rows["phone"] = _with(
            {
                "id": hsds_id("phone", pid),
                "organization_id": organization,
                "number": p["phone"],
                "type": "voice",
            },
            fields,
            "phone",
        )
    return rows


def _address(address: str, location: str, p: dict[str, object]) -> dict[str, object]:
    return {
        "id": address,
        "location_id": location,
        "address_1": p["street"],
        "city": p["city"],
        "state_province": STATES.get(str(p["municipality_ags"])[:2]),
        "postal_code": p["postcode"],
        "country": "DE",
        "address_type": "physical",
    }


def _location_rows(
    lid: str, location: dict[str, object], organization: str, fields: dict[str, dict[str, str]]
) -> dict[str, dict[str, object]]:
    """The rows of a further location of a provider: location and address."""
    rows = {
        "location": _with(
            {
                "id": lid,
                "location_type": "physical",
                "organization_id": organization,
                "name": location["name"],
                "latitude": location["lat"],
                "longitude": location["lon"],
                "teilhabe_municipality_ags": location["municipality_ags"],
            },
            fields,
            "location",
        )
    }
    if location["street"] or location["postcode"] or location["city"] or "address" in fields:
        rows["address"] = _with(_address(hsds_id("address", lid), lid, location), fields, "address")
    return rows


def _service_row(
    sid: str,
    s: dict[str, object],
    fields: dict[str, dict[str, str]],
    organizations: dict[str, str],
    description: str | None,
    today: dt.date | None = None,
) -> dict[str, object]:
    active_to = s["active_to"]
    return _with(
        {
            "id": hsds_id("service", sid),
            "organization_id": organizations.get(str(s["provider_id"]))
            or hsds_id("organization", str(s["provider_id"])),
            "name": s["name"],
            "description": description,
            "status": "inactive"
            if today is not None and isinstance(active_to, dt.date) and active_to < today
            else "active",
            "teilhabe_id": sid,
            "teilhabe_capacity": s["capacity"],
            "teilhabe_labour_market_measure": bool(s["labour_market_measure"]),
            "teilhabe_active_from": s["active_from"],
            "teilhabe_active_to": active_to,
        },
        fields,
        "service",
    )


def _service_description(
    s: dict[str, object], directory: _Directory, addressed: dict, barrier_labels: dict
) -> str:
    category = str(s["category_code"])
    barriers = addressed.get(category, [])
    description = f"Leistungskategorie: {directory.categories.get(category, category)}"
    if barriers:
        labels = ", ".join(barrier_labels.get(b, b) for b in barriers)
        description += f"; adressierte Hemmnisse: {labels}"
    return description


def _hsds_tables(
    directory: _Directory, catalogues: _Catalogues, today: dt.date
) -> dict[str, list[dict[str, object]]]:
    """The HSDS rows of each file (resource name -> rows), in a fixed order. What a package
    had beyond the model (``hsds`` columns) is written back: ids, fields, further rows."""
    municipalities = catalogues.municipalities
    barrier_labels = {code: b["label"] for code, b in catalogues.barriers.items()}
    addressed: dict[str, list[str]] = defaultdict(list)
    for category, barrier in sorted(directory.category_barriers):
        addressed[category].append(barrier)
    category_taxonomy = hsds_id("taxonomy", CATEGORY_TAXONOMY)
    barrier_taxonomy = hsds_id("taxonomy", BARRIER_TAXONOMY)

    def category_term(code: str) -> str:
        return hsds_id("taxonomy_term", CATEGORY_TAXONOMY, code)

    def barrier_term(code: str) -> str:
        return hsds_id("taxonomy_term", BARRIER_TAXONOMY, code)

    tables: dict[str, list[dict[str, object]]] = {r.name: [] for r in RESOURCES}
    kept_rows: list[dict[str, list[dict[str, str]]]] = []
    organizations: dict[str, str] = {}
    main_location: dict[str, str] = {}
    further: dict[str, list[tuple[str, dict[str, object]]]] = defaultdict(list)
    for lid, location in sorted(
        directory.locations.items(), key=lambda item: (item[1]["provider_id"], item[1]["position"])
    ):
        further[str(location["provider_id"])].append((lid, location))
    for pid, p in sorted(directory.providers.items()):
        extra = _hsds_of(p)
        rows = _provider_rows(pid, p, municipalities, extra.get("fields", {}))
        organizations[pid] = str(rows["organization"]["id"])
        main_location[pid] = str(rows["location"]["id"])
        for resource in ("organization", "location", "address", "phone"):
            if resource in rows:
                tables[resource].append(rows[resource])
        for lid, location in further.get(pid, []):
            more = _location_rows(
                lid, location, organizations[pid], _hsds_of(location).get("fields", {})
            )
            tables["location"].append(more["location"])
            if "address" in more:
                tables["address"].append(more["address"])
            kept_rows.append(_hsds_of(location).get("rows", {}))
        kept_rows.append(extra.get("rows", {}))
    service_ids: dict[str, str] = {}
    for sid, s in sorted(directory.services.items()):
        extra = _hsds_of(s)
        category = str(s["category_code"])
        row = _service_row(
            sid,
            s,
            extra.get("fields", {}),
            organizations,
            _service_description(s, directory, addressed, barrier_labels),
            today,
        )
        service = str(row["id"])
        service_ids[sid] = service
        tables["service"].append(row)
        if "service_at_location" not in extra.get("rows", {}):
            tables["service_at_location"].append(
                {
                    "id": hsds_id("service_at_location", sid),
                    "service_id": service,
                    "location_id": main_location.get(str(s["provider_id"]))
                    or hsds_id("location", str(s["provider_id"])),
                }
            )
        tables["attribute"].append(
            {
                "id": hsds_id("attribute", sid, CATEGORY_LINK, category),
                "link_id": service,
                "link_type": CATEGORY_LINK,
                "link_entity": "service",
                "taxonomy_term_id": category_term(category),
            }
        )
        for barrier in addressed.get(category, []):
            tables["attribute"].append(
                {
                    "id": hsds_id("attribute", sid, BARRIER_LINK, barrier),
                    "link_id": service,
                    "link_type": BARRIER_LINK,
                    "link_entity": "service",
                    "taxonomy_term_id": barrier_term(barrier),
                }
            )
        kept_rows.append(extra.get("rows", {}))
    for sid, ags in sorted(directory.service_areas):
        tables["service_area"].append(
            {
                "id": hsds_id("service_area", sid, ags),
                "service_id": service_ids.get(sid) or hsds_id("service", sid),
                "name": municipalities.get(ags),
                "extent": ags,
                "extent_type": "text",
            }
        )
    tables["taxonomy"] = [
        {
            "id": category_taxonomy,
            "name": "Leistungskategorien des Teilhabe-Monitors",
            "description": "Arten von Leistungen im Netzwerk; jede Kategorie adressiert ein oder "
            "mehrere Vermittlungshemmnisse (Spalte teilhabe_barrier_codes ihrer Begriffe).",
            "teilhabe_code": CATEGORY_TAXONOMY,
        },
        {
            "id": barrier_taxonomy,
            "name": "Vermittlungshemmnisse des Teilhabe-Monitors",
            "description": "Hemmniskatalog: Umstände, die die Aufnahme von Arbeit oder Ausbildung "
            "erschweren.",
            "teilhabe_code": BARRIER_TAXONOMY,
        },
    ]
    for code, label in sorted(directory.categories.items()):
        barriers = addressed.get(code, [])
        tables["taxonomy_term"].append(
            {
                "id": category_term(code),
                "code": code,
                "name": label,
                "description": "Adressierte Hemmnisse: "
                + (", ".join(barrier_labels.get(b, b) for b in barriers) or "keine"),
                "taxonomy_id": category_taxonomy,
                "language": "de",
                "teilhabe_barrier_codes": CODE_SEPARATOR.join(barriers),
            }
        )
    for code, barrier in sorted(catalogues.barriers.items()):
        tables["taxonomy_term"].append(
            {
                "id": barrier_term(code),
                "code": code,
                "name": barrier["label"],
                "description": barrier["description"],
                "taxonomy_id": barrier_taxonomy,
                "language": "de",
                "teilhabe_key_factor": barrier["key_factor"],
            }
        )
    for rows in kept_rows:  # rows kept from imported packages, each id once
        for resource, items in rows.items():
            table = tables.setdefault(resource, [])
            ids = {str(r.get("id")) for r in table}
            table.extend(r for r in items if str(r.get("id")) not in ids)
    return tables


def _columns(resource: str, rows: list[dict[str, object]]) -> list[str]:
    """A file's columns: ours for the resource, then any further ones its rows have."""
    known = RESOURCE_BY_NAME[resource].columns if resource in RESOURCE_BY_NAME else ["id"]
    more = dict.fromkeys(k for row in rows for k in row if k not in known)
    if resource in RESOURCE_BY_NAME:
        return [*known, *sorted(more)]
    return [*known, *more]


# --- Import: reading and checking ------------------------------------------------------------


class HsdsError(Exception):
    """The package cannot be read at all (e.g. the folder does not exist)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a package: where (file, spreadsheet line, field), the value, what."""

    file: str
    line: int | None  # the header is line 1, the first data row line 2
    field: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", Zeile {self.line}"
        if self.field is not None:
            where += f", Feld {self.field}"
        if self.value is not None:
            where += f", Wert „{self.value}“"
        return f"{where}: {self.message}"


class HsdsPackageInvalid(HsdsError):
    """The package has problems; none of it was imported. ``problems`` lists every one."""

    def __init__(self, folder: Path, problems: list[Problem]):
        self.problems = problems
        count = "1 Problem" if len(problems) == 1 else f"{len(problems)} Probleme"
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"Das HSDS-Paket {shown_path(folder)} wurde nicht importiert ({count}); die "
            f"Datenbank ist unverändert.\n{lines}"
        )


@dataclass(frozen=True)
class _Row:
    file: str
    line: int
    values: dict[str, str]

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    @property
    def id(self) -> str:
        return self.get("id")


# The other objects of HSDS 3.x: not part of the model, read to check their references and
# kept (with the organisation or service they belong to) to be written back on export.
OTHER_RESOURCES: tuple[str, ...] = (
    "program",
    "contact",
    "schedule",
    "funding",
    "required_document",
    "language",
    "accessibility",
    "cost_option",
    "organization_identifier",
    "url",
    "metadata",
    "meta_table_description",
)
# A column naming the id of a row of another file (HSDS 3 names them <object>_id).
REFERENCE_COLUMNS: dict[str, str] = {
    "organization_id": "organization",
    "parent_organization_id": "organization",
    "service_id": "service",
    "location_id": "location",
    "phone_id": "phone",
    "contact_id": "contact",
    "service_at_location_id": "service_at_location",
    "program_id": "program",
    "taxonomy_id": "taxonomy",
    "taxonomy_term_id": "taxonomy_term",
}
# Columns of a foreign package that fill the model; every other column is kept as it is.
MODELLED: dict[str, set[str]] = {
    "organization": {"name", "email", "website", "teilhabe_id", "teilhabe_kind"},
    "location": {"organization_id", "latitude", "longitude", "teilhabe_municipality_ags"},
    "address": {"location_id", "address_1", "city", "postal_code"},
    "phone": {"organization_id", "number"},
    "service": {
        "organization_id",
        "name",
        "status",
        "teilhabe_id",
        "teilhabe_capacity",
        "teilhabe_labour_market_measure",
        "teilhabe_active_from",
        "teilhabe_active_to",
    },
}
# Our extension columns a foreign package may lack: then defaults and a warning.
FOREIGN_DEFAULTS = {
    ("organization", "teilhabe_kind"),
    ("location", "teilhabe_municipality_ags"),
    ("service", "teilhabe_active_from"),
}
DEFAULT_KIND = "counselling"
DEFAULT_ACTIVE_FROM = dt.date(1900, 1, 1)  # start unknown: offered "since ever"


def _plural(name: str) -> str:
    if name.endswith("y") and not name.endswith("ey"):
        return name[:-1] + "ies"
    if name.endswith("ss"):
        return name + "es"
    return name + "s"


def _candidates(name: str) -> list[str]:
    """The file names a resource may have: ours (singular), the plural, and HSDS' own."""
    names = [f"{name}.csv", *OTHER_PATHS.get(name, ()), f"{_plural(name)}.csv"]
    return list(dict.fromkeys(names))


@dataclass
class _Package:
    """The rows of each file (duplicates and rows without a valid id already left out)."""

    folder: Path
    rows: dict[str, list[_Row]]
    unusable: set[str]  # files missing or unreadable
    problems: list[Problem]
    unreadable: set[str] = field(default_factory=set)  # paths reported as unusable
    files: dict[str, str] = field(default_factory=dict)  # resource -> its file's name
    headers: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    own: bool = True  # the package carries our teilhabe_* extensions
    used: set[tuple[str, str]] = field(default_factory=set)  # (resource, id) in the model
    left_out: dict[str, int] = field(default_factory=dict)  # resource -> rows not kept

    def file(self, resource: str) -> str:
        """The name of a resource's file as in the package (ours where it has none)."""
        return self.files.get(resource, f"{resource}.csv")

    def problem(
        self,
        where: _Row | str,
        name: str | None,
        value: str | None,
        message: str,
        *,
        line: int | None = None,
    ) -> None:
        """Record a problem at a row, or at a file (``line`` 1 for the header)."""
        if isinstance(where, _Row):
            self.problems.append(Problem(where.file, where.line, name, value, message))
        else:
            self.problems.append(Problem(where, line, name, value, message))

    def warn(self, where: _Row | str, name: str | None, value: str | None, message: str) -> None:
        if isinstance(where, _Row):
            self.warnings.append(Problem(where.file, where.line, name, value, message))
        else:
            self.warnings.append(Problem(where, None, name, value, message))

    def by_id(self, resource: str) -> dict[str, _Row]:
        return {row.id: row for row in self.rows.get(resource, [])}


def _read_package(folder: Path) -> _Package:
    """Read every file of the package; file-level and id problems are collected, not raised."""
    try:
        folder = check_folder(folder, "Der Ordner")
    except UnusablePath as error:
        raise HsdsError(str(error)) from None
    names = [r.name for r in RESOURCES] + list(OTHER_RESOURCES)
    package = _Package(folder, {name: [] for name in names}, set(), [])
    paths, named = _paths(package, names)
    for name in names:
        if name in paths:
            package.files[name] = paths[name].name
    package.own = any(
        column.startswith("teilhabe_")
        for name, path in paths.items()
        if name in RESOURCE_BY_NAME
        for column in _header(path)
    )
    for name in names:
        path = paths.get(name)
        resource = RESOURCE_BY_NAME.get(name)
        if path is None:
            package.unusable.add(name)
            if package.unreadable & {named.get(name), *_candidates(name)}:
                continue  # already reported: there, but not usable
            required = name in ("organization", "service") or (
                package.own and resource is not None and resource.required_file
            )
            if required:
                shown = named.get(name) or " oder ".join(_candidates(name)[:2])
                package.problem(shown, None, None, "Die Datei fehlt.")
            elif name in named:
                package.warn(
                    named[name], None, None, "In datapackage.json genannt, aber nicht im Paket."
                )
            continue
        package.rows[name] = _read_rows(package, name, resource, path)
    return package


def _header(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [name.strip() for name in next(csv.reader(handle), [])]
    except (OSError, UnicodeDecodeError, csv.Error):
        return []  # reported when the file is read


def _paths(package: _Package, names: list[str]) -> tuple[dict[str, Path], dict[str, str]]:
    """The file of each resource found, and the paths datapackage.json names.

    A resource's file is the one datapackage.json names where that exists, else
    ``<name>.csv`` or the plural name other HSDS tools use; it must lie inside the folder.
    """
    folder = package.folder
    named = _named_paths(package, names)
    paths: dict[str, Path] = {}
    root = folder.resolve()
    for name in names:
        candidates = ([named[name]] if name in named else []) + _candidates(name)
        for candidate in candidates:
            path = _inside(package, root, candidate, named=named.get(name) == candidate)
            if path is not None:
                paths[name] = path
                break
    return paths, named


def _named_paths(package: _Package, names: list[str]) -> dict[str, str]:
    """The paths ``datapackage.json`` gives the resources of ``names`` (Frictionless:
    ``{"resources": [{"name": ..., "path": ...}]}``); anything else in it is reported."""
    descriptor_path = package.folder / DESCRIPTOR
    try:
        if not descriptor_path.is_file():
            return {}
        size = descriptor_path.stat().st_size
    except (OSError, RuntimeError) as error:
        package.problem(
            DESCRIPTOR, None, None, f"Die Datei kann nicht gelesen werden: {os_reason(error)}."
        )
        return {}
    if size > MAX_DESCRIPTOR_BYTES:
        package.problem(
            DESCRIPTOR,
            None,
            None,
            f"Die Datei ist größer als {MAX_DESCRIPTOR_BYTES // 2**20} MB; eine Beschreibung "
            "des Pakets ist nur wenige KB groß.",
        )
        return {}
    try:
        descriptor_ = load_json(descriptor_path.read_bytes(), DESCRIPTOR)
    except OSError as error:
        package.problem(
            DESCRIPTOR, None, None, f"Die Datei kann nicht gelesen werden: {os_reason(error)}."
        )
        return {}
    except ValueError as error:  # also UnicodeDecodeError
        message = str(error).removeprefix(f"{DESCRIPTOR}: ")
        if isinstance(error, UnicodeDecodeError):
            message = "Die Datei ist nicht UTF-8-kodiert."
        package.problem(DESCRIPTOR, None, None, f"Keine gültige JSON-Beschreibung: {message}")
        return {}
    resources = descriptor_.get("resources", []) if isinstance(descriptor_, dict) else None
    if not isinstance(resources, list):
        package.problem(
            DESCRIPTOR,
            "resources",
            None,
            "Keine gültige JSON-Beschreibung: erwartet wird ein Objekt mit der Liste „resources“.",
        )
        return {}
    named: dict[str, str] = {}
    for number, resource in enumerate(resources, start=1):
        name = resource.get("name") if isinstance(resource, dict) else None
        path = resource.get("path") if isinstance(resource, dict) else None
        if not isinstance(name, str) or not isinstance(path, str | list | type(None)):
            package.problem(
                DESCRIPTOR,
                f"resources[{number}]",
                None,
                "Keine gültige Ressource: erwartet wird ein Objekt mit dem Text „name“ und dem "
                "Pfad „path“.",
            )
            continue
        if name in names and isinstance(path, str):
            named[name] = path
    return named


def _inside(package: _Package, root: Path, candidate: str, *, named: bool) -> Path | None:
    """The file ``candidate`` (relative to the package folder ``root``) if it is a file inside
    the folder, else None. A path that cannot even be looked up (a NUL byte, too long, a loop
    of symbolic links) is reported, as is a path from datapackage.json leading outside."""
    try:
        path = (root / candidate).resolve()
        if path.is_relative_to(root):
            return path if path.is_file() else None  # a missing file is reported by its caller
        if not named:
            return None  # e.g. a link to elsewhere: not part of the package
        problem = "Der Pfad führt aus dem Ordner des Pakets hinaus."
    except ValueError:  # a NUL byte
        problem = "Der Pfad enthält ein Nullzeichen."
    except (OSError, RuntimeError) as error:  # too long; a loop of symbolic links
        problem = f"Die Datei kann nicht geöffnet werden: {os_reason(error)}."
    if named:
        package.problem(DESCRIPTOR, "path", shown_path(candidate), problem)
    else:
        package.problem(candidate, None, None, problem)
    package.unreadable.add(candidate)
    return None


def _read_rows(package: _Package, name: str, resource: Resource | None, path: Path) -> list[_Row]:
    """The rows of one file. A missing required column is reported and the rows are still
    checked, so that one run finds every problem."""
    file = path.name
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            records = list(csv.reader(handle))
    except UnicodeDecodeError:
        package.problem(file, None, None, "Die Datei ist nicht UTF-8-kodiert.")
        package.unusable.add(name)
        return []
    except csv.Error as error:
        package.problem(file, None, None, f"Die Datei ist kein lesbares CSV: {error}")
        package.unusable.add(name)
        return []
    except OSError as error:
        package.problem(
            file, None, None, f"Die Datei kann nicht gelesen werden: {os_reason(error)}."
        )
        package.unusable.add(name)
        return []
    if not records:
        package.problem(file, None, None, "Die Kopfzeile fehlt.", line=1)
        package.unusable.add(name)
        return []
    header = [column.strip() for column in records[0]]
    package.headers[name] = header
    for column in sorted(n for n, count in Counter(header).items() if count > 1):
        package.problem(file, column, None, "Die Spalte kommt mehrfach vor.", line=1)
        package.unusable.add(name)
    if name in package.unusable:
        return []
    required = {"id"}
    if resource is not None:
        required |= {f.name for f in resource.fields if f.required}
        if not package.own:
            required -= {column for r, column in FOREIGN_DEFAULTS if r == name}
    for column in [c for c in (resource.columns if resource else ["id"]) if c in required]:
        if column not in header:
            package.problem(file, column, None, "Die Pflichtspalte fehlt.", line=1)
    rows: list[_Row] = []
    first_line: dict[str, int] = {}
    for index, record in enumerate(records[1:], start=2):
        if not any(value.strip() for value in record):
            continue  # blank line, e.g. at the end of a file saved by a spreadsheet
        if len(record) > len(header):
            package.problem(file, None, None, "Die Zeile hat mehr Werte als Spalten.", line=index)
            continue
        row = _Row(file, index, {n: v.strip() for n, v in zip(header, record, strict=False)})
        for column in required:
            if column in header and not row.get(column):
                package.problem(row, column, "", "Pflichtfeld ist leer.")
        if not row.id:
            continue
        if not _is_uuid(row.id):
            package.problem(row, "id", row.id, "Die id ist keine UUID.")
            continue
        if row.id in first_line:
            package.problem(
                row, "id", row.id, f"Die id kommt doppelt vor (auch in Zeile {first_line[row.id]})."
            )
            continue
        first_line[row.id] = index
        for column in header:
            value = row.get(column)
            if _is_reference(name, column) and value and not _is_uuid(value):
                package.problem(row, column, value, "Der Verweis ist keine UUID.")
        rows.append(row)
    return rows


def _is_reference(resource: str, column: str) -> bool:
    return (
        column in REFERENCE_COLUMNS
        or (column == "parent_id" and resource == "taxonomy_term")
        or (column == "link_id" and resource == "attribute")
    )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class _Parser:
    """Typed values from a row; a value that does not parse is reported and gives None."""

    def __init__(self, package: _Package):
        self.package = package

    def text(self, row: _Row, name: str, column) -> str | None:
        value = row.get(name)
        if not value:
            return None
        if column.type.length is not None and len(value) > column.type.length:
            self.package.problem(
                row, name, value, f"Der Wert ist länger als {column.type.length} Zeichen."
            )
        return value

    def number(self, row: _Row, name: str, low: float, high: float) -> float | None:
        value = row.get(name)
        if not value:
            return None
        try:
            number = float(value)
        except ValueError:
            self.package.problem(row, name, value, "Der Wert ist keine Zahl.")
            return None
        if not math.isfinite(number) or not low <= number <= high:
            self.package.problem(
                row, name, value, f"Der Wert liegt nicht zwischen {low:g} und {high:g}."
            )
            return None
        return number

    def integer(self, row: _Row, name: str) -> int | None:
        value = row.get(name)
        if not value:
            return None
        try:
            number = int(value)
        except ValueError:
            self.package.problem(row, name, value, "Der Wert ist keine ganze Zahl.")
            return None
        if number < 0:
            self.package.problem(row, name, value, "Der Wert darf nicht negativ sein.")
            return None
        if number > MAX_COUNT:
            self.package.problem(
                row,
                name,
                _short(value),
                f"Der Wert ist größer als {MAX_COUNT:,}.".replace(",", "."),
            )
            return None
        return number

    def date(self, row: _Row, name: str) -> dt.date | None:
        value = row.get(name)
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.package.problem(row, name, value, "Der Wert ist kein Datum JJJJ-MM-TT.")
            return None

    def boolean(self, row: _Row, name: str) -> bool:
        value = row.get(name).lower()
        if value in ("", "false", "0"):
            return False
        if value in ("true", "1"):
            return True
        self.package.problem(row, name, row.get(name), "Erlaubt sind true und false.")
        return False


# --- The category map: foreign taxonomy terms -> our service categories ----------------------


@dataclass
class CategoryMap:
    """A user's mapping of foreign taxonomy terms (id, code or name) to our service categories,
    from a small CSV: columns ``term`` (Begriff), ``category`` (Kategorie) and/or ``barrier``
    (Hemmnis; then the catalogue's category addressing it)."""

    file: str
    categories: dict[str, str] = field(default_factory=dict)  # casefolded term -> category
    problems: list[Problem] = field(default_factory=list)

    def category_of(self, term: _Row) -> str | None:
        for key in (term.id, term.get("code"), term.get("name"), term.get("term")):
            if key and key.strip().casefold() in self.categories:
                return self.categories[key.strip().casefold()]
        return None


MAP_COLUMNS = {
    "term": ("term", "begriff", "taxonomy_term", "code", "name"),
    "category": ("category", "kategorie", "leistungskategorie", "service_category"),
    "barrier": ("barrier", "hemmnis", "barrier_code"),
}


def read_category_map(path: Path, known_categories: Iterable[str] = ()) -> CategoryMap:
    """Read and check a category map; problems are in ``problems`` (never raises for content)."""
    result = CategoryMap(shown_path(path.name))
    known = set(known_categories) | {c.code for c in SERVICE_CATEGORIES}
    try:
        path = check_file(path, "Die Zuordnungsdatei")
        if path.stat().st_size > MAX_CATEGORY_MAP_BYTES:
            raise UnusablePath(
                f"Die Zuordnungsdatei ist größer als {MAX_CATEGORY_MAP_BYTES // 2**20} MB."
            )
        text = path.read_text(encoding="utf-8-sig")
    except UnusablePath as error:
        result.problems.append(Problem(shown_path(path.name), None, None, None, str(error)))
        return result
    except UnicodeDecodeError:
        result.problems.append(
            Problem(path.name, None, None, None, "Die Datei ist nicht UTF-8-kodiert.")
        )
        return result
    except OSError as error:
        result.problems.append(
            Problem(
                path.name,
                None,
                None,
                None,
                f"Die Datei kann nicht gelesen werden: {os_reason(error)}.",
            )
        )
        return result
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max((";", ",", "\t"), key=first.count)
    try:
        records = list(csv.reader(text.splitlines(), delimiter=delimiter))
    except csv.Error as error:  # e.g. a NUL byte or a field longer than the csv module allows
        result.problems.append(
            Problem(path.name, None, None, None, f"Die Datei ist kein lesbares CSV: {error}")
        )
        return result
    if not records:
        result.problems.append(Problem(path.name, 1, None, None, "Die Kopfzeile fehlt."))
        return result
    header = [h.strip().casefold() for h in records[0]]
    position = {
        key: next((header.index(a) for a in aliases if a in header), None)
        for key, aliases in MAP_COLUMNS.items()
    }
    if position["term"] is None or (position["category"] is None and position["barrier"] is None):
        result.problems.append(
            Problem(
                path.name,
                1,
                None,
                None,
                "Erwartet werden die Spalten term (Begriff) und category (Kategorie) oder "
                "barrier (Hemmnis).",
            )
        )
        return result
    by_barrier: dict[str, str] = {}
    for category in SERVICE_CATEGORIES:
        for barrier in category.barriers:
            by_barrier.setdefault(barrier, category.code)

    def cell(record: list[str], key: str) -> str:
        index = position[key]
        return record[index].strip() if index is not None and index < len(record) else ""

    for line, record in enumerate(records[1:], start=2):
        term, category, barrier = (cell(record, k) for k in ("term", "category", "barrier"))
        if not term and not category and not barrier:
            continue
        if not term:
            result.problems.append(Problem(path.name, line, "term", "", "Pflichtfeld ist leer."))
            continue
        if category and category not in known:
            result.problems.append(
                Problem(
                    path.name,
                    line,
                    "category",
                    category,
                    f"Unbekannte Leistungskategorie; bekannt sind: {', '.join(sorted(known))}.",
                )
            )
            continue
        if not category:
            category = by_barrier.get(barrier, "")
            if not category:
                result.problems.append(
                    Problem(
                        path.name,
                        line,
                        "barrier",
                        barrier,
                        "Unbekanntes Hemmnis; bekannt sind: " + ", ".join(by_barrier) + ".",
                    )
                )
                continue
        result.categories[term.casefold()] = category
    return result


# --- Checking the package --------------------------------------------------------------------


@dataclass
class _Kept:
    """What the model has no column for, per organisation, location or service: the fields of
    its HSDS rows (``fields[resource]``) and whole rows of other files (``rows[resource]``)."""

    fields: dict[str, dict[str, str]] = field(default_factory=dict)
    rows: dict[str, list[dict[str, str]]] = field(default_factory=lambda: defaultdict(list))


def _unmodelled(resource: str, row: _Row, *, also: Iterable[str] = ()) -> dict[str, str]:
    skip = MODELLED.get(resource, set()) | set(also)
    return {k: v for k, v in row.values.items() if k not in skip}


def _check_package(
    package: _Package,
    catalogues: _Catalogues,
    known: _Directory,
    category_map: CategoryMap | None = None,
    boundaries: dict[str, object] | None = None,
) -> _Directory:
    """The directory a package describes; every problem is added to ``package.problems``,
    every default taken and everything left out to ``package.warnings``.

    ``known`` is the database's directory: categories there (or in the shared catalogue) may be
    used; barriers and municipalities must exist in ``catalogues``. ``boundaries``: AGS ->
    shapely geometry, for GeoJSON service areas and locations without a municipality.
    """
    _check_references(package)
    parse = _Parser(package)
    wanted = _Directory()
    kept: dict[tuple[str, str], _Kept] = defaultdict(_Kept)  # ("provider"|"service"|"location", id)
    categories, own_terms = _check_taxonomies(package, catalogues, known, parse, wanted)
    provider_of, location_owner = _check_providers(
        package, catalogues, known, parse, wanted, kept, boundaries or {}
    )
    service_of = _check_services(
        package, categories, own_terms, category_map, provider_of, parse, wanted, kept
    )
    _check_service_areas(package, catalogues, service_of, wanted, kept, boundaries or {})
    _keep_other_rows(package, provider_of, location_owner, service_of, own_terms, kept)
    _store_kept(wanted, catalogues, known, kept)
    return wanted


def _municipality_of(
    row: _Row, address: _Row | None, catalogues: _Catalogues, boundaries: dict[str, object]
) -> str | None:
    """The municipality of a location without our AGS column: the boundary its coordinates lie
    in, else the municipality its address' city names."""
    try:
        lat, lon = float(row.get("latitude")), float(row.get("longitude"))
    except ValueError:
        lat = lon = None
    if lat is not None and lon is not None:
        import shapely

        point = shapely.Point(lon, lat)
        for ags, geometry in sorted(boundaries.items()):
            if geometry.covers(point):
                return ags
    if address is not None and address.get("city"):
        city = address.get("city").casefold()
        for ags, name in sorted(catalogues.municipalities.items()):
            if name.casefold() == city or name.casefold().split(",")[0] == city:
                return ags
    return None


def _check_providers(
    package: _Package,
    catalogues: _Catalogues,
    known: _Directory,
    parse: _Parser,
    wanted: _Directory,
    kept: dict[tuple[str, str], _Kept],
    boundaries: dict[str, object],
) -> tuple[dict[str, str], dict[str, str]]:
    """Organizations with their locations, addresses and phone; returns organization UUID ->
    our id and location UUID -> our provider id."""
    organizations = package.by_id("organization")
    provider_of: dict[str, str] = {}
    first_line: dict[str, int] = {}
    defaulted_kind = 0
    for row in organizations.values():
        pid = row.get("teilhabe_id") or row.id
        column = "teilhabe_id" if row.get("teilhabe_id") else "id"
        parse.text(row, column, Provider.id)
        if pid in first_line:
            package.problem(
                row,
                column,
                pid,
                f"Die Anbieter-ID kommt doppelt vor (auch in Zeile {first_line[pid]}).",
            )
            continue
        first_line[pid] = row.line
        provider_of[row.id] = pid
        kind = row.get("teilhabe_kind")
        if kind and kind not in PROVIDER_KINDS:
            package.problem(
                row, "teilhabe_kind", kind, f"Unbekannte Art; erlaubt: {', '.join(PROVIDER_KINDS)}."
            )
        if not kind and not package.own:
            kind = DEFAULT_KIND
            defaulted_kind += 1
        kept["provider", pid].fields["organization"] = _unmodelled("organization", row)
        wanted.providers[pid] = {
            "name": parse.text(row, "name", Provider.name),
            "kind": kind,
            "email": parse.text(row, "email", Provider.email),
            "website": parse.text(row, "website", Provider.website),
            "street": None,
            "postcode": None,
            "city": None,
            "municipality_ags": None,
            "lat": None,
            "lon": None,
            "phone": None,
            "hsds": None,
        }
    if defaulted_kind:
        package.warn(
            package.file("organization"),
            "teilhabe_kind",
            None,
            f"Ohne Art des Anbieters: {defaulted_kind} Organisation(en) als "
            f"{PROVIDER_KINDS[DEFAULT_KIND]} ({DEFAULT_KIND}) übernommen.",
        )

    address_of: dict[str, _Row] = {}  # the first address of each location; others are kept
    for row in package.rows["address"]:
        address_of.setdefault(row.get("location_id"), row)

    locations_of: dict[str, list[_Row]] = defaultdict(list)  # organization UUID -> rows
    for row in package.rows["location"]:
        if row.get("organization_id") in provider_of:
            locations_of[row.get("organization_id")].append(row)
    location_owner: dict[str, str] = {}
    derived = 0
    for row in package.rows["location"]:  # the others are checked below
        if row.get("organization_id") not in provider_of:
            parse.number(row, "latitude", -90, 90)
            parse.number(row, "longitude", -180, 180)
    for organization, rows in locations_of.items():
        pid = provider_of[organization]
        for position, row in enumerate(rows, start=1):
            location_owner[row.id] = pid
            address = address_of.get(row.id)
            ags = row.get("teilhabe_municipality_ags")
            if ags and ags not in catalogues.municipalities:
                package.problem(
                    row,
                    "teilhabe_municipality_ags",
                    ags,
                    "Unbekannte Gemeinde (AGS nicht in der Datenbank).",
                )
            elif not ags and not package.own:
                ags = _municipality_of(row, address, catalogues, boundaries)
                if ags is None:
                    package.problem(
                        row,
                        "id",
                        row.id,
                        "Die Gemeinde des Standorts ist nicht bestimmbar: die Koordinaten liegen "
                        "in keiner Gemeinde der Datenbank, und der Ort der Anschrift ist keine.",
                    )
                else:
                    derived += 1
            lat = parse.number(row, "latitude", -90, 90)
            lon = parse.number(row, "longitude", -180, 180)
            if bool(row.get("latitude")) != bool(row.get("longitude")):
                package.problem(
                    row,
                    "latitude" if not row.get("latitude") else "longitude",
                    "",
                    "Breite und Länge nur gemeinsam angeben.",
                )
            place = {
                "municipality_ags": ags or None,
                "lat": lat,
                "lon": lon,
                "street": None,
                "postcode": None,
                "city": None,
            }
            if address is not None:
                place.update(
                    street=parse.text(address, "address_1", Provider.street),
                    postcode=parse.text(address, "postal_code", Provider.postcode),
                    city=parse.text(address, "city", Provider.city),
                )
            if position == 1:
                wanted.providers[pid].update(place)
                target = kept["provider", pid]
            else:
                wanted.locations[row.id] = {
                    "provider_id": pid,
                    "position": position,
                    "name": parse.text(row, "name", ProviderLocation.name),
                    **place,
                    "hsds": None,
                }
                target = kept["location", row.id]
            # a further location has its own name column; the main location's name is kept
            # where it is not just the organisation's (in the package or the database)
            # where it is not just the organisation's (in our own packages: where it was kept
            # before, i.e. came from another tool; else it is the old name of the provider)
            before = _hsds_of(known.providers.get(pid, {})).get("fields", {})
            named = (
                position > 1
                or row.get("name") == wanted.providers[pid]["name"]
                or (package.own and "name" not in before.get("location", {}))
            )
            target.fields["location"] = _unmodelled(
                "location", row, also=("name",) if named else ()
            )
            package.used.add(("location", row.id))
            if address is not None:
                target.fields["address"] = _unmodelled("address", address)
                package.used.add(("address", address.id))
    if derived:
        package.warn(
            package.file("location"),
            "teilhabe_municipality_ags",
            None,
            f"Ohne Gemeindeschlüssel: bei {derived} Standort(en) die Gemeinde aus den "
            "Koordinaten oder dem Ort der Anschrift bestimmt.",
        )
    for organization in provider_of:
        if organization not in locations_of:
            package.problem(
                organizations[organization],
                "id",
                organization,
                f"Die Organisation hat keinen Standort in {package.file('location')}.",
            )
    phoned: set[str] = set()
    for row in package.rows["phone"]:
        organization = row.get("organization_id")
        if organization not in provider_of or organization in phoned:
            continue  # kept as a row of its organisation, location or service
        phoned.add(organization)
        pid = provider_of[organization]
        wanted.providers[pid]["phone"] = parse.text(row, "number", Provider.phone)
        kept["provider", pid].fields["phone"] = _unmodelled("phone", row)
        package.used.add(("phone", row.id))
    return provider_of, location_owner


def _check_services(
    package: _Package,
    categories: dict[str, str],
    own_terms: set[str],
    category_map: CategoryMap | None,
    provider_of: dict[str, str],
    parse: _Parser,
    wanted: _Directory,
    kept: dict[tuple[str, str], _Kept],
) -> dict[str, str]:
    """Services with their one category; service UUID -> our id. In a foreign package the
    category comes from the category map; services without one are listed, not imported."""
    services = package.by_id("service")
    service_of: dict[str, str] = {}
    first_line: dict[str, int] = {}
    defaulted_start = 0
    for row in services.values():
        sid = row.get("teilhabe_id") or row.id
        column = "teilhabe_id" if row.get("teilhabe_id") else "id"
        parse.text(row, column, Service.id)
        if sid in first_line:
            package.problem(
                row,
                column,
                sid,
                f"Die Leistungs-ID kommt doppelt vor (auch in Zeile {first_line[sid]}).",
            )
            continue
        first_line[sid] = row.line
        service_of[row.id] = sid
        status = row.get("status")
        if status and status not in ("active", "inactive", "defunct", "temporarily closed"):
            package.problem(
                row,
                "status",
                status,
                "Erlaubt sind active, inactive, defunct und temporarily closed.",
            )
        active_from = parse.date(row, "teilhabe_active_from")
        active_to = parse.date(row, "teilhabe_active_to")
        if active_from and active_to and active_to < active_from:
            package.problem(
                row,
                "teilhabe_active_to",
                row.get("teilhabe_active_to"),
                "Das Ende liegt vor dem Beginn.",
            )
        if active_from is None and not row.get("teilhabe_active_from") and not package.own:
            active_from = DEFAULT_ACTIVE_FROM
            defaulted_start += 1
        kept["service", sid].fields["service"] = _unmodelled("service", row)
        wanted.services[sid] = {
            "provider_id": provider_of.get(row.get("organization_id")),
            "name": parse.text(row, "name", Service.name),
            "category_code": None,
            "capacity": parse.integer(row, "teilhabe_capacity"),
            "labour_market_measure": parse.boolean(row, "teilhabe_labour_market_measure"),
            "active_from": active_from,
            "active_to": active_to,
            "hsds": None,
        }
    if defaulted_start:
        package.warn(
            package.file("service"),
            "teilhabe_active_from",
            None,
            f"Ohne Beginn des Angebots: {defaulted_start} Leistung(en) gelten als seit jeher "
            "angeboten.",
        )

    terms = package.by_id("taxonomy_term")
    category_rows: dict[str, list[_Row]] = defaultdict(list)
    foreign_rows: dict[str, list[_Row]] = defaultdict(list)
    for row in package.rows["attribute"]:
        if row.get("link_entity") != "service":
            continue
        if row.get("taxonomy_term_id") in categories:
            category_rows[row.get("link_id")].append(row)
            package.used.add(("attribute", row.id))
        elif row.get("taxonomy_term_id") not in own_terms:
            foreign_rows[row.get("link_id")].append(row)
    unmapped: list[_Row] = []
    for service, sid in service_of.items():
        links = category_rows.get(service, [])
        if len(links) == 1:
            wanted.services[sid]["category_code"] = categories[links[0].get("taxonomy_term_id")]
            continue
        if len(links) > 1:
            lines = ", ".join(str(r.line) for r in links)
            package.problem(
                services[service],
                "id",
                service,
                "Die Leistung hat mehrere Leistungskategorien "
                f"({package.file('attribute')}, Zeilen {lines}).",
            )
            continue
        mapped = []
        if category_map is not None:
            for link in foreign_rows.get(service, []):
                term = terms.get(link.get("taxonomy_term_id"))
                category = category_map.category_of(term) if term is not None else None
                if category and category not in mapped:
                    mapped.append(category)
        if mapped:
            wanted.services[sid]["category_code"] = mapped[0]
            if len(mapped) > 1:
                package.warn(
                    services[service],
                    "id",
                    service,
                    f"Mehrere Kategorien nach der Zuordnung ({', '.join(mapped)}); "
                    f"übernommen: {mapped[0]}.",
                )
        elif package.own:
            package.problem(
                services[service],
                "id",
                service,
                f"Die Leistung hat keine Leistungskategorie in {package.file('attribute')}.",
            )
        else:
            unmapped.append(services[service])
    for row in unmapped:
        sid = service_of.pop(row.id)
        del wanted.services[sid]
        kept.pop(("service", sid), None)
        names = ", ".join(
            term.get("name") or term.get("code") or term.id
            for link in foreign_rows.get(row.id, [])
            if (term := terms.get(link.get("taxonomy_term_id"))) is not None
        )
        package.warn(
            row,
            "id",
            row.id,
            f"Leistung „{row.get('name')}“ nicht übernommen: keine Leistungskategorie zuzuordnen"
            + (f" (Begriffe: {names})" if names else " (keine Taxonomiebegriffe)")
            + "; bitte in der Kategorienzuordnung (--category-map) ergänzen.",
        )

    locations = package.by_id("location")
    for row in package.rows["service_at_location"]:
        service, location = (
            services.get(row.get("service_id")),
            locations.get(row.get("location_id")),
        )
        if (
            service
            and location
            and service.get("organization_id") in provider_of  # else reported already
            and service.get("organization_id") != location.get("organization_id")
        ):
            package.problem(
                row,
                "location_id",
                row.get("location_id"),
                "Der Standort gehört nicht zur Organisation der Leistung.",
            )
    return service_of


def _check_service_areas(
    package: _Package,
    catalogues: _Catalogues,
    service_of: dict[str, str],
    wanted: _Directory,
    kept: dict[tuple[str, str], _Kept],
    boundaries: dict[str, object],
) -> None:
    """A municipality per text row (its AGS, or its name, in ``extent``), each at most once per
    service; a GeoJSON extent gives the municipalities it covers part of. A GeoJSON or text
    area that names no municipality is kept as it is (and written back) and reported."""
    area_line: dict[tuple[str, str], int] = {}
    by_name = {name.casefold(): ags for ags, name in catalogues.municipalities.items()}
    for row in package.rows["service_area"]:
        sid = service_of.get(row.get("service_id"))
        extent, kind = row.get("extent"), row.get("extent_type").lower()
        if kind not in ("", "text", "geojson"):
            package.problem(
                row,
                "extent_type",
                row.get("extent_type"),
                "Unterstützt werden text (AGS oder Name der Gemeinde) und geojson.",
            )
            continue
        if kind == "geojson":
            found = _geojson_municipalities(package, row, boundaries)
            if found is None:
                continue  # reported
            if sid is not None:
                kept["service", sid].rows["service_area"].append(
                    {k: v for k, v in row.values.items() if v}
                )
                package.used.add(("service_area", row.id))
                if not found:
                    package.warn(
                        row,
                        "extent",
                        None,
                        "Das Gebiet (GeoJSON) überschneidet keine Gemeinde der Datenbank; es "
                        "wird unverändert aufbewahrt, die Leistung hat dadurch kein "
                        "Versorgungsgebiet.",
                    )
            agses = found
        elif extent in catalogues.municipalities or (package.own and extent):
            if extent not in catalogues.municipalities:
                package.problem(
                    row, "extent", extent, "Unbekannte Gemeinde (AGS nicht in der Datenbank)."
                )
                continue
            agses = [extent]
        elif extent.casefold() in by_name or row.get("name").casefold() in by_name:
            agses = [by_name.get(extent.casefold()) or by_name[row.get("name").casefold()]]
        else:
            if sid is not None:
                kept["service", sid].rows["service_area"].append(
                    {k: v for k, v in row.values.items() if v}
                )
                package.used.add(("service_area", row.id))
                package.warn(
                    row,
                    "extent",
                    extent,
                    "Keine Gemeinde der Datenbank; das Gebiet wird unverändert aufbewahrt.",
                )
            continue
        if sid is None:
            continue
        package.used.add(("service_area", row.id))
        for ags in agses:
            if (sid, ags) in area_line:
                if kind != "geojson":
                    package.problem(
                        row,
                        "extent",
                        extent,
                        "Die Gemeinde ist für diese Leistung schon eingetragen "
                        f"(Zeile {area_line[sid, ags]}).",
                    )
                continue
            area_line[sid, ags] = row.line
            wanted.service_areas.add((sid, ags))


def _geojson_municipalities(
    package: _Package, row: _Row, boundaries: dict[str, object]
) -> list[str] | None:
    """The municipalities a GeoJSON extent covers a part of (points: lies in); None if the
    extent is no GeoJSON geometry (reported)."""
    import shapely

    try:
        value = load_json(row.get("extent"), "extent")
        if isinstance(value, dict) and value.get("type") == "Feature":
            value = value.get("geometry")
        if isinstance(value, dict) and value.get("type") == "FeatureCollection":
            value = {
                "type": "GeometryCollection",
                "geometries": [f.get("geometry") for f in value.get("features", [])],
            }
        geometry = shapely.from_geojson(json.dumps(value))
        if geometry is not None and not geometry.is_valid:
            geometry = shapely.make_valid(geometry)  # e.g. a ring crossing itself
        if geometry is None or geometry.is_empty:
            raise ValueError("leer")
        import numpy as np

        coordinates = shapely.get_coordinates(geometry)
        inside = (np.abs(coordinates[:, 0]) <= 180) & (np.abs(coordinates[:, 1]) <= 90)
        if not inside.all():  # also NaN and infinite values
            package.problem(
                row,
                "extent",
                _short(row.get("extent")),
                "Die Koordinaten liegen nicht in WGS84 (Länge −180 bis 180, Breite −90 bis 90).",
            )
            return None
    except (ValueError, TypeError, AttributeError, shapely.errors.ShapelyError):
        package.problem(
            row,
            "extent",
            _short(row.get("extent")),
            "Kein gültiges GeoJSON (extent_type geojson): erwartet wird eine Geometrie in "
            "WGS84, z. B. ein Polygon.",
        )
        return None
    found = []
    for ags, boundary in sorted(boundaries.items()):
        if geometry.intersects(boundary) and (
            geometry.geom_type in ("Point", "MultiPoint")
            or geometry.intersection(boundary).area > 0
        ):
            found.append(ags)
    return found


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_references(package: _Package) -> None:
    """Every reference names a row of the file it points to (where that file is in the
    package), in every file of the package, also those the model does not use."""
    ids = {name: {row.id for row in rows} for name, rows in package.rows.items()}
    for name, rows in package.rows.items():
        for row in rows:
            for column, value in row.values.items():
                target = REFERENCE_COLUMNS.get(column)
                if column == "parent_id" and name == "taxonomy_term":
                    target = "taxonomy_term"
                if column == "link_id" and name == "attribute":
                    entity = row.get("link_entity")
                    if entity and entity not in ids:
                        package.problem(
                            row,
                            "link_entity",
                            entity,
                            "Unbekannte Objektart; erlaubt: "
                            + ", ".join(sorted(RESOURCE_BY_NAME) + list(OTHER_RESOURCES))
                            + ".",
                        )
                        continue
                    target = entity
                if (
                    target is None
                    or not value
                    or not _is_uuid(value)
                    or target in package.unusable
                    or value in ids[target]
                ):
                    continue
                package.problem(
                    row,
                    column,
                    value,
                    f"Verweis ins Leere: {package.file(target)} hat keine Zeile mit dieser id.",
                )


def _check_taxonomies(
    package: _Package,
    catalogues: _Catalogues,
    known: _Directory,
    parse: _Parser,
    wanted: _Directory,
) -> tuple[dict[str, str], set[str]]:
    """The category terms (term UUID -> code) and the ids of all terms of our two taxonomies;
    fills the wanted categories and their barriers.

    Barrier terms are only checked: the barrier catalogue is shared and not imported, and the
    barrier attributes of services follow from their category. Foreign taxonomies are kept with
    the services that use them.
    """
    kind_of: dict[str, str] = {}  # taxonomy UUID -> CATEGORY_TAXONOMY or BARRIER_TAXONOMY
    seen: dict[str, int] = {}
    for row in package.rows["taxonomy"]:
        code = row.get("teilhabe_code")
        if not code:
            continue
        if code not in (CATEGORY_TAXONOMY, BARRIER_TAXONOMY):
            package.problem(
                row,
                "teilhabe_code",
                code,
                f"Unbekannte Taxonomie; erlaubt: {CATEGORY_TAXONOMY}, {BARRIER_TAXONOMY}.",
            )
        elif code in seen:
            package.problem(
                row,
                "teilhabe_code",
                code,
                f"Die Taxonomie kommt doppelt vor (auch in Zeile {seen[code]}).",
            )
        else:
            seen[code] = row.line
            kind_of[row.id] = code
            package.used.add(("taxonomy", row.id))
    if "taxonomy" not in package.unusable and package.own:
        for code in (CATEGORY_TAXONOMY, BARRIER_TAXONOMY):
            if code not in seen:
                package.problem(
                    package.file("taxonomy"), "teilhabe_code", code, "Diese Taxonomie fehlt."
                )

    known_categories = set(known.categories) | {c.code for c in SERVICE_CATEGORIES}
    terms: dict[str, dict[str, str]] = {CATEGORY_TAXONOMY: {}, BARRIER_TAXONOMY: {}}
    first_line: dict[tuple[str, str], int] = {}
    own_terms: set[str] = set()
    for row in package.rows["taxonomy_term"]:
        kind = kind_of.get(row.get("taxonomy_id"))
        if kind is None:
            continue  # a term of another taxonomy: kept with the services using it
        own_terms.add(row.id)
        package.used.add(("taxonomy_term", row.id))
        code = row.get("code")
        if not code:
            package.problem(row, "code", "", "Pflichtfeld ist leer.")
            continue
        if (kind, code) in first_line:
            package.problem(
                row,
                "code",
                code,
                "Der Code kommt in der Taxonomie doppelt vor "
                f"(auch in Zeile {first_line[kind, code]}).",
            )
            continue
        first_line[kind, code] = row.line
        terms[kind][row.id] = code
        if kind == BARRIER_TAXONOMY:
            if code not in catalogues.barriers:
                package.problem(
                    row,
                    "code",
                    code,
                    "Unbekanntes Hemmnis (nicht im Hemmniskatalog der Datenbank).",
                )
            continue
        if code not in known_categories:
            package.problem(
                row,
                "code",
                code,
                "Unbekannte Leistungskategorie; bekannt sind: "
                + ", ".join(sorted(known_categories))
                + ".",
            )
            continue
        wanted.categories[code] = parse.text(row, "name", ServiceCategory.label) or ""
        addressed = [
            b.strip() for b in row.get("teilhabe_barrier_codes").split(CODE_SEPARATOR) if b.strip()
        ]
        if not addressed:
            package.problem(
                row,
                "teilhabe_barrier_codes",
                "",
                "Eine Leistungskategorie adressiert mindestens ein Hemmnis.",
            )
        for barrier in addressed:
            if barrier not in catalogues.barriers:
                package.problem(
                    row,
                    "teilhabe_barrier_codes",
                    barrier,
                    "Unbekanntes Hemmnis (nicht im Hemmniskatalog der Datenbank).",
                )
            else:
                wanted.category_barriers.add((code, barrier))
    # our barrier attributes are derived from the category: not kept
    for row in package.rows["attribute"]:
        if row.get("taxonomy_term_id") in own_terms:
            package.used.add(("attribute", row.id))
    return terms[CATEGORY_TAXONOMY], own_terms


def _keep_other_rows(
    package: _Package,
    provider_of: dict[str, str],
    location_owner: dict[str, str],
    service_of: dict[str, str],
    own_terms: set[str],
    kept: dict[tuple[str, str], _Kept],
) -> None:
    """Rows the model has no table for (and further phones, addresses, service_at_location,
    foreign taxonomy terms) are kept with the service, location's organisation or organisation
    they belong to, to be written back on export. A row is kept only if every row it refers to
    is exported too; the others are reported as left out."""
    sal_service = {
        row.id: service_of[row.get("service_id")]
        for row in package.rows["service_at_location"]
        if row.get("service_id") in service_of
    }
    terms = package.by_id("taxonomy_term")
    taxonomies = package.by_id("taxonomy")
    candidates: list[tuple[str, _Row, tuple[str, str]]] = []
    for name, rows in package.rows.items():
        if name in ("organization", "service", "location", "taxonomy", "taxonomy_term"):
            continue
        for row in rows:
            if (name, row.id) in package.used:
                continue
            if (
                name == "service_at_location"
                and row.get("service_id") in service_of
                and row.id == hsds_id("service_at_location", service_of[row.get("service_id")])
            ):
                continue  # the one our export writes
            owner = _owner(name, row, provider_of, location_owner, service_of, sal_service)
            if owner is None:
                _left_out(package, name, row)
                continue
            candidates.append((name, row, owner))
            if name == "attribute" and row.get("taxonomy_term_id") in terms:
                term = terms[row.get("taxonomy_term_id")]
                while term is not None and term.id not in own_terms:
                    candidates.append(("taxonomy_term", term, owner))
                    if term.get("taxonomy_id") in taxonomies:
                        candidates.append(("taxonomy", taxonomies[term.get("taxonomy_id")], owner))
                    term = terms.get(term.get("parent_id"))
    exported = {row_id for _, row_id in package.used}
    exported |= set(provider_of) | set(location_owner) | set(service_of)
    exported |= {row.id for _, row, _ in candidates}
    changed = True
    while changed:  # leave out rows whose references would dangle in the export
        changed = False
        for item in list(candidates):
            name, row, _ = item
            if any(
                _is_reference(name, column) and value and value not in exported
                for column, value in row.values.items()
            ):
                candidates.remove(item)
                exported.discard(row.id)
                _left_out(package, name, row)
                changed = True
    seen: set[tuple[tuple[str, str], str, str]] = set()
    for name, row, owner in candidates:
        if (owner, name, row.id) not in seen:
            seen.add((owner, name, row.id))
            # empty cells left out: a file written back has more columns than the original
            kept[owner].rows[name].append({k: v for k, v in row.values.items() if v})
    for name, count in sorted(package.left_out.items()):
        package.warn(
            package.file(name),
            None,
            None,
            f"{count} Zeile(n) nicht übernommen: sie gehören zu keiner übernommenen "
            "Organisation oder Leistung oder verweisen auf nicht übernommene Zeilen.",
        )


def _left_out(package: _Package, name: str, row: _Row) -> None:
    package.left_out[name] = package.left_out.get(name, 0) + 1


def _owner(
    name: str,
    row: _Row,
    provider_of: dict[str, str],
    location_owner: dict[str, str],
    service_of: dict[str, str],
    sal_service: dict[str, str],
) -> tuple[str, str] | None:
    if name == "attribute":
        entity, link = row.get("link_entity"), row.get("link_id")
        if entity == "service" and link in service_of:
            return ("service", service_of[link])
        if entity == "organization" and link in provider_of:
            return ("provider", provider_of[link])
        if entity == "location" and link in location_owner:
            return ("provider", location_owner[link])
        return None
    if row.get("service_id"):
        sid = service_of.get(row.get("service_id"))
        return ("service", sid) if sid else None
    if row.get("service_at_location_id"):
        sid = sal_service.get(row.get("service_at_location_id"))
        return ("service", sid) if sid else None
    if row.get("location_id"):
        pid = location_owner.get(row.get("location_id"))
        return ("provider", pid) if pid else None
    if row.get("organization_id"):
        pid = provider_of.get(row.get("organization_id"))
        return ("provider", pid) if pid else None
    return None


def _store_kept(
    wanted: _Directory,
    catalogues: _Catalogues,
    known: _Directory,
    kept: dict[tuple[str, str], _Kept],
) -> None:
    """The kept fields and rows as JSON in the ``hsds`` columns; fields equal to what the
    export writes anyway are left out (so our own package round-trips without any)."""
    after = _Directory(  # the categories as the database will have them after the import
        categories={**known.categories, **wanted.categories},
        category_barriers=wanted.category_barriers
        | {(c, b) for c, b in known.category_barriers if c not in wanted.categories},
    )
    addressed: dict[str, list[str]] = defaultdict(list)
    for category, barrier in sorted(after.category_barriers):
        addressed[category].append(barrier)
    labels = {code: b["label"] for code, b in catalogues.barriers.items()}
    for (kind, key), item in kept.items():
        if kind == "provider" and key in wanted.providers:
            generated = _provider_rows(key, wanted.providers[key], catalogues.municipalities, {})
        elif kind == "location" and key in wanted.locations:
            location = wanted.locations[key]
            generated = _location_rows(
                key, location, hsds_id("organization", location["provider_id"]), {}
            )
        elif kind == "service" and key in wanted.services:
            service = wanted.services[key]
            description = _service_description(service, after, addressed, labels)
            generated = {"service": _service_row(key, service, {}, {}, description)}
        else:
            continue
        fields: dict[str, dict[str, str]] = {}
        for resource, values in item.fields.items():
            row = generated.get(resource, {})
            different = {
                name: value
                for name, value in values.items()
                if value != _csv_value(row.get(name))
                and not (name == "status" and resource == "service")
            }
            if different:
                fields[resource] = different
        content: dict[str, object] = {}
        if fields:
            content["fields"] = fields
        if item.rows:
            content["rows"] = {name: rows for name, rows in sorted(item.rows.items())}
        text = json.dumps(content, ensure_ascii=False, sort_keys=True) if content else None
        {"provider": wanted.providers, "location": wanted.locations, "service": wanted.services}[
            kind
        ][key]["hsds"] = text


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
            version = None
            if plan.changes:
                # a new data version: the app's caches of the directory are keyed on it
                stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
                version = f"hsds-{stamp}"
                set_dataset_info(connection, "data_version", version)
            # who changed the directory, in the import log like every file import
            record_import(
                connection,
                table=HSDS_LOG_TABLE,
                file_name=Path(folder).name or str(folder),
                sha256=_package_hash(folder),
                counts=tuple(
                    sum(c.get(k, 0) for c in plan.counts.values())
                    for k in ("added", "updated", "unchanged")
                ),
                actor=actor,
                data_version=version,
            )
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


# --- Command line ----------------------------------------------------------------------------


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``providers export`` and ``providers import`` with the subcommands of teilhabe."""
    providers = subparsers.add_parser(
        "providers",
        help="Anbieterverzeichnis als Open-Referral-HSDS-Paket exportieren oder importieren",
        description="Anbieter, Leistungen, Kategorien und Versorgungsgebiete als Tabular Data "
        "Package nach Open Referral HSDS 3.0 (eine CSV-Datei je Objekt und datapackage.json). "
        "Personenbezogene Daten sind nie enthalten.",
    )
    actions = providers.add_subparsers(required=True, metavar="AKTION")
    export = actions.add_parser(
        "export", help="Verzeichnis als HSDS-Paket in einen Ordner schreiben"
    )
    export.add_argument(
        "--hsds", type=Path, required=True, metavar="ORDNER", help="Zielordner (wird angelegt)"
    )
    _database_option(export)
    export.set_defaults(handler=_export_command)
    import_ = actions.add_parser(
        "import",
        help="HSDS-Paket prüfen und ins Verzeichnis übernehmen (alles oder nichts)",
        description="Prüft das ganze Paket und meldet jedes Problem mit Datei, Zeile, Feld und "
        "Wert; nur ein fehlerfreies Paket wird in einer Transaktion übernommen. Anbieter und "
        "Leistungen werden nie gelöscht.",
    )
    import_.add_argument(
        "--hsds", type=Path, required=True, metavar="ORDNER", help="Ordner mit dem Paket"
    )
    import_.add_argument(
        "--category-map",
        type=Path,
        metavar="DATEI",
        help="CSV-Datei, die Begriffe fremder Taxonomien (Spalte term: id, code oder name) den "
        "Leistungskategorien (Spalte category) oder Hemmnissen (Spalte barrier) zuordnet",
    )
    import_.add_argument(
        "--dry-run",
        action="store_true",
        help="nur prüfen und Änderungen anzeigen, nichts schreiben",
    )
    _database_option(import_)
    import_.set_defaults(handler=_import_command)
    return providers


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        help="SQLAlchemy-URL der Datenbank (Standard: TEILHABE_DATABASE_URL oder lokale SQLite)",
    )


def _open(args: argparse.Namespace) -> Engine:
    return open_database(Settings.load(database_url=args.database_url))


def _export_command(args: argparse.Namespace) -> int:
    engine = _open(args)
    try:
        written = export_hsds(engine, args.hsds)
    except HsdsError as error:
        print(f"Fehler: {error}", file=sys.stderr)
        return EXIT_ERROR
    print(
        f"HSDS-Paket nach {args.hsds} geschrieben: {written['organization']} Organisationen, "
        f"{written['service']} Leistungen, {written['service_area']} Versorgungsgebiete, "
        f"{written['taxonomy_term']} Taxonomiebegriffe."
    )
    return 0


def _import_command(args: argparse.Namespace) -> int:
    engine = _open(args)
    try:
        report = import_hsds(
            engine,
            args.hsds,
            actor=Actor.command_line(),
            dry_run=args.dry_run,
            category_map=args.category_map,
        )
    except HsdsError as error:
        print(f"Fehler: {error}", file=sys.stderr)
        return EXIT_ERROR
    print(f"HSDS-Paket {args.hsds} geprüft: keine Probleme.")
    for line in report_lines(report, limit=SHOWN_CHANGES):
        print(line)
    return 0


def report_lines(report: dict, *, limit: int | None = None) -> Iterable[str]:
    """The German summary of an import report: counts, then the changes (at most ``limit``)."""
    for table, counts in report["counts"].items():
        parts = [f"{counts['added']} neu"]
        parts.append(
            f"{counts['updated']} geändert"
            if "updated" in counts
            else f"{counts['removed']} entfernt"
        )
        parts.append(f"{counts['unchanged']} unverändert")
        yield f"{TABLE_LABELS[table][0]}: {', '.join(parts)}"
    changes = report["changes"]
    for change in changes[:limit]:
        label = TABLE_LABELS[change["table"]][1]
        if change["field"] is None:
            yield f"  neu: {label} {change['id']}"
        elif change["field"] == "hsds":
            yield f"  geändert: {label} {change['id']}: weitere HSDS-Angaben (Felder, Zeilen)"
        elif change["new"] is None:
            yield f"  entfernt: {label} {change['id']}: {_shown(change['old'])}"
        elif change["old"] is None and change["table"] in (
            "service_area",
            "service_category_barrier",
        ):
            yield f"  hinzu: {label} {change['id']}: {_shown(change['new'])}"
        else:
            yield (
                f"  geändert: {label} {change['id']}: {change['field']} "
                f"{_shown(change['old'])} → {_shown(change['new'])}"
            )
    if limit is not None and len(changes) > limit:
        yield f"  … und {len(changes) - limit} weitere Änderungen"
    kept = report["not_in_package"]
    if kept["provider"] or kept["service"]:
        yield (
            f"Nicht im Paket und unverändert behalten: {len(kept['provider'])} Anbieter, "
            f"{len(kept['service'])} Leistungen."
        )
    warnings = report.get("warnings", [])
    if warnings:
        yield f"Hinweise ({len(warnings)}):"
        for warning in warnings[:limit]:
            yield f"  - {warning}"
        if limit is not None and len(warnings) > limit:
            yield f"  … und {len(warnings) - limit} weitere Hinweise"
    if report["dry_run"]:
        yield "Probelauf (--dry-run): Die Datenbank wurde nicht verändert."


def _shown(value: object) -> str:
    return "(leer)" if value is None else f"„{_csv_value(value)}“"
