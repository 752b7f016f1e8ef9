"""The hub's audit-log service: checkpoints, queries, proofs and cosignatures, no gRPC.

The servicer (``hub/server/audit_servicer.py``) authenticates, translates and
calls these methods from a worker thread; refusals are :class:`AuditRefusal`
with a ``pxhub.v1.Reason`` and the name of the gRPC status they map to.

Issuing follows two rules, both checked here before the hub's key signs:

* one root per size, ever: a size that already has a checkpoint gets the
  stored one back (the store's primary key is the size, the backstop);
* every new checkpoint extends the previous one: the hub verifies its own
  RFC 9162 consistency proof from the latest checkpoint before signing, so
  stored nodes altered behind its back stop the signing instead of being
  signed.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hub.core import merkle
from hub.core.audit_entry import ACTIONS
from hub.core.checkpoint import (
    Checkpoint,
    NoteError,
    NoteSignature,
    format_note,
    parse_note,
    sign_note,
    verifier_key_string,
    verify_cosignature,
)
from hub.core.words import counted
from hub.identity.caller import Caller
from hub.identity.directory import Directory
from hub.runtime.clock import edge_clock
from hub.runtime.logs import get_logger
from hub.services import audit_events
from hub.store.audit import AuditLogStore, EntryQuery, StoredCheckpoint, StoredCosignature
from pxhub.v1 import envelope_pb2

log = get_logger("pxhub.audit")

__all__ = [
    "DEFAULT_PAGE",
    "MAX_PAGE",
    "MIN_PAGE",
    "AuditLogService",
    "AuditRefusal",
    "CheckpointView",
    "ListRequest",
    "LogCorruptedError",
    "entry_time",
]

DEFAULT_PAGE: Final = 512
#: Smaller pages are served at this size: a listing costs the hub per page, not per entry.
MIN_PAGE: Final = 64
MAX_PAGE: Final = 4096
_MAX_SAFE_INT: Final = 2**53 - 1
_MAX_STORED_SIZE: Final = 2**63 - 1  # a signed 64-bit column; larger request values match nothing
_MEMBER_ID = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}")
_ACTOR_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}")
_MESSAGE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,256}")
_OBJECT_ID = re.compile(r"[a-z][a-z0-9_.-]{0,31}:[A-Za-z0-9._:@/+=-]{1,256}")
READERS_OF_EVERYTHING: Final = frozenset({"auditor", "operator"})


class AuditRefusal(Exception):
    """A refused audit call: gRPC status name, ``pxhub.v1.Reason`` value and a readable detail."""

    def __init__(self, status: str, reason: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.reason = reason
        self.detail = detail


class LogCorruptedError(RuntimeError):
    """The stored tree no longer extends the latest signed checkpoint; the hub will not sign."""


def entry_time(value: datetime) -> str:
    """A UTC instant in the entries' canonical time form (fixed width: text order is time order)."""
    t = value.astimezone(UTC)
    return (
        f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}."
        f"{t.microsecond:06d}Z"
    )


def _loggable(value: int) -> int | str:
    """Entry details hold integers up to 2^53 - 1; larger request values are logged as text."""
    return value if value <= _MAX_SAFE_INT else str(value)


@dataclass(frozen=True)
class CheckpointView:
    """A stored checkpoint with every cosignature the hub holds for it, as one signed note."""

    checkpoint: StoredCheckpoint
    cosignatures: tuple[StoredCosignature, ...]
    note: str
    origin: str


@dataclass(frozen=True)
class ListRequest:
    """The parameters of one ListEntries call (protobuf-free)."""

    start: int = 0
    end: int = 0
    member_id: str = ""
    actor_id: str = ""
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None
    message_id: str = ""
    object_id: str = ""
    page_size: int = 0
    limit: int = 0
    for_export: bool = False


def _invalid_filter(detail: str, status: str = "INVALID_ARGUMENT") -> AuditRefusal:
    return AuditRefusal(status, envelope_pb2.REASON_AUDIT_FILTER_INVALID, detail)


def _out_of_range(detail: str) -> AuditRefusal:
    return AuditRefusal("OUT_OF_RANGE", envelope_pb2.REASON_PROOF_RANGE, detail)


