"""DPoP key bindings (RFC 9449)

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 02:00:00.000000

An authorization code may be bound to the thumbprint of a DPoP key (`dpop_jkt` of the
authorization request, §10), and a public client's grant to the key its first token
request proved (§5): its refresh tokens are used with that key only.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("authorization_codes") as batch_op:
        batch_op.add_column(sa.Column("dpop_jkt", sa.String(length=64), nullable=True))
    with op.batch_alter_table("grants") as batch_op:
        batch_op.add_column(sa.Column("dpop_jkt", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("grants") as batch_op:
        batch_op.drop_column("dpop_jkt")
    with op.batch_alter_table("authorization_codes") as batch_op:
        batch_op.drop_column("dpop_jkt")
