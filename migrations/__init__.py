"""Alembic migrations of the Lockgate database."""
