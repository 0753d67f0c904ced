"""Alembic history of the cell database (run through `tessera.db.migrate`)."""
