"""The in-memory store's rows that several of its mixins read: envelopes and mailbox entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.store.base import Admission


@dataclass
class EnvelopeRow:
    """One accepted envelope (its bytes until purged)."""

    admission: Admission
    accepted_at: datetime
    envelope: bytes | None
    purged_at: datetime | None = None


@dataclass
class MailRow:
    """One recipient's copy of an envelope: delivery and acknowledgement state."""

    seq: int
    recipient: str
    message_id: str
    accepted_at: datetime
    delivered_count: int = 0
    acknowledged_at: datetime | None = None
    receipt: bytes | None = None
    signature: bytes | None = None
    first_delivered_at: datetime | None = None
