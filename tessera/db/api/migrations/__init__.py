"""Alembic history of the api database (run through `tessera.db.migrate`)."""
