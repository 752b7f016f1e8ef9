"""``pxhub demo``: a complete regional exchange among the seven members, on the embedded defaults.

A fresh federation and SQLite file in a temporary folder, the hub on a free
loopback port, one outbound-sync flow per member, a few deliberately bad
submissions (to show precise rejections), one inbound-sync flow per member,
then a table of sent / received / acknowledged per member pair.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import Progress, TaskID
from rich.table import Table

from flows.demo_lookup import lookups_and_requests, sweep_overdue
from flows.prefect_env import flush_prefect_workers, use_local_prefect
from flows.progress import console_progress
from hub.core.words import counted
from hub.identity.manifest import ENV_PASSPHRASE, ENV_PASSPHRASE_FILE
from hub.runtime.clock import CLOCK_ENV, Clock, MovableClock, edge_clock

if TYPE_CHECKING:  # flows.consent imports prefect, which must come after use_local_prefect
    from flows.consent import ConsentTransfer
    from flows.outbound import OutboundSyncResult
    from flows.publish import PublishResult


@dataclass
class DemoReport:
    sent: Counter[tuple[str, str]] = field(default_factory=Counter)
    received: Counter[tuple[str, str]] = field(default_factory=Counter)
    acknowledged: Counter[tuple[str, str]] = field(default_factory=Counter)
    rejects: list[tuple[str, str, str, str]] = field(default_factory=list)  # member, message, reason, detail
    # The consent scenario: what was withdrawn, and per recipient received / acknowledged / attested.
    withdrawal: str = ""
    lineage: list[tuple[str, str, str, str]] = field(default_factory=list)
    audit_entries: int = 0
    seconds: float = 0.0
    comparison: list[str] = field(default_factory=list)  # indicators compared across countries
    lookups: list[tuple[str, str, str]] = field(default_factory=list)  # (person, member, answer)
    requests: list[tuple[str, str, str, str]] = field(default_factory=list)  # (request, from, to, state)
    witnessed: int = 0  # tree size the seven members last cosigned
    # A finding's chain as its sender sees it in `pxhub track`: version, state, accepted, lasted, message.
    finding: str = ""
    finding_chain: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    comparison_members: dict[str, list[str]] = field(default_factory=dict)  # indicator -> members
    integrity: list[tuple[object, ...]] = field(default_factory=list)  # the regional integrity view's rows


class HubThread:
    """Runs the hub in its own thread and event loop, as a separate server would."""

    def __init__(
        self, settings: object, federation_dir: Path, passphrase: bytes, clock: Clock = edge_clock
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.federation_dir = federation_dir
        self.passphrase = passphrase
        self.port = 0
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="pxhub-hub", daemon=True)
        self.running: object = None

    def start(self) -> int:
        self._thread.start()
        self.ready.wait(60)
        if self.error is not None:
            raise self.error
        return self.port

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        from hub.identity.credentials import load_hub
        from hub.identity.directory import Directory
        from hub.server.app import start_hub
        from hub.store import open_store

        try:
            settings = self.settings
            store = open_store(settings.sqlalchemy_url)  # type: ignore[attr-defined]
            running = await start_hub(
                settings,  # type: ignore[arg-type]
                load_hub(self.federation_dir, self.passphrase),
                Directory.from_federation(self.federation_dir),
                store,
                self.clock,
            )
            self.running = running
            self.port = running.port
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
        except BaseException as error:
            self.error = error
            self.ready.set()
            raise
        self.ready.set()
        await self._stop.wait()
        await running.stop()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


async def _bad_submissions(target: str, federation_dir: Path, passphrase: bytes, report: DemoReport) -> None:
    """What members get wrong in real life, and the precise answer the hub gives to each."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from flows.samples import ExchangePlan, outgoing_records
    from hub.core.envelope import RecipientKey, SignerKey, seal
    from hub.runtime.clock import system_random
    from hub.sdk import MemberClient
    from pxhub.v1 import envelope_pb2

    client = await MemberClient.connect(target, federation_dir, "GT-DGSP", passphrase)
    try:
        plan = ExchangePlan("GT-DGSP", seed=7, profiles_per_partner=6, partners=("PE-INPE",))
        items = [o for o in outgoing_records(plan) if o.record.HasField("inmate_security_profile")][:6]

        def fresh(index: int) -> envelope_pb2.RecordMetadata:
            metadata = envelope_pb2.RecordMetadata()
            metadata.CopyFrom(items[index].metadata)
            metadata.message_id = ""
            return metadata

        tampered = client.seal(items[0].record, fresh(0), ("PE-INPE",))
        tampered.ciphertext = tampered.ciphertext[:-1] + bytes([tampered.ciphertext[-1] ^ 1])
        first = client.seal(items[1].record, fresh(1), ("PE-INPE",))
        replay_metadata = envelope_pb2.EnvelopeHeader.FromString(first.header).metadata
        same_id = envelope_pb2.RecordMetadata.FromString(replay_metadata)
        replay = client.seal(items[2].record, same_id, ("PE-INPE",))
        # GT and CO have no security-cooperation agreement in the default policy.
        no_agreement = client.seal(items[5].record, fresh(5), ("CO-INPEC",))
        signer = SignerKey("GT-DGSP", client.identity.signing_key_id, client.identity.signing_key)
        stranger_key = X25519PrivateKey.generate().public_key()
        stranger = seal(
            items[3].record,
            fresh(3),
            signer,
            [RecipientKey("AR-SPF", "AR-SPF/encryption/0", stranger_key)],
            now=client.clock(),
            random_bytes=system_random,
        )
        colombia = await MemberClient.connect(target, federation_dir, "CO-INPEC", passphrase)
        try:  # a record validly signed by CO-INPEC, relayed by GT-DGSP as if it were its own
            relayed = colombia.seal(items[4].record, fresh(4), ("PE-INPE",))
        finally:
            await colombia.close()
        cases = [
            ("tampered ciphertext", tampered),
            ("first send", first),
            ("resend of the same envelope", first),
            ("same message id, other content", replay),
            ("recipient outside the network", stranger),
            ("profile to a member without an agreement", no_agreement),
            ("relays a record signed by CO-INPEC", relayed),
        ]
        receipts = await client.submit([envelope for _, envelope in cases])
    finally:
        await client.close()
    for (label, envelope), receipt in zip(cases, receipts, strict=True):
        if receipt.outcome == envelope_pb2.Receipt.OUTCOME_ACCEPTED:
            for wrap in envelope.key_wraps:
                report.sent[("GT-DGSP", wrap.recipient)] += 1
            continue
        reason = (
            envelope_pb2.Reason.Name(receipt.reason).removeprefix("REASON_")
            if receipt.reason
            else envelope_pb2.Receipt.Outcome.Name(receipt.outcome).removeprefix("OUTCOME_")
        )
        report.rejects.append(("GT-DGSP", label, reason, receipt.detail))


