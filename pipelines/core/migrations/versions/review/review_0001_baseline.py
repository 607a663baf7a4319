"""Baseline of the review queue in the database: review_queue (one row per held document).

Revision ID: review_0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "review_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table when missing."""
    if "review_queue" in set(sa.inspect(op.get_bind()).get_table_names()):
        return
    op.create_table(
        "review_queue",
        sa.Column("domain", sa.String(64), primary_key=True),
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("held_at", sa.String(40), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    """Not supported: the stores only move forward."""
    raise NotImplementedError
