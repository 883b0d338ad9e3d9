"""Stored rows for the "flat with data" comparison, written straight into PostgreSQL.

A hot path must cost the same with ten thousand stored refresh tokens as with a million:
every lookup is by a unique hash or a primary key. The rows are made with
INSERT … SELECT generate_series, a few seconds per hundred thousand, instead of by code
flows. They follow the life of real grants: each grant began at a used authorization code
and holds four refresh tokens, three rotated out and the newest still live.
"""

from __future__ import annotations

import time

import psycopg

TOKENS_PER_GRANT = 4

# Times are naive UTC, as server/models/types.py stores them. Every hash is 64 hex
# characters; the 'seed' prefix keeps them apart from the hashes of real random tokens.
GRANTS = """
INSERT INTO grants (id, client_id, account_id, session_id, scope, offline, credential_epoch,
                    auth_time, amr, acr, created_at, revoked_at)
SELECT 'seed-' || n, %(client)s, %(account)s, NULL, 'openid email profile', true,
       %(epoch)s, extract(epoch FROM now())::int - 3600, '["pwd"]', NULL,
       (now() AT TIME ZONE 'utc') - interval '1 hour', NULL
FROM generate_series(%(first)s::int, %(last)s::int) AS n
"""

CODES = """
INSERT INTO authorization_codes (code_hash, client_id, account_id, session_id, redirect_uri,
                                 scope, nonce, code_challenge, code_challenge_method,
                                 auth_time, amr, acr, offline, created_at, expires_at,
                                 used_at, grant_id)
SELECT md5('code' || n) || md5('seed' || n), %(client)s, %(account)s, NULL,
       'http://127.0.0.1:9/callback', 'openid email profile', NULL, NULL, NULL,
       extract(epoch FROM now())::int - 3600, '["pwd"]', NULL, true,
       (now() AT TIME ZONE 'utc') - interval '1 hour',
       (now() AT TIME ZONE 'utc') - interval '59 minutes',
       (now() AT TIME ZONE 'utc') - interval '59 minutes', 'seed-' || n
FROM generate_series(%(first)s::int, %(last)s::int) AS n
"""

REFRESH_TOKENS = """
INSERT INTO refresh_tokens (token_hash, grant_id, created_at, expires_at, rotated_at)
SELECT md5('refresh' || t) || md5('seed' || t),
       'seed-' || (t / %(per_grant)s),
       (now() AT TIME ZONE 'utc') - interval '1 hour',
       (now() AT TIME ZONE 'utc') + interval '29 days',
       CASE WHEN t %% %(per_grant)s = %(per_grant)s - 1 THEN NULL
            ELSE (now() AT TIME ZONE 'utc') - interval '30 minutes' END
FROM generate_series(%(first)s::int * %(per_grant)s, (%(last)s::int + 1) * %(per_grant)s - 1) AS t
"""


def stored_refresh_tokens(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM refresh_tokens").fetchone()[0]


def grow(url: str, login: str, client_id: str, target: int) -> float:
    """Add seeded rows until `target` refresh tokens are stored; returns the seconds it took.

    They belong to the bench's own account and portal: the harshest case for any query
    that reads a person's or a client's rows instead of one row by its key.
    """
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        account, epoch = conn.execute(
            "SELECT id, credential_epoch FROM accounts WHERE email = %s", (login,)
        ).fetchone()
        client = conn.execute(
            "SELECT id FROM clients WHERE client_id = %s", (client_id,)
        ).fetchone()[0]
        seeded = conn.execute("SELECT count(*) FROM grants WHERE id LIKE 'seed-%'").fetchone()[0]
        stored = conn.execute("SELECT count(*) FROM refresh_tokens").fetchone()[0]
        grants_needed = max(0, (target - stored) // TOKENS_PER_GRANT)
        if grants_needed:
            params = {
                "client": client,
                "account": account,
                "epoch": epoch,
                "first": seeded,
                "last": seeded + grants_needed - 1,
                "per_grant": TOKENS_PER_GRANT,
            }
            for statement in (GRANTS, CODES, REFRESH_TOKENS):
                conn.execute(statement, params)
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        # Fresh statistics and a visibility map, so the planner and autovacuum do not act
        # in the middle of a measured run.
        conn.execute("VACUUM ANALYZE grants, authorization_codes, refresh_tokens")
    return time.perf_counter() - started
