"""JSON Lines export of a verified log, checkable offline with the export alone.

Line 1 is the checkpoint::

    {"checkpoint": "<signed note text, cosignatures included>", "origin": ...,
     "size": N, "root_hash": "<base64>", "log_verifier_key": "<vkey>"}

then one line per entry, in index order::

    {"index": i, "entry_b64": "<base64 of the exact entry bytes>",
     "entry": {<decoded members>}, "leaf_hash": "<hex>",
     "inclusion_proof": ["<hex>", ...]}

``leaf_hash = SHA-256(0x00 || entry bytes)`` and ``inclusion_proof`` is
RFC 9162 ``PATH(i, D[N])`` against the root of the checkpoint line, so a
reader needs only SHA-256, Ed25519 and the hub's verifier key to check every
line. The proofs are computed by the exporter from the leaves it verified,
not asked of the hub (no million proof requests, and nothing trusted).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

from hub.core.audit_entry import AuditEntry
from hub.sdk.audit.tree import LevelTree
from hub.sdk.audit.verify import VerifiedLog

__all__ = ["decoded", "export_lines"]


def decoded(entry: bytes) -> tuple[dict[str, Any] | None, str]:
    """The entry's members (``None`` if unreadable) and the reason it is not canonical (or "")."""
    try:
        return AuditEntry.decode(entry).to_json_object(), ""
    except ValueError as error:
        try:
            loose = json.loads(entry)
        except ValueError:
            return None, str(error)
        return (loose if isinstance(loose, dict) else None), str(error)


def export_lines(verified: VerifiedLog, log_verifier_key: str) -> Iterator[str]:
    """The export, one JSON text per line (without newlines)."""
    if verified.entries is None:
        raise ValueError("export needs the entries: verify with keep_entries=True")
    checkpoint = verified.checkpoint
    yield json.dumps(
        {
            "checkpoint": verified.note,
            "origin": checkpoint.origin,
            "size": checkpoint.size,
            "root_hash": base64.b64encode(checkpoint.root_hash).decode("ascii"),
            "log_verifier_key": log_verifier_key,
        },
        ensure_ascii=False,
    )
    tree = LevelTree(verified.leaves)
    size = checkpoint.size
    for index, (entry, leaf) in enumerate(zip(verified.entries, verified.leaves, strict=True)):
        fields, problem = decoded(entry)
        record: dict[str, Any] = {
            "index": index,
            "entry_b64": base64.b64encode(entry).decode("ascii"),
            "entry": fields,
            "leaf_hash": leaf.hex(),
            "inclusion_proof": [h.hex() for h in tree.inclusion_proof(index, size)],
        }
        if problem:
            record["not_canonical"] = problem
        yield json.dumps(record, ensure_ascii=False, separators=(",", ":"))
