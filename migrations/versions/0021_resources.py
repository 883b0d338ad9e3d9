"""resource indicators (RFC 8707)

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 02:30:00.000000

The resources an authorization request named: kept with its code and the grant the code
starts, so a token request may narrow them and a refresh cannot widen them.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("authorization_codes") as batch_op:
        batch_op.add_column(sa.Column("resources", sa.JSON(), nullable=True))
    with op.batch_alter_table("grants") as batch_op:
        batch_op.add_column(sa.Column("resources", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("grants") as batch_op:
        batch_op.drop_column("resources")
    with op.batch_alter_table("authorization_codes") as batch_op:
        batch_op.drop_column("resources")
