"""``pxhub audit``: verify, export and report on the hub's audit log, as an auditor.

Thin: parse options, load the auditor's own trust anchors from the
federation folder, connect, and call ``hub.sdk.audit``. Exit codes: 0 verified,
1 the log failed verification (the message names the first bad entry when
there is one), 2 a usage or connection problem (the message names the option).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from hub.cli.common import JsonOption
from hub.core.words import counted

if TYPE_CHECKING:
    from hub.core.members import Institution
    from hub.sdk.audit.client import AuditClient
    from hub.sdk.audit.verify import TrustAnchors, VerifiedLog

audit_app = typer.Typer(
    help="The tamper-evident audit log: verify it, export it, report on it (auditors).",
    no_args_is_help=True,
)

_TARGET = re.compile(r"[^\s:]+:[0-9]{1,5}|\[[0-9a-fA-F:.]+\]:[0-9]{1,5}")

TargetOption = Annotated[str, typer.Option("--target", help="Hub address, HOST:PORT.")]
FederationOption = Annotated[
    Path, typer.Option("--federation-dir", help="Federation folder with federation.json and your keys.")
]
IdentityOption = Annotated[
    str, typer.Option("--identity", help="Your identity in the federation (an auditor).")
]
WitnessOption = Annotated[
    list[str] | None,
    typer.Option(
        "--witness", help="Require a valid cosignature of this witness (repeatable), e.g. --witness UY-INR."
    ),
]
SavedOption = Annotated[
    Path | None,
    typer.Option("--checkpoint", help="A checkpoint saved by an earlier run; the log must extend it."),
]
ServerNameOption = Annotated[
    str | None,
    typer.Option("--server-name", help="TLS name of the hub when it differs from the target host."),
]
IssueOption = Annotated[
    bool, typer.Option("--issue/--no-issue", help="Ask the hub to sign a checkpoint of the log as it is now.")
]
BackdateOption = Annotated[
    float,
    typer.Option(
        "--max-backdate", min=0, help="Seconds an entry's time may lie before an earlier entry's time."
    ),
]


_T = TypeVar("_T")


class UsageProblem(Exception):
    """A problem with the command line or the local files; the message names the option."""


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=code)


@dataclass
class _Setup:
    target: str
    federation_dir: Path
    identity: str
    server_name: str | None
    anchors: TrustAnchors
    log_verifier_key: str
    passphrase: bytes
    saved_note: str | None
    first_use: bool = False


def _institutions(federation_dir: Path) -> tuple[Institution, ...]:
    """The members the federation file names, for the report's labels (others follow, sorted)."""
    from hub.identity.manifest import load_manifest

    members = load_manifest(federation_dir).by_role("member")
    return tuple(m.institution for m in members if m.institution is not None)


def _setup(
    target: str,
    federation_dir: Path,
    identity: str,
    server_name: str | None,
    witnesses: list[str] | None,
    saved: Path | None,
    save_to: Path | None = None,
) -> _Setup:
    """Check the options and read the local files; a missing ``--checkpoint`` that this run will
    write (``--save-checkpoint`` the same file) is a first use: the hub's checkpoint is trusted."""
    from hub.identity.credentials import passphrase_from_env
    from hub.identity.manifest import PkiError, load_manifest
    from hub.sdk.audit.client import log_verifier_key, trust_anchors

    if not _TARGET.fullmatch(target):
        raise UsageProblem(f"--target must be HOST:PORT, got {target!r}")
    try:
        passphrase = passphrase_from_env()
    except PkiError as error:
        raise UsageProblem(str(error)) from None
    try:
        manifest = load_manifest(federation_dir)
    except (PkiError, OSError) as error:
        raise UsageProblem(f"--federation-dir {federation_dir}: {error}") from None
    try:
        manifest.identity(identity)
    except PkiError as error:
        raise UsageProblem(f"--identity {identity}: {error}") from None
    names = tuple(dict.fromkeys(witnesses or ()))
    for name in names:
        try:
            trust_anchors(manifest, (name,))
        except PkiError as error:
            raise UsageProblem(f"--witness {name}: {error}") from None
    saved_note = None
    first_use = saved is not None and not saved.exists() and save_to is not None and _same(saved, save_to)
    if saved is not None and not first_use:
        if not saved.exists():
            raise UsageProblem(
                f"--checkpoint {saved}: no such file (on a first run add --save-checkpoint {saved}: "
                "the hub's checkpoint is then trusted on first use)"
            )
        try:
            saved_note = saved.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise UsageProblem(f"--checkpoint {saved}: cannot read it: {error}") from None
    return _Setup(
        target,
        federation_dir,
        identity,
        server_name,
        trust_anchors(manifest, names),
        log_verifier_key(manifest),
        passphrase,
        saved_note,
        first_use,
    )


