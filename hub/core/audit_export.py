"""Checks an audit-log export offline: the file alone and the hub's pinned key, no hub.

``pxhub audit export`` writes JSON Lines (``hub.sdk.audit.export``): line 1 the signed checkpoint,
then one line per entry with its exact bytes, its leaf hash and its inclusion proof. Here is the
reader's side, pure (lines in, a summary or a :class:`ExportRefused` out), so a court, a member or
a second auditor can check what an auditor handed them without trusting the exporter or the hub:

1. the checkpoint note verifies under the hub key the reader pinned (``federation.json``), and
   the line's copies (origin, size, root, verifier key) agree with the signed note;
2. entry lines hold the indexes ``0 … size-1``, each once and in order (dropped, added,
   duplicated and reordered entries are told apart);
3. each entry's bytes hash to its ``leaf_hash``, its decoded members are those bytes, and its
   inclusion proof leads to the signed root;
4. the leaves fold into the signed root (RFC 9162), recomputed here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hub.core import merkle
from hub.core.checkpoint import (
    Checkpoint,
    NoteError,
    VerifierKey,
    open_checkpoint,
    parse_note,
    verifier_key_string,
)

__all__ = ["ExportRefused", "ExportSummary", "check_export"]


class ExportRefused(ValueError):
    """The export does not prove what it claims; ``line`` is 1-based (0 when about the whole file)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}" if line else reason)
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class ExportSummary:
    """What a passing export proves: these entries are exactly the log under this signed checkpoint."""

    checkpoint: Checkpoint
    note: str
    cosigners: tuple[str, ...]  # names on the note's other signature lines (not checked here)
    not_canonical: int


class _Frontier:
    """The right frontier of an RFC 9162 tree: the root of all leaves seen so far, in O(log n)."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, bytes]] = []  # (level, hash) of perfect subtrees, left to right

    def add(self, leaf: bytes) -> None:
        level, node = 0, leaf
        while self.stack and self.stack[-1][0] == level:
            node = merkle.node_hash(self.stack.pop()[1], node)
            level += 1
        self.stack.append((level, node))

    def root(self) -> bytes:
        if not self.stack:
            return merkle.EMPTY_ROOT
        node = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            node = merkle.node_hash(left, node)
        return node


def _json_object(text: str, line: int, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as error:
        raise ExportRefused(line, f"{what} is not JSON: {error}") from None
    if not isinstance(value, dict):
        raise ExportRefused(line, f"{what} is not a JSON object")
    return value


def _field(record: dict[str, Any], name: str, kind: type, line: int) -> Any:
    value = record.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ExportRefused(line, f"{name!r} is missing or not a {kind.__name__}")
    return value


def _head(text: str, log_key: VerifierKey) -> tuple[Checkpoint, str, tuple[str, ...]]:
    head = _json_object(text, 1, "the checkpoint line")
    note = _field(head, "checkpoint", str, 1)
    try:
        checkpoint, _ = open_checkpoint(note, {log_key.name: log_key.public_key})
    except (NoteError, ValueError) as error:
        raise ExportRefused(
            1, f"the checkpoint is not signed by the pinned hub key {log_key.name}: {error}"
        ) from None
    expected_key = verifier_key_string(log_key.name, log_key.public_key)
    copies = {
        "origin": checkpoint.origin,
        "size": checkpoint.size,
        "root_hash": base64.b64encode(checkpoint.root_hash).decode("ascii"),
        "log_verifier_key": expected_key,
    }
    for name, signed in copies.items():
        if head.get(name) != signed:
            raise ExportRefused(
                1, f"{name!r} is {head.get(name)!r} but the signed checkpoint says {signed!r}"
            )
    _, signatures = parse_note(note)
    return checkpoint, note, tuple(s.name for s in signatures if s.name != log_key.name)


def _entry(record: dict[str, Any], line: int, index: int, checkpoint: Checkpoint) -> tuple[bytes, bool]:
    """The leaf hash of one entry line, checked; and whether the exporter marked it not canonical."""
    try:
        entry = base64.b64decode(_field(record, "entry_b64", str, line), validate=True)
    except binascii.Error as error:
        raise ExportRefused(line, f"entry {index}: 'entry_b64' is not base64: {error}") from None
    leaf = hashlib.sha256(b"\x00" + entry).digest()
    if _field(record, "leaf_hash", str, line) != leaf.hex():
        raise ExportRefused(
            line,
            f"entry {index}: its bytes do not hash to its 'leaf_hash' (the entry or the hash was changed)",
        )
    try:
        fields = json.loads(entry)
    except ValueError:
        fields = None
    if record.get("entry") != fields:
        raise ExportRefused(line, f"entry {index}: the decoded 'entry' differs from the entry's bytes")
    proof_hex = _field(record, "inclusion_proof", list, line)
    try:
        proof = [bytes.fromhex(h) for h in proof_hex]
    except (TypeError, ValueError):
        raise ExportRefused(line, f"entry {index}: 'inclusion_proof' is not a list of hex hashes") from None
    try:
        merkle.verify_inclusion(leaf, index, checkpoint.size, proof, checkpoint.root_hash)
    except merkle.ProofError as error:
        raise ExportRefused(
            line, f"entry {index}: its inclusion proof does not lead to the signed root: {error}"
        ) from None
    return leaf, "not_canonical" in record


def _order_problem(indexes: list[tuple[int, int]], size: int) -> ExportRefused | None:
    """Why the entry lines (index, line number) are not ``0 … size-1`` in order, most telling first."""
    seen: dict[int, int] = {}
    for index, line in indexes:
        if index in seen:
            return ExportRefused(line, f"entry {index} appears twice (also on line {seen[index]})")
        seen[index] = line
    missing = [i for i in range(size) if i not in seen]
    if missing:
        shown = ", ".join(str(i) for i in missing[:5]) + (", …" if len(missing) > 5 else "")
        return ExportRefused(
            0, f"entries the checkpoint signs are missing (dropped): {shown} ({len(missing)} of {size})"
        )
    for position, (index, line) in enumerate(indexes):
        if index != position:
            return ExportRefused(
                line, f"holds entry {index} where entry {position} belongs (entries reordered)"
            )
    return None


def check_export(lines: Iterable[str], log_key: VerifierKey) -> ExportSummary:
    """Check a whole export against the pinned hub key; raise :class:`ExportRefused` at the first problem.

    One pass, memory O(entries) integers: each line is checked against the index it claims, then
    the order of the indexes, then the root over the leaves in file order.
    """
    iterator = iter(lines)
    first = next(iterator, None)
    if first is None or not first.strip():
        raise ExportRefused(1, "the export is empty: line 1 must be the signed checkpoint")
    checkpoint, note, cosigners = _head(first, log_key)
    indexes: list[tuple[int, int]] = []
    frontier = _Frontier()
    not_canonical = 0
    for number, text in enumerate(iterator, start=2):
        if not text.strip():
            continue
        record = _json_object(text, number, "the entry line")
        index = _field(record, "index", int, number)
        if not 0 <= index < checkpoint.size:
            raise ExportRefused(
                number, f"entry index {index} is not in the signed log of size {checkpoint.size}"
            )
        leaf, marked = _entry(record, number, index, checkpoint)
        indexes.append((index, number))
        frontier.add(leaf)
        not_canonical += marked
    problem = _order_problem(indexes, checkpoint.size)
    if problem is not None:
        raise problem
    if frontier.root() != checkpoint.root_hash:
        raise ExportRefused(0, "the entries do not fold into the signed root hash")
    return ExportSummary(checkpoint, note, cosigners, not_canonical)
