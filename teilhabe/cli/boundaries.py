"""``teilhabe boundaries import``: official municipality boundaries (BKG VG250) for the map."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from data_access.auth import Actor
from data_access.settings import Settings
from teilhabe.cli.common import EXIT_ERROR, add_database_option
from teilhabe.cli.cube import refresh
from teilhabe.exchange.boundaries import BoundaryFileError, BoundaryImportRefused, import_boundaries
from teilhabe.exchange.report import report_lines
from teilhabe.startup import open_database


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``boundaries`` with the subcommands of ``teilhabe``."""
    boundaries = subparsers.add_parser(
        "boundaries",
        help="Gemeindegrenzen für die Karte verwalten",
        description="Amtliche Gemeindegrenzen für die Karte übernehmen (BKG VG250).",
    )
    actions = boundaries.add_subparsers(required=True, metavar="AKTION")
    import_ = actions.add_parser(
        "import",
        help="Gemeindegrenzen aus einer Datei übernehmen",
        description="Übernimmt Gemeindegrenzen aus einer Datei: BKG VG250 als Shapefile oder "
        "GeoPackage (Ebene VG250_GEM, EPSG:25832, Felder AGS, GEN, GF) oder GeoJSON in WGS 84 "
        "(Feld AGS). Nur Landflächen (GF 3 und 4) werden übernommen; die Grenzen derselben "
        "Gemeinden werden ersetzt, Gemeinden, die nicht in der Datenbank sind, übersprungen. "
        "Heißt eine Gemeinde in der Datei anders als in der Datenbank, wird nichts übernommen "
        "(außer mit --accept-names). Eine Änderung gibt den Daten eine neue Version.",
        epilog="Quelle der amtlichen Grenzen: © GeoBasis-DE / BKG (Jahr), Datenlizenz "
        "Deutschland – Namensnennung 2.0; die Karte nennt sie mit „(Daten verändert)“, weil "
        "die Grenzen vereinfacht werden.",
    )
    import_.add_argument(
        "file", type=Path, metavar="DATEI", help="Shapefile (.shp), GeoPackage (.gpkg) oder GeoJSON"
    )
    import_.add_argument(
        "--layer",
        metavar="NAME",
        help="Ebene der Datei (bei mehreren nötig; VG250_GEM wird von selbst gewählt)",
    )
    import_.add_argument(
        "--district",
        type=_district_key,
        metavar="KREIS",
        help="nur die Gemeinden dieses Kreises (fünfstelliger Schlüssel, z. B. 08135)",
    )
    import_.add_argument(
        "--accept-names",
        action="store_true",
        help="Gemeindenamen der Datei (Feld GEN) übernehmen, wo sie von denen der Datenbank "
        "abweichen (sonst wird der Import abgelehnt)",
    )
    import_.add_argument(
        "--year",
        type=_year,
        metavar="JAHR",
        help="Stand (Ausgabejahr) der Datei für die Quellenangabe, z. B. 2024",
    )
    add_database_option(import_)
    import_.set_defaults(handler=_import)
    return boundaries


def _district_key(text: str) -> str:
    if not re.fullmatch(r"\d{5}", text):
        raise argparse.ArgumentTypeError(f"{text!r} ist kein fünfstelliger Kreisschlüssel")
    return text


def _year(text: str) -> int:
    if not re.fullmatch(r"(19|20)\d\d", text):
        raise argparse.ArgumentTypeError(f"{text!r} ist keine Jahreszahl")
    return int(text)


def _import(args: argparse.Namespace) -> int:
    settings = Settings.load(database_url=args.database_url)
    engine = open_database(settings)
    try:
        report = import_boundaries(
            engine,
            args.file,
            layer=args.layer,
            district=args.district,
            actor=Actor.command_line(),
            accept_names=args.accept_names,
            year=args.year,
        )
    except BoundaryImportRefused as error:
        print("Fehler: Die Datei passt nicht zur Datenbank:", file=sys.stderr)
        for problem in error.problems:
            print(f"  - {problem.message}", file=sys.stderr)
        return EXIT_ERROR
    except BoundaryFileError as error:
        print(f"Fehler: {error}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        engine.dispose()
    print(f"Datenbank: {settings.database_label}")
    for line in report_lines(report):
        print(line)
    refresh(engine, settings)
    return 0
