"""Municipality boundaries for the district map: schematic ones for the demo, official ones from
a file the user supplies (BKG VG250), stored as GeoJSON geometry in WGS84.

* ``schematic_boundaries`` derives clearly labelled schematic polygons from the town centres:
  the Voronoi cells of the centres of each district, clipped to a rounded outline around them.
* ``read_boundary_file`` reads and checks a VG250 Shapefile/GeoPackage (EPSG:25832) or a GeoJSON
  file (WGS84); every problem is a ``BoundaryFileError`` with one German sentence.
* ``import_boundaries`` writes the boundaries of a file into the database in one transaction
  (refused while a name in the file differs from the stored name of the same AGS, unless the
  file's names are accepted); an import that changes something sets a new data version.
  ``load_boundaries`` reads what is stored.
* ``official_rows`` turns a boundary file into rows of the table (the demo stores the real 2013
  boundaries of Landkreis Heidenheim with it); ``attribution`` gives the copyright line of what
  the map shows.

Geometry work (Voronoi, clipping, simplifying) happens in the metric ETRS89 / UTM zone 32N
(EPSG:25832), the CRS of the official data; only the stored result is in WGS84.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import unicodedata
import warnings
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import polars as pl
import pyogrio
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from sqlalchemy import Engine, delete, insert, select, update

from data_access.auth import DATA_STEWARD, Actor, require_role
from data_access.models import Municipality, MunicipalityBoundary
from data_access.store import new_data_version
from teilhabe.exchange.core import record_import
from teilhabe.exchange.safe_paths import UnusablePath, check_file, shown_path

METRIC_CRS = "EPSG:25832"  # ETRS89 / UTM zone 32N, the CRS of BKG VG250
WGS84 = "EPSG:4326"
COORDINATE_DECIMALS = 5  # about one metre
SIMPLIFY_TOLERANCE_M = 30.0  # official boundaries, for the web (VG250 is 1:250,000 anyway)
LAND_AREAS = (3, 4)  # VG250 field GF: 1/2 = water areas, 3/4 = land areas
SCHEMATIC_SOURCE = "schematisch aus den Ortsmittelpunkten (Demodaten)"
BKG_COPYRIGHT = "© GeoBasis-DE / BKG"
SOURCE_SEPARATOR = " · "  # a stored source is "<what> · <attribution>"
SCHEMATIC_MARGIN_M = 5_500.0  # the district outline: the centres' convex hull plus this margin
SCHEMATIC_SIMPLIFY_M = 100.0
BOUNDARY_COLUMNS = ("ags", "geometry_geojson", "source", "schematic")
_GEOJSON_DRIVERS = {"GeoJSON", "GeoJSONSeq"}
_MAX_LISTED = 8
# Limits against hostile files: VG250's largest municipality has some 10,000 vertices, all of
# Germany a few million; far more is refused before the slow geometry work starts.
MAX_VERTICES_PER_MUNICIPALITY = 1_000_000
MAX_VERTICES = 30_000_000
MAX_NAME_CHARS = 120  # the length of municipality.name


class BoundaryFileError(ValueError):
    """A boundary file that cannot be used; the message is one German sentence for the user."""


# --- Schematic boundaries (demo) ---------------------------------------------------------------


def schematic_boundaries(municipalities: pl.DataFrame) -> pl.DataFrame:
    """Schematic boundary polygons from the town centres (``ags``, ``district_key``, ``lat``,
    ``lon`` in WGS84), one row per municipality in input order.

    Per district: the Voronoi cells of the centres, computed in EPSG:25832 and clipped to the
    convex hull of the centres widened by ``SCHEMATIC_MARGIN_M`` with rounded corners. The
    outline is simplified before clipping, so neighbouring cells keep identical shared edges.
    Deterministic: the same input gives identical GeoJSON text.
    """
    missing = [c for c in ("ags", "district_key", "lat", "lon") if c not in municipalities.columns]
    if missing:
        raise ValueError(f"Für schematische Grenzen fehlen die Spalten: {', '.join(missing)}")
    frame = municipalities.select("ags", "district_key", "lat", "lon").with_row_index("_row")
    if frame.select(pl.col("lat", "lon").is_null().any()).row(0) != (False, False):
        raise ValueError("Für schematische Grenzen braucht jede Gemeinde einen Ortsmittelpunkt.")
    to_metric = _transformer(WGS84, METRIC_CRS)
    rows: list[int] = []
    cells: list[shapely.Geometry] = []
    for (district,), part in frame.group_by("district_key", maintain_order=True):
        x, y = to_metric.transform(part["lon"].to_numpy(), part["lat"].to_numpy())
        centres = np.column_stack([x, y])
        if len(np.unique(centres, axis=0)) < len(centres):
            raise ValueError(
                f"Im Kreis {district} haben mehrere Gemeinden denselben Ortsmittelpunkt; "
                "schematische Grenzen sind so nicht eindeutig."
            )
        cells.extend(_voronoi_cells(centres))
        rows.extend(part["_row"].to_list())
    order = np.argsort(rows)
    geometries = _to_wgs84(np.asarray(cells, dtype=object)[order])
    return pl.DataFrame(
        {
            "ags": frame["ags"],
            "geometry_geojson": geojson_texts(geometries),
            "source": [SCHEMATIC_SOURCE] * frame.height,
            "schematic": [True] * frame.height,
        },
        schema={
            "ags": pl.String,
            "geometry_geojson": pl.String,
            "source": pl.String,
            "schematic": pl.Boolean,
        },
    )


def _voronoi_cells(centres: np.ndarray) -> list[shapely.Geometry]:
    """The clipped Voronoi cell of every centre (metric coordinates), in the centres' order."""
    points = shapely.multipoints(centres)
    outline = shapely.convex_hull(points).buffer(SCHEMATIC_MARGIN_M, quad_segs=8)
    outline = shapely.simplify(outline, SCHEMATIC_SIMPLIFY_M)
    if len(centres) == 1:
        return [outline]
    diagram = shapely.voronoi_polygons(points, extend_to=outline, ordered=True)
    return list(shapely.intersection(shapely.get_parts(diagram), outline))


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


