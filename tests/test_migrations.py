"""Migrations build exactly the schema of the models, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from data_access.db import (
    create_db_engine,
    current_revision,
    ensure_schema,
    head_revision,
)
from data_access.models import Base


def assert_schema_matches_models(engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    assert current_revision(engine) == head_revision()


def test_migrations_on_sqlite_match_the_models(tmp_path) -> None:
    engine = create_db_engine(make_url(f"sqlite:///{tmp_path / 'm.sqlite'}"))
    ensure_schema(engine, allow_upgrade=True)
    assert_schema_matches_models(engine)


def test_migrations_on_postgresql_match_the_models(postgres_url) -> None:
    admin = create_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS migration_test CASCADE"))
        connection.execute(text("CREATE SCHEMA migration_test"))
    engine = create_db_engine(
        make_url(postgres_url).update_query_dict({"options": "-csearch_path=migration_test"})
    )
    try:
        ensure_schema(engine, allow_upgrade=True)
        assert_schema_matches_models(engine)
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text("DROP SCHEMA migration_test CASCADE"))
        admin.dispose()


def test_unrelated_tables_do_not_block_a_new_schema(tmp_path) -> None:
    engine = create_db_engine(make_url(f"sqlite:///{tmp_path / 'shared.sqlite'}"))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE someone_elses (x INTEGER)"))
    ensure_schema(engine, allow_upgrade=True)
    assert current_revision(engine) == head_revision()


def upgrade_keeps_the_data(engine) -> None:
    """Revision 0002 adds the import log to a database of revision 0001 and keeps its rows;
    0003 adds the populations with their reference date, starting with those stored."""
    import datetime as dt

    from alembic import command
    from sqlalchemy import inspect

    from data_access.auth import Actor
    from data_access.db import _alembic_config, upgrade_schema
    from teilhabe.exchange.tabular import import_table
    from teilhabe.exchange.templates import template_csv

    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "0001")
        connection.execute(
            text("INSERT INTO district VALUES ('08135', 'Landkreis Heidenheim', 'JC')")
        )
        connection.execute(
            text(
                "INSERT INTO municipality VALUES ('08135019', '08135', 'Heidenheim', 'Stadt', "
                "49526, '2012-12-31', 48.68, 10.15)"
            )
        )
        connection.execute(text("INSERT INTO dataset_info VALUES ('data_version', 'v1')"))
    assert current_revision(engine) == "0001"
    assert "import_log" not in inspect(engine).get_table_names()

    upgrade_schema(engine)
    assert_schema_matches_models(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT ags, population FROM municipality")).all() == [
            ("08135019", 49526)
        ]
        assert connection.execute(text("SELECT count(*) FROM import_log")).scalar() == 0
        populations = connection.execute(
            text("SELECT ags, reference_date, population FROM municipality_population")
        ).all()
        assert [(a, str(d), p) for a, d, p in populations] == [("08135019", "2012-12-31", 49526)]
    # and the new table is usable right away
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    report = import_table(
        engine,
        "district",
        template_csv("district"),
        name="kreis.csv",
        actor=Actor.command_line("tester"),
    )
    after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert report.ok and report.log_id == 1
    with engine.connect() as connection:
        logged = connection.execute(text("SELECT imported_at FROM import_log")).scalar()
    # the log keeps UTC: the stored time lies between the two UTC clock readings
    assert before <= dt.datetime.fromisoformat(str(logged)) <= after


def test_an_existing_0001_database_is_upgraded_without_losing_data(tmp_path) -> None:
    engine = create_db_engine(make_url(f"sqlite:///{tmp_path / 'old.sqlite'}"))
    try:
        upgrade_keeps_the_data(engine)
    finally:
        engine.dispose()


def test_an_existing_0001_database_on_postgresql_is_upgraded(postgres_url) -> None:
    admin = create_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS migration_0001 CASCADE"))
        connection.execute(text("CREATE SCHEMA migration_0001"))
    engine = create_db_engine(
        make_url(postgres_url).update_query_dict({"options": "-csearch_path=migration_0001"})
    )
    try:
        upgrade_keeps_the_data(engine)
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text("DROP SCHEMA migration_0001 CASCADE"))
        admin.dispose()


def test_an_unusable_sqlite_path_is_one_clear_database_error(tmp_path) -> None:
    """A folder that cannot be created (part of the path is a file) or a file that is no
    database: DatabaseUnavailable naming the path, no OSError or traceback for the app."""
    import pytest

    from data_access.db import DatabaseUnavailable, check_connection, create_db_engine

    (tmp_path / "datei").write_text("kein Ordner")
    with pytest.raises(DatabaseUnavailable) as error:
        create_db_engine(make_url(f"sqlite:///{tmp_path}/datei/teilhabe.sqlite"))
    assert str(error.value) == (
        f"Datenbank sqlite:///{tmp_path}/datei/teilhabe.sqlite ist nicht erreichbar: "
        f"Ordner {tmp_path}/datei nicht anlegbar (File exists)"
    )
    (tmp_path / "text.sqlite").write_text("kein SQLite\n" * 100)
    with pytest.raises(DatabaseUnavailable, match="file is not a database"):
        engine = create_db_engine(make_url(f"sqlite:///{tmp_path}/text.sqlite"))
        check_connection(engine)
