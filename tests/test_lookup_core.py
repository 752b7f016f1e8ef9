"""The pure lookup core: token construction (vector, normalisation), handles, the matching key."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from adapters.samples.synthetic import generate_profiles
from hub.core.envelope import EnvelopeError, SignerKey
from hub.core.lookup import (
    MemberKey,
    check_token,
    demographic_token,
    document_token,
    fold,
    is_match_ref,
    is_record_handle,
    key_commitment,
    missing_copies,
    normalise_document_number,
    open_matching_key,
    profile_tokens,
    read_matching_key,
    record_handle,
    seal_matching_key,
)
from pxhub.v1 import envelope_pb2, lookup_pb2

R = envelope_pb2
L = lookup_pb2
VECTOR = json.loads((Path(__file__).parent / "vectors" / "lookup_v1.json").read_text(encoding="utf-8"))
KEY = bytes.fromhex(VECTOR["key_hex"])
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def test_vector_tokens_are_hmac_of_the_documented_message() -> None:
    assert key_commitment(KEY).hex() == VECTOR["key_commitment_hex"]
    for case in VECTOR["document"]:
        token = document_token(KEY, case["issuing_country"], case["document_type"], case["number"])
        assert token.hex() == case["token_hex"]
        assert (
            hmac.new(KEY, bytes.fromhex(case["message_hex"]), hashlib.sha256).hexdigest() == case["token_hex"]
        )
    for case in VECTOR["demographic"]:
        token = demographic_token(KEY, case["given_names"], case["surnames"], case["birth"], case["sex"])
        assert token.hex() == case["token_hex"]
        assert (
            hmac.new(KEY, bytes.fromhex(case["message_hex"]), hashlib.sha256).hexdigest() == case["token_hex"]
        )


def test_names_fold_accents_case_particles_and_surname_order() -> None:
    one = demographic_token(KEY, "José Luis", ["de la Cruz", "Muñoz"], "1988-03-07", "M")
    assert one == demographic_token(KEY, "JOSE LUIS", ["MUNOZ", "Cruz"], "1988-03-07", "M")
    assert one != demographic_token(KEY, "José Luis", ["Cruz", "Muñoz"], "1988-03-08", "M")
    assert one != demographic_token(KEY, "José Luis", ["Cruz", "Muñoz"], "1988-03-07", "F")
    assert fold("Peña-Gómez, D'Arcy") == "pena gomez d arcy"


def test_document_numbers_normalise_and_country_and_type_separate() -> None:
    assert normalise_document_number(" 1.020-304/050 ") == "1020304050"
    a = document_token(KEY, "CO", "CO_CEDULA_CIUDADANIA", "1.020.304.050")
    assert a == document_token(KEY, "co", "CO_CEDULA_CIUDADANIA", "1020304050")
    assert a != document_token(KEY, "PE", "CO_CEDULA_CIUDADANIA", "1020304050")
    assert a != document_token(KEY, "CO", "PASSPORT", "1020304050")
    for bad in (("C", "PASSPORT", "1"), ("CO", "PASSPORT", " - ")):
        with pytest.raises(ValueError):
            document_token(KEY, *bad)


@given(st.text(max_size=40), st.text(max_size=40))
def test_a_token_never_changes_with_case_or_accents_of_the_name(given_names: str, surname: str) -> None:
    try:
        plain = demographic_token(KEY, given_names, [surname], "1990", "F")
    except ValueError:
        return  # no letters left: no token is made of empty fields
    assert plain == demographic_token(KEY, given_names.upper(), [surname.upper()], "1990", "F")


@given(st.binary(min_size=16, max_size=64), st.text(min_size=1, max_size=30))
def test_record_handles_are_opaque_and_keyed(key: bytes, record_id: str) -> None:
    handle = record_handle(key, record_id)
    assert is_record_handle(handle)  # the shape holds no room for the id itself
    assert handle == record_handle(key, record_id)
    assert handle != record_handle(key + b"x", record_id)


def test_handle_and_match_ref_shapes() -> None:
    assert not is_record_handle("12345678") and not is_record_handle("rh:" + "0" * 31)
    assert is_match_ref("mr:" + "ab" * 16) and not is_match_ref("rh:" + "ab" * 16)


def test_profile_tokens_cover_documents_and_both_birth_forms() -> None:
    profile = next(generate_profiles("PE-INPE", 1, 7))
    tokens = profile_tokens(KEY, profile)
    kinds = [t.kind for t in tokens]
    assert kinds.count(L.MATCH_KIND_DEMOGRAPHIC) == 2  # full date and year only
    assert kinds.count(L.MATCH_KIND_DOCUMENT) == len({(i.type, i.value) for i in profile.identifiers})
    assert profile_tokens(KEY, profile) == tokens
    assert {t.value for t in profile_tokens(bytes(32), profile)}.isdisjoint({t.value for t in tokens})


def test_check_token_refuses_wrong_length_and_kind() -> None:
    check_token(L.MATCH_KIND_DOCUMENT, b"x" * 32, "t")
    for kind, value in ((L.MATCH_KIND_UNSPECIFIED, b"x" * 32), (L.MATCH_KIND_DOCUMENT, b"x" * 31)):
        with pytest.raises(EnvelopeError) as raised:
            check_token(kind, value, "t")
        assert raised.value.reason == R.REASON_LOOKUP_TOKEN_INVALID


def test_matching_key_seals_to_each_member_and_proves_one_key() -> None:
    issuer_key = Ed25519PrivateKey.generate()
    issuer = SignerKey("CO-INPEC", "CO-INPEC/signing/a", issuer_key)
    privates = {m: X25519PrivateKey.generate() for m in ("CO-INPEC", "PE-INPE")}
    members = [MemberKey(m, f"{m}/encryption/a", k.public_key()) for m, k in privates.items()]
    signed = seal_matching_key(KEY, 3, issuer, members, NOW)
    epoch = read_matching_key(signed, issuer_key.public_key(), "CO-INPEC")
    assert epoch.epoch == 3 and epoch.issued_at.ToDatetime(UTC) == NOW
    for member, private in privates.items():
        assert open_matching_key(epoch, member, f"{member}/encryption/a", private) == KEY
    assert list(missing_copies(epoch, [("PE-INPE", "PE-INPE/encryption/a"), ("GT-DGSP", "x")])) == ["GT-DGSP"]
    with pytest.raises(EnvelopeError):  # another member's copy does not open with my key
        open_matching_key(epoch, "PE-INPE", "PE-INPE/encryption/a", privates["CO-INPEC"])
    with pytest.raises(EnvelopeError):  # not the policy's issuer
        read_matching_key(signed, issuer_key.public_key(), "PE-INPE")
    tampered = L.SignedMatchingKey()
    tampered.CopyFrom(signed)
    tampered.epoch = signed.epoch[:-1] + bytes([signed.epoch[-1] ^ 1])
    with pytest.raises(EnvelopeError) as raised:
        read_matching_key(tampered, issuer_key.public_key(), "CO-INPEC")
    assert raised.value.reason == R.REASON_MATCHING_KEY_INVALID


def test_a_copy_of_another_key_fails_the_commitment() -> None:
    issuer_key = Ed25519PrivateKey.generate()
    private = X25519PrivateKey.generate()
    member = MemberKey("PE-INPE", "k", private.public_key())
    honest = seal_matching_key(KEY, 1, SignerKey("CO-INPEC", "s", issuer_key), [member], NOW)
    other = seal_matching_key(bytes(32), 1, SignerKey("CO-INPEC", "s", issuer_key), [member], NOW)
    mixed = L.MatchingKeyEpoch.FromString(honest.epoch)
    mixed.copies[0].CopyFrom(L.MatchingKeyEpoch.FromString(other.epoch).copies[0])
    with pytest.raises(EnvelopeError, match="commitment"):
        open_matching_key(mixed, "PE-INPE", "k", private)
