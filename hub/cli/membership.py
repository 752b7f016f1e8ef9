"""``pxhub members`` (the directory, join requests, approval, removal, certificates) and ``pxhub join``.

The operator's commands run on the operator's machine with its folder (``--federation-dir``: the
CA key, the operator's keys); ``pxhub join`` runs on the new institution's machine with a folder
of its own. docs/operations.md walks through both, end to end. Exit codes as for every client
command: 0 done, 1 the hub refused (the reason is printed), 2 a usage or connection problem.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from hub.cli.common import Column, JsonOption, _fail, err_console, print_json, print_rows, print_table, run_as

if TYPE_CHECKING:
    from hub.identity.directory import Directory
    from hub.sdk import MemberClient
    from hub.sdk.membership import ReviewedRequest

console = Console(soft_wrap=True)
members_app = typer.Typer(
    help="The member directory: list it, review and approve join requests, remove members, renew and "
    "revoke certificates (operator).",
    invoke_without_command=True,
)
join_app = typer.Typer(
    help="On a new institution's own machine: make its keys and join request, install the operator's "
    "bundle, ask for a certificate renewal.",
    no_args_is_help=True,
)

FederationDir = Annotated[
    Path, typer.Option("--federation-dir", help="The operator's folder (CA key, operator keys).")
]
Target = Annotated[str, typer.Option("--target", help="Hub address, HOST:PORT.")]
Operator = Annotated[str, typer.Option("--as", help="The operator that signs.")]
WarnDays = Annotated[
    int,
    typer.Option(
        "--warn-days",
        envvar="PXHUB_EXPIRY_WARNING_DAYS",
        min=0,
        help="Highlight certificates and keys that expire within this many days.",
    ),
]
DEFAULT_DIR = Path("var/federation")
DEFAULT_TARGET = "127.0.0.1:50051"


def _now() -> datetime:
    """The edges' clock (PXHUB_CLOCK when set): the hub checks requests and expiries by the same."""
    from hub.runtime.clock import edge_clock

    return edge_clock()


def _passphrase() -> bytes:
    from hub.identity.credentials import passphrase_from_env
    from hub.identity.manifest import PkiError

    try:
        return passphrase_from_env()
    except PkiError as error:
        raise _fail(str(error)) from None


# --------------------------------------------------------------------------- the directory


@members_app.callback()
def members(
    ctx: typer.Context,
    federation_dir: FederationDir = DEFAULT_DIR,
    target: Annotated[
        str | None,
        typer.Option(
            help="Read the live, hub-signed directory from the hub at HOST:PORT (joins, rotations, "
            "status changes, the trust list); without it, the federation file as issued."
        ),
    ] = None,
    as_member: Annotated[
        str, typer.Option("--as", help="Identity to connect as (with --target).")
    ] = "OPERATOR-1",
    warn_days: WarnDays = 30,
    as_json: JsonOption = False,
) -> None:
    """List members, roles, keys, certificates and the trust list; warn before an expiry."""
    if ctx.invoked_subcommand is not None:
        return
    from hub.identity.directory import Directory

    if target:

        async def connected_directory(client: MemberClient) -> Directory:
            return client.directory  # fetched, verified and its trust list applied by connecting

        directory = run_as(target, federation_dir, as_member, None, connected_directory)
    else:
        try:
            directory = Directory.from_federation(federation_dir)
        except (FileNotFoundError, ValueError) as error:
            raise _fail(str(error)) from error
    print_directory(directory, _now(), timedelta(days=warn_days), as_json)


#: The directory table's columns (ids and key ids never cut). The rows (and ``--json``) also carry each
#: member's certificates by SHA-256, what ``pxhub members revoke-certificate`` takes; the table leaves
#: them out to stay readable at 80 columns and prints the trust list below it.
DIRECTORY_COLUMNS = (
    Column("id", ident=True),
    Column("role"),
    Column("institution"),
    Column("country"),
    Column("status"),
    Column("keys", ident=True),
    Column("certificate_expires", "certificate expires", ident=True),
)
TRUST_LIST_COLUMNS = (
    Column("sha256", ident=True),
    Column("member", ident=True),
    Column("revoked", ident=True),
    Column("reason"),
)


