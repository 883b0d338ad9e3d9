"""pushed authorization requests (RFC 9126)

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 23:00:00.000000

A client pushes an authorization request to /par and sends the browser to /authorize with
the request_uri it got back; the row lives until the authorization response, or until its
lifetime ends (the worker prunes it then).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pushed_requests",
        sa.Column("handle_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("handle_hash"),
    )
    with op.batch_alter_table("pushed_requests") as batch_op:
        batch_op.create_index("ix_pushed_requests_client_id", ["client_id"], unique=False)
        batch_op.create_index("ix_pushed_requests_expires_at", ["expires_at"], unique=False)


def downgrade():
    with op.batch_alter_table("pushed_requests") as batch_op:
        batch_op.drop_index("ix_pushed_requests_expires_at")
        batch_op.drop_index("ix_pushed_requests_client_id")
    op.drop_table("pushed_requests")
