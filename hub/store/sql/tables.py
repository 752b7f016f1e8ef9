"""SQLModel tables of the hub. Column types are portable (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, LargeBinary, text
from sqlmodel import Field, SQLModel


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time in pxhub is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants BIGINT.
_SEQ = BigInteger().with_variant(Integer(), "sqlite")


class EnvelopeRow(SQLModel, table=True):
    """One accepted envelope. ``envelope`` is cleared once purged; the row stays as evidence."""

    __tablename__ = "envelopes"

    message_id: str = Field(primary_key=True, max_length=36)
    sender: str = Field(max_length=32, index=True)
    header_sha256: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    envelope: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    payload_kind: int
    purpose: int
    consent_ref: str = Field(default="", max_length=36, index=True)
    size: int
    recipients: int
    accepted_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    purged_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    # The header's review_or_delete_at (indexed: each purge run looks for the dates that passed).
    delete_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True, index=True)
    )


class MailboxRow(SQLModel, table=True):
    """One (envelope, recipient) pair; ``seq`` is the recipient's fetch cursor."""

    __tablename__ = "mailbox"
    __table_args__ = (
        Index("ix_mailbox_recipient_seq", "recipient", "seq"),
        Index("ix_mailbox_message", "message_id", "recipient", unique=True),
        # Only the unacknowledged rows: the per-member depth a metrics scrape reads stays cheap
        # however long the mailbox's history grows.
        Index(
            "ix_mailbox_pending",
            "recipient",
            sqlite_where=text("acknowledged_at IS NULL"),
            postgresql_where=text("acknowledged_at IS NULL"),
        ),
    )

    seq: int | None = Field(default=None, sa_column=Column(_SEQ, primary_key=True, autoincrement=True))
    recipient: str = Field(max_length=32)
    message_id: str = Field(max_length=36)
    accepted_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    delivered_count: int = 0
    first_delivered_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    acknowledged_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    receipt: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    receipt_signature: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


class AuditEntryRow(SQLModel, table=True):
    """One leaf of the audit log: the canonical entry bytes and their RFC 9162 leaf hash."""

    __tablename__ = "audit_entries"

    idx: int = Field(sa_column=Column(_SEQ, primary_key=True, autoincrement=False))
    entry: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    leaf_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class MerkleNodeRow(SQLModel, table=True):
    """Hash of a complete subtree (level 0 = leaves), written when it completes."""

    __tablename__ = "merkle_nodes"

    level: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
