"""developer console

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_operator", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_secret_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("previous_secret_expires_at", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_clients_owner_id"), ["owner_id"], unique=False)


def downgrade():
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clients_owner_id"))
        batch_op.drop_column("previous_secret_expires_at")
        batch_op.drop_column("previous_secret_hash")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("is_operator")
