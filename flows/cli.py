"""``pxhub flow``: run the exchange's Prefect flows locally, or serve them with schedules.

``FLOWS`` below is the one registry of flows the command knows (name -> ``module:function``, imported
only when used). Adding a flow is one line there, plus one line in ``SCHEDULES`` if it should be
served on a schedule.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import inspect
import json
import os
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Final

import typer
from rich.console import Console
from rich.table import Table

#: Every flow an integration engineer runs, by CLI name (the one registry; imported lazily).
FLOWS: Final[dict[str, str]] = {
    "rotate-keys": "flows.keys:rotate_keys",
    "outbound-sync": "flows.outbound:outbound_sync",
    "inbound-sync": "flows.inbound:inbound_sync",
    "publish-records": "flows.publish:publish_records",
    "publish-lookup-tokens": "flows.lookup:publish_lookup_tokens",
    "request-inbox": "flows.requests:request_inbox",
    "best-practice-exchange": "flows.best_practice:best_practice_exchange",
    "witness-checkpoints": "flows.witness:witness_checkpoints",
    "propagate-withdrawals": "flows.withdrawals:propagate_withdrawals",
}

#: The options each flow cannot run without (its parameters without a default), known before its
#: module (and Prefect) is imported; ``tests/test_flow_cli.py`` holds them to the signatures.
NEEDS: Final[dict[str, tuple[str, ...]]] = {
    "rotate-keys": ("member",),
    "outbound-sync": ("member", "source"),
    "inbound-sync": ("member", "sink"),
    "publish-records": ("member", "records"),
    "publish-lookup-tokens": ("member", "source"),
    "request-inbox": ("member", "sink", "source"),
    "best-practice-exchange": ("member",),
    "witness-checkpoints": ("member",),
    "propagate-withdrawals": ("member", "sink"),
}

#: How often ``pxhub flow serve`` runs each flow for each member, and why.
SCHEDULES: Final[dict[str, dict[str, Any]]] = {
    # National exports are produced in batch (nightly or a few times a day): hourly picks each one up
    # within the hour, and a re-run of an unchanged export sends nothing.
    "outbound-sync": {"interval": timedelta(hours=1)},
    # Lookup tokens follow the export: hourly as well, incremental (only what changed is sent).
    "publish-lookup-tokens": {"interval": timedelta(hours=1)},
    # Requests have deadlines of days (48 hours when urgent): every 15 minutes answers well within them.
    "request-inbox": {"interval": timedelta(minutes=15)},
    # Receiving is cheap when the mailbox is empty and partners expect timely acknowledgements.
    "inbound-sync": {"interval": timedelta(minutes=5)},
    # The hub signs a checkpoint every few seconds when the log grows; every 10 minutes per member keeps
    # seven independent witnesses close behind it without flooding the log with cosignatures.
    "witness-checkpoints": {"interval": timedelta(minutes=10)},
    # A withdrawal should be honoured within the quarter hour even if no new deliveries arrive.
    "propagate-withdrawals": {"interval": timedelta(minutes=15)},
    # Key rotation is due every 90 days per key; a daily run retires keys whose overlap ended and
    # rotates what is due (most runs change nothing), at 03:30 UTC, outside office hours.
    "rotate-keys": {"cron": "30 3 * * *"},
    # Audit findings, training aggregates and programme records change with reports and reviews:
    # daily at 05:00 UTC publishes what changed (an unchanged file sends nothing).
    "publish-records": {"cron": "0 5 * * *"},
    # Programme records change with annual reports: weekly, Monday 06:00 UTC.
    "best-practice-exchange": {"cron": "0 6 * * 1"},
}

flow_app = typer.Typer(
    help="Run the exchange's Prefect flows (locally, without a Prefect server; the hub must be up) "
    "or serve them on schedules.",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def load_flow(name: str) -> Any:
    if name not in FLOWS:
        raise typer.BadParameter(f"unknown flow {name!r}; one of: {', '.join(sorted(FLOWS))}")
    module, _, attribute = FLOWS[name].partition(":")
    return getattr(importlib.import_module(module), attribute)


def flow_parameters(flow: Any, offered: dict[str, Any]) -> dict[str, Any]:
    """The offered options the flow accepts (unset ones left to the flow's defaults)."""
    signature = inspect.signature(flow.fn)
    chosen = {k: v for k, v in offered.items() if k in signature.parameters and v is not None}
    missing = [
        name
        for name, parameter in signature.parameters.items()
        if parameter.default is inspect.Parameter.empty and name not in chosen
    ]
    if missing:
        raise typer.BadParameter(f"{flow.name} needs --{', --'.join(m.replace('_', '-') for m in missing)}")
    return chosen


#: ``--task-runner`` choices: threads of the flow's process (Prefect's default) or a Dask cluster.
RUNNER_KINDS: Final = ("thread", "dask")


def check_runner_options(shards: int | None, kind: str, workers: int | None, address: str | None) -> None:
    """Only the ``--shards`` tasks run on the task runner, so asking for Dask without shards is
    refused rather than starting a cluster that would get nothing to do."""
    if kind not in RUNNER_KINDS:
        raise _usage(f"unknown task runner {kind!r}; one of: {', '.join(RUNNER_KINDS)}")
    if kind != "dask" and (workers is not None or address):
        raise _usage("--dask-workers and --dask-address need --task-runner dask")
    if kind != "thread" and (not shards or shards < 2):
        raise _usage(f"--task-runner {kind} runs the shards of outbound-sync: add --shards N>1")


def with_task_runner(
    flow: Any, shards: int | None, kind: str, workers: int | None, address: str | None
) -> Any:
    """The flow on the task runner asked for (``flows.runners``; options checked first)."""
    from flows.runners import dask_task_runner

    check_runner_options(shards, kind, workers, address)
    if kind == "thread":
        return flow
    assert shards is not None
    try:
        runner = dask_task_runner(workers or min(shards, os.cpu_count() or 1), address)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    return flow.with_options(task_runner=runner)


def build_deployments(
    members: list[str],
    target: str,
    federation_dir: Path,
    exports_dir: Path,
    sinks_dir: Path,
    state_dir: Path,
    names: Sequence[str] = (),
) -> list[Any]:
    """One deployment per scheduled flow and member (every scheduled flow / all seven when empty)."""
    from adapters.registry import get_adapter
    from hub.dev.federation import default_member_ids

    member_ids = default_member_ids()

    unknown = sorted(set(names) - set(SCHEDULES))
    if unknown:
        raise typer.BadParameter(f"not a served flow: {', '.join(unknown)}; one of: {', '.join(SCHEDULES)}")
    deployments = []
    for name, schedule in SCHEDULES.items():
        if names and name not in names:
            continue
        flow = load_flow(name)
        for member_id in members or member_ids:
            offered = {
                "member": member_id,
                "source": str(exports_dir / member_id / f"export{get_adapter(member_id).file_extension}"),
                "records": str(exports_dir / member_id / "records.jsonl"),
                "sink": str(sinks_dir / member_id),
                "target": target,
                "federation_dir": str(federation_dir),
                "state_dir": str(state_dir),
            }
            deployments.append(
                flow.to_deployment(
                    name=f"{name}-{member_id.lower()}",
                    parameters=flow_parameters(flow, offered),
                    tags=["pxhub", member_id],
                    **schedule,
                )
            )
    return deployments


@flow_app.command("list")
def list_flows() -> None:
    """The flows this command knows, and how `flow serve` schedules them."""
    table = Table(title="pxhub flows")
    for column in ("name", "function", "served schedule"):
        table.add_column(column)
    for name, target in FLOWS.items():
        schedule = SCHEDULES.get(name, {})
        table.add_row(name, target, ", ".join(f"{k}={v}" for k, v in schedule.items()) or "-")
    console.print(table)


@flow_app.command("run")
def run(
    name: Annotated[str, typer.Argument(help="Flow name (pxhub flow list).")],
    member: Annotated[str | None, typer.Option(help="Member id, e.g. CO-INPEC.")] = None,
    source: Annotated[Path | None, typer.Option(help="National export file (outbound-sync).")] = None,
    records: Annotated[
        Path | None,
        typer.Option(help="JSON Lines of pxhub.v1.Record (publish-records, best-practice-exchange)."),
    ] = None,
    sink: Annotated[Path | None, typer.Option(help="The member's national sink folder.")] = None,
    target: Annotated[str, typer.Option(help="Hub address HOST:PORT.")] = "127.0.0.1:50051",
    federation_dir: Annotated[Path, typer.Option(help="Federation folder.")] = Path("var/federation"),
    recipient: Annotated[
        list[str] | None, typer.Option(help="Recipient member (repeatable; default: policy partners).")
    ] = None,
    state_dir: Annotated[
        Path | None, typer.Option(help="Outbox and witness state (default var/flows).")
    ] = None,
    batch_size: Annotated[int | None, typer.Option(help="Records per batch.")] = None,
    shards: Annotated[
        int | None, typer.Option(help="outbound-sync: split the export over N parallel tasks.")
    ] = None,
    max_withheld_share: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="outbound-sync: fail the run when more than this share of the rows is withheld "
            "(default: PXHUB_MAX_WITHHELD_SHARE, else 0.25; a run with no readable row always fails).",
        ),
    ] = None,
    task_runner: Annotated[
        str, typer.Option(help="Where the --shards tasks run: thread (this process) or dask.")
    ] = "thread",
    dask_workers: Annotated[
        int | None,
        typer.Option(
            help="--task-runner dask: workers of a temporary local cluster (default: shards, at most CPUs)."
        ),
    ] = None,
    dask_address: Annotated[
        str | None, typer.Option(help="--task-runner dask: an existing cluster's scheduler, tcp://HOST:8786.")
    ] = None,
    key_use: Annotated[
        list[str] | None,
        typer.Option(help="rotate-keys: encryption, approver or signing (repeatable; default: all due)."),
    ] = None,
    overlap_days: Annotated[
        float | None, typer.Option(help="rotate-keys: days the replaced key stays valid (default 7).")
    ] = None,
    force: Annotated[
        bool | None, typer.Option("--force", help="rotate-keys: rotate even the keys not yet due.")
    ] = None,
    approve: Annotated[
        bool | None,
        typer.Option("--approve", help="request-inbox: countersign answers that need four eyes."),
    ] = None,
    refuse: Annotated[
        list[str] | None,
        typer.Option(
            help="request-inbox: REQUEST_ID=LEGAL_IMPEDIMENT or REQUEST_ID=OUTSIDE_AGREEMENT, an officer's "
            "decision (repeatable)."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON instead of tables.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show Prefect's log and the traceback of a failure.")
    ] = False,
) -> None:
    """Run one flow now, in Prefect's local ephemeral mode (no Prefect server needed; the hub must run).

    Before Prefect starts, the inputs are checked: the files exist and can be read, an export opens
    in the member's format, the member is in the federation, the key passphrase (PXHUB_KEY_PASSPHRASE
    or PXHUB_KEY_PASSPHRASE_FILE, never a flow parameter) opens its keys, and the hub answers a health
    check. Each problem is one line. Exit 0 done, 2 an option, file or passphrase to fix, 1 the run
    failed (the hub unreachable, the flow failed, an export withheld beyond --max-withheld-share).
    With PREFECT_API_URL set, the run is recorded by that server instead.
    """
    if name not in FLOWS:
        raise _usage(f"unknown flow {name!r}; one of: {', '.join(sorted(FLOWS))}")
    offered: dict[str, Any] = {
        "member": member,
        "source": str(source) if source else None,
        "records": str(records) if records else None,
        "sink": str(sink) if sink else None,
        "target": target,
        "federation_dir": str(federation_dir),
        "recipients": list(recipient) if recipient else None,
        "state_dir": str(state_dir) if state_dir else None,
        "batch_size": batch_size,
        "shards": shards,
        "max_withheld_share": max_withheld_share,
        "uses": list(key_use) if key_use else None,
        "overlap_days": overlap_days,
        "force": force,
        "approve": approve,
        "refusals": _refusals(refuse or []),
    }
    missing = [option for option in NEEDS[name] if offered.get(option) is None]
    if missing:
        raise _usage(f"{name} needs --{', --'.join(m.replace('_', '-') for m in missing)}")
    check_runner_options(offered.get("shards"), task_runner, dask_workers, dask_address)
    from flows.precheck import InputProblem, RunProblem, check_inputs

    try:
        check_inputs(offered)
    except InputProblem as problem:
        raise _usage(str(problem)) from None
    except RunProblem as problem:
        raise _failure(f"{name} not started: {problem}") from None
    result = _run_flow(name, offered, task_runner, dask_workers, dask_address, debug)
    show_result(name, result, as_json)


