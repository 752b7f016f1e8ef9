"""What the flow families share: connecting as a member, durable files, the outbox, rejects tables.

Secrets never travel as flow parameters (Prefect stores parameters): the key passphrase comes from
``PXHUB_KEY_PASSPHRASE`` or ``PXHUB_KEY_PASSPHRASE_FILE``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from hub.core.lookup import record_handle
from hub.identity.credentials import passphrase_from_env
from hub.runtime.files import fsync_directory, write_atomically
from hub.runtime.private import private_dir, private_file
from hub.sdk import MemberClient
from pxhub.v1 import envelope_pb2

E = envelope_pb2
DEFAULT_TARGET: Final = "127.0.0.1:50051"
DEFAULT_FEDERATION_DIR: Final = "var/federation"
DEFAULT_STATE_DIR: Final = "var/flows"


async def connect(member_id: str, target: str, federation_dir: str) -> MemberClient:
    return await MemberClient.connect(target, Path(federation_dir), member_id, passphrase_from_env())


def member_state_dir(state_dir: str, member_id: str) -> Path:
    """The member's flow state folder (outbox, keys, index, witnessed checkpoint), 0700."""
    return private_dir(Path(state_dir) / member_id)


def write_json_atomically(path: Path, value: Any) -> None:
    write_atomically(path, json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True).encode())


def reason_name(reason: int) -> str:
    return E.Reason.Name(E.Reason.ValueType(reason)).removeprefix("REASON_") if reason else ""


def message_id_key(state_dir: str, member_id: str) -> bytes:
    """The member's secret for message ids (created once beside its outbox, mode 0600)."""
    path = member_state_dir(state_dir, member_id) / "message-id.key"
    if not path.exists():
        # Create-if-absent atomically (parallel shards may race): a private temporary file, then a
        # hard link, which fails if another process linked its key first; everyone reads the winner.
        temporary = path.with_name(f"{path.name}.{secrets.token_hex(8)}.part")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_bytes(32))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
        fsync_directory(path.parent)
    return path.read_bytes()


def record_handle_for(key: bytes, record_id: str) -> str:
    """The opaque handle of one of the member's records (``originating_record_id``, lookup tokens).

    Derived from the member's secret (``message_id_key``) and its national record number, so the hub
    and the recipients see a handle that names the record to the member alone.
    """
    return record_handle(hmac.new(key, b"pxhub/v1/record-handle-key", hashlib.sha256).digest(), record_id)


def message_id_for(
    key: bytes, member_id: str, kind: str, record_id: str, version: str, recipients: Sequence[str]
) -> str:
    """Deterministic message id from (member, record id, version, recipient set), keyed by the member.

    A re-run therefore names the same messages, and the outbox resends the very same envelope bytes
    (answered ``DUPLICATE``) instead of a second copy. The id travels in the cleartext header and the
    audit log: an unkeyed hash of a national inmate number could be confirmed by anyone who guesses
    the number, so the id is an HMAC-SHA256 under a secret only the member holds, shaped as a UUID.
    """
    text = f"pxhub:{member_id}:{kind}:{record_id}:{version}:{','.join(sorted(recipients))}"
    digest = hmac.new(key, text.encode(), hashlib.sha256).digest()
    return str(uuid.UUID(bytes=digest[:16], version=5))


FINAL_OUTCOMES: Final = frozenset({"ACCEPTED", "DUPLICATE"})


@dataclass(frozen=True)
class RecordVersion:
    """One sealed version of a living record: its number, message id, content digest and bytes."""

    number: int
    message_id: str
    digest: bytes
    record: bytes


