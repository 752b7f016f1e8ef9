"""C2SP checkpoints, signed notes, verifier keys and witness cosignatures.

Known answers come from the C2SP specs (tlog-checkpoint, tlog-cosignature
examples), golang.org/x/mod sumdb/note tests and transparency-dev/formats
tests; round trips and rejections are checked on our own keys.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.core.checkpoint import (
    MAX_SIGNATURES,
    SIG_TYPE_COSIGNATURE_V1,
    SIG_TYPE_ED25519,
    Checkpoint,
    CheckpointError,
    NoteError,
    NoteSignature,
    NoteVerificationError,
    add_signature,
    cosign,
    cosignature_key_id,
    cosignature_message,
    cosignature_timestamp,
    format_note,
    note_key_id,
    note_signature,
    open_checkpoint,
    parse_body,
    parse_note,
    parse_verifier_key,
    sign_note,
    verifier_key_string,
    verify_cosignature,
    verify_cosignatures,
    verify_note,
)


def key(label: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())


LOG = key("log")
OTHER_LOG = key("other log")
W1, W2, W3 = key("w1"), key("w2"), key("w3")
ORIGIN = "pxhub.example/audit/v1"
ROOT = hashlib.sha256(b"root").digest()
BODY = Checkpoint(ORIGIN, 42, ROOT).body()

# --------------------------------------------------------------------------
# Checkpoint body
# --------------------------------------------------------------------------

SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_NOTE = (
    SPEC_BODY
    + "\n"
    + "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/"
    "Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    + "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJs"
    "X3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)


def test_spec_checkpoint_example() -> None:
    # c2sp.org/tlog-checkpoint and tlog-cosignature examples.
    body, sigs = parse_note(SPEC_NOTE)
    assert body == SPEC_BODY
    cp = parse_body(body)
    assert (cp.origin, cp.size) == ("example.com/behind-the-sofa", 20852163)
    assert base64.b64encode(cp.root_hash).decode() == "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
    assert cp.body() == SPEC_BODY
    assert [s.name for s in sigs] == ["example.com/behind-the-sofa", "witness.example.com/w1"]
    assert len(sigs[0].sig) == 64
    # The spec's cosigned message for this checkpoint uses time 1679315147,
    # which is the timestamp the witness line carries.
    assert cosignature_timestamp(sigs[1]) == 1679315147
    assert cosignature_message(body, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )
    # Neither key is known to us: nothing verifies, so the note is refused.
    with pytest.raises(NoteVerificationError, match="no valid signature from a known key"):
        verify_note(SPEC_NOTE, {"example.com/behind-the-sofa": LOG.public_key()})


def test_body_format() -> None:
    assert Checkpoint("Log", 0, bytes(32)).body() == "Log\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"


origins = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp"), exclude_characters="+"),
    min_size=1,
    max_size=40,
).filter(lambda s: not any(c.isspace() for c in s))


@settings(max_examples=200, deadline=None)
@given(origins, st.integers(0, 2**64 - 1), st.binary(min_size=32, max_size=32))
def test_body_round_trip(origin: str, size: int, root_hash: bytes) -> None:
    cp = Checkpoint(origin, size, root_hash)
    assert parse_body(cp.body()) == cp


GOOD = f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}\n"
ROOT_B64 = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD[:-1], "must end with a newline"),
        (f"{ORIGIN}\n42\n", "has 2 lines"),
        (GOOD + "extension\n", "extension lines are refused"),
        (GOOD + "\n", "extension lines are refused"),
        (f"\n42\n{ROOT_B64}\n", "origin line is empty"),
        (f"pxhub example\n42\n{ROOT_B64}\n", "must not contain spaces"),
        (f"pxhub+example\n42\n{ROOT_B64}\n", r"must not contain '\+'"),
        (f"{ORIGIN}\r\n42\n{ROOT_B64}\n", "must not contain"),
        (f"{ORIGIN}\n042\n{ROOT_B64}\n", "not a decimal without leading zeros"),
        (f"{ORIGIN}\n+42\n{ROOT_B64}\n", "not a decimal"),
        (f"{ORIGIN}\n-1\n{ROOT_B64}\n", "not a decimal"),
        (f"{ORIGIN}\n 42\n{ROOT_B64}\n", "not a decimal"),
        (f"{ORIGIN}\n4_2\n{ROOT_B64}\n", "not a decimal"),
        (f"{ORIGIN}\n\u0664\u0662\n{ROOT_B64}\n", "not a decimal"),  # Arabic-Indic digits
        (f"{ORIGIN}\n\n{ROOT_B64}\n", "not a decimal"),
        (f"{ORIGIN}\n{2**64}\n{ROOT_B64}\n", "does not fit in 64 bits"),
        (f"{ORIGIN}\n42\n{ROOT_B64.rstrip('=')}\n", "not padded standard base64"),
        (f"{ORIGIN}\n42\n{ROOT_B64[:-2]}B=\n", "not canonical base64"),
        (f"{ORIGIN}\n42\n{ROOT_B64.replace('+', '-')}\n", "not padded standard base64"),
        (f"{ORIGIN}\n42\n{ROOT_B64} \n", "not padded standard base64"),
        (f"{ORIGIN}\n42\nYmFuYW5hcw==\n", "root hash must be 32 bytes, got 7"),
        (f"{ORIGIN}\n42\n{ROOT_B64}\r\n", "not padded standard base64"),
    ],
)
def test_body_rejections(text: str, message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        parse_body(text)


def test_checkpoint_fields_are_validated() -> None:
    with pytest.raises(CheckpointError, match=r"tree size .* outside"):
        Checkpoint(ORIGIN, -1, ROOT)
    with pytest.raises(CheckpointError, match="tree size must be an int"):
        Checkpoint(ORIGIN, True, ROOT)
    with pytest.raises(CheckpointError, match="root hash must be 32 bytes, got 31"):
        Checkpoint(ORIGIN, 1, ROOT[:31])
    with pytest.raises(CheckpointError, match="must not be empty"):
        Checkpoint("", 1, ROOT)
    with pytest.raises(CheckpointError, match="must be a str"):
        parse_body(BODY.encode())  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# Signed notes: known answers from golang.org/x/mod/sumdb/note
# --------------------------------------------------------------------------

PETER_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKv"
    "qfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOT"
    "GwnWLox33WWd1RvMc+QQ=\n"
)


def test_go_sign_vector() -> None:
    peter = Ed25519PrivateKey.from_private_bytes(PETER_SEED)
    assert verifier_key_string("PeterNeumann", peter.public_key()) == PETER_VKEY
    assert note_key_id("PeterNeumann", peter.public_key()).hex() == "c74f20a3"
    assert sign_note(GO_TEXT, "PeterNeumann", peter) == GO_TEXT + "\n" + PETER_SIG


def test_go_open_vectors() -> None:
    peter, enoch = parse_verifier_key(PETER_VKEY), parse_verifier_key(ENOCH_VKEY)
    assert (peter.name, peter.sig_type, peter.key_id.hex()) == ("PeterNeumann", SIG_TYPE_ED25519, "c74f20a3")
    assert enoch.key_id.hex() == "af0cfe78"
    note = GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert verify_note(note, {"PeterNeumann": peter.public_key}) == ["PeterNeumann"]
    assert verify_note(note, {"PeterNeumann": peter.public_key, "EnochRoot": enoch.public_key}) == [
        "PeterNeumann",
        "EnochRoot",
    ]
    with pytest.raises(NoteVerificationError, match="no valid signature"):
        verify_note(note, {})
    bad = GO_TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(NoteVerificationError, match="PeterNeumann\\+c74f20a3 is bad"):
        verify_note(bad, {"PeterNeumann": peter.public_key})
    # Duplicated lines, and a corrupt line from a key we do not know, are fine.
    enoch_bad = ENOCH_SIG[:60] + "ABCD" + ENOCH_SIG[60:]
    dup = GO_TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + enoch_bad
    assert verify_note(dup, {"PeterNeumann": peter.public_key}) == ["PeterNeumann"]


@pytest.mark.parametrize(
    ("note", "message"),
    [
        (GO_TEXT, "no blank line"),
        (GO_TEXT + "\n", "no signature lines"),
        (GO_TEXT + "\n" + PETER_SIG[:-1], "must end with a newline"),
        ("\x01" + GO_TEXT + "\n" + PETER_SIG, "control character"),
        (GO_TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad Name"), "is not '— <name> <base64>'"),
        (GO_TEXT + "\n" + PETER_SIG + "Unexpected line.\n", "does not start with an em dash"),
        (GO_TEXT + "\n" + PETER_SIG.replace("— ", "- "), "does not start with an em dash"),
        (GO_TEXT + "\n" + PETER_SIG.replace("— ", "—  "), "is not '— <name> <base64>'"),
        (GO_TEXT + "\n" + PETER_SIG.replace("=\n", "\n"), "not padded standard base64"),
        (GO_TEXT + "\n" + "— a+b x08go/ZJ\n", r"must not contain '\+'"),
        (GO_TEXT + "\n" + "— short AAAAAA==\n", "too short"),
        (GO_TEXT + "\n" + PETER_SIG * (MAX_SIGNATURES + 1), "more than 100"),
        (GO_TEXT + "\n" + PETER_SIG + "\n", "no signature lines"),
        ("\ud800\n\n" + PETER_SIG, "not valid UTF-8"),
    ],
)
def test_note_rejections(note: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        parse_note(note)


def test_go_vkey_manglings_are_rejected() -> None:
    # As sumdb/note's TestNewVerifier: every proper substring and every
    # single-character change of a good key must be refused.
    parse_verifier_key(PETER_VKEY)
    b = PETER_VKEY
    for i in range(len(b) + 1):
        for j in range(i + 1, len(b) + 1):
            if (i, j) != (0, len(b)):
                with pytest.raises(NoteError):
                    parse_verifier_key(b[i:j])
    for i in range(len(b)):
        with pytest.raises(NoteError):
            parse_verifier_key(b[:i] + chr(ord(b[i]) + 1) + b[i + 1 :])
    with pytest.raises(NoteError, match=r"not canonical base64|32 key bytes"):
        parse_verifier_key("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
    with pytest.raises(NoteError, match="unsupported signature type 0x65"):
        parse_verifier_key("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
    with pytest.raises(NoteError, match="8 lowercase hex"):
        parse_verifier_key(PETER_VKEY.replace("c74f20a3", "C74F20A3"))


def test_vkey_known_answers_from_transparency_dev() -> None:
    # transparency-dev/formats note/note_cosigv1_test.go: a plain Ed25519 key
    # whose base64 holds '+', and a native cosignature/v1 witness key.
    plain = parse_verifier_key("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6")
    assert (plain.name, plain.sig_type) == ("TEST", SIG_TYPE_ED25519)
    witness = parse_verifier_key("remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2")
    assert (witness.name, witness.sig_type) == ("remora.n621.de", SIG_TYPE_COSIGNATURE_V1)
    assert cosignature_key_id("remora.n621.de", witness.public_key).hex() == "da77ade7"
    assert (
        verifier_key_string("remora.n621.de", witness.public_key, SIG_TYPE_COSIGNATURE_V1)
        == "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
    )


def test_vkey_round_trip() -> None:
    for sig_type in (SIG_TYPE_ED25519, SIG_TYPE_COSIGNATURE_V1):
        vkey = verifier_key_string(ORIGIN, LOG.public_key(), sig_type)
        parsed = parse_verifier_key(vkey)
        assert parsed.name == ORIGIN
        assert parsed.sig_type == sig_type
        assert parsed.public_key.public_bytes_raw() == LOG.public_key().public_bytes_raw()
    with pytest.raises(NoteError, match="unsupported signature type 0x02"):
        verifier_key_string(ORIGIN, LOG.public_key(), 2)
    with pytest.raises(NoteError, match="must not contain spaces"):
        verifier_key_string("a b", LOG.public_key())


# --------------------------------------------------------------------------
# Signed notes on our own keys
# --------------------------------------------------------------------------


def test_sign_and_verify_round_trip() -> None:
    note = sign_note(BODY, ORIGIN, LOG)
    assert note.startswith(BODY + "\n— " + ORIGIN + " ")
    assert verify_note(note, {ORIGIN: LOG.public_key()}) == [ORIGIN]
    cp, names = open_checkpoint(note, {ORIGIN: LOG.public_key()})
    assert cp == Checkpoint(ORIGIN, 42, ROOT)
    assert names == [ORIGIN]


def test_unknown_keys_are_ignored() -> None:
    note = sign_note(BODY, ORIGIN, LOG)
    # Same name, different key (e.g. a rotated key): different key ID, ignored.
    rotated = add_signature(note, note_signature(BODY, ORIGIN, OTHER_LOG))
    assert verify_note(rotated, {ORIGIN: LOG.public_key()}) == [ORIGIN]
    assert verify_note(rotated, {ORIGIN: OTHER_LOG.public_key()}) == [ORIGIN]
    # A garbage line from an unknown key is ignored too.
    junk = NoteSignature("someone.example", b"\x00\x01\x02\x03", b"not a signature")
    assert verify_note(add_signature(note, junk), {ORIGIN: LOG.public_key()}) == [ORIGIN]
    # Same key ID by chance but another name: still unknown.
    alias = NoteSignature("alias.example", note_key_id(ORIGIN, LOG.public_key()), b"x" * 64)
    assert verify_note(add_signature(note, alias), {ORIGIN: LOG.public_key()}) == [ORIGIN]


def test_known_key_bad_signature_rejects_the_note() -> None:
    note = sign_note(BODY, ORIGIN, LOG)
    tampered = note.replace("\n42\n", "\n43\n")
    with pytest.raises(NoteVerificationError, match="is bad"):
        verify_note(tampered, {ORIGIN: LOG.public_key()})
    # A bad known signature fails the note even when another known key verifies.
    both = add_signature(
        note, NoteSignature("second.example", note_key_id("second.example", W1.public_key()), b"\x00" * 64)
    )
    with pytest.raises(NoteVerificationError, match=r"second\.example"):
        verify_note(both, {ORIGIN: LOG.public_key(), "second.example": W1.public_key()})
    # Wrong-length signature from a known key.
    short = add_signature(
        note, NoteSignature("second.example", note_key_id("second.example", W1.public_key()), b"\x00")
    )
    with pytest.raises(NoteVerificationError):
        verify_note(short, {"second.example": W1.public_key()})


def test_add_signature_replaces_same_key_and_keeps_order() -> None:
    note = sign_note(BODY, ORIGIN, LOG)
    second = note_signature(BODY, "second.example", W1)
    two = add_signature(note, second)
    assert add_signature(two, second) == two
    _, sigs = parse_note(two)
    assert [s.name for s in sigs] == [ORIGIN, "second.example"]
    with pytest.raises(NoteError, match="at least one signature"):
        format_note(BODY, [])
    with pytest.raises(NoteError, match="must end with a newline"):
        sign_note(BODY[:-1], ORIGIN, LOG)
    with pytest.raises(NoteError, match="key ID must be 4 bytes"):
        NoteSignature(ORIGIN, b"\x00", b"x")


def test_note_body_may_contain_blank_lines() -> None:
    text = "first\n\nthird\n"
    note = sign_note(text, "k.example", W1)
    body, _ = parse_note(note)
    assert body == text
    assert verify_note(note, {"k.example": W1.public_key()}) == ["k.example"]


# --------------------------------------------------------------------------
# Witness cosignatures
# --------------------------------------------------------------------------

T = 1_741_964_966


def test_cosignature_layout_and_round_trip() -> None:
    sig = cosign(BODY, "w1.example", W1, T)
    assert sig.key_id == cosignature_key_id("w1.example", W1.public_key())
    assert sig.key_id != note_key_id("w1.example", W1.public_key())
    assert len(sig.sig) == 8 + 64
    assert sig.sig[:8] == T.to_bytes(8, "big")
    W1.public_key().verify(sig.sig[8:], b"cosignature/v1\ntime 1741964966\n" + BODY.encode())
    assert cosignature_timestamp(sig) == T
    assert verify_cosignature(BODY, sig, W1.public_key()) == T


def test_cosignature_failures() -> None:
    sig = cosign(BODY, "w1.example", W1, T)
    with pytest.raises(NoteVerificationError, match="not that of witness"):
        verify_cosignature(BODY, sig, W2.public_key())
    renamed = NoteSignature("w2.example", sig.key_id, sig.sig)
    with pytest.raises(NoteVerificationError, match="not that of witness"):
        verify_cosignature(BODY, renamed, W1.public_key())
    other_body = Checkpoint(ORIGIN, 43, ROOT).body()
    with pytest.raises(NoteVerificationError, match="invalid"):
        verify_cosignature(other_body, sig, W1.public_key())
    later = NoteSignature(sig.name, sig.key_id, (T + 1).to_bytes(8, "big") + sig.sig[8:])
    with pytest.raises(NoteVerificationError, match="invalid"):
        verify_cosignature(BODY, later, W1.public_key())
    too_late = NoteSignature(sig.name, sig.key_id, (2**63).to_bytes(8, "big") + sig.sig[8:])
    with pytest.raises(NoteError, match="exceeds 2\\^63-1"):
        verify_cosignature(BODY, too_late, W1.public_key())
    plain = note_signature(BODY, "w1.example", W1)
    with pytest.raises(NoteVerificationError):
        verify_cosignature(BODY, plain, W1.public_key())
    with pytest.raises(NoteError, match=r"outside 0\.\.2\^63-1"):
        cosign(BODY, "w1.example", W1, -1)
    with pytest.raises(NoteError, match="must be an int"):
        cosign(BODY, "w1.example", W1, True)
    with pytest.raises(CheckpointError):
        cosign("not a checkpoint\n", "w1.example", W1, T)


def test_cosignature_timestamp_vector_from_transparency_dev() -> None:
    raw = base64.b64decode(
        "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA=="
    )
    assert cosignature_timestamp(NoteSignature("w", raw[:4], raw[4:])) == 1727964367
    plain = base64.b64decode(
        "eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY="
    )
    with pytest.raises(NoteError, match="expected 72"):
        cosignature_timestamp(NoteSignature("w", plain[:4], plain[4:]))


def test_witnessed_checkpoint_quorum() -> None:
    note = sign_note(BODY, ORIGIN, LOG)
    note = add_signature(note, cosign(BODY, "w1.example", W1, T))
    note = add_signature(note, cosign(BODY, "w2.example", W2, T + 5))
    witnesses = {"w1.example": W1.public_key(), "w2.example": W2.public_key(), "w3.example": W3.public_key()}
    assert verify_cosignatures(note, witnesses, quorum=2) == {"w1.example": T, "w2.example": T + 5}
    with pytest.raises(NoteVerificationError, match="2 known witnesses cosigned, 3 required"):
        verify_cosignatures(note, witnesses, quorum=3)
    # The log's signature is not a cosignature and cosignatures are not log signatures.
    assert verify_note(note, {ORIGIN: LOG.public_key(), "w1.example": W1.public_key()}) == [ORIGIN]
    with pytest.raises(NoteVerificationError, match="0 known witnesses"):
        verify_cosignatures(note, {ORIGIN: LOG.public_key()})
    # A known witness's forged cosignature rejects the note.
    forged = NoteSignature("w3.example", cosignature_key_id("w3.example", W3.public_key()), bytes(72))
    with pytest.raises(NoteVerificationError, match=r"w3\.example"):
        verify_cosignatures(add_signature(note, forged), witnesses)
    # An unknown witness's junk is ignored.
    stranger = NoteSignature("w9.example", b"\x01\x02\x03\x04", bytes(72))
    assert verify_cosignatures(add_signature(note, stranger), witnesses, quorum=2).keys() == {
        "w1.example",
        "w2.example",
    }
