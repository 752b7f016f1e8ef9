"""SQLModel table for stored directory changes (``hub.store.directory_changes``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, LargeBinary
from sqlmodel import Field, SQLModel


class DirectoryChangeRow(SQLModel, table=True):
    """One accepted, signed directory change; the sequence number is the order they apply in."""

    __tablename__ = "directory_changes"

    sequence: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str = Field(max_length=32)
    member_id: str = Field(max_length=32)
    request: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
