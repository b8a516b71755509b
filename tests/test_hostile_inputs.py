"""Hostile inputs to every command that reads or writes a path end in one German line and exit
code 2, never a traceback, and leave every table as it was (issue 18).

Each case builds its input in a temporary folder and runs ``teilhabe`` in-process through
``teilhabe.cli.main.main``; the database is dumped (every table, every row) before and after.
"""

from __future__ import annotations

import csv
import json
import math
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, select
from sqlalchemy.engine import make_url

from data_access.db import create_db_engine, ensure_schema
from teilhabe.cli.main import main
from teilhabe.exchange import boundary_files
from teilhabe.exchange.hsds.export import export_hsds

LONG_NAME = "x" * 300
FEATURE = {"type": "Feature", "properties": {"AGS": "08135019", "GEN": "Heidenheim an der Brenz"}}


# --- Helpers ---------------------------------------------------------------------------------


def dump(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: equal dumps mean an unchanged database."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {
            name: sorted(map(repr, connection.execute(select(table)).all()))
            for name, table in sorted(metadata.tables.items())
        }


def copy_of(url: str, target: Path) -> str:
    source = sqlite3.connect(make_url(url).database)
    with sqlite3.connect(target) as copy:
        source.backup(copy)
    source.close()
    return f"sqlite:///{target}"


def geojson(tmp_path: Path, coordinates, name: str = "grenzen.geojson") -> Path:
    path = tmp_path / name
    feature = {**FEATURE, "geometry": {"type": "Polygon", "coordinates": coordinates}}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    return path


