"""The hub's background tasks: each runs for the life of the hub and must never raise."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from hub.runtime.logs import get_logger
from hub.server.context import HubContext, audit_service
from hub.services.directory_book import RECHECK_SECONDS
from hub.store.base import DATE_PURGE_BATCH

log = get_logger("pxhub.hub")

#: How often closed rate-limit windows are looked for (a window lasts a minute).
REFUSAL_WINDOW_CHECK_SECONDS = 10.0

# A background task runs for the life of the hub and must never raise.
BackgroundTask = Callable[[HubContext], Coroutine[Any, Any, None]]


async def purge_forever(hub: HubContext) -> None:
    """Every ``purge_interval_seconds``, on the hub's clock: drop ciphertexts every recipient
    acknowledged longer ago than the retention, and undelivered ones whose review-or-delete date
    passed (one aggregated audit entry per run of at most ``DATE_PURGE_BATCH``)."""
    while True:
        await asyncio.sleep(hub.settings.purge_interval_seconds)
        try:
            cutoff = hub.clock() - timedelta(seconds=hub.settings.retention_seconds)
            purged = await asyncio.to_thread(hub.exchange.purge, cutoff)
            if purged:
                log.info("purged", envelopes=purged)
            while past_date := await asyncio.to_thread(hub.exchange.purge_past_delete_date):
                log.info("purged_past_delete_date", envelopes=len(past_date))
                if len(past_date) < DATE_PURGE_BATCH:
                    break
        except Exception as error:  # the purge must never take the hub down
            log.error("purge_failed", error=type(error).__name__)


async def follow_directory_changes(hub: HubContext) -> None:
    """Apply the key rotations and status changes other replicas store."""
    while True:
        await asyncio.sleep(RECHECK_SECONDS)
        try:
            await asyncio.to_thread(hub.directory_book.catch_up)
        except Exception as error:  # logged loudly; the next round tries again
            log.error("directory_catch_up_failed", error=type(error).__name__, detail=str(error)[:300])


async def commit_submissions(hub: HubContext) -> None:
    """The group-commit writer of Submit (see submit_batcher)."""
    await hub.batcher.run()


async def issue_checkpoints_forever(hub: HubContext) -> None:
    """Sign a checkpoint every ``checkpoint_interval_seconds`` when the log grew."""
    audit = audit_service(hub)
    while True:
        try:
            issued = await asyncio.to_thread(audit.issue_if_grown)
            if issued is not None:
                log.debug("checkpoint_issued", size=issued.size)
        except Exception as error:  # must never take the hub down; logged, retried next interval
            log.error("checkpoint_failed", error=type(error).__name__, detail=str(error)[:200])
        await asyncio.sleep(hub.settings.checkpoint_interval_seconds)


async def sweep_requests_forever(hub: HubContext) -> None:
    """Every ``request_sweep_seconds``: open requests past their deadline become overdue (notified)."""
    while True:
        await asyncio.sleep(hub.settings.request_sweep_seconds)
        try:
            await asyncio.to_thread(hub.exchange.requests.sweep)
        except Exception as error:  # logged loudly; the next round tries again
            log.error("request_sweep_failed", error=type(error).__name__, detail=str(error)[:200])


async def close_refusal_windows_forever(hub: HubContext) -> None:
    """Audit the counted rate-limit refusals of every caller's window that closed."""
    while True:
        await asyncio.sleep(REFUSAL_WINDOW_CHECK_SECONDS)
        try:
            await asyncio.to_thread(hub.guard.close_refusal_windows)
        except Exception as error:  # logged loudly; the counts wait for the next round
            log.error("refusal_summary_failed", error=type(error).__name__, detail=str(error)[:200])


async def warn_endings_forever(hub: HubContext) -> None:
    """Warn, at start and every ``expiry_check_seconds``, of the policy or an agreement about to end."""
    window = timedelta(days=hub.settings.expiry_warning_days)
    while True:
        try:
            await asyncio.to_thread(hub.exchange.policies.warn_ending, hub.clock(), window)
        except Exception as error:  # a warning must never take the hub down
            log.error("expiry_check_failed", error=type(error).__name__, detail=str(error)[:200])
        await asyncio.sleep(hub.settings.expiry_check_seconds)


BACKGROUND_TASKS: tuple[BackgroundTask, ...] = (
    commit_submissions,
    purge_forever,
    issue_checkpoints_forever,
    follow_directory_changes,
    sweep_requests_forever,
    close_refusal_windows_forever,
    warn_endings_forever,
)
