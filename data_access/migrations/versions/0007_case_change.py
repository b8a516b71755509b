"""the record of changed persons (partial builds of the cube store)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

Adds ``case_change`` and the triggers that fill it (``data_access.changes``): every change of
the case tables records the persons concerned, in the changing transaction. Existing rows are
not changed; the record starts empty (a build without a mark in it reads everything).
"""

import sqlalchemy as sa
from alembic import op

from data_access.changes import drop_statements, trigger_statements

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _random() -> sa.TextClause:
    if op.get_bind().dialect.name == "postgresql":
        return sa.text("(floor(random() * 9000000000000000))::bigint")
    return sa.text("(abs(random()))")


def upgrade() -> None:
    op.create_table(
        "case_change",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        # a random token per row (``data_access.changes.mark``)
        sa.Column("token", sa.BigInteger(), nullable=True, server_default=_random()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_change")),
        sqlite_autoincrement=True,
    )
    for statement in trigger_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    connection = op.get_bind()
    for statement in drop_statements(connection.dialect.name):
        op.execute(statement)
    op.drop_table("case_change")
