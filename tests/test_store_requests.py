"""The request store contract, one suite for every backend (memory, SQLite, PostgreSQL).

Requests open and close with the envelopes that carry them (``HubStore.admit``); the rest is the
``RequestStore`` mixin: reads, the overdue sweep, withdrawal and the notices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from hub.core.requests import ANSWERED, OPEN, OVERDUE, REFUSED, WITHDRAWN, RequestRecord, newly_overdue
from hub.store import Admission, AdmitOutcome, HubStore
from hub.store.requests import RequestEffects, RequestStore, StoredRequestNotice, WithdrawOutcome
from tests.store_support import admit_each

NOW = datetime(2026, 6, 1, 12, 30, 15, 123456, tzinfo=UTC)
CO, PE, GT = "CO-INPEC", "PE-INPE", "GT-DGSP"
HOUR = timedelta(hours=1)
NO_RECORD = 2


def rq(store: HubStore) -> RequestStore:
    assert isinstance(store, RequestStore)
    return store


def request(
    message_id: str,
    requester: str = CO,
    responder: str = PE,
    opened_at: datetime = NOW,
    deadline: datetime = NOW + timedelta(days=10),
) -> RequestRecord:
    return RequestRecord(
        message_id=message_id,
        requester=requester,
        responder=responder,
        purpose=3,
        legal_basis=2,
        urgency=1,
        requested_layers=(1, 3),
        match_ref="mr:" + "0" * 32,
        opened_at=opened_at,
        deadline=deadline,
        agreement_id="agreement-co-pe",
    )


def carrying(
    message_id: str,
    sender: str,
    recipient: str,
    opened: RequestRecord | None = None,
    closed: RequestRecord | None = None,
    digest: bytes = b"h" * 32,
) -> Admission:
    return Admission(
        message_id=message_id,
        sender=sender,
        recipients=(recipient,),
        header_sha256=digest,
        envelope=b"envelope-" + message_id.encode(),
        payload_kind=1,
        purpose=3,
        request_opened=opened,
        request_closed=closed,
    )


def open_requests(store: HubStore, *records: RequestRecord) -> None:
    admissions = [carrying(r.message_id, r.requester, r.responder, opened=r) for r in records]
    results = admit_each(store, admissions, now=NOW)
    assert [r.outcome for r in results] == [AdmitOutcome.ACCEPTED] * len(records)


def answer(
    store: HubStore, record: RequestRecord, response_id: str, state: int = ANSWERED, refusal: int = 0
) -> AdmitOutcome:
    closed = record.closed(state, NOW + HOUR, response_id, refusal)
    admission = carrying(response_id, record.responder, record.requester, closed=closed)
    return admit_each(store, [admission], now=NOW + HOUR)[0].outcome


def effects(event: str) -> RequestEffects:
    """A notice to each member of the request and one audit entry, as the sweep gives them."""

    def of(record: RequestRecord) -> tuple[Sequence[StoredRequestNotice], Sequence[bytes]]:
        notices = [
            StoredRequestNotice(
                f"{event}:{record.message_id}:{member}",
                member,
                record.message_id,
                f"notice-{event}".encode(),
                record.overdue_at or record.closed_at or NOW,
            )
            for member in (record.requester, record.responder)
        ]
        return notices, [f"{event}:{record.message_id}".encode()]

    return of


def failing(_record: RequestRecord) -> tuple[Sequence[StoredRequestNotice], Sequence[bytes]]:
    raise RuntimeError("the caller failed")


def mailbox(store: HubStore, member: str) -> list[str]:
    return [item.message_id for item in store.fetch(member, 0, 100)]


# -- opened and closed by the envelopes --------------------------------------------------------


def test_a_request_is_stored_with_the_envelope_that_opens_it(store: HubStore) -> None:
    s = rq(store)
    opened = request("q1")
    open_requests(store, opened)
    stored = s.get_request("q1")
    assert stored == opened and stored.requested_layers == (1, 3) and stored.opened_at.tzinfo is not None
    assert mailbox(store, PE) == ["q1"]
    assert store.audit_entries(0, 10) == [b"accepted:q1"]
    assert s.get_request("q2") is None
    # A resend is DUPLICATE and another header under the same id REPLAYED: the request stays as stored.
    other = replace(opened, responder=GT)
    results = admit_each(
        store,
        [carrying("q1", CO, PE, opened=opened), carrying("q1", CO, GT, opened=other, digest=b"x" * 32)],
    )
    assert [r.outcome for r in results] == [AdmitOutcome.DUPLICATE, AdmitOutcome.REPLAYED]
    assert s.get_request("q1") == opened
    assert s.list_requests() == [opened]


def test_a_response_closes_an_open_request(store: HubStore) -> None:
    s = rq(store)
    open_requests(store, request("q1"), request("q2"))
    assert answer(store, request("q1"), "r1") is AdmitOutcome.ACCEPTED
    assert answer(store, request("q2"), "r2", REFUSED, NO_RECORD) is AdmitOutcome.ACCEPTED
    assert s.get_request("q1") == request("q1").closed(ANSWERED, NOW + HOUR, "r1", 0)
    assert s.get_request("q2") == request("q2").closed(REFUSED, NOW + HOUR, "r2", NO_RECORD)
    assert mailbox(store, CO) == ["r1", "r2"]
    assert store.audit_entries(2, 10) == [b"accepted:r1", b"accepted:r2"]
    # A resend of the answer is DUPLICATE, not CONFLICT; another header under its id is REPLAYED.
    closed = request("q1").closed(ANSWERED, NOW + HOUR, "r1", 0)
    again = admit_each(
        store,
        [carrying("r1", PE, CO, closed=closed), carrying("r1", PE, CO, closed=closed, digest=b"x" * 32)],
    )
    assert [r.outcome for r in again] == [AdmitOutcome.DUPLICATE, AdmitOutcome.REPLAYED]


def test_an_answer_to_an_overdue_request_keeps_its_overdue_time(store: HubStore) -> None:
    s = rq(store)
    open_requests(store, request("q1", deadline=NOW + HOUR))
    later = NOW + 2 * HOUR
    assert s.mark_overdue(newly_overdue(s.due_requests(later), later), effects("overdue"))
    # The answer was checked against the request while it was still OPEN (no overdue_at).
    assert answer(store, request("q1", deadline=NOW + HOUR), "r1") is AdmitOutcome.ACCEPTED
    stored = s.get_request("q1")
    assert stored is not None and (stored.state, stored.overdue_at, stored.closed_at) == (
        ANSWERED,
        later,
        NOW + HOUR,
    )


def test_an_answer_to_a_request_no_longer_pending_is_a_conflict_and_stores_nothing(
    store: HubStore,
) -> None:
    s = rq(store)
    open_requests(store, request("q1"), request("q2"))
    answer(store, request("q1"), "r1")
    s.withdraw_request("q2", CO, NOW + HOUR, "found elsewhere", effects("withdrawn"))
    before = store.stats()
    size = store.audit_size()
    results = admit_each(
        store,
        [
            carrying("r1b", PE, CO, closed=request("q1").closed(REFUSED, NOW, "r1b", NO_RECORD)),
            carrying("r2", PE, CO, closed=request("q2").closed(ANSWERED, NOW, "r2", 0)),
            carrying("r9", PE, CO, closed=request("q9").closed(ANSWERED, NOW, "r9", 0)),  # no such request
        ],
        [b"deny:x"],
    )
    assert [r.outcome for r in results] == [AdmitOutcome.CONFLICT] * 3
    after = store.stats()
    assert (after.envelopes, after.mailbox_pending) == (before.envelopes, before.mailbox_pending)
    assert mailbox(store, CO) == ["r1"]
    assert store.audit_entries(size, size + 10) == [
        b"deny:x",
        b"conflict:r1b",
        b"conflict:r2",
        b"conflict:r9",
    ]
    assert s.get_request("q1") == request("q1").closed(ANSWERED, NOW + HOUR, "r1", 0)
    withdrawn = s.get_request("q2")
    assert withdrawn is not None and withdrawn.state == WITHDRAWN
    assert s.get_request("q9") is None


def test_a_second_answer_in_the_same_batch_is_a_conflict(store: HubStore) -> None:
    s = rq(store)
    open_requests(store, request("q1"))
    first = request("q1").closed(ANSWERED, NOW + HOUR, "r1", 0)
    second = request("q1").closed(REFUSED, NOW + HOUR, "r2", NO_RECORD)
    results = admit_each(
        store,
        [
            carrying("r1", PE, CO, closed=first),
            carrying("r2", PE, CO, closed=second),
            carrying("m3", PE, CO),
        ],
    )
    assert [r.outcome for r in results] == [
        AdmitOutcome.ACCEPTED,
        AdmitOutcome.CONFLICT,
        AdmitOutcome.ACCEPTED,
    ]
    assert s.get_request("q1") == first
    assert mailbox(store, CO) == ["r1", "m3"]
    assert store.audit_entries(1, 10) == [b"accepted:r1", b"conflict:r2", b"accepted:m3"]


# -- reads -------------------------------------------------------------------------------------


def test_list_requests_newest_first_with_every_filter(store: HubStore) -> None:
    s = rq(store)
    q1 = request("q1", CO, PE, opened_at=NOW, deadline=NOW + HOUR)
    q2 = request("q2", PE, GT, opened_at=NOW + HOUR)
    q3 = request("q3", GT, CO, opened_at=NOW + 2 * HOUR)
    q4 = request("q4", PE, CO, opened_at=NOW + 3 * HOUR)
    open_requests(store, q1, q2, q3, q4)
    s.mark_overdue(newly_overdue([q1], NOW + 2 * HOUR), effects("overdue"))
    answer(store, q4, "r4")

    def ids(**filters: object) -> list[str]:
        return [r.message_id for r in s.list_requests(**filters)]  # type: ignore[arg-type]

    assert ids() == ["q4", "q3", "q2", "q1"]
    assert ids(member_id=CO) == ["q4", "q3", "q1"]  # as requester or responder
    assert ids(member_id=GT) == ["q3", "q2"]
    assert ids(state=OPEN) == ["q3", "q2"]
    assert ids(state=ANSWERED) == ["q4"]
    assert ids(overdue_only=True) == ["q1"]
    assert ids(message_id="q2") == ["q2"]
    assert ids(message_id="nope") == []
    assert ids(member_id=PE, state=OPEN) == ["q2"]
    assert ids(member_id=CO, limit=2) == ["q4", "q3"]


def test_due_requests_are_the_open_ones_past_their_deadline_oldest_first(store: HubStore) -> None:
    s = rq(store)
    open_requests(
        store,
        request("late", deadline=NOW - 2 * HOUR),
        request("later", deadline=NOW - HOUR),
        request("now", deadline=NOW),
        request("future", deadline=NOW + HOUR),
        request("answered", deadline=NOW - 3 * HOUR),
        request("overdue", deadline=NOW - 4 * HOUR),
    )
    answer(store, request("answered", deadline=NOW - 3 * HOUR), "r1")
    s.mark_overdue(newly_overdue(s.due_requests(NOW - 4 * HOUR), NOW - 4 * HOUR), effects("overdue"))
    assert [r.message_id for r in s.due_requests(NOW)] == ["late", "later", "now"]
    assert [r.message_id for r in s.due_requests(NOW, limit=2)] == ["late", "later"]
    assert s.due_requests(NOW - 5 * HOUR) == []


# -- the overdue sweep -------------------------------------------------------------------------


def test_mark_overdue_leaves_a_request_answered_meanwhile_alone(store: HubStore) -> None:
    s = rq(store)
    q1, q2 = request("q1", deadline=NOW), request("q2", deadline=NOW)
    open_requests(store, q1, q2)
    sweep = NOW + HOUR
    due = newly_overdue(s.due_requests(sweep), sweep)
    assert [r.message_id for r in due] == ["q1", "q2"]
    answer(store, q2, "r2")  # between the sweep's read and its write
    size = store.audit_size()
    changed = s.mark_overdue(due, effects("overdue"))
    assert changed == [replace(q1, state=OVERDUE, overdue_at=sweep)]
    assert s.get_request("q1") == changed[0]
    assert s.get_request("q2") == q2.closed(ANSWERED, NOW + HOUR, "r2", 0)
    assert store.audit_entries(size, size + 10) == [b"overdue:q1"]
    assert [n.notice_id for n in s.pending_request_notices(CO, 10)] == ["overdue:q1:CO-INPEC"]
    assert [n.notice_id for n in s.pending_request_notices(PE, 10)] == ["overdue:q1:PE-INPE"]
    # Once overdue, a request is not due again.
    assert s.due_requests(sweep + HOUR) == []
    assert s.mark_overdue(due, effects("overdue")) == []
    assert store.audit_size() == size + 1


# -- withdrawal ----------------------------------------------------------------------------------


def test_withdraw_outcomes(store: HubStore) -> None:
    s = rq(store)
    q1, q2, q3 = request("q1"), request("q2", deadline=NOW), request("q3")
    open_requests(store, q1, q2, q3)
    size = store.audit_size()
    assert s.withdraw_request("nope", CO, NOW, "", failing) == (WithdrawOutcome.NOT_FOUND, None)
    assert s.withdraw_request("q1", PE, NOW, "", failing) == (WithdrawOutcome.NOT_YOURS, q1)
    assert store.audit_size() == size

    at = NOW + HOUR
    outcome, withdrawn = s.withdraw_request("q1", CO, at, "found elsewhere", effects("withdrawn"))
    assert outcome is WithdrawOutcome.WITHDRAWN
    assert withdrawn == replace(q1, state=WITHDRAWN, closed_at=at)
    stored = s.get_request("q1")
    assert stored == withdrawn and stored is not None and stored.withdrawn_reason == "found elsewhere"
    assert store.audit_entries(size, size + 10) == [b"withdrawn:q1"]
    assert [n.notice_id for n in s.pending_request_notices(PE, 10)] == ["withdrawn:q1:PE-INPE"]

    # Withdrawn, answered: CLOSED, the record as it stands, nothing written.
    assert s.withdraw_request("q1", CO, at, "again", failing) == (WithdrawOutcome.CLOSED, withdrawn)
    answer(store, q3, "r3")
    assert s.withdraw_request("q3", CO, at, "", failing) == (
        WithdrawOutcome.CLOSED,
        q3.closed(ANSWERED, NOW + HOUR, "r3", 0),
    )
    size = store.audit_size()
    # An overdue request is still pending: it may be withdrawn, and keeps its overdue time.
    s.mark_overdue(newly_overdue([q2], NOW + HOUR), effects("overdue"))
    outcome, overdue_withdrawn = s.withdraw_request("q2", CO, at, "", effects("withdrawn"))
    assert outcome is WithdrawOutcome.WITHDRAWN and overdue_withdrawn is not None
    assert (overdue_withdrawn.state, overdue_withdrawn.overdue_at) == (WITHDRAWN, NOW + HOUR)
    assert store.audit_entries(size, size + 10) == [b"overdue:q2", b"withdrawn:q2"]


def test_a_failing_effect_changes_nothing(store: HubStore) -> None:
    s = rq(store)
    q1 = request("q1", deadline=NOW)
    open_requests(store, q1)
    size = store.audit_size()
    with pytest.raises(RuntimeError):
        s.mark_overdue(newly_overdue([q1], NOW + HOUR), failing)
    with pytest.raises(RuntimeError):
        s.withdraw_request("q1", CO, NOW + HOUR, "", failing)
    assert s.get_request("q1") == q1
    assert store.audit_size() == size
    assert s.pending_request_notices(CO, 10) == [] and s.pending_request_notices(PE, 10) == []


# -- notices ------------------------------------------------------------------------------------


def test_notices_are_pending_per_member_until_delivered(store: HubStore) -> None:
    s = rq(store)
    q1, q2, q3 = request("q1", deadline=NOW), request("q2", deadline=NOW), request("q3", GT, PE)
    open_requests(store, q1, q2, q3)
    s.mark_overdue(newly_overdue([q2], NOW + 2 * HOUR), effects("overdue"))  # issued later
    s.mark_overdue(newly_overdue([q1], NOW + HOUR), effects("overdue"))
    s.withdraw_request("q3", GT, NOW + 3 * HOUR, "", effects("withdrawn"))
    pending = s.pending_request_notices(PE, 10)
    assert [n.notice_id for n in pending] == [
        "overdue:q1:PE-INPE",
        "overdue:q2:PE-INPE",
        "withdrawn:q3:PE-INPE",
    ]
    first = pending[0]
    assert (first.member_id, first.request_message_id, first.notice, first.issued_at) == (
        PE,
        "q1",
        b"notice-overdue",
        NOW + HOUR,
    )
    assert [n.notice_id for n in s.pending_request_notices(PE, 2)] == [n.notice_id for n in pending[:2]]
    # Only the member's own notices are marked; unknown ids are ignored.
    s.mark_request_notices_delivered(CO, ["overdue:q1:PE-INPE"], NOW + 4 * HOUR)
    assert len(s.pending_request_notices(PE, 10)) == 3
    s.mark_request_notices_delivered(
        PE, ["overdue:q1:PE-INPE", "withdrawn:q3:PE-INPE", "nope"], NOW + 4 * HOUR
    )
    assert [n.notice_id for n in s.pending_request_notices(PE, 10)] == ["overdue:q2:PE-INPE"]
    assert [n.notice_id for n in s.pending_request_notices(CO, 10)] == [
        "overdue:q1:CO-INPEC",
        "overdue:q2:CO-INPEC",
    ]
    assert [n.notice_id for n in s.pending_request_notices(GT, 10)] == ["withdrawn:q3:GT-DGSP"]
    s.mark_request_notices_delivered(PE, [], NOW)


def test_pending_request_counts_follow_open_overdue_and_closed(store: HubStore) -> None:
    s = rq(store)
    assert s.pending_request_counts() == {OPEN: 0, OVERDUE: 0}
    open_requests(store, request("q1", deadline=NOW + HOUR), request("q2"), request("q3"))
    later = NOW + 2 * HOUR
    s.mark_overdue(newly_overdue(s.due_requests(later), later), effects("overdue"))
    answer(store, request("q3"), "r3")
    assert s.pending_request_counts() == {OPEN: 1, OVERDUE: 1}
