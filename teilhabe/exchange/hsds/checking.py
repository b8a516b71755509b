"""Checking a package before anything is written: organisations, locations, services and
service areas become the directory the package describes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from data_access.models import (
    Provider,
    ProviderLocation,
    Service,
)
from teilhabe.definitions import PROVIDER_KINDS
from teilhabe.exchange.hsds.category_map import CategoryMap
from teilhabe.exchange.hsds.directory import Boundaries, _Catalogues, _Directory
from teilhabe.exchange.hsds.export import _hsds_of
from teilhabe.exchange.hsds.links import (
    _check_references,
    _check_taxonomies,
    _keep_other_rows,
    _Kept,
    _store_kept,
)
from teilhabe.exchange.hsds.package import (
    DEFAULT_ACTIVE_FROM,
    DEFAULT_KIND,
    MODELLED,
    _Package,
    _Parser,
    _Row,
    _short,
)
from teilhabe.exchange.safe_paths import (
    load_json,
)

# --- Checking the package --------------------------------------------------------------------


def _unmodelled(resource: str, row: _Row, *, also: Iterable[str] = ()) -> dict[str, str]:
    skip = MODELLED.get(resource, set()) | set(also)
    return {k: v for k, v in row.values.items() if k not in skip}


@dataclass
class _Work:
    """What every step of checking a package shares: the package, the database's catalogues
    and directory, the parser, the directory being built and what is kept per owner."""

    package: _Package
    catalogues: _Catalogues
    known: _Directory
    parse: _Parser
    wanted: _Directory = field(default_factory=_Directory)
    # ("provider"|"service"|"location", id) -> the package's fields and rows we keep for it
    kept: dict[tuple[str, str], _Kept] = field(default_factory=lambda: defaultdict(_Kept))
    boundaries: Boundaries = field(default_factory=dict)


def _check_package(
    package: _Package,
    catalogues: _Catalogues,
    known: _Directory,
    category_map: CategoryMap | None = None,
    boundaries: Boundaries | None = None,
) -> _Directory:
    """The directory a package describes; every problem is added to ``package.problems``,
    every default taken and everything left out to ``package.warnings``.

    ``known`` is the database's directory: categories there (or in the shared catalogue) may be
    used; barriers and municipalities must exist in ``catalogues``. ``boundaries``: AGS ->
    shapely geometry, for GeoJSON service areas and locations without a municipality.
    """
    _check_references(package)
    work = _Work(package, catalogues, known, _Parser(package), boundaries=boundaries or {})
    categories, own_terms = _check_taxonomies(package, catalogues, known, work.parse, work.wanted)
    provider_of = _check_organizations(work)
    location_owner = _check_locations(work, provider_of)
    _check_phones(work, provider_of)
    service_of = _check_services(work, provider_of)
    _check_categories(work, service_of, categories, own_terms, category_map)
    _check_service_locations(package, provider_of)
    _check_service_areas(work, service_of)
    _keep_other_rows(package, provider_of, location_owner, service_of, own_terms, work.kept)
    _store_kept(work.wanted, catalogues, known, work.kept)
    return work.wanted


def _municipality_of(
    row: _Row, address: _Row | None, catalogues: _Catalogues, boundaries: Boundaries
) -> str | None:
    """The municipality of a location without our AGS column: the boundary its coordinates lie
    in, else the municipality its address' city names."""
    try:
        coordinates: tuple[float, float] | None = (
            float(row.get("longitude")),
            float(row.get("latitude")),
        )
    except ValueError:
        coordinates = None
    if coordinates is not None:
        import shapely

        point = shapely.Point(*coordinates)
        for ags, geometry in sorted(boundaries.items()):
            if geometry.covers(point):
                return ags
    if address is not None and address.get("city"):
        city = address.get("city").casefold()
        for ags, name in sorted(catalogues.municipalities.items()):
            if name.casefold() == city or name.casefold().split(",")[0] == city:
                return ags
    return None


