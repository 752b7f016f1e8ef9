"""What the hub's services and background tasks are built from: one value, made once by ``start_hub``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from hub.identity.credentials import HubCredentials
from hub.identity.directory import Directory, KeyEntry
from hub.runtime.clock import Clock, edge_clock
from hub.server.rpc import RpcGuard
from hub.server.signals import MailboxSignals
from hub.server.submit_batcher import SubmitBatcher
from hub.services.audit import AuditLogService
from hub.services.directory_book import DirectoryBook
from hub.services.exchange import Exchange
from hub.settings import HubSettings
from hub.store import HubStore
from hub.store.audit import AuditLogStore


@dataclass
class HubContext:
    """Everything a service or background task of the hub is built from."""

    settings: HubSettings
    credentials: HubCredentials
    directory: Directory
    store: HubStore
    exchange: Exchange
    guard: RpcGuard
    hub_key_entry: KeyEntry
    signals: MailboxSignals
    batcher: SubmitBatcher
    directory_book: DirectoryBook
    clock: Clock = edge_clock


def audit_service(hub: HubContext) -> AuditLogService:
    """The audit-log service of a hub: its store, its key, its origin and directory."""
    store = hub.store
    if not isinstance(store, AuditLogStore):
        raise TypeError(f"{type(store).__name__} does not implement the audit-log store contract")
    return AuditLogService(
        store,
        store.append_audit,
        hub.credentials.signing_key,
        hub.credentials.hub_origin,
        hub.directory,
        clock_skew=timedelta(seconds=hub.settings.clock_skew_seconds),
        clock=hub.clock,
    )