def directory_rows(directory: Directory, now: datetime, warn: timedelta) -> list[dict[str, object]]:
    """One row per member (the same rows for the table and ``--json``): keys as ``use: key_id``,
    certificates as ``sha256 (serial, status, until)``, each followed by its expiry when it is near."""
    expiring = {(e.member_id, e.ident): e for e in directory.expiring(now, warn)}
    revoked_by_member: dict[str, list[str]] = {}
    for r in directory.revoked.values():
        revoked_by_member.setdefault(r.member_id, []).append(r.sha256)

    def flagged(member_id: str, ident: str, text: str) -> str:
        expiry = expiring.get((member_id, ident))
        if expiry is None:
            return text
        return f"{text} (expired)" if expiry.days < 0 else f"{text} (expires in {expiry.days} d)"

    rows: list[dict[str, object]] = []
    for member in directory.members.values():
        current = next((c for c in member.certificates if c.status == "current"), None)
        ends = current.not_after if current is not None else member.certificate_not_after
        rows.append(
            {
                "id": member.member_id,
                "role": member.role,
                "institution": member.institution_name,
                "country": member.country_iso2,
                "status": member.status,
                "keys": [
                    flagged(member.member_id, k.key_id, f"{k.use}: {k.key_id}")
                    + (
                        ""
                        if k.status == "current"
                        else f" ({k.status} until {k.valid_until.date().isoformat()})"
                    )
                    for k in member.keys
                ],
                "certificates": [
                    f"{c.sha256} ({c.serial}, {c.status}, until {c.not_after.date().isoformat()})"
                    for c in member.certificates
                ],
                "certificate_expires": "-"
                if ends is None
                else flagged(member.member_id, current.serial if current else "", ends.date().isoformat()),
                "revoked_certificates": revoked_by_member.get(member.member_id, []),
            }
        )
    return rows


def print_directory(directory: Directory, now: datetime, warn: timedelta, as_json: bool) -> None:
    """The directory as a listing, then one coloured line per expiry within ``warn`` (to stderr)."""
    rows = directory_rows(directory, now, warn)
    if as_json:
        print_json(rows)
        return
    print_table(
        rows, DIRECTORY_COLUMNS, title=f"Directory of {directory.hub_origin} (version {directory.version})"
    )
    trust_list = [
        {"sha256": r.sha256, "member": r.member_id, "revoked": _stamp(r.revoked_at), "reason": r.reason}
        for r in directory.revoked.values()
    ]
    if trust_list:
        print_table(trust_list, TRUST_LIST_COLUMNS, title="Trust list (revoked certificates)")
    for expiry in directory.expiring(now, warn):
        colour = "bold red" if expiry.days < 0 else "bold yellow"
        err_console.print(
            f"[{colour}]warning:[/{colour}] {expiry.member_id}: {expiry.text()}", highlight=False
        )


# --------------------------------------------------------------------------- join requests (operator)


def _live_directory(target: str | None, federation_dir: Path, operator: str) -> Directory | None:
    if not target:
        return None

    async def connected(client: MemberClient) -> Directory:
        return client.directory

    return run_as(target, federation_dir, operator, None, connected)


def _stamp(when: datetime) -> str:
    return when.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _request_row(reviewed: ReviewedRequest) -> dict[str, str]:
    view = reviewed.view
    return {
        "request": reviewed.request_id,
        "file": str(reviewed.path),
        "kind": view.kind if view else "",
        "member": view.member_id if view else "",
        "institution": view.institution.name if view else "",
        "country": view.institution.country_name if view else "",
        "contact": view.contact if view else "",
        "created": _stamp(view.created_at) if view else "",
        "expires": _stamp(view.expires_at) if view else "",
        "check": reviewed.problem or "ok",
    }


#: A join request's columns: the request id is typed next (``pxhub members show|approve <request>``).
REQUEST_COLUMNS = (
    Column("request", ident=True),
    Column("kind"),
    Column("member", ident=True),
    Column("institution"),
    Column("expires", ident=True),
    Column("check"),
)
SHOW_IDENTS = frozenset({"request", "member", "created", "expires", "keys"})


@members_app.command("requests")
def requests(
    federation_dir: FederationDir = DEFAULT_DIR,
    target: Annotated[
        str | None, typer.Option(help="Also check against the live directory (id free, keys unused).")
    ] = None,
    operator: Operator = "OPERATOR-1",
    as_json: JsonOption = False,
) -> None:
    """Join and renewal requests waiting in <federation-dir>/join-requests/, each checked."""
    from hub.sdk.membership import review_requests

    rows = [
        _request_row(r)
        for r in review_requests(federation_dir, _now(), _live_directory(target, federation_dir, operator))
    ]
    print_rows(
        rows,
        REQUEST_COLUMNS,
        title=f"Join requests in {federation_dir / 'join-requests'}",
        as_json=as_json,
        empty=f"No join requests in {federation_dir / 'join-requests'}.",
    )


