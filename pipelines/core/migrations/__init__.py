"""Alembic migrations of the SQL stores, run by :func:`pipelines.core.sql.upgrade_schema` when a store opens.

One history per store, each in its own folder of ``versions/`` with its own version table
(``alembic_version_<store>``): ``memory`` (sessions, turns, turn_ratings), ``accounts`` (users, api_keys,
session_owners), ``feedback`` (feedback), ``records`` (record_terms, dp_ledger). The table names are distinct, so
all four can share one database. Each history starts with a baseline revision that creates today's schema and
adopts tables made before migrations existed. A new revision goes into its store's folder
(``alembic -c <ini with script_location=pipelines/core/migrations> revision --version-path
pipelines/core/migrations/versions/<store> --head <store head>``, or by hand from ``script.py.mako``).
"""
