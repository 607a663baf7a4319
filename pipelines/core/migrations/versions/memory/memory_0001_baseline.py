"""Baseline of the memory store: sessions, turns (with ``signals_json``) and turn_ratings.

Adopts a database made before migrations: tables that exist are kept as they are (rows untouched), missing ones
are created (``turn_ratings`` came later than the rest), and ``turns.signals_json``, once added in place by the
store, is added when absent.

Revision ID: memory_0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "memory_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create what is missing of today's schema."""
    inspector = sa.inspect(op.get_bind())
    present = set(inspector.get_table_names())
    if "sessions" not in present:
        op.create_table(
            "sessions",
            sa.Column("id", sa.String(64), primary_key=True),
            sa.Column("title", sa.Text(), nullable=False),
            sa.Column("created_at", sa.String(40), nullable=False),
            sa.Column("updated_at", sa.String(40), nullable=False),
        )
    if "turns" not in present:
        op.create_table(
            "turns",
            sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
            sa.Column("session_id", sa.String(64), sa.ForeignKey("sessions.id"), nullable=False),
            sa.Column("position", sa.Integer(), nullable=False),
            sa.Column("question", sa.Text(), nullable=False),
            sa.Column("answer", sa.Text(), nullable=False),
            sa.Column("domain", sa.String(64), nullable=False),
            sa.Column("route_confidence", sa.Double(), nullable=False),
            sa.Column("sources_json", sa.Text(), nullable=False),
            sa.Column("backend", sa.String(32), nullable=False),
            sa.Column("model", sa.String(128), nullable=False),
            sa.Column("created_at", sa.String(40), nullable=False),
            sa.Column("signals_json", sa.Text(), nullable=True),
        )
        op.create_index("ix_turns_session_id", "turns", ["session_id"])
    elif "signals_json" not in {column["name"] for column in inspector.get_columns("turns")}:
        op.add_column("turns", sa.Column("signals_json", sa.Text(), nullable=True))
    if "turn_ratings" not in present:
        op.create_table(
            "turn_ratings",
            sa.Column("session_id", sa.String(64), sa.ForeignKey("sessions.id"), primary_key=True),
            sa.Column("position", sa.Integer(), primary_key=True, autoincrement=False),
            sa.Column("rating", sa.String(8), nullable=False),
            sa.Column("comment", sa.Text(), nullable=False),
            sa.Column("created_at", sa.String(40), nullable=False),
        )


def downgrade() -> None:
    """Not supported: the stores only move forward."""
    raise NotImplementedError
