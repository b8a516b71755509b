"""``teilhabe report --pdf FILE``: the PDF report for officials, e.g. for scheduled runs.

The same report as the app's "Bericht (PDF)" button, for the as-of month and the filters given
as options (the same as ``teilhabe figures``). The file is written completely or not at all.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from teilhabe import figures
from teilhabe.cli import common as cli_common
from teilhabe.exchange.safe_paths import check_output_file, os_reason, shown_path
from teilhabe.protection import Protection
from teilhabe.reporting.formatting import format_as_of, format_decimal
from teilhabe.startup import case_copy, open_database

YEARS = (1, 2, 3, 5)  # the periods of the sidebar


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``report`` with the subcommands of ``teilhabe``."""
    report = subparsers.add_parser(
        "report",
        help="Bericht für Gremien als PDF schreiben",
        description="Schreibt den Bericht (PDF) zu einem Stichtag: Kennzahlen mit Vorjahr und "
        "Veränderung, Diagramme, Tabelle nach Gemeinden, Begriffe und Hinweis zur "
        "Geheimhaltung; für die gewählten Filter, in deutschen Zahl- und Datumsformaten.",
    )
    report.add_argument(
        "--pdf", type=Path, required=True, metavar="DATEI", help="Zieldatei des Berichts (PDF)"
    )
    cli_common.add_as_of_option(report)
    report.add_argument(
        "--years",
        type=int,
        choices=YEARS,
        default=5,
        help="Zeitraum der Verläufe in Jahren (Standard: %(default)s)",
    )
    report.add_argument(
        "--no-charts",
        action="store_true",
        help="ohne Diagramme (sie brauchen Chromium; ohne es schlägt der Bericht sonst fehl)",
    )
    cli_common.add_database_option(report)
    cli_common.add_filter_options(report)
    report.set_defaults(handler=run)
    return report


def run(args: argparse.Namespace) -> int:
    from teilhabe.reporting import images  # plotly, kaleido and fpdf2: only when needed
    from teilhabe.reporting import pdf as report

    started = time.perf_counter()
    check_output_file(args.pdf)  # before the work of building the report
    settings = cli_common.settings_from(args)
    engine = open_database(settings)
    try:
        earliest = figures.first_complete_month(engine=engine, years=2)
        as_of = cli_common.resolve_as_of(engine, args.as_of, earliest=earliest)
        filters = cli_common.filters_from(args)
        cli_common.check_areas(engine, filters)
        cases = case_copy(engine, settings)
        try:
            pdf = report.build_report(
                engine,
                cases,
                as_of=as_of,
                protection=Protection.configured(settings),
                filters=filters,
                years=args.years,
                charts="omit" if args.no_charts else "include",
            )
        except images.ChartRenderError as error:
            raise cli_common.UsageError(
                f"{error} Mit --no-charts entsteht der Bericht ohne Diagramme."
            ) from None
    finally:
        engine.dispose()
    try:
        _write_atomically(args.pdf, pdf)
    except OSError as error:
        return cli_common.fail(
            f"{shown_path(args.pdf)} kann nicht geschrieben werden: {os_reason(error)}."
        )
    seconds = format_decimal(time.perf_counter() - started, 1)
    size = format_decimal(len(pdf) / 1024, 0)
    print(
        f"Bericht zum Stichtag {format_as_of(as_of)} geschrieben: {args.pdf} "
        f"({size} KB, {seconds} s)."
    )
    return cli_common.EXIT_OK


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file next to ``path``, then rename: never a half-written report."""
    handle, temporary = tempfile.mkstemp(  # a short name: the report's may be 255 bytes long
        prefix=".teilhabe-report.", suffix=".tmp", dir=path.absolute().parent
    )
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o666 & ~_umask())  # as a plainly created file, not 0600
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