def _usage(message: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/bold red] {message}", markup=True, highlight=False)
    return typer.Exit(code=2)


def _failure(message: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/bold red] {message}", highlight=False)
    return typer.Exit(code=1)


def _run_flow(
    name: str,
    offered: dict[str, Any],
    task_runner: str,
    dask_workers: int | None,
    dask_address: str | None,
    debug: bool,
) -> Any:
    """Start Prefect and run the flow, under a progress bar; a failure is one line (``--debug``: all)."""
    from flows.prefect_env import flush_prefect_workers, quiet_prefect_console, use_local_prefect
    from flows.progress import attached, console_progress, report

    use_local_prefect(Path("var") / "prefect")
    with attached(console_progress(err_console)) as progress, quiet_prefect_console(not debug):
        report(name, description=f"{name} {offered.get('member') or ''}".strip(), total=None)
        flow = load_flow(name)
        parameters = flow_parameters(flow, offered)
        flow = with_task_runner(flow, parameters.get("shards"), task_runner, dask_workers, dask_address)
        from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

        try:
            with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
                result = asyncio.run(flow(**parameters))
        except Exception as error:
            progress.stop()
            flush_prefect_workers()
            if debug:
                err_console.print_exception()
            rejected = getattr(error, "result", None)
            if rejected is not None:
                show_result(name, rejected, as_json=False)
            raise _failure(f"{name} failed: {error}") from None
        flush_prefect_workers()
    return result


