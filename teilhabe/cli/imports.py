"""``teilhabe import TABLE FILE``: one file into one table, checked completely, all or nothing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from data_access.auth import Actor
from data_access.db import check_connection, create_db_engine, ensure_schema
from data_access.settings import Settings
from teilhabe.cli.common import EXIT_ERROR, add_database_option
from teilhabe.cli.cube import refresh
from teilhabe.exchange.core import failure_message
from teilhabe.exchange.report import report_lines
from teilhabe.exchange.safe_paths import check_file
from teilhabe.exchange.source import Limits
from teilhabe.exchange.tables import IMPORT_ORDER, TABLES, UnknownTable, table_spec
from teilhabe.exchange.tabular import import_table


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``import`` with the subcommands of ``teilhabe``."""
    tables = "\n".join(f"  {name:<20} {TABLES[name].label}" for name in IMPORT_ORDER)
    parser = subparsers.add_parser(
        "import",
        help="eine Datei (CSV, Excel, Parquet) in eine Tabelle importieren",
        description="Prüft die Datei vollständig (Spalten, Typen, Pflichtfelder, Codes, Verweise, "
        "Dubletten) und meldet jedes Problem mit Datei, Zeile, Spalte und Wert. Nur eine "
        "fehlerfreie Datei wird übernommen, in einer Transaktion: neue Zeilen werden ergänzt, "
        "geänderte über ihren Schlüssel aktualisiert, nichts wird gelöscht. Zu große Dateien "
        "werden beim Lesen abgelehnt: höchstens TEILHABE_IMPORT_MAX_FILE_MB (Standard 500 MB) und "
        "TEILHABE_IMPORT_MAX_ROWS Datenzeilen (Standard 1.000.000); Excel-Dateien entpackt "
        "höchstens TEILHABE_IMPORT_MAX_UNPACKED_MB (Standard 500 MB) und 10.000.000 Zellen.",
        epilog=f"Tabellen, in der Reihenfolge, in der sie aufeinander verweisen:\n{tables}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "table",
        type=_table,
        metavar="TABELLE",
        help="Tabelle, z. B. client oder clients, benefit_spell, referral",
    )
    parser.add_argument(
        "file",
        type=Path,
        metavar="DATEI",
        help="CSV- (.csv, .txt), Excel- (.xlsx) oder Parquet-Datei",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="nur prüfen und Änderungen zählen, nichts schreiben"
    )
    add_database_option(parser)
    parser.set_defaults(handler=_import)
    return parser


def _table(text: str) -> str:
    try:
        return table_spec(text).name
    except UnknownTable as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _open(settings: Settings) -> Engine:
    """The database with a current schema; never filled with demo data (unlike the app)."""
    engine = create_db_engine(settings.database_url)
    check_connection(engine)
    ensure_schema(engine, allow_upgrade=settings.uses_default_database)
    return engine


def _import(args: argparse.Namespace) -> int:
    settings = Settings.load(database_url=args.database_url)
    check_file(args.file)  # a hostile path ends in UnusablePath, a German line from cli.main
    engine = _open(settings)
    try:
        report = import_table(
            engine,
            args.table,
            args.file,
            actor=Actor.command_line(),
            dry_run=args.dry_run,
            limits=Limits.from_settings(settings),
        )
    except SQLAlchemyError as error:  # e.g. the database went away or is locked
        print(f"Fehler: {failure_message(error)}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        engine.dispose()
    if not report.ok and len(report.problems) == 1 and report.problems[0].row is None:
        # the file as a whole (too big, unreadable): one line
        print(f"Fehler: {report.problems[0]} Die Datenbank ist unverändert.", file=sys.stderr)
        return EXIT_ERROR
    if not report.ok:
        first, *problems = report_lines(report)
        print(f"Fehler: {first}", file=sys.stderr)
        for line in problems:
            print(line, file=sys.stderr)
        return EXIT_ERROR
    for line in report_lines(report):
        print(line)
    if not args.dry_run:
        refresh(engine, settings)
    return 0
