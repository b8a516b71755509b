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


# The longest modules, longest first (measured with --durations on 2 workers). In a parallel run
# (script/test: ``--dist loadscope --no-loadscope-reorder``) a worker takes a whole module at a
# time, in the collection order: the long ones start first and the short ones fill the gaps at
# the end, so the workers finish together. Modules not listed keep their order after these.
LONGEST_FIRST = [
    "browser/test_layout_browser.py",
    "browser/test_hostile_browser.py",
    "browser/test_offline_browser.py",
    "browser/test_conference_browser.py",
    "browser/test_auth_browser.py",
    "test_hostile_inputs.py",
    "test_imports.py",
    "test_report.py",
    "test_app_auth.py",
    "test_app_data.py",
    "test_postgres.py",
    "browser/test_presentation_browser.py",
    "test_import_limits.py",
]


def _rank(item: pytest.Item) -> int:
    name = Path(item.path).resolve().relative_to(REPO / "tests").as_posix()
    return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Anything that needs the PostgreSQL server is a postgres test, however it gets the URL.
    for item in items:
        if "postgres_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
    items.sort(key=_rank)  # stable: the order within a module stays


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


@pytest.fixture(scope="session", autouse=True)
def app_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The app's data folder (``TEILHABE_DATA_DIR``, its Parquet cache) for AppTests and the CLI
    in the test process: a temporary one per worker, never the repository's ``data/``. The
    cache keeps one copy per folder and deletes the others, so workers sharing a folder would
    delete each other's copies and read the database again and again."""
    folder = tmp_path_factory.mktemp("app-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TEILHABE_DATA_DIR", str(folder))
        yield folder


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


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build) -> Path:
    """``<run folder>/<name>``, made by ``build(path)`` only once per test run: in a parallel run
    the first worker builds it under a lock and the others wait for it and use it. The result is
    shared: copy it before changing it."""
    import fcntl
    import shutil

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the folder of this run that holds every worker's folder
    target = root / name
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            partial = root / f"{name}.partial"
            shutil.rmtree(partial, ignore_errors=True)  # what a failed attempt left
            build(partial)
            partial.rename(target)  # never a half-built result for another worker
    return target


# the label the demo's cube store is built under once; ``warm_case_cache`` copies it to the
# store folder of another copy's database label
TEMPLATE_LABEL = "demo-template"


def _build_demo(folder: Path) -> None:
    """The default demo data in ``folder/demo.sqlite`` and their cube store (as ``teilhabe cube
    build`` leaves it) in ``folder/cube``."""
    from sqlalchemy.engine import make_url

    from data_access.db import create_db_engine, ensure_schema
    from teilhabe import cube_build
    from teilhabe.demo import load_demo
    from teilhabe.protection import DEMO_SECRET

    folder.mkdir()
    engine = create_db_engine(make_url(f"sqlite:///{folder / 'demo.sqlite'}"))
    ensure_schema(engine, allow_upgrade=True)
    load_demo(engine)
    cube_build.build_store(
        engine, folder / "cube", database_label=TEMPLATE_LABEL, secret=DEMO_SECRET
    )
    engine.dispose()


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder of the demo data built once per test run (``_build_demo``); read only."""
    return built_once(tmp_path_factory, "demo-build", _build_demo)


@pytest.fixture(scope="session")
def warm_case_cache(demo_build: Path):
    """``warm_case_cache(database_url, data_dir)``: put the demo's cube store into the store of
    that database and data folder, as ``teilhabe cube build`` on a copy of the demo data would
    leave it (``teilhabe.cube_store``: manifest and version folder, private). Only for a database
    that is an unchanged copy of the demo data."""
    import shutil

    from data_access.settings import Settings
    from teilhabe import cube_store

    template = cube_store.database_folder(demo_build / "cube", TEMPLATE_LABEL)

    def warm(database_url: str | None, data_dir: Path) -> None:
        environ = {"TEILHABE_DATA_DIR": str(data_dir)}
        if database_url:
            environ["TEILHABE_DATABASE_URL"] = database_url
        settings = Settings.load(environ=environ, secrets_file=Path("/nonexistent"))
        target = cube_store.database_folder(settings.cube_store, settings.database_label)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        shutil.copytree(template, target, dirs_exist_ok=True)

    return warm


@pytest.fixture(scope="session")
def demo_sqlite_url(
    tmp_path_factory: pytest.TempPathFactory, demo_build: Path, app_data_dir: Path, warm_case_cache
) -> str:
    """URL of an SQLite file with the default demo data: this worker's copy of the demo built
    once per run (``demo_build``), its case copy already in the test process's Parquet cache."""
    import shutil

    target = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    shutil.copyfile(demo_build / "demo.sqlite", target)
    url = f"sqlite:///{target}"
    warm_case_cache(url, app_data_dir)
    return url


@pytest.fixture(scope="session")
def demo_cases(demo_build: Path):
    """The demo's case copy and cube as the app reads them from its cube store (built with
    ``DEMO_SECRET``), read once per worker; shared, never to be changed."""
    from teilhabe import cube_store
    from teilhabe.protection import DEMO_SECRET

    store = demo_build / "cube"
    manifest = cube_store.current(store, TEMPLATE_LABEL, DEMO_SECRET)
    assert manifest is not None, "the demo's cube store was not built"
    return cube_store.read_version(store, TEMPLATE_LABEL, manifest.folder)


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
