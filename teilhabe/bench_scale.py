"""What ``teilhabe bench`` measures beyond one filter change: the cube store and DuckDB.

- The build of the cube store (``teilhabe cube build``) and an app-side read of it each run in a
  process of their own, so that their peak memory (peak RSS, from ``os.wait4``) is theirs alone
  and not the bench process's.
- The same filter changes in DuckDB (an optional benchmark dependency: ``uv sync --group
  bench``), over the same cube frames (read by DuckDB from the store's files into a database
  file of its own, not copied from the bench's frames), exact: per scenario the trend of 60
  months and the breakdown by each dimension for the month and a year before — the work of the
  project's exact path, with carefully written SQL over the pre-aggregated cells. Without
  DuckDB the bench says so and measures the rest.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from data_access.db import create_db_engine
from data_access.settings import Settings
from teilhabe import cube_store, figures
from teilhabe.cube import FLOWS, STOCKS
from teilhabe.definitions import BARRIER_BITS
from teilhabe.protection import Protection

DUCKDB_MISSING = (
    "DuckDB fehlt (optionale Messabhängigkeit: uv sync --group bench); "
    "der Vergleich mit DuckDB entfällt."
)
DIMENSION_COLUMNS = ("municipality", "sex", "age_group", "duration", "barrier_count")


def _environment(settings: Settings) -> dict[str, str]:
    """The child's environment: the bench's database and store (the URL not on the command
    line, where other users could read it)."""
    env = dict(os.environ)
    env["TEILHABE_DATABASE_URL"] = settings.database_url.render_as_string(hide_password=False)
    env["TEILHABE_DATA_DIR"] = str(settings.data_dir)
    env["TEILHABE_CUBE_STORE"] = str(settings.cube_store)
    return env


def _measured(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run a child process; its wall time and peak resident memory (MB)."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[2:])} endete mit Code {process.returncode}")
    return {
        "seconds": round(seconds, 3),
        # processor time: on a shared machine the wall time mostly measures the others
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }


def build_store(settings: Settings) -> dict[str, float]:
    """``teilhabe cube build`` in a process of its own: seconds and peak RSS."""
    argv = [sys.executable, "-m", "teilhabe.cli.main", "cube", "build"]
    return _measured(argv, _environment(settings))


def read_store(settings: Settings) -> dict[str, float]:
    """What an app process does at start and for the Übersicht: read the store's current
    version (the cube; the per-person frames and the cells by barrier mask are read only by
    the pages and filters that need them: ``cube_store.ON_FIRST_USE``) and
    compute the Übersicht's figures once (as of the data's month, no filter: the trend of 60
    months and the headline figures); seconds and peak RSS of a process that does only that
    (Python and the libraries included)."""
    argv = [sys.executable, "-m", "teilhabe.bench_scale", "read"]
    return _measured(argv, _environment(settings))


def _read_main() -> int:
    settings = Settings.load()
    loaded = cube_store.load(settings.cube_store, settings.database_label, None)
    if loaded is None:
        return 1
    cases, manifest = loaded
    if manifest.as_of is not None:
        protection = Protection.configured(settings)
        engine = create_db_engine(settings.database_url)
        figures.figure_series(
            cases=cases, first=manifest.as_of - 59, last=manifest.as_of, protection=protection
        )
        figures.headline_figures(
            engine=engine, cases=cases, as_of=manifest.as_of, protection=protection
        )
        engine.dispose()
    read = [name for name in cube_store.ON_FIRST_USE if cases.is_read(name)]
    if read:  # what is measured would not be the Übersicht's memory
        print(f"Die Übersicht hat {', '.join(read)} gelesen", file=sys.stderr)
        return 3
    return 0


# --- DuckDB side by side -----------------------------------------------------------------------

CUBE_TABLES = ("stock_plain", "stock_cells", "flow_plain", "flow_cells")


def duckdb_connection(version: Path, database: Path) -> Any | None:
    """A DuckDB connection with the cube frames of a stored version (its folder) as tables,
    read by DuckDB from the store's Parquet files into the database file ``database`` (None
    without DuckDB). A file, as DuckDB is used: its tables are stored compressed and read
    through its buffer pool (held in memory, DuckDB's tables of the 5 M cube took 9 GB against
    the copy's 5 GB; as a file 1.8 GB, and the queries as fast)."""
    try:
        import duckdb  # noqa: PLC0415 - optional
    except ImportError:
        return None
    connection = duckdb.connect(str(database))
    for name in CUBE_TABLES:
        files = sorted((version / name).glob("*.parquet"))
        listed = ", ".join("'" + str(file).replace("'", "''") + "'" for file in files)
        connection.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet([{listed}])")
    connection.execute("CHECKPOINT")
    return connection


def _where(filters: Any) -> tuple[str, list[object], str]:
    """The WHERE clause of the filters, its parameters, and which frame ("cells"/"plain")."""
    clauses, parameters = [], []
    for column, values in (
        ("municipality", filters.municipalities),
        ("sex", filters.sexes),
        ("age_group", filters.age_groups),
    ):
        if values:
            clauses.append(f"{column} IN ({', '.join('?' for _ in values)})")
            parameters.extend(values)
    if not filters.barriers:
        return " AND ".join(clauses) or "TRUE", parameters, "plain"
    mask = sum(BARRIER_BITS.get(code, 0) for code in filters.barriers)
    if filters.barrier_mode == "all" and all(code in BARRIER_BITS for code in filters.barriers):
        clauses.append(f"(barrier_mask & {mask}) = {mask}")
    else:
        clauses.append(f"(barrier_mask & {mask}) <> 0")
    return " AND ".join(clauses), parameters, "cells"


def measure_duckdb(
    connection: Any, filters: Any, as_of: int, trend_months: int
) -> tuple[float, int]:
    """The exact work of one filter change in DuckDB: seconds, and ELB as of the month (to
    check that DuckDB counts what the project counts)."""
    where, parameters, kind = _where(filters)
    stocks = ", ".join(f"SUM({m})::BIGINT AS {m}" for m in STOCKS)
    flows = ", ".join(f"SUM({m})::BIGINT AS {m}" for m in FLOWS)
    first = as_of - trend_months + 1
    started = time.perf_counter()
    trend = connection.execute(
        f"SELECT month, {stocks} FROM stock_{kind} WHERE month BETWEEN {first} AND {as_of} "
        f"AND {where} GROUP BY month ORDER BY month",
        parameters,
    ).fetchall()
    # integrations over the twelve months up to each month of the trend
    connection.execute(
        f"SELECT month, {flows} FROM flow_{kind} WHERE month BETWEEN {first - 11} AND {as_of} "
        f"AND {where} GROUP BY month ORDER BY month",
        parameters,
    ).fetchall()
    for column in DIMENSION_COLUMNS:
        connection.execute(
            f"SELECT {column}, month, {stocks} FROM stock_{kind} "
            f"WHERE month IN ({as_of - 12}, {as_of}) AND {where} GROUP BY {column}, month",
            parameters,
        ).fetchall()
        connection.execute(
            f"SELECT {column}, month, {flows} FROM flow_{kind} "
            f"WHERE month BETWEEN {as_of - 23} AND {as_of} AND {where} GROUP BY {column}, month",
            parameters,
        ).fetchall()
    seconds = time.perf_counter() - started
    elb = next((row[1] for row in trend if row[0] == as_of), 0)
    return seconds, int(elb)


if __name__ == "__main__":
    if sys.argv[1:] == ["read"]:
        raise SystemExit(_read_main())
    raise SystemExit(2)
