"""Baseline of the feedback store: feedback.

Adopts a database made before migrations: an existing table is kept as it is (rows untouched).

Revision ID: feedback_0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "feedback_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table when missing."""
    if "feedback" in set(sa.inspect(op.get_bind()).get_table_names()):
        return
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("domain", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("intent", sa.String(128), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=True),
        sa.Column("risk_json", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("escalate", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("suggested", sa.Text(), nullable=False),
        sa.Column("final_text", sa.Text(), nullable=False),
        sa.Column("backend", sa.String(32), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
    )
    op.create_index("ix_feedback_session_id", "feedback", ["session_id"])


def downgrade() -> None:
    """Not supported: the stores only move forward."""
    raise NotImplementedError
