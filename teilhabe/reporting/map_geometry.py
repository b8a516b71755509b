"""Where things go on the district map: the view that fits the district, the municipalities'
centres and label points (polygons wound as plotly's geo traces want them), and the providers as
points, spread on a small ring where several share a place, with their hover text.
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from teilhabe.reporting.formatting import format_count
from teilhabe.reporting.text import html_text


def _view(geojson: dict, width: int = 900, height: int = 620) -> dict:
    """Centre and zoom that fit every feature of ``geojson`` into a map of about that size."""
    lons, lats = [], []

    def walk(coordinates) -> None:
        if isinstance(coordinates[0], int | float):
            lons.append(coordinates[0])
            lats.append(coordinates[1])
            return
        for part in coordinates:
            walk(part)

    for feature in geojson["features"]:
        walk(feature["geometry"]["coordinates"])
    if not lons:
        return {"center": {"lon": 10.0, "lat": 51.0}, "zoom": 5}
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    lon_span = max(east - west, 0.01)

    # Web Mercator: latitude span in projected units
    def mercator(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    lat_span = max(mercator(north) - mercator(south), 0.0002)
    zoom_x = math.log2(360 / lon_span * width / 512)
    zoom_y = math.log2(2 * math.pi / lat_span * height / 512)
    return {
        "center": {"lon": (west + east) / 2, "lat": (south + north) / 2},
        "zoom": max(1.0, min(zoom_x, zoom_y) - 0.45),  # a margin, and room for the note
    }


def _clockwise(geojson: dict) -> dict:
    """The features with the ring order plotly's geo traces (d3-geo) need: outer rings clockwise,
    holes anticlockwise. GeoJSON files usually follow RFC 7946 (the other way round), which d3
    reads as "the whole globe except this area"."""

    def signed_area(ring: list) -> float:
        return sum(
            x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:], strict=False)
        )

    def oriented(polygon: list) -> list:
        rings = []
        for number, ring in enumerate(polygon):
            outer = number == 0
            clockwise = signed_area(ring) < 0
            rings.append(ring if clockwise == outer else ring[::-1])
        return rings

    features = []
    for feature in geojson["features"]:
        geometry = feature["geometry"]
        if geometry["type"] == "Polygon":
            geometry = {**geometry, "coordinates": oriented(geometry["coordinates"])}
        elif geometry["type"] == "MultiPolygon":
            geometry = {**geometry, "coordinates": [oriented(p) for p in geometry["coordinates"]]}
        features.append({**feature, "geometry": geometry})
    return {**geojson, "features": features}


def _short_name(name: str) -> str:
    """A municipality's name for the map: long ones on two lines."""
    for joint in (" an der ", " am ", " im "):
        if joint in name:
            head, tail = name.split(joint, 1)
            return f"{head}<br>{joint.strip()} {tail}"
    return name


def _centres(geojson: dict) -> dict[str, tuple[float, float]]:
    """A label point per feature: the area-weighted centroid of its largest ring."""
    centres = {}
    for feature in geojson["features"]:
        geometry = feature["geometry"]
        polygons = (
            [geometry["coordinates"]]
            if geometry["type"] == "Polygon"
            else geometry["coordinates"]
            if geometry["type"] == "MultiPolygon"
            else []
        )
        best = None
        for polygon in polygons:
            ring = polygon[0]
            area = cx = cy = 0.0
            for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
                cross = x0 * y1 - x1 * y0
                area += cross
                cx += (x0 + x1) * cross
                cy += (y0 + y1) * cross
            if area and (best is None or abs(area) > best[0]):
                best = (abs(area), cx / (3 * area), cy / (3 * area))
        if best is not None:
            centres[str(feature.get("id"))] = (best[1], best[2])
    return centres


def _bounds(geojson: dict) -> tuple[tuple[float, float], tuple[float, float]]:
    """(west, south), (east, north) of the features, in degrees."""
    points = [
        point
        for feature in geojson["features"]
        for point in _points(feature["geometry"].get("coordinates", []))
    ]
    if not points:
        return (9.0, 48.0), (11.0, 49.0)
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return (min(lons), min(lats)), (max(lons), max(lats))


def _span(geojson: dict) -> float:
    """The larger side of the features' bounding box, in degrees."""
    points = [
        point
        for feature in geojson["features"]
        for point in _points(feature["geometry"].get("coordinates", []))
    ]
    if not points:
        return 0.5
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return max(max(lons) - min(lons), max(lats) - min(lats), 0.01)


def _points(coordinates) -> list:
    if coordinates and isinstance(coordinates[0], int | float):
        return [coordinates]
    return [point for part in coordinates for point in _points(part)]


