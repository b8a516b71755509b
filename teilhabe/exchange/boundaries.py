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

import hashlib
import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import polars as pl
import shapely
from sqlalchemy import Connection, Engine, delete, insert, select, update

from data_access.auth import DATA_STEWARD, Actor, require_role
from data_access.models import Municipality, MunicipalityBoundary
from data_access.store import new_data_version
from teilhabe.exchange.boundary_files import (
    _GEOJSON_DRIVERS,
    METRIC_CRS,
    WGS84,
    BoundaryFileError,
    _listing,
    _polygonal,
    _read,
    _transformer,
    read_boundary_file,
)
from teilhabe.exchange.core import record_import
from teilhabe.exchange.report import Counts, ImportReport, Problem
from teilhabe.exchange.safe_paths import shown_path
from teilhabe.exchange.specs import table_of

__all__ = ["BoundaryFileError", "read_boundary_file"]  # also part of this module's interface

COORDINATE_DECIMALS = 5  # about one metre
SCHEMATIC_SOURCE = "schematisch aus den Ortsmittelpunkten (Demodaten)"
BKG_COPYRIGHT = "© GeoBasis-DE / BKG"
SOURCE_SEPARATOR = " · "  # a stored source is "<what> · <attribution>"
SCHEMATIC_MARGIN_M = 5_500.0  # the district outline: the centres' convex hull plus this margin
SCHEMATIC_SIMPLIFY_M = 100.0
BOUNDARY_COLUMNS = ("ags", "geometry_geojson", "source", "schematic")


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
    lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(" ".join(p.message for p in problems))


BOUNDARY_TABLE = "municipality_boundary"


@dataclass(kw_only=True)
class BoundaryImportReport(ImportReport):
    """The report of a boundary import: the general report (counts of boundaries) plus the
    layer read, the stored source text, the AGS imported and skipped (not in the database),
    the municipalities still without an official boundary and the names taken from the file
    (``[ags, old, new]``)."""

    file: str
    layer: str
    source: str
    imported_ags: list[str] = field(default_factory=list)
    skipped_ags: list[str] = field(default_factory=list)
    without_official_boundary: list[str] = field(default_factory=list)
    renamed: list[list[str]] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return len(self.imported_ags)

    def opening(self) -> list[str]:
        lines = [
            f"Gemeindegrenzen aus {Path(self.file).name} (Ebene {self.layer}) übernommen: "
            f"{_municipalities(self.imported)}."
        ]
        if self.skipped_ags:
            lines.append(
                "Übersprungen, weil nicht in der Datenbank: "
                f"{_municipalities(len(self.skipped_ags))} ({_ags_listing(self.skipped_ags)})."
            )
        lines.extend(
            f"Gemeindename übernommen: {ags} „{old}“ heißt jetzt „{new}“."
            for ags, old, new in self.renamed
        )
        return lines

    def details(self, limit: int | None) -> list[str]:
        missing = self.without_official_boundary
        if not missing:
            return ["Alle Gemeinden der Datenbank haben jetzt eine amtliche Grenze."]
        return [
            "Noch ohne amtliche Grenze (Karte zeigt sie schematisch oder gar nicht): "
            f"{_municipalities(len(missing))} ({_ags_listing(missing)})."
        ]

    def outcome(self) -> str:
        if self.changed:
            return (
                f"Übernommen; neue Datenversion {self.data_version} (eine laufende App zeigt "
                "die neuen Grenzen)."
            )
        return "Die Grenzen waren schon so gespeichert; nichts geändert."


AGS_LISTED = 10  # AGS shown in the report before "…"


def _municipalities(number: int) -> str:
    return f"{number:,}".replace(",", ".") + (" Gemeinde" if number == 1 else " Gemeinden")


def _ags_listing(ags: list[str]) -> str:
    return ", ".join(ags[:AGS_LISTED]) + (", …" if len(ags) > AGS_LISTED else "")


