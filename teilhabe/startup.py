"""Opening the configured database, shared by the CLI and the app.

Without a configured URL the local SQLite file is created, migrated and filled with the demo data
on first use (and demo data of an older generator are renewed); a configured database is used as
it is and only needs its schema to be current.
"""

from __future__ import annotations

from sqlalchemy import Engine

from data_access.db import check_connection, create_db_engine, ensure_schema
from data_access.settings import Settings
from data_access.store import has_data
from teilhabe import figures
from teilhabe.cases import Cases, cache_folder, load_cases
from teilhabe.demo import DemoSpec, load_demo, outdated_spec


def open_database(settings: Settings) -> Engine:
    """A ready engine, or ConfigurationError / DatabaseUnavailable / SchemaOutdated."""
    engine = create_db_engine(settings.database_url)
    check_connection(engine)
    ensure_schema(engine, allow_upgrade=settings.uses_default_database)
    if settings.uses_default_database:
        if not has_data(engine):
            load_demo(engine, DemoSpec())
        elif info := figures.dataset_info(engine=engine):
            # demo data of an older generator (e.g. wrong keys) are replaced by the current
            # ones, unless they are no longer pure demo data (imports give another version)
            outdated = outdated_spec(info.get("data_version", ""))
            if outdated is not None and info.get("synthetic") == "true":
                load_demo(engine, outdated)
    return engine


def cell_key_secret(engine: Engine, settings: Settings) -> str:
    """The secret the record keys of this database's data derive from (ConfigurationError
    for real data without a configured secret)."""
    info = figures.dataset_info(engine=engine)
    return settings.secret_for(synthetic=info.get("synthetic") == "true")


def case_copy(engine: Engine, settings: Settings) -> Cases:
    """The columnar copy of the case data for the loaded data version (Parquet-cached)."""
    version = figures.dataset_info(engine=engine).get("data_version", "")
    secret = cell_key_secret(engine, settings)
    folder = (
        cache_folder(settings.data_dir, settings.database_label, version, secret)
        if version
        else None
    )
    return load_cases(engine=engine, folder=folder, secret=secret, version=version)
