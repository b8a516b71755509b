"""``teilhabe bench``: how fast the figures follow a filter change, against the naive way.

The workload is what the Übersicht and the Integration page compute after a user changes a
filter (nothing of it is cached then): the 60-month trend, the headline figures as of the month
and a year before, and the breakdown of every figure by each of the five dimensions (as of the
month and a year before, as the Integration page shows it). The fast way computes it from the
monthly cube of the columnar case copy (``teilhabe.cases``, ``teilhabe.cube``), built once
per data version, and publishes every count through the cell-key method as the pages do. Each
scenario then runs once more with exact values (``Protection(exact=True)``) and once more
published, in alternating order, so that the cost of the protection is measured in the same run
on equal terms. The naive way, which the design warns about, reads the case tables with
``pandas.read_sql`` on every change and aggregates them in memory; it computes only the exact
headline numbers (ELB, LZB, K2 as of the month, overall and by municipality), and they must equal
the fast path's exact ones.

The data set is the demo generator's, scaled up (default 1,000,000 persons in 10 districts), in
an SQLite file under ``<data dir>/bench/`` unless a database URL is given. A database that already
holds the bench data set of the same size is reused; building one takes minutes. The command's
options and printed progress are ``teilhabe.cli.bench``.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
from sqlalchemy import Engine, select

from data_access.models import BarrierAssessment, BenefitSpell, Client, Integration
from data_access.periods import month_end, month_key
from data_access.settings import Settings
from teilhabe import cube_store, figures
from teilhabe.cases import Cases
from teilhabe.definitions import AGE_GROUPS, BARRIERS, SEXES
from teilhabe.demo import SEED, DemoSpec, data_version, load_demo
from teilhabe.indicators import CUBE_DIMENSIONS
from teilhabe.protection import Protection
from teilhabe.reporting.formatting import format_count, format_decimal
from teilhabe.selection import Filters

DEFAULT_CLIENTS = 1_000_000
DEFAULT_DISTRICTS = 10
DEFAULT_REPEAT = 7
DEFAULT_NAIVE_REPEAT = 3  # the naive way takes long at a million persons
TREND_MONTHS = 60
AS_OF_OFFSETS = 4  # the repetitions cycle through the as-of month and the three before it
HEADLINE_KEYS = ("elb", "lzb", "integration_rate")
BARRIER_LABELS = {b.code: b.label for b in BARRIERS}


# --- The run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One filter change: the filters, the as-of month and a German label."""

    label: str
    filters: Filters
    as_of: int


def default_url(spec: DemoSpec) -> str:
    """The SQLite file of the bench data set of this size under the data folder."""
    folder = (Settings.load().data_dir / "bench").resolve()
    return f"sqlite:///{folder / f'bench-{spec.clients}-{spec.districts}.sqlite'}"


def build_dataset(engine: Engine, spec: DemoSpec) -> dict[str, object]:
    """Reuse the bench data set if the database holds it, else (re)create it with the demo."""
    version = figures.dataset_info(engine=engine).get("data_version")
    size = f"{format_count(spec.clients)} Personen, {format_count(spec.districts)} Kreis(e)"
    if version == data_version(spec):
        print(f"Messdatensatz ({size}) ist schon vorhanden und wird wiederverwendet.")
        return {"action": "reused", "seconds": None, "data_version": version}
    reason = "leer" if version is None else f"enthält einen anderen Datensatz ({version})"
    print(f"Messdatenbank {reason}: Messdatensatz ({size}) wird erzeugt und geschrieben …")
    started = time.perf_counter()
    written = load_demo(engine, spec)  # refuses to overwrite real (non-synthetic) data
    seconds = time.perf_counter() - started
    print(
        f"Messdatensatz erzeugt und geschrieben: {format_decimal(seconds, 1)} s "
        f"({format_count(written['client'])} Personen, "
        f"{format_count(written['benefit_spell'])} Leistungszeiträume, "
        f"{format_count(written['barrier_assessment'])} Hemmnisse, "
        f"{format_count(written['referral'])} Zuweisungen)"
    )
    return {
        "action": "created",
        "seconds": seconds,
        "data_version": data_version(spec),
        "rows": written,
    }


def store_reload_seconds(settings: Settings, folder: str) -> float:
    """Time to read the copy from the cube store, as a (re)started app does."""
    started = time.perf_counter()
    cube_store.read_version(settings.cube_store, settings.database_label, folder)
    return time.perf_counter() - started


