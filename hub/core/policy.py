"""The exchange policy and the one decision the hub takes on every submission.

Pure: no I/O, no clock, no gRPC. The hub, the member SDK and the flows share
it, so the sender's projection, the hub's decision and the recipient's guard
read the same policy the same way.

* :func:`verify_signed_policy` checks the operator's signature over the exact
  policy bytes (``"pxhub/v1/policy" || 0x00 || bytes``) before it parses them,
  then checks the policy is coherent; every refusal is a
  :class:`~hub.core.envelope.EnvelopeError` with one precise reason.
* :func:`decide` is ``(header, approved, policy, consents, now) -> Decision``:
  permit, or deny with a reason and a detail. Deny by default: whatever the
  policy does not permit is refused. The checks run in a fixed order, listed
  in ``docs/policy.md``, so one defect always yields the same reason.
* :func:`project` strips a record to the layers a purpose permits (senders
  call it before sealing); :func:`forbidden_fields` is the recipients' guard.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from hub.core.consent import Consent, is_pseudonym
from hub.core.envelope import EnvelopeError, SignerKey, check_signed, sign_as
from pxhub.v1 import envelope_pb2, options_pb2, policy_pb2, record_pb2

__all__ = [
    "DOMAIN_POLICY",
    "NEVER_BY_DEFAULT",
    "AllowedLayers",
    "Decision",
    "Ending",
    "ExchangePolicy",
    "OperatorKeys",
    "check_policy",
    "country_of",
    "decide",
    "ending_within",
    "forbidden_fields",
    "layer_name",
    "policy_from_json",
    "policy_in_force",
    "project",
    "sign_policy",
    "verify_signed_policy",
]

R = envelope_pb2
S = options_pb2

#: Signature domain of a policy (operator's Ed25519 key over the serialised Policy).
DOMAIN_POLICY: Final = "pxhub/v1/policy"
#: Layers no default policy lets travel (domain model §2.5); SOURCE_PROTECTION never leaves the originator.
NEVER_BY_DEFAULT: Final = frozenset({S.SENSITIVITY_SPECIAL_CATEGORY, S.SENSITIVITY_SOURCE_PROTECTION})
_NONE: Final = S.SENSITIVITY_NONE
#: Record kinds that travel only between the two members of a request, for a purpose that permits
#: lookups (the policy need not list them among the purpose's payload kinds).
REQUEST_KINDS: Final = frozenset({R.PAYLOAD_KIND_FILE_REQUEST, R.PAYLOAD_KIND_REQUEST_REFUSAL})

#: (operator id, key id) -> the operator's Ed25519 public key, or None when unknown / not an operator.
OperatorKeys = Callable[[str, str], Ed25519PublicKey | None]


def _name(enum: object, value: int, prefix: str) -> str:
    try:
        return str(enum.Name(value)).removeprefix(prefix)  # type: ignore[attr-defined]
    except ValueError:
        return str(value)


def layer_name(layer: int) -> str:
    return _name(S.Sensitivity, layer, "SENSITIVITY_")


def _purpose_name(purpose: int) -> str:
    return _name(R.Purpose, purpose, "PURPOSE_")


def _basis_name(basis: int) -> str:
    return _name(R.LegalBasis, basis, "LEGAL_BASIS_")


def _kind_name(kind: int) -> str:
    return _name(R.PayloadKind, kind, "PAYLOAD_KIND_")


def _layers(layers: Iterable[int]) -> str:
    return ", ".join(layer_name(layer) for layer in sorted(layers)) or "none"


def country_of(member_id: str) -> str:
    """ISO 3166-1 alpha-2 of a member: the prefix of its id (``CO-INPEC`` -> ``CO``)."""
    return member_id.partition("-")[0]


def _at(stamp: object) -> datetime:
    return stamp.ToDatetime(UTC)  # type: ignore[attr-defined, no-any-return]


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True, slots=True)
class AllowedLayers:
    """What may travel for one purpose: whole layers, and layers allowed only through some fields."""

    full: frozenset[int]
    partial: Mapping[int, tuple[str, ...]] = field(default_factory=dict)

    def permits(self, layer: int) -> bool:
        """Whether a header may declare ``layer`` (a partial layer counts: the hub cannot see fields)."""
        return layer in self.full or layer in self.partial

    @property
    def layers(self) -> frozenset[int]:
        return self.full | frozenset(self.partial)


#: Most (exporter, importer, purpose, basis, categories) keys one policy version caches.
_PAIR_CACHE_LIMIT: Final = 4096


@dataclass(frozen=True, slots=True)
class DatedAgreement:
    """An agreement of the policy with its period as datetimes (converted once per version)."""

    agreement: policy_pb2.Agreement
    valid_from: datetime
    valid_until: datetime

    def in_force(self, now: datetime) -> bool:
        return self.valid_from <= now <= self.valid_until


@dataclass(frozen=True)
class ExchangePolicy:
    """A verified policy: the exact signed bytes, the signature and the parsed, indexed message."""

    message: policy_pb2.Policy
    raw: bytes = b""
    signature: envelope_pb2.Signature = field(default_factory=envelope_pb2.Signature)

    def __post_init__(self) -> None:
        # Indexes and the dates as datetimes, built once per version: the gate reads them per record.
        # A new version is a new object, so nothing cached here outlives the policy it came from.
        message = self.message
        object.__setattr__(self, "_purposes", {p.purpose: p for p in message.purposes})
        object.__setattr__(self, "_rules", {r.country_iso2: r for r in message.transfer_rules})
        object.__setattr__(self, "_period", (_at(message.valid_from), _at(message.valid_until)))
        object.__setattr__(
            self,
            "_dated",
            [DatedAgreement(g, _at(g.valid_from), _at(g.valid_until)) for g in message.agreements],
        )
        object.__setattr__(self, "_pairs", {})
        object.__setattr__(self, "_allowed", {})
        object.__setattr__(self, "_pair_rules", {})

    @property
    def version(self) -> int:
        return self.message.version

    @property
    def sha256(self) -> bytes:
        return hashlib.sha256(self.raw).digest()

    def signed(self) -> policy_pb2.SignedPolicy:
        return policy_pb2.SignedPolicy(policy=self.raw, signature=self.signature)

    def purpose(self, purpose: int) -> policy_pb2.PurposeRule | None:
        return self._purposes.get(purpose)  # type: ignore[attr-defined, no-any-return]

    def transfer_rule(self, country: str) -> policy_pb2.TransferRule | None:
        return self._rules.get(country)  # type: ignore[attr-defined, no-any-return]

    @property
    def period(self) -> tuple[datetime, datetime]:
        """The policy document's own ``valid_from`` and ``valid_until``."""
        return self._period  # type: ignore[attr-defined, no-any-return]

    def allowed_layers(self, purpose: int) -> AllowedLayers | None:
        """The layers ``purpose`` permits, or None for a purpose the policy does not define."""
        cache: dict[int, AllowedLayers | None] = self._allowed  # type: ignore[attr-defined]
        if purpose in cache:
            return cache[purpose]
        rule = self.purpose(purpose)
        allowed = (
            None
            if rule is None
            else AllowedLayers(
                full=frozenset(rule.layers),
                partial={p.layer: tuple(p.fields) for p in rule.partial_layers},
            )
        )
        cache[purpose] = allowed
        return allowed

    def requestable_layers(self, purpose: int) -> frozenset[int]:
        """What a REQUEST for ``purpose`` may ask: the layers sent, partly sent, and pull-only."""
        rule = self.purpose(purpose)
        if rule is None:
            return frozenset()
        return frozenset(rule.layers) | {p.layer for p in rule.partial_layers} | frozenset(rule.pull_layers)

    def response_layers(self, purpose: int, requested: Iterable[int]) -> AllowedLayers | None:
        """What a RESPONSE to a request for ``requested`` may carry: those layers the purpose lets
        travel (pull-only ones included), and NONE."""
        rule = self.purpose(purpose)
        if rule is None:
            return None
        asked = frozenset(requested) | {_NONE}
        return AllowedLayers(
            full=(frozenset(rule.layers) | frozenset(rule.pull_layers)) & asked,
            partial={p.layer: tuple(p.fields) for p in rule.partial_layers if p.layer in asked},
        )

    def agreements_between(self, a: str, b: str) -> list[policy_pb2.Agreement]:
        return [d.agreement for d in self.dated_between(a, b)]

    def dated_between(self, a: str, b: str) -> tuple[DatedAgreement, ...]:
        """The agreements both countries are parties to, in policy order, with their periods."""
        pairs: dict[tuple[str, str], tuple[DatedAgreement, ...]] = self._pairs  # type: ignore[attr-defined]
        found = pairs.get((a, b))
        if found is None:
            dated: list[DatedAgreement] = self._dated  # type: ignore[attr-defined]
            found = tuple(d for d in dated if a in d.agreement.parties and b in d.agreement.parties)
            pairs[(a, b)] = found
        return found

    def pair_rules(
        self, exporter: str, importer: str, purpose: int, basis: int, categories: frozenset[int]
    ) -> tuple[tuple[DatedAgreement, ...], tuple[DatedAgreement, ...]]:
        """(agreements for ``purpose`` under ``basis``, those of them covering ``categories``),
        cached per key for this version: only the check against ``now`` is left per record."""
        key = (exporter, importer, purpose, basis, categories)
        cache: dict[object, tuple[tuple[DatedAgreement, ...], tuple[DatedAgreement, ...]]]
        cache = self._pair_rules  # type: ignore[attr-defined]
        found = cache.get(key)
        if found is None:
            candidates = tuple(
                d
                for d in self.dated_between(exporter, importer)
                if purpose in d.agreement.purposes and basis in d.agreement.legal_bases
            )
            covering = tuple(d for d in candidates if categories <= set(d.agreement.data_categories))
            found = (candidates, covering)
            if len(cache) < _PAIR_CACHE_LIMIT:  # keys come from signed headers: keep the cache bounded
                cache[key] = found
        return found

    def partners(
        self, member_id: str, purpose: int, basis: int, members: Iterable[str], now: datetime
    ) -> list[str]:
        """Members with whose country an agreement in force covers ``purpose`` under ``basis``."""
        return [
            other
            for other in members
            if other != member_id and self.agreement_for(member_id, other, purpose, basis, now) is not None
        ]

    def agreement_for(
        self, member_id: str, partner: str, purpose: int, basis: int, now: datetime
    ) -> policy_pb2.Agreement | None:
        for dated in self.dated_between(country_of(member_id), country_of(partner)):
            agreement = dated.agreement
            if purpose in agreement.purposes and basis in agreement.legal_bases and dated.in_force(now):
                return agreement
        return None


