"""``teilhabe providers export|import``: the command line of the HSDS exchange (argparse and
the printed report only).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Engine

from data_access.auth import Actor
from teilhabe.cli.common import add_database_option, fail, settings_from
from teilhabe.cli.cube import refresh
from teilhabe.exchange.hsds.export import _csv_value, export_hsds
from teilhabe.exchange.hsds.importing import SHOWN_CHANGES, TABLE_LABELS, import_hsds
from teilhabe.exchange.hsds.package import HsdsError
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
    print(f"HSDS-Paket {args.hsds} geprüft: keine Probleme.")
    for line in report_lines(report, limit=SHOWN_CHANGES):
        print(line)
    if not args.dry_run:
        refresh(engine, settings_from(args))
    return 0


def report_lines(report: dict, *, limit: int | None = None) -> Iterable[str]:
    """The German summary of an import report: counts, then the changes (at most ``limit``)."""
    for table, counts in report["counts"].items():
        parts = [f"{counts['added']} neu"]
        parts.append(
            f"{counts['updated']} geändert"
            if "updated" in counts
            else f"{counts['removed']} entfernt"
        )
        parts.append(f"{counts['unchanged']} unverändert")
        yield f"{TABLE_LABELS[table][0]}: {', '.join(parts)}"
    changes = report["changes"]
    for change in changes[:limit]:
        label = TABLE_LABELS[change["table"]][1]
        if change["field"] is None:
            yield f"  neu: {label} {change['id']}"
        elif change["field"] == "hsds":
            yield f"  geändert: {label} {change['id']}: weitere HSDS-Angaben (Felder, Zeilen)"
        elif change["new"] is None:
            yield f"  entfernt: {label} {change['id']}: {_shown(change['old'])}"
        elif change["old"] is None and change["table"] in (
            "service_area",
            "service_category_barrier",
        ):
            yield f"  hinzu: {label} {change['id']}: {_shown(change['new'])}"
        else:
            yield (
                f"  geändert: {label} {change['id']}: {change['field']} "
                f"{_shown(change['old'])} → {_shown(change['new'])}"
            )
    if limit is not None and len(changes) > limit:
        yield f"  … und {len(changes) - limit} weitere Änderungen"
    kept = report["not_in_package"]
    if kept["provider"] or kept["service"]:
        yield (
            f"Nicht im Paket und unverändert behalten: {len(kept['provider'])} Anbieter, "
            f"{len(kept['service'])} Leistungen."
        )
    warnings = report.get("warnings", [])
    if warnings:
        yield f"Hinweise ({len(warnings)}):"
        for warning in warnings[:limit]:
            yield f"  - {warning}"
        if limit is not None and len(warnings) > limit:
            yield f"  … und {len(warnings) - limit} weitere Hinweise"
    if report["dry_run"]:
        yield "Probelauf (--dry-run): Die Datenbank wurde nicht verändert."


def _shown(value: object) -> str:
    return "(leer)" if value is None else f"„{_csv_value(value)}“"
