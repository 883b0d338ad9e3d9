"""a sign-up waits in verifications until its login is confirmed

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 10:00:00.000000

A sign-up no longer creates its account at once: it is a verification without an account,
holding what the account will be made of (the argon2 hash of the password, the name, the
language, where to go on), and the account is created when the link is followed or the
code entered. Sign-in finds an unconfirmed sign-up by its login, hence the index on target.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.alter_column("account_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("password_hash", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("locale", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("next_url", sa.String(length=2000), nullable=True))
        batch_op.create_index(batch_op.f("ix_verifications_target"), ["target"], unique=False)


def downgrade():
    # Sign-ups nobody confirmed have no account to belong to: they go.
    op.execute("DELETE FROM verifications WHERE account_id IS NULL")
    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verifications_target"))
        batch_op.drop_column("next_url")
        batch_op.drop_column("locale")
        batch_op.drop_column("name")
        batch_op.drop_column("password_hash")
        batch_op.alter_column("account_id", existing_type=sa.Integer(), nullable=False)
