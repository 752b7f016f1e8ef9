"""SQLModel tables for policy versions, consents, their events, revocation notices and attestations.

Registered on the same ``SQLModel.metadata`` as ``hub.store.sql.tables``, so
``SqlHubStore`` creates them with the others. Column types are portable.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, LargeBinary
from sqlmodel import Field, SQLModel


class PolicyRow(SQLModel, table=True):
    """One published policy version: the exact signed bytes and the operator's signature."""

    __tablename__ = "policies"

    version: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    policy: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    signature: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    published_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class ConsentRow(SQLModel, table=True):
    """A registered consent record (signed bytes) and its stored state (GIVEN, WITHDRAWN, REVOKED)."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_subject", "controller", "subject_pseudonym"),)

    consent_id: str = Field(primary_key=True, max_length=36)
    controller: str = Field(max_length=32)
    subject_pseudonym: str = Field(max_length=64)
    record: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    signature: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    state: int
    registered_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    state_changed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class ConsentEventRow(SQLModel, table=True):
    """A signed state change of a consent, in order."""

    __tablename__ = "consent_events"

    consent_id: str = Field(primary_key=True, max_length=36)
    sequence: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    event: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    signature: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    state: int
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class RevocationNoticeRow(SQLModel, table=True):
    """One notice per (record, recipient) after a withdrawal, and the recipient's signed attestation."""

    __tablename__ = "revocation_notices"
    __table_args__ = (
        Index("ix_notices_message_recipient", "message_id", "recipient", unique=True),
        Index("ix_notices_recipient", "recipient", "attested_at"),
    )

    notice_id: str = Field(primary_key=True, max_length=36)
    recipient: str = Field(max_length=32)
    message_id: str = Field(max_length=36)
    consent_id: str = Field(max_length=36)
    event_sequence: int
    header_sha256: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    issued_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    delivered_count: int = 0
    attested_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    attestation: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    attestation_signature: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    deletion_status: int = 0
