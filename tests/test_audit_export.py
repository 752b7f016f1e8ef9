"""The offline export checker (``hub.core.audit_export``) on exports built here: no hub.

An export of a small log passes; each way of tampering with it is refused with its own reason.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.core.audit_entry import AuditEntry
from hub.core.audit_export import ExportRefused, check_export
from hub.core.checkpoint import Checkpoint, parse_verifier_key, sign_note, verifier_key_string
from hub.sdk.audit.export import export_lines
from hub.sdk.audit.tree import mth
from hub.sdk.audit.verify import VerifiedLog

ORIGIN = "pxhub.test/log"
T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
VKEY = verifier_key_string(ORIGIN, KEY.public_key())


def entries(n: int) -> list[bytes]:
    return [
        AuditEntry(
            time=T0 + timedelta(seconds=i),
            actor_kind="member",
            actor_id="CO-INPEC",
            officer_pseudonym="",
            action="submit",
            object_ids=(f"message:m{i}",),
            outcome="permit",
            details={"size": i},
        ).encode()
        for i in range(n)
    ]


def export(n: int = 7, key: Ed25519PrivateKey = KEY) -> list[str]:
    items = entries(n)
    leaves = [AuditEntry.decode(e).leaf_hash() for e in items]
    note = sign_note(Checkpoint(ORIGIN, n, mth(leaves)).body(), ORIGIN, key)
    verified = VerifiedLog(Checkpoint(ORIGIN, n, mth(leaves)), note, {}, leaves, items)
    return list(export_lines(verified, verifier_key_string(ORIGIN, key.public_key())))


def refusal(lines: list[str]) -> str:
    with pytest.raises(ExportRefused) as caught:
        check_export(lines, parse_verifier_key(VKEY))
    return str(caught.value)


def test_an_untouched_export_passes_for_every_size() -> None:
    for n in (0, 1, 2, 3, 7, 8, 33):
        summary = check_export(export(n), parse_verifier_key(VKEY))
        assert summary.checkpoint.size == n and summary.not_canonical == 0


def test_a_changed_byte_in_an_entry_is_refused() -> None:
    lines = export()
    record = json.loads(lines[3])
    raw = bytearray(base64.b64decode(record["entry_b64"]))
    raw[raw.index(b"permit")] = ord("P")
    record["entry_b64"] = base64.b64encode(bytes(raw)).decode()
    lines[3] = json.dumps(record)
    assert (
        refusal(lines)
        == "line 4: entry 2: its bytes do not hash to its 'leaf_hash' (the entry or the hash was changed)"
    )


def test_a_changed_entry_with_a_recomputed_leaf_hash_fails_its_inclusion_proof() -> None:
    lines = export()
    record = json.loads(lines[3])
    changed = base64.b64decode(record["entry_b64"]).replace(b"permit", b"deny__")
    record["entry_b64"] = base64.b64encode(changed).decode()
    record["leaf_hash"] = hashlib.sha256(b"\x00" + changed).hexdigest()
    record["entry"] = json.loads(changed)
    lines[3] = json.dumps(record)
    assert "line 4: entry 2: its inclusion proof does not lead to the signed root" in refusal(lines)


def test_a_decoded_entry_that_differs_from_its_bytes_is_refused() -> None:
    lines = export()
    record = json.loads(lines[2])
    record["entry"]["outcome"] = "deny"
    lines[2] = json.dumps(record)
    assert refusal(lines) == "line 3: entry 1: the decoded 'entry' differs from the entry's bytes"


def test_a_dropped_entry_is_refused() -> None:
    lines = export()
    del lines[5]
    assert refusal(lines) == "entries the checkpoint signs are missing (dropped): 4 (1 of 7)"


def test_reordered_entries_are_refused() -> None:
    lines = export()
    lines[2], lines[5] = lines[5], lines[2]
    assert refusal(lines) == "line 3: holds entry 4 where entry 1 belongs (entries reordered)"


def test_a_duplicated_entry_is_refused() -> None:
    lines = export()
    lines[5] = lines[4]
    assert refusal(lines) == "line 6: entry 3 appears twice (also on line 5)"


def test_an_export_signed_by_another_key_is_refused() -> None:
    other = export(key=Ed25519PrivateKey.from_private_bytes(bytes(32)))
    assert refusal(other).startswith(f"line 1: the checkpoint is not signed by the pinned hub key {ORIGIN}")


def test_a_checkpoint_line_whose_copies_disagree_with_the_note_is_refused() -> None:
    lines = export()
    head = json.loads(lines[0])
    head["size"] = 6
    lines[0] = json.dumps(head)
    assert refusal(lines) == "line 1: 'size' is 6 but the signed checkpoint says 7"


def test_an_empty_or_garbled_file_is_refused() -> None:
    assert refusal([]) == "line 1: the export is empty: line 1 must be the signed checkpoint"
    assert refusal([export()[0], "not json"]).startswith("line 2: the entry line is not JSON")
