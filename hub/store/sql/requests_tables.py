"""SQLModel tables of the request store: requests' state from the headers, and their notices.

Registered on the same ``SQLModel.metadata`` as ``hub.store.sql.tables``; column types are
portable (SQLite and PostgreSQL).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Index, LargeBinary, Text
from sqlmodel import Field, SQLModel


class RequestRow(SQLModel, table=True):
    """One request (a ``RequestRecord``), keyed by its REQUEST's message id.

    ``requested_layers`` is the layer numbers, comma-separated. The member indexes serve the
    listings (newest first), ``ix_requests_due`` the deadline sweep.
    """

    __tablename__ = "requests"
    __table_args__ = (
        Index("ix_requests_requester", "requester", "opened_at"),
        Index("ix_requests_responder", "responder", "opened_at"),
        Index("ix_requests_due", "state", "deadline"),
    )

    message_id: str = Field(primary_key=True, max_length=36)
    requester: str = Field(max_length=32)
    responder: str = Field(max_length=32)
    purpose: int
    legal_basis: int
    urgency: int
    requested_layers: str = Field(sa_column=Column(Text, nullable=False))
    match_ref: str = Field(max_length=64)
    opened_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    deadline: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    agreement_id: str = Field(default="", sa_column=Column(Text, nullable=False))
    state: int
    closed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    response_message_id: str = Field(default="", max_length=36)
    refusal_reason: int = 0
    overdue_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    withdrawn_reason: str = Field(default="", sa_column=Column(Text, nullable=False))


class RequestNoticeRow(SQLModel, table=True):
    """A serialised ``RequestNotice`` for one member; ``delivered_at`` once a Fetch carried it."""

    __tablename__ = "request_notices"
    __table_args__ = (Index("ix_request_notices_member", "member_id", "delivered_at"),)

    notice_id: str = Field(primary_key=True, max_length=36)
    member_id: str = Field(max_length=32)
    request_message_id: str = Field(max_length=36)
    notice: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    issued_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    delivered_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
