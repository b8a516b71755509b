"""Shared pytest fixtures for the whole test suite.

External requirements
---------------------
Two kinds of tests need something outside the Python environment:

* ``postgres`` tests need a PostgreSQL server, named by ``TEILHABE_TEST_POSTGRES_URL``
  (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``). That database is treated
  as scratch space: its ``public`` schema is dropped and recreated once per test session.
  In a parallel run (pytest-xdist) each worker uses its own database ``<name>_gw0``, ``_gw1``
  ..., created next to it on first use.
* ``browser`` tests need Chromium, at ``TEILHABE_CHROMIUM`` (default ``/usr/bin/chromium``).

When a requirement is missing, the tests that need it are *skipped* -- unless
``TEILHABE_REQUIRE_POSTGRES=1`` / ``TEILHABE_REQUIRE_BROWSER=1`` is set (as ``.ci/run`` does),
in which case they *fail*, so CI can never pass by silently skipping them.

Tests that use the ``postgres_url`` fixture get the ``postgres`` marker automatically
(``-m "not postgres"`` deselects them); everything under ``tests/browser`` gets the
``browser`` marker (see ``tests/browser/conftest.py``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Repository root (the folder holding pyproject.toml and app.py).
REPO = Path(__file__).resolve().parent.parent

DEFAULT_TEST_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_CHROMIUM = "/usr/bin/chromium"


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _required(env_var: str) -> bool:
    """True when the environment says a missing requirement is an error, not a reason to skip."""
    return os.environ.get(env_var, "").strip().lower() in {"1", "true", "yes", "on"}


def skip_or_fail(reason: str, *, require_env: str) -> None:
    """Skip the test with ``reason`` -- or fail it when ``require_env`` is set to 1."""
    if _required(require_env):
        pytest.fail(f"{reason} ({require_env}=1, so this is an error, not a skip)", pytrace=False)
    pytest.skip(reason)


# ---------------------------------------------------------------------------------------------
# Markers
# ---------------------------------------------------------------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Anything that needs the PostgreSQL server is a postgres test, however it gets the URL.
    for item in items:
        if "postgres_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


# ---------------------------------------------------------------------------------------------
# Protection settings
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def demo_protection_settings() -> Iterator[None]:
    """The CLI, the app and the browser tests' server publish with the demo data's documented
    secret and the default minimum rate base, as the tests compute them with ``DEMO_SECRET`` and
    ``Protection()``: a cell-key secret or rate base in the developer's environment would
    change every published value."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("TEILHABE_CELL_KEY_SECRET", "TEILHABE_MIN_RATE_BASE"):
            patch.delenv(name, raising=False)
        yield


