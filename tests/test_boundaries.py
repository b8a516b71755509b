"""Municipality boundaries: schematic ones for the demo, official ones imported from VG250 files.

The VG250-like files are generated here: squares of known size in EPSG:25832, so that the stored
areas can be checked exactly (up to the rounding of the stored coordinates to about a metre).
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import warnings

import geopandas as gpd
import polars as pl
import pytest
import shapely
from sqlalchemy import select

from data_access.auth import Actor
from data_access.models import Municipality, MunicipalityBoundary
from teilhabe.cli.main import main
from teilhabe.demo import DEMO_BOUNDARY_FILE, DEMO_DIR, DemoSpec, _geography, generate
from teilhabe.exchange import boundaries
from teilhabe.exchange.boundaries import (
    SCHEMATIC_SOURCE,
    BoundaryFileError,
    BoundaryImportRefused,
    attribution,
    load_boundaries,
    read_boundary_file,
    schematic_boundaries,
)
from teilhabe.exchange.core import import_log
from teilhabe.figures import dataset_info


def import_boundaries(*args, **kwargs) -> boundaries.BoundaryImportReport:
    kwargs.setdefault("actor", Actor.command_line("tester"))
    return boundaries.import_boundaries(*args, **kwargs)


X0, Y0 = 584_000.0, 5_392_000.0  # near Heidenheim, ETRS89 / UTM zone 32N
KM = 1_000.0
AREA_TOLERANCE = 0.005  # relative; stored coordinates are rounded to 0.00001°


def square(x: float, y: float, size: float = 2 * KM) -> shapely.Polygon:
    return shapely.box(X0 + x, Y0 + y, X0 + x + size, Y0 + y + size)


# a lake strip of 2 x 1 km along 08135019, GF 1: must be dropped
WATER = shapely.box(X0, Y0 - 1 * KM, X0 + 2 * KM, Y0)
ISLAND = square(5 * KM, 5 * KM, 0.5 * KM)  # a second land part of 08135020: dissolved into it

# AGS, GEN, GF, geometry
FEATURES = [
    ("08135019", "Teststadt", 4, square(0, 0)),
    ("08135019", "Teststadt", 1, WATER),
    ("08135020", "Zweitort", 4, square(2 * KM, 0)),
    ("08135020", "Zweitort", 4, ISLAND),
    ("08135021", "Drittdorf", 3, square(4 * KM, 0)),
    ("08135099", "Fremdort", 4, square(6 * KM, 0)),  # in the district, not in the database
    ("08136001", "Nachbarkreisort", 4, square(8 * KM, 0)),  # another district
]
EXPECTED_AREAS = {"08135019": 4e6, "08135020": 4.25e6, "08135021": 4e6}


def vg250(features=FEATURES, crs: str = "EPSG:25832") -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {
            "AGS": [f[0] for f in features],
            "GEN": [f[1] for f in features],
            "BEZ": ["Gemeinde"] * len(features),
            "GF": [f[2] for f in features],
        },
        geometry=[f[3] for f in features],
        crs="EPSG:25832",
    )
    return frame.to_crs(crs)


@pytest.fixture
def gpkg(tmp_path):
    path = tmp_path / "vg250_ebenen.gpkg"
    vg250().to_file(path, layer="VG250_GEM", driver="GPKG")
    districts = gpd.GeoDataFrame(
        {"AGS": ["08135"], "GEN": ["Heidenheim"], "GF": [4]},
        geometry=[shapely.box(X0, Y0, X0 + 6 * KM, Y0 + 6 * KM)],
        crs="EPSG:25832",
    )
    districts.to_file(path, layer="VG250_KRS", driver="GPKG")
    return path


@pytest.fixture
def shapefile(tmp_path):
    path = tmp_path / "shp" / "VG250_GEM.shp"
    path.parent.mkdir()
    vg250().to_file(path)
    return path


FILE_NAMES = {f[0]: f[1] for f in FEATURES}


def municipalities(ags: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "ags": ags,
            "district_key": [a[:5] for a in ags],
            "name": [FILE_NAMES.get(a, f"Ort {a}") for a in ags],
            "kind": ["Gemeinde"] * len(ags),
            "population": [1000] * len(ags),
            "population_date": [dt.date(2023, 3, 31)] * len(ags),
            "lat": [48.6 + i / 100 for i in range(len(ags))],
            "lon": [10.1 + i / 100 for i in range(len(ags))],
        }
    )


DB_AGS = ["08135019", "08135020", "08135021", "08135025"]


@pytest.fixture
def engine(build_db):
    """Municipalities 08135019/020/021/025 (and their district); 08135025 is not in the file."""
    return build_db(
        [],
        district=pl.DataFrame(
            {"key": ["08135"], "name": ["Testkreis"], "jobcenter_name": ["Jobcenter Test"]}
        ),
        municipality=municipalities(DB_AGS),
    )


def boundary_rows(engine) -> list[tuple]:
    with engine.connect() as connection:
        return connection.execute(
            select(MunicipalityBoundary.__table__).order_by(MunicipalityBoundary.ags)
        ).all()


def metric_areas(boundaries: gpd.GeoDataFrame) -> dict[str, float]:
    areas = boundaries.to_crs("EPSG:25832").area
    return dict(zip(boundaries["ags"], areas, strict=True))


def assert_expected_areas(boundaries: gpd.GeoDataFrame) -> None:
    areas = metric_areas(boundaries)
    assert set(areas) == set(EXPECTED_AREAS)
    for ags, expected in EXPECTED_AREAS.items():
        assert areas[ags] == pytest.approx(expected, rel=AREA_TOLERANCE), ags


# --- Reading files -------------------------------------------------------------------------------


def test_geopackage_layer_is_read_dissolved_and_without_water(gpkg) -> None:
    result = read_boundary_file(gpkg, layer="VG250_GEM", district="08135")
    assert list(result.columns) == ["ags", "name", "geometry"]
    assert result.crs.to_epsg() == 4326
    assert result["ags"].tolist() == ["08135019", "08135020", "08135021", "08135099"]
    assert result["name"].tolist() == ["Teststadt", "Zweitort", "Drittdorf", "Fremdort"]
    kinds = dict(zip(result["ags"], result.geom_type, strict=True))
    assert kinds["08135020"] == "MultiPolygon"
    assert kinds["08135019"] == "Polygon"
    metric = result.to_crs("EPSG:25832").set_index("ags").geometry
    assert metric["08135019"].intersection(WATER).area < 1e-6 * WATER.area
    assert metric["08135020"].area == pytest.approx(4.25e6, rel=1e-6)


def test_the_municipality_layer_of_a_vg250_file_is_found_by_itself(gpkg) -> None:
    assert read_boundary_file(gpkg, district="08135")["ags"].tolist()[0] == "08135019"


def test_without_district_every_municipality_is_read(shapefile) -> None:
    result = read_boundary_file(shapefile)
    assert result["ags"].tolist() == ["08135019", "08135020", "08135021", "08135099", "08136001"]


def test_field_names_are_case_insensitive_and_geojson_in_wgs84_is_accepted(tmp_path) -> None:
    path = tmp_path / "gemeinden.geojson"
    frame = vg250(crs="EPSG:4326").rename(columns={"AGS": "ags", "GEN": "gen", "GF": "gf"})
    frame.to_file(path, driver="GeoJSON")
    result = read_boundary_file(path, district="08135")
    assert result["ags"].tolist() == ["08135019", "08135020", "08135021", "08135099"]
    areas = metric_areas(result)
    assert areas["08135019"] == pytest.approx(4e6, rel=1e-6)  # the lake (gf 1) is dropped


def test_geojson_needs_only_the_ags(tmp_path) -> None:
    path = tmp_path / "nur_ags.geojson"
    land = [f for f in FEATURES if f[2] in (3, 4)]
    vg250(land, crs="EPSG:4326")[["AGS", "geometry"]].to_file(path, driver="GeoJSON")
    result = read_boundary_file(path)
    assert len(result) == 5
    assert result["name"].isna().all()


@pytest.mark.parametrize(
    ("make", "kwargs", "fragments"),
    [
        ("missing", {}, ["existiert nicht", "fehlt.gpkg"]),
        ("garbage", {}, ["lässt sich nicht lesen", "kaputt.gpkg"]),
        ("other_layers", {}, ["mehrere Ebenen", "GEMEINDEN, KREISE", "--layer"]),
        ("layers", {"layer": "VG250_GEMEINDEN"}, ["VG250_GEMEINDEN", "VG250_GEM, VG250_KRS"]),
        ("wgs84", {}, ["EPSG:4326", "erwartet wird EPSG:25832"]),
        ("no_crs", {}, ["kein Koordinatenreferenzsystem", "EPSG:25832"]),
        ("no_gf", {}, ["fehlt das Feld GF"]),
        ("no_ags", {}, ["fehlt das Feld AGS"]),
        ("no_ags_gen", {}, ["fehlen die Felder AGS", "GEN"]),
        ("water_only", {}, ["keine Landflächen"]),
        ("short_ags", {}, ["ungültige Werte im Feld AGS", "8135019"]),
        ("layers", {"layer": "VG250_GEM", "district": "08999"}, ["08999", "keine Gemeinde"]),
        ("layers", {"layer": "VG250_GEM", "district": "8135"}, ["Kreisschlüssel „8135“"]),
    ],
)
def test_unusable_files_are_refused_with_a_german_message(
    tmp_path, gpkg, make, kwargs, fragments
) -> None:
    path = bad_file(tmp_path, gpkg, make)
    with pytest.raises(BoundaryFileError) as raised:
        read_boundary_file(path, **kwargs)
    message = str(raised.value)
    for fragment in fragments:
        assert fragment in message
    assert path.name in message or make == "layers" and "district" in kwargs


# How each broken layer differs from the good one (written as layer VG250_GEM).
BROKEN_LAYERS = {
    "wgs84": lambda frame: vg250(crs="EPSG:4326"),
    "no_crs": lambda frame: frame.set_crs(None, allow_override=True),
    "no_gf": lambda frame: frame.drop(columns="GF"),
    "no_ags": lambda frame: frame.drop(columns="AGS"),
    "no_ags_gen": lambda frame: frame.drop(columns=["AGS", "GEN"]),
    "water_only": lambda frame: frame[frame["GF"] == 1],
    "short_ags": lambda frame: frame.assign(AGS=frame["AGS"].str.lstrip("0")),
}


def bad_file(tmp_path, gpkg, make: str):
    path = tmp_path / f"{make}.gpkg"
    frame = vg250()
    if make == "missing":
        return tmp_path / "fehlt.gpkg"
    if make == "garbage":
        path = tmp_path / "kaputt.gpkg"
        path.write_text("keine Geodaten", encoding="utf-8")
        return path
    if make == "layers":
        return gpkg
    if make == "other_layers":  # several layers, none called VG250_GEM
        frame.to_file(path, layer="GEMEINDEN", driver="GPKG")
        frame.to_file(path, layer="KREISE", driver="GPKG")
        return path
    frame = BROKEN_LAYERS[make](frame)
    with warnings.catch_warnings():  # pyogrio warns about writing a file without a CRS
        warnings.simplefilter("ignore", UserWarning)
        frame.to_file(path, layer="VG250_GEM", driver="GPKG")
    return path


# --- Importing -----------------------------------------------------------------------------------


def test_import_from_geopackage_and_shapefile(engine, gpkg, shapefile) -> None:
    report = import_boundaries(engine, gpkg, layer="VG250_GEM", district="08135")
    assert report.imported == 3
    assert report.imported_ags == ["08135019", "08135020", "08135021"]
    assert report.skipped_ags == ["08135099"]
    assert report.without_official_boundary == ["08135025"]
    assert report.layer == "VG250_GEM"
    stored = load_boundaries(engine)
    assert list(stored.columns) == ["ags", "source", "schematic", "geometry"]
    assert stored.crs.to_epsg() == 4326
    assert stored["source"].unique().tolist() == [
        "BKG VG250 (vg250_ebenen.gpkg) · © GeoBasis-DE / BKG (Daten verändert)"
    ]
    assert stored["schematic"].dtype == bool and not stored["schematic"].any()
    assert_expected_areas(stored)
    lake = gpd.GeoSeries([WATER], crs="EPSG:25832").to_crs("EPSG:4326")[0]
    assert stored.set_index("ags").geometry["08135019"].intersection(lake).area < 2e-3 * lake.area
    assert stored.set_index("ags").geometry["08135020"].geom_type == "MultiPolygon"

    # a second import replaces the rows instead of adding to them
    report = import_boundaries(engine, shapefile)
    assert report.imported == 3
    assert report.skipped_ags == ["08135099", "08136001"]
    stored = load_boundaries(engine)
    assert len(stored) == 3 == len(boundary_rows(engine))
    assert stored["source"].unique().tolist() == [
        "BKG VG250 (VG250_GEM.shp) · © GeoBasis-DE / BKG (Daten verändert)"
    ]
    assert_expected_areas(stored)


def test_import_replaces_only_the_imported_municipalities(build_db, gpkg) -> None:
    tables = {"municipality": municipalities(DB_AGS)}
    schematic = schematic_boundaries(tables["municipality"])
    engine = build_db([], municipality=tables["municipality"], municipality_boundary=schematic)
    report = import_boundaries(engine, gpkg, layer="VG250_GEM")
    assert report.without_official_boundary == ["08135025"]
    stored = load_boundaries(engine).set_index("ags")
    assert stored["schematic"].to_dict() == {
        "08135019": False,
        "08135020": False,
        "08135021": False,
        "08135025": True,
    }
    assert stored.loc["08135025", "source"] == SCHEMATIC_SOURCE


def test_a_refused_file_leaves_the_database_unchanged(engine, gpkg, tmp_path) -> None:
    import_boundaries(engine, gpkg, layer="VG250_GEM")
    before = boundary_rows(engine)
    assert len(before) == 3
    for make in ("wgs84", "no_gf", "no_ags"):
        with pytest.raises(BoundaryFileError):
            import_boundaries(engine, bad_file(tmp_path, gpkg, make), layer="VG250_GEM")
        assert boundary_rows(engine) == before, make


def test_a_file_without_any_known_municipality_changes_nothing(engine, gpkg) -> None:
    before = boundary_rows(engine)
    with pytest.raises(BoundaryFileError, match="Keine der 1 Gemeinden.*08136001"):
        import_boundaries(engine, gpkg, layer="VG250_GEM", district="08136")
    assert boundary_rows(engine) == before == []


def test_load_boundaries_of_an_empty_table(build_db) -> None:
    stored = load_boundaries(build_db([]))
    assert stored.empty
    assert list(stored.columns) == ["ags", "source", "schematic", "geometry"]
    assert stored.crs.to_epsg() == 4326


def test_import_on_postgresql(build_db, postgres_url, gpkg) -> None:
    engine = build_db([], url=postgres_url, municipality=municipalities(DB_AGS))
    try:
        report = import_boundaries(engine, gpkg, layer="VG250_GEM", district="08135")
        assert report.imported == 3
        report = import_boundaries(engine, gpkg, layer="VG250_GEM", district="08135")
        stored = load_boundaries(engine)
        assert len(stored) == 3
        assert_expected_areas(stored)
        with pytest.raises(BoundaryFileError):
            import_boundaries(engine, gpkg, layer="VG250_KRS")
        assert len(load_boundaries(engine)) == 3
    finally:
        engine.dispose()


def test_a_name_that_differs_from_the_stored_one_refuses_the_import(build_db, gpkg) -> None:
    """The old demo's wrong keys: a file's polygon must not be stored under another name."""
    names = municipalities(DB_AGS).with_columns(
        pl.when(pl.col("ags") == "08135020")
        .then(pl.lit("Drittdorf"))
        .otherwise(pl.col("name"))
        .alias("name")
    )
    engine = build_db([], municipality=names)
    version = dataset_info(engine=engine).get("data_version")
    with pytest.raises(BoundaryImportRefused) as refused:
        import_boundaries(engine, gpkg, layer="VG250_GEM")
    assert refused.value.problems[0].message == (
        "Der Gemeindename passt nicht zum Schlüssel: 08135020 heißt in der Datei „Zweitort“, "
        "in der Datenbank „Drittdorf“."
    )
    problems = refused.value.problems
    assert len(problems) == 2 and "--accept-names" in problems[1].message
    assert boundary_rows(engine) == []
    assert dataset_info(engine=engine).get("data_version") == version

    report = import_boundaries(engine, gpkg, layer="VG250_GEM", accept_names=True)
    assert report.renamed == [["08135020", "Drittdorf", "Zweitort"]]
    assert report.imported == 3
    with engine.connect() as connection:
        stored = dict(connection.execute(select(Municipality.ags, Municipality.name)).all())
    assert stored["08135020"] == "Zweitort"


def test_every_import_that_changes_boundaries_sets_a_new_data_version(
    engine, gpkg, shapefile
) -> None:
    before = dataset_info(engine=engine).get("data_version")
    first = import_boundaries(engine, gpkg, layer="VG250_GEM")
    assert (first.added, first.updated, first.unchanged) == (3, 0, 0)
    assert first.data_version.startswith("boundaries-")
    assert dataset_info(engine=engine)["data_version"] == first.data_version != before

    # the same file again changes nothing: no new version
    again = import_boundaries(engine, gpkg, layer="VG250_GEM")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)
    assert again.data_version is None
    assert dataset_info(engine=engine)["data_version"] == first.data_version

    # another file (another source) replaces them: a new version again
    other = import_boundaries(engine, shapefile, year=2024)
    assert (other.added, other.updated, other.unchanged) == (0, 3, 0)
    assert other.data_version not in (None, first.data_version)
    assert dataset_info(engine=engine)["data_version"] == other.data_version
    assert attribution(load_boundaries(engine)["source"]) == (
        "© GeoBasis-DE / BKG 2024 (Daten verändert)"
    )
    log = import_log(engine)
    assert log["table_name"].to_list() == ["municipality_boundary"] * 2
    assert log["data_version"].to_list() == [other.data_version, first.data_version]
    assert log["imported_by"].to_list() == ["tester", "tester"]  # every import names its person


# --- Command line --------------------------------------------------------------------------------


def test_cli_import_prints_a_german_report(engine, gpkg, capsys) -> None:
    url = engine.url.render_as_string(hide_password=False)
    args = ["boundaries", "import", str(gpkg), "--layer", "VG250_GEM", "--district", "08135"]
    assert main([*args, "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert "übernommen: 3 Gemeinden" in out
    assert "nicht in der Datenbank: 1 Gemeinde (08135099)" in out
    assert "Noch ohne amtliche Grenze" in out and "08135025" in out


def test_cli_import_error_is_one_line_and_exit_code_2(engine, gpkg, capsys) -> None:
    url = engine.url.render_as_string(hide_password=False)
    code = main(["boundaries", "import", str(gpkg), "--layer", "GEM", "--database-url", url])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("Fehler: Die Ebene „GEM“ gibt es in der Datei")
    assert err.count("\n") == 1
    assert boundary_rows(engine) == []


def test_cli_lists_differing_names_and_accepts_them_on_request(build_db, gpkg, capsys) -> None:
    names = municipalities(DB_AGS).with_columns(pl.lit("Anderswo").alias("name"))
    engine = build_db([], municipality=names)
    url = engine.url.render_as_string(hide_password=False)
    args = ["boundaries", "import", str(gpkg), "--database-url", url]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("Fehler: Die Datei passt nicht zur Datenbank:")
    assert "08135019 heißt in der Datei „Teststadt“, in der Datenbank „Anderswo“" in err
    assert boundary_rows(engine) == []
    assert main([*args, "--accept-names"]) == 0
    out = capsys.readouterr().out
    assert "Gemeindename übernommen: 08135019 „Anderswo“ heißt jetzt „Teststadt“." in out
    assert "neue Datenversion boundaries-" in out
    assert main([*args, "--accept-names"]) == 0
    assert "nichts geändert" in capsys.readouterr().out


def test_cli_refuses_a_malformed_district_key(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["boundaries", "import", "x.gpkg", "--district", "8135"])
    assert exit_info.value.code == 2
    assert "Kreisschlüssel" in capsys.readouterr().err


# --- Schematic boundaries ------------------------------------------------------------------------


def heidenheim() -> pl.DataFrame:
    with (DEMO_DIR / "heidenheim.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return pl.DataFrame(
        {
            "ags": [r["ags"] for r in rows],
            "district_key": ["08135"] * len(rows),
            "lat": [float(r["lat"]) for r in rows],
            "lon": [float(r["lon"]) for r in rows],
        }
    )


def check_schematic(municipalities: pl.DataFrame, result: pl.DataFrame) -> None:
    assert result.columns == ["ags", "geometry_geojson", "source", "schematic"]
    assert result["ags"].to_list() == municipalities["ags"].to_list()
    assert result["schematic"].all()
    assert result["source"].unique().to_list() == [SCHEMATIC_SOURCE]
    polygons = shapely.from_geojson(result["geometry_geojson"].to_list())
    assert shapely.is_valid(polygons).all()
    assert {p.geom_type for p in polygons} == {"Polygon"}
    centres = shapely.points(municipalities["lon"].to_numpy(), municipalities["lat"].to_numpy())
    assert shapely.contains(polygons, centres).all()
    metric = gpd.GeoSeries(polygons, crs="EPSG:4326").to_crs("EPSG:25832")
    for a, b in itertools.combinations(metric, 2):
        assert a.intersection(b).area < 1.0  # square metres: shared edges only
    areas_km2 = metric.area / 1e6
    assert areas_km2.min() > 10 and areas_km2.max() < 250  # plausible Gemeinde sizes
    assert all(len(text.split("],[")) < 80 for text in result["geometry_geojson"])  # simplified
    # coordinates rounded to 5 decimals
    assert all(
        round(c, 5) == c for p in polygons for c in shapely.get_coordinates(p).ravel().tolist()
    )


def test_schematic_boundaries_of_heidenheim() -> None:
    municipalities = heidenheim()
    result = schematic_boundaries(municipalities)
    assert result.height == 11
    check_schematic(municipalities, result)
    assert schematic_boundaries(municipalities).equals(result)  # deterministic


def test_schematic_boundaries_of_several_districts() -> None:
    municipalities = _geography(3)["municipality"]
    result = schematic_boundaries(municipalities)
    assert result.height == 33
    check_schematic(municipalities, result)


def test_schematic_boundaries_of_tiny_districts() -> None:
    municipalities = pl.DataFrame(
        {
            "ags": ["09999001", "09998001", "09998002"],
            "district_key": ["09999", "09998", "09998"],
            "lat": [48.0, 49.0, 49.05],
            "lon": [10.0, 10.0, 10.1],
        }
    )
    polygons = shapely.from_geojson(schematic_boundaries(municipalities)["geometry_geojson"])
    assert shapely.is_valid(polygons).all()
    assert shapely.contains(
        polygons, shapely.points([(10.0, 48.0), (10.0, 49.0), (10.1, 49.05)])
    ).all()


def test_the_demo_stores_the_real_2013_boundaries(demo_engine) -> None:
    stored = load_boundaries(demo_engine)
    assert stored["ags"].tolist() == [
        "08135010", "08135015", "08135016", "08135019", "08135020", "08135021",
        "08135025", "08135026", "08135027", "08135031", "08135032",
    ]  # fmt: skip
    assert not stored["schematic"].any()
    assert stored["source"].unique().tolist() == [
        "BKG VG250 2013, vereinfacht · © GeoBasis-DE / BKG 2013 (Daten verändert)"
    ]
    assert attribution(stored["source"]) == "© GeoBasis-DE / BKG 2013 (Daten verändert)"
    # the keys, names and town centres of the demo fit the official boundaries
    with demo_engine.connect() as connection:
        rows = connection.execute(
            select(Municipality.ags, Municipality.name, Municipality.lon, Municipality.lat)
        ).all()
    official = gpd.read_file(DEMO_BOUNDARY_FILE).set_index("AGS")
    shapes = stored.set_index("ags").geometry
    for ags, name, lon, lat in rows:
        assert official.loc[ags, "GEN"] == name, ags
        assert shapes[ags].contains(shapely.Point(lon, lat)), name
    metric = stored.to_crs("EPSG:25832")
    assert metric.area.sum() / 1e6 == pytest.approx(627, rel=0.02)  # the district: 627 km²
    # generalised independently, neighbours overlap a little along their edges, no more
    overlap = sum(a.intersection(b).area for a, b in itertools.combinations(metric.geometry, 2))
    assert overlap < 0.005 * metric.area.sum()


def test_the_scaled_demo_has_a_boundary_per_municipality() -> None:
    tables = generate(DemoSpec(clients=3000, districts=2))
    boundaries = tables["municipality_boundary"]
    assert boundaries["ags"].to_list() == tables["municipality"]["ags"].to_list()
    # real boundaries where they exist, schematic (and labelled so) for the synthetic district
    assert boundaries.filter(pl.col("schematic"))["ags"].str.starts_with("99002").all()
    assert boundaries.filter(pl.col("schematic")).height == 11
    assert boundaries.filter(pl.col("schematic"))["source"].unique().to_list() == [SCHEMATIC_SOURCE]