class Outbox:
    """Sealed envelopes by message id, kept before they are submitted (SQLite, one file per member).

    Sealing is randomised (fresh content key and nonce), so a second seal of the same record would
    be a different envelope under the same id, which the hub refuses as ``REPLAYED``. The outbox
    keeps the first seal: a re-run skips what the hub already accepted and resends the stored bytes of
    anything whose receipt was lost (the hub answers ``DUPLICATE``).
    """

    def __init__(self, path: Path) -> None:
        private_file(private_dir(path.parent) / path.name)  # 0600 before SQLite opens it
        self.path = path
        self.db = sqlite3.connect(path, timeout=60)  # shards of one export share it
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS outbox (message_id TEXT PRIMARY KEY, envelope BLOB NOT NULL,"
            " recipients TEXT NOT NULL, outcome TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '')"
        )
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS versions (record_key TEXT NOT NULL, version INTEGER NOT NULL,"
            " message_id TEXT NOT NULL, digest BLOB NOT NULL, record BLOB NOT NULL,"
            " PRIMARY KEY (record_key, version))"
        )
        self.db.commit()

    def close(self) -> None:
        self.db.close()

    def latest_version(self, record_key: str) -> RecordVersion | None:
        """The newest version of a living record this member sealed (the chain's tip)."""
        query = (
            "SELECT version, message_id, digest, record FROM versions WHERE record_key=?"
            " ORDER BY version DESC LIMIT 1"
        )
        with closing(self.db.execute(query, (record_key,))) as c:
            row = c.fetchone()
        return None if row is None else RecordVersion(int(row[0]), str(row[1]), bytes(row[2]), bytes(row[3]))

    def keep_version(self, record_key: str, version: RecordVersion) -> None:
        """Remember a sealed version, so the next change supersedes it (a re-run keeps the same)."""
        with self.db:
            self.db.execute(
                "INSERT OR IGNORE INTO versions (record_key, version, message_id, digest, record)"
                " VALUES (?, ?, ?, ?, ?)",
                (record_key, version.number, version.message_id, version.digest, version.record),
            )

    def outcome(self, message_id: str) -> tuple[str, bytes | None]:
        query = "SELECT outcome, envelope FROM outbox WHERE message_id=?"
        with closing(self.db.execute(query, (message_id,))) as c:
            row = c.fetchone()
        return ("", None) if row is None else (str(row[0]), bytes(row[1]))

    def keep(self, items: Iterable[tuple[str, bytes, Sequence[str]]]) -> dict[str, bytes]:
        """Store sealed envelopes durably before they leave (one transaction per batch).

        Returns the bytes the outbox holds for each id: when another run of the same export
        (a scheduled run beside a manual one) kept its own seal first, that one is what must be
        sent, or the hub would see two envelopes under one id and refuse the second as REPLAYED.
        """
        rows = [(m, e, ",".join(r)) for m, e, r in items]
        with self.db:
            before = self.db.total_changes
            self.db.executemany(
                "INSERT OR IGNORE INTO outbox (message_id, envelope, recipients) VALUES (?, ?, ?)", rows
            )
            if self.db.total_changes - before == len(rows):  # every seal is new: nothing to read back
                return {m: e for m, e, _ in rows}
            kept = {}
            for message_id, _, _ in rows:
                with closing(
                    self.db.execute("SELECT envelope FROM outbox WHERE message_id=?", (message_id,))
                ) as cursor:
                    kept[message_id] = bytes(cursor.fetchone()[0])
        return kept

    def items(self) -> Iterator[tuple[str, bytes, tuple[str, ...], str]]:
        """Every kept envelope: (outbox key, envelope bytes, recipients, outcome)."""
        query = "SELECT message_id, envelope, recipients, outcome FROM outbox"
        with closing(self.db.execute(query)) as cursor:
            for key, envelope, recipients, outcome in cursor:
                yield str(key), bytes(envelope), tuple(str(recipients).split(",")), str(outcome)

    def record(self, outcomes: Iterable[tuple[str, str, str]]) -> None:
        with self.db:
            self.db.executemany(
                "UPDATE outbox SET outcome=?, detail=? WHERE message_id=?",
                [(o, d, m) for m, o, d in outcomes],
            )


@dataclass
class Tally:
    """What the hub answered for envelopes sent from the outbox."""

    accepted: int = 0
    duplicates: int = 0
    rejected: list[tuple[str, str, str]] = field(default_factory=list)  # (message id, reason, detail)
    sent_to: dict[str, int] = field(default_factory=dict)  # accepted envelopes per recipient


def record_receipts(
    outbox: Outbox, sent: Sequence[tuple[str, Sequence[str]]], receipts: Sequence[envelope_pb2.Receipt]
) -> Tally:
    """Count the receipts of ``sent`` ((message id, recipients), in order) and keep their outcomes."""
    tally = Tally()
    outcomes = []
    accepted_for: Counter[str] = Counter()
    for (message_id, recipients), receipt in zip(sent, receipts, strict=True):
        if receipt.outcome == E.Receipt.OUTCOME_ACCEPTED:
            tally.accepted += 1
            outcomes.append((message_id, "ACCEPTED", ""))
            accepted_for.update(recipients)
        elif receipt.outcome == E.Receipt.OUTCOME_DUPLICATE:
            tally.duplicates += 1
            outcomes.append((message_id, "DUPLICATE", ""))
        else:
            reason = reason_name(receipt.reason) or E.Receipt.Outcome.Name(receipt.outcome)
            tally.rejected.append((message_id, reason, receipt.detail))
            outcomes.append((message_id, f"REJECTED {reason}", receipt.detail))
    tally.sent_to = dict(accepted_for)
    outbox.record(outcomes)
    return tally


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines.extend("| " + " | ".join(cell(v) for v in row) + " |" for row in rows)
    return "\n".join(lines)


def artifact_key(*parts: str) -> str:
    """Prefect artifact keys: lowercase letters, digits and dashes only."""
    text = "-".join(parts).lower()
    return "".join(ch if ch.isalnum() and ch.isascii() else "-" for ch in text).strip("-")[:100]