def _same(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


class _Source:
    """The hub as an ``AuditSource``; ListEntries calls say whether they export."""

    def __init__(self, client: AuditClient, for_export: bool) -> None:
        self.client = client
        self.for_export = for_export

    async def checkpoint_note(self, issue: bool, cosigned_by: tuple[str, ...] = ()) -> str:
        import grpc

        from hub.sdk.audit.verify import VerificationFailure

        try:
            return await self.client.checkpoint_note(issue, cosigned_by)
        except grpc.aio.AioRpcError as error:
            if cosigned_by and error.code() == grpc.StatusCode.NOT_FOUND:
                raise VerificationFailure(
                    f"no checkpoint is cosigned by all the required witnesses ({', '.join(cosigned_by)})"
                ) from None
            raise

    def entry_pages(self, start: int, end: int) -> AsyncIterator[list[tuple[int, bytes]]]:
        return self.client.entry_pages(start, end, for_export=self.for_export)

    async def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        return await self.client.consistency_proof(old_size, new_size)


def _run_verification(
    setup: _Setup,
    *,
    issue: bool,
    keep_entries: bool,
    check_entries: bool,
    max_backdate: float,
    for_export: bool = False,
) -> VerifiedLog:
    """Connect and verify; usage and connection problems raise ``typer.Exit(2)``, failures ``Exit(1)``."""
    from hub.sdk.audit.verify import verify_log

    async def run(client: AuditClient) -> VerifiedLog:
        return await verify_log(
            _Source(client, for_export),
            setup.anchors,
            saved_note=setup.saved_note,
            issue=issue,
            keep_entries=keep_entries,
            check_entries=check_entries,
            max_backdate=timedelta(seconds=max_backdate),
        )

    verified = _with_client(setup, run)
    warning = _lag_warning(verified)
    if warning:
        typer.echo(warning, err=True)
    return verified


def _with_client(setup: _Setup, action: Callable[[AuditClient], Awaitable[_T]]) -> _T:
    """Connect as the auditor, run ``action``, close. A failed verification exits 1 (``FAILED:``);
    usage problems, connection problems and the hub's refusals exit 2 naming the option or reason."""
    import grpc

    from hub.identity.manifest import PkiError
    from hub.sdk.audit.client import AuditClient
    from hub.sdk.audit.verify import VerificationFailure
    from hub.transport.status import reason_of

    async def run() -> _T:
        try:
            client = await AuditClient.connect(
                setup.target,
                setup.federation_dir,
                setup.identity,
                setup.passphrase,
                server_name=setup.server_name,
            )
        except PkiError as error:
            raise UsageProblem(f"--identity {setup.identity}: {error}") from None
        try:
            return await action(client)
        finally:
            await client.close()

    try:
        return asyncio.run(run())
    except UsageProblem as problem:
        raise _fail(str(problem)) from None
    except VerificationFailure as failure:
        typer.echo(f"FAILED: {failure.message}", err=True)
        raise typer.Exit(code=1) from None
    except grpc.aio.AioRpcError as error:
        reason = reason_of(error)
        raise _fail(
            f"the hub at --target {setup.target} answered {error.code().name}"
            f"{f' {reason}' if reason else ''}: {error.details()}"
        ) from None


def _summary(verified: VerifiedLog, setup: _Setup) -> str:
    checkpoint = verified.checkpoint
    root = base64.b64encode(checkpoint.root_hash).decode("ascii")
    lines = [
        f"OK: {counted(checkpoint.size, 'entry')} verified against the checkpoint of size {checkpoint.size} "
        f"signed by {checkpoint.origin}",
        f"    root {root}",
        f"    hub key {setup.log_verifier_key}",
    ]
    for name, stamp in sorted(verified.cosigned.items()):
        when = datetime.fromtimestamp(stamp, UTC).isoformat()
        lines.append(f"    cosigned by {name} at {when}")
    if verified.saved is not None:
        lines.append(f"    extends the saved checkpoint of size {verified.saved.size}")
    if setup.first_use:
        lines.append(
            "    first use: no saved checkpoint yet, so this one is trusted as the hub signed it; "
            "later runs check that the log extends it"
        )
    return "\n".join(lines)


def _lag_warning(verified: VerifiedLog) -> str | None:
    """The witnesses are behind the saved checkpoint: a warning, not a rollback."""
    lag = verified.witnessed
    if lag is None:
        return None
    names = ", ".join(sorted(lag.cosigned))
    saved = verified.saved.size if verified.saved is not None else lag.checkpoint.size
    return (
        f"warning: the witnesses ({names}) have not yet cosigned a checkpoint as new as the saved one "
        f"(size {saved}); their newest cosigned checkpoint (size {lag.checkpoint.size}) matches the "
        f"log's first {lag.checkpoint.size} entries, and the rest is verified against the hub's own "
        f"signature on the checkpoint of size {verified.checkpoint.size}. The log was not rolled back."
    )


@audit_app.command()
def verify(
    target: TargetOption,
    federation_dir: FederationOption = Path("var/federation"),
    identity: IdentityOption = "AUDITOR-1",
    checkpoint: SavedOption = None,
    save_checkpoint: Annotated[
        Path | None,
        typer.Option("--save-checkpoint", help="Write the verified checkpoint here for the next run."),
    ] = None,
    witness: WitnessOption = None,
    issue: IssueOption = True,
    check_entries: Annotated[
        bool,
        typer.Option(
            "--check-entries", help="Also decode every entry and refuse non-canonical ones (slower)."
        ),
    ] = False,
    max_backdate: BackdateOption = 60.0,
    server_name: ServerNameOption = None,
) -> None:
    """Fetch every entry, recompute the tree and check it against the hub's signed checkpoint.

    Also checks the hub key from federation.json, the witnesses' cosignatures, a saved checkpoint.
    A --checkpoint file that does not exist yet and is also the --save-checkpoint file is a first
    use: the hub's checkpoint is trusted and saved. Witnesses that have not yet cosigned a checkpoint
    as new as the saved one give a warning, not a failure; a hub whose latest checkpoint is smaller
    than the saved one, or does not extend it, fails.

    On a mismatch it names the first bad entry and exits with status 1.
    """
    try:
        setup = _setup(target, federation_dir, identity, server_name, witness, checkpoint, save_checkpoint)
    except UsageProblem as problem:
        raise _fail(str(problem)) from None
    verified = _run_verification(
        setup, issue=issue, keep_entries=False, check_entries=check_entries, max_backdate=max_backdate
    )
    typer.echo(_summary(verified, setup))
    if save_checkpoint is not None:
        try:
            save_checkpoint.write_text(verified.note, encoding="utf-8")
        except OSError as error:
            raise _fail(f"--save-checkpoint {save_checkpoint}: cannot write it: {error}") from None
        typer.echo(f"saved the checkpoint to {save_checkpoint}")


@audit_app.command()
def export(
    target: TargetOption,
    out: Annotated[Path, typer.Option("--out", help="JSON Lines file to write.")],
    federation_dir: FederationOption = Path("var/federation"),
    identity: IdentityOption = "AUDITOR-1",
    checkpoint: SavedOption = None,
    witness: WitnessOption = None,
    issue: IssueOption = True,
    server_name: ServerNameOption = None,
) -> None:
    """Verify the log, then write it as JSON Lines with an inclusion proof per entry.

    Line 1 is the signed checkpoint; each further line one entry, checkable offline with
    `pxhub audit check-export FILE` (no hub needed).
    """
    from hub.sdk.audit.export import export_lines

    try:
        setup = _setup(target, federation_dir, identity, server_name, witness, checkpoint)
    except UsageProblem as problem:
        raise _fail(str(problem)) from None
    verified = _run_verification(
        setup, issue=issue, keep_entries=True, check_entries=False, max_backdate=60.0, for_export=True
    )
    try:
        with out.open("w", encoding="utf-8") as handle:
            for line in export_lines(verified, setup.log_verifier_key):
                handle.write(line + "\n")
    except OSError as error:
        raise _fail(f"--out {out}: cannot write it: {error}") from None
    typer.echo(_summary(verified, setup))
    typer.echo(f"exported {counted(verified.checkpoint.size, 'entry')} with inclusion proofs to {out}")


SinceOption = Annotated[
    str | None,
    typer.Option(
        "--since", help="Only entries at or after this instant: 2025-03-01 (00:00 UTC) or 2025-03-01T08:00Z."
    ),
]
UntilOption = Annotated[
    str | None,
    typer.Option("--until", help="Only entries before this instant (exclusive), same forms as --since."),
]


def _period(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    from hub.cli.common import parse_instant

    start = parse_instant(since, "--since") if since else None
    end = parse_instant(until, "--until") if until else None
    if start is not None and end is not None and start >= end:
        raise _fail(f"--since {since} is not before --until {until}")
    return start, end


@audit_app.command("list")
def list_entries(
    target: TargetOption,
    federation_dir: FederationOption = Path("var/federation"),
    identity: IdentityOption = "AUDITOR-1",
    member: Annotated[
        str | None, typer.Option("--member", help="Entries that concern this member (it acted or is named).")
    ] = None,
    actor: Annotated[
        str | None, typer.Option("--actor", help="Entries this identity (or 'hub') wrote.")
    ] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="e.g. submit, consent.withdraw (docs/audit-log.md).")
    ] = None,
    purpose: Annotated[
        str | None, typer.Option("--purpose", help="e.g. CUSTODY_TRANSFER (PURPOSE_ prefix optional).")
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Refusal reason, e.g. SIGNATURE_INVALID (REASON_ prefix optional)."),
    ] = None,
    outcome: Annotated[str | None, typer.Option("--outcome", help="permit, ok, deny or error.")] = None,
    message: Annotated[str | None, typer.Option("--message", help="Entries about this message id.")] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: Annotated[int, typer.Option("--limit", min=0, help="At most this many entries (0: all).")] = 0,
    as_json: JsonOption = False,
    as_jsonl: Annotated[
        bool, typer.Option("--jsonl", help="Print one JSON object per entry and line, as they arrive.")
    ] = False,
    server_name: ServerNameOption = None,
) -> None:
    """List audit entries, filtered; every query is itself logged (audit.query).

    The hub filters by member, actor, action, message and time; purpose, reason and outcome are
    matched here over what it streams. A listing shows entries as the hub serves them: `verify`
    proves them.
    """
    from hub.cli.common import Column, enum_short_name, print_rows
    from hub.core.audit_entry import ACTIONS, OUTCOMES
    from hub.sdk.audit.listing import EntryFilter, entry_row
    from pxhub.v1 import envelope_pb2

    if as_json and as_jsonl:
        raise _fail("--json and --jsonl: choose one")
    if action and action not in ACTIONS:
        raise _fail(f"--action: {action!r} is not one of {', '.join(sorted(ACTIONS))}")
    if outcome and outcome not in OUTCOMES:
        raise _fail(f"--outcome: {outcome!r} is not one of {', '.join(sorted(OUTCOMES))}")
    keep = EntryFilter(
        purpose=enum_short_name(envelope_pb2.Purpose, purpose, "PURPOSE_", "--purpose") if purpose else "",
        reason=enum_short_name(envelope_pb2.Reason, reason, "REASON_", "--reason") if reason else "",
        outcome=outcome or "",
    )
    start, end = _period(since, until)
    try:
        setup = _setup(target, federation_dir, identity, server_name, None, None)
    except UsageProblem as problem:
        raise _fail(str(problem)) from None
    # the hub can stop early only when it applies every filter itself
    hub_limit = limit if keep == EntryFilter() else 0

    async def collect(client: AuditClient) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        matched = 0
        entries = client.entries(
            member_id=member,
            actor_id=actor,
            action=action,
            message_id=message,
            since=start,
            until=end,
            limit=hub_limit,
        )
        async for index, entry in entries:
            row = entry_row(index, entry)
            if not keep.matches(row):
                continue
            matched += 1
            if as_jsonl:  # printed as it arrives, never held
                typer.echo(json.dumps(row, ensure_ascii=False))
            else:
                rows.append(row)
            if limit and matched >= limit:
                break
        return rows

    rows = _with_client(setup, collect)
    if as_jsonl:
        return
    columns = [
        Column("index", ident=True),
        Column("time", ident=True),
        Column("actor_id", "actor"),
        Column("action"),
        Column("outcome"),
        Column("reason"),
        Column("purpose"),
        Column("object_ids", "objects", ident=True),
    ]
    print_rows(rows, columns, title=f"Audit entries ({len(rows)})", as_json=as_json, empty="no entries match")