def make_scenarios(persons: pl.LazyFrame, as_of: int, repeat: int) -> list[Scenario]:
    """A different filter for each repetition, and the as-of month cycling back a few months.
    ``persons``: the copy's persons (``Cases.scan("clients")``; only one column is read)."""
    municipality = (
        persons.group_by("municipality_ags")
        .len()
        .sort("len", "municipality_ags", descending=[True, False])
        .collect()
        .item(0, "municipality_ags")
    )
    both = ("qualification", "health")
    choices = [
        (f"Gemeinde {municipality}", Filters(municipalities=(municipality,))),
        (f"Geschlecht {SEXES['f']}", Filters(sexes=("f",))),
        (f"Altersgruppe {AGE_GROUPS['25_34']}", Filters(age_groups=("25_34",))),
        (f"Hemmnis {BARRIER_LABELS['debts']}", Filters(barriers=("debts",), barrier_mode="any")),
        (
            f"Hemmnisse {' und '.join(BARRIER_LABELS[b] for b in both)} (alle zugleich)",
            Filters(barriers=both, barrier_mode="all"),
        ),
        ("ohne Filter", Filters()),
    ]
    return [
        Scenario(*choices[number % len(choices)], as_of=as_of - number % AS_OF_OFFSETS)
        for number in range(repeat)
    ]


def describe(scenario: Scenario) -> str:
    return f"{scenario.label}, Stichtag {month_key(scenario.as_of)}"


def scenario_json(scenario: Scenario) -> dict[str, object]:
    return {
        "label": scenario.label,
        "as_of": month_key(scenario.as_of),
        "filters": {
            "municipalities": list(scenario.filters.municipalities),
            "sexes": list(scenario.filters.sexes),
            "age_groups": list(scenario.filters.age_groups),
            "barriers": list(scenario.filters.barriers),
            "barrier_mode": scenario.filters.barrier_mode,
        },
    }


# --- The fast way: the columnar copy ---------------------------------------------------------


def measure_fast(
    engine: Engine, cases: Cases, scenario: Scenario, protection: Protection
) -> tuple[float, dict[str, float], dict[str, Any]]:
    """Everything both pages compute after a filter change: total seconds, ms per part, numbers.

    Übersicht and Integration page: the trend over 60 months, the headline figures as of the
    month and a year before; the Integration page's breakdown (the month and a year before) for
    each dimension of its selector. All of it published with ``protection``, as the pages get it.
    """
    as_of, chosen = scenario.as_of, scenario.filters
    parts: dict[str, float] = {}

    def timed(name: str, compute: Callable[[], object]) -> object:
        started = time.perf_counter()
        value = compute()
        parts[name] = (time.perf_counter() - started) * 1000
        return value

    started = time.perf_counter()
    timed(
        "trend",
        lambda: figures.figure_series(
            cases=cases,
            first=as_of - TREND_MONTHS + 1,
            last=as_of,
            protection=protection,
            filters=chosen,
        ),
    )
    now = timed(
        "headline",
        lambda: figures.headline_figures(
            engine=engine, cases=cases, as_of=as_of, protection=protection, filters=chosen
        ),
    )
    timed(
        "headline_year_before",
        lambda: figures.headline_figures(
            engine=engine, cases=cases, as_of=as_of - 12, protection=protection, filters=chosen
        ),
    )
    by_municipality = None
    for by in CUBE_DIMENSIONS:  # the cube's own breakdowns, comparable with earlier runs
        groups = timed(
            f"by_{by}", partial(_breakdown, cases, by, (as_of - 12, as_of), protection, chosen)
        )
        if by == "municipality":
            by_municipality = groups
    seconds = time.perf_counter() - started

    assert isinstance(now, figures.HeadlineFigures) and isinstance(by_municipality, pl.DataFrame)
    numbers = {
        "total": {key: now.value(key) for key in HEADLINE_KEYS},
        "by_municipality": {
            row["municipality"]: {key: row[key] for key in HEADLINE_KEYS}
            for row in by_municipality.filter(pl.col("month") == as_of)
            .sort("municipality")
            .iter_rows(named=True)
        },
    }
    return seconds, parts, numbers


