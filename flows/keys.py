"""rotate-keys: a member generates, announces, overlaps and retires its own keys.

Each run, for the member:

1. **retire**: every previous key whose overlap is over loses its private half
   (``hub.identity.keyring.retire_expired``);
2. **rotate** each key use that is due (older than ``rotate_after_days``, expiring
   within 30 days, or ``force``): generate it into the member's keyring as
   pending, announce it to the hub (signed by the current signing key, with a
   proof of possession for Ed25519 keys), and switch to it once the hub has
   accepted it. The replaced key stays valid for ``overlap_days``: what was
   signed or sealed under it before the rotation is still verified and opened.

Thin over ``hub.sdk.rotation.rotate_key``; every step is safe to repeat (a
crashed run leaves a pending key that the next run announces again). The
signing key rotates last, on its own connection, because the announcement of
every other key is signed with the signing key in force.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NO_CACHE

from flows.common import DEFAULT_FEDERATION_DIR, DEFAULT_TARGET, artifact_key, connect, markdown_table
from flows.retry import TRANSIENT_RETRY
from hub.identity import keyring
from hub.identity.credentials import passphrase_from_env
from hub.identity.directory import EXPIRY_WARNING
from hub.identity.manifest import KeyUse
from hub.runtime.clock import edge_clock
from hub.sdk.rotation import RotatedKey, rotate_key

#: Rotation order: whatever is signed with the signing key goes first, the signing key last.
USES: Final[tuple[KeyUse, ...]] = ("encryption", "approver", "signing")


@dataclass
class RotationReport:
    member_id: str
    rotated: list[RotatedKey] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    not_due: list[str] = field(default_factory=list)


def due(entry: keyring.KeyringEntry, now: datetime, rotate_after: timedelta, force: bool) -> bool:
    """A current key is due when forced, older than ``rotate_after`` or close to its end."""
    return force or now - entry.valid_from >= rotate_after or entry.valid_until - now <= EXPIRY_WARNING


@task(name="retire-expired-keys", cache_policy=NO_CACHE)
def retire_expired_keys(member: str, federation_dir: str) -> list[str]:
    return keyring.retire_expired(Path(federation_dir), member, edge_clock())


@task(name="rotate-key", **TRANSIENT_RETRY)
async def rotate_one(
    member: str, use: KeyUse, target: str, federation_dir: str, overlap_days: float, lifetime_days: float
) -> RotatedKey:
    client = await connect(member, target, federation_dir)
    try:
        return await rotate_key(
            client,
            Path(federation_dir),
            use,
            passphrase_from_env(),
            overlap=timedelta(days=overlap_days),
            lifetime=timedelta(days=lifetime_days),
        )
    finally:
        await client.close()


@flow(name="rotate-keys", log_prints=False)
async def rotate_keys(
    member: str,
    target: str = DEFAULT_TARGET,
    federation_dir: str = DEFAULT_FEDERATION_DIR,
    uses: list[str] | None = None,
    overlap_days: float = 7.0,
    lifetime_days: float = 365.0,
    rotate_after_days: float = 90.0,
    force: bool = False,
) -> RotationReport:
    """Retire keys whose overlap is over, then rotate every key use that is due (or all, with force)."""
    logger = get_run_logger()
    unknown = sorted(set(uses or ()) - set(USES))
    if unknown:  # refused before anything changes (retiring deletes private keys)
        raise ValueError(f"uses: unknown key use(s) {', '.join(unknown)}; one of {', '.join(USES)}")
    wanted = [u for u in USES if uses is None or u in uses]
    report = RotationReport(member)
    report.retired = retire_expired_keys(member, federation_dir)
    now = edge_clock()
    current = {
        e.use: e for e in keyring.keyring_or_manifest(Path(federation_dir), member) if e.status == "current"
    }
    for use in wanted:
        entry = current.get(use)
        if entry is None:
            continue  # auditors and operators have no encryption or approver key
        if not due(entry, now, timedelta(days=rotate_after_days), force):
            report.not_due.append(use)
            continue
        rotated = await rotate_one(member, use, target, federation_dir, overlap_days, lifetime_days)
        logger.info(
            "rotate-keys %s: %s key %s replaces %s (previous valid until %s)",
            member,
            use,
            rotated.new_key_id,
            rotated.previous_key_id,
            rotated.previous_valid_until,
        )
        report.rotated.append(rotated)
    rows = [
        (r.use, r.previous_key_id, r.new_key_id, r.previous_valid_until or "", r.directory_version)
        for r in report.rotated
    ]
    await acreate_markdown_artifact(
        key=artifact_key("rotate-keys", member),
        markdown=f"## Key rotation for {member}\n\n"
        + markdown_table(("use", "replaced key", "new key", "replaced key valid until", "directory"), rows)
        + f"\n\nRetired (private half deleted): {', '.join(report.retired) or 'none'}. "
        + f"Not due: {', '.join(report.not_due) or 'none'}.\n",
        description=f"Key rotation for {member}",
    )
    return report
