"""population with its reference date

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30

Adds the table ``municipality_population``: the population of a municipality on a reference
date, several dates per municipality, so that figures per 1,000 inhabitants can use the one
nearest to the Stichtag and name its date. The populations already stored in ``municipality``
(with their ``population_date``) are copied into it; no existing row is changed.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "municipality_population",
        sa.Column("ags", sa.String(length=8), nullable=False),
        sa.Column("reference_date", sa.Date(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ags"],
            ["municipality.ags"],
            name=op.f("fk_municipality_population_ags_municipality"),
        ),
        sa.PrimaryKeyConstraint("ags", "reference_date", name=op.f("pk_municipality_population")),
    )
    op.execute(
        "INSERT INTO municipality_population (ags, reference_date, population) "
        "SELECT ags, population_date, population FROM municipality"
    )


def downgrade() -> None:
    op.drop_table("municipality_population")
