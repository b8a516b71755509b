"""Checking a package before anything is written: organisations, locations, services and
service areas become the directory the package describes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable

from data_access.models import (
    Provider,
    ProviderLocation,
    Service,
)
from teilhabe.definitions import PROVIDER_KINDS
from teilhabe.exchange.hsds.category_map import CategoryMap
from teilhabe.exchange.hsds.directory import _Catalogues, _Directory
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
