"""Checkpoints, signed notes and witness cosignatures in the C2SP formats.

The audit log publishes its tree head as a C2SP *checkpoint*
(c2sp.org/tlog-checkpoint): a three-line note body ::

    <origin>\\n<tree size in decimal>\\n<base64 root hash>\\n

signed as a C2SP *signed note* (c2sp.org/signed-note): the body, one blank
line, then one line per signature ::

    — <key name> base64(key ID (4 bytes) || signature)\\n

with an em dash (U+2014) and a space opening each line. The hub signs with
Ed25519 (signature type 0x01, key ID = ``SHA-256(name || 0x0A || 0x01 ||
public key)[:4]``). Member witnesses add Ed25519 *cosignatures*
(c2sp.org/tlog-cosignature, type 0x04): the signed message is
``"cosignature/v1\\ntime <t>\\n" + body`` and the signature bytes are
``u64_be(t) || Ed25519 signature``. Verifiers ignore lines from keys they
do not know, which is what lets keys rotate and witnesses join.

Every parser here is strict: anything this module would not itself produce
is refused with a :class:`ValueError` subclass that says what is wrong.
Deliberate choices beyond the specs, all on the strict side: checkpoint
bodies may not carry extension lines (the specs call them "NOT RECOMMENDED",
the hub never writes them); origins obey the key-name rules (no spaces, no
``+``) so the hub's key can be named after its origin as the spec advises;
base64 must be canonical; verifier-key IDs must be lowercase hex.

Where the specs have moved on: the current tlog-cosignature and
tlog-checkpoint texts recommend ML-DSA-44 cosignatures (type 0x06, a binary
``subtree/v1`` message) for new deployments, and for the log's own signature
too. ``cryptography`` offers no ML-DSA yet, so this module implements the
Ed25519 types the specs still define and allow: 0x01 for the log and 0x04
(``cosignature/v1``) for witnesses. Their key IDs, signed messages and
signature layouts follow the spec texts exactly.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "MAX_SIGNATURES",
    "SIG_TYPE_COSIGNATURE_V1",
    "SIG_TYPE_ED25519",
    "Checkpoint",
    "CheckpointError",
    "NoteError",
    "NoteSignature",
    "NoteVerificationError",
    "VerifierKey",
    "add_signature",
    "cosign",
    "cosignature_key_id",
    "cosignature_message",
    "cosignature_timestamp",
    "format_note",
    "note_key_id",
    "note_signature",
    "open_checkpoint",
    "parse_body",
    "parse_note",
    "parse_verifier_key",
    "sign_note",
    "verifier_key_string",
    "verify_cosignature",
    "verify_cosignatures",
    "verify_note",
]

SIG_TYPE_ED25519: Final = 0x01
"""Signed-note signature type of plain Ed25519 note signatures."""
SIG_TYPE_COSIGNATURE_V1: Final = 0x04
"""Signed-note signature type of timestamped Ed25519 ``cosignature/v1``."""

MAX_SIGNATURES: Final = 100
"""Most signature lines accepted in one note (the spec asks for at least 16)."""

HASH_SIZE: Final = 32
_KEY_ID_SIZE: Final = 4
_ED25519_SIG_SIZE: Final = 64
_TIMESTAMP_SIZE: Final = 8
_MAX_TIMESTAMP: Final = 2**63 - 1
_MAX_TREE_SIZE: Final = 2**64 - 1
_SIG_PREFIX: Final = "\u2014 "  # em dash, space
_COSIGNATURE_HEADER: Final = "cosignature/v1\n"

_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_HEX_KEY_ID = re.compile(r"[0-9a-f]{8}")


class CheckpointError(ValueError):
    """A checkpoint body or field is malformed."""


class NoteError(ValueError):
    """A signed note, signature line or verifier key is malformed."""


class NoteVerificationError(NoteError):
    """A signature from a known key is wrong, or no known key signed."""


# --------------------------------------------------------------------------
# Shared checks
# --------------------------------------------------------------------------


def _control_char(text: str) -> str | None:
    """Return the first character below U+0020 other than newline, if any (signed-note rule)."""
    for ch in text:
        if ch < " " and ch != "\n":
            return ch
    return None


def _name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid key name (non-empty, no spaces, no '+'), or ``None``."""
    if not isinstance(name, str):
        return f"must be a str, got {type(name).__name__}"
    checks = (
        (not name, "must not be empty"),
        (any(ch.isspace() for ch in name), "must not contain spaces"),
        ("+" in name, "must not contain '+'"),
        (_control_char(name) is not None, "must not contain control characters"),
        (not _is_utf8(name), "must be valid UTF-8"),
    )
    return next((problem for failed, problem in checks if failed), None)


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_key_name(name: str) -> None:
    problem = _name_problem(name)
    if problem is not None:
        raise NoteError(f"key name {name!r} {problem}")


