"""Durable state of the hub: envelopes, mailboxes and the audit log.

``HubStore`` is the one abstract store; ``SqlHubStore`` (SQLite by default,
PostgreSQL by URL) and ``MemoryHubStore`` implement it and pass one shared
test suite (tests/test_store.py).
"""

from hub.store.base import (
    AcknowledgeOutcome,
    Admission,
    AdmitOutcome,
    AdmitResult,
    DatePurge,
    HubStore,
    MailboxItem,
    ReceiptToRecord,
    StoreStats,
)

__all__ = [
    "AcknowledgeOutcome",
    "Admission",
    "AdmitOutcome",
    "AdmitResult",
    "DatePurge",
    "HubStore",
    "MailboxItem",
    "ReceiptToRecord",
    "StoreStats",
]


def open_store(url: str) -> HubStore:
    """Open the store for a SQLAlchemy URL, or ``memory://`` for tests."""
    if url == "memory://":
        from hub.store.memory.store import MemoryHubStore

        return MemoryHubStore()
    from hub.store.sql.store import SqlHubStore

    return SqlHubStore(url)
