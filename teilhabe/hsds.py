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
* ``organization.teilhabe_kind``: the provider kind (``data_access.catalogue.PROVIDER_KINDS``).
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
``text``), ``name`` its name. ``attribute`` links each service to its category term
(``link_type`` ``service_category``) and to the barrier terms its category addresses
(``link_type`` ``addressed_barrier``; derived from the category, not read back).
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
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, and_, delete, insert, select, update

from data_access.auth import DATA_STEWARD, Actor, require_role
from data_access.catalogue import PROVIDER_KINDS, SERVICE_CATEGORIES
from data_access.imports import record_import, set_dataset_info
from data_access.models import (
    Barrier,
    Municipality,
    Provider,
    Service,
    ServiceArea,
    ServiceCategory,
    ServiceCategoryBarrier,
)
from data_access.settings import Settings
from teilhabe.startup import open_database

EXIT_ERROR = 2

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


def _descriptor() -> dict[str, object]:
    """The ``datapackage.json`` of an export (Frictionless Tabular Data Package)."""
    return {
        "profile": "tabular-data-package",
        "name": "teilhabe-monitor-anbieterverzeichnis",
        "title": "Anbieterverzeichnis des Teilhabe-Monitors (Open Referral HSDS 3.0)",
        "description": "Anbieter, Leistungen, Standorte und Versorgungsgebiete des Netzwerks "
        "als Tabular Data Package nach Open Referral HSDS 3.0. Zusätzliche Spalten mit dem "
        "Präfix teilhabe_ sind Erweiterungen des Teilhabe-Monitors. Das Paket enthält keine "
        "Daten über Personen.",
        "keywords": ["Open Referral", "HSDS", "Anbieterverzeichnis"],
        "resources": [r.descriptor() for r in RESOURCES],
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
)
SERVICE_FIELDS = (
    "provider_id",
    "name",
    "category_code",
    "capacity",
    "labour_market_measure",
    "active_from",
    "active_to",
)


@dataclass
class _Directory:
    """Providers and services (by our id, without the id), categories, mapping, service areas."""

    providers: dict[str, dict[str, object]] = field(default_factory=dict)
    services: dict[str, dict[str, object]] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)  # code -> label
    category_barriers: set[tuple[str, str]] = field(default_factory=set)
    service_areas: set[tuple[str, str]] = field(default_factory=set)  # (service id, AGS)


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
    folder.mkdir(parents=True, exist_ok=True)
    for resource in RESOURCES:
        with (folder / resource.path).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(resource.columns)
            for row in tables[resource.name]:
                writer.writerow([_csv_value(row.get(column)) for column in resource.columns])
    text = json.dumps(_descriptor(), ensure_ascii=False, indent=2) + "\n"
    (folder / "datapackage.json").write_text(text, encoding="utf-8")
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