# --------------------------------------------------------------------------- parse, check, sign


def _bad(detail: str) -> EnvelopeError:
    return EnvelopeError(R.REASON_MALFORMED, f"policy: {detail}")


def _check_period(dated: policy_pb2.Policy | policy_pb2.Agreement, label: str) -> None:
    if not dated.HasField("valid_from") or not dated.HasField("valid_until"):
        raise _bad(f"{label} needs valid_from and valid_until")
    if _at(dated.valid_until) <= _at(dated.valid_from):
        raise _bad(f"{label} ends before it starts")


def check_policy(message: policy_pb2.Policy) -> None:  # noqa: PLR0912 - one check per rule
    """Refuse an incoherent policy (MALFORMED, naming the defect); a coherent one passes silently."""
    if message.version < 1:
        raise _bad("version must be 1 or more")
    if not message.issuer:
        raise _bad("issuer is empty")
    _check_period(message, "the policy")
    seen: set[int] = set()
    for rule in message.purposes:
        name = _purpose_name(rule.purpose)
        if rule.purpose == R.PURPOSE_UNSPECIFIED:
            raise _bad("a purpose rule has purpose UNSPECIFIED")
        if rule.purpose in seen:
            raise _bad(f"purpose {name} is defined twice")
        seen.add(rule.purpose)
        if not rule.payload_kinds or not rule.legal_bases:
            raise _bad(f"purpose {name} lists no payload kinds or no legal bases")
        layers = list(rule.layers) + [p.layer for p in rule.partial_layers]
        if S.SENSITIVITY_SOURCE_PROTECTION in layers:
            raise _bad(f"purpose {name} lets SOURCE_PROTECTION travel; it never leaves the originator")
        if len(set(layers)) != len(layers):
            raise _bad(f"purpose {name} lists a layer twice (whole and partial)")
        for partial in rule.partial_layers:
            if not partial.fields:
                raise _bad(f"purpose {name} allows {layer_name(partial.layer)} partially through no field")
        if S.SENSITIVITY_SOURCE_PROTECTION in rule.pull_layers:
            raise _bad(
                f"purpose {name} lets SOURCE_PROTECTION travel on request; it never leaves the originator"
            )
        if set(rule.pull_layers) & set(layers):
            raise _bad(f"purpose {name} lists a layer both as sent and as pull-only")
        if rule.pull_layers and not rule.lookup_permitted:
            raise _bad(f"purpose {name} has pull-only layers but permits no lookup, so no request")
    ids: set[str] = set()
    for agreement in message.agreements:
        label = agreement.agreement_id or "(no id)"
        if not agreement.agreement_id or agreement.agreement_id in ids:
            raise _bad(f"agreement id {label!r} is empty or used twice")
        ids.add(agreement.agreement_id)
        if len(agreement.parties) < 2 or not all(
            len(p) == 2 and p.isascii() and p.isupper() for p in agreement.parties
        ):
            raise _bad(f"agreement {label} needs two or more ISO 3166-1 alpha-2 parties")
        if not agreement.purposes or not agreement.legal_bases:
            raise _bad(f"agreement {label} lists no purposes or no legal bases")
        _check_period(agreement, f"agreement {label}")
        if S.SENSITIVITY_SOURCE_PROTECTION in agreement.data_categories:
            raise _bad(f"agreement {label} covers SOURCE_PROTECTION")
    for agreement in message.agreements:
        for field_name in ("reply_within_ordinary", "reply_within_urgent"):
            if agreement.HasField(field_name) and getattr(agreement, field_name).ToTimedelta() <= timedelta(
                0
            ):
                raise _bad(f"agreement {agreement.agreement_id}: {field_name} must be positive")
    countries: set[str] = set()
    for transfer in message.transfer_rules:
        if len(transfer.country_iso2) != 2 or transfer.country_iso2 in countries:
            raise _bad(f"transfer rule country {transfer.country_iso2!r} is not ISO alpha-2 or is repeated")
        countries.add(transfer.country_iso2)