# ---------------------------------------------------------------------------------------------
# Requirement: PostgreSQL
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL of a reachable, freshly emptied PostgreSQL test database.

    The ``public`` schema is dropped and recreated once per session, so each session starts
    with an empty database. Tests sharing the session must clean up (or use unique names)
    themselves.
    """
    from sqlalchemy import create_engine, text

    url = os.environ.get("TEILHABE_TEST_POSTGRES_URL") or DEFAULT_TEST_POSTGRES_URL
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
    except Exception as exc:  # bad URL, missing driver, ...
        skip_or_fail(
            f"Invalid TEILHABE_TEST_POSTGRES_URL {url!r}: {exc}",
            require_env="TEILHABE_REQUIRE_POSTGRES",
        )
    label = engine.url.render_as_string(hide_password=True)
    cause = None
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        engine.dispose()
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    if cause is not None:  # outside the except block: no chained traceback in the report
        skip_or_fail(
            f"PostgreSQL not reachable at {label}: {cause}; set TEILHABE_TEST_POSTGRES_URL",
            require_env="TEILHABE_REQUIRE_POSTGRES",
        )

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        # parallel run: each worker gets a database of its own (tests create schemas in it)
        url = _worker_database(engine, worker)
        engine.dispose()
        engine = create_engine(url)

    # Scratch database: start every test session from an empty public schema.
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()

    yield url


def _worker_database(engine, worker: str) -> str:
    """URL of the scratch database ``<database>_<worker>`` next to the configured one, created
    on first use (needs the CREATEDB right; the suite's own server has it)."""
    from sqlalchemy import text

    name = f"{engine.url.database}_{worker}"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    return engine.url.set(database=name).render_as_string(hide_password=False)


# ---------------------------------------------------------------------------------------------
# Requirement: Chromium
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of the Chromium executable used by the browser tests (never a Playwright download)."""
    path = os.environ.get("TEILHABE_CHROMIUM") or DEFAULT_CHROMIUM
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        skip_or_fail(
            f"Chromium not found at {path}; install the Debian package 'chromium' "
            "or set TEILHABE_CHROMIUM",
            require_env="TEILHABE_REQUIRE_BROWSER",
        )
    return path


# ---------------------------------------------------------------------------------------------
# Databases with data
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def demo_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of an SQLite file with the default demo data, built once per session."""
    from sqlalchemy.engine import make_url

    from data_access.db import create_db_engine, ensure_schema
    from teilhabe.demo import load_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    engine = create_db_engine(make_url(url))
    ensure_schema(engine, allow_upgrade=True)
    load_demo(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def hostile_sqlite_url(demo_sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of a copy of the demo data in which every text from data is a hostile payload
    (``tests/hostile.py``: Markdown links, HTML, colours, LaTeX, formulas)."""
    import shutil

    from sqlalchemy.engine import make_url

    from data_access.db import create_db_engine
    from tests.hostile import make_hostile

    source = make_url(demo_sqlite_url).database
    target = tmp_path_factory.mktemp("hostile") / "hostile.sqlite"
    shutil.copyfile(source, target)
    url = f"sqlite:///{target}"
    engine = create_db_engine(make_url(url))
    make_hostile(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def demo_engine(demo_sqlite_url: str):
    from sqlalchemy.engine import make_url

    from data_access.db import create_db_engine

    engine = create_db_engine(make_url(demo_sqlite_url))
    yield engine
    engine.dispose()


@pytest.fixture
def build_db(tmp_path: Path):
    """Factory for a small hand-made database: ``build_db(spells=[...], **more_tables)``.

    ``spells`` is a list of ``(client_id, start, end)`` with ``datetime.date`` values (end None
    for an ongoing spell); ``single_parents`` names the clients who are single parents;
    ``as_of`` (``YYYY-MM``) is the month the data describe.
    Clients, one district and one municipality are created to match;
    further tables can be passed as polars frames by name. Returns the engine (SQLite, or the
    URL given as ``url=``).
    """
    import datetime as dt

    import polars as pl
    from sqlalchemy.engine import make_url

    from data_access.db import create_db_engine, ensure_schema
    from data_access.store import replace_dataset

    def build(spells, url: str | None = None, single_parents=(), as_of="2013-09", **tables):
        engine = create_db_engine(make_url(url or f"sqlite:///{tmp_path / 'tiny.sqlite'}"))
        ensure_schema(engine, allow_upgrade=True)
        clients = sorted({client for client, _, _ in spells})
        base = {
            "district": pl.DataFrame(
                {"key": ["08135"], "name": ["Testkreis"], "jobcenter_name": ["Jobcenter Test"]}
            ),
            "municipality": pl.DataFrame(
                {
                    "ags": ["08135019"],
                    "district_key": ["08135"],
                    "name": ["Teststadt"],
                    "kind": ["Stadt"],
                    "population": [50000],
                    "population_date": [dt.date(2023, 3, 31)],
                    "lat": [48.68],
                    "lon": [10.15],
                }
            ),
            "client": pl.DataFrame(
                {
                    "id": clients,
                    "municipality_ags": ["08135019"] * len(clients),
                    "sex": ["f"] * len(clients),
                    "birth_year": [1970] * len(clients),
                    "single_parent": [c in single_parents for c in clients],
                    "household_id": clients,
                },
                schema={
                    "id": pl.String,
                    "municipality_ags": pl.String,
                    "sex": pl.String,
                    "birth_year": pl.Int64,
                    "single_parent": pl.Boolean,
                    "household_id": pl.String,
                },
            ),
            "benefit_spell": pl.DataFrame(
                spells,
                schema={"client_id": pl.String, "start_date": pl.Date, "end_date": pl.Date},
                orient="row",
            ),
            "dataset_info": pl.DataFrame({"key": ["synthetic", "as_of"], "value": ["true", as_of]}),
        }
        replace_dataset(engine=engine, tables={**base, **tables})
        return engine

    return build
