"""Persistence: SQLAlchemy tables, the session factory and Alembic migrations."""
