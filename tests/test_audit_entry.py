"""Canonical audit-entry encoding, and the worked example in docs/audit-log.md.

If the docs check fails after a deliberate format change, run
``.venv/bin/python -m tests.test_audit_entry`` and paste the printed blocks
into docs/audit-log.md.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.core.audit_entry import ACTIONS, ACTOR_KINDS, OUTCOMES, AuditEntry
from hub.core.audit_index import PARTY_DETAIL_KEYS, IndexedEntry, index_terms
from hub.core.checkpoint import (
    SIG_TYPE_COSIGNATURE_V1,
    Checkpoint,
    add_signature,
    cosign,
    sign_note,
    verifier_key_string,
    verify_cosignatures,
    verify_note,
)
from hub.core.merkle import (
    MemoryNodeStore,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "audit-log.md"


def entry(**changes: Any) -> AuditEntry:
    fields: dict[str, Any] = {
        "time": datetime(2025, 3, 14, 15, 9, 26, 535897, tzinfo=UTC),
        "actor_kind": "member",
        "actor_id": "CO-INPEC",
        "officer_pseudonym": "op-3f9a1c27",
        "action": "submit",
        "object_ids": ("message:01JPBV5W3Y2F6Q8R0T4M7N9K1C",),
        "outcome": "permit",
        "reason": "",
        "details": {"purpose": "SECURITY_COOPERATION", "size": 18432},
    }
    fields.update(changes)
    return AuditEntry(**fields)


# --------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------

_printable = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"))
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"
_ALNUM = _UPPER + _LOWER + _DIGITS


def _word(first: str, rest: str, max_rest: int, min_rest: int = 0) -> st.SearchStrategy[str]:
    """Strings of one character from ``first`` then up to ``max_rest`` from ``rest``."""
    return st.builds(
        lambda a, b: a + b,
        st.sampled_from(first) if first else st.just(""),
        st.text(st.sampled_from(rest), min_size=min_rest, max_size=max_rest),
    )


_REASONS = _word(_UPPER, _UPPER + _DIGITS + "_", 20)
_OBJECT_IDS = st.lists(
    st.builds(
        lambda kind, value: f"{kind}:{value}",
        _word(_LOWER, _LOWER + _DIGITS + "_.-", 8),
        _word("", _ALNUM + "._:@/+=-", 30, min_rest=1),
    ),
    max_size=5,
    unique=True,
).map(tuple)
_MEMBER_LISTS = st.lists(st.sampled_from(["CO-INPEC", "PE-INPE", "x", "", "MX-OADPRS"]), max_size=3).map(
    ",".join
)
_DETAILS = st.dictionaries(
    st.one_of(_word(_LOWER, _LOWER + _DIGITS + "_", 15), st.sampled_from(PARTY_DETAIL_KEYS)),
    st.one_of(st.integers(-(2**53) + 1, 2**53 - 1), st.text(_printable, max_size=40), _MEMBER_LISTS),
    max_size=6,
)
_TIMES = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
)
_ACTOR_IDS = _word(_ALNUM, _ALNUM + "._:@/-", 30)
_PSEUDONYMS = _word("", _ALNUM + "._:=-", 30)


@st.composite
def entries(draw: st.DrawFn) -> AuditEntry:
    outcome = draw(st.sampled_from(sorted(OUTCOMES)))
    reason = draw(_REASONS)
    if outcome in ("permit", "ok") and draw(st.booleans()):
        reason = ""
    return AuditEntry(
        time=draw(_TIMES),
        actor_kind=draw(st.sampled_from(sorted(ACTOR_KINDS))),
        actor_id=draw(_ACTOR_IDS),
        officer_pseudonym=draw(_PSEUDONYMS),
        action=draw(st.sampled_from(sorted(ACTIONS))),
        object_ids=draw(_OBJECT_IDS),
        outcome=outcome,
        reason=reason,
        details=draw(_DETAILS),
    )


@settings(max_examples=300, deadline=None)
@given(entries())
def test_round_trip(e: AuditEntry) -> None:
    data = e.encode()
    back = AuditEntry.decode(data)
    assert back == e
    assert hash(back) == hash(e)
    assert back.encode() == data
    assert e.leaf_hash() == hashlib.sha256(b"\x00" + data).digest()
    # The bytes are what a generic JCS serialiser makes of the parsed object.
    obj = json.loads(data)
    assert json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode() == data
    assert obj["v"] == 1


@settings(max_examples=300, deadline=None)
@given(entries())
def test_encoded_entries_carry_the_terms_their_bytes_index_to(e: AuditEntry) -> None:
    """The store indexes a built entry from the terms it carries: they must be the bytes' own."""
    data = e.encode()
    assert isinstance(data, IndexedEntry)
    assert index_terms(data) is data.terms
    assert index_terms(bytes(data)) == data.terms


