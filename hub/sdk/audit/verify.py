"""Whole-log verification, as an auditor runs it (``pxhub audit verify``).

Trust anchors come from the auditor's side only: the hub's origin and
Ed25519 key from ``federation.json``, the witnesses' keys likewise, and
optionally a checkpoint saved by an earlier run. From the hub it takes a
signed checkpoint, every entry and, only to locate a failure, consistency
proofs, and it believes none of it beyond what a checked signature covers:

1. the checkpoint note must verify under the hub's key, and carry valid
   cosignatures of every required witness;
2. every entry is hashed here (``SHA-256(0x00 || bytes)``) and the leaves are
   folded into the RFC 9162 root, which must equal the signed root; the
   position in the stream is the index (the hub's index labels are checked
   too, never used);
3. a saved checkpoint must verify under the same key, be no larger than the
   new one, and its root must equal the root recomputed here over the first
   ``saved.size`` entries (the hub's consistency proof is checked as well);
4. entry times may not go back by more than a tolerance along the log, nor
   lie before the time a witness cosigned the saved checkpoint (entries
   appended after it) or after the time one cosigned the new checkpoint.

When the root does not match, the first bad index is found by binary search
over prefixes: for a prefix of ``m`` entries the auditor computes the root
from its own leaves and checks it against the signed root with the hub's
consistency proof ``(m, N)``. A proof that verifies binds the prefix (a hash
collision aside), so the hub cannot make a bad prefix pass; a lying hub can
only make a good prefix fail and so point at an earlier entry. The search
costs about log2(N) proofs of O(log N) hashes each.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hub.core import merkle
from hub.core.audit_entry import AuditEntry
from hub.core.checkpoint import (
    Checkpoint,
    NoteError,
    cosignature_key_id,
    open_checkpoint,
    parse_note,
    verify_cosignature,
)
from hub.sdk.audit.tree import LevelTree, mth

__all__ = [
    "AuditSource",
    "TrustAnchors",
    "VerificationFailure",
    "VerifiedLog",
    "WitnessLag",
    "entry_time_text",
    "verify_log",
]

MISMATCH = "does not match the signed log (edited, deleted or reordered)"
_TAIL_START = b',"time":"'
_TAIL_END = b'","v":1}'


class AuditSource(Protocol):
    """Where the log comes from (the hub over gRPC, or anything else that serves it)."""

    async def checkpoint_note(self, issue: bool, cosigned_by: tuple[str, ...] = ()) -> str:
        """The latest signed checkpoint note with its cosignature lines (issued now if ``issue``),
        or the latest that every witness in ``cosigned_by`` cosigned."""
        ...

    def entry_pages(self, start: int, end: int) -> AsyncIterator[Sequence[tuple[int, bytes]]]:
        """Entries ``[start, end)`` as (index label, exact bytes), in order, a page at a time."""
        ...

    async def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]: ...


@dataclass(frozen=True)
class TrustAnchors:
    """What the auditor trusts, from its own files: never from the hub."""

    origin: str
    log_key: Ed25519PublicKey
    witnesses: Mapping[str, Ed25519PublicKey] = field(default_factory=dict)


class VerificationFailure(Exception):
    """The log failed verification; ``index`` names the first bad entry when known."""

    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.index = index


@dataclass
class VerifiedLog:
    """A log that passed: the checkpoint it matches and what was recomputed."""

    checkpoint: Checkpoint
    note: str
    cosigned: dict[str, int]
    leaves: list[bytes]
    entries: list[bytes] | None
    saved: Checkpoint | None = None
    witnessed: WitnessLag | None = None


@dataclass(frozen=True)
class WitnessLag:
    """The required witnesses have not yet cosigned a checkpoint as new as the saved one.

    Not a rollback: the hub's latest checkpoint extends the saved one, and the newest checkpoint
    the witnesses did cosign matches the log's first ``checkpoint.size`` entries. A warning."""

    checkpoint: Checkpoint
    cosigned: dict[str, int]


def entry_time_text(entry: bytes) -> str | None:
    """The event time of a canonical v1 entry, read from its fixed tail (no JSON parse).

    Canonical entries end with ``,"time":"<27 characters>","v":1}`` because
    ``time`` and ``v`` are the last two keys in sorted order; anything else
    gives ``None``.
    """
    if len(entry) < 44 or not entry.endswith(_TAIL_END) or entry[-44:-35] != _TAIL_START:
        return None
    try:
        return entry[-35:-8].decode("ascii")
    except UnicodeDecodeError:
        return None


