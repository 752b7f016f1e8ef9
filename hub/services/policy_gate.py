"""The hub's side of the policy: the version in force, publishing, and the gate at Submit.

``PolicyBook`` keeps the verified policy in force (re-read from the store
when another replica published a newer version) and publishes new ones.
``PolicyGate`` runs :func:`hub.core.policy.decide` on every envelope that
passed admission, with the consents its header refers to; a deny becomes
the envelope's REJECTED receipt through the exchange's usual path.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from hub.core.envelope import EnvelopeError, VerifiedEnvelope
from hub.core.policy import (
    Decision,
    Ending,
    ExchangePolicy,
    decide,
    ending_within,
    policy_in_force,
    verify_signed_policy,
)
from hub.identity.caller import HUB_CALLER, Caller
from hub.identity.directory import Directory
from hub.policy import operator_keys, read_signed_policy
from hub.runtime.logs import get_logger
from hub.services import audit_events
from hub.services.consents import consent_from_stored, withdrawal_entries
from hub.store import Admission, AdmitOutcome, AdmitResult, HubStore
from hub.store.policy_consent import GIVEN, PolicyConsentStore, StoredPolicy
from pxhub.v1 import envelope_pb2, policy_pb2

log = get_logger("pxhub.policy")
R = envelope_pb2
#: How often a hub re-reads the stored policy version (other replicas may publish).
RECHECK_SECONDS = 1.0


def policy_store(store: HubStore) -> PolicyConsentStore:
    """The store's policy-and-consent side (every store implementation mixes it in)."""
    if not isinstance(store, PolicyConsentStore):
        raise TypeError(f"{type(store).__name__} does not implement PolicyConsentStore")
    return store


class PolicyBook:
    """The verified policy in force; publishing goes through here."""

    def __init__(
        self, store: HubStore, directory: Directory, recheck_seconds: float = RECHECK_SECONDS
    ) -> None:
        self.store = policy_store(store)
        self.audit = store
        self.directory = directory
        self.recheck_seconds = recheck_seconds
        self._lock = threading.Lock()
        self._current: ExchangePolicy | None = None
        self._checked = -1.0

    def current(self) -> ExchangePolicy | None:
        """The highest stored version, verified under the operator's key once per version.

        The stored version number is re-read at most every ``recheck_seconds``
        (a version published through this hub takes effect at once; one
        published through another replica within that delay).
        """
        if time.monotonic() - self._checked < self.recheck_seconds:
            return self._current
        with self._lock:
            version = self.store.policy_version()
            cached = self._current
            if version and (cached is None or cached.version != version):
                stored = self.store.current_policy()
                if stored is not None:
                    signed = policy_pb2.SignedPolicy(
                        policy=stored.policy, signature=envelope_pb2.Signature.FromString(stored.signature)
                    )
                    self._current = verify_signed_policy(signed, operator_keys(self.directory))
            self._checked = time.monotonic()
            return self._current

    def publish(self, caller: Caller, signed: policy_pb2.SignedPolicy, now: datetime) -> ExchangePolicy:
        """Verify and store a new version; refusals are audited and raised with their reason."""
        try:
            policy = verify_signed_policy(signed, operator_keys(self.directory))
            if caller != HUB_CALLER and policy.signature.signer != caller.id:
                raise EnvelopeError(
                    R.REASON_SENDER_MISMATCH,
                    f"policy is signed by {policy.signature.signer!r} but the caller is {caller.id!r}",
                )
            current = self.store.policy_version()
            if policy.version <= current:
                raise EnvelopeError(
                    R.REASON_POLICY_VERSION_NOT_NEWER,
                    f"policy version {policy.version} is not greater than the version in force ({current})",
                )
            in_force = policy_in_force(policy, now)
            if not in_force.permit:  # publishing it would stop every exchange at once
                raise EnvelopeError(
                    R.REASON_POLICY_NOT_IN_FORCE, f"{in_force.detail}: only a policy in force is published"
                )
            entry = audit_events.simple(
                caller,
                now,
                "agreement.change",
                "ok",
                object_ids=(f"policy:v{policy.version}",),
                details={
                    "version": policy.version,
                    "sha256": policy.sha256.hex(),
                    "agreements": len(policy.message.agreements),
                },
            )
            stored = StoredPolicy(policy.version, policy.raw, policy.signature.SerializeToString(), now)
            if not self.store.publish_policy(stored, entry):
                raise EnvelopeError(
                    R.REASON_POLICY_VERSION_NOT_NEWER,
                    f"policy version {policy.version} was overtaken by a concurrent publication",
                )
        except EnvelopeError as error:
            self.audit.append_audit(
                [audit_events.simple(caller, now, "agreement.change", "deny", reason=error.reason)]
            )
            raise
        with self._lock:
            self._current = policy
            self._checked = time.monotonic()
        log.info("policy_published", version=policy.version, issuer=policy.message.issuer)
        return policy

    def warn_ending(self, now: datetime, within: timedelta) -> list[Ending]:
        """Log a warning for the policy and every agreement ending within ``within`` (or ended)."""
        policy = self.current()
        if policy is None:
            return []
        ending = ending_within(policy, now, within)
        for end in ending:
            log.warning(
                f"{end.what}_expiring",
                name=end.name,
                until=end.until.isoformat(),
                days=end.days_left(now),
                policy_version=policy.version,
            )
        return ending

    def bootstrap(self, federation_dir: Path, now: datetime) -> ExchangePolicy | None:
        """At start: publish the federation's signed policy file when it is newer than the store's.

        A file that does not verify stops the hub (the error says why); with no
        file and an empty store the hub runs with no policy and denies every
        submission with POLICY_UNAVAILABLE.
        """
        signed = read_signed_policy(federation_dir)
        if signed is not None:
            candidate = verify_signed_policy(signed, operator_keys(self.directory))
            if candidate.version > self.store.policy_version():
                try:
                    return self.publish(HUB_CALLER, signed, now)
                except EnvelopeError as error:
                    # Replicas starting together: another one stored this version (or a newer) first.
                    if error.reason != R.REASON_POLICY_VERSION_NOT_NEWER:
                        raise
        current = self.current()
        if current is None:
            log.warning("no_policy", detail="no signed policy in force: every submission is denied")
        return current


