"""Engines, connection checks and schema migrations. The only module that knows about URLs."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from data_access.models import Base

MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseUnavailable(Exception):
    """The database cannot be reached or opened; the message names it and the cause."""


class SchemaOutdated(Exception):
    """The database schema is older than this version of the app."""


def create_db_engine(url: URL) -> Engine:
    """An engine for SQLite or PostgreSQL; a local SQLite file's folder is created if missing
    (DatabaseUnavailable if it cannot be)."""
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            try:
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:  # e.g. a part of the path is a file
                label = url.render_as_string(hide_password=True)
                raise DatabaseUnavailable(
                    f"Datenbank {label} ist nicht erreichbar: Ordner {error.filename} "
                    f"nicht anlegbar ({error.strerror})"
                ) from None
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


def check_connection(engine: Engine) -> None:
    """Raise DatabaseUnavailable with one clear line if the database cannot be used."""
    label = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        cause = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise DatabaseUnavailable(f"Datenbank {label} ist nicht erreichbar: {cause}") from None


def _alembic_config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations in {MIGRATIONS}")
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_schema(engine: Engine) -> None:
    """Bring the schema to the newest revision; existing data are migrated, never dropped."""
    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "head")


def foreign_schema_tables(engine: Engine) -> set[str]:
    """Tables of ours that exist without a recorded schema version (unrelated tables are fine)."""
    return set(inspect(engine).get_table_names()) & set(Base.metadata.tables)


def ensure_schema(engine: Engine, *, allow_upgrade: bool) -> None:
    """Create the schema in an empty database; upgrade an old one only where allowed."""
    current = current_revision(engine)
    if current == head_revision():
        return
    if current is None and (clashes := foreign_schema_tables(engine)):
        raise SchemaOutdated(
            f"Die Datenbank enthält bereits Tabellen ({', '.join(sorted(clashes))}), aber keine "
            "Schema-Version des Teilhabe-Monitors. Bitte eine leere Datenbank angeben."
        )
    if current is not None and not allow_upgrade:
        raise SchemaOutdated(
            f"Das Datenbankschema ({current}) ist älter als diese Version ({head_revision()}). "
            "Bitte zuerst `teilhabe db upgrade` ausführen."
        )
    upgrade_schema(engine)