def _parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _open(note: str, anchors: TrustAnchors, what: str) -> Checkpoint:
    try:
        checkpoint, _ = open_checkpoint(note, {anchors.origin: anchors.log_key})
    except (NoteError, ValueError) as error:
        raise VerificationFailure(
            f"{what} is not signed by the hub key of {anchors.origin} from federation.json: {error}"
        ) from None
    if checkpoint.origin != anchors.origin:
        raise VerificationFailure(f"{what} is for origin {checkpoint.origin!r}, not {anchors.origin!r}")
    return checkpoint


def _cosignatures(note: str, witnesses: Mapping[str, Ed25519PublicKey], what: str) -> dict[str, int]:
    """Verified cosignature times of the known witnesses that cosigned ``note``."""
    body, signatures = parse_note(note)
    found: dict[str, int] = {}
    for signature in signatures:
        key = witnesses.get(signature.name)
        if key is None or signature.key_id != cosignature_key_id(signature.name, key):
            continue
        try:
            found[signature.name] = verify_cosignature(body, signature, key)
        except NoteError as error:
            raise VerificationFailure(f"{what}: {error}") from None
    return found


async def _first_bad_index(
    source: AuditSource, leaves: list[bytes], checkpoint: Checkpoint
) -> tuple[int, str]:
    """Binary search over prefixes with the hub's consistency proofs against the signed root."""
    size, signed_root = checkpoint.size, checkpoint.root_hash
    served = min(len(leaves), size)
    tree = LevelTree(leaves[:served])

    async def prefix_matches(m: int) -> bool:
        if m == 0:
            return True
        local = tree.root(m)
        if m == size:
            return local == signed_root
        try:
            proof = await source.consistency_proof(m, size)
        except Exception as error:  # a refused proof cannot clear a prefix
            raise VerificationFailure(
                f"the log does not match the signed root, and the hub refused the consistency proof "
                f"({m}, {size}) needed to locate the first bad entry: {error}"
            ) from None
        try:
            merkle.verify_consistency(m, size, local, signed_root, proof)
        except merkle.ProofError:
            return False
        return True

    if await prefix_matches(served):
        return served, "the hub served no entry at that index"
    good, bad = 0, served
    while bad - good > 1:
        mid = (good + bad) // 2
        if await prefix_matches(mid):
            good = mid
        else:
            bad = mid
    return bad - 1, "its bytes hash to a leaf the signed tree does not have"