# A sentenced person in Colombia asks to serve the sentence near family; PE and MX receive the file.
CONSENT_CONTROLLER = "CO-INPEC"
CONSENT_RECIPIENTS = ("PE-INPE", "MX-OADPRS")


async def _run_flows(
    target: str,
    federation_dir: Path,
    sink_dir: Path,
    passphrase: bytes,
    progress: Progress,
    profiles_per_partner: int,
    clock: MovableClock,
) -> DemoReport:
    from adapters.samples.exports import write_export
    from adapters.samples.records import write_records
    from flows.consent import consent_withdrawal, track
    from flows.inbound import inbound_sync
    from flows.outbound import outbound_sync
    from flows.publish import publish_records
    from flows.withdrawals import propagate_withdrawals
    from hub.dev.federation import default_member_ids

    member_ids = default_member_ids()

    report = DemoReport()
    fed = str(federation_dir)
    state_dir = str(sink_dir.parent / "flows")
    exports = sink_dir.parent / "exports"  # each member's national export and records file
    exports.mkdir(parents=True, exist_ok=True)
    step = progress.add_task("regional exchange", total=len(member_ids) * 3 + 5)
    exported: dict[str, Path] = {}
    for member_id in member_ids:
        # Inmate security profiles: the member's national export, through its adapter, to its partners.
        progress.update(step, description=f"outbound-sync {member_id} (national export)")
        export = write_export(member_id, exports, count=profiles_per_partner, seed=2025)
        exported[member_id] = export
        result = await outbound_sync(member_id, str(export), target, fed, state_dir=state_dir)
        # Integrity audits, ethics training and programme records (JSON Lines of pxhub.v1.Record).
        progress.update(step, description=f"publish-records {member_id} (audits, training, programmes)")
        records = write_records(member_id, exports)
        outcomes: list[OutboundSyncResult | PublishResult] = [
            result,
            await publish_records(member_id, str(records), target, fed, state_dir=state_dir),
        ]
        outcomes.extend(await _finding_versions(member_id, target, fed, exports, state_dir, report))
        _tally_sent(report, member_id, outcomes)
        progress.advance(step)
    transfer = await _transfer_under_consent(target, fed, exports, state_dir, progress, step, report)
    progress.update(step, description="bad submissions (expected rejections)")
    await _bad_submissions(target, federation_dir, passphrase, report)
    progress.advance(step)
    for member_id in member_ids:
        progress.update(step, description=f"inbound-sync {member_id}")
        inbound = await inbound_sync(member_id, str(sink_dir / member_id), target, fed)
        for sender, count in inbound.from_members.items():
            report.received[(sender, member_id)] += count
        if inbound.acknowledged == inbound.opened:
            for sender, count in inbound.from_members.items():
                report.acknowledged[(sender, member_id)] += count
        report.rejects.extend((member_id, c, r, d) for c, r, d in inbound.refused)
        progress.advance(step)
    # The subject withdraws: notices reach the recipients, whose next inbound sync deletes and attests.
    progress.update(step, description="consent-withdrawal CO-INPEC, then inbound-sync of the recipients")
    withdrawn = await consent_withdrawal(CONSENT_CONTROLLER, transfer.consent_id, target, str(federation_dir))
    attested = 0
    for member_id in transfer.recipients:
        withdrawals = await propagate_withdrawals(member_id, str(sink_dir / member_id), target, fed)
        attested += withdrawals.attested
    report.withdrawal = (
        f"consent {transfer.consent_id} of {transfer.subject} withdrawn: "
        f"{withdrawn.purged} ciphertext(s) purged, "
        f"{withdrawn.notices} notice(s), {attested} signed deletion attestation(s)"
    )
    report.lineage = await track(CONSENT_CONTROLLER, transfer.message_id, target, str(federation_dir))
    progress.advance(step)
    await _compare_and_witness(target, fed, sink_dir, state_dir, progress, step, report)
    # Last, because it moves the hub's clock past a deadline.
    progress.update(step, description="lookups and requests (publish-lookup-tokens, request-inbox)")
    scenario = await lookups_and_requests(
        target, fed, {m: exported[m] for m in member_ids}, sink_dir, state_dir, clock
    )
    report.lookups, report.requests = scenario.answers, scenario.requests
    progress.advance(step)
    return report


