"""The hub's side of lookups: matching-key epochs, members' tokens, and hit / no hit per member.

No gRPC here (the servicer translates). The hub stores tokens, opaque record handles and sealed
copies of the matching key; it decides on the policy whether a member may ask for a purpose and
which members answer, and writes every publication and every question to the audit log: counts,
purposes and members, never a token (a token in the log would let anyone holding the key test
guesses against it, and would link questions about one person).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, TypeVar

from hub.core.envelope import EnvelopeError
from hub.core.lookup import (
    MAX_TOKENS_PER_LOOKUP,
    MAX_TOKENS_PER_PUBLISH,
    check_token,
    is_record_handle,
    missing_copies,
    read_matching_key,
)
from hub.core.policy import ExchangePolicy, lookup_decision, lookup_scope
from hub.identity.caller import Caller
from hub.identity.directory import Directory
from hub.services import audit_events
from hub.services.policy_gate import PolicyBook
from hub.store import HubStore
from hub.store.lookup import LookupStore, StoredEpoch, StoredMatch, TokenRow
from pxhub.v1 import envelope_pb2, lookup_pb2

R = envelope_pb2
L = lookup_pb2
#: How long a hit's match reference stays usable for a REQUEST.
MATCH_REF_VALIDITY: Final = timedelta(days=30)
_T = TypeVar("_T")


def lookup_store(store: HubStore) -> LookupStore:
    """The store's lookup side (every store implementation mixes it in)."""
    if not isinstance(store, LookupStore):
        raise TypeError(f"{type(store).__name__} does not implement LookupStore")
    return store


@dataclass(frozen=True)
class PublishCounts:
    added: int
    removed: int
    held: int