@members_app.command("show")
def show(
    request: Annotated[str, typer.Argument(help="Request id (from `pxhub members requests`) or file.")],
    federation_dir: FederationDir = DEFAULT_DIR,
    target: Annotated[str | None, typer.Option(help="Also check against the live directory.")] = None,
    operator: Operator = "OPERATOR-1",
    as_json: JsonOption = False,
) -> None:
    """One join request in full: institution, contact, keys, dates and the checks."""
    from hub.identity.manifest import PkiError
    from hub.sdk.membership import find_request

    try:
        reviewed = find_request(
            federation_dir, request, _now(), _live_directory(target, federation_dir, operator)
        )
    except PkiError as error:
        raise _fail(str(error)) from None
    row: dict[str, object] = dict(_request_row(reviewed))
    if reviewed.view is not None:
        row["acronym"] = reviewed.view.institution.acronym
        row["keys"] = [f"{k.use}: {k.key_id}" for k in reviewed.view.keys]
    if as_json:
        print_json(row)
    else:
        columns = [Column(name, ident=name in SHOW_IDENTS) for name in row]
        print_table([row], columns, title=f"Join request {reviewed.request_id}")
    if reviewed.problem:
        raise typer.Exit(code=1)


@members_app.command("approve")
def approve(
    request: Annotated[str, typer.Argument(help="Request id (from `pxhub members requests`) or file.")],
    target: Target = DEFAULT_TARGET,
    federation_dir: FederationDir = DEFAULT_DIR,
    operator: Operator = "OPERATOR-1",
    hub_address: Annotated[
        str | None, typer.Option(help="The address members use to reach the hub (default: --target).")
    ] = None,
    validity_days: Annotated[int, typer.Option(min=1, max=825, help="Certificate validity.")] = 365,
    overlap_days: Annotated[
        int, typer.Option(min=0, max=90, help="For a renewal: how long the old certificate stays accepted.")
    ] = 7,
    bundle_out: Annotated[
        Path | None, typer.Option(help="Folder for the member's bundle (default <federation-dir>/bundles/…).")
    ] = None,
) -> None:
    """Approve a join (or renewal) request: issue its certificate, admit it at the hub, write its bundle."""
    from hub.identity.manifest import PkiError
    from hub.sdk.membership import approve as approve_request
    from hub.sdk.membership import find_request

    passphrase = _passphrase()
    try:
        reviewed = find_request(federation_dir, request, _now())
    except PkiError as error:
        raise _fail(str(error)) from None
    if reviewed.view is None:
        raise _fail(f"request {reviewed.request_id}: {reviewed.problem}", code=1)
    approved = run_as(
        target,
        federation_dir,
        operator,
        None,
        lambda client: approve_request(
            client,
            federation_dir,
            passphrase,
            reviewed.path,
            hub_address or target,
            bundle_out=bundle_out,
            validity=timedelta(days=validity_days),
            overlap=timedelta(days=overlap_days),
        ),
    )
    what = "admitted" if approved.kind == "join" else "renewed the certificate of"
    console.print(
        f"{what} {approved.member_id}: certificate {approved.serial} (SHA-256 {approved.certificate_sha256}) "
        f"valid to {approved.not_after.date().isoformat()}, directory version {approved.directory_version}"
    )
    console.print(
        f"send the member its bundle: {approved.bundle} (then: pxhub join install <its folder> <bundle>)"
    )


@members_app.command("remove")
def remove(
    member: Annotated[str, typer.Argument(help="The member to remove, e.g. BO-DGRP.")],
    reason: Annotated[str, typer.Option(help="Why, in a few words (audit log; no personal data).")],
    target: Target = DEFAULT_TARGET,
    federation_dir: FederationDir = DEFAULT_DIR,
    operator: Operator = "OPERATOR-1",
) -> None:
    """Remove a member for good: status revoked, its keys revoked, its certificates on the trust list.

    Envelopes already waiting for it stay stored, sealed to keys only it held, and are never
    delivered; new ones to it are refused (RECIPIENT_INACTIVE). See docs/operations.md.
    """
    response = run_as(
        target, federation_dir, operator, None, lambda c: c.set_member_status(member, "revoked", reason)
    )
    console.print(f"{member} is removed (directory version {response.directory_version})")


@members_app.command("revoke-certificate")
def revoke_certificate(
    member: Annotated[str, typer.Argument(help="Whose certificate, e.g. BO-DGRP.")],
    sha256: Annotated[str, typer.Argument(help="The certificate's SHA-256 (from `pxhub members --json`).")],
    reason: Annotated[str, typer.Option(help="Why, in a few words (trust list and audit log).")],
    target: Target = DEFAULT_TARGET,
    federation_dir: FederationDir = DEFAULT_DIR,
    operator: Operator = "OPERATOR-1",
) -> None:
    """Put one certificate on the directory's trust list (e.g. a lost TLS key); the member renews."""
    response = run_as(
        target, federation_dir, operator, None, lambda c: c.revoke_certificate(member, sha256, reason)
    )
    console.print(
        f"certificate {sha256} of {member} is revoked (directory version {response.directory_version})"
    )