def import_boundaries(
    engine: Engine,
    path: str | Path,
    layer: str | None = None,
    district: str | None = None,
    *,
    actor: Actor,
    accept_names: bool = False,
    year: int | None = None,
) -> BoundaryImportReport:
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
    """
    require_role(actor, DATA_STEWARD, "Der Import von Gemeindegrenzen")
    path = Path(path)
    boundaries, layer_name, driver = _read(path, layer, district)
    kind = "GeoJSON-Datei" if driver in _GEOJSON_DRIVERS else "BKG VG250"
    table = official_rows(boundaries, f"{kind} ({path.name})", bkg_attribution(year))
    file_names = dict(zip(boundaries["ags"], boundaries["name"], strict=True))
    with engine.begin() as connection:
        stored_names = dict(connection.execute(select(Municipality.ags, Municipality.name)).all())
        rows = [row for row in table.iter_rows(named=True) if row["ags"] in stored_names]
        report = BoundaryImportReport(
            file=str(path),
            layer=layer_name,
            source=str(table["source"][0]),
            labels={BOUNDARY_TABLE: "Gemeindegrenzen"},
            imported_ags=[row["ags"] for row in rows],
            skipped_ags=sorted(set(boundaries["ags"]) - set(stored_names)),
        )
        if not rows:
            raise BoundaryFileError(
                f"Keine der {len(report.skipped_ags)} Gemeinden der Datei „{shown_path(path)}“ "
                f"ist in der Datenbank (z. B. {_listing(report.skipped_ags[:3])}); es wurde "
                "nichts übernommen."
            )
        report.renamed = _renamed(report.imported_ags, file_names, stored_names)
        if report.renamed and not accept_names:
            raise BoundaryImportRefused(_name_problems(path, report.renamed))
        report.counts[BOUNDARY_TABLE] = _write(connection, rows, report.renamed)
        report.without_official_boundary = sorted(set(stored_names) - _official(connection))
        if report.added or report.updated or report.renamed:
            _new_version(connection, path, report, actor)
    return report


def _renamed(
    imported: list[str], file_names: dict[str, str | None], stored: dict[str, str]
) -> list[list[str]]:
    """``[ags, stored name, file's name]`` of every AGS whose names differ."""
    renamed = []
    for ags in imported:
        new = file_names.get(ags)
        if new is not None and not _same_name(new, stored[ags]):
            renamed.append([ags, stored[ags], new])
    return renamed


def _name_problems(path: Path, renamed: list[list[str]]) -> list[Problem]:
    name = shown_path(path)
    return [
        Problem(
            name,
            None,
            None,
            None,
            f"Der Gemeindename passt nicht zum Schlüssel: {ags} heißt in der Datei „{new}“, in "
            f"der Datenbank „{old}“.",
        )
        for ags, old, new in renamed
    ] + [
        Problem(
            name,
            None,
            None,
            None,
            "Es wurde nichts übernommen. Stimmen die Schlüssel, die Namen der Datei mit "
            "--accept-names übernehmen; sonst die Gemeinden der Datenbank berichtigen.",
        )
    ]


def _write(
    connection: Connection, rows: list[dict[str, object]], renamed: list[list[str]]
) -> Counts:
    """Replace the boundaries of the rows' AGS and take the file's names; the counts."""
    boundary = table_of(MunicipalityBoundary)
    before = {
        r.ags: (r.geometry_geojson, r.source, bool(r.schematic))
        for r in connection.execute(select(boundary)).all()
    }
    added = sum(1 for row in rows if row["ags"] not in before)
    unchanged = sum(
        1
        for row in rows
        if before.get(str(row["ags"])) == (row["geometry_geojson"], row["source"], False)
    )
    for chunk in _chunks([str(row["ags"]) for row in rows], 1000):
        connection.execute(delete(boundary).where(boundary.c.ags.in_(chunk)))
    connection.execute(insert(boundary), rows)
    for ags, _old, new in renamed:
        connection.execute(update(Municipality).where(Municipality.ags == ags).values(name=new))
    return Counts(added, len(rows) - added - unchanged, unchanged)


def _official(connection: Connection) -> set[str]:
    """The AGS that have an official (not schematic) boundary."""
    return set(
        connection.execute(
            select(MunicipalityBoundary.ags).where(MunicipalityBoundary.schematic.is_(False))
        ).scalars()
    )


def _new_version(
    connection: Connection, path: Path, report: BoundaryImportReport, actor: Actor
) -> None:
    """Log the import with the acting person and give the data a new version (as table and
    HSDS imports do); a renamed municipality counts as an updated row in the log."""
    digest = _file_sha256(path)
    report.log_id = record_import(
        connection,
        table=BOUNDARY_TABLE,
        file_name=path.name,
        sha256=digest,
        counts=(report.added, report.updated + len(report.renamed), report.unchanged),
        actor=actor,
    )
    report.changed = True
    report.data_version = new_data_version(
        connection, kind="boundaries", log_id=report.log_id, sha256=digest
    )


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


def _chunks(values: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