@dataclass
class _Pass:
    """State of the one streaming pass over the entries, fed a page at a time."""

    size: int
    saved: Checkpoint | None
    keep_entries: bool
    check_entries: bool
    max_backdate: timedelta
    not_before: bytes = b""
    not_after: bytes = b""
    not_after_size: int = 0
    leaves: list[bytes] = field(default_factory=list)
    entries: list[bytes] = field(default_factory=list)
    first_label: tuple[int, int] | None = None
    content_problem: tuple[int, str] | None = None
    latest_time: bytes = b""
    latest_index: int = -1

    def bound_by_saved(self, cosigned: Mapping[str, int]) -> None:
        """Entries appended after the saved checkpoint may not be dated before a witness cosigned it."""
        if cosigned:
            first = datetime.fromtimestamp(max(cosigned.values()), UTC) - self.max_backdate
            self.not_before = _format(first).encode()

    def bound_by_cosignatures(self, cosigned: Mapping[str, int], size: int) -> None:
        """The first ``size`` entries may not be dated after a witness cosigned the checkpoint of ``size``."""
        if cosigned:
            last = datetime.fromtimestamp(max(cosigned.values()), UTC) + self.max_backdate
            self.not_after, self.not_after_size = _format(last).encode(), size

    def take(self, page: Sequence[tuple[int, bytes]]) -> None:
        first = len(self.leaves)
        page = page[: max(0, self.size - first)]
        if not page:
            return
        if self.first_label is None:
            labels = [label for label, _ in page]
            if labels != list(range(first, first + len(page))):
                offset = next(i for i, label in enumerate(labels) if label != first + i)
                self.first_label = (first + offset, labels[offset])
        entries = [entry for _, entry in page]
        sha256 = hashlib.sha256
        self.leaves.extend([sha256(b"\x00" + entry).digest() for entry in entries])
        if self.keep_entries:
            self.entries.extend(entries)
        if self.content_problem is None:
            self.content_problem = self._content_problem(entries, first)

    def _content_problem(self, entries: list[bytes], first: int) -> tuple[int, str] | None:
        """The first problem with the contents of a page of entries, if any."""
        if self.check_entries:
            for offset, entry in enumerate(entries):
                try:
                    AuditEntry.decode(entry)
                except ValueError as error:
                    return first + offset, f"is in the signed log but is not a canonical audit entry: {error}"
        times = [_tail_time(entry) for entry in entries]
        if b"" in times:
            return first + times.index(b""), "is in the signed log but carries no canonical event time"
        problem = self._back_dated(times, first)
        peak = max(range(len(times)), key=times.__getitem__)
        if times[peak] > self.latest_time:
            self.latest_time, self.latest_index = times[peak], first + peak
        if problem is not None:
            return problem
        saved = self.saved
        if saved is not None and self.not_before:
            for offset in range(max(0, saved.size - first), len(times)):
                if times[offset] < self.not_before:
                    return first + offset, (
                        f"is back-dated: appended after the saved checkpoint of size {saved.size}, yet its "
                        f"time {times[offset].decode()} is before a witness cosigned that checkpoint"
                    )
        bounded = times[: max(0, self.not_after_size - first)]
        if self.not_after and bounded and max(bounded) > self.not_after:
            offset = next(i for i, t in enumerate(bounded) if t > self.not_after)
            return first + offset, (
                f"is dated {times[offset].decode()}, after a witness cosigned the checkpoint that includes it"
            )
        return None

    def _back_dated(self, times: list[bytes], first: int) -> tuple[int, str] | None:
        """An entry whose time lies more than the tolerance before an earlier entry's time."""
        running = list(itertools.accumulate(times, max, initial=self.latest_time))
        for offset, (time, before) in enumerate(zip(times, running, strict=False)):
            if time >= before:
                continue
            gap = _parse_time(before.decode()) - _parse_time(time.decode())
            if gap > self.max_backdate:
                earlier = self._index_of(before, times, first)
                return first + offset, (
                    f"is back-dated: its time {time.decode()} is more than "
                    f"{self.max_backdate.total_seconds():.0f} s before the time {before.decode()} of the "
                    f"earlier entry {earlier}"
                )
        return None

    def _index_of(self, time: bytes, times: list[bytes], first: int) -> int:
        return first + times.index(time) if time in times else self.latest_index


def _tail_time(entry: bytes) -> bytes:
    """The event time bytes of a canonical v1 entry (see :func:`entry_time_text`), or ``b""``."""
    if entry[-44:-35] == _TAIL_START and entry.endswith(_TAIL_END) and entry[-35:-8].isascii():
        return entry[-35:-8]
    return b""


