"""Opening the configured database and its cube store, shared by the CLI and the app.

Without a configured URL the local SQLite file is created, migrated and filled with the demo data
on first use (and demo data of an older generator are renewed), and its cube store is built when
it has no version yet; a configured database is used as it is and only needs its schema to be
current. The cube store (``teilhabe.cube_store``) is built by ``build_cube_store`` —
``teilhabe cube build`` and the end of every import.
"""

from __future__ import annotations

from sqlalchemy import Engine

from data_access.db import check_connection, create_db_engine, ensure_schema
from data_access.settings import Settings
from data_access.store import has_data
from teilhabe import cube_build, cube_store, figures
from teilhabe.cases import Cases
from teilhabe.demo import DemoSpec, load_demo, outdated_spec


def open_database(settings: Settings) -> Engine:
    """A ready engine, or ConfigurationError / DatabaseUnavailable / SchemaOutdated."""
    engine = create_db_engine(settings.database_url)
    check_connection(engine)
    ensure_schema(engine, allow_upgrade=settings.uses_default_database)
    if settings.uses_default_database:
        loaded = False
        if not has_data(engine):
            load_demo(engine, DemoSpec())
            loaded = True
        elif info := figures.dataset_info(engine=engine):
            # demo data of an older generator (e.g. wrong keys) are replaced by the current
            # ones, unless they are no longer pure demo data (imports give another version)
            outdated = outdated_spec(info.get("data_version", ""))
            if outdated is not None and info.get("synthetic") == "true":
                load_demo(engine, outdated)
                loaded = True
        synthetic = figures.dataset_info(engine=engine).get("synthetic") == "true"
        if loaded or (synthetic and stored_version(engine, settings) is None):
            # the local demo: the first start prepares the store too (a few seconds)
            build_cube_store(engine, settings)
    return engine


def cell_key_secret(engine: Engine, settings: Settings) -> str:
    """The secret the record keys of this database's data derive from (ConfigurationError
    for real data without a configured secret)."""
    info = figures.dataset_info(engine=engine)
    return settings.secret_for(synthetic=info.get("synthetic") == "true")


def build_cube_store(
    engine: Engine, settings: Settings, progress: cube_store.Progress | None = None
) -> cube_store.Manifest:
    """Build the cube store for the database's current data version (``teilhabe cube build``)."""
    return cube_build.build_store(
        engine,
        settings.cube_store,
        database_label=settings.database_label,
        secret=cell_key_secret(engine, settings),
        progress=progress,
    )


def stored_version(engine: Engine, settings: Settings) -> cube_store.Manifest | None:
    """The cube store's last complete version for this database (None: none yet)."""
    return cube_store.current(
        settings.cube_store, settings.database_label, cell_key_secret(engine, settings)
    )


def case_copy(engine: Engine, settings: Settings) -> Cases:
    """The columnar copy of the case data for the database's current data version, from the cube
    store; for the command line, which (unlike the app) builds the store when its version is
    not the database's."""
    secret = cell_key_secret(engine, settings)
    version = figures.dataset_info(engine=engine).get("data_version", "")
    loaded = cube_store.load(settings.cube_store, settings.database_label, secret)
    if loaded is not None and loaded[1].version == version:
        return loaded[0]
    manifest = build_cube_store(engine, settings)
    return cube_store.read_version(settings.cube_store, settings.database_label, manifest.folder)