FINDING_SENDER = "GT-DGSP"


def _tally_sent(
    report: DemoReport, member_id: str, outcomes: Sequence[OutboundSyncResult | PublishResult]
) -> None:
    for outcome in outcomes:
        for recipient, count in outcome.sent_to.items():
            report.sent[(member_id, recipient)] += count
        report.rejects.extend((member_id, m, r, d) for m, r, d in outcome.rejected)


async def _finding_versions(
    member_id: str, target: str, fed: str, exports: Path, state_dir: str, report: DemoReport
) -> list[PublishResult]:
    """Guatemala's internal control reports a finding, management answers, control verifies it closed.

    Each state is the same audit in the member's records file, changed; ``publish-records`` sends
    each change as the next version, naming the one it supersedes. Nothing for the other members.
    """
    if member_id != FINDING_SENDER:
        return []
    from google.protobuf import json_format

    from adapters.samples.integrity import finding_lifecycle
    from flows.publish import publish_records
    from pxhub.v1 import record_pb2

    path = exports / f"{FINDING_SENDER.lower()}-finding.jsonl"
    results = []
    versions = finding_lifecycle(FINDING_SENDER, 2025)
    report.finding = versions[0].audit_id
    for version in versions:
        line = json_format.MessageToJson(record_pb2.Record(integrity_audit=version), indent=None)
        path.write_text(line + "\n", encoding="utf-8")
        results.append(await publish_records(FINDING_SENDER, str(path), target, fed, state_dir=state_dir))
    return results


