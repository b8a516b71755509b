"""``teilhabe bench``: the options of the benchmark and its printed progress and table.

The measuring itself (data set, scenarios, the fast and the naive way, the result) is
``teilhabe.bench``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from data_access.db import check_connection, create_db_engine, ensure_schema
from data_access.settings import Settings
from teilhabe import bench, figures
from teilhabe.bench import (
    DEFAULT_CLIENTS,
    DEFAULT_DISTRICTS,
    DEFAULT_NAIVE_REPEAT,
    DEFAULT_REPEAT,
)
from teilhabe.cases import read_cases
from teilhabe.cli import common as cli_common
from teilhabe.demo import DemoSpec
from teilhabe.exchange.safe_paths import check_path_text
from teilhabe.protection import DEMO_SECRET, Protection
from teilhabe.reporting.formatting import format_count, format_decimal


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``bench`` with the subcommands of ``teilhabe``."""
    parser = subparsers.add_parser(
        "bench",
        help="Messung: Kennzahlen nach einem Filterwechsel, Monatswürfel gegen naives Lesen",
        description="Misst, wie schnell Übersicht und Integrationsseite nach einem "
        "Filterwechsel neu berechnet sind (Monatswürfel der Spaltenkopie), und vergleicht mit "
        "dem naiven Weg (pandas.read_sql der Falltabellen bei jedem Wechsel).",
    )
    parser.add_argument(
        "--clients",
        type=cli_common.positive_int,
        default=DEFAULT_CLIENTS,
        help="Zahl der Personen im Messdatensatz (Standard: %(default)s)",
    )
    parser.add_argument(
        "--districts",
        type=cli_common.positive_int,
        default=DEFAULT_DISTRICTS,
        help="Zahl der Kreise (Standard: %(default)s)",
    )
    parser.add_argument(
        "--repeat",
        type=cli_common.positive_int,
        default=DEFAULT_REPEAT,
        help="Wiederholungen des schnellen Wegs, je mit anderem Filter (Standard: %(default)s)",
    )
    parser.add_argument(
        "--naive-repeat",
        type=cli_common.positive_int,
        default=DEFAULT_NAIVE_REPEAT,
        help="Wiederholungen des naiven Wegs, höchstens --repeat (Standard: %(default)s)",
    )
    cli_common.add_database_option(
        parser,
        default="SQLite-Datei unter <Datenordner>/bench/; wird mit dem Demogenerator erzeugt, "
        "falls sie nicht schon den Messdatensatz dieser Größe enthält",
    )
    parser.add_argument(
        "--skip-naive", action="store_true", help="den naiven Vergleichsweg nicht messen"
    )
    parser.add_argument("--json", type=Path, metavar="DATEI", help="Ergebnis als JSON-Datei")
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Build or reuse the data set, measure both ways, print the table."""
    if args.json is not None:  # a hopeless target is refused before minutes of measuring
        args.json = check_path_text(args.json, "die Zieldatei")
    spec = DemoSpec(clients=args.clients, districts=args.districts)
    settings = Settings.load(database_url=args.database_url or bench.default_url(spec))
    engine = create_db_engine(settings.database_url)
    check_connection(engine)
    ensure_schema(engine, allow_upgrade=True)
    print(f"Messdatenbank: {settings.database_label}")
    build = bench.build_dataset(engine, spec)

    secret = settings.cell_key_secret or DEMO_SECRET  # the bench data are synthetic
    started = time.perf_counter()
    cases = read_cases(engine=engine, secret=secret)
    copy_seconds = time.perf_counter() - started
    print(
        f"Spaltenkopie gelesen und Monatswürfel gebildet: {format_decimal(copy_seconds, 1)} s "
        f"({format_count(cases.clients.height)} Personen, "
        f"{format_count(cases.spells.height)} Leistungszeiträume; einmal je Datenstand)"
    )
    parquet_seconds = bench.parquet_reload_seconds(engine, cases, secret)
    print(
        f"Spaltenkopie aus dem Parquet-Cache (Neustart der App): "
        f"{format_decimal(parquet_seconds, 1)} s"
    )

    as_of = figures.data_as_of(engine=engine)
    if as_of is None:
        raise ValueError("Die Messdatenbank enthält keine Leistungsdaten.")
    protection = Protection.configured(settings)
    scenarios = bench.make_scenarios(cases, as_of, args.repeat)

    print(f"\nSchneller Weg (Monatswürfel, Zufallsüberlagerung), {args.repeat} Wiederholungen:")
    fast_ms, fast_parts, exact_ms, warm_ms, exact_numbers = [], [], [], [], []
    for number, scenario in enumerate(scenarios, start=1):
        seconds, parts, _ = bench.measure_fast(engine, cases, scenario, protection)
        fast_ms.append(seconds * 1000)
        fast_parts.append(parts)
        # the cost of the protection: the same once more with exact values and published, both
        # warm (the first run above filled the cache of barrier groups), in alternating order
        runs = {}
        order = [Protection(exact=True), protection][:: 1 if number % 2 else -1]
        for chosen in order:
            runs[chosen.exact] = bench.measure_fast(engine, cases, scenario, chosen)
        exact_ms.append(runs[True][0] * 1000)
        warm_ms.append(runs[False][0] * 1000)
        exact_numbers.append(runs[True][2])
        print(
            f"  {number}. {bench.describe(scenario)}: {format_decimal(seconds * 1000, 1)} ms "
            f"(noch einmal: exakt {format_decimal(runs[True][0] * 1000, 1)} ms, "
            f"geschützt {format_decimal(runs[False][0] * 1000, 1)} ms)"
        )

    naive_ms: list[float] = []
    naive_read_ms: list[float] = []
    comparisons = []
    if not args.skip_naive:
        naive_repeat = min(args.naive_repeat, args.repeat)
        print(
            f"\nNaiver Weg (pandas.read_sql der Falltabellen bei jedem Filterwechsel), "
            f"{naive_repeat} Wiederholungen:"
        )
        for number, scenario in enumerate(scenarios[:naive_repeat], start=1):
            seconds, read_seconds, numbers = bench.measure_naive(engine, scenario)
            naive_ms.append(seconds * 1000)
            naive_read_ms.append(read_seconds * 1000)
            bench.check_agreement(exact_numbers[number - 1], numbers, scenario)
            comparisons.append({"scenario": bench.scenario_json(scenario), "headline": numbers})
            print(
                f"  {number}. {bench.describe(scenario)}: {format_decimal(seconds * 1000, 1)} ms "
                f"(davon Lesen {format_decimal(read_seconds * 1000, 1)} ms); "
                "Kennzahlen stimmen mit den exakten des schnellen Wegs überein"
            )

    result = bench.result_json(
        spec=spec,
        settings=settings,
        build=build,
        copy_seconds=copy_seconds,
        parquet_seconds=parquet_seconds,
        protection=protection,
        scenarios=scenarios,
        fast_ms=fast_ms,
        fast_parts=fast_parts,
        exact_ms=exact_ms,
        warm_ms=warm_ms,
        exact_numbers=exact_numbers,
        naive_ms=naive_ms,
        naive_read_ms=naive_read_ms,
        comparisons=comparisons,
    )
    print()
    print(bench.result_table(result))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"\nErgebnis geschrieben: {args.json}")
    engine.dispose()
    return cli_common.EXIT_OK