def _breakdown(
    cases: Cases, by: str, months: tuple[int, ...], protection: Protection, filters: Filters
) -> pl.DataFrame:
    """The breakdown the Integration page gets: the as-of month and the year before."""
    return figures.breakdown_series(
        cases=cases, by=by, months=months, protection=protection, filters=filters
    )


# --- The naive way: read the case tables on every change -------------------------------------


def measure_naive(engine: Engine, scenario: Scenario) -> tuple[float, float, dict[str, object]]:
    """Read the whole case tables with pandas and compute the headline numbers in memory.

    Returns the total and the reading seconds and the exact numbers.
    """
    started = time.perf_counter()
    with engine.connect() as connection:
        clients = pd.read_sql(select(Client.__table__), connection)
        spells = pd.read_sql(
            select(BenefitSpell.__table__), connection, parse_dates=["start_date", "end_date"]
        )
        integrations = pd.read_sql(select(Integration.__table__), connection, parse_dates=["date"])
        barriers = pd.read_sql(
            select(BarrierAssessment.__table__),
            connection,
            parse_dates=["recorded_on", "resolved_on"],
        )
    read_seconds = time.perf_counter() - started
    numbers = _naive_numbers(
        clients, spells, integrations, barriers, scenario.filters, scenario.as_of
    )
    return time.perf_counter() - started, read_seconds, numbers


def _naive_numbers(
    clients: pd.DataFrame,
    spells: pd.DataFrame,
    integrations: pd.DataFrame,
    barriers: pd.DataFrame,
    filters: Filters,
    as_of: int,
) -> dict[str, object]:
    """ELB, LZB and K2 as of ``as_of`` for the filtered group, overall and by municipality.

    The same definitions as ``teilhabe.indicators``, written the plain pandas way: a barrier
    counts from its recording to the day before its resolution; group membership (age, barriers)
    is taken in each month, at its reporting day.
    """
    people = clients.set_index("id")

    def members(month: int) -> pd.Series:
        """The municipality of each client in the filtered group at the month's reporting day."""
        reporting_day = pd.Timestamp(month_end(month))
        active = barriers[
            (barriers["recorded_on"] <= reporting_day)
            & (barriers["resolved_on"].isna() | (barriers["resolved_on"] > reporting_day))
        ].drop_duplicates(["client_id", "barrier_code"])
        matching = (
            active[active["barrier_code"].isin(list(filters.barriers))]
            .groupby("client_id")
            .size()
            .reindex(people.index, fill_value=0)
        )
        age = month // 12 - people["birth_year"]
        age_group = pd.Series(
            np.select(
                [age < 25, age < 35, age < 45, age < 55],
                ["u25", "25_34", "35_44", "45_54"],
                "55plus",
            ),
            index=people.index,
        )
        keep = pd.Series(True, index=people.index)
        if filters.municipalities:
            keep &= people["municipality_ags"].isin(list(filters.municipalities))
        if filters.sexes:
            keep &= people["sex"].isin(list(filters.sexes))
        if filters.age_groups:
            keep &= age_group.isin(list(filters.age_groups))
        if filters.barriers:
            needed = len(set(filters.barriers)) if filters.barrier_mode == "all" else 1
            keep &= matching >= needed
        return people.loc[keep, "municipality_ags"]

    def in_receipt(month: int) -> pd.DataFrame:
        group = members(month)
        covering = spells[
            (spells["start_month"] <= month)
            & (spells["end_month"] >= month)
            & spells["client_id"].isin(group.index)
        ].copy()
        covering["municipality"] = covering["client_id"].map(group)
        return covering

    window = range(as_of - 11, as_of + 1)
    elb_sum = (
        pd.concat(in_receipt(m).groupby("municipality").size() for m in window)
        .groupby(level=0)
        .sum()
    )
    now = in_receipt(as_of)
    municipality = members(as_of)
    elb = now.groupby("municipality").size()
    lzb = (
        now[now["lzb_from_month"].notna() & (now["lzb_from_month"] <= as_of)]
        .groupby("municipality")
        .size()
    )
    integrated = []
    for m in window:
        group = members(m)
        of_month = integrations[
            (integrations["month"] == m) & integrations["client_id"].isin(group.index)
        ]
        integrated.append(of_month["client_id"].map(group))
    integrations_12m = pd.concat(integrated).value_counts()
    table = pd.DataFrame(
        {
            "elb": elb,
            "lzb": lzb,
            "integrations_12m": integrations_12m,
            "elb_sum_12m": elb_sum,
        }
    )
    table = table.reindex(table.index.union(municipality.unique())).fillna(0).astype("int64")

    def headline(elb: int, lzb: int, integrations_12m: int, elb_sum_12m: int) -> dict:
        k2 = integrations_12m / (elb_sum_12m / 12) * 100 if elb_sum_12m > 0 else None
        return {"elb": elb, "lzb": lzb, "integration_rate": k2}

    return {
        "total": headline(*(int(v) for v in table.sum())),
        "by_municipality": {
            str(ags): headline(*(int(v) for v in row))
            for ags, row in zip(table.index, table.itertuples(index=False), strict=True)
        },
    }