def _natural_id(
    work: _Work, row: _Row, model_id: object, what: str, first_line: dict[str, int]
) -> str | None:
    """Our id of an organisation or service (``teilhabe_id``, else the HSDS id); None (and a
    problem naming ``what`` it is) when it came before in the file."""
    column = "teilhabe_id" if row.get("teilhabe_id") else "id"
    natural_id = row.get(column)
    work.parse.text(row, column, model_id)
    if natural_id in first_line:
        work.package.problem(
            row,
            column,
            natural_id,
            f"Die {what} kommt doppelt vor (auch in Zeile {first_line[natural_id]}).",
        )
        return None
    first_line[natural_id] = row.line
    return natural_id


def _check_organizations(work: _Work) -> dict[str, str]:
    """Organizations become providers; returns organization UUID -> our provider id."""
    package, parse = work.package, work.parse
    provider_of: dict[str, str] = {}
    first_line: dict[str, int] = {}
    defaulted_kind = 0
    for row in package.by_id("organization").values():
        pid = _natural_id(work, row, Provider.id, "Anbieter-ID", first_line)
        if pid is None:
            continue
        provider_of[row.id] = pid
        kind = row.get("teilhabe_kind")
        if kind and kind not in PROVIDER_KINDS:
            package.problem(
                row, "teilhabe_kind", kind, f"Unbekannte Art; erlaubt: {', '.join(PROVIDER_KINDS)}."
            )
        if not kind and not package.own:
            kind = DEFAULT_KIND
            defaulted_kind += 1
        work.kept["provider", pid].fields["organization"] = _unmodelled("organization", row)
        work.wanted.providers[pid] = {
            "name": parse.text(row, "name", Provider.name),
            "kind": kind,
            "email": parse.text(row, "email", Provider.email),
            "website": parse.text(row, "website", Provider.website),
            **dict.fromkeys(PLACE_FIELDS),
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
    return provider_of


# where a provider or one of its further locations is
PLACE_FIELDS = ("street", "postcode", "city", "municipality_ags", "lat", "lon")


def _check_locations(work: _Work, provider_of: dict[str, str]) -> dict[str, str]:
    """The locations of the organisations: the first is the provider's place, the others its
    further locations. Returns location UUID -> our provider id."""
    package = work.package
    address_of: dict[str, _Row] = {}  # the first address of each location; others are kept
    for row in package.rows["address"]:
        address_of.setdefault(row.get("location_id"), row)
    locations_of: dict[str, list[_Row]] = defaultdict(list)  # organization UUID -> rows
    for row in package.rows["location"]:
        if row.get("organization_id") in provider_of:
            locations_of[row.get("organization_id")].append(row)
        else:  # checked here only
            work.parse.number(row, "latitude", -90, 90)
            work.parse.number(row, "longitude", -180, 180)
    location_owner: dict[str, str] = {}
    derived = 0
    for organization, rows in locations_of.items():
        pid = provider_of[organization]
        for position, row in enumerate(rows, start=1):
            location_owner[row.id] = pid
            derived += _check_location(work, row, pid, position, address_of.get(row.id))
    if derived:
        package.warn(
            package.file("location"),
            "teilhabe_municipality_ags",
            None,
            f"Ohne Gemeindeschlüssel: bei {derived} Standort(en) die Gemeinde aus den "
            "Koordinaten oder dem Ort der Anschrift bestimmt.",
        )
    organizations = package.by_id("organization")
    for organization in provider_of:
        if organization not in locations_of:
            package.problem(
                organizations[organization],
                "id",
                organization,
                f"Die Organisation hat keinen Standort in {package.file('location')}.",
            )
    return location_owner


def _check_location(work: _Work, row: _Row, pid: str, position: int, address: _Row | None) -> bool:
    """One location of a provider (``position`` 1: its main one); whether its municipality was
    derived (from the coordinates or the address)."""
    ags, derived = _location_municipality(work, row, address)
    place = _place(work, row, address, ags)
    if position == 1:
        work.wanted.providers[pid].update(place)
        target = work.kept["provider", pid]
    else:
        work.wanted.locations[row.id] = {
            "provider_id": pid,
            "position": position,
            "name": work.parse.text(row, "name", ProviderLocation.name),
            **place,
            "hsds": None,
        }
        target = work.kept["location", row.id]
    # a further location has its own name column; the main location's name is kept where it
    # is not just the organisation's (in our own packages: where it was kept before, i.e. came
    # from another tool; else it is the old name of the provider)
    before = _hsds_of(work.known.providers.get(pid, {})).get("fields", {})
    named = (
        position > 1
        or row.get("name") == work.wanted.providers[pid]["name"]
        or (work.package.own and "name" not in before.get("location", {}))
    )
    target.fields["location"] = _unmodelled("location", row, also=("name",) if named else ())
    work.package.used.add(("location", row.id))
    if address is not None:
        target.fields["address"] = _unmodelled("address", address)
        work.package.used.add(("address", address.id))
    return derived


def _location_municipality(work: _Work, row: _Row, address: _Row | None) -> tuple[str | None, bool]:
    """The AGS of a location (our column, else derived in a foreign package) and whether it was
    derived; a problem when it is unknown or cannot be derived."""
    package = work.package
    ags = row.get("teilhabe_municipality_ags")
    if ags and ags not in work.catalogues.municipalities:
        package.problem(
            row,
            "teilhabe_municipality_ags",
            ags,
            "Unbekannte Gemeinde (AGS nicht in der Datenbank).",
        )
        return ags, False
    if ags or package.own:
        return ags or None, False
    derived = _municipality_of(row, address, work.catalogues, work.boundaries)
    if derived is None:
        package.problem(
            row,
            "id",
            row.id,
            "Die Gemeinde des Standorts ist nicht bestimmbar: die Koordinaten liegen in keiner "
            "Gemeinde der Datenbank, und der Ort der Anschrift ist keine.",
        )
    return derived, derived is not None


def _place(work: _Work, row: _Row, address: _Row | None, ags: str | None) -> dict[str, object]:
    """Municipality, coordinates and address of a location."""
    parse = work.parse
    lat = parse.number(row, "latitude", -90, 90)
    lon = parse.number(row, "longitude", -180, 180)
    if bool(row.get("latitude")) != bool(row.get("longitude")):
        work.package.problem(
            row,
            "latitude" if not row.get("latitude") else "longitude",
            "",
            "Breite und Länge nur gemeinsam angeben.",
        )
    place: dict[str, object] = {
        **dict.fromkeys(PLACE_FIELDS),
        "municipality_ags": ags or None,
        "lat": lat,
        "lon": lon,
    }
    if address is not None:
        place.update(
            street=parse.text(address, "address_1", Provider.street),
            postcode=parse.text(address, "postal_code", Provider.postcode),
            city=parse.text(address, "city", Provider.city),
        )
    return place


def _check_phones(work: _Work, provider_of: dict[str, str]) -> None:
    """The first phone of an organisation is the provider's; the others are kept."""
    phoned: set[str] = set()
    for row in work.package.rows["phone"]:
        organization = row.get("organization_id")
        if organization not in provider_of or organization in phoned:
            continue  # kept as a row of its organisation, location or service
        phoned.add(organization)
        pid = provider_of[organization]
        work.wanted.providers[pid]["phone"] = work.parse.text(row, "number", Provider.phone)
        work.kept["provider", pid].fields["phone"] = _unmodelled("phone", row)
        work.package.used.add(("phone", row.id))


SERVICE_STATUSES = ("active", "inactive", "defunct", "temporarily closed")


def _check_services(work: _Work, provider_of: dict[str, str]) -> dict[str, str]:
    """Services (their category comes after); service UUID -> our id."""
    package, parse = work.package, work.parse
    service_of: dict[str, str] = {}
    first_line: dict[str, int] = {}
    defaulted_start = 0
    for row in package.by_id("service").values():
        sid = _natural_id(work, row, Service.id, "Leistungs-ID", first_line)
        if sid is None:
            continue
        service_of[row.id] = sid
        status = row.get("status")
        if status and status not in SERVICE_STATUSES:
            package.problem(
                row,
                "status",
                status,
                "Erlaubt sind active, inactive, defunct und temporarily closed.",
            )
        active_from, active_to = _service_period(work, row)
        if active_from is None and not row.get("teilhabe_active_from") and not package.own:
            active_from = DEFAULT_ACTIVE_FROM
            defaulted_start += 1
        work.kept["service", sid].fields["service"] = _unmodelled("service", row)
        work.wanted.services[sid] = {
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
    return service_of


def _service_period(work: _Work, row: _Row) -> tuple[dt.date | None, dt.date | None]:
    active_from = work.parse.date(row, "teilhabe_active_from")
    active_to = work.parse.date(row, "teilhabe_active_to")
    if active_from and active_to and active_to < active_from:
        work.package.problem(
            row,
            "teilhabe_active_to",
            row.get("teilhabe_active_to"),
            "Das Ende liegt vor dem Beginn.",
        )
    return active_from, active_to


def _check_categories(
    work: _Work,
    service_of: dict[str, str],
    categories: dict[str, str],
    own_terms: set[str],
    category_map: CategoryMap | None,
) -> None:
    """Each service has one category: its link to one of ours, else (a foreign package) from
    the category map; a foreign service without one is listed and not imported."""
    package = work.package
    services = package.by_id("service")
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
        row = services[service]
        if len(links) == 1:
            work.wanted.services[sid]["category_code"] = categories[
                links[0].get("taxonomy_term_id")
            ]
        elif len(links) > 1:
            lines = ", ".join(str(r.line) for r in links)
            package.problem(
                row,
                "id",
                service,
                "Die Leistung hat mehrere Leistungskategorien "
                f"({package.file('attribute')}, Zeilen {lines}).",
            )
        elif not _map_category(work, row, sid, foreign_rows.get(service, []), category_map):
            unmapped.append(row)
    for row in unmapped:
        _leave_out(work, row, service_of.pop(row.id), foreign_rows.get(row.id, []))


def _map_category(
    work: _Work, row: _Row, sid: str, links: list[_Row], category_map: CategoryMap | None
) -> bool:
    """A service without a link to one of our categories: its category from the category map
    (the first of several, with a warning). False: none, and the service is to be left out (in
    our own package that is a problem instead)."""
    package = work.package
    terms = package.by_id("taxonomy_term")
    mapped: list[str] = []
    for link in links:
        term = terms.get(link.get("taxonomy_term_id"))
        if category_map is None or term is None:
            continue
        category = category_map.category_of(term)
        if category and category not in mapped:
            mapped.append(category)
    if mapped:
        work.wanted.services[sid]["category_code"] = mapped[0]
        if len(mapped) > 1:
            package.warn(
                row,
                "id",
                row.id,
                f"Mehrere Kategorien nach der Zuordnung ({', '.join(mapped)}); "
                f"übernommen: {mapped[0]}.",
            )
        return True
    if package.own:
        package.problem(
            row,
            "id",
            row.id,
            f"Die Leistung hat keine Leistungskategorie in {package.file('attribute')}.",
        )
        return True
    return False


def _leave_out(work: _Work, row: _Row, sid: str, links: list[_Row]) -> None:
    """A foreign service without a category is not imported; the warning names its terms."""
    del work.wanted.services[sid]
    work.kept.pop(("service", sid), None)
    terms = work.package.by_id("taxonomy_term")
    names = ", ".join(
        term.get("name") or term.get("code") or term.id
        for link in links
        if (term := terms.get(link.get("taxonomy_term_id"))) is not None
    )
    work.package.warn(
        row,
        "id",
        row.id,
        f"Leistung „{row.get('name')}“ nicht übernommen: keine Leistungskategorie zuzuordnen"
        + (f" (Begriffe: {names})" if names else " (keine Taxonomiebegriffe)")
        + "; bitte in der Kategorienzuordnung (--category-map) ergänzen.",
    )


def _check_service_locations(package: _Package, provider_of: dict[str, str]) -> None:
    """A service is offered only at locations of its own organisation."""
    services, locations = package.by_id("service"), package.by_id("location")
    for row in package.rows["service_at_location"]:
        service = services.get(row.get("service_id"))
        location = locations.get(row.get("location_id"))
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


def _check_service_areas(work: _Work, service_of: dict[str, str]) -> None:
    """A municipality per text row (its AGS, or its name, in ``extent``), each at most once per
    service; a GeoJSON extent gives the municipalities it covers part of. A GeoJSON or text
    area that names no municipality is kept as it is (and written back) and reported."""
    package = work.package
    area_line: dict[tuple[str, str], int] = {}
    for row in package.rows["service_area"]:
        sid = service_of.get(row.get("service_id"))
        agses = _area_municipalities(work, row, sid)
        if sid is None or agses is None:
            continue
        package.used.add(("service_area", row.id))
        for ags in agses:
            if (sid, ags) not in area_line:
                area_line[sid, ags] = row.line
                work.wanted.service_areas.add((sid, ags))
            elif row.get("extent_type").lower() != "geojson":
                package.problem(
                    row,
                    "extent",
                    row.get("extent"),
                    "Die Gemeinde ist für diese Leistung schon eingetragen "
                    f"(Zeile {area_line[sid, ags]}).",
                )


def _area_municipalities(work: _Work, row: _Row, sid: str | None) -> list[str] | None:
    """The municipalities of one service area row; None when it names none (reported, or kept
    as it is)."""
    package, municipalities = work.package, work.catalogues.municipalities
    extent, kind = row.get("extent"), row.get("extent_type").lower()
    if kind not in ("", "text", "geojson"):
        package.problem(
            row,
            "extent_type",
            row.get("extent_type"),
            "Unterstützt werden text (AGS oder Name der Gemeinde) und geojson.",
        )
        return None
    if kind == "geojson":
        return _geojson_area(work, row, sid)
    if extent in municipalities:
        return [extent]
    if package.own and extent:
        package.problem(row, "extent", extent, "Unbekannte Gemeinde (AGS nicht in der Datenbank).")
        return None
    by_name = {name.casefold(): ags for ags, name in municipalities.items()}
    named = by_name.get(extent.casefold()) or by_name.get(row.get("name").casefold())
    if named is not None:
        return [named]
    if sid is not None:
        _keep_area(work, row, sid)
        package.warn(
            row,
            "extent",
            extent,
            "Keine Gemeinde der Datenbank; das Gebiet wird unverändert aufbewahrt.",
        )
    return None


def _geojson_area(work: _Work, row: _Row, sid: str | None) -> list[str] | None:
    """The municipalities a GeoJSON area covers part of; the area itself is kept as it is."""
    found = _geojson_municipalities(work.package, row, work.boundaries)
    if found is None or sid is None:
        return found  # None: reported
    _keep_area(work, row, sid)
    if not found:
        work.package.warn(
            row,
            "extent",
            None,
            "Das Gebiet (GeoJSON) überschneidet keine Gemeinde der Datenbank; es wird "
            "unverändert aufbewahrt, die Leistung hat dadurch kein Versorgungsgebiet.",
        )
    return found


def _keep_area(work: _Work, row: _Row, sid: str) -> None:
    work.kept["service", sid].rows["service_area"].append(
        {k: v for k, v in row.values.items() if v}
    )
    work.package.used.add(("service_area", row.id))


def _geojson_municipalities(
    package: _Package, row: _Row, boundaries: Boundaries
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