def verify_signed_policy(signed: policy_pb2.SignedPolicy, operator_keys: OperatorKeys) -> ExchangePolicy:
    """Check the operator's signature over the exact bytes, then parse and check the policy.

    Reasons: SIGNATURE_MISSING (no signature), UNKNOWN_SIGNING_KEY (the signer is
    not an operator with that key), POLICY_SIGNATURE_INVALID (the signature does
    not verify), MALFORMED (bytes do not parse, the issuer is not the signer, or
    the policy is incoherent).
    """
    signature = signed.signature
    if not signed.HasField("signature") or not signature.value:
        raise EnvelopeError(R.REASON_SIGNATURE_MISSING, "policy carries no operator signature")
    if not signed.policy:
        raise _bad("policy bytes are empty")
    public_key = operator_keys(signature.signer, signature.key_id)
    if public_key is None:
        raise EnvelopeError(
            R.REASON_UNKNOWN_SIGNING_KEY,
            f"{signature.signer[:40]!r} key {signature.key_id[:80]!r} is not an operator signing key",
        )
    check_signed(
        DOMAIN_POLICY, signed.policy, signature, public_key, R.REASON_POLICY_SIGNATURE_INVALID, "policy"
    )
    try:
        message = policy_pb2.Policy.FromString(signed.policy)
    except Exception as error:  # the parser's failure modes are not a stable API
        raise _bad("bytes do not parse as pxhub.v1.Policy") from error
    if message.issuer != signature.signer:
        raise _bad(f"issuer {message.issuer!r} is not the signer {signature.signer!r}")
    check_policy(message)
    return ExchangePolicy(message, signed.policy, signature)


