"""codes and grants keep the claims the claims parameter asked for

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 12:00:00.000000

OIDC Core §5.5: a portal may ask for individual claims, for the ID token and for
userinfo. The code keeps what it gets, and the grant its redemption starts carries it on,
for every refreshed ID token and every userinfo call.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("authorization_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requested_claims", sa.JSON(), nullable=True))
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requested_claims", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_column("requested_claims")
    with op.batch_alter_table("authorization_codes", schema=None) as batch_op:
        batch_op.drop_column("requested_claims")
