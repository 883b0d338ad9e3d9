"""the demo account is marked, not known by its e-mail

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-12 10:00:00.000000

`passport demo` (run by `make run` on every start) looked the demo account up by its
address, so once the person changed it on the Passport page a second "Demo Person" was
seeded at the old one. The mark stays whatever the logins become; a partial unique index
keeps it on one account. An account seeded before the mark existed sits at the demo
address, and is marked here.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

DEMO_EMAIL = "demo@example.org"  # server/services/demo.py


def upgrade():
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_demo", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    accounts = sa.table("accounts", sa.column("email", sa.String), sa.column("is_demo", sa.Boolean))
    op.execute(accounts.update().where(accounts.c.email == DEMO_EMAIL).values(is_demo=True))
    op.create_index(
        "ix_accounts_demo",
        "accounts",
        ["is_demo"],
        unique=True,
        sqlite_where=sa.text("is_demo"),
        postgresql_where=sa.text("is_demo"),
    )


def downgrade():
    op.drop_index("ix_accounts_demo", table_name="accounts")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("is_demo")