async def _finding_chain(target: str, federation_dir: str, report: DemoReport) -> None:
    """The finding's chain as `pxhub track` shows it to its sender, read from the audit log."""
    from hub.identity.credentials import passphrase_from_env
    from hub.identity.manifest import load_manifest
    from hub.sdk import MemberClient
    from hub.sdk.audit.client import AuditClient
    from hub.sdk.audit.report import build_report_data, duration_text

    client = await MemberClient.connect(target, Path(federation_dir), FINDING_SENDER, passphrase_from_env())
    try:
        audit = AuditClient(client.channel, client.identity, load_manifest(Path(federation_dir)))
        entries = [raw async for _, raw in audit.entries(actor_id=FINDING_SENDER, action="submit")]
        chains = build_report_data(entries).chains()
    finally:
        await client.close()
    for chain in chains[:1]:
        report.finding_chain = [
            (
                str(v.version),
                v.state,
                v.accepted_at.strftime("%H:%M:%S") if v.accepted_at else "-",
                duration_text(lasted) if lasted is not None else "current",
                v.message_id,
            )
            for v, lasted in chain.state_hours()
        ]


async def _transfer_under_consent(
    target: str, fed: str, exports: Path, state_dir: str, progress: Progress, step: TaskID, report: DemoReport
) -> ConsentTransfer:
    """A sentenced person in Colombia asks to serve the sentence near family: consent, then the file."""
    from adapters.samples.exports import write_export
    from adapters.samples.synthetic import generate_profiles
    from flows.consent import consent_transfer

    progress.update(step, description="consent-transfer CO-INPEC (a transfer at the subject's request)")
    person = write_export(CONSENT_CONTROLLER, exports / "transfer-request.csv", count=1, seed=2026)
    subject_id = next(generate_profiles(CONSENT_CONTROLLER, 1, 2026)).custodian_subject_id
    transfer = await consent_transfer(
        CONSENT_CONTROLLER, CONSENT_RECIPIENTS, str(person), subject_id, target, fed, state_dir
    )
    if transfer.outcome == "ACCEPTED":
        for recipient in transfer.recipients:
            report.sent[(CONSENT_CONTROLLER, recipient)] += 1
    else:
        report.rejects.append((CONSENT_CONTROLLER, "transfer under consent", transfer.outcome, ""))
    progress.advance(step)
    return transfer


async def _compare_and_witness(
    target: str,
    fed: str,
    sink_dir: Path,
    state_dir: str,
    progress: Progress,
    step: TaskID,
    report: DemoReport,
) -> None:
    """The regional programme comparison as Peru sees it, then each member witnesses the audit log."""
    from flows.best_practice import best_practice_exchange
    from flows.witness import witness_checkpoints
    from hub.dev.federation import default_member_ids

    member_ids = default_member_ids()

    progress.update(step, description="best-practice-exchange PE-INPE (regional comparison)")
    comparison = await best_practice_exchange(  # PE's programmes were published by publish-records
        "PE-INPE",
        str(sink_dir.parent / "exports" / "pe-inpe-records.jsonl"),
        target,
        fed,
        sink=str(sink_dir / "PE-INPE"),
        output_dir=str(sink_dir.parent / "comparison"),
        state_dir=state_dir,
    )
    report.comparison = sorted(comparison.indicators)
    report.comparison_members = {
        name: sorted({row[0] for row in rows}) for name, rows in sorted(comparison.indicators.items())
    }
    report.integrity = [tuple(figures.values()) for figures in comparison.integrity.values()]
    await _finding_chain(target, fed, report)
    progress.advance(step)
    for member_id in member_ids:
        progress.update(step, description=f"witness-checkpoints {member_id}")
        report.witnessed = (await witness_checkpoints(member_id, target, fed, state_dir)).size
        progress.advance(step)