def _label_points(
    centres: dict[str, tuple[float, float]], providers: pl.DataFrame, span: float
) -> dict[str, tuple[float, float]]:
    """A name moves just north of a ring of providers' dots drawn around its town centre."""
    rings = (
        providers.filter(pl.col("spread"))
        .select("ring_lon", "ring_lat", "ring_radius")
        .unique()
        .rows()
        if providers.height
        else []
    )
    moved = {}
    for code, (lon, lat) in centres.items():
        for ring_lon, ring_lat, radius in rings:
            if abs(ring_lon - lon) < radius + 0.04 * span and abs(ring_lat - lat) < radius:
                lat = ring_lat + radius + 0.006 * span
                break
        moved[code] = (lon, lat)
    return moved


def spread_points(providers: pl.DataFrame, *, span: float = 0.5) -> pl.DataFrame:
    """Providers that sit (nearly) on the same spot, moved onto a ring around it, large enough
    (relative to the map's ``span`` in degrees) for every dot to be seen.

    Adds the columns ``spread`` (True for moved points) and the ring's centre and radius;
    hover texts keep the real address.
    """
    within_km = 0.03 * span * 111.0  # dots closer than this would touch on the map
    rows = providers.to_dicts()
    groups: list[list[dict]] = []
    for row in rows:
        for members in groups:
            first = members[0]
            distance = math.hypot(
                (row["lat"] - first["lat"]) * 111.0,
                (row["lon"] - first["lon"]) * 111.0 * math.cos(math.radians(first["lat"])),
            )
            if distance <= within_km:
                members.append(row)
                break
        else:
            groups.append([row])
    result = []
    for members in groups:
        if len(members) == 1:
            single = members[0]
            ring = {
                "ring_lon": single["lon"],
                "ring_lat": single["lat"],
                "ring_radius": 0.012 * span,
            }
            result.append({**single, **ring, "spread": False})
            continue
        lat0 = sum(m["lat"] for m in members) / len(members)
        lon0 = sum(m["lon"] for m in members) / len(members)
        radius = span * (0.01 + 0.0055 * len(members))  # degrees of latitude
        for k, member in enumerate(members):
            angle = 2 * math.pi * k / len(members)
            result.append(
                {
                    **member,
                    "lat": lat0 + radius * math.sin(angle),
                    "lon": lon0 + radius * math.cos(angle) / math.cos(math.radians(lat0)),
                    "spread": True,
                    "ring_lon": lon0,
                    "ring_lat": lat0,
                    "ring_radius": radius,
                }
            )
    schema: dict[str, Any] = {
        **providers.schema,
        "spread": pl.Boolean,
        "ring_lon": pl.Float64,
        "ring_lat": pl.Float64,
        "ring_radius": pl.Float64,
    }
    return pl.DataFrame(result, schema=schema) if result else pl.DataFrame(schema=schema)


def provider_points(
    directory: pl.DataFrame, reach: pl.DataFrame, names: dict[str, str]
) -> pl.DataFrame:
    """One row per provider location for the map (a provider with several locations has a
    point at each): its first service's category as colour group, hover with name, services,
    address and reach (clients in the last 12 months, published)."""
    reached = dict(zip(reach["provider_id"].to_list(), reach["clients"].to_list(), strict=True))
    rows = []
    for (provider_id,), services in directory.group_by("provider_id", maintain_order=True):
        first = services.row(0, named=True)
        offers = "<br>".join(
            f"· {html_text(service)} ({html_text(category)})"
            for service, category in services.select("service", "category").iter_rows()
        )
        clients = reached.get(provider_id, 0)
        # the main location, then each further one (providers with several locations)
        for place in [first, *(first.get("locations") or [])]:
            if place["lat"] is None or place["lon"] is None:
                continue
            address = ", ".join(
                part
                for part in (
                    place["street"],
                    " ".join(p for p in (place["postcode"], place["city"]) if p),
                )
                if part
            )
            site = (
                f"<br>Standort: {html_text(place['name'])}"
                if place is not first and place["name"]
                else ""
            )
            rows.append(
                {
                    "provider_id": provider_id,
                    "provider": first["provider"],
                    "category": first["category"],
                    "lat": place["lat"],
                    "lon": place["lon"],
                    "hover": (
                        f"<b>{html_text(first['provider'])}</b>{site}<br>{html_text(address)}"
                        f"<br>Gemeinde: {html_text(names.get(place['municipality_ags'], ''))}"
                        f"<br>{offers}<br>Erreichte Personen (12 Monate): {format_count(clients)}"
                    ),
                }
            )
    schema = {
        "provider_id": pl.String,
        "provider": pl.String,
        "category": pl.String,
        "lat": pl.Float64,
        "lon": pl.Float64,
        "hover": pl.String,
    }
    return pl.DataFrame(rows, schema=schema).sort("category", "provider")
