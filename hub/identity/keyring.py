"""A member's own key history after ``pxhub pki init``: rotation generates, the keyring remembers.

The federation manifest lists the keys issued at init; the hub's directory
adds the announcements it accepted since. On the member's side,
``members/<ID>/keyring.json`` records every key the member holds, with its
status:

* ``pending``: generated, not yet accepted by the hub (a re-run announces it again);
* ``current``: signs (or is sealed to) from now on;
* ``previous``: replaced, still opens what was sealed to it until ``valid_until``;
* ``retired``: the overlap is over and the private half was deleted.

:func:`hub.identity.credentials.load_identity` signs with the current key of each use and opens
with every encryption key that is current or previous. The keyring holds only
public keys and paths; private keys stay encrypted PKCS#8 files (0600).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final, Literal, cast

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519

from hub.identity.key_files import decrypt_private_key
from hub.identity.manifest import ALGORITHM_FOR_USE, KeyAlgorithm, KeyUse, PkiError, key_id, load_manifest
from hub.runtime.files import write_atomically

EntryStatus = Literal["pending", "current", "previous", "retired"]
_STATUSES: tuple[EntryStatus, ...] = ("pending", "current", "previous", "retired")
KEYRING_FILE = "keyring.json"
_DIR_MODE = 0o700
PrivateKey = ed25519.Ed25519PrivateKey | x25519.X25519PrivateKey
_PRIVATE_KEY_TYPES: Final[dict[KeyAlgorithm, type[PrivateKey]]] = {
    "ed25519": ed25519.Ed25519PrivateKey,
    "x25519": x25519.X25519PrivateKey,
}


@dataclass(frozen=True)
class KeyringEntry:
    key_id: str
    use: KeyUse
    algorithm: str
    public_key: bytes
    valid_from: datetime
    valid_until: datetime
    status: EntryStatus
    private_key_path: str  # relative to the federation directory


def member_dir(directory: Path, member_id: str) -> Path:
    return Path(directory) / "members" / member_id


def keyring_path(directory: Path, member_id: str) -> Path:
    return member_dir(directory, member_id) / KEYRING_FILE


def read_keyring(directory: Path, member_id: str) -> list[KeyringEntry] | None:
    """The member's keyring, or None when it never rotated (the manifest's keys apply)."""
    path = keyring_path(directory, member_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [_entry_from_json(item) for item in data["keys"]]
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as error:
        raise PkiError(f"{path} is not a valid keyring: {type(error).__name__}: {error}") from None


def keyring_or_manifest(directory: Path, member_id: str) -> list[KeyringEntry]:
    """The keyring, seeded from the manifest's keys the first time."""
    found = read_keyring(directory, member_id)
    if found is not None:
        return found
    record = load_manifest(directory).identity(member_id)
    return [
        KeyringEntry(
            k.key_id,
            k.use,
            k.algorithm,
            k.public_key,
            k.valid_from,
            k.valid_until,
            "current" if k.status == "current" else "previous",
            k.private_key_path,
        )
        for k in record.keys
    ]


def write_keyring(directory: Path, member_id: str, entries: Sequence[KeyringEntry]) -> None:
    """Replace the keyring atomically."""
    text = json.dumps({"format_version": 1, "keys": [_entry_to_json(e) for e in entries]}, indent=2)
    write_atomically(keyring_path(directory, member_id), (text + "\n").encode("utf-8"))


def generate_key(
    directory: Path, member_id: str, use: KeyUse, passphrase: bytes, now: datetime, lifetime: timedelta
) -> tuple[KeyringEntry, ed25519.Ed25519PrivateKey | x25519.X25519PrivateKey]:
    """A new pending key of ``use`` (or the pending one a crashed run left), with its private half."""
    entries = keyring_or_manifest(directory, member_id)
    for entry in entries:
        if entry.use == use and entry.status == "pending":
            return entry, load_private_key(directory, entry, passphrase)
    algorithm = ALGORITHM_FOR_USE[use]
    private = _PRIVATE_KEY_TYPES[algorithm].generate()
    raw = private.public_key().public_bytes_raw()
    new_id = key_id(member_id, use, raw)
    rel = f"members/{member_id}/keys/{use}-{new_id.rsplit('/', 1)[-1]}.key"
    _write_private(Path(directory) / rel, private, passphrase)
    entry = KeyringEntry(new_id, use, algorithm, raw, now, now + lifetime, "pending", rel)
    write_keyring(directory, member_id, [*entries, entry])
    return entry, private