def loop(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.symlink_to(name)  # a link to itself
    return path


def package(tmp_path: Path, url: str) -> Path:
    """The demo's provider directory, exported as an HSDS package."""
    folder = tmp_path / "paket"
    engine = create_db_engine(make_url(url))
    export_hsds(engine, folder)
    engine.dispose()
    return folder


def edit_csv(path: Path, change: Callable[[list[dict[str, str]]], None]) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    columns = list(rows[0])
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def hostile_extent(folder: Path, extent: str) -> None:
    def change(rows):
        rows[0].update(extent_type="geojson", extent=extent)

    edit_csv(folder / "service_area.csv", change)


def descriptor(folder: Path, text: str | bytes) -> Path:
    path = folder / "datapackage.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return folder


def foreign_descriptor(folder: Path, resource: dict) -> Path:
    text = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    text["resources"][0] = resource
    return descriptor(folder, json.dumps(text))


# --- The cases -------------------------------------------------------------------------------

# name -> (argv builder(tmp_path, database url), a fragment of the German message)
CASES: dict[str, tuple[Callable[[Path, str], list[str]], str]] = {
    # teilhabe import TABLE FILE
    "import: 300-character name": (
        lambda t, u: ["import", "client", str(t / f"{LONG_NAME}.csv")],
        "enthält einen zu langen Namen (304 Bytes; höchstens 255 sind möglich)",
    ),
    "import: 5,000-character path": (
        lambda t, u: ["import", "client", "x/" * 2500],
        "ist zu lang (4.999 Bytes; höchstens 4.095 sind möglich)",
    ),
    "import: NUL byte": (lambda t, u: ["import", "client", "a\0b.csv"], "enthält ein Nullzeichen"),
    "import: a folder": (lambda t, u: ["import", "client", str(t)], "ist ein Ordner"),
    "import: link loop": (
        lambda t, u: ["import", "client", str(loop(t, "x.csv"))],
        "Symbolische Links verweisen im Kreis",
    ),
    "import: a device": (
        lambda t, u: ["import", "client", "/dev/null"],
        "ist keine gewöhnliche Datei",
    ),
    "import: missing": (
        lambda t, u: ["import", "client", str(t / "fehlt.csv")],
        "fehlt.csv existiert nicht",
    ),
    # teilhabe providers import --hsds FOLDER
    "hsds: 300-character name": (
        lambda t, u: ["providers", "import", "--hsds", str(t / LONG_NAME)],
        "enthält einen zu langen Namen",
    ),
    "hsds: NUL byte": (
        lambda t, u: ["providers", "import", "--hsds", "a\0b"],
        "enthält ein Nullzeichen",
    ),
    "hsds: a zip file": (
        lambda t, u: [
            "providers",
            "import",
            "--hsds",
            str((t / "p.zip", (t / "p.zip").write_bytes(b"PK\x03\x04"))[0]),
        ],
        "p.zip ist kein Ordner; ein ZIP-Archiv bitte vorher entpacken.",
    ),
    "hsds: datapackage.json nested 50,000 deep": (
        lambda t, u: [
            "providers",
            "import",
            "--hsds",
            str(descriptor(package(t, u), "[" * 50_000 + "]" * 50_000)),
        ],
        "datapackage.json: Keine gültige JSON-Beschreibung: Die JSON-Daten sind zu tief "
        "verschachtelt.",
    ),
    "hsds: datapackage.json of 6 MB": (
        lambda t, u: [
            "providers",
            "import",
            "--hsds",
            str(descriptor(package(t, u), b" " * (6 * 2**20) + b"{}")),
        ],
        "datapackage.json: Die Datei ist größer als 5 MB",
    ),
    "hsds: NaN in datapackage.json": (
        lambda t, u: [
            "providers",
            "import",
            "--hsds",
            str(descriptor(package(t, u), '{"resources": [], "x": NaN}')),
        ],
        "NaN ist in JSON nicht erlaubt",
    ),
    "hsds: a resource name that is a list": (
        lambda t, u: [
            "providers",
            "import",
            "--hsds",
            str(
                foreign_descriptor(
                    package(t, u), {"name": ["organization"], "path": "organization.csv"}
                )
            ),
        ],
        "datapackage.json, Feld resources[1]: Keine gültige Ressource",
    ),
    "hsds: a resource path with a NUL byte": (
        lambda t, u: [
            "providers",
            "import",
            "--hsds",
            str(
                foreign_descriptor(package(t, u), {"name": "organization", "path": "org\u0000.csv"})
            ),
        ],
        "datapackage.json, Feld path, Wert „org\\0.csv“: Der Pfad enthält ein Nullzeichen.",
    ),
    "hsds: a resource path of 5,000 characters": (
        lambda t, u: [
            "providers",
            "import",
            "--hsds",
            str(foreign_descriptor(package(t, u), {"name": "organization", "path": "x/" * 2500})),
        ],
        "Die Datei kann nicht geöffnet werden: Der Name ist zu lang.",
    ),
    "hsds: a resource path outside the package": (
        lambda t, u: [
            "providers",
            "import",
            "--hsds",
            str(
                foreign_descriptor(
                    package(t, u), {"name": "organization", "path": "../../etc/passwd"}
                )
            ),
        ],
        "Der Pfad führt aus dem Ordner des Pakets hinaus.",
    ),
    "hsds: a link loop": (
        lambda t, u: [
            "providers",
            "import",
            "--hsds",
            str((p := package(t, u), (p / "location.csv").unlink(), loop(p, "location.csv"))[0]),
        ],
        "Wert „location.csv“: Die Datei kann nicht geöffnet werden: Symbolische Links verweisen "
        "im Kreis.",
    ),
    "hsds: GeoJSON extent with coordinates of 1e300": (
        lambda t, u: [
            "providers",
            "import",
            "--hsds",
            str(
                (
                    p := package(t, u),
                    hostile_extent(p, '{"type": "Point", "coordinates": [1e300, -1e300]}'),
                )[0]
            ),
        ],
        "Die Koordinaten liegen nicht in WGS84",
    ),
    "hsds: GeoJSON extent nested deeply": (
        lambda t, u: [
            "providers",
            "import",
            "--hsds",
            str((p := package(t, u), hostile_extent(p, "[" * 50_000))[0]),
        ],
        "Kein gültiges GeoJSON",
    ),
    "hsds: a capacity beyond any integer column": (
        lambda t, u: [
            "providers",
            "import",
            "--hsds",
            str(
                (
                    p := package(t, u),
                    edit_csv(
                        p / "service.csv",
                        lambda rows: rows[0].update(teilhabe_capacity=str(10**30)),
                    ),
                )[0]
            ),
        ],
        "Feld teilhabe_capacity, Wert „1000000000000000000000000000000“: Der Wert ist größer "
        "als 2.147.483.647.",
    ),
    "hsds: a category map with a NUL byte": (
        lambda t, u: [
            "providers",
            "import",
            "--hsds",
            str(package(t, u)),
            "--category-map",
            "map\0.csv",
        ],
        "Der Pfad map\\0.csv enthält ein Nullzeichen",
    ),
    # teilhabe boundaries import FILE
    "boundaries: 300-character name": (
        lambda t, u: ["boundaries", "import", str(t / f"{LONG_NAME}.geojson")],
        "enthält einen zu langen Namen",
    ),
    "boundaries: NUL byte": (
        lambda t, u: ["boundaries", "import", "a\0b.geojson"],
        "enthält ein Nullzeichen",
    ),
    "boundaries: a folder": (lambda t, u: ["boundaries", "import", str(t)], "ist ein Ordner"),
    "boundaries: link loop": (
        lambda t, u: ["boundaries", "import", str(loop(t, "x.geojson"))],
        "Symbolische Links verweisen im Kreis",
    ),
    "boundaries: empty file": (
        lambda t, u: [
            "boundaries",
            "import",
            str((t / "leer.geojson", (t / "leer.geojson").write_bytes(b""))[0]),
        ],
        "lässt sich nicht lesen",
    ),
    "boundaries: binary garbage": (
        lambda t, u: [
            "boundaries",
            "import",
            str((t / "x.geojson", (t / "x.geojson").write_bytes(bytes(range(256)) * 8))[0]),
        ],
        "lässt sich nicht lesen",
    ),
    "boundaries: a GeoJSON that is a list": (
        lambda t, u: [
            "boundaries",
            "import",
            str((t / "l.geojson", (t / "l.geojson").write_text("[1, 2, 3]"))[0]),
        ],
        "lässt sich nicht lesen",
    ),
    "boundaries: coordinates of 1e300": (
        lambda t, u: [
            "boundaries",
            "import",
            str(geojson(t, [[[1e300, 1e300], [1e300, -1e300], [-1e300, 0], [1e300, 1e300]]])),
        ],
        "enthält Koordinaten außerhalb der Erde (ungültig in WGS 84) bei 08135019",
    ),
    "boundaries: coordinates outside the world": (
        lambda t, u: [
            "boundaries",
            "import",
            str(geojson(t, [[[500, 10], [600, 10], [600, 20], [500, 10]]])),
        ],
        "enthält Koordinaten außerhalb der Erde",
    ),
    "boundaries: NaN and Infinity": (
        lambda t, u: [
            "boundaries",
            "import",
            str(
                (
                    t / "n.geojson",
                    (t / "n.geojson").write_text(
                        json.dumps(
                            {
                                "type": "FeatureCollection",
                                "features": [
                                    {
                                        **FEATURE,
                                        "geometry": {
                                            "type": "Polygon",
                                            "coordinates": [
                                                [
                                                    [math.nan, 48],
                                                    [math.inf, 48.1],
                                                    [10, 48.1],
                                                    [math.nan, 48],
                                                ]
                                            ],
                                        },
                                    }
                                ],
                            }
                        )
                    ),
                )[0]
            ),
        ],
        "Fehler: Die Datei",
    ),
    "boundaries: a polygon without area": (
        lambda t, u: [
            "boundaries",
            "import",
            str(geojson(t, [[[10, 48], [10.1, 48], [10, 48], [10, 48]]])),
        ],
        "enthält für 08135019 keine Fläche",
    ),
    "boundaries: a name too long for the table": (
        lambda t, u: [
            "boundaries",
            "import",
            str(
                (
                    t / "g.geojson",
                    (t / "g.geojson").write_text(
                        json.dumps(
                            {
                                "type": "FeatureCollection",
                                "features": [
                                    {
                                        "type": "Feature",
                                        "properties": {"AGS": "08135019", "GEN": "N" * 500},
                                        "geometry": {
                                            "type": "Polygon",
                                            "coordinates": [
                                                [[10, 48], [10.1, 48], [10.1, 48.1], [10, 48]]
                                            ],
                                        },
                                    }
                                ],
                            }
                        )
                    ),
                )[0]
            ),
            "--accept-names",
        ],
        "mit mehr als 120 Zeichen",
    ),
    # teilhabe report --pdf FILE
    "report: 300-character name": (
        lambda t, u: ["report", "--no-charts", "--pdf", str(t / f"{LONG_NAME}.pdf")],
        "enthält einen zu langen Namen",
    ),
    "report: NUL byte": (
        lambda t, u: ["report", "--no-charts", "--pdf", "a\0b.pdf"],
        "enthält ein Nullzeichen",
    ),
    "report: a folder": (
        lambda t, u: ["report", "--no-charts", "--pdf", str(t)],
        "kann nicht geschrieben werden: Das ist ein Ordner.",
    ),
    "report: inside a file": (
        lambda t, u: [
            "report",
            "--no-charts",
            "--pdf",
            str((t / "f", (t / "f").write_text(""))[0] / "b.pdf"),
        ],
        "kann nicht geschrieben werden: Der Ordner existiert nicht.",
    ),
    # teilhabe bench --json FILE: refused before the benchmark runs
    "bench: 300-character name": (
        lambda t, u: ["bench", "--json", str(t / f"{LONG_NAME}.json")],
        "enthält einen zu langen Namen",
    ),
    "bench: NUL byte": (
        lambda t, u: ["bench", "--json", "a\0b.json"],
        "enthält ein Nullzeichen",
    ),
    # teilhabe providers export --hsds FOLDER
    "export: 300-character name": (
        lambda t, u: ["providers", "export", "--hsds", str(t / LONG_NAME)],
        "enthält einen zu langen Namen",
    ),
    "export: NUL byte": (
        lambda t, u: ["providers", "export", "--hsds", "a\0b"],
        "enthält ein Nullzeichen",
    ),
    "export: a file": (
        lambda t, u: ["providers", "export", "--hsds", str((t / "f", (t / "f").write_text(""))[0])],
        "ist kein Ordner",
    ),
    "export: inside a file": (
        lambda t, u: [
            "providers",
            "export",
            "--hsds",
            str((t / "f", (t / "f").write_text(""))[0] / "paket"),
        ],
        "kann nicht nach",
    ),
}


@pytest.fixture(scope="module")
def sqlite_url(demo_sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A private copy of the demo database (so a failing case cannot spoil the others')."""
    return copy_of(demo_sqlite_url, tmp_path_factory.mktemp("hostile") / "demo.sqlite")


@pytest.fixture(scope="module")
def sqlite_engine(sqlite_url: str):
    engine = create_db_engine(make_url(sqlite_url))
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def before(sqlite_engine: Engine) -> dict[str, list[tuple]]:
    return dump(sqlite_engine)


def run(argv: list[str], url: str, capsys) -> tuple[int, str, str]:
    code = main([*argv, "--database-url", url])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_input_ends_in_one_german_line(
    case, sqlite_url, sqlite_engine, before, tmp_path, capsys
) -> None:
    build, fragment = CASES[case]
    argv = build(tmp_path, sqlite_url)
    capsys.readouterr()  # what building the case printed
    code, out, err = run(argv, sqlite_url, capsys)
    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err and "Error" not in err
    assert err.startswith("Fehler: ")
    assert fragment in err
    lines = err.rstrip("\n").split("\n")
    if err.startswith("Fehler: Das HSDS-Paket"):  # the problems of a package, one per line
        assert all(line.startswith("  - ") for line in lines[1:])
    else:
        assert len(lines) == 1, err
    assert dump(sqlite_engine) == before


def test_a_geometry_with_too_many_vertices_is_refused(
    sqlite_url, sqlite_engine, before, tmp_path, capsys, monkeypatch
) -> None:
    monkeypatch.setattr(boundary_files, "MAX_VERTICES_PER_MUNICIPALITY", 1_000)
    ring = [
        [10 + 0.1 * math.cos(2 * math.pi * i / 1_200), 48 + 0.1 * math.sin(2 * math.pi * i / 1_200)]
        for i in range(1_200)
    ]
    path = geojson(tmp_path, [[*ring, ring[0]]])
    code, out, err = run(["boundaries", "import", str(path)], sqlite_url, capsys)
    assert (code, out) == (2, "")
    assert err == (
        f"Fehler: Die Datei „{path}“ enthält Flächen mit mehr als 1.000 Eckpunkten (08135019); so "
        "fein ist keine amtliche Gemeindegrenze.\n"
    )
    assert dump(sqlite_engine) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file, whatever its permissions")
def test_an_unreadable_file_is_named(sqlite_url, sqlite_engine, before, tmp_path, capsys) -> None:
    path = tmp_path / "geheim.csv"
    path.write_text("id\n1\n")
    path.chmod(0)
    for argv in (["import", "client", str(path)], ["boundaries", "import", str(path)]):
        code, out, err = run(argv, sqlite_url, capsys)
        assert (code, out) == (2, "")
        assert err == f"Fehler: Die Datei {path} lässt sich nicht lesen: Keine Berechtigung.\n"
    assert dump(sqlite_engine) == before


def test_50000_header_columns_are_checked_in_linear_time(
    sqlite_url, sqlite_engine, before, tmp_path, capsys
) -> None:
    """The duplicate-column check of the HSDS reader took 57 s for 50,000 columns."""
    folder = tmp_path / "breit"
    folder.mkdir()
    columns = ["id", *(f"c{i}" for i in range(50_000)), "c7"]  # one duplicate, at the end
    (folder / "organization.csv").write_text(",".join(columns) + "\n")
    started = time.perf_counter()
    code, out, err = run(["providers", "import", "--hsds", str(folder)], sqlite_url, capsys)
    seconds = time.perf_counter() - started
    assert (code, out) == (2, "")
    assert "  - organization.csv, Zeile 1, Feld c7: Die Spalte kommt mehrfach vor." in err
    assert seconds < 20  # about 0.5 s; quadratic it was 57 s
    assert dump(sqlite_engine) == before


def test_a_hostile_package_leaves_postgresql_unchanged(postgres_url, build_db, tmp_path, capsys):
    import datetime as dt

    engine = build_db(spells=[("c1", dt.date(2012, 1, 1), None)], url=postgres_url)
    ensure_schema(engine, allow_upgrade=True)
    state = dump(engine)
    folder = descriptor(tmp_path, "[" * 50_000 + "]" * 50_000)
    (folder / "organization.csv").write_text("id,name\n")
    code, out, err = run(["providers", "import", "--hsds", str(folder)], postgres_url, capsys)
    assert (code, out) == (2, "")
    assert (
        "  - datapackage.json: Keine gültige JSON-Beschreibung: Die JSON-Daten sind zu tief "
        "verschachtelt." in err.splitlines()
    )
    path = geojson(tmp_path, [[[1e300, 1e300], [1e300, -1e300], [-1e300, 0], [1e300, 1e300]]])
    code, out, err = run(["boundaries", "import", str(path)], postgres_url, capsys)
    assert (code, out) == (2, "")
    assert "Koordinaten außerhalb der Erde" in err
    assert dump(engine) == state
    engine.dispose()
