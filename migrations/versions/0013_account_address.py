"""the person's postal address, for the address scope

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10 11:00:00.000000

OIDC Core §5.1.1: the address claim is a JSON object (formatted, street_address, locality,
region, postal_code, country); the person sets it on the Passport page.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("address")