# --- Writing and reading the database ----------------------------------------------------------


def bkg_attribution(year: int | None = None) -> str:
    """The attribution BKG data ask for; "Daten verändert" because we simplify the geometry."""
    return f"{BKG_COPYRIGHT}{f' {year}' if year else ''} (Daten verändert)"


def official_rows(boundaries: gpd.GeoDataFrame, source: str, attribution: str) -> pl.DataFrame:
    """Rows of ``municipality_boundary`` for boundaries read by ``read_boundary_file``."""
    return pl.DataFrame(
        {
            "ags": boundaries["ags"].astype(str).tolist(),
            "geometry_geojson": geojson_texts(boundaries.geometry.to_numpy()),
            "source": [_source_text(source, attribution)] * len(boundaries),
            "schematic": [False] * len(boundaries),
        },
        schema={
            "ags": pl.String,
            "geometry_geojson": pl.String,
            "source": pl.String,
            "schematic": pl.Boolean,
        },
    )


def _source_text(source: str, attribution: str) -> str:
    text = f"{source}{SOURCE_SEPARATOR}{attribution}"
    return text if len(text) <= 200 else text[:199] + "…"


def attribution(sources: Iterable[str]) -> str:
    """The copyright line(s) of the stored ``source`` values (their part after " · "), e.g.
    "© GeoBasis-DE / BKG 2013 (Daten verändert)"; empty for schematic boundaries only."""
    lines = {
        source.split(SOURCE_SEPARATOR, 1)[1]
        for source in sources
        if source and SOURCE_SEPARATOR in source
    }
    return "; ".join(sorted(lines))