def show_result(name: str, result: object, as_json: bool) -> None:
    """A flow's result for people (Rich tables, ISO times) or programs (``--json``)."""
    from flows.results import print_result, result_json

    if as_json:
        console.print_json(result_json(result))
    else:
        print_result(name, result, console)


def _refusals(given: list[str]) -> dict[str, str] | None:
    """``--refuse ID=REASON`` options as the request-inbox flow's ``refusals``."""
    found = {}
    for text in given:
        request_id, sep, reason = text.partition("=")
        if not sep or not request_id or not reason:
            raise typer.BadParameter(f"--refuse {text!r}: expected REQUEST_ID=LEGAL_IMPEDIMENT")
        found[request_id.strip()] = reason.strip().upper()
    return found or None


@flow_app.command("serve")
def serve(
    member: Annotated[
        list[str] | None, typer.Option(help="Member to serve (repeatable; default: all seven).")
    ] = None,
    flow: Annotated[
        list[str] | None,
        typer.Option(help="Flow to serve (repeatable; default: every flow in SCHEDULES)."),
    ] = None,
    target: Annotated[str, typer.Option(help="Hub address HOST:PORT.")] = "127.0.0.1:50051",
    federation_dir: Annotated[Path, typer.Option(help="Federation folder.")] = Path("var/federation"),
    exports_dir: Annotated[
        Path, typer.Option(help="Where each national system drops its export: DIR/<member>/export<ext>.")
    ] = Path("var/exports"),
    sinks_dir: Annotated[Path, typer.Option(help="National sinks: DIR/<member>/.")] = Path("var/sinks"),
    state_dir: Annotated[Path, typer.Option(help="Outbox and witness state.")] = Path("var/flows"),
) -> None:
    """Serve per-member deployments of every flow with their schedules (SCHEDULES in flows/cli.py).

    Schedules need a Prefect server: run `prefect server start` and set PREFECT_API_URL (e.g.
    http://127.0.0.1:4200/api) first. Prefect's ephemeral API does not run the scheduler, so without a
    server the deployments are created but only run when triggered (`prefect deployment run`).
    The server of this environment (`.venv/bin/prefect server start`) schedules them (README,
    "Served, with schedules").
    """
    from flows.prefect_env import use_local_prefect

    if not os.environ.get("PREFECT_API_URL"):
        err_console.print(
            "[yellow]PREFECT_API_URL is not set: the ephemeral API does not schedule; start "
            "`prefect server start` and export PREFECT_API_URL for the schedules to run.[/yellow]"
        )
    use_local_prefect(Path("var") / "prefect")
    from prefect import serve as prefect_serve

    deployments = build_deployments(
        list(member or ()), target, federation_dir, exports_dir, sinks_dir, state_dir, list(flow or ())
    )
    console.print(f"serving {len(deployments)} deployments")
    prefect_serve(*deployments)


