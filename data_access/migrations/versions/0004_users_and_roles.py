"""users and roles

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30

Adds the role table ``app_user`` (roles of persons when the installation takes them from the
database; ``teilhabe users``) and three columns to ``import_log`` naming who imported:
``imported_by_subject`` (OIDC subject), ``imported_by_email`` and ``imported_by_role``. Existing
rows keep their values; the new columns are NULL for them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("identity", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("added_by", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("identity", name=op.f("pk_app_user")),
    )
    with op.batch_alter_table("import_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("imported_by_subject", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("imported_by_email", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("imported_by_role", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_log", schema=None) as batch_op:
        batch_op.drop_column("imported_by_role")
        batch_op.drop_column("imported_by_email")
        batch_op.drop_column("imported_by_subject")
    op.drop_table("app_user")