class AuditLogService:
    """Audit-log operations over an :class:`AuditLogStore` that appends through ``append``."""

    def __init__(
        self,
        store: AuditLogStore,
        append: Callable[[Sequence[bytes]], int],
        signing_key: Ed25519PrivateKey,
        origin: str,
        directory: Directory,
        *,
        clock_skew: timedelta = timedelta(minutes=5),
        clock: Callable[[], datetime] = edge_clock,
    ) -> None:
        self.store = store
        self.append = append
        self.signing_key = signing_key
        self.origin = origin
        self.directory = directory
        self.clock_skew = clock_skew
        self.clock = clock
        self.log_verifier_key = verifier_key_string(origin, signing_key.public_key())
        self._issue_lock = threading.Lock()

    # -- checkpoints -------------------------------------------------------------------------

    def issue(self) -> StoredCheckpoint:
        """Sign a checkpoint of the log as it is now, unless the latest already covers it."""
        with self._issue_lock:
            latest = self.store.latest_checkpoint()
            size = self.store.audit_tree_size()
            if latest is not None and size <= latest.size:
                return latest
            existing = self.store.get_checkpoint(size)
            if existing is not None:  # issued by another replica meanwhile
                return existing
            root = self.store.audit_root(size)
            if latest is not None and latest.size > 0:
                proof = self.store.audit_consistency_proof(latest.size, size)
                try:
                    merkle.verify_consistency(latest.size, size, latest.root_hash, root, proof)
                except merkle.ProofError as error:
                    log.error("audit_log_corrupted", latest=latest.size, size=size, error=str(error))
                    raise LogCorruptedError(
                        f"the stored tree of size {size} does not extend the signed checkpoint of size "
                        f"{latest.size}: {error}"
                    ) from None
            body = Checkpoint(self.origin, size, root).body()
            note = sign_note(body, self.origin, self.signing_key)
            stored = self.store.save_checkpoint(StoredCheckpoint(size, root, note, self.clock()))
            if stored.root_hash != root:
                log.error("checkpoint_root_conflict", size=size)
            return stored

    def issue_if_grown(self) -> StoredCheckpoint | None:
        """The periodic task's step: a new checkpoint if the log grew, else ``None``."""
        latest = self.store.latest_checkpoint()
        if latest is not None and self.store.audit_tree_size() <= latest.size:
            return None
        return self.issue()

    def view(self, checkpoint: StoredCheckpoint) -> CheckpointView:
        cosignatures = tuple(self.store.cosignatures(checkpoint.size))
        body, signatures = parse_note(checkpoint.note)
        lines = [*signatures, *(_note_signature(c) for c in cosignatures)]
        return CheckpointView(checkpoint, cosignatures, format_note(body, lines), self.origin)

    def latest(self, issue: bool = False) -> CheckpointView:
        """The latest checkpoint (issuing one first if asked, or if none exists yet)."""
        stored = self.issue() if issue else self.store.latest_checkpoint()
        if stored is None:
            stored = self.issue()
        return self.view(stored)

    def cosigned_by(self, witnesses: Sequence[str]) -> CheckpointView:
        """The latest checkpoint every one of ``witnesses`` cosigned."""
        for name in witnesses:
            if not _MEMBER_ID.fullmatch(name):
                raise _invalid_filter(f"witness {name[:40]!r} is not an identity id such as 'UY-INR'")
        stored = self.store.latest_cosigned_checkpoint(witnesses)
        if stored is None:
            raise AuditRefusal(
                "NOT_FOUND",
                envelope_pb2.REASON_CHECKPOINT_UNKNOWN,
                f"no checkpoint is cosigned by all of {', '.join(witnesses)}",
            )
        return self.view(stored)

    def at_size(self, size: int) -> CheckpointView:
        stored = self.store.get_checkpoint(size) if size <= _MAX_STORED_SIZE else None
        if stored is None:
            raise AuditRefusal(
                "NOT_FOUND",
                envelope_pb2.REASON_CHECKPOINT_UNKNOWN,
                f"the hub issued no checkpoint of size {size}",
            )
        return self.view(stored)

    # -- proofs ------------------------------------------------------------------------------

    def inclusion_proof(self, caller: Caller, index: int, tree_size: int) -> list[bytes]:
        log_size = self.store.audit_tree_size()
        if tree_size == 0 or tree_size > log_size:
            raise _out_of_range(f"tree size {tree_size} is not in 1..{log_size} (the log size)")
        if index >= tree_size:
            raise _out_of_range(f"index {index} is not below the tree size {tree_size}")
        if caller.role not in READERS_OF_EVERYTHING and not self.store.entry_concerns(index, caller.id):
            raise AuditRefusal(
                "PERMISSION_DENIED",
                envelope_pb2.REASON_AUDIT_FILTER_INVALID,
                f"entry {index} does not concern {caller.id}; members may prove only their own entries",
            )
        return self.store.audit_inclusion_proof(index, tree_size)

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        log_size = self.store.audit_tree_size()
        if new_size > log_size:
            raise _out_of_range(f"new size {new_size} is larger than the log ({counted(log_size, 'entry')})")
        if old_size == 0:
            raise _out_of_range("there is no consistency proof from size 0; every tree extends the empty one")
        if old_size > new_size:
            raise _out_of_range(f"old size {old_size} is larger than new size {new_size}")
        return self.store.audit_consistency_proof(old_size, new_size)

    # -- entries -----------------------------------------------------------------------------

    def query_for(self, caller: Caller, request: ListRequest) -> EntryQuery:
        """Check a request's filters and scope it to what the caller may read."""
        party = request.member_id
        if party and not _MEMBER_ID.fullmatch(party):
            raise _invalid_filter(f"member_id {party[:40]!r} is not a member id such as 'CO-INPEC'")
        if caller.role not in READERS_OF_EVERYTHING:
            if party and party != caller.id:
                raise _invalid_filter(
                    f"{caller.id} may read only the entries that concern it, not those of {party}",
                    "PERMISSION_DENIED",
                )
            party = caller.id
        if request.actor_id and not _ACTOR_ID.fullmatch(request.actor_id):
            raise _invalid_filter(f"actor_id {request.actor_id[:40]!r} is not a valid actor id")
        if request.action and request.action not in ACTIONS:
            raise _invalid_filter(
                f"action {request.action[:40]!r} is not one of {', '.join(sorted(ACTIONS))}"
            )
        objects: list[str] = []
        if request.message_id:
            if not _MESSAGE_ID.fullmatch(request.message_id):
                raise _invalid_filter(f"message_id {request.message_id[:40]!r} is not a valid message id")
            objects.append(f"message:{request.message_id}")
        if request.object_id:
            if not _OBJECT_ID.fullmatch(request.object_id):
                raise _invalid_filter(f"object_id {request.object_id[:40]!r} is not 'kind:value'")
            if request.object_id not in objects:
                objects.append(request.object_id)
        since = entry_time(request.since) if request.since else ""
        until = entry_time(request.until) if request.until else ""
        if since and until and since >= until:
            raise _invalid_filter(f"time range is empty: since {since} is not before until {until}")
        if request.end and request.start > request.end:
            raise _out_of_range(f"start {request.start} is after end {request.end}")
        return EntryQuery(
            party=party,
            actor_id=request.actor_id,
            action=request.action,
            objects=tuple(objects),
            since=since,
            until=until,
        )

    def pages(
        self, query: EntryQuery, request: ListRequest, log_size: int
    ) -> Iterator[list[tuple[int, bytes]]]:
        """Matching entries in index order, one page (one store read) at a time."""
        page = min(max(request.page_size or DEFAULT_PAGE, MIN_PAGE), MAX_PAGE)
        end = min(request.end or log_size, log_size)
        start, sent = request.start, 0
        if (query.since or query.until) and start < end:
            bounds = self.store.time_bounds(query.since, query.until)
            if bounds is None:
                return
            start, end = max(start, bounds[0]), min(end, bounds[1])
        while start < end and (not request.limit or sent < request.limit):
            want = page if not request.limit else min(page, request.limit - sent)
            rows = self.store.find_entries(query, start, end, want)
            if not rows:
                return
            yield rows
            sent += len(rows)
            start = rows[-1][0] + 1

    # -- cosignatures ------------------------------------------------------------------------

    def add_cosignature(self, caller: Caller, size: int, line: str) -> tuple[CheckpointView, bool]:
        """Check a witness's cosignature line against the stored checkpoint and its directory key."""
        stored = self.store.get_checkpoint(size) if size <= _MAX_STORED_SIZE else None
        if stored is None:
            raise AuditRefusal(
                "NOT_FOUND",
                envelope_pb2.REASON_CHECKPOINT_UNKNOWN,
                f"the hub issued no checkpoint of size {size}",
            )
        body, _ = parse_note(stored.note)
        text = line[:-1] if line.endswith("\n") else line
        invalid = envelope_pb2.REASON_COSIGNATURE_INVALID
        if not text or "\n" in text:
            raise AuditRefusal("INVALID_ARGUMENT", invalid, "signature_line must be exactly one line")
        try:
            _, parsed = parse_note(body + "\n" + text + "\n")
        except NoteError as error:
            raise AuditRefusal(
                "INVALID_ARGUMENT", invalid, f"signature line does not parse: {error}"
            ) from None
        signature = parsed[0]
        if signature.name != caller.id:
            raise AuditRefusal(
                "PERMISSION_DENIED",
                invalid,
                f"the line is signed as {signature.name[:40]!r} but the caller is {caller.id}",
            )
        key = self._witness_key(caller.id)
        try:
            timestamp = verify_cosignature(body, signature, key)
        except NoteError as error:
            raise AuditRefusal("INVALID_ARGUMENT", invalid, str(error)) from None
        now = self.clock()
        if timestamp > (now + self.clock_skew).timestamp():
            raise AuditRefusal(
                "INVALID_ARGUMENT", invalid, f"cosignature time {timestamp} is in the future (hub time {now})"
            )
        latest = self.store.latest_cosigned_size(caller.id)
        if latest is not None and size < latest:
            raise AuditRefusal(
                "FAILED_PRECONDITION",
                envelope_pb2.REASON_WITNESS_INCONSISTENT,
                f"{caller.id} already cosigned the larger checkpoint of size {latest}; a witness never "
                "cosigns an older tree head",
            )
        try:
            _, created = self.store.save_cosignature(
                StoredCosignature(size, caller.id, signature.key_id + signature.sig, now)
            )
        except ValueError as error:
            raise AuditRefusal("RESOURCE_EXHAUSTED", invalid, str(error)) from None
        return self.view(stored), not created

    def _witness_key(self, witness: str) -> Ed25519PublicKey:
        member = self.directory.member(witness)
        key = member.current_key("signing") if member is not None else None
        if key is None or key.algorithm != "ed25519":
            raise AuditRefusal(
                "FAILED_PRECONDITION",
                envelope_pb2.REASON_COSIGNATURE_INVALID,
                f"{witness} has no current Ed25519 signing key in the directory",
            )
        return Ed25519PublicKey.from_public_bytes(key.public_key)

    # -- logging every call ------------------------------------------------------------------

    def record(
        self,
        caller: Caller,
        action: str,
        method: str,
        *,
        refusal: AuditRefusal | None = None,
        object_ids: tuple[str, ...] = (),
        details: dict[str, int | str] | None = None,
    ) -> None:
        """Append the entry that logs one audit call (``audit.query``, ``audit.export``, ``audit.cosign``)."""
        fields: dict[str, str | int] = {"method": method}
        for key, value in (details or {}).items():
            if isinstance(value, int):
                fields[key] = _loggable(value)
            elif value:
                fields[key] = value[:256] if value.isprintable() else "(not printable)"
        entry = audit_events.simple(
            caller,
            self.clock(),
            action,
            "deny" if refusal else "ok",
            object_ids=object_ids,
            reason=refusal.reason if refusal else 0,
            details=fields,
        )
        self.append([entry])


def _note_signature(cosignature: StoredCosignature) -> NoteSignature:
    return NoteSignature(cosignature.witness, cosignature.signature[:4], cosignature.signature[4:])