def activate(
    directory: Path, member_id: str, new_key_id: str, previous_valid_until: datetime | None, now: datetime
) -> None:
    """After the hub accepted ``new_key_id``: it becomes current, the key it replaces previous."""
    entries = keyring_or_manifest(directory, member_id)
    new = next((e for e in entries if e.key_id == new_key_id), None)
    if new is None:
        raise PkiError(f"{member_id} has no key {new_key_id!r} in its keyring")
    if new.status == "current":
        return
    updated = []
    for entry in entries:
        if entry.key_id == new_key_id:
            entry = replace(entry, status="current")  # noqa: PLW2901
        elif entry.use == new.use and entry.status == "current":
            entry = replace(entry, status="previous", valid_until=previous_valid_until or now)  # noqa: PLW2901
        updated.append(entry)
    write_keyring(directory, member_id, updated)


def retire_expired(directory: Path, member_id: str, now: datetime) -> list[str]:
    """Delete the private half of every previous key whose overlap is over; returns their ids."""
    entries = read_keyring(directory, member_id)
    if entries is None:
        return []
    retired: list[str] = []
    updated = []
    for entry in entries:
        if entry.status == "previous" and entry.valid_until <= now:
            (Path(directory) / entry.private_key_path).unlink(missing_ok=True)
            entry = replace(entry, status="retired")  # noqa: PLW2901
            retired.append(entry.key_id)
        updated.append(entry)
    if retired:
        write_keyring(directory, member_id, updated)
    return retired


def load_private_key(
    directory: Path, entry: KeyringEntry, passphrase: bytes
) -> ed25519.Ed25519PrivateKey | x25519.X25519PrivateKey:
    """Decrypt ``entry``'s private key and check it is the half of its public key."""
    key = decrypt_private_key(Path(directory), entry.private_key_path, passphrase)
    expected = _PRIVATE_KEY_TYPES[ALGORITHM_FOR_USE[entry.use]]
    if not isinstance(key, expected) or key.public_key().public_bytes_raw() != entry.public_key:
        raise PkiError(f"{entry.private_key_path} does not match keyring key {entry.key_id}")
    return key


def _write_private(path: Path, key: PrivateKey, passphrase: bytes) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    path.parent.mkdir(mode=_DIR_MODE, exist_ok=True)
    write_atomically(path, pem)  # 0600 from the first byte


def _entry_to_json(entry: KeyringEntry) -> dict[str, Any]:
    return {
        "key_id": entry.key_id,
        "use": entry.use,
        "algorithm": entry.algorithm,
        "public_key": base64.b64encode(entry.public_key).decode("ascii"),
        "valid_from": entry.valid_from.isoformat(),
        "valid_until": entry.valid_until.isoformat(),
        "status": entry.status,
        "private_key_path": entry.private_key_path,
    }


def _entry_from_json(item: dict[str, Any]) -> KeyringEntry:
    status = item["status"]
    use = item["use"]
    if status not in _STATUSES or use not in ("signing", "encryption", "approver"):
        raise ValueError(f"unknown status {status!r} or use {use!r}")
    path = str(item["private_key_path"])
    if path.startswith("/") or ".." in Path(path).parts:
        raise ValueError(f"private_key_path {path!r} leaves the federation directory")
    return KeyringEntry(
        key_id=str(item["key_id"]),
        use=cast(KeyUse, use),
        algorithm=str(item["algorithm"]),
        public_key=base64.b64decode(item["public_key"], validate=True),
        valid_from=datetime.fromisoformat(item["valid_from"]),
        valid_until=datetime.fromisoformat(item["valid_until"]),
        status=cast(EntryStatus, status),
        private_key_path=path,
    )


@dataclass(frozen=True)
class HeldKeys:
    """The private keys an identity uses: the current one per use, and every one it opens with."""

    current: dict[str, tuple[PrivateKey, str]]  # use -> (private key, key id)
    decryption: dict[str, PrivateKey]  # key id -> X25519 private key (current and previous)


def held_keys(directory: Path, member_id: str, passphrase: bytes) -> HeldKeys | None:
    """The keys the keyring says ``member_id`` holds, or None when it never rotated."""
    entries = read_keyring(directory, member_id)
    if entries is None:
        return None
    held = HeldKeys({}, {})
    for entry in entries:
        current = entry.status == "current"
        if not (current or (entry.status == "previous" and entry.use == "encryption")):
            continue
        key = load_private_key(directory, entry, passphrase)
        if current:
            held.current[entry.use] = (key, entry.key_id)
        if entry.use == "encryption":
            held.decryption[entry.key_id] = key
    return held
