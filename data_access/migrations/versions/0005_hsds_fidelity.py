"""HSDS fidelity: further provider locations and the HSDS fields beyond the model

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

Adds the table ``provider_location`` (further locations of a provider) and the JSON text columns
``provider.hsds`` and ``service.hsds``; no existing row is changed.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hsds", sa.Text(), nullable=True))
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hsds", sa.Text(), nullable=True))
    op.create_table(
        "provider_location",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("street", sa.String(length=200), nullable=True),
        sa.Column("postcode", sa.String(length=10), nullable=True),
        sa.Column("city", sa.String(length=120), nullable=True),
        sa.Column("municipality_ags", sa.String(length=8), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("hsds", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_ags"],
            ["municipality.ags"],
            name=op.f("fk_provider_location_municipality_ags_municipality"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider.id"],
            name=op.f("fk_provider_location_provider_id_provider"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_location")),
    )
    with op.batch_alter_table("provider_location", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_provider_location_municipality_ags"), ["municipality_ags"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_provider_location_provider_id"), ["provider_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("provider_location", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provider_location_provider_id"))
        batch_op.drop_index(batch_op.f("ix_provider_location_municipality_ags"))
    op.drop_table("provider_location")
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.drop_column("hsds")
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.drop_column("hsds")