class PolicyGate:
    """The policy decision at Submit, and the sweep that closes the race with a withdrawal."""

    def __init__(self, book: PolicyBook, store: HubStore, clock: Callable[[], datetime]) -> None:
        self.book = book
        self.store = policy_store(store)
        self.clock = clock

    def decide(
        self, verified: VerifiedEnvelope, now: datetime, pull_layers_asked: frozenset[int] = frozenset()
    ) -> Decision:
        metadata = verified.metadata
        consents = {}
        if metadata.legal_basis == R.LEGAL_BASIS_CONSENT and metadata.consent_ref:
            for stored in self.store.get_consents([metadata.consent_ref]):
                consents[stored.consent_id] = consent_from_stored(stored)
        return decide(
            metadata,
            verified.approved,
            self.book.current(),
            consents,
            now,
            pull_layers_asked=pull_layers_asked,
        )

    def check(
        self, verified: VerifiedEnvelope, now: datetime, pull_layers_asked: frozenset[int] = frozenset()
    ) -> Decision:
        """Raise the deny (an EnvelopeError with its reason), or return the permit and its grounds."""
        decision = self.decide(verified, now, pull_layers_asked)
        decision.raise_if_denied()
        return decision

    def after_admit(
        self, admissions: Sequence[Admission], results: Sequence[AdmitResult], now: datetime
    ) -> None:
        """Apply a withdrawal that committed between the decision and the admission."""
        consent_ids = {
            a.consent_ref
            for a, r in zip(admissions, results, strict=True)
            if a.consent_ref and r.outcome is AdmitOutcome.ACCEPTED
        }
        for stored in self.store.get_consents(sorted(consent_ids)):
            if stored.state != GIVEN:
                self.store.sweep_withdrawn(stored.consent_id, withdrawal_entries(HUB_CALLER, now), now)
