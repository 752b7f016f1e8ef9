"""Rotating one of a member's keys: generate, announce, then switch locally.

The order makes every step safe to repeat. The new key is written to the
member's keyring as *pending* before anything leaves the machine; the hub
makes it current only on a valid announcement (a re-sent one is answered as
success); the keyring switches to it only after the hub accepted it. A crash
between two steps leaves a pending key that the next run announces again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ed25519

from hub.identity import keyring
from hub.identity.directory import KeyEntry
from hub.identity.manifest import KeyUse
from hub.runtime.clock import edge_clock
from hub.sdk.client import MemberClient


@dataclass(frozen=True)
class RotatedKey:
    member_id: str
    use: str
    previous_key_id: str
    new_key_id: str
    previous_valid_until: datetime | None
    directory_version: int


async def rotate_key(
    client: MemberClient,
    federation_dir: Path,
    use: KeyUse,
    passphrase: bytes,
    *,
    overlap: timedelta,
    lifetime: timedelta = timedelta(days=365),
) -> RotatedKey:
    """Rotate ``client``'s member key of ``use``; reconnect afterwards to sign with a new signing key."""
    member_id = client.member_id
    now = edge_clock()
    previous = next(
        (
            e.key_id
            for e in keyring.keyring_or_manifest(federation_dir, member_id)
            if e.use == use and e.status == "current"
        ),
        "",
    )
    entry, private = keyring.generate_key(federation_dir, member_id, use, passphrase, now, lifetime)
    public = KeyEntry(
        entry.key_id, entry.use, entry.algorithm, entry.public_key, entry.valid_from, entry.valid_until
    )
    proof = private if isinstance(private, ed25519.Ed25519PrivateKey) else None
    response = await client.announce_key(public, overlap, proof)
    until = (
        response.previous_valid_until.ToDatetime(UTC) if response.HasField("previous_valid_until") else None
    )
    keyring.activate(federation_dir, member_id, entry.key_id, until, now)
    return RotatedKey(member_id, use, previous, entry.key_id, until, response.directory_version)
