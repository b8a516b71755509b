"""``teilhabe cube build``: prepare the cube store of the current data version; and the same
step at the end of every import of the command line (``refresh``).

The build itself is ``teilhabe.cube_store``; here only arguments and messages.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import Engine

from data_access.db import check_connection, create_db_engine, ensure_schema
from data_access.settings import ConfigurationError, Settings
from teilhabe import figures
from teilhabe.cli.common import EXIT_OK, add_database_option, settings_from
from teilhabe.reporting.formatting import format_count, format_decimal
from teilhabe.startup import build_cube_store, stored_version


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``cube build`` with the subcommands of ``teilhabe``."""
    parser = subparsers.add_parser(
        "cube", help="Datenstand für die App aufbereiten (Würfelspeicher)"
    )
    actions = parser.add_subparsers(required=True, metavar="AKTION")
    build = actions.add_parser(
        "build",
        help="Fallkopie und Würfel des aktuellen Datenstands in den Würfelspeicher schreiben",
        description="Liest die Falldaten in Teilen (je Kreis, höchstens 250.000 Personen je "
        "Teil), baut daraus den Monatswürfel und schreibt ihn als Parquet in den Würfelspeicher "
        "(TEILHABE_CUBE_STORE, Standard <Datenordner>/cube). Neu gebaut wird nur, was sich "
        "seit dem letzten Stand geändert hat: Teile ohne Änderung werden übernommen, von den "
        "anderen die Monate vor der ersten Änderung. Laufende Apps zeigen den neuen "
        "Datenstand ab ihrem nächsten Seitenaufruf; bis dahin den letzten vollständigen.",
    )
    add_database_option(build)
    build.add_argument(
        "--if-needed",
        action="store_true",
        help="nur bauen, wenn der Speicher den Datenstand der Datenbank noch nicht hat",
    )
    build.set_defaults(handler=_build)
    return parser


def _build(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    engine = create_db_engine(settings.database_url)
    check_connection(engine)
    ensure_schema(engine, allow_upgrade=settings.uses_default_database)
    if args.if_needed and _up_to_date(engine, settings):
        print(f"Der Würfelspeicher hat den Datenstand schon ({settings.cube_store}).")
        return EXIT_OK
    _build_and_say(engine, settings)
    return EXIT_OK


def refresh(engine: Engine, settings: Settings) -> None:
    """After an import: build the store if its version is not the database's. A missing
    cell-key secret for real data does not undo the import; it is said on stderr."""
    try:
        if _up_to_date(engine, settings):
            return
        _build_and_say(engine, settings)
    except ConfigurationError as error:
        print(
            f"Hinweis: Datenstand nicht aufbereitet ({error}) Danach: teilhabe cube build",
            file=sys.stderr,
        )


def _up_to_date(engine: Engine, settings: Settings) -> bool:
    stored = stored_version(engine, settings)
    version = figures.dataset_info(engine=engine).get("data_version", "")
    return stored is not None and stored.version == version


def _build_and_say(engine: Engine, settings: Settings) -> None:
    manifest = build_cube_store(engine, settings)
    print(
        f"Datenstand aufbereitet: {format_count(manifest.persons)} Personen in "
        f"{format_count(manifest.partitions)} Teil(en), {format_decimal(manifest.seconds, 1)} s "
        f"(Version {manifest.version or '–'}, {settings.cube_store})."
    )