def check_agreement(fast: dict, naive: dict, scenario: Scenario) -> None:
    """The naive way must give the fast path's exact ELB, LZB and K2 (overall and by
    municipality)."""
    empty = dict.fromkeys(HEADLINE_KEYS, 0) | {"integration_rate": None}
    pairs = [("gesamt", fast["total"], naive["total"])] + [
        (
            f"Gemeinde {ags}",
            fast["by_municipality"].get(ags, empty),
            naive["by_municipality"].get(ags, empty),
        )
        for ags in sorted(set(fast["by_municipality"]) | set(naive["by_municipality"]))
    ]
    for where, left, right in pairs:
        for key in HEADLINE_KEYS:
            a, b = left[key], right[key]
            if a is None or b is None:  # a rate without any ELB in the 12 months
                same = a is None and b is None
            else:
                same = math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
            if not same:
                raise AssertionError(
                    f"Naiver und schneller Weg weichen ab ({describe(scenario)}, {where}, "
                    f"{key}): schnell {a!r}, naiv {b!r}"
                )


# --- The result ------------------------------------------------------------------------------


def summary_of(values: list[float]) -> dict[str, object]:
    return {
        "repetitions": len(values),
        "ms": [round(v, 3) for v in values],
        "median_ms": round(statistics.median(values), 3),
        "min_ms": round(min(values), 3),
        "max_ms": round(max(values), 3),
    }


def result_json(
    *,
    spec: DemoSpec,
    settings: Settings,
    build: dict[str, object],
    store: dict[str, object],
    duckdb: dict[str, object] | None,
    protection: Protection,
    scenarios: list[Scenario],
    fast_ms: list[float],
    fast_parts: list[dict[str, float]],
    exact_ms: list[float],
    warm_ms: list[float],
    exact_numbers: list[dict[str, object]],
    naive_ms: list[float],
    naive_read_ms: list[float],
    comparisons: list[dict[str, Any]],
) -> dict[str, object]:
    fast = summary_of(fast_ms) | {
        "parts_median_ms": {
            name: round(statistics.median(p[name] for p in fast_parts), 3) for name in fast_parts[0]
        },
        "parts_ms": [{name: round(ms, 3) for name, ms in p.items()} for p in fast_parts],
    }
    exact = summary_of(exact_ms) | {
        "headline": [
            {"scenario": scenario_json(s), "headline": n}
            for s, n in zip(scenarios, exact_numbers, strict=True)
        ],
    }
    naive = None
    ratio = None
    if naive_ms:
        naive = summary_of(naive_ms) | {
            "read_median_ms": round(statistics.median(naive_read_ms), 3),
            "headline": comparisons,
            "agrees_with_fast": True,  # _check_agreement raised otherwise
        }
        ratio = round(statistics.median(naive_ms) / statistics.median(fast_ms), 2)
    if duckdb is not None:  # the project's exact path against DuckDB's, both warm
        duckdb = duckdb | {
            "ratio": round(statistics.median(exact_ms) / float(duckdb["median_ms"]), 2)  # type: ignore[arg-type]
        }
    return {
        "created": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "polars": pl.__version__,
            "pandas": pd.__version__,
            # other processes share the machine: the load when the result was written
            "load_average": [round(load, 2) for load in os.getloadavg()],
        },
        "database": settings.database_label,
        "dialect": settings.database_url.get_backend_name(),
        "clients": spec.clients,
        "districts": spec.districts,
        "seed": SEED,
        "protection": {"method": protection.label, "min_rate_base": protection.min_rate_base},
        "build": build,
        # the cube store: build and app-side read, each in a process of its own
        "store": store,
        "workload": {
            "trend_months": TREND_MONTHS,
            "headline_months": ["as_of", "as_of - 12"],
            "breakdowns": list(CUBE_DIMENSIONS),
            "breakdown_months": ["as_of - 12", "as_of"],
        },
        "fast": fast,
        "fast_exact": exact,
        "fast_warm": summary_of(warm_ms),
        # published against exact, both warm: what the protection adds to a filter change
        "protection_cost": round(statistics.median(warm_ms) / statistics.median(exact_ms), 3),
        "per_scenario": per_scenario(scenarios, warm_ms, exact_ms),
        "naive": naive,
        "ratio_naive_to_fast": ratio,
        "duckdb": duckdb,
    }


