"""Blind lookup tokens, record handles and the network's matching key: pure, no I/O, no clock.

A token is ``HMAC-SHA256(matching key of the epoch, domain || fields)``. Equal persons give equal
tokens, so the hub can match tokens without learning whom they describe; it never holds the key,
so it can neither compute a token from a guessed identifier nor reverse one. Fields are joined
with the unit separator ``0x1F`` after normalisation:

* document:    ``"pxhub/v1/lookup/document" 0x00 || issuing country || 0x1F || document type name ||
  0x1F || number`` (number: NFKC, upper case, letters and digits only);
* demographic: ``"pxhub/v1/lookup/demographic" 0x00 || given names || 0x1F || surnames || 0x1F ||
  birth date || 0x1F || sex``. Names are folded (NFD, combining marks dropped, lower case, ``ñ`` as
  ``n``, anything but letters a space), particles (de, del, la, los, y, ...) dropped; the surnames
  are sorted, so the order of the two surnames does not matter. The birth date is ``YYYY-MM-DD``;
  every person also gets a year-only token (``YYYY``), as older records hold the year alone.

``docs/lookup-and-requests.md`` walks through a test vector (``tests/vectors/lookup_v1.json``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import struct
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from hub.core.envelope import EnvelopeError, SignerKey, check_signed, sign_as
from hub.core.envelope.model import HPKE_SUITE, parse_as
from pxhub.v1 import common_pb2, envelope_pb2, inmate_profile_pb2, lookup_pb2

R = envelope_pb2
L = lookup_pb2

MATCHING_KEY_SIZE: Final = 32
TOKEN_SIZE: Final = 32
#: Signatures of matching-key epochs (``SignedMatchingKey``).
DOMAIN_MATCHING_KEY: Final = "pxhub/v1/matching-key"
_COMMITMENT_LABEL: Final = b"pxhub/v1/matching-key-commitment"
_SEAL_LABEL: Final = b"pxhub/v1/matching-key\x00"
_DOCUMENT: Final = b"pxhub/v1/lookup/document\x00"
_DEMOGRAPHIC: Final = b"pxhub/v1/lookup/demographic\x00"
_HANDLE_LABEL: Final = b"pxhub/v1/record-handle\x00"
_SEP: Final = b"\x1f"
_HANDLE: Final = re.compile(r"rh:[0-9a-f]{32}")
_MATCH_REF: Final = re.compile(r"mr:[0-9a-f]{32}")
#: Name particles dropped before comparing (Spanish and Portuguese usage in the region).
PARTICLES: Final = frozenset(
    {"de", "del", "la", "las", "los", "el", "y", "e", "da", "das", "do", "dos", "san", "van", "von"}
)
_SEX_CODES: Final = {
    inmate_profile_pb2.SEX_FEMALE: "F",
    inmate_profile_pb2.SEX_MALE: "M",
    inmate_profile_pb2.SEX_OTHER_LEGAL: "X",
}
#: Largest number of tokens in one Lookup or one PublishTokens call.
MAX_TOKENS_PER_LOOKUP: Final = 1_000
MAX_TOKENS_PER_PUBLISH: Final = 50_000


# --------------------------------------------------------------------------- handles


def record_handle(key: bytes, record_id: str) -> str:
    """The keyed handle of one of a member's records: ``rh:`` + 32 hex of HMAC-SHA256.

    ``key`` is the member's own secret and ``record_id`` its national record (inmate) number, so the
    handle names the record to the member and to nobody else.
    """
    if len(key) < 16:
        raise ValueError("record handle key must be at least 16 bytes")
    if not record_id:
        raise ValueError("record id is empty")
    return "rh:" + hmac.new(key, _HANDLE_LABEL + record_id.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def is_record_handle(text: str) -> bool:
    """True for ``rh:`` and 32 lowercase hex digits: never a national number, a name or a date."""
    return _HANDLE.fullmatch(text) is not None


def is_match_ref(text: str) -> bool:
    """True for a hub-issued match reference, ``mr:`` and 32 lowercase hex digits."""
    return _MATCH_REF.fullmatch(text) is not None


# --------------------------------------------------------------------------- normalisation


def fold(text: str) -> str:
    """Case, accents and punctuation folded: ``"Muñoz-Peña"`` -> ``"munoz pena"``."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    letters = "".join(c if c.isalpha() else " " for c in stripped.casefold())
    return " ".join(letters.split())


def name_words(text: str) -> list[str]:
    """The folded words of a name without particles (``"de la Cruz"`` -> ``["cruz"]``)."""
    return [w for w in fold(text).split() if w not in PARTICLES]


def normalise_document_number(number: str) -> str:
    """NFKC, upper case, letters and digits only (``"1.020.304-5"`` -> ``"10203045"``)."""
    return "".join(c for c in unicodedata.normalize("NFKC", number).upper() if c.isalnum())