@members_app.command("export")
def export(
    member: Annotated[str, typer.Argument(help="The member, e.g. CO-INPEC.")],
    out: Annotated[Path, typer.Argument(help="Folder to create with the member's own bundle.")],
    target: Target = DEFAULT_TARGET,
    federation_dir: FederationDir = DEFAULT_DIR,
    operator: Operator = "OPERATOR-1",
    hub_address: Annotated[
        str | None, typer.Option(help="The address the member uses (default: --target).")
    ] = None,
) -> None:
    """Export a development member's own folder: its keys, the CA certificate, the hub address and
    the signed directory (what it runs on its own machine instead of the all-in-one folder)."""
    from hub.sdk.membership import export_bundle

    path = run_as(
        target,
        federation_dir,
        operator,
        None,
        lambda c: export_bundle(c, federation_dir, member, out, hub_address or target),
    )
    console.print(f"wrote {member}'s bundle to {path}")


# --------------------------------------------------------------------------- the institution's side


@join_app.command("request")
def join_request(
    folder: Annotated[
        Path, typer.Argument(help="The institution's own folder (created; must be new or empty).")
    ],
    member_id: Annotated[str, typer.Option(help="ISO2-CODE, e.g. BO-DGRP.")],
    acronym: Annotated[str, typer.Option(help="e.g. DGRP.")],
    name: Annotated[str, typer.Option(help="The institution's official name.")],
    country_name: Annotated[str, typer.Option(help="e.g. Bolivia.")],
    contact: Annotated[
        str, typer.Option(help="An office address the operator answers (no person's data needed).")
    ],
    valid_days: Annotated[int, typer.Option(min=1, max=90, help="Days the request stays valid.")] = 14,
) -> None:
    """Make the institution's keys (TLS, signing, encryption, approver) and its signed join request.

    Private keys are encrypted with PXHUB_KEY_PASSPHRASE (or PXHUB_KEY_PASSPHRASE_FILE) and never
    leave the folder; send <folder>/join-request.binpb to the operator.
    """
    from hub.core.envelope import EnvelopeError
    from hub.core.members import Institution, validate_member_id
    from hub.identity.manifest import PkiError
    from hub.identity.member_folder import JOIN_REQUEST_FILE, create_join_request

    try:
        validate_member_id(member_id)
    except ValueError as error:
        raise _fail(f"--member-id: {error}") from None
    passphrase = _passphrase()
    institution = Institution(member_id, acronym, name, member_id[:2], country_name)
    try:
        signed = create_join_request(
            folder, passphrase, institution, contact, _now(), timedelta(days=valid_days)
        )
    except (PkiError, OSError) as error:
        raise _fail(str(error)) from None
    except EnvelopeError as error:
        raise _fail(f"{error.reason_name}: {error.detail}") from None
    del signed
    console.print(f"keys and join request for {member_id} in {folder}")
    console.print(f"send {folder / JOIN_REQUEST_FILE} to the operator; keep the folder and its passphrase")


@join_app.command("install")
def join_install(
    folder: Annotated[Path, typer.Argument(help="The institution's own folder (from `pxhub join request`).")],
    bundle: Annotated[Path, typer.Argument(help="The bundle the operator sent after approving.")],
) -> None:
    """Check the operator's bundle against this folder's keys and install it (join or renewal)."""
    from hub.identity.manifest import PkiError
    from hub.identity.member_folder import install_bundle

    passphrase = _passphrase()
    try:
        record = install_bundle(folder, bundle, passphrase)
    except (PkiError, OSError, ValueError) as error:
        raise _fail(str(error)) from None
    console.print(
        f"{record.id} is installed in {folder}: "
        f"certificate valid to {record.certificate_not_after.date().isoformat()}"
    )
    console.print(f"connect with --federation-dir {folder} --as {record.id}")


@join_app.command("renew")
def join_renew(
    folder: Annotated[Path, typer.Argument(help="The member's own folder.")],
    as_member: Annotated[str, typer.Option("--as", help="The member, e.g. BO-DGRP.")],
    valid_days: Annotated[int, typer.Option(min=1, max=90, help="Days the request stays valid.")] = 14,
) -> None:
    """Before the certificate expires: a new TLS key and a renewal request signed with the current
    signing key; send <folder>/renewal-request.binpb to the operator, then install its bundle."""
    from hub.core.envelope import EnvelopeError
    from hub.identity.manifest import PkiError
    from hub.identity.member_folder import RENEWAL_REQUEST_FILE, create_renewal_request

    passphrase = _passphrase()
    try:
        create_renewal_request(folder, as_member, passphrase, _now(), validity=timedelta(days=valid_days))
    except (PkiError, OSError) as error:
        raise _fail(str(error)) from None
    except EnvelopeError as error:
        raise _fail(f"{error.reason_name}: {error.detail}") from None
    console.print(f"renewal request for {as_member}: send {folder / RENEWAL_REQUEST_FILE} to the operator")
