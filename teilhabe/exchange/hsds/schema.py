"""The layout of an HSDS 3.0 tabular data package: its files (``Resource``) and fields
(``Field``), the ``datapackage.json`` descriptor and the stable HSDS ids (``hsds_id``).

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

import json
import uuid
from dataclasses import dataclass

from teilhabe.definitions import LAENDER, PROVIDER_KINDS

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
STATES: dict[str, str] = LAENDER


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
