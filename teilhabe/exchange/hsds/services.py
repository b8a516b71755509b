"""Checking the services of a package: their ids and periods, their one category (from our
taxonomy, or in a foreign package from the category map), the locations they are offered at
and their service areas (municipalities by AGS, name or GeoJSON).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict

from data_access.models import (
    Service,
)
from teilhabe.exchange.hsds.category_map import CategoryMap
from teilhabe.exchange.hsds.directory import Boundaries
from teilhabe.exchange.hsds.links import _natural_id, _unmodelled, _Work
from teilhabe.exchange.hsds.package import (
    DEFAULT_ACTIVE_FROM,
    _Package,
    _Row,
    _short,
)
from teilhabe.exchange.safe_paths import (
    load_json,
)

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
