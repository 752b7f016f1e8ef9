"""Canonical encoding of one audit-log entry (the bytes under each Merkle leaf).

An auditor must be able to recompute every leaf hash from the entries alone,
in any language, so the encoding is fixed here and in ``docs/audit-log.md``:

* a JSON object in the RFC 8785 (JCS) canonical form: UTF-8, members sorted
  by key, no insignificant whitespace, integers as plain decimals;
* members ``v`` (format version, 1), ``time``, ``actor_kind``, ``actor_id``,
  ``officer_pseudonym``, ``action``, ``object_ids`` (array of strings),
  ``outcome``, ``reason`` and ``details`` (object of strings and integers);
  every member is always present, empty strings included;
* ``time`` is UTC with microseconds: ``YYYY-MM-DDTHH:MM:SS.ffffffZ``;
* no string contains a control character, so the only escapes JCS can emit
  are ``\\"`` and ``\\\\``; every other character is written as itself;
* integers lie in ±(2^53 - 1), the range JSON numbers carry exactly.

The leaf hash is ``SHA-256(0x00 || encode())``. :meth:`AuditEntry.decode`
accepts only bytes that :meth:`AuditEntry.encode` would produce, so one
entry has exactly one encoding and one leaf hash.

Entries carry no personal data: people appear only as keyed pseudonyms
(``officer_pseudonym``, ``subject:`` object IDs), and ``details`` holds
non-personal metadata such as purpose, recipients and sizes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any, Final

from hub.core.audit_index import IndexedEntry
from hub.core.members import OFFICER_PSEUDONYM_PATTERN, OFFICER_PSEUDONYM_RULE
from hub.core.merkle import leaf_hash

__all__ = [
    "ACTIONS",
    "ACTOR_KINDS",
    "FORMAT_VERSION",
    "OUTCOMES",
    "AuditEntry",
    "refused_counts",
]

FORMAT_VERSION: Final = 1

ACTOR_KINDS: Final[frozenset[str]] = frozenset({"member", "auditor", "operator", "hub", "anonymous"})
"""Who acted: a member institution, an auditor, an operator, the hub itself, or an unidentified caller."""

ACTIONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "submit": "a member submitted an envelope; the policy decision is the outcome",
        "deliver": "the hub handed an envelope to a recipient",
        "acknowledge": "a recipient acknowledged an envelope with a signed receipt",
        "purge": "the hub deleted a stored ciphertext (acknowledged, expired or consent withdrawn)",
        "deletion.attest": "a recipient attested that it deleted a record",
        "consent.register": "a consent or permission record was registered or updated",
        "consent.withdraw": "a consent record was withdrawn",
        "directory.change": "a member, key status or endpoint in the directory changed",
        "member.admit": "the operator admitted a new member from its signed join request",
        "certificate.renew": "the operator renewed a member's TLS certificate (same identity, overlap)",
        "certificate.revoke": "the operator put a certificate on the directory's trust list",
        "agreement.change": "an agreement, purpose or projection changed",
        "key.publish": "a public key was published",
        "key.rotate": "a signing or encryption key was rotated",
        "key.shred": "a data key was destroyed (crypto-shredding)",
        "audit.query": "an auditor or member read audit entries or proofs",
        "audit.export": "audit entries were exported",
        "audit.cosign": "a witness cosigned a checkpoint of the audit log",
        "auth.refuse": "a caller was refused before any other decision",
        "rights.request": "a data-subject rights request was received or answered",
        "record.rectify": "a record was rectified",
        "lookup.key": "the matching-key issuer started a lookup epoch",
        "lookup.publish": "a member added or removed lookup tokens of the persons it holds",
        "lookup.query": "a member asked which members hold a person (counts and members, never tokens)",
        "request.overdue": "a request passed its deadline unanswered; both members were notified",
        "request.withdraw": "the requester withdrew a request",
    }
)
"""Every action an entry may name, with what it records."""

OUTCOMES: Final[frozenset[str]] = frozenset({"permit", "deny", "ok", "error"})
"""``permit``/``deny`` for policy decisions, ``ok``/``error`` for everything else."""

_MAX_SAFE_INT: Final = 2**53 - 1
_MAX_OBJECT_IDS: Final = 64
_MAX_DETAILS: Final = 32
_MAX_DETAIL_TEXT: Final = 1024

_ACTOR_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}")
_PSEUDONYM = OFFICER_PSEUDONYM_PATTERN
_OBJECT_ID = re.compile(r"[a-z][a-z0-9_.-]{0,31}:[A-Za-z0-9._:@/+=-]{1,256}")
_REASON = re.compile(r"(?:[A-Z][A-Z0-9_]{0,63})?")
_DETAIL_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
_TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})\.([0-9]{6})Z")
_KEYS: Final = frozenset(
    {
        "v",
        "time",
        "actor_kind",
        "actor_id",
        "officer_pseudonym",
        "action",
        "object_ids",
        "outcome",
        "reason",
        "details",
    }
)


def _format_time(t: datetime) -> str:
    date = f"{t.year:04d}-{t.month:02d}-{t.day:02d}"
    return f"{date}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}.{t.microsecond:06d}Z"


# One encoder for every entry: ``json.dumps`` with these options builds a new one per call.
_CANONICAL: Final = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _canonical(obj: dict[str, Any]) -> bytes:
    return _CANONICAL.encode(obj).encode("utf-8")


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _has_control(text: str) -> bool:
    # One regex scan: entries are built for every submission, so this is on the hot path.
    return _CONTROL.search(text) is not None


def _check_str(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a str, got {type(value).__name__}")
    return value


def _match(name: str, pattern: re.Pattern[str], value: object, rule: str) -> str:
    text = _check_str(name, value)
    if not pattern.fullmatch(text):
        raise ValueError(f"{name} {text!r} is invalid: {rule}")
    return text


def _check_detail_value(key: str, value: object) -> str | int:
    if isinstance(value, bool):
        raise ValueError(f"details[{key!r}] must be a str or int, not bool")
    if isinstance(value, int):
        if not -_MAX_SAFE_INT <= value <= _MAX_SAFE_INT:
            raise ValueError(f"details[{key!r}] = {value} is outside ±(2^53-1)")
        return value
    if isinstance(value, str):
        if len(value) > _MAX_DETAIL_TEXT:
            raise ValueError(f"details[{key!r}] is longer than {_MAX_DETAIL_TEXT} characters")
        if _has_control(value):
            raise ValueError(f"details[{key!r}] contains a control character")
        if not value.isascii():  # only non-ASCII text can hold a lone surrogate
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError(f"details[{key!r}] is not encodable as UTF-8") from None
        return value
    raise ValueError(f"details[{key!r}] must be a str or int, got {type(value).__name__}")


_ACTOR_ID_RULE: Final = (
    "1-128 characters of A-Z a-z 0-9 . _ : @ / -, starting with a letter or digit "
    "(empty only for anonymous actors)"
)
_PSEUDONYM_RULE: Final = OFFICER_PSEUDONYM_RULE
_OBJECT_ID_RULE: Final = (
    "expected 'kind:value', kind in a-z 0-9 _ . - (max 32 characters), "
    "value in A-Z a-z 0-9 . _ : @ / + = - (max 256 characters)"
)
_REASON_RULE: Final = "an UPPER_SNAKE_CASE code of at most 64 characters, or empty"


def _check_time(value: object) -> datetime:
    """Require an aware UTC datetime; normalise its tzinfo so equal instants encode equally."""
    if not isinstance(value, datetime):
        raise ValueError(f"time must be a datetime, got {type(value).__name__}")
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("time must be timezone-aware (UTC)")
    if offset != timedelta(0):
        raise ValueError(f"time must be in UTC, got offset {offset}")
    return value.replace(tzinfo=UTC)


def _check_object_ids(value: object) -> tuple[str, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValueError("object_ids must be a sequence of 'kind:value' strings, not a single string")
    ids = tuple(value)
    if len(ids) > _MAX_OBJECT_IDS:
        raise ValueError(f"object_ids has {len(ids)} items, at most {_MAX_OBJECT_IDS} allowed")
    for i, oid in enumerate(ids):
        _match(f"object_ids[{i}]", _OBJECT_ID, oid, _OBJECT_ID_RULE)
    if len(set(ids)) != len(ids):
        raise ValueError("object_ids contains duplicates")
    return ids


def _check_details(value: object) -> Mapping[str, str | int]:
    if not isinstance(value, Mapping):
        raise ValueError(f"details must be a mapping, got {type(value).__name__}")
    if len(value) > _MAX_DETAILS:
        raise ValueError(f"details has {len(value)} keys, at most {_MAX_DETAILS} allowed")
    checked: dict[str, str | int] = {}
    # Plain sort when every key is a str (always, for the hub's own entries); the key function
    # only orders mixed keys so the first bad one is reported the same way every time.
    keys = list(value)
    if not all(type(k) is str for k in keys):
        keys.sort(key=lambda k: (not isinstance(k, str), str(k)))
    else:
        keys.sort()
    for key in keys:
        _match("details key", _DETAIL_KEY, key, "lowercase snake_case of at most 64 characters")
        checked[key] = _check_detail_value(key, value[key])
    return MappingProxyType(checked)


@dataclass(frozen=True)
class AuditEntry:
    """One event in the audit log; validated on construction, immutable after."""

    time: datetime
    actor_kind: str
    actor_id: str
    officer_pseudonym: str
    action: str
    object_ids: tuple[str, ...]
    outcome: str
    reason: str = ""
    details: Mapping[str, str | int] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "time", _check_time(self.time))
        if _check_str("actor_kind", self.actor_kind) not in ACTOR_KINDS:
            raise ValueError(f"actor_kind {self.actor_kind!r} is not one of {sorted(ACTOR_KINDS)}")
        if not (self.actor_kind == "anonymous" and self.actor_id == ""):
            _match("actor_id", _ACTOR_ID, self.actor_id, _ACTOR_ID_RULE)
        _match("officer_pseudonym", _PSEUDONYM, self.officer_pseudonym, _PSEUDONYM_RULE)
        if _check_str("action", self.action) not in ACTIONS:
            raise ValueError(f"action {self.action!r} is not one of {sorted(ACTIONS)}")
        object.__setattr__(self, "object_ids", _check_object_ids(self.object_ids))
        if _check_str("outcome", self.outcome) not in OUTCOMES:
            raise ValueError(f"outcome {self.outcome!r} is not one of {sorted(OUTCOMES)}")
        _match("reason", _REASON, self.reason, _REASON_RULE)
        if self.outcome in ("deny", "error") and not self.reason:
            raise ValueError(f"reason is required when outcome is {self.outcome!r}")
        object.__setattr__(self, "details", _check_details(self.details))

    def __hash__(self) -> int:
        return hash(
            (
                self.time,
                self.actor_kind,
                self.actor_id,
                self.officer_pseudonym,
                self.action,
                self.object_ids,
                self.outcome,
                self.reason,
                tuple(self.details.items()),
            )
        )

    def to_json_object(self) -> dict[str, Any]:
        """The entry as the JSON object that :meth:`encode` serialises."""
        return {
            "v": FORMAT_VERSION,
            "time": _format_time(self.time),
            "actor_kind": self.actor_kind,
            "actor_id": self.actor_id,
            "officer_pseudonym": self.officer_pseudonym,
            "action": self.action,
            "object_ids": list(self.object_ids),
            "outcome": self.outcome,
            "reason": self.reason,
            "details": dict(self.details),
        }

    def encode(self) -> bytes:
        """Canonical JSON bytes (JCS form); the audit log's leaf content, with its index terms."""
        obj = self.to_json_object()
        return IndexedEntry.of(_canonical(obj), obj)

    def leaf_hash(self) -> bytes:
        """RFC 9162 leaf hash of :meth:`encode`: ``SHA-256(0x00 || bytes)``."""
        return leaf_hash(_canonical(self.to_json_object()))

    @classmethod
    def decode(cls, data: bytes | bytearray | memoryview) -> AuditEntry:
        """Parse canonical entry bytes; anything :meth:`encode` would not write is refused."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise ValueError(f"audit entry must be bytes, got {type(data).__name__}")
        raw = bytes(data)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"audit entry is not valid UTF-8: {exc}") from None
        try:
            obj = json.loads(
                text,
                object_pairs_hook=_no_duplicates,
                parse_float=_no_float,
                parse_constant=_no_constant,
            )
        except json.JSONDecodeError as exc:
            raise ValueError(f"audit entry is not valid JSON: {exc}") from None
        if not isinstance(obj, dict):
            raise ValueError("audit entry must be a JSON object")
        missing, extra = _KEYS - obj.keys(), obj.keys() - _KEYS
        if missing:
            raise ValueError(f"audit entry lacks members {sorted(missing)}")
        if extra:
            raise ValueError(f"audit entry has unknown members {sorted(extra)}")
        version = obj["v"]
        if isinstance(version, bool) or version != FORMAT_VERSION:
            raise ValueError(f"audit entry version {version!r} is not supported (expected {FORMAT_VERSION})")
        if not isinstance(obj["object_ids"], list):
            raise ValueError("object_ids must be a JSON array")
        if not isinstance(obj["details"], dict):
            raise ValueError("details must be a JSON object")
        entry = cls(
            time=_parse_time(obj["time"]),
            actor_kind=obj["actor_kind"],
            actor_id=obj["actor_id"],
            officer_pseudonym=obj["officer_pseudonym"],
            action=obj["action"],
            object_ids=tuple(obj["object_ids"]),
            outcome=obj["outcome"],
            reason=obj["reason"],
            details=obj["details"],
        )
        if _canonical(entry.to_json_object()) != raw:
            raise ValueError("audit entry is not canonical (member order, whitespace, escapes or numbers)")
        return entry


def _parse_time(value: object) -> datetime:
    text = _check_str("time", value)
    m = _TIME.fullmatch(text)
    if m is None:
        raise ValueError(f"time {text!r} is not 'YYYY-MM-DDTHH:MM:SS.ffffffZ'")
    year, month, day, hour, minute, second, micro = (int(g) for g in m.groups())
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(f"time {text!r} is not a valid date and time: {exc}") from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"audit entry repeats the member {key!r}")
        out[key] = value
    return out


def _no_float(text: str) -> Any:
    raise ValueError(f"audit entry contains the non-integer number {text}")


def _no_constant(text: str) -> Any:
    raise ValueError(f"audit entry contains {text}, which JSON does not allow")


def refused_counts(details: Mapping[str, object], reason: str) -> dict[str, int]:
    """Items refused per reason in one ``deny`` entry.

    An entry that aggregates the refused items of one call lists them in ``details.by_reason``
    (``NAME=count`` pairs, comma-separated, most frequent first); any other ``deny`` entry counts
    as one item refused for its ``reason``.
    """
    listed = details.get("by_reason")
    if not isinstance(listed, str) or not listed:
        return {reason or "UNSPECIFIED": 1}
    counts: dict[str, int] = {}
    for part in listed.split(","):
        name, _, count = part.partition("=")
        counts[name or "UNSPECIFIED"] = counts.get(name or "UNSPECIFIED", 0) + (
            int(count) if count.isdigit() else 1
        )
    return counts