def demo(
    workdir: Annotated[
        Path | None, typer.Option(help="Folder for the run (default: a new temporary folder).")
    ] = None,
    profiles: Annotated[
        int, typer.Option(min=1, max=10_000, help="Profiles each member sends to each partner.")
    ] = 25,
    clock: Annotated[
        str | None,
        typer.Option(
            help="Run as if the time were this RFC 3339 instant, e.g. 2045-06-15T00:00:00Z (the policy, "
            "consents, deadlines and keys follow it; TLS certificates follow the machine's clock).",
            envvar="PXHUB_CLOCK",
        ),
    ] = None,
) -> None:
    """Run a complete regional exchange among the seven members on the embedded defaults.

    The keys are encrypted under PXHUB_KEY_PASSPHRASE (or the file PXHUB_KEY_PASSPHRASE_FILE names)
    when set, else under a new passphrase printed once: with it, `pxhub serve` and `pxhub flow run`
    keep working on the --workdir folder afterwards (README, "What `make demo` does").
    """
    from flows.demo import run_demo
    from hub.identity.manifest import PkiError
    from hub.runtime.clock import parse_instant

    try:
        clock_start = parse_instant(clock) if clock else None
    except ValueError as error:
        raise _usage(f"--clock: {error}") from None
    if workdir is not None and workdir.exists() and any(workdir.iterdir()):
        raise _usage(f"--workdir {workdir}: not empty; give a new or empty folder")
    try:
        report = run_demo(workdir, profiles_per_partner=profiles, console=console, clock_start=clock_start)
    except PkiError as error:
        raise _usage(str(error)) from None
    if sum(report.sent.values()) != sum(report.acknowledged.values()):
        err_console.print("[bold red]error:[/bold red] not every accepted record was acknowledged")
        raise typer.Exit(code=2)