class LookupBook:
    """Epochs, token publication and lookups, each audited, each refusal with its own reason."""

    def __init__(
        self, store: HubStore, directory: Directory, policies: PolicyBook, clock: Callable[[], datetime]
    ) -> None:
        self.store = lookup_store(store)
        self.audit = store
        self.directory = directory
        self.policies = policies
        self.clock = clock

    def _audited(self, caller: Caller, action: str, now: datetime, work: Callable[[], _T]) -> _T:
        """Run ``work``; a refusal is written to the audit log (``deny`` with its reason), then raised."""
        try:
            return work()
        except EnvelopeError as error:
            self.audit.append_audit([audit_events.simple(caller, now, action, "deny", reason=error.reason)])
            raise

    def _current_epoch(self) -> StoredEpoch:
        current = self.store.current_epoch()
        if current is None:
            raise EnvelopeError(R.REASON_LOOKUP_EPOCH_STALE, "no matching-key epoch has been published yet")
        return current

    # -- the matching key --------------------------------------------------------------------

    def matching_key(self, epoch: int) -> tuple[L.SignedMatchingKey, int]:
        """The signed epoch asked for (0: the current one) and the current epoch number."""
        current = self._current_epoch()
        stored = current if epoch in (0, current.epoch) else self.store.get_epoch(epoch)
        if stored is None:
            raise EnvelopeError(
                R.REASON_LOOKUP_EPOCH_STALE, f"epoch {epoch} is not held (current {current.epoch})"
            )
        return L.SignedMatchingKey.FromString(stored.signed), current.epoch

    def publish_key(self, caller: Caller, signed: L.SignedMatchingKey) -> int:
        """Store the next epoch, if the policy's issuer signed it for every active member."""
        now = self.clock()

        def publish() -> int:
            policy = self.policies.current()
            issuer = policy.message.matching_key_issuer if policy is not None else ""
            if not issuer:
                raise EnvelopeError(
                    R.REASON_MATCHING_KEY_INVALID, "the policy in force names no matching-key issuer"
                )
            if caller.id != issuer:
                raise EnvelopeError(
                    R.REASON_MATCHING_KEY_INVALID, f"only {issuer}, the policy's issuer, starts an epoch"
                )
            key = self.directory.signing_key(issuer, signed.signature.key_id)
            epoch = read_matching_key(signed, key, issuer)
            current = self.store.current_epoch()
            expected = 1 if current is None else current.epoch + 1
            if epoch.epoch != expected:
                raise EnvelopeError(
                    R.REASON_MATCHING_KEY_INVALID, f"epoch {epoch.epoch} is not the next epoch ({expected})"
                )
            members = []
            for member in self.directory.national_members():
                found = self.directory.encryption_key(member.member_id) if member.active else None
                if found is not None:
                    members.append((member.member_id, found[0]))
            missing = sorted(missing_copies(epoch, members))
            if missing:
                raise EnvelopeError(
                    R.REASON_MATCHING_KEY_INVALID,
                    f"epoch {epoch.epoch} has no copy sealed to the current key of {', '.join(missing)}",
                )
            entry = audit_events.simple(
                caller,
                now,
                "lookup.key",
                "ok",
                object_ids=(f"epoch:{epoch.epoch}",),
                details={"epoch": epoch.epoch, "copies": len(epoch.copies)},
            )
            stored = StoredEpoch(epoch.epoch, issuer, signed.SerializeToString(), now)
            if not self.store.publish_epoch(stored, entry):
                raise EnvelopeError(
                    R.REASON_MATCHING_KEY_INVALID, f"epoch {epoch.epoch} was published meanwhile"
                )
            return int(epoch.epoch)

        return self._audited(caller, "lookup.key", now, publish)

    # -- tokens ------------------------------------------------------------------------------

    def publish_tokens(self, caller: Caller, request: L.PublishTokensRequest) -> PublishCounts:
        """Add and remove the caller's tokens; every token and handle is checked before anything is stored."""
        now = self.clock()

        def publish() -> PublishCounts:
            current = self._current_epoch()
            if request.add and request.epoch != current.epoch:
                raise EnvelopeError(
                    R.REASON_LOOKUP_EPOCH_STALE,
                    f"tokens of epoch {request.epoch}; the current epoch is {current.epoch}",
                )
            if len(request.add) + len(request.remove) > MAX_TOKENS_PER_PUBLISH:
                raise EnvelopeError(
                    R.REASON_LOOKUP_TOKEN_INVALID,
                    f"at most {MAX_TOKENS_PER_PUBLISH:,} tokens and handles per call",
                )
            rows = []
            for index, item in enumerate(request.add):
                check_token(item.kind, item.token, f"token {index}")
                _check_handle(item.record_handle, f"token {index}")
                rows.append(TokenRow(caller.id, item.record_handle, item.kind, item.token))
            for index, handle in enumerate(request.remove):
                _check_handle(handle, f"removed handle {index}")
            entry = audit_events.simple(
                caller,
                now,
                "lookup.publish",
                "ok",
                object_ids=(f"epoch:{current.epoch}",),
                details={
                    "epoch": current.epoch,
                    "add": len(rows),
                    "remove": len(request.remove),
                    "replace_all": int(request.replace_all),
                },
            )
            added, removed, held = self.store.publish_tokens(
                caller.id, current.epoch, rows, list(request.remove), request.replace_all, entry
            )
            return PublishCounts(added, removed, held)

        return self._audited(caller, "lookup.publish", now, publish)

    # -- lookups -----------------------------------------------------------------------------

    def lookup(self, caller: Caller, request: L.LookupRequest) -> L.LookupResponse:
        """Hit, no hit, not permitted or not indexed per other active member; a match reference per hit."""
        now = self.clock()
        return self._audited(caller, "lookup.query", now, lambda: self._lookup(caller, request, now))

    def _lookup(self, caller: Caller, request: L.LookupRequest, now: datetime) -> L.LookupResponse:
        policy = self.policies.current()
        lookup_scope(policy, request.purpose, request.legal_basis).raise_if_denied()
        assert policy is not None  # lookup_scope denies without one
        current = self._current_epoch()
        if not 1 <= len(request.tokens) <= MAX_TOKENS_PER_LOOKUP:
            raise EnvelopeError(
                R.REASON_LOOKUP_TOKEN_INVALID,
                f"a lookup asks with 1 to {MAX_TOKENS_PER_LOOKUP:,} tokens, not {len(request.tokens)}",
            )
        for index, token in enumerate(request.tokens):
            check_token(token.kind, token.token, f"token {index}")
            if token.epoch != current.epoch:
                raise EnvelopeError(
                    R.REASON_LOOKUP_EPOCH_STALE,
                    f"token {index} is of epoch {token.epoch}; the current epoch is {current.epoch}",
                )
        lookup_id = str(uuid.uuid4())
        answers = self._answers(caller, policy, request, current.epoch, now)
        asked = {m for m, a in answers.items() if a.outcome == L.LOOKUP_OUTCOME_NO_HIT}
        positions: dict[tuple[bytes, int], list[int]] = {}
        for index, token in enumerate(request.tokens):
            positions.setdefault((token.token, token.kind), []).append(index)
        found = self.store.find_tokens(current.epoch, [t for t, _ in positions], caller.id)
        matches: list[StoredMatch] = []
        expires = now + MATCH_REF_VALIDITY
        for row in sorted(found, key=lambda r: (r.member_id, r.record_handle, r.kind, r.token)):
            if row.member_id not in asked:
                continue  # not permitted or inactive: it never answers, hit or not
            for index in positions.get((row.token, row.kind), ()):
                match = StoredMatch(
                    "mr:" + secrets.token_hex(16),
                    lookup_id,
                    caller.id,
                    row.member_id,
                    row.record_handle,
                    row.kind,
                    now,
                    expires,
                )
                matches.append(match)
                hit = answers[row.member_id].hits.add(
                    token_index=index, kind=row.kind, match_ref=match.match_ref
                )
                hit.match_ref_expires_at.FromDatetime(expires)
        for answer in answers.values():
            if answer.hits:
                answer.outcome = L.LOOKUP_OUTCOME_HIT
        hit_members = sorted(m for m, a in answers.items() if a.outcome == L.LOOKUP_OUTCOME_HIT)
        entry = audit_events.simple(
            caller,
            now,
            "lookup.query",
            "ok",
            object_ids=(f"lookup:{lookup_id}",),
            details={
                "purpose": audit_events.PURPOSE_NAMES.get(request.purpose, str(request.purpose)),
                "legal_basis": audit_events.BASIS_NAMES.get(request.legal_basis, str(request.legal_basis)),
                "tokens": len(request.tokens),
                "asked": ",".join(sorted(asked)),
                "hit": ",".join(hit_members),
                "hits": len(matches),
                "epoch": current.epoch,
            },
        )
        self.store.record_lookup(matches, entry)
        return L.LookupResponse(lookup_id=lookup_id, answers=[answers[m] for m in sorted(answers)])

    def _answers(
        self, caller: Caller, policy: ExchangePolicy, request: L.LookupRequest, epoch: int, now: datetime
    ) -> dict[str, L.MemberAnswer]:
        """Every other active member's answer before matching: not permitted, not indexed or no hit."""
        counts = self.store.token_counts(epoch)
        answers: dict[str, L.MemberAnswer] = {}
        for member in self.directory.national_members():
            if member.member_id == caller.id or not member.active:
                continue
            decision = lookup_decision(
                policy, caller.id, member.member_id, request.purpose, request.legal_basis, now
            )
            answer = L.MemberAnswer(member_id=member.member_id, outcome=L.LOOKUP_OUTCOME_NO_HIT)
            if not decision.permit:
                answer.outcome = L.LOOKUP_OUTCOME_NOT_PERMITTED
                answer.reason = decision.reason  # type: ignore[assignment]
                answer.detail = decision.detail
            elif not counts.get(member.member_id):
                answer.outcome = L.LOOKUP_OUTCOME_NOT_INDEXED
            answers[member.member_id] = answer
        return answers

    def resolve(self, caller: Caller, match_ref: str) -> StoredMatch:
        """The hit a match reference names, for the member that holds the record (audited)."""
        now = self.clock()

        def resolve() -> StoredMatch:
            match = self.store.get_match(match_ref) if match_ref else None
            if match is None or match.holder != caller.id:
                raise EnvelopeError(
                    R.REASON_MATCH_REF_INVALID, "match_ref names no hit on a record of the caller"
                )
            self.audit.append_audit(
                [
                    audit_events.simple(
                        caller,
                        now,
                        "lookup.query",
                        "ok",
                        object_ids=(f"lookup:{match.lookup_id}",),
                        details={"resolve": 1, "asker": match.asker},
                    )
                ]
            )
            return match

        return self._audited(caller, "lookup.query", now, resolve)

    def match_for(self, match_ref: str, asker: str, holder: str, now: datetime) -> StoredMatch:
        """The stored hit a REQUEST names, if it was issued to ``asker`` about ``holder`` and is valid."""
        match = self.store.get_match(match_ref)
        if match is None:
            raise EnvelopeError(
                R.REASON_MATCH_REF_INVALID, f"match_ref {match_ref[:40]!r} names no lookup hit"
            )
        if match.asker != asker or match.holder != holder:
            raise EnvelopeError(
                R.REASON_MATCH_REF_INVALID,
                "match_ref was issued to another member or names another recipient",
            )
        if match.expires_at < now:
            raise EnvelopeError(
                R.REASON_MATCH_REF_INVALID, f"match_ref expired on {match.expires_at.date().isoformat()}"
            )
        return match


def _check_handle(handle: str, where: str) -> None:
    if not is_record_handle(handle):
        raise EnvelopeError(
            R.REASON_RECORD_HANDLE_INVALID,
            f"{where}: a record handle is 'rh:' and 32 hex digits, never an identifier",
        )


def hits_of(response: L.LookupResponse) -> Sequence[tuple[str, L.LookupHit]]:
    """(member, hit) for every hit of a response."""
    return [(a.member_id, h) for a in response.answers for h in a.hits]
