"""The hub's live directory: the federation manifest plus the signed changes stored since.

``DirectoryBook`` checks a key announcement, a status change, an admission (a join or a
certificate renewal) or a certificate revocation (:mod:`hub.identity.directory_changes`),
stores it with its audit entry in one
transaction on top of the last change this hub applied, then applies it to
the in-memory :class:`~hub.identity.directory.Directory` every other part of the hub
reads. At start and every ``RECHECK_SECONDS`` it applies what other replicas
stored, each change checked again under the directory as it was when the
change was accepted: a stored change that no longer verifies stops the hub
instead of being trusted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509

from hub.core.envelope import EnvelopeError
from hub.identity.caller import Caller
from hub.identity.directory import Directory
from hub.identity.directory_changes import (
    Admission,
    CertificateRevocation,
    KeyRotation,
    StatusChange,
    apply_admission,
    apply_certificate_revocation,
    apply_rotation,
    apply_status,
    check_admission,
    check_certificate_revocation,
    check_key_announcement,
    check_status_change,
)
from hub.runtime.logs import get_logger
from hub.services import audit_events
from hub.store import HubStore
from hub.store.directory_changes import (
    CERTIFICATE_REVOCATION,
    KEY_ANNOUNCEMENT,
    MEMBER_ADMISSION,
    STATUS_CHANGE,
    DirectoryChangeStore,
    StoredDirectoryChange,
)
from pxhub.v1 import directory_pb2, envelope_pb2

log = get_logger("pxhub.directory")

#: How often a hub looks for changes another replica stored.
RECHECK_SECONDS = 1.0
R = envelope_pb2
#: Attempts to store a change when other replicas keep storing theirs first.
_STORE_ATTEMPTS = 5
_BUSY = "other replicas kept changing the directory; try again"


class DirectoryReplayError(RuntimeError):
    """A stored directory change does not verify any more: the hub refuses to serve."""


@dataclass(frozen=True)
class Rotated:
    """The answer to an accepted key announcement."""

    directory_version: int
    previous_valid_until: datetime | None


def directory_store(store: HubStore) -> DirectoryChangeStore:
    if not isinstance(store, DirectoryChangeStore):
        raise TypeError(f"{type(store).__name__} does not implement DirectoryChangeStore")
    return store


class DirectoryBook:
    def __init__(
        self, store: HubStore, directory: Directory, ca_certificate: x509.Certificate | None = None
    ) -> None:
        self.store = directory_store(store)
        self.audit = store
        self.directory = directory
        self.ca_certificate = ca_certificate  # what issued certificates must chain to; None: no admissions
        self.applied = 0  # sequence number of the last stored change applied here
        self._lock = threading.Lock()

    # -- keeping in step ---------------------------------------------------------------------

    def catch_up(self) -> int:
        """Apply every change stored after the last one applied here; returns how many."""
        if self.store.directory_sequence() == self.applied:
            return 0
        with self._lock:
            return self._catch_up()

    def _catch_up(self) -> int:
        count = 0
        for stored in self.store.directory_changes(self.applied):
            try:
                self._replay(stored)
            except EnvelopeError as error:
                raise DirectoryReplayError(
                    f"stored directory change {stored.sequence} ({stored.kind} for {stored.member_id}) "
                    f"no longer verifies: {error.reason_name}: {error.detail}"
                ) from error
            self.applied = stored.sequence
            count += 1
        if count:
            log.info("directory_caught_up", changes=count, version=self.directory.version)
        return count

    def _replay(self, stored: StoredDirectoryChange) -> None:
        at = stored.recorded_at
        if stored.kind == KEY_ANNOUNCEMENT:
            request = directory_pb2.AnnounceKeyRequest.FromString(stored.request)
            rotation = check_key_announcement(request, self.directory, stored.member_id, at, live=False)
            apply_rotation(self.directory, rotation, at)
        elif stored.kind == STATUS_CHANGE:
            status_request = directory_pb2.SetMemberStatusRequest.FromString(stored.request)
            signer = status_request.signature.signer
            apply_status(
                self.directory, check_status_change(status_request, self.directory, signer, at, live=False)
            )
        elif stored.kind == MEMBER_ADMISSION:
            admit = directory_pb2.AdmitMemberRequest.FromString(stored.request)
            apply_admission(
                self.directory,
                check_admission(admit, self.directory, admit.signature.signer, at, self._ca(), live=False),
            )
        elif stored.kind == CERTIFICATE_REVOCATION:
            revoke = directory_pb2.RevokeCertificateRequest.FromString(stored.request)
            apply_certificate_revocation(
                self.directory,
                check_certificate_revocation(revoke, self.directory, revoke.signature.signer, at, live=False),
            )
        else:
            raise DirectoryReplayError(
                f"stored directory change {stored.sequence} has unknown kind {stored.kind!r}"
            )

    # -- changes -----------------------------------------------------------------------------

    def announce_key(
        self, caller: Caller, request: directory_pb2.AnnounceKeyRequest, now: datetime
    ) -> Rotated:
        """Check, store (with a ``key.rotate`` entry) and apply; refusals are audited and raised."""
        with self._lock:
            try:
                for _ in range(_STORE_ATTEMPTS):
                    self._catch_up()
                    rotation = check_key_announcement(request, self.directory, caller.id, now)
                    member = self.directory.members[caller.id]
                    if rotation.already_current:  # a re-sent announcement: answer as the first time
                        replaced_keys = [
                            k for k in member.keys if k.use == rotation.key.use and k.status == "previous"
                        ]
                        until = replaced_keys[-1].valid_until if replaced_keys else None
                        return Rotated(self.directory.version, until)
                    replaced = member.current_key(rotation.key.use)
                    entry = self._rotation_entry(caller, rotation, replaced.key_id if replaced else "", now)
                    if self._store(KEY_ANNOUNCEMENT, caller.id, request.SerializeToString(), now, entry):
                        previous = apply_rotation(self.directory, rotation, now)
                        log.info(
                            "key_rotated", member=caller.id, use=rotation.key.use, key_id=rotation.key.key_id
                        )
                        return Rotated(self.directory.version, previous.valid_until if previous else None)
                raise EnvelopeError(R.REASON_INTERNAL, _BUSY)
            except EnvelopeError as error:
                self.audit.append_audit(
                    [
                        audit_events.simple(
                            caller,
                            now,
                            "key.rotate",
                            "deny",
                            reason=error.reason,
                            object_ids=(f"member:{caller.id}",),
                        )
                    ]
                )
                raise

    def set_member_status(
        self, caller: Caller, request: directory_pb2.SetMemberStatusRequest, now: datetime
    ) -> int:
        """Check, store (with a ``directory.change`` entry) and apply; returns the directory version."""
        with self._lock:
            try:
                for _ in range(_STORE_ATTEMPTS):
                    self._catch_up()
                    change = check_status_change(request, self.directory, caller.id, now)
                    entry = self._status_entry(caller, change, now)
                    if self._store(STATUS_CHANGE, change.member_id, request.SerializeToString(), now, entry):
                        apply_status(self.directory, change)
                        log.info("member_status_changed", member=change.member_id, status=change.status)
                        return self.directory.version
                raise EnvelopeError(R.REASON_INTERNAL, _BUSY)
            except EnvelopeError as error:
                self.audit.append_audit(
                    [audit_events.simple(caller, now, "directory.change", "deny", reason=error.reason)]
                )
                raise

    def admit_member(self, caller: Caller, request: directory_pb2.AdmitMemberRequest, now: datetime) -> int:
        """Check, store (with a ``member.admit`` or ``certificate.renew`` entry) and apply a join or a
        renewal; returns the directory version. Refusals are audited and raised; nothing is stored."""

        def check() -> tuple[str, bytes, Callable[[], None]]:
            admission = check_admission(request, self.directory, caller.id, now, self._ca())
            entry = self._admission_entry(caller, admission, now)
            return admission.member_id, entry, lambda: apply_admission(self.directory, admission)

        return self._change(caller, MEMBER_ADMISSION, "member.admit", request.SerializeToString(), now, check)

    def revoke_certificate(
        self, caller: Caller, request: directory_pb2.RevokeCertificateRequest, now: datetime
    ) -> int:
        """Check, store (with a ``certificate.revoke`` entry) and apply; returns the directory version."""

        def check() -> tuple[str, bytes, Callable[[], None]]:
            revocation = check_certificate_revocation(request, self.directory, caller.id, now)
            entry = self._revocation_entry(caller, revocation, now)
            return (
                revocation.member_id,
                entry,
                lambda: apply_certificate_revocation(self.directory, revocation),
            )

        return self._change(
            caller, CERTIFICATE_REVOCATION, "certificate.revoke", request.SerializeToString(), now, check
        )

    def _change(
        self,
        caller: Caller,
        kind: str,
        action: str,
        request: bytes,
        now: datetime,
        check: Callable[[], tuple[str, bytes, Callable[[], None]]],
    ) -> int:
        """Catch up, check, store on top of the last applied change, apply: or audit the refusal."""
        with self._lock:
            try:
                for _ in range(_STORE_ATTEMPTS):
                    self._catch_up()
                    member_id, entry, apply = check()
                    if self._store(kind, member_id, request, now, entry):
                        apply()
                        log.info(
                            "directory_changed", kind=kind, member=member_id, version=self.directory.version
                        )
                        return self.directory.version
                raise EnvelopeError(R.REASON_INTERNAL, _BUSY)
            except EnvelopeError as error:
                self.audit.append_audit(
                    [audit_events.simple(caller, now, action, "deny", reason=error.reason)]
                )
                raise

    def _ca(self) -> x509.Certificate:
        if self.ca_certificate is None:
            raise EnvelopeError(
                R.REASON_INTERNAL, "this hub was started without the federation CA certificate"
            )
        return self.ca_certificate

    @staticmethod
    def _admission_entry(caller: Caller, admission: Admission, now: datetime) -> bytes:
        view = admission.request
        return audit_events.simple(
            caller,
            now,
            "member.admit" if view.kind == "join" else "certificate.renew",
            "ok",
            object_ids=(f"member:{view.member_id}", f"certificate:{admission.certificate.sha256}"),
            details={
                "request": view.request_id,
                "serial": admission.certificate.serial,
                "not_after": admission.certificate.not_after.isoformat(),
                "overlap_seconds": int(admission.overlap.total_seconds()),
                "signed_with": admission.signer_key_id,
            },
        )

    @staticmethod
    def _revocation_entry(caller: Caller, revocation: CertificateRevocation, now: datetime) -> bytes:
        return audit_events.simple(
            caller,
            now,
            "certificate.revoke",
            "ok",
            object_ids=(f"member:{revocation.member_id}", f"certificate:{revocation.sha256}"),
            details={
                "note": revocation.reason,
                "revoked_at": revocation.revoked_at.isoformat(),
                "signed_with": revocation.signer_key_id,
            },
        )

    def _store(self, kind: str, member_id: str, request: bytes, now: datetime, entry: bytes) -> bool:
        stored = StoredDirectoryChange(0, kind, member_id, request, now)
        sequence = self.store.record_directory_change(stored, self.applied, entry)
        if sequence is None:
            return False  # another replica stored a change first: catch up and check again
        self.applied = sequence
        return True

    @staticmethod
    def _rotation_entry(caller: Caller, rotation: KeyRotation, replaced: str, now: datetime) -> bytes:
        return audit_events.simple(
            caller,
            now,
            "key.rotate",
            "ok",
            object_ids=(f"member:{caller.id}", f"key:{rotation.key.key_id}"),
            details={
                "use": rotation.key.use,
                "previous_key": replaced,
                "overlap_seconds": int(rotation.overlap.total_seconds()),
                "announced_at": rotation.announced_at.isoformat(),
                "signed_with": rotation.signer_key_id,
            },
        )

    @staticmethod
    def _status_entry(caller: Caller, change: StatusChange, now: datetime) -> bytes:
        return audit_events.simple(
            caller,
            now,
            "directory.change",
            "ok",
            object_ids=(f"member:{change.member_id}",),
            details={
                "status": change.status,
                "note": change.reason,
                "changed_at": change.changed_at.isoformat(),
                "signed_with": change.signer_key_id,
            },
        )