def subject_access(
    member: Annotated[str, typer.Option(help="The member answering, e.g. CO-INPEC.")],
    record_id: Annotated[
        list[str],
        typer.Option(help="The person's national inmate, record or document number (repeatable)."),
    ],
    state_dir: Annotated[Path, typer.Option(help="The member's flow state (outbox).")] = Path("var/flows"),
    sink: Annotated[Path | None, typer.Option(help="The member's national sink folder.")] = None,
    target: Annotated[
        str | None, typer.Option(help="Hub HOST:PORT: add each sent record's lineage (Track).")
    ] = None,
    federation_dir: Annotated[Path, typer.Option(help="Federation folder.")] = Path("var/federation"),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Every transfer about one person that the member sent or received, under any legal basis.

    For a person's access request (docs/lookup-and-requests.md, "Subject access"): the member's
    outbox and sink are searched on its own disk; the hub holds no identifier to search by.
    """
    from flows.subject_access import received_transfers, sent_transfers

    transfers = sent_transfers(member, record_id, str(state_dir))
    transfers += received_transfers(member, record_id, str(sink or Path("var/sinks") / member))
    if target and any(t.direction == "sent" for t in transfers):
        transfers = asyncio.run(_with_lineage(member, target, federation_dir, transfers))
    if as_json:
        console.print_json(json.dumps([dataclasses.asdict(t) for t in transfers]))
        return
    table = Table(title=f"Transfers about the person, as {member} holds them ({len(transfers)})")
    for column in ("direction", "message id", "with", "purpose", "legal basis", "at", "outcome / lineage"):
        table.add_column(column, no_wrap=column == "message id", overflow="fold")
    for t in transfers:
        table.add_row(
            t.direction,
            t.message_id,
            t.counterpart,
            t.purpose,
            t.legal_basis,
            t.at,
            "\n".join([t.outcome, *t.lineage]),
        )
    console.print(table)


async def _with_lineage(member: str, target: str, federation_dir: Path, transfers: list[Any]) -> list[Any]:
    from flows.common import connect

    client = await connect(member, target, str(federation_dir))
    try:
        for transfer in transfers:
            if transfer.direction == "sent" and transfer.outcome in ("ACCEPTED", "DUPLICATE"):
                lineage = await client.track(transfer.message_id)
                transfer.lineage.extend(
                    f"{r.recipient}: acknowledged {bool(r.acknowledged_at.seconds)}, "
                    f"deletion {'attested' if r.attested_at.seconds else 'not attested'}"
                    for r in lineage.recipients
                )
    finally:
        await client.close()
    return transfers