def _same_name(a: str | None, b: str | None) -> bool:
    def norm(text: str | None) -> str:
        return " ".join(unicodedata.normalize("NFC", text or "").split())

    return norm(a) == norm(b)


class BoundaryImportRefused(BoundaryFileError):
    """The file is readable but does not fit the database (e.g. names differ); ``problems``
    lists every reason, one German sentence each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(" ".join(problems))


def import_boundaries(
    engine: Engine,
    path: str | Path,
    layer: str | None = None,
    district: str | None = None,
    *,
    actor: Actor,
    accept_names: bool = False,
    year: int | None = None,
) -> dict[str, object]:
    """Store the official boundaries of a file, replacing those of the same AGS; all or nothing.

    ``actor`` needs the role ``datenverantwortung`` (else ``PermissionDenied``, nothing read).

    The file is read and checked completely first. AGS that are not in the municipality table
    are skipped; if none is known, ``BoundaryFileError`` is raised and nothing changes. A name
    in the file (GEN) that differs from the stored name of the same AGS is a problem: the import
    is refused (``BoundaryImportRefused`` listing every one) unless ``accept_names``, which
    takes the file's names into the municipality table. An import that changes boundaries or
    names is logged (``import_log``) and sets a new data version, so a running app shows it.
    ``year`` is the edition of the file for the attribution ("© GeoBasis-DE / BKG 2024 (Daten
    verändert)").

    Returns a report: file, layer, source, ``imported`` (count), ``imported_ags``,
    ``skipped_ags`` (not in the database), ``without_official_boundary`` (municipalities
    of the database that still have no official boundary), ``renamed`` ([ags, old, new]),
    ``added``/``updated``/``unchanged`` (boundaries) and ``data_version`` (None if nothing
    changed).
    """
    require_role(actor, DATA_STEWARD, "Der Import von Gemeindegrenzen")
    path = Path(path)
    boundaries, layer_name, driver = _read(path, layer, district)
    kind = "GeoJSON-Datei" if driver in _GEOJSON_DRIVERS else "BKG VG250"
    source = f"{kind} ({path.name})"
    table = official_rows(boundaries, source, bkg_attribution(year))
    file_names = dict(zip(boundaries["ags"], boundaries["name"], strict=True))
    with engine.begin() as connection:
        stored_names = dict(connection.execute(select(Municipality.ags, Municipality.name)).all())
        known = set(stored_names)
        rows = [row for row in table.iter_rows(named=True) if row["ags"] in known]
        skipped = sorted(set(boundaries["ags"]) - known)
        if not rows:
            raise BoundaryFileError(
                f"Keine der {len(skipped)} Gemeinden der Datei „{shown_path(path)}“ ist in der "
                f"Datenbank (z. B. {_listing(skipped[:3])}); es wurde nichts übernommen."
            )
        imported = [row["ags"] for row in rows]
        renamed = [
            [ags, stored_names[ags], file_names[ags]]
            for ags in imported
            if file_names.get(ags) is not None
            and not _same_name(file_names[ags], stored_names[ags])
        ]
        if renamed and not accept_names:
            raise BoundaryImportRefused(
                [
                    f"Der Gemeindename passt nicht zum Schlüssel: {ags} heißt in der Datei "
                    f"„{new}“, in der Datenbank „{old}“."
                    for ags, old, new in renamed
                ]
                + [
                    "Es wurde nichts übernommen. Stimmen die Schlüssel, die Namen der Datei mit "
                    "--accept-names übernehmen; sonst die Gemeinden der Datenbank berichtigen."
                ]
            )
        boundary = MunicipalityBoundary.__table__
        before = {
            r.ags: (r.geometry_geojson, r.source, bool(r.schematic))
            for r in connection.execute(select(boundary)).all()
        }
        added = sum(1 for row in rows if row["ags"] not in before)
        unchanged = sum(
            1
            for row in rows
            if before.get(row["ags"]) == (row["geometry_geojson"], row["source"], False)
        )
        updated = len(rows) - added - unchanged
        for chunk in _chunks(imported, 1000):
            connection.execute(delete(boundary).where(boundary.c.ags.in_(chunk)))
        connection.execute(insert(boundary), rows)
        for ags, _old, new in renamed:
            connection.execute(update(Municipality).where(Municipality.ags == ags).values(name=new))
        official = set(
            connection.execute(
                select(MunicipalityBoundary.ags).where(MunicipalityBoundary.schematic.is_(False))
            ).scalars()
        )
        version = None
        if added or updated or renamed:
            version = _new_version(
                connection, path, added, updated + len(renamed), unchanged, actor
            )
    return {
        "file": str(path),
        "layer": layer_name,
        "source": rows[0]["source"],
        "imported": len(rows),
        "imported_ags": imported,
        "skipped_ags": skipped,
        "without_official_boundary": sorted(known - official),
        "renamed": renamed,
        "added": added,
        "updated": updated,
        "unchanged": unchanged,
        "data_version": version,
    }


def _new_version(connection, path: Path, added, updated, unchanged, actor: Actor) -> str:
    """Log the import with the acting person and give the data a new version (as table and
    HSDS imports do)."""
    digest = _file_sha256(path)
    log_id = record_import(
        connection,
        table="municipality_boundary",
        file_name=path.name,
        sha256=digest,
        counts=(added, updated, unchanged),
        actor=actor,
    )
    return new_data_version(connection, kind="boundaries", log_id=log_id, sha256=digest)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_boundaries(engine: Engine) -> gpd.GeoDataFrame:
    """The stored boundaries: columns ags, source, schematic (bool), geometry (EPSG:4326)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                MunicipalityBoundary.ags,
                MunicipalityBoundary.source,
                MunicipalityBoundary.schematic,
                MunicipalityBoundary.geometry_geojson,
            ).order_by(MunicipalityBoundary.ags)
        ).all()
    return gpd.GeoDataFrame(
        {
            "ags": pd.Series([r.ags for r in rows], dtype=object),
            "source": pd.Series([r.source for r in rows], dtype=object),
            "schematic": pd.Series([bool(r.schematic) for r in rows], dtype=bool),
        },
        geometry=shapely.from_geojson([r.geometry_geojson for r in rows]) if rows else [],
        crs=WGS84,
    )


