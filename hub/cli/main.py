"""The ``pxhub`` command: identities, the hub server, the member directory and joins, audit and consent.

Thin: every command parses its options and calls the module that does the work. Other packages
add commands through the ``pxhub.cli`` entry-point group (the flows package adds ``flow`` and
``demo``), so the hub never imports them.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hub.cli.audit import audit_app
from hub.cli.backup import backup
from hub.cli.common import run_as
from hub.cli.consent import consent_app, policy_app, track
from hub.cli.lookup import lookup_app, requests_app
from hub.cli.membership import join_app, members_app

app = typer.Typer(
    help="pxhub: data-exchange hub of the regional penitentiary cooperation network.", no_args_is_help=True
)
pki_app = typer.Typer(help="Identities and keys of a federation.", no_args_is_help=True)
app.add_typer(pki_app, name="pki")
app.add_typer(audit_app, name="audit")
app.add_typer(consent_app, name="consent")
app.add_typer(policy_app, name="policy")
app.add_typer(lookup_app, name="lookup")
app.add_typer(requests_app, name="requests")
app.add_typer(members_app, name="members")
app.add_typer(join_app, name="join")
app.command("track")(track)
app.command("backup")(backup)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)
#: The entry-point group through which other packages add commands to ``pxhub``.
CLI_ENTRY_POINTS = "pxhub.cli"
SERVE_SWITCH_INTERVAL_S = 0.0005


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/bold red] {message}")
    return typer.Exit(code=2)


@pki_app.command("init")
def pki_init(
    directory: Annotated[Path, typer.Argument(help="Folder to create (must not exist or be empty).")],
    hostname: Annotated[
        list[str] | None,
        typer.Option("--hostname", help="Hub DNS name for its TLS certificate (repeatable)."),
    ] = None,
) -> None:
    """Create a development federation: CA, hub, the seven founding members (hub/dev/default_members.json),
    an auditor and an operator. New institutions join by request (`pxhub join`, docs/operations.md).

    Private keys are encrypted with the passphrase from PXHUB_KEY_PASSPHRASE or the file named by
    PXHUB_KEY_PASSPHRASE_FILE, and written with mode 0600. The default exchange policy is signed by
    the operator into policy/signed-policy.binpb (docs/policy.md).
    """
    from hub.dev.federation import init_federation
    from hub.identity.credentials import passphrase_from_env
    from hub.identity.manifest import PkiError
    from hub.policy import sign_default_policy

    try:
        passphrase = passphrase_from_env()
        manifest = init_federation(directory, passphrase, hub_hostnames=tuple(hostname or ("localhost",)))
        policy = sign_default_policy(directory, passphrase)  # the operator signs the default policy
    except (PkiError, ValueError, FileExistsError) as error:
        raise _fail(str(error)) from error
    console.print(f"created federation in {directory} with {len(manifest.identities)} identities")
    console.print(f"default policy v{policy.version} signed by {policy.signature.signer}")


@app.command()
def serve(
    config: Annotated[
        Path | None, typer.Option(help="TOML file with hub settings (section \\[hub]).")
    ] = None,
    federation_dir: Annotated[
        Path | None, typer.Option(help="Federation folder (PXHUB_FEDERATION_DIR).")
    ] = None,
    listen: Annotated[str | None, typer.Option(help="host:port (PXHUB_LISTEN).")] = None,
    metrics_listen: Annotated[
        str | None,
        typer.Option(
            help="host:port, or a port on 127.0.0.1, of a plain-HTTP listener for /metrics, /healthz "
            "and /readyz; none unless given (PXHUB_METRICS_LISTEN).",
        ),
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL; default SQLite under --data-dir (PXHUB_DATABASE_URL).")
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Folder of the default SQLite file (PXHUB_DATA_DIR).")
    ] = None,
    log_format: Annotated[str | None, typer.Option(help="console or json (PXHUB_LOG_FORMAT).")] = None,
) -> None:
    """Run the hub until SIGINT or SIGTERM."""
    from pydantic import ValidationError

    from hub.identity.credentials import load_hub, passphrase_from_env
    from hub.identity.directory import Directory
    from hub.identity.manifest import PkiError
    from hub.runtime.heap import settle_after_start
    from hub.runtime.logs import configure_logging
    from hub.runtime.private import DataDirLock, DataDirLockedError
    from hub.server.app import start_hub
    from hub.settings import HubSettings
    from hub.store import open_store

    try:
        settings = HubSettings.load(
            config,
            federation_dir=federation_dir,
            listen=listen,
            metrics_listen=metrics_listen,
            database_url=database_url,
            data_dir=data_dir,
            log_format=log_format,
        )
    except ValidationError as error:
        first = error.errors()[0]
        raise _fail(f"setting {'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from error
    configure_logging(settings.log_format, settings.log_level)
    try:
        credentials = load_hub(settings.federation_dir, passphrase_from_env())
        directory = Directory.from_federation(settings.federation_dir)
        lock = DataDirLock(settings.data_dir)  # one hub per data folder
    except (PkiError, ValueError, FileNotFoundError, DataDirLockedError) as error:
        raise _fail(str(error)) from error

    async def run() -> None:
        try:
            hub = await start_hub(settings, credentials, directory, open_store(settings.sqlalchemy_url))
        except OSError as error:
            raise _fail(str(error)) from None
        settle_after_start()  # start-up state out of the collector's way (hub/runtime/heap.py)
        stop = asyncio.Event()
        received: list[str] = []

        def on_signal(name: str) -> None:
            received.append(name)
            stop.set()

        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, on_signal, signum.name)
        await stop.wait()
        await hub.stop(reason=f"signal {received[0]}")

    # The event loop shares the GIL with the signature-check and store threads: a shorter switch
    # interval (default 5 ms) lets it answer small calls while a large batch is being checked.
    sys.setswitchinterval(SERVE_SWITCH_INTERVAL_S)
    try:
        asyncio.run(run())
    finally:
        lock.release()


@app.command("member-status")
def member_status(
    member: Annotated[str, typer.Argument(help="The member whose status changes, e.g. GT-DGSP.")],
    status: Annotated[str, typer.Argument(help="active, suspended or revoked (revoked is final).")],
    reason: Annotated[
        str, typer.Option(help="Why, in a few words (goes to the audit log; no personal data).")
    ],
    target: Annotated[str, typer.Option(help="Hub address, HOST:PORT.")] = "127.0.0.1:50051",
    federation_dir: Annotated[Path, typer.Option(help="Federation folder.")] = Path("var/federation"),
    as_member: Annotated[str, typer.Option("--as", help="The operator that signs.")] = "OPERATOR-1",
) -> None:
    """As the operator: suspend, reinstate or revoke a member (signed, stored, audited)."""
    from hub.identity.directory import MEMBER_STATUS_TO_PROTO

    if status not in MEMBER_STATUS_TO_PROTO:
        raise _fail(f"status: expected active, suspended or revoked, not {status!r}")
    response = run_as(
        target, federation_dir, as_member, None, lambda c: c.set_member_status(member, status, reason)
    )
    console.print(f"{member} is now {status} (directory version {response.directory_version})")


def add_contributed_commands(cli: typer.Typer) -> None:
    """Commands other packages contribute through the ``pxhub.cli`` entry-point group.

    A ``typer.Typer`` becomes a command group under the entry point's name, a function one command:
    so the flows package adds ``pxhub flow`` and ``pxhub demo`` without the hub importing it. A
    contribution that fails to load is reported in one line and the hub's own commands still work.
    """
    for entry in entry_points(group=CLI_ENTRY_POINTS):
        try:
            command = entry.load()
        except Exception as error:  # a broken plug-in must not take the hub's own commands down
            err_console.print(
                f"[yellow]warning:[/yellow] command {entry.name!r} ({entry.value}) not loaded: {error}"
            )
            continue
        if isinstance(command, typer.Typer):
            cli.add_typer(command, name=entry.name)
        else:
            cli.command(entry.name)(command)


add_contributed_commands(app)

if __name__ == "__main__":
    app()
