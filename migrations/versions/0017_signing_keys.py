"""signing keys in the database, shared by every node, private parts sealed

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 21:00:00.000000

Until now each node read its keys from its own keys/ folder, so nodes on two machines
signed with different keys. The folder's keys are imported on the first start after this
migration (server/oauth/keys.py), so tokens already issued stay verifiable.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("alg", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("activate_at", sa.DateTime(), nullable=False),
        sa.Column("private_key_sealed", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("kid"),
    )


def downgrade():
    op.drop_table("signing_keys")
