"""Reading an official boundary file for the map (BKG VG250 as Shapefile or GeoPackage in
EPSG:25832, or GeoJSON in WGS84) and checking it: its layer, fields, CRS, AGS values, geometry
sizes and coordinates, names; every problem is a ``BoundaryFileError`` with one German sentence.
The result is one simplified (Multi)Polygon per AGS in WGS84 (``read_boundary_file``).
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from teilhabe.exchange.safe_paths import UnusablePath, check_file, shown_path

METRIC_CRS = "EPSG:25832"  # ETRS89 / UTM zone 32N, the CRS of BKG VG250
WGS84 = "EPSG:4326"
_GEOJSON_DRIVERS = {"GeoJSON", "GeoJSONSeq"}
SIMPLIFY_TOLERANCE_M = 30.0  # official boundaries, for the web (VG250 is 1:250,000 anyway)
LAND_AREAS = (3, 4)  # VG250 field GF: 1/2 = water areas, 3/4 = land areas
_MAX_LISTED = 8
# Limits against hostile files: VG250's largest municipality has some 10,000 vertices, all of
# Germany a few million; far more is refused before the slow geometry work starts.
MAX_VERTICES_PER_MUNICIPALITY = 1_000_000
MAX_VERTICES = 30_000_000
MAX_NAME_CHARS = 120  # the length of municipality.name


class BoundaryFileError(ValueError):
    """A boundary file that cannot be used; the message is one German sentence for the user."""


# --- Reading official boundary files -----------------------------------------------------------


def read_boundary_file(
    path: str | Path, layer: str | None = None, district: str | None = None
) -> gpd.GeoDataFrame:
    """The municipalities of a boundary file: columns ags, name, geometry (EPSG:4326), one
    (Multi)Polygon per AGS, sorted by AGS, simplified for the web.

    Accepted: BKG VG250 as Shapefile or GeoPackage (layer e.g. ``VG250_GEM``, EPSG:25832,
    fields AGS, GEN, GF) and GeoJSON in WGS84 (field AGS, optional GEN and GF). Field names are
    case-insensitive. Only land areas (GF 3 and 4) are kept where GF is present; the parts of
    one AGS are dissolved. ``district`` (5-digit key) keeps the AGS that start with it.
    Raises ``BoundaryFileError`` with a German message for every problem.
    """
    return _read(Path(path), layer, district)[0]


def _read(path: Path, layer: str | None, district: str | None) -> tuple[gpd.GeoDataFrame, str, str]:
    """``read_boundary_file`` plus the layer read and the GDAL driver of the file."""
    if district is not None and not re.fullmatch(r"\d{5}", district):
        raise BoundaryFileError(
            f"Der Kreisschlüssel „{district}“ ist ungültig: erwartet werden 5 Ziffern, z. B. 08135."
        )
    try:
        check_file(path)
    except UnusablePath as error:
        raise BoundaryFileError(str(error)) from None
    with warnings.catch_warnings():  # GDAL's and GEOS' warnings: the checks below report
        warnings.simplefilter("ignore", RuntimeWarning)
        return _read_checked(path, layer, district)


def _read_checked(
    path: Path, layer: str | None, district: str | None
) -> tuple[gpd.GeoDataFrame, str, str]:
    name, several = _layer(path, layer)
    where = f"Datei „{shown_path(path)}“" + (f" (Ebene „{name}“)" if several or layer else "")
    try:
        info = pyogrio.read_info(path, layer=name)
    except Exception as error:
        raise _unreadable(path) from error
    driver = info.get("driver") or ""
    geojson = driver in _GEOJSON_DRIVERS
    fields = _fields(info, where, geojson)
    _check_crs(info.get("crs"), where, geojson)

    columns = [f for f in (fields["AGS"], fields.get("GEN"), fields.get("GF")) if f]
    ags_is_text = dict(zip(info["fields"], info["dtypes"], strict=True))[fields["AGS"]] == "object"
    filter_sql = None
    if district is not None and ags_is_text:  # let GDAL skip the rest of Germany
        filter_sql = f"\"{fields['AGS']}\" LIKE '{district}%'"
    try:
        frame = gpd.read_file(path, layer=name, columns=columns, where=filter_sql, engine="pyogrio")
    except Exception as error:
        raise _unreadable(path) from error
    if frame.crs is None:  # as read_info said; repeated for files whose CRS the reader drops
        _check_crs(None, where, geojson)

    frame = _checked_frame(frame, fields, where, district, geojson)
    source_crs = WGS84 if geojson else METRIC_CRS
    geometry = gpd.GeoSeries(frame["geometry"].to_numpy(), crs=source_crs).to_crs(METRIC_CRS)
    valid = [_polygonal(g) for g in geometry.make_valid()]
    parts = gpd.GeoDataFrame(
        {"ags": frame["ags"].to_numpy(), "name": frame["name"].to_numpy()},
        geometry=valid,
        crs=METRIC_CRS,
    )
    parts = parts[~parts.geometry.is_empty]
    without_area = sorted(set(frame["ags"]) - set(parts["ags"]))
    if without_area:
        raise BoundaryFileError(
            f"Die {where} enthält für {_listing(without_area)} keine Fläche (die Umringe "
            "schließen keine Fläche ein)."
        )
    dissolved = parts.dissolve(by="ags", aggfunc={"name": "first"}, sort=True).reset_index()
    simplified = _simplify(dissolved.geometry)
    result = gpd.GeoDataFrame(
        {
            "ags": dissolved["ags"].astype(str).to_numpy(),
            "name": [_text(v) for v in dissolved["name"]],
        },
        geometry=simplified.to_numpy(),
        crs=METRIC_CRS,
    ).to_crs(WGS84)
    return result, name, driver


def _checked_frame(
    frame: gpd.GeoDataFrame,
    fields: dict[str, str],
    where: str,
    district: str | None,
    geojson: bool,
) -> pd.DataFrame:
    """The land areas of the file (of the district) as columns ags, name, gf, geometry, checked:
    AGS values, kinds of geometry, their sizes and coordinates, names."""
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    frame = pd.DataFrame(
        {
            "ags": _ags_values(frame[fields["AGS"]], where),
            "name": frame[fields["GEN"]].map(_text) if "GEN" in fields else None,
            "gf": pd.to_numeric(frame[fields["GF"]], errors="coerce") if "GF" in fields else 4,
            "geometry": frame.geometry.to_numpy(),
        }
    )
    if district is not None:
        frame = frame[frame["ags"].str.startswith(district)]
        if frame.empty:
            raise BoundaryFileError(
                f"Die {where} enthält keine Gemeinde des Kreises {district} "
                f"(kein AGS beginnt mit {district})."
            )
    frame = frame[frame["gf"].isin(LAND_AREAS)]
    if frame.empty:
        raise BoundaryFileError(
            f"Die {where} enthält keine Landflächen (Feld GF mit Wert 3 oder 4); "
            "Gewässerflächen (GF 1 und 2) werden nicht übernommen."
        )
    kinds = set(shapely.get_type_id(frame["geometry"].to_numpy()))
    if not kinds <= {3, 6}:  # Polygon, MultiPolygon
        found = sorted({g.geom_type for g in frame["geometry"]})
        raise BoundaryFileError(
            f"Die {where} enthält keine Flächen, sondern Geometrien vom Typ {', '.join(found)}."
        )
    _check_geometries(frame, where, geojson)
    long_names = sorted({n for n in frame["name"].dropna() if len(n) > MAX_NAME_CHARS})
    if long_names:
        raise BoundaryFileError(
            f"Die {where} enthält Gemeindenamen (Feld GEN) mit mehr als {MAX_NAME_CHARS} "
            f"Zeichen: {_listing(_short(n) for n in long_names)}."
        )
    return frame


def _check_geometries(frame: pd.DataFrame, where: str, geojson: bool) -> None:
    """Refuse geometries far too large for boundaries and coordinates outside the world
    (NaN, infinite, beyond ±180°/±90°) before the geometry work; raises ``BoundaryFileError``."""
    geometries = frame["geometry"].to_numpy()
    vertices = shapely.get_num_coordinates(geometries)
    too_large = frame["ags"][vertices > MAX_VERTICES_PER_MUNICIPALITY]
    if len(too_large):
        raise BoundaryFileError(
            f"Die {where} enthält Flächen mit mehr als {_count(MAX_VERTICES_PER_MUNICIPALITY)} "
            f"Eckpunkten ({_listing(sorted(set(too_large)))}); so fein ist keine amtliche "
            "Gemeindegrenze."
        )
    if vertices.sum() > MAX_VERTICES:
        raise BoundaryFileError(
            f"Die {where} enthält {_count(int(vertices.sum()))} Eckpunkte, mehr als "
            f"{_count(MAX_VERTICES)}; bitte mit --district oder einer kleineren Datei."
        )
    coordinates, index = shapely.get_coordinates(geometries, return_index=True)
    if geojson:
        lon, lat = coordinates[:, 0], coordinates[:, 1]
    else:
        with np.errstate(all="ignore"):
            lon, lat = _transformer(METRIC_CRS, WGS84).transform(
                coordinates[:, 0], coordinates[:, 1]
            )
    with np.errstate(invalid="ignore"):
        outside = ~((np.abs(lon) <= 180) & (np.abs(lat) <= 90))  # also NaN and infinity
    if outside.any():
        bad = sorted(set(frame["ags"].to_numpy()[index[outside]]))
        expected = "in WGS 84" if geojson else "in EPSG:25832"
        raise BoundaryFileError(
            f"Die {where} enthält Koordinaten außerhalb der Erde (ungültig {expected}) bei "
            f"{_listing(bad)}."
        )


def _count(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(value: object) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def _layer(path: Path, layer: str | None) -> tuple[str, bool]:
    """The layer to read, and whether the file has several."""
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as error:
        raise _unreadable(path) from error
    if not layers:
        raise BoundaryFileError(
            f"Die Datei „{shown_path(path)}“ enthält keine Ebenen mit Geodaten."
        )
    if layer is None:
        if len(layers) == 1:
            return layers[0], False
        # a VG250 file holds several layers; its municipalities are VG250_GEM
        municipalities = next((n for n in layers if n.upper() == "VG250_GEM"), None)
        if municipalities is not None:
            return municipalities, True
        raise BoundaryFileError(
            f"Die Datei „{shown_path(path)}“ enthält mehrere Ebenen ({_listing(layers)}); "
            "bitte eine mit --layer angeben."
        )
    if layer in layers:
        return layer, len(layers) > 1
    matches = [n for n in layers if n.casefold() == layer.casefold()]
    if len(matches) == 1:
        return matches[0], len(layers) > 1
    raise BoundaryFileError(
        f"Die Ebene „{layer}“ gibt es in der Datei „{shown_path(path)}“ nicht; "
        f"vorhanden: {_listing(layers)}."
    )


def _fields(info: dict, where: str, geojson: bool) -> dict[str, str]:
    """Upper-case field name (AGS, GEN, GF) -> the file's spelling; raises if one is missing."""
    by_upper: dict[str, str] = {}
    for field in info["fields"]:
        by_upper.setdefault(str(field).upper(), str(field))
    required = ("AGS",) if geojson else ("AGS", "GEN", "GF")
    missing = [f for f in required if f not in by_upper]
    if missing:
        meaning = {"AGS": "Gemeindeschlüssel", "GEN": "Gemeindename", "GF": "Geofaktor"}
        named = [f"{f} ({meaning[f]})" for f in missing]
        described = " und ".join([", ".join(named[:-1]), named[-1]] if len(named) > 1 else named)
        present = _listing([str(f) for f in info["fields"]]) if len(info["fields"]) else "keine"
        verb = "fehlt das Feld" if len(missing) == 1 else "fehlen die Felder"
        raise BoundaryFileError(f"In der {where} {verb} {described}; vorhandene Felder: {present}.")
    return {f: by_upper[f] for f in ("AGS", "GEN", "GF") if f in by_upper}