def per_scenario(
    scenarios: list[Scenario], warm_ms: list[float], exact_ms: list[float]
) -> dict[str, dict[str, float]]:
    """Per filter (whatever the as-of month): median ms of a filter change, published and
    exact, both warm."""
    result: dict[str, dict[str, float]] = {}
    for label in dict.fromkeys(s.label for s in scenarios):
        chosen = [i for i, s in enumerate(scenarios) if s.label == label]
        result[label] = {
            "published_median_ms": round(statistics.median(warm_ms[i] for i in chosen), 3),
            "exact_median_ms": round(statistics.median(exact_ms[i] for i in chosen), 3),
        }
    return result


def result_table(result: dict) -> str:
    """The German summary table."""
    rows = [
        ("Schneller Weg (Monatswürfel)", result["fast"]),
        ("  noch einmal, geschützt", result["fast_warm"]),
        ("  noch einmal, exakt", result["fast_exact"]),
    ]
    if result["naive"] is not None:
        rows.append(("Naiver Weg (pandas.read_sql)", result["naive"]))
    header = f"{'Weg':<30} {'Wdh.':>5} {'Median':>13} {'Minimum':>13} {'Maximum':>13}"
    lines = [
        f"Filterwechsel bei {format_count(result['clients'])} Personen "
        f"({format_count(result['districts'])} Kreise, {result['dialect']}, "
        f"{result['machine']['cpus']} Kerne)",
        header,
        "-" * len(header),
    ]
    for name, summary in rows:
        lines.append(
            f"{name:<30} {summary['repetitions']:>5} "
            + " ".join(
                f"{format_decimal(summary[key], 1) + ' ms':>13}"
                for key in ("median_ms", "min_ms", "max_ms")
            )
        )
    lines.append(
        "Kosten der Zufallsüberlagerung (Median geschützt / exakt, beide ein zweites Mal): "
        f"{format_decimal((result['protection_cost'] - 1) * 100, 1)} %"
    )
    if result["ratio_naive_to_fast"] is not None:
        lines.append(
            f"Verhältnis naiv/schnell (Median): {format_decimal(result['ratio_naive_to_fast'], 1)}"
        )
    build, store = result["build"], result["store"]
    lines.append(
        "Messdatensatz: "
        + (
            "wiederverwendet"
            if build["seconds"] is None
            else f"erzeugt in {format_decimal(build['seconds'], 1)} s"
        )
        + f"; Würfelspeicher gebaut in {format_decimal(store['build']['seconds'], 1)} s "
        f"(Spitze {format_count(round(store['build']['peak_rss_mb']))} MB), gelesen in "
        f"{format_decimal(store['read']['seconds'], 1)} s "
        f"(Spitze {format_count(round(store['read']['peak_rss_mb']))} MB)"
    )
    for label, medians in result["per_scenario"].items():
        lines.append(
            f"  {label}: {format_decimal(medians['published_median_ms'], 1)} ms geschützt, "
            f"{format_decimal(medians['exact_median_ms'], 1)} ms exakt (Median)"
        )
    duck = result["duckdb"]
    if duck is None:
        lines.append("DuckDB: nicht installiert (uv sync --group bench), nicht verglichen")
    else:
        lines.append(
            f"DuckDB über dieselben Würfel (exakt, Median): {format_decimal(duck['median_ms'], 1)}"
            f" ms; Verhältnis Projekt exakt / DuckDB: {format_decimal(duck['ratio'], 2)}"
        )
    parts = result["fast"]["parts_median_ms"]
    lines.append(
        "Schneller Weg je Teil (Median): "
        + ", ".join(f"{name} {format_decimal(ms, 1)} ms" for name, ms in parts.items())
    )
    return "\n".join(lines)
