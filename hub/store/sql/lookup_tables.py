"""SQLModel tables of the lookup store: matching-key epochs, members' tokens and their counts,
lookups' hits.

Registered on the same ``SQLModel.metadata`` as ``hub.store.sql.tables``. Column types are
portable; ``lookup_tokens`` is a clustered (WITHOUT ROWID) table on SQLite, an option ignored
elsewhere, so its rows live in its primary-key B-tree, ordered by epoch and token.
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

    The primary key is the whole row, so a token is never held twice, and it leads with the epoch
    and the token: a lookup reads the table itself (no secondary index), an epoch's rotation deletes
    one key range, and a publication is two B-tree inserts per token, not three.
    ``ix_lookup_tokens_member_handle`` answers removals by handle and a member's replace-all.
    """

    __tablename__ = "lookup_tokens"
    __table_args__ = (
        Index("ix_lookup_tokens_member_handle", "member_id", "record_handle"),
        {"sqlite_with_rowid": False},
    )

    epoch: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    token: bytes = Field(sa_column=Column(LargeBinary, primary_key=True))
    member_id: str = Field(sa_column=Column(String(32), primary_key=True))
    kind: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    record_handle: str = Field(sa_column=Column(String(64), primary_key=True))


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
