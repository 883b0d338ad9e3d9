"""the outbox message that carries a verification's link or code

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 12:00:00.000000

The Passport page tells how the confirmation of a new login is getting to the person
(sending, sent, not delivered); it finds the message by this id. No foreign key: retention
deletes finished outbox messages on their own schedule, and a missing message reads as
nothing to tell.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.drop_column("message_id")