def surnames_key(surnames: Iterable[str]) -> str:
    """The surname words of every surname given, sorted: the order of two surnames does not matter."""
    return " ".join(sorted(w for s in surnames for w in name_words(s)))


# --------------------------------------------------------------------------- tokens


def _mac(key: bytes, domain: bytes, fields: Sequence[str]) -> bytes:
    if len(key) != MATCHING_KEY_SIZE:
        raise ValueError(f"the matching key is {MATCHING_KEY_SIZE} bytes, got {len(key)}")
    return hmac.new(key, domain + _SEP.join(f.encode("utf-8") for f in fields), hashlib.sha256).digest()


def document_token(key: bytes, issuing_country: str, document_type: str, number: str) -> bytes:
    """The token of an identity document.

    ``document_type`` is the ``IdDocumentType`` value name without its prefix (``"PE_DNI"``,
    ``"PASSPORT"``); ``issuing_country`` is ISO 3166-1 alpha-2.
    """
    country = issuing_country.strip().upper()
    if re.fullmatch(r"[A-Z]{2}", country) is None:
        raise ValueError(f"issuing country {issuing_country!r} is not ISO 3166-1 alpha-2")
    normalised = normalise_document_number(number)
    if not normalised:
        raise ValueError("document number is empty")
    return _mac(key, _DOCUMENT, (country, document_type, normalised))


def demographic_token(key: bytes, given_names: str, surnames: Iterable[str], birth: str, sex: str) -> bytes:
    """The token of (given names, surnames, birth date ``YYYY-MM-DD`` or year ``YYYY``, sex F/M/X)."""
    given = " ".join(name_words(given_names))
    family = surnames_key(surnames)
    if not given or not family:
        raise ValueError("a demographic token needs given names and a surname")
    if re.fullmatch(r"[0-9]{4}(-[0-9]{2}-[0-9]{2})?", birth) is None:
        raise ValueError(f"birth date {birth!r} is not YYYY-MM-DD or YYYY")
    if sex not in ("F", "M", "X"):
        raise ValueError(f"sex {sex!r} is not F, M or X")
    return _mac(key, _DEMOGRAPHIC, (given, family, birth, sex))


def _document_type_name(value: int) -> str:
    try:
        return common_pb2.IdDocumentType.Name(value).removeprefix("ID_DOCUMENT_TYPE_")  # type: ignore[arg-type]
    except ValueError:
        return str(value)


def _birth_dates(date: common_pb2.PartialDate) -> list[str]:
    if not date.year:
        return []
    found = [f"{date.year:04d}"]
    if date.month and date.day:
        found.insert(0, f"{date.year:04d}-{date.month:02d}-{date.day:02d}")
    return found


@dataclass(frozen=True, slots=True)
class Token:
    """A token and what it was derived from."""

    kind: L.MatchKind.ValueType
    value: bytes


def profile_tokens(key: bytes, profile: inmate_profile_pb2.InmateSecurityProfile) -> list[Token]:
    """Every token of a profile: one per identity document, and the demographic ones.

    Identifiers without a country or number and persons without a name, birth year or sex give no
    token of that kind (never a token of empty fields). Duplicates are given once.
    """
    found: dict[bytes, Token] = {}
    for identifier in profile.identifiers:
        if not identifier.value or not identifier.issuing_country_iso2 or not identifier.type:
            continue
        try:
            value = document_token(
                key, identifier.issuing_country_iso2, _document_type_name(identifier.type), identifier.value
            )
        except ValueError:
            continue
        found.setdefault(value, Token(L.MATCH_KIND_DOCUMENT, value))
    identity = profile.identity
    sex = _SEX_CODES.get(identity.sex)
    surnames = [s for s in (identity.first_surname, identity.second_surname) if s]
    if sex and surnames and identity.given_names:
        for birth in _birth_dates(identity.birth_date):
            try:
                value = demographic_token(key, identity.given_names, surnames, birth, sex)
            except ValueError:
                continue
            found.setdefault(value, Token(L.MATCH_KIND_DEMOGRAPHIC, value))
    return list(found.values())


def check_token(kind: int, value: bytes, where: str) -> None:
    """Refuse a malformed token (LOOKUP_TOKEN_INVALID) naming where it stands."""
    if kind not in (L.MATCH_KIND_DOCUMENT, L.MATCH_KIND_DEMOGRAPHIC):
        raise EnvelopeError(R.REASON_LOOKUP_TOKEN_INVALID, f"{where} has no match kind")
    if len(value) != TOKEN_SIZE:
        raise EnvelopeError(R.REASON_LOOKUP_TOKEN_INVALID, f"{where} is {len(value)} bytes, not {TOKEN_SIZE}")


