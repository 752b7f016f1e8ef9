"""Witnessing: check a new checkpoint against the last one cosigned, then cosign it.

A witness (a member institution or an auditor) keeps the last checkpoint it
cosigned. Given a new signed checkpoint from the hub and a consistency proof
between the two, :func:`check_and_cosign`

1. verifies the hub's signature on the new note with the hub's key (never a
   key the hub sends along) and that its origin is the log's;
2. refuses a smaller tree than the one cosigned before (a rollback), a
   different root at the same size (a fork), and any consistency proof that
   does not verify (RFC 9162 §2.1.4.2), with :class:`WitnessInconsistentError`;
3. cosigns the checkpoint body (c2sp.org/tlog-cosignature, Ed25519
   ``cosignature/v1``) and returns the signature line to hand to the hub.

A witness that cosigns only after these checks states that the tree it signs
extends every tree it signed before, so the hub cannot show two histories to
two countries without one witness seeing the fork. No I/O here: fetching the
checkpoint and the proof and handing in the line is the caller's job
(``hub.sdk.audit.client.AuditClient.witness``; the recurring flow lives with the
flows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hub.core import merkle
from hub.core.checkpoint import Checkpoint, NoteError, NoteSignature, cosign, open_checkpoint

__all__ = ["WitnessError", "WitnessInconsistentError", "WitnessedCheckpoint", "check_and_cosign"]


class WitnessError(ValueError):
    """The new checkpoint cannot be cosigned: bad signature, wrong origin, malformed note."""


class WitnessInconsistentError(WitnessError):
    """The new checkpoint does not extend the one cosigned before (rollback, fork or bad proof)."""


@dataclass(frozen=True)
class WitnessedCheckpoint:
    """What a witness keeps after cosigning: the checkpoint and its own signature line."""

    checkpoint: Checkpoint
    note: str
    cosignature: NoteSignature


def check_and_cosign(
    new_note: str,
    *,
    origin: str,
    log_key: Ed25519PublicKey,
    last: Checkpoint | None,
    proof: Sequence[bytes],
    name: str,
    private_key: Ed25519PrivateKey,
    timestamp: int,
) -> WitnessedCheckpoint:
    """Check ``new_note`` against ``last`` (the last checkpoint cosigned, if any) and cosign it.

    ``proof`` is the RFC 9162 consistency proof from ``last.size`` to the new
    size (ignored when there is no earlier checkpoint or it was empty).
    """
    try:
        checkpoint, _ = open_checkpoint(new_note, {origin: log_key})
    except (NoteError, ValueError) as error:
        raise WitnessError(f"checkpoint does not verify under the key of {origin}: {error}") from None
    if checkpoint.origin != origin:
        raise WitnessError(f"checkpoint is for origin {checkpoint.origin!r}, not {origin!r}")
    if last is not None:
        if last.origin != origin:
            raise WitnessError(f"the last cosigned checkpoint is for origin {last.origin!r}, not {origin!r}")
        if checkpoint.size < last.size:
            raise WitnessInconsistentError(
                f"the hub shows a tree of size {checkpoint.size}, smaller than the size {last.size} "
                "already cosigned (rollback)"
            )
        if checkpoint.size == last.size and checkpoint.root_hash != last.root_hash:
            raise WitnessInconsistentError(f"two different root hashes for the tree size {last.size} (fork)")
        if last.size > 0:
            try:
                merkle.verify_consistency(
                    last.size, checkpoint.size, last.root_hash, checkpoint.root_hash, proof
                )
            except merkle.ProofError as error:
                raise WitnessInconsistentError(
                    f"the tree of size {checkpoint.size} does not extend the cosigned tree of size "
                    f"{last.size}: {error}"
                ) from None
    signature = cosign(checkpoint.body(), name, private_key, timestamp)
    return WitnessedCheckpoint(checkpoint, new_note, signature)
