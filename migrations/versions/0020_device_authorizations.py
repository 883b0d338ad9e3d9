"""device authorizations (RFC 8628)

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 02:00:00.000000

A TV or a command-line tool asks to act for a person; the person enters the user code it
shows at /device and decides; the device polls for its tokens. The row lives until its
lifetime ends (the worker prunes it then).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "device_authorizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_code_hash", sa.String(length=64), nullable=False),
        sa.Column("user_code_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("interval", sa.Integer(), nullable=False),
        sa.Column("last_polled_at", sa.DateTime(), nullable=True),
        sa.Column("approved", sa.Boolean(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("auth_time", sa.Integer(), nullable=True),
        sa.Column("amr", sa.JSON(), nullable=True),
        sa.Column("acr", sa.String(length=100), nullable=True),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("grant_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("device_code_hash"),
        sa.UniqueConstraint("user_code_hash"),
    )
    with op.batch_alter_table("device_authorizations") as batch_op:
        batch_op.create_index("ix_device_authorizations_client_id", ["client_id"], unique=False)
        batch_op.create_index("ix_device_authorizations_account_id", ["account_id"], unique=False)
        batch_op.create_index("ix_device_authorizations_expires_at", ["expires_at"], unique=False)


def downgrade():
    op.drop_table("device_authorizations")