# --------------------------------------------------------------------------- the matching key


def key_commitment(key: bytes) -> bytes:
    """HMAC-SHA256(key, "pxhub/v1/matching-key-commitment"): proves all copies hold one key."""
    return hmac.new(key, _COMMITMENT_LABEL, hashlib.sha256).digest()


def _seal_info(epoch: int, member_id: str, key_id: str) -> bytes:
    return _SEAL_LABEL + struct.pack(">I", epoch) + member_id.encode() + b"\x00" + key_id.encode()


@dataclass(frozen=True, slots=True)
class MemberKey:
    """A member's current X25519 encryption key, to seal its copy of the matching key to."""

    member_id: str
    key_id: str
    public_key: X25519PublicKey


def seal_matching_key(
    key: bytes, epoch: int, issuer: SignerKey, members: Sequence[MemberKey], now: datetime
) -> L.SignedMatchingKey:
    """A new epoch: ``key`` sealed to each member (the issuer too) and signed by the issuer."""
    if len(key) != MATCHING_KEY_SIZE:
        raise ValueError(f"the matching key is {MATCHING_KEY_SIZE} bytes, got {len(key)}")
    if epoch < 1:
        raise ValueError("epochs start at 1")
    message = L.MatchingKeyEpoch(epoch=epoch, issuer=issuer.member_id, key_commitment=key_commitment(key))
    message.issued_at.FromDatetime(now)
    for member in members:
        enc = HPKE_SUITE.encrypt(
            key, member.public_key, info=_seal_info(epoch, member.member_id, member.key_id)
        )
        message.copies.add(member_id=member.member_id, key_id=member.key_id, enc=enc)
    raw = message.SerializeToString(deterministic=True)
    return L.SignedMatchingKey(epoch=raw, signature=sign_as(DOMAIN_MATCHING_KEY, raw, issuer))


def read_matching_key(
    signed: L.SignedMatchingKey, issuer_key: Ed25519PublicKey | None, issuer: str
) -> L.MatchingKeyEpoch:
    """Check the issuer's signature over the exact bytes, then parse them (MATCHING_KEY_INVALID)."""
    if signed.signature.signer != issuer:
        raise EnvelopeError(
            R.REASON_MATCHING_KEY_INVALID,
            f"matching key is signed by {signed.signature.signer!r}, the policy's issuer is {issuer!r}",
        )
    if issuer_key is None:
        raise EnvelopeError(
            R.REASON_MATCHING_KEY_INVALID, f"no signing key {signed.signature.key_id!r} is known for {issuer}"
        )
    check_signed(
        DOMAIN_MATCHING_KEY,
        signed.epoch,
        signed.signature,
        issuer_key,
        R.REASON_MATCHING_KEY_INVALID,
        "matching key",
    )
    epoch = parse_as(L.MatchingKeyEpoch, signed.epoch, "matching key epoch")
    if epoch.issuer != issuer:
        raise EnvelopeError(
            R.REASON_MATCHING_KEY_INVALID, f"epoch names issuer {epoch.issuer!r}, not {issuer!r}"
        )
    if epoch.epoch < 1 or len(epoch.key_commitment) != 32:
        raise EnvelopeError(R.REASON_MATCHING_KEY_INVALID, "epoch number or key commitment missing")
    return epoch


def open_matching_key(
    epoch: L.MatchingKeyEpoch, member_id: str, key_id: str, private_key: X25519PrivateKey
) -> bytes:
    """The member's copy, opened and checked against the commitment."""
    for copy in epoch.copies:
        if copy.member_id == member_id and copy.key_id == key_id:
            break
    else:
        raise EnvelopeError(
            R.REASON_MATCHING_KEY_INVALID,
            f"epoch {epoch.epoch} holds no copy for {member_id} key {key_id}",
        )
    try:
        key = HPKE_SUITE.decrypt(copy.enc, private_key, info=_seal_info(epoch.epoch, member_id, key_id))
    except Exception as error:  # InvalidTag, or a malformed encapsulation
        raise EnvelopeError(R.REASON_MATCHING_KEY_INVALID, f"cannot open the copy for {member_id}") from error
    if len(key) != MATCHING_KEY_SIZE or not hmac.compare_digest(key_commitment(key), epoch.key_commitment):
        raise EnvelopeError(
            R.REASON_MATCHING_KEY_INVALID, "the opened key does not match the epoch's commitment"
        )
    return key


def missing_copies(epoch: L.MatchingKeyEpoch, members: Iterable[tuple[str, str]]) -> Iterator[str]:
    """Members (id, current encryption key id) that the epoch holds no copy for."""
    held = {(c.member_id, c.key_id) for c in epoch.copies}
    for member_id, key_id in members:
        if (member_id, key_id) not in held:
            yield member_id
