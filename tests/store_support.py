"""Helpers the store suites share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from hub.store import Admission, AdmitOutcome, AdmitResult, HubStore


def admit_each(
    store: HubStore,
    admissions: Sequence[Admission],
    before: Sequence[bytes] = (),
    now: datetime | None = None,
) -> list[AdmitResult]:
    """Admit with one audit entry per admission naming its outcome (``accepted:m1``), after
    ``before`` (decisions taken earlier, such as refusals while checking)."""

    def entries(outcomes: Sequence[AdmitOutcome], _when: datetime) -> list[bytes]:
        named = [f"{o.value}:{a.message_id}".encode() for a, o in zip(admissions, outcomes, strict=True)]
        return [*before, *named]

    return store.admit(admissions, entries, now=now)
