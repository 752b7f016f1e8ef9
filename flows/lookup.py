"""publish-lookup-tokens: the lookup tokens of the persons in a member's national export, kept current.

Thin over the adapter and the SDK. The export is read through the member's adapter; each record's
tokens (``hub.core.lookup.profile_tokens``, under the epoch's matching key opened from the member's
own sealed copy) are published under the record's opaque handle (``flows.common.record_handle_for``).
Publication is incremental: the member's index (``var/flows/M/lookup-index.json``, on its own disk)
remembers each handle's national record number and token digests, so a re-run sends only the
records that appeared, changed or left (removed: the person left custody, or the record was deleted).
A new epoch republishes everything under the new key (``replace_all``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_table_artifact

from adapters.registry import get_adapter
from flows.common import (
    DEFAULT_FEDERATION_DIR,
    DEFAULT_STATE_DIR,
    DEFAULT_TARGET,
    artifact_key,
    connect,
    member_state_dir,
    message_id_key,
    record_handle_for,
    write_json_atomically,
)
from flows.progress import PROGRESS_ROWS, report
from flows.retry import TRANSIENT_RETRY
from hub.core.lookup import Token, profile_tokens

INDEX_FILE: Final = "lookup-index.json"


@dataclass
class TokenPublishResult:
    member_id: str
    epoch: int = 0
    records: int = 0
    without_tokens: int = 0
    added: int = 0
    removed: int = 0
    held: int = 0
    republished: bool = False


def index_path(state_dir: str, member_id: str) -> Path:
    return member_state_dir(state_dir, member_id) / INDEX_FILE


def read_index(state_dir: str, member_id: str) -> dict[str, Any]:
    """The member's lookup index: {"epoch": e, "records": {handle: {"record": id, "tokens": [...]}}}."""
    path = index_path(state_dir, member_id)
    if not path.exists():
        return {"epoch": 0, "records": {}}
    value: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return value


def handle_records(state_dir: str, member_id: str) -> dict[str, str]:
    """Record handle -> the member's national record number, from its index (request-inbox uses it)."""
    return {h: str(v["record"]) for h, v in read_index(state_dir, member_id)["records"].items()}


def export_tokens(source: str, member: str, key: bytes, id_key: bytes) -> dict[str, tuple[str, list[Token]]]:
    """handle -> (national record number, tokens) for every record of the export."""
    found: dict[str, tuple[str, list[Token]]] = {}
    bar = f"publish-lookup-tokens {member}"
    size = Path(source).stat().st_size
    with Path(source).open("rb") as stream:
        report(bar, description=f"{bar}: read the export", total=size, completed=0)
        for row in get_adapter(member).parse(stream):
            if row.row_number % PROGRESS_ROWS == 0:
                report(bar, completed=stream.tell())
            record = row.record
            if record is None or not record.custodian_subject_id:
                continue
            handle = record_handle_for(id_key, record.custodian_subject_id)
            found[handle] = (record.custodian_subject_id, profile_tokens(key, record))
        report(bar, completed=size)
    return found


def _digests(tokens: list[Token]) -> list[str]:
    return sorted(hashlib.sha256(t.value).hexdigest()[:16] for t in tokens)


@task(name="publish-tokens", **TRANSIENT_RETRY)
async def publish(
    member: str, source: str, target: str, federation_dir: str, state_dir: str
) -> TokenPublishResult:
    result = TokenPublishResult(member)
    client = await connect(member, target, federation_dir)
    try:
        epoch, key = await client.matching_key()
        current = export_tokens(source, member, key, message_id_key(state_dir, member))
        index = read_index(state_dir, member)
        known: dict[str, Any] = index["records"] if index["epoch"] == epoch else {}
        result.republished = index["epoch"] != epoch
        add: list[tuple[str, Token]] = []
        remove = [h for h in known if h not in current]
        for handle, (_, tokens) in current.items():
            before = known.get(handle)
            if before is not None and before["tokens"] == _digests(tokens):
                continue
            if before is not None:
                remove.append(handle)  # changed: its old tokens go first
            add.extend((handle, token) for token in tokens)
        result.records = len(current)
        result.without_tokens = sum(1 for _, tokens in current.values() if not tokens)
        result.added, result.removed, result.held = await client.publish_tokens(
            epoch, add, remove, replace_all=result.republished
        )
        result.epoch = epoch
    finally:
        await client.close()
    write_json_atomically(
        index_path(state_dir, member),
        {
            "epoch": epoch,
            "records": {h: {"record": r, "tokens": _digests(t)} for h, (r, t) in current.items()},
        },
    )
    return result


@flow(name="publish-lookup-tokens", log_prints=False)
async def publish_lookup_tokens(
    member: str,
    source: str,
    target: str = DEFAULT_TARGET,
    federation_dir: str = DEFAULT_FEDERATION_DIR,
    state_dir: str = DEFAULT_STATE_DIR,
) -> TokenPublishResult:
    """Publish the lookup tokens of the persons in the national export ``source`` (incrementally)."""
    result = await publish(member, source, target, federation_dir, state_dir)
    get_run_logger().info(
        "lookup tokens %s epoch %d: %d records, %d tokens added, %d removed, %d held%s",
        member,
        result.epoch,
        result.records,
        result.added,
        result.removed,
        result.held,
        " (new epoch: republished)" if result.republished else "",
    )
    await acreate_table_artifact(
        key=artifact_key("lookup-tokens", member),
        table=[
            {"count": "records in the export", "value": result.records},
            {"count": "records with no usable identifier or name", "value": result.without_tokens},
            {"count": "tokens added", "value": result.added},
            {"count": "tokens removed", "value": result.removed},
            {"count": f"tokens held at the hub (epoch {result.epoch})", "value": result.held},
        ],
        description=f"Lookup tokens published by {member}",
    )
    return result
