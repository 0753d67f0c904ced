"""Tessera's two databases: the API database (`tessera.db.api`) and one database per
cell (`tessera.db.cell`), each with its Alembic history (`tessera.db.migrate`).

Query modules take a `Session` and return `tessera.objects` objects, never ORM rows.
"""

from tessera.db.engine import get_engine, session_scope

__all__ = ["get_engine", "session_scope"]
