"""The SQL store (SQLite by default, PostgreSQL by URL): one ``SqlHubStore`` and its tables."""

from hub.store.sql.store import SqlHubStore

__all__ = ["SqlHubStore"]
