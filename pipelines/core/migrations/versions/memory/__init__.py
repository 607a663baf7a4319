"""Alembic revisions (see :mod:`pipelines.core.migrations`)."""