@audit_app.command()
def report(
    target: TargetOption,
    out: Annotated[Path, typer.Option("--out", help="HTML file to write (self-contained).")],
    federation_dir: FederationOption = Path("var/federation"),
    identity: IdentityOption = "AUDITOR-1",
    checkpoint: SavedOption = None,
    witness: WitnessOption = None,
    issue: IssueOption = True,
    since: SinceOption = None,
    until: UntilOption = None,
    server_name: ServerNameOption = None,
) -> None:
    """Verify the log, then write one self-contained HTML report with charts.

    The whole log is verified; with --since/--until the report counts only the entries of that
    period. No report is written for a log that fails verification.
    """
    from hub.runtime.clock import edge_clock
    from hub.sdk.audit.report import ReportHeader, build_report_data, entries_in_period, render_report

    start, end = _period(since, until)
    try:
        setup = _setup(target, federation_dir, identity, server_name, witness, checkpoint)
    except UsageProblem as problem:
        raise _fail(str(problem)) from None
    verified = _run_verification(
        setup, issue=issue, keep_entries=True, check_entries=False, max_backdate=60.0
    )
    header = ReportHeader(
        origin=verified.checkpoint.origin,
        size=verified.checkpoint.size,
        root_hash_b64=base64.b64encode(verified.checkpoint.root_hash).decode("ascii"),
        log_verifier_key=setup.log_verifier_key,
        witnesses=verified.cosigned,
        verified_at=edge_clock(),
        target=setup.target,
        since=start,
        until=end,
        members=_institutions(federation_dir),
    )
    page = render_report(build_report_data(entries_in_period(verified.entries or [], start, end)), header)
    try:
        out.write_text(page, encoding="utf-8")
    except OSError as error:
        raise _fail(f"--out {out}: cannot write it: {error}") from None
    typer.echo(_summary(verified, setup))
    typer.echo(f"wrote the report to {out}")