def _check_crs(found: str | None, where: str, geojson: bool) -> None:
    expected = "EPSG:4326 (WGS 84)" if geojson else "EPSG:25832 (ETRS89 / UTM Zone 32N)"
    if not found:
        raise BoundaryFileError(
            f"Die {where} hat kein Koordinatenreferenzsystem; erwartet wird {expected}."
        )
    try:
        crs = CRS.from_user_input(found)
    except CRSError:
        raise BoundaryFileError(
            f"Das Koordinatenreferenzsystem der {where} ist unbekannt; erwartet wird {expected}."
        ) from None
    wanted = [CRS.from_user_input(WGS84), CRS.from_user_input("OGC:CRS84")] if geojson else []
    wanted = wanted or [CRS.from_user_input(METRIC_CRS)]
    if not any(crs.equals(w, ignore_axis_order=True) for w in wanted):
        epsg = crs.to_epsg(min_confidence=70)
        described = f"EPSG:{epsg} ({crs.name})" if epsg else crs.name
        raise BoundaryFileError(
            f"Die {where} liegt im Koordinatenreferenzsystem {described} vor; "
            f"erwartet wird {expected}" + ("." if geojson else ", wie in den BKG-Daten VG250.")
        )


def _ags_values(values: pd.Series, where: str) -> pd.Series:
    """The AGS as strings; raises unless every value has exactly 8 digits."""
    if pd.api.types.is_float_dtype(values):  # e.g. GeoJSON numbers: leading zeros are lost
        text = values.map(
            lambda v: (
                None if pd.isna(v) else str(int(v)) if np.isfinite(v) and v == int(v) else str(v)
            )
        )
    else:
        text = values.map(lambda v: None if pd.isna(v) else str(v).strip())
    valid = text.map(lambda v: v is not None and re.fullmatch(r"\d{8}", v) is not None)
    if not valid.all():
        bad = sorted({"(leer)" if v is None else v for v in text[~valid]})
        raise BoundaryFileError(
            f"Die {where} enthält ungültige Werte im Feld AGS (erwartet werden 8 Ziffern, "
            f"z. B. 08135019): {_listing(bad)}."
        )
    return text.astype(str)