def test_encoding_shape() -> None:
    e = entry(details={"size": 18432, "purpose": "SECURITY_COOPERATION", "title": 'Cárceles "Productivas"'})
    assert e.encode() == (
        b'{"action":"submit","actor_id":"CO-INPEC","actor_kind":"member",'
        b'"details":{"purpose":"SECURITY_COOPERATION","size":18432,'
        b'"title":"C\xc3\xa1rceles \\"Productivas\\""},'
        b'"object_ids":["message:01JPBV5W3Y2F6Q8R0T4M7N9K1C"],"officer_pseudonym":"op-3f9a1c27",'
        b'"outcome":"permit","reason":"","time":"2025-03-14T15:09:26.535897Z","v":1}'
    )


def test_times_are_normalised_to_utc() -> None:
    a = entry(time=datetime(2025, 3, 14, 15, 9, 26, tzinfo=timezone(timedelta(0))))
    assert a.time.tzinfo is UTC
    assert b'"time":"2025-03-14T15:09:26.000000Z"' in a.encode()
    assert entry(time=datetime(1, 1, 1, tzinfo=UTC)).encode().count(b'"0001-01-01T00:00:00.000000Z"') == 1


def test_details_and_object_ids_are_frozen() -> None:
    details = {"size": 1}
    e = entry(details=details, object_ids=["message:a", "consent:b"])
    details["size"] = 2
    assert e.details["size"] == 1
    assert e.object_ids == ("message:a", "consent:b")
    with pytest.raises(TypeError):
        e.details["size"] = 3  # type: ignore[index]


