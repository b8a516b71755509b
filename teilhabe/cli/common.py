"""What every ``teilhabe`` subcommand shares: exit codes, error lines and common options.

The exit-code convention lives here and nowhere else: ``EXIT_OK`` (0) when the command did its
work (also when there was nothing to change), ``EXIT_ERROR`` (2) when it refused — wrong
arguments (argparse's own code), an unusable file or path, a file with problems, a database that
cannot be reached or does not fit — with German lines on stderr, the first one "Fehler: ...",
and the database unchanged. Exit code 1 is left to Python: an unexpected fault (a bug) with its
traceback, never a user's mistake. ``run`` maps the known user errors to ``fail``.

The options several subcommands take: ``--database-url`` (every subcommand that opens a
database, through ``add_database_option``), the as-of month and the filters of the app's sidebar
(figures, report), turned into ``Filters`` and checked against the database.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable

from sqlalchemy import Engine

from data_access.db import DatabaseUnavailable, SchemaOutdated
from data_access.periods import month_key, parse_month
from data_access.settings import ConfigurationError, Settings
from teilhabe import figures
from teilhabe.definitions import AGE_GROUPS, BARRIER_CODES, SEXES, land_code
from teilhabe.demo import RealDataPresent
from teilhabe.exchange.safe_paths import UnusablePath
from teilhabe.selection import Filters

EXIT_OK = 0
EXIT_ERROR = 2  # the same code as argparse's for wrong arguments
DATABASE_DEFAULT = "TEILHABE_DATABASE_URL oder lokale SQLite"


class UsageError(Exception):
    """The arguments do not fit the database (German message, without "Fehler: ")."""


# The errors a user can cause and mend: one German line each, exit code 2.
USER_ERRORS: tuple[type[Exception], ...] = (
    ConfigurationError,
    DatabaseUnavailable,
    SchemaOutdated,
    RealDataPresent,
    UsageError,
    UnusablePath,  # a path argument that names no usable file or folder
)

Handler = Callable[[argparse.Namespace], int]


def run(handler: Handler, args: argparse.Namespace) -> int:
    """Run a subcommand; a user error becomes its German line and ``EXIT_ERROR``."""
    try:
        return handler(args)
    except USER_ERRORS as error:
        return fail(str(error))


def fail(message: str, details: Iterable[str] = ()) -> int:
    """Print "Fehler: message" (and further lines) on stderr; return ``EXIT_ERROR``."""
    print(f"Fehler: {message}", file=sys.stderr)
    for line in details:
        print(line, file=sys.stderr)
    return EXIT_ERROR


def positive_int(text: str) -> int:
    """A whole number of at least 1 (an argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} ist keine ganze Zahl") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} muss mindestens 1 sein")
    return value


def add_database_option(
    parser: argparse.ArgumentParser, *, default: str = DATABASE_DEFAULT
) -> None:
    """The one ``--database-url`` option of every subcommand that opens a database."""
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help=f"SQLAlchemy-URL der Datenbank (Standard: {default})",
    )


def settings_from(args: argparse.Namespace) -> Settings:
    """The settings with ``--database-url`` (if given) in place of the configured database."""
    return Settings.load(database_url=args.database_url)


def month(text: str) -> int:
    """``JJJJ-MM`` as a month index (an argparse type)."""
    try:
        return parse_month(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_as_of_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of", type=month, help="Monat JJJJ-MM (Standard: Datenstand der Datenbank)"
    )


def add_filter_options(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """The filters of the sidebar: Land, Jobcenter, municipality, sex, age group, barriers
    (repeatable)."""
    group = parser.add_argument_group("Filter (wiederholbar)")
    group.add_argument(
        "--land",
        action="append",
        default=[],
        metavar="LAND",
        help="Land (zweistelliger Schlüssel, z. B. 08 für Baden-Württemberg)",
    )
    group.add_argument(
        "--jobcenter",
        action="append",
        default=[],
        metavar="KREIS",
        help="Jobcenter (fünfstelliger Kreisschlüssel seines Kreises, z. B. 08135)",
    )
    group.add_argument(
        "--municipality",
        action="append",
        default=[],
        metavar="AGS",
        help="Gemeinde (achtstelliger Schlüssel)",
    )
    group.add_argument("--sex", action="append", default=[], choices=list(SEXES))
    group.add_argument("--age-group", action="append", default=[], choices=list(AGE_GROUPS))
    group.add_argument("--barrier", action="append", default=[], choices=list(BARRIER_CODES))
    group.add_argument(
        "--barrier-mode",
        choices=["any", "all"],
        default="any",
        help="mindestens eines (any) oder alle (all) der Hemmnisse",
    )
    return group


def filters_from(args: argparse.Namespace) -> Filters:
    """The filter options as ``Filters`` (not yet checked against the database)."""
    return Filters(
        lands=tuple(args.land),
        jobcenters=tuple(args.jobcenter),
        municipalities=tuple(args.municipality),
        sexes=tuple(args.sex),
        age_groups=tuple(args.age_group),
        barriers=tuple(args.barrier),
        barrier_mode=args.barrier_mode,
    )


def resolve_as_of(engine: Engine, requested: int | None, *, earliest: int | None = None) -> int:
    """The as-of month: the one asked for, else the Datenstand; never after the Datenstand.

    With ``earliest``, a month before it is refused too (e.g. before LZB can be counted).
    """
    latest = figures.data_as_of(engine=engine)
    if latest is None:
        raise UsageError("Die Datenbank enthält keine Leistungsdaten.")
    as_of = requested if requested is not None else latest
    if as_of > latest:
        raise UsageError(
            f"--as-of {month_key(as_of)} liegt nach dem Datenstand ({month_key(latest)})."
        )
    if earliest is not None and as_of < earliest:
        raise UsageError(
            f"--as-of {month_key(as_of)} liegt vor dem ersten auswertbaren Monat "
            f"({month_key(earliest)})."
        )
    return as_of


def check_municipalities(engine: Engine, municipalities: tuple[str, ...] | list[str]) -> None:
    """Every AGS must be a municipality of the database."""
    unknown = sorted(set(municipalities) - set(figures.municipality_names(engine=engine)))
    if unknown:
        raise UsageError(f"Unbekannte Gemeinde(n): {', '.join(unknown)}.")


def check_areas(engine: Engine, filters: Filters) -> None:
    """Every Land, Jobcenter (district key) and municipality must be one of the database."""
    jobcenters = figures.jobcenters(engine=engine)
    lands = {land_code(key) for key in jobcenters}
    for given, known, what in (
        (filters.lands, lands, "Land/Länder (--land)"),
        (filters.jobcenters, set(jobcenters), "Jobcenter (--jobcenter)"),
    ):
        unknown = sorted(set(given) - known)
        if unknown:
            shown = ", ".join(repr(value[:20]) for value in unknown[:5])
            offered = sorted(known)
            listed = ", ".join(offered) if len(offered) <= 20 else f"{len(offered)} Schlüssel"  # noqa: PLR2004
            raise UsageError(f"Unbekannte(s) {what}: {shown}; in der Datenbank: {listed}.")
    check_municipalities(engine, filters.municipalities)
