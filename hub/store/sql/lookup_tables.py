"""SQLModel tables of the lookup store: matching-key epochs, members' tokens and their counts,
lookups' hits.

Registered on the same ``SQLModel.metadata`` as ``hub.store.sql.tables``. Column types are
portable; ``lookup_tokens`` is a clustered (WITHOUT ROWID) table on SQLite, an option ignored
elsewhere, so its secondary indexes carry the whole row and a lookup never reads the table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, LargeBinary, String
from sqlmodel import Field, SQLModel


class LookupEpochRow(SQLModel, table=True):
    """One matching-key epoch as its issuer signed it; kept after tokens of it are gone."""

    __tablename__ = "lookup_epochs"

    epoch: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    issuer: str = Field(max_length=32)
    signed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    published_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class LookupTokenRow(SQLModel, table=True):
    """One token a member published for one of its records (an opaque handle).

    The primary key is the whole row, so a token is never held twice. Each index leads with its
    most selective column (a token, a handle), so no plan can read a whole epoch or a whole
    member's tokens for a handful of values, even before the planner has statistics of the table:
    ``ix_lookup_tokens_token`` answers lookups, ``ix_lookup_tokens_handle`` removals by handle.
    """

    __tablename__ = "lookup_tokens"
    __table_args__ = (
        Index("ix_lookup_tokens_token", "token", "epoch"),
        Index("ix_lookup_tokens_handle", "record_handle", "member_id"),
        {"sqlite_with_rowid": False},
    )

    member_id: str = Field(sa_column=Column(String(32), primary_key=True))
    epoch: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    record_handle: str = Field(sa_column=Column(String(64), primary_key=True))
    kind: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    token: bytes = Field(sa_column=Column(LargeBinary, primary_key=True))


class LookupTokenCountRow(SQLModel, table=True):
    """How many tokens a member holds in an epoch, kept with every change of its tokens: every
    lookup reads the counts, and counting the tokens themselves would read an epoch's every row."""

    __tablename__ = "lookup_token_counts"

    epoch: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    member_id: str = Field(sa_column=Column(String(32), primary_key=True))
    tokens: int = Field(sa_column=Column(BigInteger, nullable=False))


class LookupMatchRow(SQLModel, table=True):
    """A hit handed to an asker: its match reference names (holder, record handle)."""

    __tablename__ = "lookup_matches"

    match_ref: str = Field(primary_key=True, max_length=64)
    lookup_id: str = Field(max_length=36)
    asker: str = Field(max_length=32)
    holder: str = Field(max_length=32)
    record_handle: str = Field(max_length=64)
    kind: int
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
