"""A member's national sink: what inbound sync writes, de-duplicated by message id, with its cursor.

Layout of a sink folder (one per member)::

    batch-<first message id>.<ext>         profiles, rendered by the member's adapter (national format)
    batch-<first message id>.other.jsonl   other records (audits, training, programmes) as JSON Lines
    batch-<first message id>.manifest.json the commit marker: message ids in row order, senders
    legal-hold/<message id>.json           a withdrawn or expired record kept (blocked) under a legal hold
    .pxhub-inbound.json                    the Fetch cursor, written only after the acknowledgement

Every file is written atomically (temporary file, fsync, rename, directory fsync). The manifest is
written last: a batch without one is an interrupted write and is removed before the next batch. A
crash after the manifest but before the acknowledgement makes the hub deliver again; the sink then
finds the message ids in its manifests and writes nothing twice (the deliveries are acknowledged).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from google.protobuf import json_format

from adapters.registry import get_adapter
from flows.common import write_json_atomically
from hub.runtime.files import write_atomically
from hub.runtime.private import private_dir
from hub.sdk import OpenedDelivery
from pxhub.v1 import envelope_pb2, inmate_profile_pb2, record_pb2

STATE_FILE: Final = ".pxhub-inbound.json"
MANIFEST_SUFFIX: Final = ".manifest.json"
OTHER_SUFFIX: Final = ".other.jsonl"


@dataclass(frozen=True)
class WrittenBatch:
    manifest: str
    profiles: int
    others: int


class NationalSink:
    def __init__(self, member_id: str, folder: str | Path) -> None:
        self.member_id = member_id
        self.folder = private_dir(Path(folder))
        self.adapter = get_adapter(member_id)
        # Message ids per manifest, keyed by (path, mtime, size): a run reads each manifest once
        # instead of every manifest for every batch; a rewritten manifest (a deletion) is re-read.
        self._known: dict[Path, tuple[tuple[int, int], frozenset[str]]] = {}

    # -- cursor ------------------------------------------------------------------------------

    def cursor(self) -> str:
        path = self.folder / STATE_FILE
        if not path.exists():
            return ""
        return str(json.loads(path.read_text(encoding="utf-8")).get("cursor", ""))

    def save_cursor(self, cursor: str) -> None:
        write_json_atomically(self.folder / STATE_FILE, {"member_id": self.member_id, "cursor": cursor})

    # -- batches -----------------------------------------------------------------------------

    def manifests(self) -> list[Path]:
        return sorted(self.folder.glob(f"batch-*{MANIFEST_SUFFIX}"))

    def _manifest(self, path: Path) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return value

    def known_message_ids(self) -> set[str]:
        known: set[str] = set()
        for path in self.manifests():
            stat = path.stat()
            version = (stat.st_mtime_ns, stat.st_size)
            cached = self._known.get(path)
            if cached is None or cached[0] != version:
                manifest = self._manifest(path)
                ids = frozenset((*manifest["profiles"], *manifest["others"], *manifest.get("deleted", [])))
                cached = self._known[path] = (version, ids)
            known.update(cached[1])
        return known

    def discard_uncommitted(self) -> int:
        """Remove files of batches whose manifest was never written (an interrupted write)."""
        committed = {p.name.removesuffix(MANIFEST_SUFFIX) for p in self.manifests()}
        removed = 0
        for path in self.folder.glob("batch-*"):
            stem = path.name.split(".", 1)[0]
            if stem not in committed and not path.name.endswith(MANIFEST_SUFFIX):
                path.unlink()
                removed += 1
        for path in self.folder.glob("*.part"):
            path.unlink()
        return removed

    def write_batch(self, opened: Sequence[OpenedDelivery]) -> WrittenBatch | None:
        """Write new deliveries durably (national file, other records, then the manifest)."""
        known = self.known_message_ids()
        fresh = [o for o in opened if o.message_id not in known]
        if not fresh:
            return None
        stem = f"batch-{fresh[0].message_id}"
        profiles = [o for o in fresh if o.record.HasField("inmate_security_profile")]
        others = [o for o in fresh if not o.record.HasField("inmate_security_profile")]
        if profiles:
            buffer = io.BytesIO()
            self.adapter.render((o.record.inmate_security_profile for o in profiles), buffer)
            write_atomically(self.folder / f"{stem}{self.adapter.file_extension}", buffer.getvalue())
        if others:
            lines = "".join(_other_line(o) + "\n" for o in others)
            write_atomically(self.folder / f"{stem}{OTHER_SUFFIX}", lines.encode())
        write_json_atomically(
            self.folder / f"{stem}{MANIFEST_SUFFIX}",
            {
                "member_id": self.member_id,
                "format": self.adapter.format_name,
                "profiles": [o.message_id for o in profiles],
                "others": [o.message_id for o in others],
                "senders": {o.message_id: o.sender for o in fresh},
                "deleted": [],
                # Records to delete at their signed header's review_or_delete_at (retention).
                "dated": {
                    o.message_id: {
                        "delete_at": o.verified.metadata.review_or_delete_at.ToDatetime(UTC).isoformat(),
                        "header_sha256": o.verified.header_sha256.hex(),
                    }
                    for o in fresh
                    if o.verified.metadata.HasField("review_or_delete_at")
                },
            },
        )
        return WrittenBatch(f"{stem}{MANIFEST_SUFFIX}", len(profiles), len(others))

    # -- retention ---------------------------------------------------------------------------

    def past_delete_date(self, now: datetime) -> dict[str, bytes]:
        """Records still held whose header's review_or_delete_at is at or before ``now``: message id
        to header digest (what a deletion attestation names)."""
        due: dict[str, bytes] = {}
        for manifest_path in self.manifests():
            manifest = self._manifest(manifest_path)
            held = {*manifest["profiles"], *manifest["others"]}
            for message_id, dated in manifest.get("dated", {}).items():
                if message_id in held and datetime.fromisoformat(dated["delete_at"]) <= now:
                    due[message_id] = bytes.fromhex(dated["header_sha256"])
        return due

    # -- withdrawals -------------------------------------------------------------------------

    def delete(self, message_ids: Iterable[str], legal_hold: str = "", why: str = "withdrawn") -> list[str]:
        """Delete the named records from the national files (under a legal hold: block and retain,
        saying ``why`` they are blocked).

        Returns the message ids actually removed. The national file is re-rendered without the
        rows, through the adapter, and replaced atomically; the manifest follows.
        """
        wanted = set(message_ids)
        removed: list[str] = []
        for manifest_path in self.manifests():
            manifest = self._manifest(manifest_path)
            stem = manifest_path.name.removesuffix(MANIFEST_SUFFIX)
            hit_profiles = [m for m in manifest["profiles"] if m in wanted]
            hit_others = [m for m in manifest["others"] if m in wanted]
            if not hit_profiles and not hit_others:
                continue
            if hit_profiles:
                path = self.folder / f"{stem}{self.adapter.file_extension}"
                with path.open("rb") as stream:
                    rows = [r.record for r in self.adapter.parse(stream) if r.row_number > 0]
                kept = []
                for message_id, record in zip(manifest["profiles"], rows, strict=False):
                    if message_id in wanted:
                        if legal_hold and record is not None:
                            self._hold(message_id, json_format.MessageToDict(record), legal_hold, why)
                    elif record is not None:
                        kept.append(record)
                buffer = io.BytesIO()
                self.adapter.render(kept, buffer)
                write_atomically(path, buffer.getvalue())
            if hit_others:
                path = self.folder / f"{stem}{OTHER_SUFFIX}"
                lines = []
                for line in path.read_text(encoding="utf-8").splitlines():
                    item = json.loads(line)
                    if item["message_id"] in wanted:
                        if legal_hold:
                            self._hold(item["message_id"], item["record"], legal_hold, why)
                        continue
                    lines.append(line)
                write_atomically(path, "".join(f"{x}\n" for x in lines).encode())
            manifest["profiles"] = [m for m in manifest["profiles"] if m not in wanted]
            manifest["others"] = [m for m in manifest["others"] if m not in wanted]
            manifest["deleted"] = sorted({*manifest.get("deleted", []), *hit_profiles, *hit_others})
            write_json_atomically(manifest_path, manifest)
            removed.extend(hit_profiles + hit_others)
        return removed

    def _hold(self, message_id: str, record: object, basis: str, why: str) -> None:
        write_json_atomically(
            self.folder / "legal-hold" / f"{message_id}.json",
            {"message_id": message_id, "blocked": f"{why}; legal hold: {basis}", "record": record},
        )

    def profiles(self) -> Iterator[tuple[str, str, inmate_profile_pb2.InmateSecurityProfile]]:
        """(message id, sender, profile) of each profile the national files hold, read back."""
        for manifest_path in self.manifests():
            manifest = self._manifest(manifest_path)
            stem = manifest_path.name.removesuffix(MANIFEST_SUFFIX)
            path = self.folder / f"{stem}{self.adapter.file_extension}"
            if not path.exists():
                continue
            with path.open("rb") as stream:
                rows = [r.record for r in self.adapter.parse(stream) if r.row_number > 0]
            for message_id, record in zip(manifest["profiles"], rows, strict=False):
                if record is not None:
                    yield message_id, manifest.get("senders", {}).get(message_id, ""), record

    def rows(self) -> int:
        """How many profile rows the national files hold (parsed back through the adapter)."""
        total = 0
        for manifest_path in self.manifests():
            stem = manifest_path.name.removesuffix(MANIFEST_SUFFIX)
            path = self.folder / f"{stem}{self.adapter.file_extension}"
            if path.exists():
                with path.open("rb") as stream:
                    total += sum(1 for r in self.adapter.parse(stream) if r.row_number > 0)
        return total


def _other_line(opened: OpenedDelivery) -> str:
    metadata = opened.verified.metadata
    line: dict[str, Any] = {
        "message_id": metadata.message_id,
        "sender": metadata.sender.member_id,
        "purpose": envelope_pb2.Purpose.Name(metadata.purpose),
        "record": json_format.MessageToDict(opened.record),
    }
    if metadata.record_version:
        line["version"] = metadata.record_version
    if metadata.supersedes_message_id:
        line["supersedes"] = metadata.supersedes_message_id
    if metadata.type in (envelope_pb2.MESSAGE_TYPE_REQUEST, envelope_pb2.MESSAGE_TYPE_RESPONSE):
        line["header"] = json_format.MessageToDict(metadata)  # what request-inbox answers from
    return json.dumps(line, ensure_ascii=False, sort_keys=True)


def requests_in_sink(folder: str | Path) -> list[tuple[envelope_pb2.RecordMetadata, record_pb2.Record]]:
    """The REQUESTs a sink holds: each verified header with its opened FILE_REQUEST."""
    found = []
    for path in sorted(Path(folder).glob(f"batch-*{OTHER_SUFFIX}")):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            header = item.get("header")
            if header is None:
                continue
            metadata = json_format.ParseDict(header, envelope_pb2.RecordMetadata())
            if metadata.type == envelope_pb2.MESSAGE_TYPE_REQUEST:
                found.append((metadata, json_format.ParseDict(item["record"], record_pb2.Record())))
    return found


@dataclass(frozen=True)
class HeldVersion:
    """A non-profile record the sink holds, with what its header said of its place in a chain."""

    message_id: str
    sender: str
    version: int
    supersedes: str
    record: record_pb2.Record


def held_versions(folder: str | Path) -> dict[str, HeldVersion]:
    """Every non-profile record the sink holds, by message id (every version is kept)."""
    found = {}
    for path in sorted(Path(folder).glob(f"batch-*{OTHER_SUFFIX}")):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            record = json_format.ParseDict(item["record"], record_pb2.Record())
            found[item["message_id"]] = HeldVersion(
                item["message_id"],
                item["sender"],
                int(item.get("version", 0)),
                item.get("supersedes", ""),
                record,
            )
    return found


def other_records(folder: str | Path) -> list[record_pb2.Record]:
    """The non-profile records a sink holds (for the programme comparison)."""
    records = []
    for path in sorted(Path(folder).glob(f"batch-*{OTHER_SUFFIX}")):
        for line in path.read_text(encoding="utf-8").splitlines():
            records.append(json_format.ParseDict(json.loads(line)["record"], record_pb2.Record()))
    return records