def run_demo(
    workdir: Path | None = None,
    profiles_per_partner: int = 25,
    console: Console | None = None,
    log_file: Path | None = None,
    clock_start: datetime | None = None,
) -> DemoReport:
    """Run the whole regional exchange; returns what happened for the summary table and for tests.

    ``clock_start`` runs it as if the time were that instant (``PXHUB_CLOCK`` for the hub, every
    flow and the policy the operator signs); certificates follow the machine's clock, as TLS does.
    """
    console = console or Console()
    use_local_prefect(Path("var") / "prefect")
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from hub.dev.federation import init_federation
    from hub.policy import sign_default_policy
    from hub.runtime.logs import configure_logging
    from hub.settings import HubSettings

    log_stream = log_file.open("w", encoding="utf-8") if log_file is not None else None
    if log_stream is not None:  # every event of the hub and the SDK, as a production hub logs them
        configure_logging("json", "info", stream=log_stream)
    else:
        configure_logging("console", "warning")
    started = time.perf_counter()
    base = Path(workdir or tempfile.mkdtemp(prefix="pxhub-demo-"))
    federation_dir = base / "federation"
    passphrase, generated = demo_passphrase()
    clock_text = clock_start.astimezone(UTC).isoformat() if clock_start is not None else None
    # The flows read the passphrase from the environment; every edge_clock of the run (hub, flows,
    # SDK) starts at the clock asked for.
    with _demo_environment(passphrase, clock_text):
        init_federation(federation_dir, passphrase)
        sign_default_policy(federation_dir, passphrase)  # as `pxhub pki init` does
        settings = HubSettings(federation_dir=federation_dir, data_dir=base, listen="127.0.0.1:0")
        clock = MovableClock()  # the hub's clock: the demo lets a request deadline pass
        hub = HubThread(settings, federation_dir, passphrase, clock)
        target = f"127.0.0.1:{hub.start()}"
        console.print(
            f"[bold]pxhub demo[/bold]: hub on {target}, database {settings.sqlalchemy_url}, "
            f"work folder {base}"
        )
        if generated:  # shown once: without it the keys of the work folder can never be opened again
            _show_passphrase(console, base, passphrase)
        try:
            with (
                temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
                console_progress(console) as progress,
            ):
                report = asyncio.run(
                    _run_flows(
                        target,
                        federation_dir,
                        base / "sinks",
                        passphrase,
                        progress,
                        profiles_per_partner,
                        clock,
                    )
                )
            flush_prefect_workers()
            sweep_overdue(hub.running, report)
            report.audit_entries = hub.running.store.stats().audit_entries  # type: ignore[attr-defined]
        finally:
            hub.stop()
    if log_stream is not None:
        log_stream.close()
        configure_logging("console", "warning")
    report.seconds = time.perf_counter() - started
    print_report(report, console)
    return report


@contextmanager
def _demo_environment(passphrase: bytes, clock: str | None) -> Iterator[None]:
    """The demo's passphrase (and clock) where every edge reads them; the caller's environment after."""
    saved = {name: os.environ.pop(name, None) for name in (ENV_PASSPHRASE, ENV_PASSPHRASE_FILE)}
    saved[CLOCK_ENV] = os.environ.get(CLOCK_ENV)
    os.environ[ENV_PASSPHRASE] = passphrase.decode()
    if clock is not None:
        os.environ[CLOCK_ENV] = clock
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def demo_passphrase() -> tuple[bytes, bool]:
    """The key passphrase every command reads (``PXHUB_KEY_PASSPHRASE`` or ``…_FILE``), or a new
    one (True: generated here, to be shown to the user once)."""
    from hub.identity.credentials import passphrase_from_env

    if ENV_PASSPHRASE in os.environ or ENV_PASSPHRASE_FILE in os.environ:
        return passphrase_from_env(), False  # set but unusable (empty, both): its error, not a new one
    return secrets.token_urlsafe(24).encode(), True


