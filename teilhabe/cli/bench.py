"""``teilhabe bench``: the options of the benchmark and its printed progress and table.

The measuring itself (data set, scenarios, the fast and the naive way, the result) is
``teilhabe.bench``.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
from pathlib import Path

import polars as pl

from data_access.db import check_connection, create_db_engine, ensure_schema
from data_access.settings import Settings
from teilhabe import bench, bench_scale, cube_store, figures
from teilhabe.bench import (
    DEFAULT_CLIENTS,
    DEFAULT_DISTRICTS,
    DEFAULT_NAIVE_REPEAT,
    DEFAULT_REPEAT,
)
from teilhabe.cli import common as cli_common
from teilhabe.demo import DemoSpec
from teilhabe.exchange.safe_paths import check_path_text
from teilhabe.protection import Protection
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

    print("Würfelspeicher wird gebaut (teilhabe cube build, eigener Prozess) …")
    store: dict[str, object] = {"build": bench_scale.build_store(settings)}
    store["read"] = bench_scale.read_store(settings)
    print(
        f"Würfelspeicher gebaut: {_seconds_rss(store['build'])}; von einem App-Prozess gelesen "
        f"und die Übersicht berechnet: {_seconds_rss(store['read'])}"
    )
    manifest = cube_store.current(settings.cube_store, settings.database_label, None)
    if manifest is None:
        raise ValueError("Der Würfelspeicher der Messdatenbank ist leer.")
    version = cube_store.database_folder(settings.cube_store, settings.database_label)
    version = version / manifest.folder
    as_of = figures.data_as_of(engine=engine)
    if as_of is None:
        raise ValueError("Die Messdatenbank enthält keine Leistungsdaten.")
    scenarios = bench.make_scenarios(
        pl.scan_parquet(version / "clients" / "*.parquet"), as_of, args.repeat
    )
    # DuckDB first, from the store's files: this process then holds its tables or the copy,
    # never both
    duck = _duckdb(version, scenarios)

    cases = cube_store.read_version(settings.cube_store, settings.database_label, manifest.folder)
    spells = cases.scan("spells").select(pl.len()).collect().item()
    print(
        f"({format_count(manifest.persons)} Personen, {format_count(spells)} Leistungszeiträume, "
        f"{format_count(cases.stock_cells.height)} Würfelzeilen mit Hemmnismaske)"
    )
    protection = Protection.configured(settings)

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
        store=store,
        duckdb=_checked(duck, exact_numbers),
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
    # this process's peak: generating the data set (if it did), DuckDB's tables, the copy
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["bench_peak_rss_mb"] = round(peak_mb, 1)
    print()
    print(bench.result_table(result))
    print(f"Spitze dieses Prozesses: {format_count(round(peak_mb))} MB RSS")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"\nErgebnis geschrieben: {args.json}")
    engine.dispose()
    return cli_common.EXIT_OK


def _seconds_rss(measured: object) -> str:
    assert isinstance(measured, dict)
    return (
        f"{format_decimal(measured['seconds'], 1)} s (Rechenzeit "
        f"{format_decimal(measured['cpu_seconds'], 1)} s), Spitze "
        f"{format_count(round(measured['peak_rss_mb']))} MB RSS"
    )


def _duckdb(version: Path, scenarios: list) -> dict[str, object] | None:
    """The same filter changes in DuckDB (exact) over the cube of the stored ``version`` (its
    folder), or None with a note when it is missing; with the ELB it counts per scenario."""
    with tempfile.TemporaryDirectory(prefix="teilhabe-duckdb-") as folder:
        connection = bench_scale.duckdb_connection(version, Path(folder) / "cube.duckdb")
        if connection is None:
            print(bench_scale.DUCKDB_MISSING)
            return None
        try:
            timings, elbs = _duckdb_runs(connection, scenarios)
        finally:
            connection.close()
    labels = [s.label for s in scenarios]
    per_label = {
        label: round(
            statistics.median(
                t for t, other in zip(timings, labels, strict=True) if other == label
            ),
            3,
        )
        for label in dict.fromkeys(labels)
    }
    return bench.summary_of(timings) | {
        "per_scenario_median_ms": per_label,
        "ratio": None,
        "elb": elbs,
    }


def _duckdb_runs(connection, scenarios: list) -> tuple[list[float], list[int]]:
    """Each scenario in DuckDB, warm: milliseconds and the ELB counted."""
    print("\nDuckDB über dieselben Würfel (exakt, aus den Dateien des Würfelspeichers):")
    timings, elbs = [], []
    for number, scenario in enumerate(scenarios, start=1):
        bench_scale.measure_duckdb(connection, scenario.filters, scenario.as_of, bench.TREND_MONTHS)
        seconds, elb = bench_scale.measure_duckdb(
            connection, scenario.filters, scenario.as_of, bench.TREND_MONTHS
        )  # the second run, warm as the project's exact one
        timings.append(seconds * 1000)
        elbs.append(elb)
        print(f"  {number}. {bench.describe(scenario)}: {format_decimal(seconds * 1000, 1)} ms")
    return timings, elbs


def _checked(duckdb: dict[str, object] | None, exact_numbers: list[dict]) -> dict | None:
    """DuckDB's result without its ELB, once they are the project's exact ones."""
    if duckdb is None:
        return None
    elbs = duckdb.pop("elb")
    assert isinstance(elbs, list)
    for elb, numbers in zip(elbs, exact_numbers, strict=True):
        if elb != numbers["total"]["elb"]:
            raise AssertionError(f"DuckDB zählt {elb} ELB, das Projekt etwas anderes")
    return duckdb
