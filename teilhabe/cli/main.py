"""The ``teilhabe`` command: demo data, figures and schema upgrades from the shell.

Every subcommand opens the database through the same settings and data layer as the app, so the
CLI and the dashboard show the same numbers. Exit codes and error lines follow the one
convention of ``teilhabe.cli.common`` (0 done, 2 refused with a German line on stderr).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from typing import cast

import polars as pl

import teilhabe.cli.bench as bench_cli
import teilhabe.cli.boundaries as boundaries_cli
import teilhabe.cli.cube as cube_cli
import teilhabe.cli.imports as import_cli
import teilhabe.cli.report as report_cli
import teilhabe.cli.users as users_cli
from data_access.db import (
    check_connection,
    create_db_engine,
    ensure_schema,
    upgrade_schema,
)
from data_access.periods import month_key
from teilhabe import amounts, barriers, figures
from teilhabe.cli import common as cli_common
from teilhabe.cli import providers
from teilhabe.definitions import land_name
from teilhabe.demo import DemoSpec, load_demo
from teilhabe.indicators import DIMENSIONS
from teilhabe.protection import Protection
from teilhabe.reporting.formatting import format_count, format_decimal
from teilhabe.selection import Filters
from teilhabe.startup import case_copy, open_database


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the subcommand; the exit code as in ``teilhabe.cli.common``."""
    args = _parser().parse_args(argv)
    return cli_common.run(args.handler, args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="teilhabe", description="Teilhabe-Monitor: Demodaten, Kennzahlen und Datenbank."
    )
    commands = parser.add_subparsers(required=True, metavar="BEFEHL")

    demo = commands.add_parser("demo", help="Demodaten (neu) erzeugen")
    cli_common.add_database_option(demo)
    demo.add_argument(
        "--clients",
        type=cli_common.positive_int,
        default=DemoSpec().clients,
        help="Zahl der Personen insgesamt (Standard: %(default)s, gibt die Zahlen des Artikels)",
    )
    demo.add_argument(
        "--districts", type=cli_common.positive_int, default=1, help="Zahl der Kreise (Standard: 1)"
    )
    demo.add_argument(
        "--force", action="store_true", help="auch eine Datenbank mit echten Daten überschreiben"
    )
    demo.set_defaults(handler=_demo)

    figures_ = commands.add_parser("figures", help="Kennzahlen zu einem Stichtag ausgeben")
    cli_common.add_database_option(figures_)
    figures_.add_argument("--json", action="store_true", help="als JSON-Objekt ausgeben")
    cli_common.add_as_of_option(figures_)
    cli_common.add_filter_options(figures_)
    figures_.add_argument(
        "--exact",
        action="store_true",
        help="exakte Werte ohne Zufallsüberlagerung (nur für den internen Gebrauch; "
        'als "protection": "none" gekennzeichnet)',
    )
    figures_.add_argument(
        "--by",
        choices=[*DIMENSIONS, "barrier"],
        help="Aufgliederung: Zeilen je Gruppe (rows) und Gesamt (total)",
    )
    figures_.set_defaults(handler=_figures)

    bench_cli.add_parser(commands)
    boundaries_cli.add_parser(commands)
    cube_cli.add_parser(commands)
    providers.add_parser(commands)
    import_cli.add_parser(commands)
    report_cli.add_parser(commands)
    users_cli.add_parser(commands)

    db = commands.add_parser("db", help="Datenbankschema verwalten")
    db_commands = db.add_subparsers(required=True, metavar="AKTION")
    upgrade = db_commands.add_parser("upgrade", help="Schema auf den neuesten Stand bringen")
    cli_common.add_database_option(upgrade)
    upgrade.set_defaults(handler=_db_upgrade)
    return parser


def _demo(args: argparse.Namespace) -> int:
    settings = cli_common.settings_from(args)
    engine = create_db_engine(settings.database_url)
    check_connection(engine)
    ensure_schema(engine, allow_upgrade=True)
    started = time.perf_counter()
    written = load_demo(
        engine, DemoSpec(clients=args.clients, districts=args.districts), force=args.force
    )
    seconds = format_decimal(time.perf_counter() - started, 1)
    print(
        f"Demodaten in {settings.database_label} geschrieben: "
        f"{format_count(written['client'])} Personen, "
        f"{format_count(written['benefit_spell'])} Leistungszeiträume ({seconds} s)."
    )
    cube_cli.refresh(engine, settings)
    return cli_common.EXIT_OK