def sign_policy(message: policy_pb2.Policy, operator: SignerKey) -> ExchangePolicy:
    """Check, serialise once and sign those exact bytes as ``operator``."""
    check_policy(message)
    if message.issuer != operator.member_id:
        raise ValueError(
            f"policy issuer {message.issuer!r} is not the signing operator {operator.member_id!r}"
        )
    raw = message.SerializeToString()
    return ExchangePolicy(policy_pb2.Policy.FromString(raw), raw, sign_as(DOMAIN_POLICY, raw, operator))


#: A date written relative to the instant a policy is issued: ``issued``, ``issued+1095d``, ``issued-1d``.
_RELATIVE_DATE: Final = re.compile(r"issued(?:([+-])(\d{1,6})d)?")
_DATED_FIELDS: Final = ("valid_from", "valid_until")


def _dated_objects(data: dict[str, object]) -> Iterator[tuple[str, dict[str, object]]]:
    yield "policy", data
    agreements = data.get("agreements")
    if isinstance(agreements, list):
        for index, agreement in enumerate(agreements):
            if isinstance(agreement, dict):
                yield f"agreements[{index}]", agreement


def policy_from_json(text: str, issued: datetime | None = None) -> policy_pb2.Policy:
    """Parse the protobuf JSON form of a Policy (enum names, RFC 3339 times); unknown keys fail.

    A ``valid_from`` / ``valid_until`` may instead be written relative to the instant the policy
    is issued (``"issued+1095d"``), so a policy file has no date that a clock can run past: the
    dates are fixed against ``issued``, which also becomes ``issued_at``. Without ``issued`` a
    relative date is a ParseError naming the field.
    """
    try:
        data = json.loads(text)
    except ValueError as error:
        raise json_format.ParseError(f"not JSON: {error}") from None
    if not isinstance(data, dict):
        raise json_format.ParseError("a policy is a JSON object")
    at = issued.astimezone(UTC).replace(microsecond=0) if issued is not None else None
    for where, holder in _dated_objects(data):
        for name in _DATED_FIELDS:
            value = holder.get(name)
            relative = _RELATIVE_DATE.fullmatch(value) if isinstance(value, str) else None
            if relative is None:
                continue
            if at is None:
                raise json_format.ParseError(
                    f"{where}.{name} {value!r} is relative to an issue time; none given"
                )
            days = int(relative.group(2) or 0) * (-1 if relative.group(1) == "-" else 1)
            holder[name] = (at + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    message = json_format.ParseDict(data, policy_pb2.Policy())
    if at is not None:
        message.issued_at.FromDatetime(at)
    return message


# --------------------------------------------------------------------------- the decision


@dataclass(frozen=True, slots=True)
class Decision:
    """Permit, or deny with a ``pxhub.v1.Reason`` and a detail fit for a receipt and the audit log."""

    permit: bool
    reason: int = 0
    detail: str = ""
    #: Agreements (or the consent) the permit rests on.
    grounds: tuple[str, ...] = ()

    def raise_if_denied(self) -> None:
        if not self.permit:
            raise EnvelopeError(self.reason, self.detail)  # type: ignore[arg-type]


def _deny(reason: int, detail: str) -> Decision:
    return Decision(False, reason, detail)


def policy_in_force(policy: ExchangePolicy, now: datetime) -> Decision:
    """Permit while ``now`` is within the policy document's own period; else POLICY_NOT_IN_FORCE."""
    starts, ends = policy.period
    if now < starts:
        return _deny(R.REASON_POLICY_NOT_IN_FORCE, f"policy v{policy.version} starts on {starts.isoformat()}")
    if now > ends:
        return _deny(R.REASON_POLICY_NOT_IN_FORCE, f"policy v{policy.version} expired on {ends.isoformat()}")
    return Decision(True)


@dataclass(frozen=True, slots=True)
class Ending:
    """The policy document or one agreement, and when it stops permitting."""

    what: str  # "policy" or "agreement"
    name: str  # "v3" or the agreement id
    until: datetime

    def days_left(self, now: datetime) -> int:
        return (self.until - now).days


def ending_within(policy: ExchangePolicy, now: datetime, within: timedelta) -> list[Ending]:
    """The policy and the agreements that end within ``within`` of ``now`` (or have ended), soonest first:
    what the hub logs and ``pxhub policy show`` marks, so a renewal is signed before the lapse."""
    ends = [Ending("policy", f"v{policy.version}", _at(policy.message.valid_until))]
    ends += [Ending("agreement", g.agreement_id, _at(g.valid_until)) for g in policy.message.agreements]
    return sorted((e for e in ends if e.until - now < within), key=lambda e: (e.until, e.what, e.name))


def _transfer_permitted(rule: policy_pb2.TransferRule, importer: str, basis: int, purpose: int) -> bool:
    return (
        importer in rule.adequate_countries
        or basis in rule.exception_bases
        or purpose in rule.exception_purposes
    )


def _consent_check(  # noqa: PLR0911 - one reason per check, in the documented order
    metadata: envelope_pb2.RecordMetadata, consent: Consent | None, categories: frozenset[int], now: datetime
) -> Decision | None:
    ref = metadata.consent_ref
    if consent is None:
        return _deny(R.REASON_CONSENT_MISSING, f"consent_ref {ref[:64]!r} names no registered consent")
    record = consent.record
    sender = metadata.sender.member_id
    if record.controller != sender:
        return _deny(
            R.REASON_CONSENT_CONTROLLER_MISMATCH,
            f"consent {ref} belongs to controller {record.controller}, not to the sender {sender}",
        )
    if not metadata.subject_pseudonym or metadata.subject_pseudonym != record.subject_pseudonym:
        return _deny(
            R.REASON_CONSENT_SUBJECT_MISMATCH,
            f"header subject pseudonym is not the subject of consent {ref}",
        )
    if not consent.in_force(now):
        return _deny(R.REASON_CONSENT_NOT_IN_FORCE, f"consent {ref} is {consent.describe_state(now)}")
    if metadata.purpose not in record.purposes:
        return _deny(
            R.REASON_CONSENT_SCOPE,
            f"consent {ref} does not cover purpose {_purpose_name(metadata.purpose)}",
        )
    outside = sorted({r.member_id for r in metadata.recipients} - set(record.recipients))
    if outside:
        return _deny(R.REASON_CONSENT_SCOPE, f"consent {ref} does not name recipient(s) {', '.join(outside)}")
    uncovered = categories - set(record.data_categories)
    if uncovered:
        return _deny(
            R.REASON_CONSENT_SCOPE, f"consent {ref} does not cover data categories {_layers(uncovered)}"
        )
    return None


def pair_agreement(
    policy: ExchangePolicy,
    exporter_member: str,
    importer_member: str,
    purpose: int,
    basis: int,
    categories: frozenset[int],
    now: datetime,
) -> Decision:
    """Permit (the agreement in force as its ground) or deny NO_AGREEMENT for one pair of members."""
    exporter = country_of(exporter_member)
    importer = country_of(importer_member)
    candidates, covering = policy.pair_rules(exporter, importer, purpose, basis, categories)
    for dated in covering:
        if dated.in_force(now):
            return Decision(True, 0, "", (dated.agreement.agreement_id,))
    pair = f"{exporter}-{importer}"
    what = f"{_purpose_name(purpose)} under {_basis_name(basis)}"
    if covering:
        first = covering[0]
        expired = now > first.valid_until
        when = "expired on" if expired else "starts on"
        edge = first.valid_until if expired else first.valid_from
        detail = f"agreement {first.agreement.agreement_id} ({pair}) {when} {edge.date().isoformat()}"
    elif candidates:
        missing = categories - set(candidates[0].agreement.data_categories)
        detail = (
            f"agreement {candidates[0].agreement.agreement_id} ({pair}) does not cover {_layers(missing)}"
        )
    else:
        detail = f"no agreement between {pair} covers {what}"
    return _deny(R.REASON_NO_AGREEMENT, detail)


def _agreement_check(
    policy: ExchangePolicy, metadata: envelope_pb2.RecordMetadata, categories: frozenset[int], now: datetime
) -> tuple[Decision | None, tuple[str, ...]]:
    grounds: list[str] = []
    for party in metadata.recipients:
        found = pair_agreement(
            policy,
            metadata.sender.member_id,
            party.member_id,
            metadata.purpose,
            metadata.legal_basis,
            categories,
            now,
        )
        if not found.permit:
            return found, ()
        grounds.extend(found.grounds)
    return None, tuple(dict.fromkeys(grounds))


def transfer_decision(
    policy: ExchangePolicy, exporter_member: str, importer_member: str, purpose: int, basis: int
) -> Decision:
    """The exporting country's rule for personal data to one importer (TRANSFER_NOT_PERMITTED)."""
    exporter = country_of(exporter_member)
    importer = country_of(importer_member)
    transfer = policy.transfer_rule(exporter)
    if transfer is None:
        return _deny(
            R.REASON_TRANSFER_NOT_PERMITTED,
            f"policy v{policy.version} has no transfer rule for exporter {exporter}",
        )
    if not _transfer_permitted(transfer, importer, basis, purpose):
        return _deny(
            R.REASON_TRANSFER_NOT_PERMITTED,
            f"{transfer.law} does not let {exporter} send personal data to {importer} "
            f"for {_purpose_name(purpose)} under {_basis_name(basis)}",
        )
    return Decision(True)


def decide(  # noqa: PLR0911, PLR0912 - one reason per check, in the documented order
    metadata: envelope_pb2.RecordMetadata,
    approved: bool,
    policy: ExchangePolicy | None,
    consents: Mapping[str, Consent],
    now: datetime,
    *,
    pull_layers_asked: frozenset[int] = frozenset(),
) -> Decision:
    """Permit or deny one verified header; deny by default.

    ``pull_layers_asked`` are the layers the REQUEST this envelope answers asked for (given by the
    caller only for a RESPONSE to an open request): the purpose's pull-only layers among them may
    travel; in any other envelope a pull-only layer is LAYER_NOT_PERMITTED. FILE_REQUEST and
    REQUEST_REFUSAL records travel for a purpose that permits lookups (LOOKUP_NOT_PERMITTED),
    whatever its payload kinds. A layer of ``four_eyes_layers`` needs an approver signature, as a
    classification at ``four_eyes_from`` or above does.

    Order of checks (each failure has its own reason): a policy is in force
    (POLICY_UNAVAILABLE) and ``now`` is within its own period (POLICY_NOT_IN_FORCE);
    the purpose is defined (PURPOSE_UNKNOWN); the payload kind may travel for it
    (KIND_NOT_PERMITTED); the legal basis is admissible for it
    (LEGAL_BASIS_NOT_PERMITTED); every declared layer is permitted, and none
    but NONE under NOT_PERSONAL_DATA (LAYER_NOT_PERMITTED); the subject
    pseudonym, when given, is a keyed pseudonym (SUBJECT_PSEUDONYM_INVALID);
    four eyes for the classification (APPROVER_SIGNATURE_MISSING); then under
    CONSENT the consent (CONSENT_MISSING, CONSENT_CONTROLLER_MISMATCH,
    CONSENT_SUBJECT_MISMATCH, CONSENT_NOT_IN_FORCE, CONSENT_SCOPE), under any
    other basis an agreement in force per recipient country (NO_AGREEMENT);
    finally, for personal data, the exporting country's transfer rule per
    importer (TRANSFER_NOT_PERMITTED).
    """
    if policy is None:
        return _deny(R.REASON_POLICY_UNAVAILABLE, "no signed policy is in force at the hub")
    in_force = policy_in_force(policy, now)
    if not in_force.permit:
        return in_force
    rule = policy.purpose(metadata.purpose)
    purpose = _purpose_name(metadata.purpose)
    if rule is None:
        return _deny(
            R.REASON_PURPOSE_UNKNOWN, f"purpose {purpose} is not defined by policy v{policy.version}"
        )
    if metadata.payload_kind in REQUEST_KINDS:
        if not rule.lookup_permitted:
            return _deny(
                R.REASON_LOOKUP_NOT_PERMITTED,
                f"purpose {purpose} permits no lookup, so no request or refusal",
            )
    elif metadata.payload_kind not in rule.payload_kinds:
        return _deny(
            R.REASON_KIND_NOT_PERMITTED,
            f"{_kind_name(metadata.payload_kind)} may not travel for purpose {purpose}",
        )
    basis = metadata.legal_basis
    if basis not in rule.legal_bases:
        return _deny(
            R.REASON_LEGAL_BASIS_NOT_PERMITTED,
            f"legal basis {_basis_name(basis)} is not admissible for purpose {purpose}",
        )
    allowed = policy.allowed_layers(metadata.purpose)
    assert allowed is not None  # the rule exists
    declared = frozenset(metadata.layers)
    pulled = frozenset(rule.pull_layers) & pull_layers_asked
    forbidden = {layer for layer in declared if not allowed.permits(layer) and layer not in pulled}
    if basis == R.LEGAL_BASIS_NOT_PERSONAL_DATA:
        forbidden |= declared - {_NONE}
    if forbidden:
        return _deny(
            R.REASON_LAYER_NOT_PERMITTED,
            f"purpose {purpose} under {_basis_name(basis)} does not permit layer(s) {_layers(forbidden)}",
        )
    if metadata.subject_pseudonym and not is_pseudonym(metadata.subject_pseudonym):
        return _deny(
            R.REASON_SUBJECT_PSEUDONYM_INVALID,
            "subject_pseudonym is not a keyed pseudonym (psn:<ISO2>:<32 hex>); never send a national id",
        )
    threshold = policy.message.four_eyes_from
    if threshold and metadata.handling.classification >= threshold and not approved:
        level = _name(R.Classification, metadata.handling.classification, "CLASSIFICATION_")
        return _deny(
            R.REASON_APPROVER_SIGNATURE_MISSING,
            f"a {level} record needs an approver signature of {metadata.sender.member_id}",
        )
    needs_approval = declared & frozenset(policy.message.four_eyes_layers)
    if needs_approval and not approved:
        return _deny(
            R.REASON_APPROVER_SIGNATURE_MISSING,
            f"a record holding {_layers(needs_approval)} needs an approver signature of "
            f"{metadata.sender.member_id}",
        )
    categories = declared - {_NONE}
    grounds: tuple[str, ...]
    if basis == R.LEGAL_BASIS_CONSENT:
        if not metadata.consent_ref:
            return _deny(R.REASON_CONSENT_MISSING, "legal basis CONSENT needs a consent_ref")
        denied = _consent_check(metadata, consents.get(metadata.consent_ref), categories, now)
        if denied is not None:
            return denied
        grounds = (f"consent:{metadata.consent_ref}",)
    else:
        denied, grounds = _agreement_check(policy, metadata, categories, now)
        if denied is not None:
            return denied
    if categories:
        for party in metadata.recipients:
            transfer = transfer_decision(
                policy, metadata.sender.member_id, party.member_id, metadata.purpose, basis
            )
            if not transfer.permit:
                return transfer
    return Decision(True, 0, "", grounds)


def lookup_scope(policy: ExchangePolicy | None, purpose: int, basis: int) -> Decision:
    """Whether a lookup for ``purpose`` under ``basis`` may be asked at all (a refusal of the call)."""
    if policy is None:
        return _deny(R.REASON_POLICY_UNAVAILABLE, "no signed policy is in force at the hub")
    rule = policy.purpose(purpose)
    if rule is None:
        return _deny(
            R.REASON_PURPOSE_UNKNOWN,
            f"purpose {_purpose_name(purpose)} is not defined by policy v{policy.version}",
        )
    if not rule.lookup_permitted:
        return _deny(R.REASON_LOOKUP_NOT_PERMITTED, f"purpose {_purpose_name(purpose)} permits no lookup")
    if basis not in rule.legal_bases or basis in (R.LEGAL_BASIS_CONSENT, R.LEGAL_BASIS_NOT_PERSONAL_DATA):
        return _deny(
            R.REASON_LEGAL_BASIS_NOT_PERMITTED,
            f"legal basis {_basis_name(basis)} is not admissible for a lookup for {_purpose_name(purpose)}",
        )
    return Decision(True)


#: What a hit discloses: that the holder keeps a record identifying the person.
LOOKUP_CATEGORIES: Final = frozenset({S.SENSITIVITY_IDENTIFIER})


def lookup_decision(
    policy: ExchangePolicy, asker: str, holder: str, purpose: int, basis: int, now: datetime
) -> Decision:
    """Whether ``holder`` answers ``asker``'s lookup: an agreement in force between their countries
    covering the purpose, the basis and identifiers, and the holder's transfer rule (a hit tells the
    asker that the holder keeps a record of the person: the holder is the exporter)."""
    in_force = policy_in_force(policy, now)
    if not in_force.permit:
        return in_force
    agreement = pair_agreement(policy, holder, asker, purpose, basis, LOOKUP_CATEGORIES, now)
    if not agreement.permit:
        return agreement
    transfer = transfer_decision(policy, holder, asker, purpose, basis)
    return transfer if not transfer.permit else agreement


# --------------------------------------------------------------------------- minimisation


_TIERS: dict[FieldDescriptor, tuple[int, bool]] = {}


def _tier(field_descriptor: FieldDescriptor) -> tuple[int, bool]:
    """(explicit sensitivity tier or 0, pull_only) of a field, read once per descriptor."""
    found = _TIERS.get(field_descriptor)
    if found is None:
        options = field_descriptor.GetOptions()
        found = (int(options.Extensions[S.sensitivity]), bool(options.Extensions[S.pull_only]))
        _TIERS[field_descriptor] = found
    return found


def _walk(  # noqa: PLR0912 - one pass: drop, keep or descend
    message: Message,
    inherited: int,
    path: str,
    allowed: AllowedLayers,
    granted: frozenset[int],
    strip: bool,
    keep_pull_only: bool,
    out: list[str],
) -> None:
    """Visit set fields; record (and with ``strip`` clear) every field the allowed layers exclude."""
    for fd, value in message.ListFields():
        own, pull_only = _tier(fd)
        tier = own or inherited
        here = path + fd.name
        below = granted
        if strip and pull_only and not keep_pull_only:
            message.ClearField(fd.name)
            continue
        if tier and tier not in allowed.full and tier not in granted:
            paths = allowed.partial.get(tier)
            if paths is not None and here in paths:
                below = granted | {tier}
            elif paths is None or not any(p.startswith(here + ".") for p in paths):
                out.append(here)
                if strip:
                    message.ClearField(fd.name)
                continue
        if fd.cpp_type != FieldDescriptor.CPPTYPE_MESSAGE:
            continue
        if fd.is_repeated:
            kept = []
            for item in value:
                had = bool(item.ListFields())
                _walk(item, tier, here + ".", allowed, below, strip, keep_pull_only, out)
                if not strip or item.ListFields() or not had:
                    kept.append(item)
            if strip and len(kept) != len(value):
                survivors = [type(item).FromString(item.SerializeToString()) for item in kept]
                message.ClearField(fd.name)
                getattr(message, fd.name).extend(survivors)
        else:
            had = bool(value.ListFields())
            _walk(value, tier, here + ".", allowed, below, strip, keep_pull_only, out)
            if strip and had and not value.ListFields():
                message.ClearField(fd.name)


def project(
    record: record_pb2.Record, allowed: AllowedLayers, *, keep_pull_only: bool = False
) -> record_pb2.Record:
    """A copy of ``record`` holding only what ``allowed`` lets travel.

    Fields of a forbidden layer are cleared; a partial layer keeps only its
    listed fields (and the messages that lead to them); pull-only fields are
    dropped unless ``keep_pull_only`` (they travel only on request); messages
    left empty by the stripping are dropped. The result's
    ``layers_present`` is within ``allowed.layers``.
    """
    copy = record_pb2.Record()
    copy.CopyFrom(record)
    _walk(copy, 0, "", allowed, frozenset(), True, keep_pull_only, [])
    return copy


def forbidden_fields(record: record_pb2.Record, allowed: AllowedLayers) -> list[str]:
    """Paths of set fields ``allowed`` excludes (empty when the record may travel): the recipients' guard."""
    out: list[str] = []
    _walk(record, 0, "", allowed, frozenset(), False, True, out)
    return list(dict.fromkeys(out))