async def verify_log(
    source: AuditSource,
    anchors: TrustAnchors,
    *,
    saved_note: str | None = None,
    issue: bool = True,
    keep_entries: bool = False,
    check_entries: bool = False,
    max_backdate: timedelta = timedelta(seconds=60),
) -> VerifiedLog:
    """Verify the whole log against a fresh signed checkpoint; raise :class:`VerificationFailure`.

    With witnesses and a saved checkpoint newer than any they cosigned, the log is checked against
    the hub's latest checkpoint instead and the lag is reported (:class:`WitnessLag`), not failed.
    """
    note = await source.checkpoint_note(issue, tuple(sorted(anchors.witnesses)))
    checkpoint = _open(note, anchors, "the hub's checkpoint")
    cosigned = _cosignatures(note, anchors.witnesses, "the hub's checkpoint")
    missing = sorted(set(anchors.witnesses) - set(cosigned))
    if missing:
        raise VerificationFailure(
            f"the checkpoint of size {checkpoint.size} lacks cosignatures of the required witnesses: "
            f"{', '.join(missing)}"
        )
    saved = _open(saved_note, anchors, "the saved checkpoint") if saved_note is not None else None
    lag: WitnessLag | None = None
    if saved is not None and saved.size > checkpoint.size and anchors.witnesses:
        note, checkpoint, cosigned, lag = await _past_lagging_witnesses(
            source, anchors, issue, saved, WitnessLag(checkpoint, cosigned)
        )
    if saved is not None and saved.size > checkpoint.size:
        raise VerificationFailure(
            f"the hub's latest checkpoint (size {checkpoint.size}) is smaller than the saved one "
            f"(size {saved.size}) it signed before: the log was rolled back"
        )
    state = _Pass(checkpoint.size, saved, keep_entries, check_entries, max_backdate)
    if saved_note is not None:
        state.bound_by_saved(_cosignatures(saved_note, anchors.witnesses, "the saved checkpoint"))
    behind = lag is not None and not cosigned  # then only the witnessed prefix has cosignature times
    state.bound_by_cosignatures(
        lag.cosigned if lag is not None and behind else cosigned,
        lag.checkpoint.size if lag is not None and behind else checkpoint.size,
    )

    async for page in source.entry_pages(0, checkpoint.size):
        state.take(page)
        if len(state.leaves) >= checkpoint.size:
            break

    leaves = state.leaves
    if len(leaves) != checkpoint.size or state.first_label is not None or mth(leaves) != checkpoint.root_hash:
        index, why = await _first_bad_index(source, leaves, checkpoint)
        if state.first_label is not None and state.first_label[0] <= index:
            position, label = state.first_label
            index, why = position, f"the hub served its entry {label} in that place (missing or out of order)"
        raise VerificationFailure(f"entry {index} {MISMATCH}: {why}", index)
    if state.saved is not None:
        await _check_saved(source, state.saved, mth(leaves[: state.saved.size]), checkpoint)
    if lag is not None and mth(leaves[: lag.checkpoint.size]) != lag.checkpoint.root_hash:
        raise VerificationFailure(
            f"the checkpoint of size {lag.checkpoint.size} the witnesses cosigned does not match the "
            f"log's first {lag.checkpoint.size} entries (history rewritten after they cosigned)"
        )
    if state.content_problem is not None:
        index, problem = state.content_problem
        raise VerificationFailure(f"entry {index} {problem}", index)
    return VerifiedLog(
        checkpoint, note, cosigned, leaves, state.entries if keep_entries else None, state.saved, lag
    )


async def _past_lagging_witnesses(
    source: AuditSource, anchors: TrustAnchors, issue: bool, saved: Checkpoint, witnessed: WitnessLag
) -> tuple[str, Checkpoint, dict[str, int], WitnessLag | None]:
    """The witnesses' newest checkpoint is older than the saved one: take the hub's latest instead.

    Returns its note, checkpoint and cosignatures, and the lag when the latest is at least as large
    as the saved one (the witnesses are behind); a smaller latest is left for the rollback check."""
    note = await source.checkpoint_note(issue, ())
    latest = _open(note, anchors, "the hub's latest checkpoint")
    cosigned = _cosignatures(note, anchors.witnesses, "the hub's latest checkpoint")
    return note, latest, cosigned, witnessed if latest.size >= saved.size else None


async def _check_saved(
    source: AuditSource, saved: Checkpoint, saved_root: bytes, checkpoint: Checkpoint
) -> None:
    """The new signed log must extend the saved checkpoint, by our own leaves and by the hub's proof."""
    if saved_root != saved.root_hash:
        raise VerificationFailure(
            f"the signed log of size {checkpoint.size} does not extend the saved checkpoint of size "
            f"{saved.size}: its first entries differ from those the saved checkpoint signed "
            "(history rewritten)"
        )
    if saved.size == 0:
        return
    proof = await source.consistency_proof(saved.size, checkpoint.size)
    try:
        merkle.verify_consistency(saved.size, checkpoint.size, saved.root_hash, checkpoint.root_hash, proof)
    except merkle.ProofError as error:
        raise VerificationFailure(
            f"the hub's consistency proof from size {saved.size} to {checkpoint.size} does not "
            f"verify: {error}"
        ) from None


def _format(value: datetime) -> str:
    t = value.astimezone(UTC)
    return (
        f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}."
        f"{t.microsecond:06d}Z"
    )
