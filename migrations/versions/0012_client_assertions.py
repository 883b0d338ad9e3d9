"""client assertions: the jti already used, and the secret client_secret_jwt signs with

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10 10:00:00.000000

private_key_jwt and client_secret_jwt (RFC 7523 §2.2, OIDC Core §9): an assertion's jti is
used once, so the ones presented are kept until they expire. A client_secret_jwt client
signs with its secret itself: its secret (and the previous one, during a grace period) is
kept sealed beside the hash.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "used_client_assertions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("jti", sa.String(length=255), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "jti"),
    )
    with op.batch_alter_table("used_client_assertions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_used_client_assertions_expires_at"), ["expires_at"], unique=False
        )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_secret_sealed", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("previous_secret_sealed", sa.Text(), nullable=True))


def downgrade():
    # A client_secret_jwt client keeps its hashed secret: it may still use it with
    # client_secret_basic or client_secret_post once its method is changed.
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("previous_secret_sealed")
        batch_op.drop_column("client_secret_sealed")
    with op.batch_alter_table("used_client_assertions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_used_client_assertions_expires_at"))
    op.drop_table("used_client_assertions")