def _b64decode(text: str, what: str, error: type[ValueError]) -> bytes:
    """Decode standard, padded, *canonical* base64 or raise ``error``."""
    if not _BASE64.fullmatch(text) or len(text) % 4:
        raise error(f"{what} is not padded standard base64: {text!r}")
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise error(f"{what} is not valid base64: {exc}") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise error(f"{what} is not canonical base64: {text!r}")
    return raw


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _raw_public(public_key: Ed25519PublicKey | bytes) -> bytes:
    if isinstance(public_key, Ed25519PublicKey):
        return public_key.public_bytes_raw()
    if isinstance(public_key, bytes) and len(public_key) == 32:
        return public_key
    raise NoteError("public key must be an Ed25519PublicKey or 32 raw bytes")


def _key_id(name: str, sig_type: int, public_key: Ed25519PublicKey | bytes) -> bytes:
    _check_key_name(name)
    material = name.encode("utf-8") + b"\n" + bytes([sig_type]) + _raw_public(public_key)
    return hashlib.sha256(material).digest()[:_KEY_ID_SIZE]


# --------------------------------------------------------------------------
# Checkpoint body
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: origin, tree size and RFC 6962/9162 root hash."""

    origin: str
    size: int
    root_hash: bytes

    def __post_init__(self) -> None:
        problem = _name_problem(self.origin)
        if problem is not None:
            raise CheckpointError(f"origin {self.origin!r} {problem}")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise CheckpointError(f"tree size must be an int, got {type(self.size).__name__}")
        if not 0 <= self.size <= _MAX_TREE_SIZE:
            raise CheckpointError(f"tree size {self.size} is outside 0..2^64-1")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            got = len(self.root_hash) if isinstance(self.root_hash, bytes) else type(self.root_hash).__name__
            raise CheckpointError(f"root hash must be {HASH_SIZE} bytes, got {got}")

    def body(self) -> str:
        """Return the note text: origin, size and base64 root, each ending in a newline."""
        return f"{self.origin}\n{self.size}\n{_b64(self.root_hash)}\n"


def parse_body(text: str) -> Checkpoint:
    """Parse a checkpoint note text, refusing anything :meth:`Checkpoint.body` would not write."""
    if not isinstance(text, str):
        raise CheckpointError(f"checkpoint body must be a str, got {type(text).__name__}")
    if not text.endswith("\n"):
        raise CheckpointError("checkpoint body must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError(f"checkpoint body has {len(lines)} lines, needs origin, size and root hash")
    if len(lines) > 3:
        raise CheckpointError("checkpoint body has lines after the root hash (extension lines are refused)")
    origin, size_line, root_line = lines
    if not origin:
        raise CheckpointError("checkpoint origin line is empty")
    if not _DECIMAL.fullmatch(size_line):
        raise CheckpointError(f"tree size line {size_line!r} is not a decimal without leading zeros")
    size = int(size_line)
    if size > _MAX_TREE_SIZE:
        raise CheckpointError(f"tree size {size} does not fit in 64 bits")
    root_hash = _b64decode(root_line, "root hash line", CheckpointError)
    return Checkpoint(origin, size, root_hash)


# --------------------------------------------------------------------------
# Signed notes
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 4-byte key ID and the signature bytes after it."""

    name: str
    key_id: bytes
    sig: bytes

    def __post_init__(self) -> None:
        _check_key_name(self.name)
        if not isinstance(self.key_id, bytes) or len(self.key_id) != _KEY_ID_SIZE:
            raise NoteError(f"key ID must be {_KEY_ID_SIZE} bytes")
        if not isinstance(self.sig, bytes) or not self.sig:
            raise NoteError("signature must be non-empty bytes")

    def line(self) -> str:
        """Return the signature line, newline included."""
        return f"{_SIG_PREFIX}{self.name} {_b64(self.key_id + self.sig)}\n"