# --------------------------------------------------------------------------
# Validation on construction
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"time": datetime(2025, 3, 14, 15, 9, 26)}, "time must be timezone-aware"),
        ({"time": datetime(2025, 3, 14, tzinfo=timezone(timedelta(hours=-5)))}, "time must be in UTC"),
        ({"time": "2025-03-14T15:09:26.535897Z"}, "time must be a datetime"),
        ({"actor_kind": "institution"}, "actor_kind 'institution' is not one of"),
        ({"actor_id": ""}, "actor_id '' is invalid"),
        ({"actor_id": "CO INPEC"}, "actor_id 'CO INPEC' is invalid"),
        ({"actor_id": 7}, "actor_id must be a str"),
        ({"officer_pseudonym": "Juan Pérez"}, "officer_pseudonym 'Juan Pérez' is invalid"),
        ({"action": "delete"}, "action 'delete' is not one of"),
        ({"object_ids": "message:a"}, "object_ids must be a sequence"),
        ({"object_ids": ("message",)}, r"object_ids\[0\] 'message' is invalid"),
        ({"object_ids": ("message:a", "Consent:b")}, r"object_ids\[1\] 'Consent:b' is invalid"),
        ({"object_ids": ("message:a b",)}, r"object_ids\[0\]"),
        ({"object_ids": ("message:a", "message:a")}, "object_ids contains duplicates"),
        ({"object_ids": tuple(f"m:{i}" for i in range(65))}, "at most 64"),
        ({"outcome": "allow"}, "outcome 'allow' is not one of"),
        ({"outcome": "deny"}, "reason is required when outcome is 'deny'"),
        ({"outcome": "error", "reason": ""}, "reason is required when outcome is 'error'"),
        ({"reason": "signature invalid"}, "reason 'signature invalid' is invalid"),
        ({"details": [("size", 1)]}, "details must be a mapping"),
        ({"details": {"Size": 1}}, "details key 'Size' is invalid"),
        ({"details": {1: 1}}, "details key must be a str"),
        ({"details": {"ok": True}}, r"details\['ok'\] must be a str or int, not bool"),
        ({"details": {"ratio": 0.5}}, r"details\['ratio'\] must be a str or int, got float"),
        ({"details": {"n": 2**53}}, r"outside ±\(2\^53-1\)"),
        ({"details": {"note": "a\nb"}}, "control character"),
        ({"details": {"note": "\x85"}}, "control character"),
        ({"details": {"note": "\ud800"}}, "not encodable as UTF-8"),
        ({"details": {"note": "x" * 1025}}, "longer than 1024"),
        ({"details": {f"k{i}": i for i in range(33)}}, "at most 32"),
    ],
)
def test_invalid_fields_are_named(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        entry(**changes)


def test_anonymous_actor_may_be_unnamed() -> None:
    e = entry(
        actor_kind="anonymous", actor_id="", action="auth.refuse", outcome="deny", reason="NO_CLIENT_CERT"
    )
    assert AuditEntry.decode(e.encode()) == e


# --------------------------------------------------------------------------
# Non-canonical input is refused
# --------------------------------------------------------------------------

CANONICAL = entry(details={"purpose": "SECURITY_COOPERATION", "title": "Cárceles"}).encode()


def _obj() -> dict[str, Any]:
    return json.loads(CANONICAL)  # type: ignore[no-any-return]


def _dump(obj: object, **kw: Any) -> bytes:
    opts: dict[str, Any] = {"ensure_ascii": False, "sort_keys": True, "separators": (",", ":")}
    opts.update(kw)
    return json.dumps(obj, **opts).encode()


def _with(**changes: Any) -> bytes:
    obj = _obj()
    obj.update(changes)
    return _dump(obj)


def _without(key: str) -> bytes:
    obj = _obj()
    del obj[key]
    return _dump(obj)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (CANONICAL + b"\n", "not canonical"),
        (b" " + CANONICAL, "not canonical"),
        (_dump(_obj(), separators=(", ", ": ")), "not canonical"),
        (_dump(dict(reversed(_obj().items())), sort_keys=False), "not canonical"),
        (_dump(_obj(), ensure_ascii=True), "not canonical"),  # \u00e1 instead of á
        (CANONICAL.replace(b'"v":1', b'"v":1.0'), "non-integer number"),
        (CANONICAL.replace(b'"v":1', b'"v":1e0'), "non-integer number"),
        (CANONICAL.replace(b'"v":1', b'"v":true'), "version True is not supported"),
        (CANONICAL.replace(b'"v":1', b'"v":2'), "version 2 is not supported"),
        (CANONICAL.replace(b'"v":1', b'"v":NaN'), "NaN"),
        (CANONICAL.replace(b'"v":1', b'"v":-0'), "version 0 is not supported"),
        (CANONICAL.replace(b'"v":1}', b'"v":1,"v":1}'), "repeats the member 'v'"),
        (_with(extra="x"), r"unknown members \['extra'\]"),
        (_without("reason"), r"lacks members \['reason'\]"),
        (_with(time="2025-03-14T15:09:26Z"), "is not 'YYYY-MM-DDTHH:MM:SS.ffffffZ'"),
        (_with(time="2025-03-14T15:09:26.535897+00:00"), "is not 'YYYY"),
        (_with(time="2025-03-14t15:09:26.535897z"), "is not 'YYYY"),
        (_with(time="2025-02-30T15:09:26.535897Z"), "not a valid date"),
        (_with(time=1741964966), "time must be a str"),
        (_with(object_ids="message:a"), "object_ids must be a JSON array"),
        (_with(object_ids=[1]), r"object_ids\[0\] must be a str"),
        (_with(details=[]), "details must be a JSON object"),
        (_with(details={"nested": {"a": 1}}), "must be a str or int, got dict"),
        (_with(details={"flag": None}), "got NoneType"),
        (_with(details={"n": 10**20}), "outside"),
        (b"\xef\xbb\xbf" + CANONICAL, "not valid JSON"),
        (CANONICAL.replace("á".encode(), b"\xe1"), "not valid UTF-8"),
        (b"[]", "must be a JSON object"),
        (b"", "not valid JSON"),
    ],
)
def test_decode_refuses_non_canonical(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AuditEntry.decode(data)


def test_decode_needs_bytes() -> None:
    with pytest.raises(ValueError, match="must be bytes"):
        AuditEntry.decode(CANONICAL.decode())  # type: ignore[arg-type]
    assert AuditEntry.decode(bytearray(CANONICAL)).encode() == CANONICAL


# --------------------------------------------------------------------------
# docs/audit-log.md worked example
# --------------------------------------------------------------------------

EXAMPLE_ORIGIN = "pxhub.example/audit/v1"
EXAMPLE_WITNESS = "witness.uy.example/w1"
EXAMPLE_TIMESTAMP = 1741964967


def example_entries() -> list[AuditEntry]:
    t0 = datetime(2025, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)
    return [
        AuditEntry(
            time=t0,
            actor_kind="member",
            actor_id="CO-INPEC",
            officer_pseudonym="op-3f9a1c27",
            action="submit",
            object_ids=("message:01JPBV5W3Y2F6Q8R0T4M7N9K1C", "consent:CO-INPEC/2025/0042"),
            outcome="permit",
            reason="",
            details={
                "purpose": "SECURITY_COOPERATION",
                "recipients": "PE-INPE,EC-SNAI",
                "record_kind": "inmate_security_profile",
                "size": 18432,
            },
        ),
        AuditEntry(
            time=t0 + timedelta(seconds=2, microseconds=1),
            actor_kind="hub",
            actor_id="hub",
            officer_pseudonym="",
            action="deliver",
            object_ids=("message:01JPBV9D2K8H4T6W1Q3R5Y7Z0B",),
            outcome="ok",
            reason="",
            details={"recipient": "UY-INR", "record_kind": "best_practice", "title": "Cárceles Productivas"},
        ),
        AuditEntry(
            time=t0 + timedelta(seconds=3),
            actor_kind="member",
            actor_id="GT-DGSP",
            officer_pseudonym="op-88d0e4b1",
            action="submit",
            object_ids=("message:01JPBVB6X0C2E4G6J8L0N2P4R6",),
            outcome="deny",
            reason="SIGNATURE_INVALID",
            details={"purpose": "SECURITY_COOPERATION", "recipients": "MX-OADPRS"},
        ),
    ]


def example_keys() -> tuple[Ed25519PrivateKey, Ed25519PrivateKey]:
    log = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"pxhub example log key").digest())
    witness = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"pxhub example witness key").digest())
    return log, witness


