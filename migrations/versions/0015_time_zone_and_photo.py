"""the person's time zone and profile photo

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-13 10:00:00.000000

Both are claims of the profile scope (OIDC Core §5.1): `zoneinfo`, an IANA time zone name
the pages also show times in, and `picture`, the address of the photo. The photo's bytes
live in a table of their own, so reading an account never loads them; the account keeps
the random name the photo is served under, which changes with every new photo.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("zoneinfo", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("photo_id", sa.String(length=32), nullable=True))
    op.create_table(
        "account_photos",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=32), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id"),
    )


def downgrade():
    op.drop_table("account_photos")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("photo_id")
        batch_op.drop_column("zoneinfo")