# --- Helpers -----------------------------------------------------------------------------------


def geojson_texts(geometries: Iterable[shapely.Geometry]) -> list[str]:
    """Compact GeoJSON geometry text of WGS84 geometries, coordinates rounded to 5 decimals.

    Snapping to the 0.00001° grid first keeps the rounded polygons valid; exterior rings run
    counter-clockwise as RFC 7946 asks.
    """
    grid = 10.0**-COORDINATE_DECIMALS
    snapped = shapely.set_precision(np.asarray(list(geometries), dtype=object), grid)
    oriented = shapely.orient_polygons(snapped, exterior_cw=False)
    texts = []
    for geometry in oriented:
        mapped = shapely.geometry.mapping(_polygonal(geometry))
        coordinates = _rounded(mapped["coordinates"])
        texts.append(
            json.dumps({"type": mapped["type"], "coordinates": coordinates}, separators=(",", ":"))
        )
    return texts


def _rounded(coordinates):
    if coordinates and isinstance(coordinates[0], float | int):
        return [round(float(c), COORDINATE_DECIMALS) + 0.0 for c in coordinates[:2]]
    return [_rounded(c) for c in coordinates]


def _to_wgs84(geometries: np.ndarray) -> np.ndarray:
    to_wgs84 = _transformer(METRIC_CRS, WGS84)
    return shapely.transform(geometries, lambda x, y: to_wgs84.transform(x, y), interleaved=False)


@functools.cache
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def _chunks(values: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