def _simplify(geometry: gpd.GeoSeries) -> gpd.GeoSeries:
    """Simplify for the web; neighbours keep common edges where the input is a clean coverage."""
    if geometry.is_valid_coverage():
        simplified = geometry.simplify_coverage(SIMPLIFY_TOLERANCE_M)
    else:
        simplified = geometry.simplify(SIMPLIFY_TOLERANCE_M, preserve_topology=True)
    return gpd.GeoSeries(
        [_polygonal(g if g.is_valid else shapely.make_valid(g)) for g in simplified],
        crs=geometry.crs,
    )


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    """Only the areas of a geometry: a Polygon or a MultiPolygon."""
    polygons = _polygons(geometry)
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def _polygons(geometry: shapely.Geometry) -> list[shapely.Polygon]:
    if geometry.is_empty:
        return []
    if geometry.geom_type == "Polygon":
        return [geometry]
    if geometry.geom_type in {"MultiPolygon", "GeometryCollection"}:
        return [p for part in shapely.get_parts(geometry) for p in _polygons(part)]
    return []


def _unreadable(path: Path) -> BoundaryFileError:
    return BoundaryFileError(
        f"Die Datei „{shown_path(path)}“ lässt sich nicht lesen; erwartet wird ein Shapefile, ein "
        "GeoPackage oder eine GeoJSON-Datei."
    )


def _listing(values: Iterable[str]) -> str:
    values = list(values)
    shown = ", ".join(values[:_MAX_LISTED])
    return shown + (
        f" und {len(values) - _MAX_LISTED} weitere" if len(values) > _MAX_LISTED else ""
    )


@functools.cache
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)
