"""Checking a package before anything is written (``_check_package``): the steps in order, and
the organisations with their locations, addresses and phones, which become providers (the
services and their areas are checked in ``services``).
"""

from __future__ import annotations

from collections import defaultdict

from data_access.models import (
    Provider,
    ProviderLocation,
)
from teilhabe.definitions import PROVIDER_KINDS
from teilhabe.exchange.hsds.category_map import CategoryMap
from teilhabe.exchange.hsds.directory import Boundaries, _Catalogues, _Directory
from teilhabe.exchange.hsds.export import _hsds_of
from teilhabe.exchange.hsds.links import (
    _check_references,
    _check_taxonomies,
    _keep_other_rows,
    _natural_id,
    _store_kept,
    _unmodelled,
    _Work,
)
from teilhabe.exchange.hsds.package import (
    DEFAULT_KIND,
    _Package,
    _Parser,
    _Row,
)
from teilhabe.exchange.hsds.services import (
    _check_categories,
    _check_service_areas,
    _check_service_locations,
    _check_services,
)

# --- Checking the package --------------------------------------------------------------------


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