@audit_app.command("check-export")
def check_export(
    export_file: Annotated[Path, typer.Argument(help="A JSON Lines file written by `pxhub audit export`.")],
    federation_dir: FederationOption = Path("var/federation"),
    log_key: Annotated[
        str | None,
        typer.Option(
            "--log-key",
            help="The hub's verifier key (as `pxhub audit keys` prints it); default: from federation.json.",
        ),
    ] = None,
) -> None:
    """Check an export offline, with no hub: entry hashes, inclusion proofs, order, root, signature.

    The checkpoint must be signed by the hub key you pin (federation.json or --log-key), never the
    key the file names. Exit 0 when the export is exactly the signed log, 1 with the reason if not.
    """
    from hub.core.audit_export import ExportRefused
    from hub.core.audit_export import check_export as check
    from hub.core.checkpoint import NoteError, parse_verifier_key
    from hub.identity.manifest import PkiError, load_manifest
    from hub.sdk.audit.client import log_verifier_key

    try:
        if log_key is None:
            log_key = log_verifier_key(load_manifest(federation_dir))
            option = f"--federation-dir {federation_dir}"
        else:
            option = "--log-key"
        key = parse_verifier_key(log_key)
    except (PkiError, OSError) as error:
        raise _fail(f"--federation-dir {federation_dir}: {error}") from None
    except NoteError as error:
        raise _fail(f"{option}: {error}") from None
    try:
        with export_file.open(encoding="utf-8") as handle:
            summary = check(handle, key)
    except OSError as error:
        raise _fail(f"{export_file}: cannot read it: {error}") from None
    except UnicodeDecodeError as error:
        typer.echo(f"REFUSED: {export_file} is not UTF-8 text: {error}", err=True)
        raise typer.Exit(code=1) from None
    except ExportRefused as refused:
        typer.echo(f"REFUSED: {export_file} {refused}", err=True)
        raise typer.Exit(code=1) from None
    checkpoint = summary.checkpoint
    typer.echo(
        f"OK: {export_file} holds exactly the {counted(checkpoint.size, 'entry')} of the checkpoint of size "
        f"{checkpoint.size} signed by {checkpoint.origin}"
    )
    typer.echo(f"    root {base64.b64encode(checkpoint.root_hash).decode('ascii')}")
    typer.echo(f"    hub key {log_key}")
    if summary.cosigners:
        typer.echo(f"    cosignature lines (not checked here) by {', '.join(summary.cosigners)}")
    if summary.not_canonical:
        typer.echo(f"    {counted(summary.not_canonical, 'entry')} marked not canonical by the exporter")