def example_blocks() -> list[str]:
    """The literal blocks docs/audit-log.md must contain, in order."""
    entries = example_entries()
    store = MemoryNodeStore()
    for e in entries:
        store.append(e.leaf_hash())
    leaves = [e.leaf_hash() for e in entries]
    tree_root = root(3, store)
    incl = inclusion_proof(0, 3, store)
    cons = consistency_proof(2, 3, store)
    verify_inclusion(leaves[0], 0, 3, incl, tree_root)
    verify_consistency(2, 3, root(2, store), tree_root, cons)

    log, witness = example_keys()
    body = Checkpoint(EXAMPLE_ORIGIN, 3, tree_root).body()
    note = sign_note(body, EXAMPLE_ORIGIN, log)
    note = add_signature(note, cosign(body, EXAMPLE_WITNESS, witness, EXAMPLE_TIMESTAMP))
    assert verify_note(note, {EXAMPLE_ORIGIN: log.public_key()}) == [EXAMPLE_ORIGIN]
    assert verify_cosignatures(note, {EXAMPLE_WITNESS: witness.public_key()}) == {
        EXAMPLE_WITNESS: EXAMPLE_TIMESTAMP
    }

    blocks = [f"```json\n{e.encode().decode('utf-8')}\n```" for e in entries]
    blocks.append(
        "```text\n"
        + "".join(f"leaf {i}  {h.hex()}\n" for i, h in enumerate(leaves))
        + f"node(0,1) {root(2, store).hex()}\n"
        + f"root(3)   {tree_root.hex()}\n"
        + "```"
    )
    blocks.append(
        "```text\n"
        + "inclusion_proof(0, 3) = [\n"
        + "".join(f"  {h.hex()},\n" for h in incl)
        + "]\n"
        + "consistency_proof(2, 3) = [\n"
        + "".join(f"  {h.hex()},\n" for h in cons)
        + "]\n"
        + "```"
    )
    blocks.append(
        "```text\n"
        + verifier_key_string(EXAMPLE_ORIGIN, log.public_key())
        + "\n"
        + verifier_key_string(EXAMPLE_WITNESS, witness.public_key(), SIG_TYPE_COSIGNATURE_V1)
        + "\n```"
    )
    blocks.append(f"```text\n{note}```")
    return blocks


def test_docs_example_is_current() -> None:
    doc = DOC.read_text(encoding="utf-8")
    pos = 0
    for block in example_blocks():
        found = doc.find(block, pos)
        assert found >= 0, f"docs/audit-log.md is missing or has out of date:\n{block}"
        pos = found + len(block)


def test_docs_example_is_recomputable_from_the_json_alone() -> None:
    # What an independent auditor does: hash the bytes between the fences.
    doc = DOC.read_text(encoding="utf-8")
    lines = [b.split("\n")[1] for b in doc.split("```json")[1:4]]
    leaves = [hashlib.sha256(b"\x00" + line.encode("utf-8")).digest() for line in lines]
    n01 = hashlib.sha256(b"\x01" + leaves[0] + leaves[1]).digest()
    top = hashlib.sha256(b"\x01" + n01 + leaves[2]).digest()
    assert top.hex() in doc
    assert leaf_hash(lines[0].encode()) == leaves[0]


if __name__ == "__main__":  # pragma: no cover - regenerates the docs blocks
    for block in example_blocks():
        print(block, end="\n\n")
