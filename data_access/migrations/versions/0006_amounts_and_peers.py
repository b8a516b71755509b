"""benefit amounts and published figures of other Jobcenters

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

Adds the optional table ``benefit_amount`` (monthly benefits per person for living costs and
housing, in cents; K1 and K1E1) and ``peer_figure`` (Kennzahlen published for other Jobcenters,
the Länder and Germany; the comparison on the Integration page). No existing row is changed.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "benefit_amount",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("living_costs_cents", sa.Integer(), nullable=True),
        sa.Column("housing_costs_cents", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_benefit_amount_client_id_client")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benefit_amount")),
        sa.UniqueConstraint("client_id", "month", name=op.f("uq_benefit_amount_client_id_month")),
    )
    with op.batch_alter_table("benefit_amount", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_benefit_amount_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_benefit_amount_month"), ["month"], unique=False)
    op.create_table(
        "peer_figure",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("jobcenter_key", sa.String(length=12), nullable=False),
        sa.Column("jobcenter_name", sa.String(length=200), nullable=False),
        sa.Column("comparison_type", sa.String(length=12), nullable=True),
        sa.Column("land", sa.String(length=2), nullable=True),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peer_figure")),
        sa.UniqueConstraint(
            "jobcenter_key", "month", "code", name=op.f("uq_peer_figure_jobcenter_key_month_code")
        ),
    )
    with op.batch_alter_table("peer_figure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_peer_figure_jobcenter_key"), ["jobcenter_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_peer_figure_month"), ["month"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("peer_figure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_peer_figure_month"))
        batch_op.drop_index(batch_op.f("ix_peer_figure_jobcenter_key"))
    op.drop_table("peer_figure")
    with op.batch_alter_table("benefit_amount", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_benefit_amount_month"))
        batch_op.drop_index(batch_op.f("ix_benefit_amount_client_id"))
    op.drop_table("benefit_amount")