def note_key_id(name: str, public_key: Ed25519PublicKey | bytes) -> bytes:
    """Key ID of an Ed25519 note key: ``SHA-256(name || "\\n" || 0x01 || key)[:4]``."""
    return _key_id(name, SIG_TYPE_ED25519, public_key)


def cosignature_key_id(name: str, public_key: Ed25519PublicKey | bytes) -> bytes:
    """Key ID of an Ed25519 witness key: ``SHA-256(name || "\\n" || 0x04 || key)[:4]``."""
    return _key_id(name, SIG_TYPE_COSIGNATURE_V1, public_key)


def _check_text(text: str, what: str) -> None:
    if not isinstance(text, str):
        raise NoteError(f"{what} must be a str, got {type(text).__name__}")
    if not text.endswith("\n"):
        raise NoteError(f"{what} must end with a newline")
    bad = _control_char(text)
    if bad is not None:
        raise NoteError(f"{what} contains the control character {bad!r}")
    if not _is_utf8(text):
        raise NoteError(f"{what} is not valid UTF-8")


def note_signature(body: str, name: str, private_key: Ed25519PrivateKey) -> NoteSignature:
    """Sign ``body`` with an Ed25519 note key (type 0x01)."""
    _check_text(body, "note text")
    key_id = note_key_id(name, private_key.public_key())
    return NoteSignature(name, key_id, private_key.sign(body.encode("utf-8")))


def format_note(body: str, signatures: Iterable[NoteSignature]) -> str:
    """Join a note text and its signature lines with the separating blank line."""
    _check_text(body, "note text")
    lines = [s.line() for s in signatures]
    if not lines:
        raise NoteError("a signed note needs at least one signature")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"a note may carry at most {MAX_SIGNATURES} signatures")
    return body + "\n" + "".join(lines)


def sign_note(body: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """Return ``body`` signed by one Ed25519 key, as a complete signed note."""
    return format_note(body, [note_signature(body, name, private_key)])


def add_signature(note: str, signature: NoteSignature) -> str:
    """Append a signature line (a co-signer's or a second key's) to a signed note.

    A line already present for the same name and key ID is replaced, so
    re-adding a signature is idempotent. The new signature is not checked
    here: verifying is the reader's job, with keys it trusts.
    """
    body, existing = parse_note(note)
    kept = [s for s in existing if (s.name, s.key_id) != (signature.name, signature.key_id)]
    return format_note(body, [*kept, signature])


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(_SIG_PREFIX):
        raise NoteError(f"signature line does not start with an em dash and a space: {line!r}")
    parts = line[len(_SIG_PREFIX) :].split(" ")
    if len(parts) != 2:
        raise NoteError(f"signature line is not '— <name> <base64>': {line!r}")
    name, encoded = parts
    problem = _name_problem(name)
    if problem is not None:
        raise NoteError(f"signature line key name {name!r} {problem}")
    raw = _b64decode(encoded, f"signature of {name}", NoteError)
    if len(raw) <= _KEY_ID_SIZE:
        raise NoteError(f"signature of {name} is too short ({len(raw)} bytes)")
    return NoteSignature(name, raw[:_KEY_ID_SIZE], raw[_KEY_ID_SIZE:])


def parse_note(text: str) -> tuple[str, list[NoteSignature]]:
    """Split a signed note into its text and its signature lines, verifying nothing."""
    _check_text(text, "signed note")
    split = text.rfind("\n\n")
    if split < 0:
        raise NoteError("signed note has no blank line before its signatures")
    body, block = text[: split + 1], text[split + 2 :]
    if not block:
        raise NoteError("signed note has no signature lines")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"signed note has {len(lines)} signatures, more than {MAX_SIGNATURES}")
    return body, [_parse_signature_line(line) for line in lines]


