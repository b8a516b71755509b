"""``teilhabe providers export|import``: the command line of the HSDS exchange (argparse and
the printed report only).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy import Engine

from data_access.auth import Actor
from teilhabe.cli.common import add_database_option, fail, settings_from
from teilhabe.cli.cube import refresh
from teilhabe.exchange.hsds.export import export_hsds
from teilhabe.exchange.hsds.importing import SHOWN_CHANGES, import_hsds
from teilhabe.exchange.hsds.package import HsdsError
from teilhabe.exchange.report import report_lines
from teilhabe.startup import open_database

# --- Command line ----------------------------------------------------------------------------


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``providers export`` and ``providers import`` with the subcommands of teilhabe."""
    providers = subparsers.add_parser(
        "providers",
        help="Anbieterverzeichnis als Open-Referral-HSDS-Paket exportieren oder importieren",
        description="Anbieter, Leistungen, Kategorien und Versorgungsgebiete als Tabular Data "
        "Package nach Open Referral HSDS 3.0 (eine CSV-Datei je Objekt und datapackage.json). "
        "Personenbezogene Daten sind nie enthalten.",
    )
    actions = providers.add_subparsers(required=True, metavar="AKTION")
    export = actions.add_parser(
        "export", help="Verzeichnis als HSDS-Paket in einen Ordner schreiben"
    )
    export.add_argument(
        "--hsds", type=Path, required=True, metavar="ORDNER", help="Zielordner (wird angelegt)"
    )
    add_database_option(export)
    export.set_defaults(handler=_export_command)
    import_ = actions.add_parser(
        "import",
        help="HSDS-Paket prüfen und ins Verzeichnis übernehmen (alles oder nichts)",
        description="Prüft das ganze Paket und meldet jedes Problem mit Datei, Zeile, Feld und "
        "Wert; nur ein fehlerfreies Paket wird in einer Transaktion übernommen. Anbieter und "
        "Leistungen werden nie gelöscht.",
    )
    import_.add_argument(
        "--hsds", type=Path, required=True, metavar="ORDNER", help="Ordner mit dem Paket"
    )
    import_.add_argument(
        "--category-map",
        type=Path,
        metavar="DATEI",
        help="CSV-Datei, die Begriffe fremder Taxonomien (Spalte term: id, code oder name) den "
        "Leistungskategorien (Spalte category) oder Hemmnissen (Spalte barrier) zuordnet",
    )
    import_.add_argument(
        "--dry-run",
        action="store_true",
        help="nur prüfen und Änderungen anzeigen, nichts schreiben",
    )
    add_database_option(import_)
    import_.set_defaults(handler=_import_command)
    return providers


def _open(args: argparse.Namespace) -> Engine:
    return open_database(settings_from(args))


def _export_command(args: argparse.Namespace) -> int:
    engine = _open(args)
    try:
        written = export_hsds(engine, args.hsds)
    except HsdsError as error:
        return fail(str(error))
    print(
        f"HSDS-Paket nach {args.hsds} geschrieben: {written['organization']} Organisationen, "
        f"{written['service']} Leistungen, {written['service_area']} Versorgungsgebiete, "
        f"{written['taxonomy_term']} Taxonomiebegriffe."
    )
    return 0


def _import_command(args: argparse.Namespace) -> int:
    engine = _open(args)
    try:
        report = import_hsds(
            engine,
            args.hsds,
            actor=Actor.command_line(),
            dry_run=args.dry_run,
            category_map=args.category_map,
        )
    except HsdsError as error:
        return fail(str(error))
    for line in report_lines(report, limit=SHOWN_CHANGES):
        print(line)
    if not args.dry_run:
        refresh(engine, settings_from(args))
    return 0
