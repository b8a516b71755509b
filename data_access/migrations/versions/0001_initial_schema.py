"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "barrier",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("key_factor", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_barrier")),
    )
    op.create_table(
        "dataset_info",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_dataset_info")),
    )
    op.create_table(
        "district",
        sa.Column("key", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("jobcenter_name", sa.String(length=160), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_district")),
    )
    op.create_table(
        "service_category",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_service_category")),
    )
    op.create_table(
        "municipality",
        sa.Column("ags", sa.String(length=8), nullable=False),
        sa.Column("district_key", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("population_date", sa.Date(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_key"], ["district.key"], name=op.f("fk_municipality_district_key_district")
        ),
        sa.PrimaryKeyConstraint("ags", name=op.f("pk_municipality")),
    )
    with op.batch_alter_table("municipality", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_municipality_district_key"), ["district_key"], unique=False
        )

    op.create_table(
        "network_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("district_key", sa.String(length=5), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("attendees", sa.Integer(), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_key"], ["district.key"], name=op.f("fk_network_event_district_key_district")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_event")),
        sa.UniqueConstraint("date", "title", name=op.f("uq_network_event_date_title")),
    )
    with op.batch_alter_table("network_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_network_event_district_key"), ["district_key"], unique=False
        )

    op.create_table(
        "service_category_barrier",
        sa.Column("category_code", sa.String(length=40), nullable=False),
        sa.Column("barrier_code", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["barrier_code"],
            ["barrier.code"],
            name=op.f("fk_service_category_barrier_barrier_code_barrier"),
        ),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["service_category.code"],
            name=op.f("fk_service_category_barrier_category_code_service_category"),
        ),
        sa.PrimaryKeyConstraint(
            "category_code", "barrier_code", name=op.f("pk_service_category_barrier")
        ),
    )
    op.create_table(
        "client",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("municipality_ags", sa.String(length=8), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=False),
        sa.Column("single_parent", sa.Boolean(), nullable=False),
        sa.Column("household_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_ags"],
            ["municipality.ags"],
            name=op.f("fk_client_municipality_ags_municipality"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client")),
    )
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_client_municipality_ags"), ["municipality_ags"], unique=False
        )

    op.create_table(
        "municipality_boundary",
        sa.Column("ags", sa.String(length=8), nullable=False),
        sa.Column("geometry_geojson", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("schematic", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ags"], ["municipality.ags"], name=op.f("fk_municipality_boundary_ags_municipality")
        ),
        sa.PrimaryKeyConstraint("ags", name=op.f("pk_municipality_boundary")),
    )
    op.create_table(
        "provider",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=True),
        sa.Column("postcode", sa.String(length=10), nullable=True),
        sa.Column("city", sa.String(length=120), nullable=True),
        sa.Column("municipality_ags", sa.String(length=8), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=60), nullable=True),
        sa.Column("website", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_ags"],
            ["municipality.ags"],
            name=op.f("fk_provider_municipality_ags_municipality"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider")),
    )
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_provider_municipality_ags"), ["municipality_ags"], unique=False
        )

    op.create_table(
        "barrier_assessment",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("barrier_code", sa.String(length=32), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["barrier_code"],
            ["barrier.code"],
            name=op.f("fk_barrier_assessment_barrier_code_barrier"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_barrier_assessment_client_id_client")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_barrier_assessment")),
        sa.UniqueConstraint(
            "client_id",
            "barrier_code",
            "recorded_on",
            name=op.f("uq_barrier_assessment_client_id_barrier_code_recorded_on"),
        ),
    )
    with op.batch_alter_table("barrier_assessment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_barrier_assessment_barrier_code"), ["barrier_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_barrier_assessment_client_id"), ["client_id"], unique=False
        )

    op.create_table(
        "benefit_spell",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("start_month", sa.Integer(), nullable=False),
        sa.Column("end_month", sa.Integer(), nullable=False),
        sa.Column("lzb_from_month", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_benefit_spell_client_id_client")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benefit_spell")),
        sa.UniqueConstraint(
            "client_id", "start_date", name=op.f("uq_benefit_spell_client_id_start_date")
        ),
    )
    with op.batch_alter_table("benefit_spell", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_benefit_spell_client_id"), ["client_id"], unique=False)
        batch_op.create_index(
            "ix_benefit_spell_lzb", ["lzb_from_month", "end_month", "client_id"], unique=False
        )
        batch_op.create_index(
            "ix_benefit_spell_months", ["start_month", "end_month", "client_id"], unique=False
        )

    op.create_table(
        "integration",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("continued_12m", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_integration_client_id_client")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration")),
        sa.UniqueConstraint("client_id", "month", name=op.f("uq_integration_client_id_month")),
    )
    with op.batch_alter_table("integration", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_integration_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_integration_month"), ["month"], unique=False)

    op.create_table(
        "network_event_provider",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["network_event.id"],
            name=op.f("fk_network_event_provider_event_id_network_event"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider.id"],
            name=op.f("fk_network_event_provider_provider_id_provider"),
        ),
        sa.PrimaryKeyConstraint("event_id", "provider_id", name=op.f("pk_network_event_provider")),
    )
    op.create_table(
        "service",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category_code", sa.String(length=40), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("labour_market_measure", sa.Boolean(), nullable=False),
        sa.Column("active_from", sa.Date(), nullable=False),
        sa.Column("active_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["service_category.code"],
            name=op.f("fk_service_category_code_service_category"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name=op.f("fk_service_provider_id_provider")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service")),
    )
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_category_code"), ["category_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_service_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("barrier_code", sa.String(length=32), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["barrier_code"], ["barrier.code"], name=op.f("fk_referral_barrier_code_barrier")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_referral_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("fk_referral_service_id_service")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
        sa.UniqueConstraint(
            "client_id",
            "service_id",
            "start_date",
            name=op.f("uq_referral_client_id_service_id_start_date"),
        ),
    )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_service_id"), ["service_id"], unique=False)

    op.create_table(
        "service_area",
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("municipality_ags", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_ags"],
            ["municipality.ags"],
            name=op.f("fk_service_area_municipality_ags_municipality"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("fk_service_area_service_id_service")
        ),
        sa.PrimaryKeyConstraint("service_id", "municipality_ags", name=op.f("pk_service_area")),
    )


def downgrade() -> None:
    op.drop_table("service_area")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_service_id"))
        batch_op.drop_index(batch_op.f("ix_referral_client_id"))

    op.drop_table("referral")
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_provider_id"))
        batch_op.drop_index(batch_op.f("ix_service_category_code"))

    op.drop_table("service")
    op.drop_table("network_event_provider")
    with op.batch_alter_table("integration", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_integration_month"))
        batch_op.drop_index(batch_op.f("ix_integration_client_id"))

    op.drop_table("integration")
    with op.batch_alter_table("benefit_spell", schema=None) as batch_op:
        batch_op.drop_index("ix_benefit_spell_months")
        batch_op.drop_index("ix_benefit_spell_lzb")
        batch_op.drop_index(batch_op.f("ix_benefit_spell_client_id"))

    op.drop_table("benefit_spell")
    with op.batch_alter_table("barrier_assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_barrier_assessment_client_id"))
        batch_op.drop_index(batch_op.f("ix_barrier_assessment_barrier_code"))

    op.drop_table("barrier_assessment")
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provider_municipality_ags"))

    op.drop_table("provider")
    op.drop_table("municipality_boundary")
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_municipality_ags"))

    op.drop_table("client")
    op.drop_table("service_category_barrier")
    with op.batch_alter_table("network_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_event_district_key"))

    op.drop_table("network_event")
    with op.batch_alter_table("municipality", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_municipality_district_key"))

    op.drop_table("municipality")
    op.drop_table("service_category")
    op.drop_table("district")
    op.drop_table("dataset_info")
    op.drop_table("barrier")