def verify_note(text: str, verifiers: Mapping[str, Ed25519PublicKey]) -> list[str]:
    """Verify a signed note's Ed25519 signatures; return the names that verified.

    As the spec requires, lines whose (name, key ID) match no known key are
    ignored. A known key's bad signature rejects the whole note, and so does
    a note that no known key signed.
    """
    body, signatures = parse_note(text)
    message = body.encode("utf-8")
    expected = {name: note_key_id(name, key) for name, key in verifiers.items()}
    verified: list[str] = []
    for s in signatures:
        if expected.get(s.name) != s.key_id:
            continue
        try:
            verifiers[s.name].verify(s.sig, message)
        except InvalidSignature:
            raise NoteVerificationError(f"signature of known key {s.name}+{s.key_id.hex()} is bad") from None
        if s.name not in verified:
            verified.append(s.name)
    if not verified:
        raise NoteVerificationError("note carries no valid signature from a known key")
    return verified


def open_checkpoint(text: str, verifiers: Mapping[str, Ed25519PublicKey]) -> tuple[Checkpoint, list[str]]:
    """Verify a signed checkpoint note, then parse its body (verify first, parse after)."""
    names = verify_note(text, verifiers)
    body, _ = parse_note(text)
    return parse_body(body), names


# --------------------------------------------------------------------------
# Verifier keys ("vkeys"): <name>+<hex key ID>+<base64(type || public key)>
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class VerifierKey:
    """A parsed verifier key: who signs, with which signature type and key."""

    name: str
    sig_type: int
    public_key: Ed25519PublicKey

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID signature lines from this key carry."""
        return _key_id(self.name, self.sig_type, self.public_key)


def verifier_key_string(
    name: str, public_key: Ed25519PublicKey | bytes, sig_type: int = SIG_TYPE_ED25519
) -> str:
    """Encode a verifier key, e.g. ``example.org/log+c74f20a3+AR...``.

    Use ``sig_type=SIG_TYPE_COSIGNATURE_V1`` for a witness key, as
    tlog-cosignature allows.
    """
    if sig_type not in (SIG_TYPE_ED25519, SIG_TYPE_COSIGNATURE_V1):
        raise NoteError(f"unsupported signature type 0x{sig_type:02x}")
    raw = _raw_public(public_key)
    return f"{name}+{_key_id(name, sig_type, raw).hex()}+{_b64(bytes([sig_type]) + raw)}"


def parse_verifier_key(vkey: str) -> VerifierKey:
    """Parse a verifier key string, checking its key ID against name and key."""
    if not isinstance(vkey, str):
        raise NoteError(f"verifier key must be a str, got {type(vkey).__name__}")
    parts = vkey.split("+", 2)  # base64 may itself contain '+'
    if len(parts) != 3:
        raise NoteError(f"verifier key is not '<name>+<key id>+<key>': {vkey!r}")
    name, hex_id, encoded = parts
    _check_key_name(name)
    if not _HEX_KEY_ID.fullmatch(hex_id):
        raise NoteError(f"verifier key ID {hex_id!r} is not 8 lowercase hex digits")
    raw = _b64decode(encoded, "verifier key material", NoteError)
    if len(raw) != 33:
        raise NoteError(f"verifier key material is {len(raw)} bytes, expected 1 type byte and 32 key bytes")
    sig_type = raw[0]
    if sig_type not in (SIG_TYPE_ED25519, SIG_TYPE_COSIGNATURE_V1):
        raise NoteError(f"unsupported signature type 0x{sig_type:02x} in verifier key")
    if _key_id(name, sig_type, raw[1:]).hex() != hex_id:
        raise NoteError(f"verifier key ID {hex_id} does not match its name and key")
    try:
        public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    except ValueError as exc:
        raise NoteError(f"verifier key is not an Ed25519 public key: {exc}") from None
    return VerifierKey(name, sig_type, public_key)


# --------------------------------------------------------------------------
# Witness cosignatures (cosignature/v1, Ed25519)
# --------------------------------------------------------------------------


def _check_timestamp(timestamp: int) -> None:
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise NoteError(f"cosignature timestamp must be an int, got {type(timestamp).__name__}")
    if not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise NoteError(f"cosignature timestamp {timestamp} is outside 0..2^63-1")


def cosignature_message(body: str, timestamp: int) -> bytes:
    """The bytes a witness signs: ``"cosignature/v1\\ntime <t>\\n"`` then the checkpoint body."""
    _check_timestamp(timestamp)
    return f"{_COSIGNATURE_HEADER}time {timestamp}\n{body}".encode()


def cosign(body: str, name: str, private_key: Ed25519PrivateKey, timestamp: int) -> NoteSignature:
    """Cosign a checkpoint body as witness ``name`` at ``timestamp`` (POSIX seconds).

    The body must parse as a checkpoint: a witness states it saw *this* tree
    head, so it must never sign text it could not read as one. Checking
    consistency with the last checkpoint it cosigned is the caller's duty.
    """
    _check_text(body, "checkpoint body")
    parse_body(body)
    key_id = cosignature_key_id(name, private_key.public_key())
    sig = private_key.sign(cosignature_message(body, timestamp))
    return NoteSignature(name, key_id, timestamp.to_bytes(_TIMESTAMP_SIZE, "big") + sig)


def cosignature_timestamp(signature: NoteSignature) -> int:
    """Read the timestamp carried by a ``cosignature/v1`` signature (not verified)."""
    if len(signature.sig) != _TIMESTAMP_SIZE + _ED25519_SIG_SIZE:
        raise NoteError(
            f"cosignature of {signature.name} is {len(signature.sig)} bytes, "
            f"expected {_TIMESTAMP_SIZE + _ED25519_SIG_SIZE}"
        )
    timestamp = int.from_bytes(signature.sig[:_TIMESTAMP_SIZE], "big")
    if timestamp > _MAX_TIMESTAMP:
        raise NoteError(f"cosignature timestamp {timestamp} exceeds 2^63-1")
    return timestamp


def verify_cosignature(body: str, signature: NoteSignature, public_key: Ed25519PublicKey) -> int:
    """Verify one witness cosignature over ``body``; return its timestamp."""
    _check_text(body, "checkpoint body")
    if signature.key_id != cosignature_key_id(signature.name, public_key):
        raise NoteVerificationError(
            f"cosignature key ID {signature.key_id.hex()} is not that of witness {signature.name}'s key"
        )
    timestamp = cosignature_timestamp(signature)
    try:
        public_key.verify(signature.sig[_TIMESTAMP_SIZE:], cosignature_message(body, timestamp))
    except InvalidSignature:
        raise NoteVerificationError(f"cosignature of witness {signature.name} is invalid") from None
    return timestamp


def verify_cosignatures(
    note: str, witnesses: Mapping[str, Ed25519PublicKey], quorum: int = 1
) -> dict[str, int]:
    """Verify the witness cosignatures on a signed checkpoint; return name → timestamp.

    Lines from unknown keys (including the log's own signature) are ignored;
    a known witness's bad cosignature rejects the note, and so does having
    fewer than ``quorum`` distinct witnesses. The log's own signature is
    checked separately with :func:`verify_note`.
    """
    body, signatures = parse_note(note)
    expected = {name: cosignature_key_id(name, key) for name, key in witnesses.items()}
    seen: dict[str, int] = {}
    for s in signatures:
        if expected.get(s.name) != s.key_id:
            continue
        timestamp = verify_cosignature(body, s, witnesses[s.name])
        seen[s.name] = max(timestamp, seen.get(s.name, timestamp))
    if len(seen) < quorum:
        raise NoteVerificationError(f"{len(seen)} known witnesses cosigned, {quorum} required")
    return seen
