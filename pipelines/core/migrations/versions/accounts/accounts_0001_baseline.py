"""Baseline of the accounts store: users, api_keys, session_owners.

Adopts a database made before migrations: tables that exist are kept as they are (rows untouched), missing ones
are created.

Revision ID: accounts_0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "accounts_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create what is missing of today's schema."""
    present = set(sa.inspect(op.get_bind()).get_table_names())
    if "users" not in present:
        op.create_table(
            "users",
            sa.Column("name", sa.String(64), primary_key=True),
            sa.Column("role", sa.String(16), nullable=False),
            sa.Column("password_hash", sa.String(256), nullable=True),
            sa.Column("disabled", sa.Boolean(), nullable=False),
            sa.Column("created_at", sa.String(40), nullable=False),
        )
    if "api_keys" not in present:
        op.create_table(
            "api_keys",
            sa.Column("name", sa.String(64), primary_key=True),
            sa.Column("user", sa.String(64), nullable=False),
            sa.Column("prefix", sa.String(8), nullable=False),
            sa.Column("digest", sa.String(64), nullable=False),
            sa.Column("created_at", sa.String(40), nullable=False),
            sa.Column("expires_at", sa.String(40), nullable=True),
            sa.Column("revoked_at", sa.String(40), nullable=True),
            sa.UniqueConstraint("prefix"),
        )
        op.create_index("ix_api_keys_user", "api_keys", ["user"])
    if "session_owners" not in present:
        op.create_table(
            "session_owners",
            sa.Column("session_id", sa.String(64), primary_key=True),
            sa.Column("user", sa.String(64), nullable=False),
        )
        op.create_index("ix_session_owners_user", "session_owners", ["user"])


def downgrade() -> None:
    """Not supported: the stores only move forward."""
    raise NotImplementedError