def _hsds_tables(
    directory: _Directory, catalogues: _Catalogues, today: dt.date
) -> dict[str, list[dict[str, object]]]:
    """The HSDS rows of each file (resource name -> rows), in a fixed order."""
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
    for pid, p in sorted(directory.providers.items()):
        organization = hsds_id("organization", pid)
        location = hsds_id("location", pid)
        place = p["city"] or municipalities.get(str(p["municipality_ags"]), "")
        tables["organization"].append(
            {
                "id": organization,
                "name": p["name"],
                "description": f"{PROVIDER_KINDS.get(str(p['kind']), p['kind'])} in {place}",
                "email": p["email"],
                "website": p["website"],
                "teilhabe_id": pid,
                "teilhabe_kind": p["kind"],
            }
        )
        tables["location"].append(
            {
                "id": location,
                "location_type": "physical",
                "organization_id": organization,
                "name": p["name"],
                "latitude": p["lat"],
                "longitude": p["lon"],
                "teilhabe_municipality_ags": p["municipality_ags"],
            }
        )
        if p["street"] or p["postcode"] or p["city"]:
            tables["address"].append(
                {
                    "id": hsds_id("address", pid),
                    "location_id": location,
                    "address_1": p["street"],
                    "city": p["city"],
                    "state_province": STATES.get(str(p["municipality_ags"])[:2]),
                    "postal_code": p["postcode"],
                    "country": "DE",
                    "address_type": "physical",
                }
            )
        if p["phone"]:
            tables["phone"].append(
                {
                    "id": hsds_id("phone", pid),
                    "organization_id": organization,
                    "number": p["phone"],
                    "type": "voice",
                }
            )
    for sid, s in sorted(directory.services.items()):
        service = hsds_id("service", sid)
        category = str(s["category_code"])
        barriers = addressed.get(category, [])
        description = f"Leistungskategorie: {directory.categories.get(category, category)}"
        if barriers:
            labels = ", ".join(barrier_labels.get(b, b) for b in barriers)
            description += f"; adressierte Hemmnisse: {labels}"
        active_to = s["active_to"]
        tables["service"].append(
            {
                "id": service,
                "organization_id": hsds_id("organization", str(s["provider_id"])),
                "name": s["name"],
                "description": description,
                "status": "inactive"
                if isinstance(active_to, dt.date) and active_to < today
                else "active",
                "teilhabe_id": sid,
                "teilhabe_capacity": s["capacity"],
                "teilhabe_labour_market_measure": bool(s["labour_market_measure"]),
                "teilhabe_active_from": s["active_from"],
                "teilhabe_active_to": active_to,
            }
        )
        tables["service_at_location"].append(
            {
                "id": hsds_id("service_at_location", sid),
                "service_id": service,
                "location_id": hsds_id("location", str(s["provider_id"])),
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
        for barrier in barriers:
            tables["attribute"].append(
                {
                    "id": hsds_id("attribute", sid, BARRIER_LINK, barrier),
                    "link_id": service,
                    "link_type": BARRIER_LINK,
                    "link_entity": "service",
                    "taxonomy_term_id": barrier_term(barrier),
                }
            )
    for sid, ags in sorted(directory.service_areas):
        tables["service_area"].append(
            {
                "id": hsds_id("service_area", sid, ags),
                "service_id": hsds_id("service", sid),
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
    return tables


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
            f"Das HSDS-Paket {folder} wurde nicht importiert ({count}); die Datenbank ist "
            f"unverändert.\n{lines}"
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


@dataclass
class _Package:
    """The rows of each file (duplicates and rows without a valid id already left out)."""

    folder: Path
    rows: dict[str, list[_Row]]
    unusable: set[str]  # files missing or lacking a required column
    problems: list[Problem]

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

    def by_id(self, resource: str) -> dict[str, _Row]:
        return {row.id: row for row in self.rows[resource]}


def _read_package(folder: Path) -> _Package:
    """Read every file of the package; file-level and id problems are collected, not raised."""
    if not folder.is_dir():
        raise HsdsError(f"Der Ordner {folder} existiert nicht.")
    package = _Package(folder, {r.name: [] for r in RESOURCES}, set(), [])
    paths, named = _paths(package)
    for resource in RESOURCES:
        path = paths.get(resource.name)
        if path is None:
            package.unusable.add(resource.name)
            if resource.required_file or resource.name in named:
                package.problem(
                    named.get(resource.name, resource.path), None, None, "Die Datei fehlt."
                )
            continue
        package.rows[resource.name] = _read_rows(package, resource, path)
    return package


def _paths(package: _Package) -> tuple[dict[str, Path], dict[str, str]]:
    """The file of each resource found, and the paths datapackage.json names.

    A resource's file is the one datapackage.json names, else ``<name>.csv`` or the plural name
    other HSDS tools use; it must lie inside the package folder.
    """
    folder = package.folder
    named: dict[str, str] = {}
    if (folder / "datapackage.json").is_file():
        try:
            descriptor_ = json.loads((folder / "datapackage.json").read_text(encoding="utf-8-sig"))
            for resource in descriptor_.get("resources", []):
                if (
                    isinstance(resource.get("path"), str)
                    and resource.get("name") in RESOURCE_BY_NAME
                ):
                    named[resource["name"]] = resource["path"]
        except (ValueError, AttributeError) as error:
            package.problem(
                "datapackage.json", None, None, f"Keine gültige JSON-Beschreibung: {error}"
            )
    paths: dict[str, Path] = {}
    for resource in RESOURCES:
        candidates = (
            [named[resource.name]]
            if resource.name in named
            else [resource.path, *OTHER_PATHS.get(resource.name, ())]
        )
        for candidate in candidates:
            path = (folder / candidate).resolve()
            if path.is_relative_to(folder.resolve()) and path.is_file():
                paths[resource.name] = path
                break
    return paths, named


def _read_rows(package: _Package, resource: Resource, path: Path) -> list[_Row]:
    file = path.name
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            records = list(csv.reader(handle))
    except UnicodeDecodeError:
        package.problem(file, None, None, "Die Datei ist nicht UTF-8-kodiert.")
        package.unusable.add(resource.name)
        return []
    except csv.Error as error:
        package.problem(file, None, None, f"Die Datei ist kein lesbares CSV: {error}")
        package.unusable.add(resource.name)
        return []
    if not records:
        package.problem(file, None, None, "Die Kopfzeile fehlt.", line=1)
        package.unusable.add(resource.name)
        return []
    header = [name.strip() for name in records[0]]
    for name in sorted({n for n in header if header.count(n) > 1}):
        package.problem(file, name, None, "Die Spalte kommt mehrfach vor.", line=1)
        package.unusable.add(resource.name)
    for f in resource.fields:
        if f.required and f.name not in header:
            package.problem(file, f.name, None, "Die Pflichtspalte fehlt.", line=1)
            package.unusable.add(resource.name)
    if resource.name in package.unusable:
        return []
    rows: list[_Row] = []
    first_line: dict[str, int] = {}
    for index, record in enumerate(records[1:], start=2):
        if not any(value.strip() for value in record):
            continue  # blank line, e.g. at the end of a file saved by a spreadsheet
        if len(record) > len(header):
            package.problem(file, None, None, "Die Zeile hat mehr Werte als Spalten.", line=index)
            continue
        row = _Row(file, index, {n: v.strip() for n, v in zip(header, record, strict=False)})
        for f in resource.fields:
            if f.required and not row.get(f.name):
                package.problem(row, f.name, "", "Pflichtfeld ist leer.")
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
        for f in resource.fields:
            value = row.get(f.name)
            if f.format == "uuid" and value and f.name != "id" and not _is_uuid(value):
                package.problem(row, f.name, value, "Der Verweis ist keine UUID.")
        rows.append(row)
    return rows


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


def _check_package(package: _Package, catalogues: _Catalogues, known: _Directory) -> _Directory:
    """The directory a package describes; every problem is added to ``package.problems``.

    ``known`` is the database's directory: categories there (or in the shared catalogue) may be
    used; barriers and municipalities must exist in ``catalogues``.
    """
    _check_references(package)
    parse = _Parser(package)
    wanted = _Directory()
    categories = _check_taxonomies(package, catalogues, known, parse, wanted)
    provider_of = _check_providers(package, catalogues, parse, wanted)
    service_of = _check_services(package, categories, provider_of, parse, wanted)
    _check_service_areas(package, catalogues, service_of, wanted)
    return wanted


def _check_providers(
    package: _Package, catalogues: _Catalogues, parse: _Parser, wanted: _Directory
) -> dict[str, str]:
    """Organizations with their location, address and phone; organization UUID -> our id."""
    organizations = package.by_id("organization")
    provider_of: dict[str, str] = {}
    first_line: dict[str, int] = {}
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
        }

    location_of: dict[str, _Row] = {}  # organization UUID -> its location row
    for row in package.rows["location"]:
        organization = row.get("organization_id")
        if organization not in provider_of:
            continue  # reported as a broken reference or a duplicate organization
        if organization in location_of:
            package.problem(
                row,
                "organization_id",
                organization,
                "Die Organisation hat schon einen Standort "
                f"(Zeile {location_of[organization].line}); der Teilhabe-Monitor kennt einen "
                "Standort je Anbieter.",
            )
            continue
        location_of[organization] = row
        ags = row.get("teilhabe_municipality_ags")
        if ags and ags not in catalogues.municipalities:
            package.problem(
                row,
                "teilhabe_municipality_ags",
                ags,
                "Unbekannte Gemeinde (AGS nicht in der Datenbank).",
            )
        lat = parse.number(row, "latitude", -90, 90)
        lon = parse.number(row, "longitude", -180, 180)
        if bool(row.get("latitude")) != bool(row.get("longitude")):
            package.problem(
                row,
                "latitude" if not row.get("latitude") else "longitude",
                "",
                "Breite und Länge nur gemeinsam angeben.",
            )
        wanted.providers[provider_of[organization]].update(municipality_ags=ags, lat=lat, lon=lon)
    for organization in provider_of:
        if organization not in location_of:
            package.problem(
                organizations[organization],
                "id",
                organization,
                "Die Organisation hat keinen Standort in location.csv.",
            )

    used_locations = {row.id: row.get("organization_id") for row in location_of.values()}
    addressed: dict[str, int] = {}
    for row in package.rows["address"]:
        location = row.get("location_id")
        organization = used_locations.get(location)
        if organization is None:
            continue  # a broken reference, or the address of a location already reported
        if location in addressed:
            package.problem(
                row,
                "location_id",
                location,
                f"Der Standort hat schon eine Anschrift (Zeile {addressed[location]}).",
            )
            continue
        addressed[location] = row.line
        wanted.providers[provider_of[organization]].update(
            street=parse.text(row, "address_1", Provider.street),
            postcode=parse.text(row, "postal_code", Provider.postcode),
            city=parse.text(row, "city", Provider.city),
        )
    phoned: dict[str, int] = {}
    for row in package.rows["phone"]:
        organization = row.get("organization_id")
        if organization not in provider_of:
            continue
        if organization in phoned:
            package.problem(
                row,
                "organization_id",
                organization,
                f"Die Organisation hat schon eine Telefonnummer (Zeile {phoned[organization]}).",
            )
            continue
        phoned[organization] = row.line
        wanted.providers[provider_of[organization]]["phone"] = parse.text(
            row, "number", Provider.phone
        )
    return provider_of


def _check_services(
    package: _Package,
    categories: dict[str, str],
    provider_of: dict[str, str],
    parse: _Parser,
    wanted: _Directory,
) -> dict[str, str]:
    """Services with their one category; service UUID -> our id."""
    services = package.by_id("service")
    service_of: dict[str, str] = {}
    first_line: dict[str, int] = {}
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
        wanted.services[sid] = {
            "provider_id": provider_of.get(row.get("organization_id")),
            "name": parse.text(row, "name", Service.name),
            "category_code": None,
            "capacity": parse.integer(row, "teilhabe_capacity"),
            "labour_market_measure": parse.boolean(row, "teilhabe_labour_market_measure"),
            "active_from": active_from,
            "active_to": active_to,
        }

    category_rows: dict[str, list[_Row]] = defaultdict(list)
    for row in package.rows["attribute"]:
        if row.get("link_entity") == "service" and row.get("taxonomy_term_id") in categories:
            category_rows[row.get("link_id")].append(row)
    for service, sid in service_of.items():
        links = category_rows.get(service, [])
        if len(links) != 1:
            lines = ", ".join(str(r.line) for r in links)
            package.problem(
                services[service],
                "id",
                service,
                "Die Leistung hat keine Leistungskategorie in attribute.csv."
                if not links
                else "Die Leistung hat mehrere Leistungskategorien "
                f"(attribute.csv, Zeilen {lines}).",
            )
            continue
        wanted.services[sid]["category_code"] = categories[links[0].get("taxonomy_term_id")]

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
    package: _Package, catalogues: _Catalogues, service_of: dict[str, str], wanted: _Directory
) -> None:
    """One municipality (AGS in ``extent``) per row, each at most once per service."""
    area_line: dict[tuple[str, str], int] = {}
    for row in package.rows["service_area"]:
        sid = service_of.get(row.get("service_id"))
        ags = row.get("extent")
        if row.get("extent_type") not in ("", "text"):
            package.problem(
                row,
                "extent_type",
                row.get("extent_type"),
                "Unterstützt wird nur text (extent ist der AGS der Gemeinde).",
            )
            continue
        if ags and ags not in catalogues.municipalities:
            package.problem(row, "extent", ags, "Unbekannte Gemeinde (AGS nicht in der Datenbank).")
            continue
        if sid is None or not ags:
            continue
        if (sid, ags) in area_line:
            package.problem(
                row,
                "extent",
                ags,
                "Die Gemeinde ist für diese Leistung schon eingetragen "
                f"(Zeile {area_line[sid, ags]}).",
            )
            continue
        area_line[sid, ags] = row.line
        wanted.service_areas.add((sid, ags))


def _check_references(package: _Package) -> None:
    """Every reference names a row of the file it points to (unless that file is unusable)."""
    ids = {name: {row.id for row in rows} for name, rows in package.rows.items()}
    for resource in RESOURCES:
        for row in package.rows[resource.name]:
            for column, target in resource.references:
                value = row.get(column)
                if (
                    value
                    and _is_uuid(value)
                    and target not in package.unusable
                    and value not in ids[target]
                ):
                    package.problem(
                        row,
                        column,
                        value,
                        f"Verweis ins Leere: {target}.csv hat keine Zeile mit dieser id.",
                    )
            if resource.name == "attribute":
                entity = row.get("link_entity")
                value = row.get("link_id")
                if (
                    entity in ids
                    and entity not in package.unusable
                    and _is_uuid(value)
                    and value not in ids[entity]
                ):
                    package.problem(
                        row,
                        "link_id",
                        value,
                        f"Verweis ins Leere: {entity}.csv hat keine Zeile mit dieser id.",
                    )


def _check_taxonomies(
    package: _Package,
    catalogues: _Catalogues,
    known: _Directory,
    parse: _Parser,
    wanted: _Directory,
) -> dict[str, str]:
    """The category terms (term UUID -> code); fills the wanted categories and their barriers.

    Barrier terms are only checked: the barrier catalogue is shared and not imported, and the
    barrier attributes of services follow from their category.
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
    if "taxonomy" not in package.unusable:
        for code in (CATEGORY_TAXONOMY, BARRIER_TAXONOMY):
            if code not in seen:
                package.problem("taxonomy.csv", "teilhabe_code", code, "Diese Taxonomie fehlt.")

    known_categories = set(known.categories) | {c.code for c in SERVICE_CATEGORIES}
    terms: dict[str, dict[str, str]] = {CATEGORY_TAXONOMY: {}, BARRIER_TAXONOMY: {}}
    first_line: dict[tuple[str, str], int] = {}
    for row in package.rows["taxonomy_term"]:
        kind = kind_of.get(row.get("taxonomy_id"))
        if kind is None:
            continue  # a term of another taxonomy: carried along, not imported
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
    return terms[CATEGORY_TAXONOMY]


# --- Import: the changes and writing them ----------------------------------------------------

# table -> (label of the counts, label of one changed row)
TABLE_LABELS: dict[str, tuple[str, str]] = {
    "provider": ("Anbieter", "Anbieter"),
    "service": ("Leistungen", "Leistung"),
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
    for model, key in ((ServiceCategory, "code"), (Provider, "id"), (Service, "id")):
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
    engine: Engine, folder: Path, *, actor: Actor, dry_run: bool = False
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

    Returns ``{"dry_run", "counts": {table: {"added", "updated"|"removed", "unchanged"}},
    "changes": [{"table", "id", "field", "old", "new"}], "not_in_package": {...}}``; a change
    with ``field`` None is an added row.
    """
    require_role(actor, DATA_STEWARD, "Der Import des Anbieterverzeichnisses")
    package = _read_package(folder)
    with engine.begin() as connection:
        current, catalogues = _load(connection)
        wanted = _check_package(package, catalogues, current)
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
    }


def _package_hash(folder: Path) -> str:
    """SHA-256 over the package's files (names and contents, in name order)."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).iterdir()):
        if path.is_file() and path.suffix.lower() in (".csv", ".json"):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
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
    if args.hsds.exists() and not args.hsds.is_dir():
        print(f"Fehler: {args.hsds} ist kein Ordner.", file=sys.stderr)
        return EXIT_ERROR
    written = export_hsds(engine, args.hsds)
    print(
        f"HSDS-Paket nach {args.hsds} geschrieben: {written['organization']} Organisationen, "
        f"{written['service']} Leistungen, {written['service_area']} Versorgungsgebiete, "
        f"{written['taxonomy_term']} Taxonomiebegriffe."
    )
    return 0


def _import_command(args: argparse.Namespace) -> int:
    engine = _open(args)
    try:
        report = import_hsds(engine, args.hsds, actor=Actor.command_line(), dry_run=args.dry_run)
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
    if report["dry_run"]:
        yield "Probelauf (--dry-run): Die Datenbank wurde nicht verändert."


def _shown(value: object) -> str:
    return "(leer)" if value is None else f"„{_csv_value(value)}“"
