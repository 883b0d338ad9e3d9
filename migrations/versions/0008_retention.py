"""indexes for retention and the developer console's statistics

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 10:00:00.000000

Every query retention runs, and the developer console's count of tokens in the last 24
hours, find their rows by an index. On PostgreSQL CREATE INDEX blocks writes to the table
while it builds; on a large installation create these indexes CONCURRENTLY by hand first
(same names) and stamp, or run the upgrade in a quiet hour.
"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("authorization_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_authorization_codes_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_authorization_codes_expires_at"), ["expires_at"], unique=False)

    # The composite indexes lead with the column the single-column ones covered, so those go.
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grants_client_id"))
        batch_op.create_index("ix_grants_client_id_created_at", ["client_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_grants_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_grants_revoked_at"), ["revoked_at"], unique=False)

    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_grant_id"))
        batch_op.create_index("ix_refresh_tokens_grant_id_expires_at", ["grant_id", "expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_refresh_tokens_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_refresh_tokens_rotated_at"), ["rotated_at"], unique=False)

    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_sessions_ended_at"), ["ended_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_sessions_expires_at"), ["expires_at"], unique=False)

    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_verifications_expires_at"), ["expires_at"], unique=False)

    with op.batch_alter_table("trusted_devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trusted_devices_expires_at"), ["expires_at"], unique=False)


def downgrade():
    with op.batch_alter_table("trusted_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trusted_devices_expires_at"))

    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verifications_expires_at"))

    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_sessions_expires_at"))
        batch_op.drop_index(batch_op.f("ix_login_sessions_ended_at"))

    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_rotated_at"))
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_expires_at"))
        batch_op.drop_index("ix_refresh_tokens_grant_id_expires_at")
        batch_op.create_index(batch_op.f("ix_refresh_tokens_grant_id"), ["grant_id"], unique=False)

    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grants_revoked_at"))
        batch_op.drop_index(batch_op.f("ix_grants_created_at"))
        batch_op.drop_index("ix_grants_client_id_created_at")
        batch_op.create_index(batch_op.f("ix_grants_client_id"), ["client_id"], unique=False)

    with op.batch_alter_table("authorization_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authorization_codes_expires_at"))
        batch_op.drop_index(batch_op.f("ix_authorization_codes_client_id"))
