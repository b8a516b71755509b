"""Alembic environment: runs on the connection that data_access.db hands over."""

from alembic import context

from data_access.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs table copies to ALTER
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