@audit_app.command()
def keys(federation_dir: FederationOption = Path("var/federation"), as_json: JsonOption = False) -> None:
    """Print the hub's verifier key and every witness key (C2SP vkeys) from federation.json."""
    from hub.core.checkpoint import SIG_TYPE_COSIGNATURE_V1, verifier_key_string
    from hub.identity.manifest import PkiError, load_manifest
    from hub.sdk.audit.client import log_verifier_key, witness_key

    try:
        manifest = load_manifest(federation_dir)
    except (PkiError, OSError) as error:
        raise _fail(f"--federation-dir {federation_dir}: {error}") from None
    rows = [{"kind": "log", "name": manifest.hub_origin, "vkey": log_verifier_key(manifest)}]
    for record in manifest.identities:
        if record.role in ("member", "auditor"):
            key = witness_key(manifest, record.id)
            vkey = verifier_key_string(record.id, key, SIG_TYPE_COSIGNATURE_V1)
            rows.append({"kind": "witness", "name": record.id, "vkey": vkey})
    if as_json:
        from hub.cli.common import print_json

        print_json(rows)
        return
    for row in rows:  # one key a line, whole, so it can be copied into a verifier's configuration
        typer.echo(f"{row['kind']:<7} {row['vkey']}")


__all__ = ["audit_app"]
