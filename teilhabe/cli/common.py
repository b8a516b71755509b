"""Arguments and checks that several ``teilhabe`` subcommands share (figures, report).

The as-of month and the filters of the app's sidebar as options, turned into ``Filters`` and
checked against the database. A failed check raises ``UsageError`` with a German message, which
``teilhabe.cli.main.main`` prints as one line ("Fehler: ...") with exit code 2.
"""

from __future__ import annotations

import argparse

from sqlalchemy import Engine

from data_access.periods import month_key, parse_month
from teilhabe import figures
from teilhabe.definitions import BARRIER_CODES, SEXES
from teilhabe.indicators import AGE_GROUPS, Filters


class UsageError(Exception):
    """The arguments do not fit the database (German message, without "Fehler: ")."""


def month(text: str) -> int:
    """``JJJJ-MM`` as a month index (an argparse type)."""
    try:
        return parse_month(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        help="SQLAlchemy-URL der Datenbank (Standard: TEILHABE_DATABASE_URL oder lokale SQLite)",
    )


def add_as_of_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of", type=month, help="Monat JJJJ-MM (Standard: Datenstand der Datenbank)"
    )


def add_filter_options(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """The filters of the sidebar: municipality, sex, age group, barriers (repeatable)."""
    group = parser.add_argument_group("Filter (wiederholbar)")
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