def _figures(args: argparse.Namespace) -> int:
    settings = cli_common.settings_from(args)
    engine = open_database(settings)
    as_of = cli_common.resolve_as_of(engine, args.as_of)
    chosen = cli_common.filters_from(args)
    cli_common.check_areas(engine, chosen)
    cases = case_copy(engine, settings)
    protection = Protection(exact=True) if args.exact else Protection.configured(settings)
    result = _json_figures(engine, cases, as_of, protection, chosen)
    if args.by == "barrier":
        # prevalence per barrier: counts overlap (several barriers per person), so the total is
        # the group's figures as they are
        rows = barriers.prevalence(cases, chosen, as_of, protection)
        result = {
            "as_of": result["as_of"],
            "by": "barrier",
            "filters": result["filters"],
            "rows": [
                {key: _json_value(value) for key, value in row.items()}
                for row in rows.iter_rows(named=True)
            ],
            "total": {k: result[k] for k in ("elb", "lzb", "integrations_12m", "integration_rate")},
            "protection": result["protection"],
            "min_rate_base": result["min_rate_base"],
        }
    elif args.by:
        groups = figures.breakdown_series(
            cases=cases, by=args.by, months=[as_of], protection=protection, filters=chosen
        ).drop("month")
        result = {
            "as_of": result["as_of"],
            "by": args.by,
            "filters": result["filters"],
            "rows": _named(
                engine,
                args.by,
                [
                    {key: _json_value(value) for key, value in row.items()}
                    for row in groups.sort(args.by).iter_rows(named=True)
                ],
            ),
            "total": {k: v for k, v in result.items() if k in groups.columns},
            "protection": result["protection"],
            "min_rate_base": result["min_rate_base"],
        }
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return cli_common.EXIT_OK


def _named(engine, by: str, rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Rows of a breakdown by an area with the area's name after its key (``name``)."""
    if by == "land":
        names = {str(row["land"]): land_name(str(row["land"])) for row in rows}
    elif by == "jobcenter":
        names = figures.jobcenters(engine=engine)
    elif by == "municipality":
        names = figures.municipality_names(engine=engine)
    else:
        return rows
    return [
        {by: row[by], "name": names.get(str(row[by]))} | {k: v for k, v in row.items() if k != by}
        for row in rows
    ]


def _json_figures(
    engine, cases, as_of: int, protection: Protection, chosen: Filters
) -> dict[str, object]:
    """The headline figures as plain JSON values; a rate not shown is null."""
    headline = figures.headline_figures(
        engine=engine, cases=cases, as_of=as_of, protection=protection, filters=chosen
    ).to_dict()
    events = cast(pl.DataFrame, headline.pop("network_events"))
    return {
        "as_of": month_key(as_of),
        "as_of_date": figures.as_of_date(as_of).isoformat(),
        "synthetic": figures.dataset_info(engine=engine).get("synthetic") == "true",
        "filters": {k: list(v) if isinstance(v, tuple) else v for k, v in vars(chosen).items()},
        **{key: _json_value(value) for key, value in headline.items()},
        # K1 and K1E1 where benefit amounts are imported (for the whole Jobcenter)
        **{
            key: _json_value(value)
            for key, value in amounts.benefit_changes(
                engine=engine, cases=cases, as_of=as_of, protection=protection
            ).items()
        },
        "network_events": [{**e, "date": e["date"].isoformat()} for e in events.to_dicts()],
        "protection": protection.label,
        "min_rate_base": protection.min_rate_base,
    }


def _json_value(value: object) -> object:
    """Rates are rounded to one decimal as published; a rate not shown stays null."""
    if isinstance(value, float):
        return round(value, 1)
    return value


def _db_upgrade(args: argparse.Namespace) -> int:
    settings = cli_common.settings_from(args)
    engine = create_db_engine(settings.database_url)
    check_connection(engine)
    upgrade_schema(engine)
    print(f"Schema von {settings.database_label} ist auf dem neuesten Stand.")
    return cli_common.EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
