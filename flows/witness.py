"""witness-checkpoints: a member checks the hub's latest checkpoint extends the last one it cosigned.

Thin over ``hub.sdk.audit.client.AuditClient.witness`` (which fetches the checkpoint and the RFC 9162
consistency proof, checks them with ``hub.sdk.audit.witness.check_and_cosign`` and hands the
cosignature to the hub). The flow keeps, per member, the last checkpoint it cosigned in a state
file (``<state_dir>/<member>/witnessed-checkpoint.txt``: the hub-signed note, re-verified against
the hub key of ``federation.json`` on every read) and replaces it atomically after each cosignature.

If the hub shows a tree that does not extend the cosigned one (a smaller tree, another root at the
same size, or a consistency proof that fails) the flow cosigns nothing, keeps the state file as it
was, publishes a markdown artifact with the reason and fails with :class:`CheckpointForkError`:
two members shown two histories is the one thing the witnesses exist to catch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_markdown_artifact

from flows.common import (
    DEFAULT_FEDERATION_DIR,
    DEFAULT_STATE_DIR,
    DEFAULT_TARGET,
    artifact_key,
    markdown_table,
    member_state_dir,
)
from flows.retry import TRANSIENT_RETRY
from hub.core.checkpoint import Checkpoint, open_checkpoint
from hub.identity.credentials import passphrase_from_env
from hub.identity.manifest import load_manifest
from hub.runtime.files import write_atomically
from hub.sdk.audit.client import AuditClient
from hub.sdk.audit.witness import WitnessInconsistentError

STATE_FILE: Final = "witnessed-checkpoint.txt"


class CheckpointForkError(RuntimeError):
    """The hub's checkpoint does not extend the one this member cosigned: the log forked or rolled back."""


@dataclass
class WitnessResult:
    member_id: str
    previous_size: int
    size: int
    root_hash: str
    cosignature: str


def load_witnessed(path: Path, federation_dir: str) -> Checkpoint | None:
    if not path.exists():
        return None
    manifest = load_manifest(Path(federation_dir))
    checkpoint, _ = open_checkpoint(
        path.read_text(encoding="utf-8"), {manifest.hub_origin: manifest.hub_public_key()}
    )
    return checkpoint


@task(name="check-and-cosign", **TRANSIENT_RETRY)
async def check_and_cosign_latest(
    member: str, target: str, federation_dir: str, state_file: str
) -> WitnessResult:
    path = Path(state_file)
    last = load_witnessed(path, federation_dir)
    client = await AuditClient.connect(target, Path(federation_dir), member, passphrase_from_env())
    try:
        witnessed = await client.witness(last, issue=True)
    finally:
        await client.close()
    write_atomically(path, witnessed.note.encode())  # only after the hub took the cosignature
    return WitnessResult(
        member,
        last.size if last else 0,
        witnessed.checkpoint.size,
        witnessed.checkpoint.root_hash.hex(),
        witnessed.cosignature.line(),
    )


@flow(name="witness-checkpoints", log_prints=False)
async def witness_checkpoints(
    member: str,
    target: str = DEFAULT_TARGET,
    federation_dir: str = DEFAULT_FEDERATION_DIR,
    state_dir: str = DEFAULT_STATE_DIR,
) -> WitnessResult:
    """Check the hub's latest checkpoint against the last one cosigned, then cosign it; fail on a fork."""
    logger = get_run_logger()
    state_file = member_state_dir(state_dir, member) / STATE_FILE
    try:
        result = await check_and_cosign_latest(member, target, federation_dir, str(state_file))
    except WitnessInconsistentError as error:
        reason = str(error)
        logger.error("witness %s: the hub's log is INCONSISTENT with what it cosigned: %s", member, reason)
        await acreate_markdown_artifact(
            key=artifact_key("witness", member),
            markdown=f"## Audit log INCONSISTENT: nothing cosigned\n\n{member} refused to cosign: "
            f"**{reason}**.\n\nThe last checkpoint it cosigned stays in `{state_file}`. "
            "Report this to the auditors: the hub has shown a history that does not extend the one "
            "this member witnessed.\n",
            description=f"Witnessing by {member} FAILED",
        )
        raise CheckpointForkError(f"{member} refuses to cosign the hub's checkpoint: {reason}") from error
    logger.info(
        "witness %s: cosigned tree size %d (previously %d)", member, result.size, result.previous_size
    )
    await acreate_markdown_artifact(
        key=artifact_key("witness", member),
        markdown=f"## Checkpoint cosigned by {member}\n\n"
        + markdown_table(
            ("previous size", "size", "root hash", "cosignature"),
            [(result.previous_size, result.size, result.root_hash, f"`{result.cosignature}`")],
        ),
        description=f"Witnessing by {member}",
    )
    return result
