"""Baseline of the medical records store: record_terms and the DP budget ledger dp_ledger.

Adopts a database made before migrations: tables that exist are kept as they are (rows untouched), missing ones
are created.

Revision ID: records_0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "records_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create what is missing of today's schema."""
    present = set(sa.inspect(op.get_bind()).get_table_names())
    if "record_terms" not in present:
        op.create_table(
            "record_terms",
            sa.Column("domain", sa.String(64), primary_key=True),
            sa.Column("sha256", sa.String(64), primary_key=True),
            sa.Column("type", sa.String(32), primary_key=True),
            sa.Column("term", sa.Text(), primary_key=True),
        )
    if "dp_ledger" not in present:
        op.create_table(
            "dp_ledger",
            sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
            sa.Column("created_at", sa.String(40), nullable=False),
            sa.Column("domain", sa.String(64), nullable=False),
            sa.Column("epsilon", sa.Float(), nullable=False),
            sa.Column("query", sa.Text(), nullable=False),
        )


def downgrade() -> None:
    """Not supported: the stores only move forward."""
    raise NotImplementedError