def _show_passphrase(console: Console, base: Path, passphrase: bytes) -> None:
    console.print(
        f"keys encrypted under a new passphrase; to keep using {base} (README, `pxhub serve` on the "
        f"demo's folder): export {ENV_PASSPHRASE}='{passphrase.decode()}'",
        soft_wrap=True,
        highlight=False,
        markup=False,
    )


def print_report(report: DemoReport, console: Console) -> None:
    table = Table(title="Regional exchange: per member pair")
    for column in ("sender", "recipient", "sent", "received", "acknowledged"):
        table.add_column(
            column, justify="right" if column in ("sent", "received", "acknowledged") else "left"
        )
    for sender, recipient in sorted(report.sent.keys() | report.received.keys()):
        pair = (sender, recipient)
        table.add_row(
            sender,
            recipient,
            str(report.sent[pair]),
            str(report.received[pair]),
            str(report.acknowledged[pair]),
        )
    table.add_row(
        "[bold]total[/bold]",
        "",
        str(sum(report.sent.values())),
        str(sum(report.received.values())),
        str(sum(report.acknowledged.values())),
    )
    console.print(table)
    rejects = Table(title="Rejections (each with its reason)")
    for column in ("member", "item", "reason", "detail"):
        rejects.add_column(column)
    for row in report.rejects:
        rejects.add_row(*row)
    console.print(rejects)
    if report.withdrawal:
        lineage = Table(title=f"Consent withdrawal (pxhub track): {report.withdrawal}")
        for column in ("recipient", "received", "acknowledged", "deletion attested"):
            lineage.add_column(column)
        for row in report.lineage:
            lineage.add_row(*row)
        console.print(lineage)
    _print_lookups(report, console)
    _print_findings(report, console)
    if report.witnessed:
        console.print(f"audit log witnessed: each member checked and cosigned (size {report.witnessed})")
    console.print(f"audit log: {counted(report.audit_entries, 'entry')}; finished in {report.seconds:.1f} s")


def _print_findings(report: DemoReport, console: Console) -> None:
    """The finding's chain, the regional comparison and the regional integrity view."""
    if report.finding_chain:
        chain_table = Table(
            title=f"A finding from reported to closed: {report.finding} (pxhub track, as {FINDING_SENDER})"
        )
        for column in ("version", "state", "accepted", "state lasted", "message id"):
            chain_table.add_column(column, no_wrap=column == "message id")
        for chain_row in report.finding_chain:
            chain_table.add_row(*chain_row)
        console.print(chain_table)
    if report.comparison_members:
        comparison = Table(title="Regional comparison seen by PE-INPE (like with like; samples labelled)")
        for column in ("indicator", "members", "countries"):
            comparison.add_column(column)
        for name, members in report.comparison_members.items():
            comparison.add_row(name, str(len(members)), ", ".join(members))
        console.print(comparison)
    if report.integrity:
        from flows.best_practice import INTEGRITY_COLUMNS

        integrity = Table(
            title="Regional integrity view from PE-INPE's sink (records per figure in the artifact)"
        )
        for column in INTEGRITY_COLUMNS[:6]:
            integrity.add_column(column, justify="left" if column == "member" else "right")
        for figures in report.integrity:
            integrity.add_row(*(str(v) for v in figures[:6]))
        console.print(integrity)


def _print_lookups(report: DemoReport, console: Console) -> None:
    """The lookup's answers (hit, no hit, not permitted) and the requests that followed."""
    if report.lookups:
        lookups = Table(title="Lookup by CO-INPEC (organised crime): which members hold these persons?")
        for column in ("person", "member", "answer"):
            lookups.add_column(column)
        for answer in report.lookups:
            lookups.add_row(*answer)
        console.print(lookups)
    if report.requests:
        requests = Table(title="Requests after the hits (pxhub requests list)")
        for column in ("request", "from", "to", "state"):
            requests.add_column(column, no_wrap=column == "request")
        for request in report.requests:
            requests.add_row(*request)
        console.print(requests)
