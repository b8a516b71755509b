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
