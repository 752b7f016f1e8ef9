"""Tables of the audit-log store: the entry index, checkpoints and cosignatures.

Written by ``hub/store/sql/audit.py``; the leaves and Merkle nodes themselves
are ``audit_entries`` and ``merkle_nodes`` in ``hub/store/sql/tables.py``. Column
types are portable (SQLite and PostgreSQL); the one backend-specific line is
a DDL option that stores ``audit_refs`` as a clustered (WITHOUT ROWID) table
on SQLite, ignored elsewhere.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, LargeBinary, String, Text
from sqlmodel import Field, SQLModel

# SQLite only makes an INTEGER PRIMARY KEY the rowid (fast appends); PostgreSQL wants BIGINT.
_INDEX = BigInteger().with_variant(Integer(), "sqlite")


class AuditIndexRow(SQLModel, table=True):
    """Indexed facts of one entry (``hub.core.audit_index``), written with the leaf."""

    __tablename__ = "audit_index"
    __table_args__ = (
        Index("ix_audit_index_action", "action", "idx"),
        Index("ix_audit_index_actor", "actor_id", "idx"),
        Index("ix_audit_index_time", "time", "idx"),
    )

    idx: int = Field(sa_column=Column(_INDEX, primary_key=True, autoincrement=False))
    time: str = Field(sa_column=Column(String(40), nullable=False))
    actor_id: str = Field(sa_column=Column(String(128), nullable=False))
    action: str = Field(sa_column=Column(String(32), nullable=False))


class AuditRefRow(SQLModel, table=True):
    """Posting lists: ``p:<member>`` (entry concerns it) and ``o:<kind:value>`` (entry names it)."""

    __tablename__ = "audit_refs"
    __table_args__ = {"sqlite_with_rowid": False}

    ref: str = Field(sa_column=Column(String(300), primary_key=True))
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))


class CheckpointRow(SQLModel, table=True):
    """One signed checkpoint per tree size, ever: the primary key is the size."""

    __tablename__ = "audit_checkpoints"

    size: int = Field(sa_column=Column(_INDEX, primary_key=True, autoincrement=False))
    root_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))
    issued_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class CosignatureRow(SQLModel, table=True):
    """One witness cosignature per (size, witness); the first one is kept."""

    __tablename__ = "audit_cosignatures"
    __table_args__ = (Index("ix_audit_cosignatures_witness", "witness", "size"),)

    size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    witness: str = Field(sa_column=Column(String(64), primary_key=True))
    signature: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    received_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
