"""``pxhub consent``, ``pxhub policy`` and ``pxhub track``: consents, the policy and lineage, over the hub.

Thin: parse options, connect to a running hub like the member SDK does
(``--target``, ``--federation-dir``, ``--as``; key passphrase from
PXHUB_KEY_PASSPHRASE or PXHUB_KEY_PASSPHRASE_FILE), call the SDK, print.
Exit codes: 0 done, 1 the hub refused (the reason is printed), 2 a usage or
connection problem.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from hub.cli.common import (
    REQUEST_COLUMNS,
    AsOption,
    Column,
    FederationOption,
    JsonOption,
    ServerNameOption,
    TargetOption,
    _enum,
    _fail,
    _when,
    print_json,
    print_table,
    request_rows,
    run_as,
)

if TYPE_CHECKING:
    from hub.core.policy import ExchangePolicy
    from hub.sdk import MemberClient
    from hub.sdk.audit.report import RecordChain
    from pxhub.v1 import consent_pb2, policy_pb2, request_pb2

consent_app = typer.Typer(
    help="Consent records (ISO/IEC TS 27560): register, withdraw or revoke, show a subject's consents; "
    "pseudonyms of national ids.",
    no_args_is_help=True,
)
policy_app = typer.Typer(help="The exchange policy signed by the operator.", no_args_is_help=True)
console = Console()


LINEAGE_COLUMNS = (
    Column("recipient", ident=True),
    Column("received", ident=True),
    Column("acknowledged", ident=True),
    Column("withdrawal_notice", "withdrawal notice", ident=True),
    Column("deletion_attested", "deletion attested", ident=True),
)


#: Why the hub dropped a record's ciphertext, as ``track`` says it (by PurgeReason number).
PURGED_BECAUSE = {
    0: "reason not recorded",
    1: "acknowledged by every recipient",
    2: "consent withdrawn",
    3: "review-or-delete date passed before every recipient acknowledged it",
}


def lineage_record(lineage: consent_pb2.RecordLineage) -> dict[str, Any]:
    """A record's lineage as one JSON-ready object: the record, then one row per recipient."""
    from pxhub.v1 import consent_pb2, envelope_pb2

    never = (
        "no (its review-or-delete date passed first)"
        if lineage.purge_reason == consent_pb2.PURGE_REASON_REVIEW_OR_DELETE_DATE
        else "no (withdrawn before delivery)"
    )
    rows = []
    for r in lineage.recipients:
        if r.cancelled:
            received = never
        elif r.delivery_count:
            received = f"{_when(r.first_delivered_at)} ({r.delivery_count}x)"
        else:
            received = "not yet"
        acknowledged = "-"
        if r.HasField("acknowledged_at"):
            status = _enum(envelope_pb2.DeliveryReceipt.DeliveryStatus, r.receipt_status, "DELIVERY_STATUS_")
            acknowledged = f"{_when(r.acknowledged_at)} {status}"
        attested = "-"
        if r.HasField("attested_at"):
            status = _enum(consent_pb2.DeletionStatus, r.deletion_status, "DELETION_STATUS_")
            attested = f"{_when(r.attested_at)} {status}"
        elif r.HasField("notified_at"):
            attested = "pending"
        rows.append(
            {
                "recipient": r.recipient,
                "received": received,
                "acknowledged": acknowledged,
                "withdrawal_notice": _when(r.notified_at),
                "deletion_attested": attested,
            }
        )
    return {
        "message_id": lineage.message_id,
        "purpose": _enum(envelope_pb2.Purpose, lineage.purpose, "PURPOSE_"),
        "sender": lineage.sender,
        "accepted_at": _when(lineage.accepted_at),
        "consent_id": lineage.consent_id,
        "review_or_delete_at": _when(lineage.review_or_delete_at)
        if lineage.HasField("review_or_delete_at")
        else "",
        "purged_at": _when(lineage.purged_at) if lineage.HasField("purged_at") else "",
        "purge_reason": PURGED_BECAUSE.get(lineage.purge_reason, PURGED_BECAUSE[0])
        if lineage.HasField("purged_at")
        else "",
        "recipients": rows,
    }


VERSION_COLUMNS = (
    Column("version", ident=True),
    Column("state", ident=True),
    Column("accepted", ident=True),
    Column("state_lasted", "state lasted"),
    Column("message_id", "message id", ident=True),
    Column("supersedes", ident=True),
)


def chain_rows(chain: RecordChain) -> list[dict[str, Any]]:
    """The versions of a living record, each with its state and how long that state lasted."""
    from hub.sdk.audit.report import duration_text

    return [
        {
            "version": version.version,
            "state": version.state or "-",
            "accepted": version.accepted_at.isoformat(timespec="seconds") if version.accepted_at else "-",
            "state_lasted": duration_text(lasted) if lasted is not None else "current",
            "message_id": version.message_id,
            "supersedes": version.supersedes or "-",
        }
        for version, lasted in chain.state_hours()
    ]


def print_lineage(record: dict[str, Any], heading: str = "") -> None:
    """Per recipient: received, acknowledged, notified of a withdrawal, attested deletion."""
    title = (
        f"{heading or 'Record ' + record['message_id']}: {record['purpose']}, sent by {record['sender']} "
        f"at {record['accepted_at']}"
        + (f", consent {record['consent_id']}" if record["consent_id"] else "")
        + (f", review or delete by {record['review_or_delete_at']}" if record["review_or_delete_at"] else "")
        + (
            f", ciphertext purged {record['purged_at']} ({record['purge_reason']})"
            if record["purged_at"]
            else ""
        )
    )
    print_table(record["recipients"], LINEAGE_COLUMNS, title=title)


# --------------------------------------------------------------------------- consent


@consent_app.command("register")
def consent_register(
    record_file: Annotated[
        Path,
        typer.Argument(
            help="Consent record as JSON (pxhub.v1.ConsentRecord), e.g. docs/examples/consent.json."
        ),
    ],
    target: TargetOption = "127.0.0.1:50051",
    federation_dir: FederationOption = Path("var/federation"),
    as_member: AsOption = "",
    server_name: ServerNameOption = None,
) -> None:
    """Sign a consent record as its controller (--as) and register it at the hub.

    Enum values may be short and in any case (CUSTODY_TRANSFER, custody_transfer or
    PURPOSE_CUSTODY_TRANSFER); noticeSha256 is the notice's SHA-256 as 64 hex characters. The
    record is checked field by field before anything is sent (docs/consent.md).
    """
    from hub.core.consent import check_record
    from hub.core.consent_file import ConsentFileError, parse_consent_json
    from hub.core.envelope import EnvelopeError
    from pxhub.v1 import consent_pb2

    try:
        record = parse_consent_json(record_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise _fail(f"{record_file}: cannot read it: {error}") from None
    except ConsentFileError as error:
        raise _fail(f"{record_file}: {error}") from None
    controller = as_member or record.controller
    if not record.controller:
        record.controller = controller
    try:
        check_record(record)
    except EnvelopeError as error:
        raise _fail(f"{record_file}: {error.detail}") from None
    response = run_as(target, federation_dir, controller, server_name, lambda c: c.register_consent(record))
    outcome = _enum(consent_pb2.ConsentRegistration, response.registration, "CONSENT_REGISTRATION_").lower()
    console.print(f"consent {response.consent_id} {outcome} at {_when(response.registered_at)}")


@consent_app.command("pseudonym")
def consent_pseudonym(
    national_ids: Annotated[
        list[str] | None,
        typer.Argument(
            help="National ids; without any, one a line from standard input (keeps them out of the "
            "shell history)."
        ),
    ] = None,
    as_member: AsOption = "",
    country: Annotated[
        str | None, typer.Option("--country", help="ISO 3166-1 alpha-2 of the id; default: that of --as.")
    ] = None,
    dev_key: Annotated[
        bool,
        typer.Option(
            "--dev-key",
            help="Use the development federation's key of --as (as the demo does), never for real people.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """The subject pseudonym a member uses for a national id: psn:<ISO2>:<32 hex>, offline.

    HMAC-SHA256 under the member's own pseudonym key, read from the file named by
    PXHUB_PSEUDONYM_KEY_FILE (the hub never has it); one pseudonym a line, in input order.
    """
    import sys

    from hub.core.consent import subject_pseudonym
    from hub.core.members import MEMBER_ID_PATTERN
    from hub.dev.federation import demo_pseudonym_key
    from hub.identity.credentials import pseudonym_key_from_env
    from hub.identity.manifest import PkiError

    if not as_member or not MEMBER_ID_PATTERN.fullmatch(as_member):
        raise _fail("--as is required: the member whose pseudonym key this is, e.g. CO-INPEC")
    try:
        key = demo_pseudonym_key(as_member) if dev_key else pseudonym_key_from_env()
    except PkiError as error:
        raise _fail(str(error)) from None
    ids = national_ids or [line.strip() for line in sys.stdin if line.strip()]
    if not ids:
        raise _fail("give at least one national id (as arguments or one a line on standard input)")
    iso2 = (country or as_member[:2]).upper()
    pseudonyms = []
    for number, national_id in enumerate(ids, start=1):
        try:
            pseudonyms.append(subject_pseudonym(key, iso2, national_id))
        except ValueError as error:  # the message never repeats the id
            where = "--country" if "country" in str(error) else f"national id {number}"
            raise _fail(f"{where}: {error}") from None
    if as_json:
        print_json([{"line": n, "pseudonym": p} for n, p in enumerate(pseudonyms, start=1)])
        return
    for pseudonym in pseudonyms:
        typer.echo(pseudonym)


@consent_app.command("withdraw")
def consent_withdraw(
    consent_id: Annotated[str, typer.Argument(help="Consent id (UUID).")],
    revoke: Annotated[
        bool, typer.Option("--revoke", help="Revoked by the controller, not withdrawn by the subject.")
    ] = False,
    evidence: Annotated[str, typer.Option(help="Reference to the evidence (signed form, ruling).")] = "",
    note: Annotated[str, typer.Option(help="Free-text note kept with the event.")] = "",
    target: TargetOption = "127.0.0.1:50051",
    federation_dir: FederationOption = Path("var/federation"),
    as_member: AsOption = "",
    server_name: ServerNameOption = None,
) -> None:
    """Withdraw (the subject's decision) or revoke a consent: purges the undelivered, notifies recipients."""
    from pxhub.v1 import consent_pb2

    if not as_member:
        raise _fail("--as is required (the consent's controller)")
    state = consent_pb2.CONSENT_STATE_REVOKED if revoke else consent_pb2.CONSENT_STATE_WITHDRAWN
    response = run_as(
        target,
        federation_dir,
        as_member,
        server_name,
        lambda c: c.change_consent_state(consent_id, state, evidence_ref=evidence, note=note),
    )
    name = _enum(consent_pb2.ConsentState, response.consent.state, "CONSENT_STATE_").lower()
    console.print(
        f"consent {consent_id} {name}: {response.purged_envelopes} undelivered envelope(s) purged, "
        f"{response.notices} revocation notice(s) sent"
    )


CONSENT_COLUMNS = (
    Column("consent", ident=True),
    Column("state"),
    Column("purposes"),
    Column("recipients", ident=True),
    Column("data_categories", "data categories"),
    Column("valid_from", "valid from", ident=True),
    Column("valid_until", "valid until", ident=True),
    Column("transfer_count", "transfers"),
)


def consent_rows(views: list[consent_pb2.ConsentView]) -> list[dict[str, Any]]:
    """One row per consent with its events and the transfers made under it (ids and times whole)."""
    from pxhub.v1 import consent_pb2, envelope_pb2, options_pb2

    rows = []
    for view in views:
        record = consent_pb2.ConsentRecord.FromString(view.consent.record)
        events = []
        for event in view.events:
            e = consent_pb2.ConsentEvent.FromString(event.event)
            events.append(
                {
                    "state": _enum(consent_pb2.ConsentState, e.state, "CONSENT_STATE_").lower(),
                    "at": _when(e.at),
                    "actor": _enum(consent_pb2.ConsentActor, e.actor, "CONSENT_ACTOR_").lower(),
                    "recorded_by": e.recorded_by,
                }
            )
        rows.append(
            {
                "consent": record.consent_id,
                "state": _enum(consent_pb2.ConsentState, view.state, "CONSENT_STATE_").lower(),
                "purposes": [_enum(envelope_pb2.Purpose, p, "PURPOSE_") for p in record.purposes],
                "recipients": list(record.recipients),
                "data_categories": [
                    _enum(options_pb2.Sensitivity, c, "SENSITIVITY_") for c in record.data_categories
                ],
                "valid_from": _when(record.valid_from),
                "valid_until": _when(record.valid_until),
                "transfer_count": len(view.transfers),
                "events": events,
                "transfers": [lineage_record(lineage) for lineage in view.transfers],
            }
        )
    return rows


@consent_app.command("show")
def consent_show(
    subject: Annotated[str, typer.Argument(help="Subject pseudonym, psn:<ISO2>:<32 hex>.")],
    target: TargetOption = "127.0.0.1:50051",
    federation_dir: FederationOption = Path("var/federation"),
    as_member: AsOption = "",
    server_name: ServerNameOption = None,
    as_json: JsonOption = False,
) -> None:
    """Subject access: the subject's consents held by --as, and every transfer made under each."""
    if not as_member:
        raise _fail("--as is required (the controller holding the subject's consents)")
    views = run_as(target, federation_dir, as_member, server_name, lambda c: c.consents_for_subject(subject))
    rows = consent_rows(views)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("no consents for this subject")
        return
    print_table(rows, CONSENT_COLUMNS, title=f"Consents of {subject} held by {as_member}")
    for row in rows:
        for e in row["events"]:
            console.print(
                f"consent {row['consent']}: {e['state']} at {e['at']} by {e['actor']} "
                f"(recorded by {e['recorded_by']})",
                soft_wrap=True,
            )
        for transfer in row["transfers"]:
            print_lineage(transfer, heading=f"Transfer {transfer['message_id']}")


# --------------------------------------------------------------------------- track


def track(
    message_id: Annotated[str, typer.Argument(help="Message id of a record you sent.")],
    target: TargetOption = "127.0.0.1:50051",
    federation_dir: FederationOption = Path("var/federation"),
    as_member: AsOption = "",
    server_name: ServerNameOption = None,
    as_json: JsonOption = False,
) -> None:
    """Lineage of a record you sent: who received it, who acknowledged, who attested deletion.

    For a REQUEST you sent, also where it stands (open, answered, refused, overdue, withdrawn). For
    a version of a living record (an integrity finding's chain), also every version of it, with
    its state and how long each state lasted.
    """
    if not as_member:
        raise _fail("--as is required (the originator of the record)")

    async def both(
        client: MemberClient,
    ) -> tuple[consent_pb2.RecordLineage, list[request_pb2.RequestView], RecordChain | None]:
        from hub.identity.manifest import load_manifest
        from hub.sdk.audit.client import AuditClient

        lineage = await client.track(message_id)
        audit = AuditClient(client.channel, client.identity, load_manifest(federation_dir))
        chain = await audit.record_chain(message_id)
        return lineage, await client.list_requests(message_id=message_id), chain

    lineage, requests, chain = run_as(target, federation_dir, as_member, server_name, both)
    record = lineage_record(lineage)
    request = request_rows(requests)[0] if requests else None
    versions = chain_rows(chain) if chain is not None else []
    if as_json:
        print_json({**record, "request": request, "versions": versions})
        return
    print_lineage(record)
    if chain is not None:
        linked = "linked" if chain.linked() else "BROKEN chain"
        print_table(versions, VERSION_COLUMNS, title=f"Versions of record {chain.record} ({linked})")
    if request is not None:
        columns = [c for c in REQUEST_COLUMNS if c.key not in ("request", "requester", "purpose")]
        print_table([request], columns, title=f"Request {message_id}")


# --------------------------------------------------------------------------- policy


PURPOSE_RULE_COLUMNS = (
    Column("purpose", ident=True),
    Column("record_kinds", "record kinds"),
    Column("legal_bases", "legal bases"),
    Column("layers"),
    Column("partial_layers", "partial layers"),
)
AGREEMENT_COLUMNS = (
    Column("id", ident=True),
    Column("instrument"),
    Column("parties", ident=True),
    Column("purposes"),
    Column("bases"),
    Column("valid_from", "valid from", ident=True),
    Column("valid_until", "valid until", ident=True),
)
TRANSFER_RULE_COLUMNS = (
    Column("country", ident=True),
    Column("law"),
    Column("adequate_importers", "adequate importers"),
    Column("exception_bases", "exception bases"),
    Column("exception_purposes", "exception purposes"),
)


def policy_document(policy: ExchangePolicy, warn_days: int = 30) -> dict[str, Any]:
    """The policy in force as one JSON-ready object: its period, purposes, agreements, transfer rules,
    signature, and what ends within ``warn_days``."""
    from hub.core.policy import ending_within
    from hub.runtime.clock import edge_clock
    from pxhub.v1 import envelope_pb2, options_pb2

    now = edge_clock()

    def names(enum: object, values: object, prefix: str) -> list[str]:
        return [_enum(enum, v, prefix) for v in values]  # type: ignore[attr-defined]

    message = policy.message
    return {
        "version": message.version,
        "issuer": message.issuer,
        "issued_at": _when(message.issued_at),
        "valid_from": _when(message.valid_from),
        "valid_until": _when(message.valid_until),
        "ending": [
            {"what": e.what, "name": e.name, "until": e.until.isoformat(), "days_left": e.days_left(now)}
            for e in ending_within(policy, now, timedelta(days=warn_days))
        ],
        "purposes": [
            {
                "purpose": _enum(envelope_pb2.Purpose, rule.purpose, "PURPOSE_"),
                "record_kinds": names(envelope_pb2.PayloadKind, rule.payload_kinds, "PAYLOAD_KIND_"),
                "legal_bases": names(envelope_pb2.LegalBasis, rule.legal_bases, "LEGAL_BASIS_"),
                "layers": names(options_pb2.Sensitivity, rule.layers, "SENSITIVITY_"),
                "partial_layers": [
                    f"{_enum(options_pb2.Sensitivity, p.layer, 'SENSITIVITY_')}: {', '.join(p.fields)}"
                    for p in rule.partial_layers
                ],
            }
            for rule in message.purposes
        ],
        "agreements": [
            {
                "id": a.agreement_id,
                "instrument": a.instrument,
                "parties": list(a.parties),
                "purposes": names(envelope_pb2.Purpose, a.purposes, "PURPOSE_"),
                "bases": names(envelope_pb2.LegalBasis, a.legal_bases, "LEGAL_BASIS_"),
                "valid_from": _when(a.valid_from)[:10],
                "valid_until": _when(a.valid_until)[:10],
            }
            for a in message.agreements
        ],
        "transfer_rules": [
            {
                "country": r.country_iso2,
                "law": r.law,
                "adequate_importers": list(r.adequate_countries),
                "exception_bases": names(envelope_pb2.LegalBasis, r.exception_bases, "LEGAL_BASIS_"),
                "exception_purposes": names(envelope_pb2.Purpose, r.exception_purposes, "PURPOSE_"),
            }
            for r in message.transfer_rules
        ],
        "signer": policy.signature.signer,
        "key_id": policy.signature.key_id,
        "sha256": policy.sha256.hex(),
    }


def _joined(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Rows with the list values of ``keys`` joined by commas, so text wraps between names."""
    return [{k: ", ".join(v) if k in keys else v for k, v in row.items()} for row in rows]


WarnDaysOption = Annotated[
    int,
    typer.Option(
        "--warn-days",
        min=0,
        envvar="PXHUB_EXPIRY_WARNING_DAYS",
        help="Warn of the policy or an agreement that ends within this many days (as the hub logs).",
    ),
]


def _fetch_policy(
    target: str, federation_dir: Path, as_member: str, server_name: str | None
) -> ExchangePolicy:
    """The policy in force at the hub, its operator signature verified by the SDK."""
    from hub.core.envelope import EnvelopeError

    async def fetch(client: MemberClient) -> ExchangePolicy:
        from pxhub.v1 import envelope_pb2

        policy = await client.refresh_policy()
        if policy is None:
            raise EnvelopeError(envelope_pb2.REASON_POLICY_UNAVAILABLE, "the hub has no policy in force")
        return policy

    return run_as(target, federation_dir, as_member, server_name, fetch)


def _read_policy(path: Path, federation_dir: Path, issued: datetime) -> policy_pb2.Policy:
    """A policy file: protobuf JSON (relative dates fixed against ``issued``), or a signed policy
    (``.binpb``, its operator signature verified against the federation's directory)."""
    from google.protobuf import json_format

    from hub.core.envelope import EnvelopeError
    from hub.core.policy import policy_from_json, verify_signed_policy
    from hub.identity.directory import Directory
    from hub.policy import operator_keys
    from pxhub.v1 import policy_pb2

    try:
        if path.suffix == ".json":
            return policy_from_json(path.read_text(encoding="utf-8"), issued)
        signed = policy_pb2.SignedPolicy.FromString(path.read_bytes())
        return verify_signed_policy(signed, operator_keys(Directory.from_federation(federation_dir))).message
    except EnvelopeError as error:
        raise _fail(f"{path}: {error.reason_name}: {error.detail}", code=1) from None
    except (OSError, ValueError, json_format.ParseError) as error:  # DecodeError is a ValueError
        raise _fail(f"{path}: {error}") from None


def _print_diff(old: policy_pb2.Policy, new: policy_pb2.Policy) -> int:
    from hub.core.policy_diff import policy_diff

    changes = policy_diff(old, new)
    console.print(f"policy v{old.version} -> v{new.version}: {len(changes)} change(s)")
    styles = {"+": "green", "-": "red", "~": "yellow"}
    for change in changes:
        console.print(change.line(), style=styles[change.sign], markup=False, highlight=False)
    return len(changes)


def _print_endings(policy: ExchangePolicy, warn_days: int) -> None:
    from hub.core.policy import ending_within
    from hub.runtime.clock import edge_clock

    now = edge_clock()
    for end in ending_within(policy, now, timedelta(days=warn_days)):
        days = end.days_left(now)
        state = f"ended {-days} d ago" if end.until < now else f"ends in {days} d"
        console.print(
            f"[bold yellow]warning:[/bold yellow] {end.what} {end.name} {state} ({end.until.isoformat()}); "
            "renew it with a new signed version (pxhub policy publish)"
        )


@policy_app.command("show")
def policy_show(
    target: Annotated[
        str | None,
        typer.Option("--target", help="Hub address; without it, the federation's signed policy file."),
    ] = None,
    federation_dir: FederationOption = Path("var/federation"),
    as_member: Annotated[str, typer.Option("--as", help="Your identity (with --target).")] = "OPERATOR-1",
    server_name: ServerNameOption = None,
    as_json: JsonOption = False,
    warn_days: WarnDaysOption = 30,
) -> None:
    """The policy in force (from the hub) or the federation's signed policy, its signature verified,
    with a warning for the policy or an agreement ending within --warn-days.

    On a narrow terminal each purpose, agreement and transfer rule prints as its own section.
    """
    from hub.core.envelope import EnvelopeError
    from hub.core.policy import verify_signed_policy
    from hub.identity.directory import Directory
    from hub.policy import operator_keys, read_signed_policy

    if target is None:
        try:
            signed = read_signed_policy(federation_dir)
            if signed is None:
                raise _fail(f"{federation_dir} holds no signed policy (pxhub pki init writes one)")
            policy = verify_signed_policy(signed, operator_keys(Directory.from_federation(federation_dir)))
        except EnvelopeError as error:
            raise _fail(f"{error.reason_name}: {error.detail}", code=1) from None
        except (OSError, ValueError) as error:
            raise _fail(str(error)) from None
    else:
        policy = _fetch_policy(target, federation_dir, as_member, server_name)
    document = policy_document(policy, warn_days)
    if as_json:
        print_json(document)
        return
    lists = (
        "record_kinds",
        "legal_bases",
        "layers",
        "purposes",
        "bases",
        "exception_bases",
        "exception_purposes",
    )
    print_table(
        _joined(document["purposes"], lists),
        PURPOSE_RULE_COLUMNS,
        title=f"Policy v{document['version']} by {document['issuer']}, issued {document['issued_at']}, "
        f"in force {document['valid_from']} .. {document['valid_until']}",
    )
    print_table(_joined(document["agreements"], (*lists, "parties")), AGREEMENT_COLUMNS, title="Agreements")
    print_table(
        _joined(document["transfer_rules"], (*lists, "adequate_importers")),
        TRANSFER_RULE_COLUMNS,
        title="Transfer rules (exporting country)",
    )
    console.print(f"signed by {document['signer']} key {document['key_id']}", soft_wrap=True)
    console.print(f"sha256 {document['sha256']}", soft_wrap=True)
    _print_endings(policy, warn_days)


@policy_app.command("diff")
def policy_diff_command(
    old: Annotated[Path, typer.Argument(help="The older policy: protobuf JSON or a signed .binpb file.")],
    new: Annotated[Path, typer.Argument(help="The newer policy, in either form.")],
    federation_dir: FederationOption = Path("var/federation"),
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the changes as JSON instead of lines.")
    ] = False,
) -> None:
    """What changes from OLD to NEW, field by field (agreements, purposes and transfer rules matched by
    their id); relative dates ("issued+1095d") are fixed against now, as publishing would."""
    from hub.core.policy_diff import policy_diff
    from hub.runtime.clock import edge_clock

    now = edge_clock()
    before, after = _read_policy(old, federation_dir, now), _read_policy(new, federation_dir, now)
    if as_json:
        changes = [
            {"change": c.sign, "where": c.where, "old": c.old, "new": c.new}
            for c in policy_diff(before, after)
        ]
        print_json({"old_version": before.version, "new_version": after.version, "changes": changes})
        return
    _print_diff(before, after)


@policy_app.command("publish")
def policy_publish(
    policy_file: Annotated[Path, typer.Argument(help="Policy as protobuf JSON (pxhub.v1.Policy).")],
    target: TargetOption = "127.0.0.1:50051",
    federation_dir: FederationOption = Path("var/federation"),
    as_member: Annotated[str, typer.Option("--as", help="The operator that signs.")] = "OPERATOR-1",
    server_name: ServerNameOption = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Publish without asking (after printing the diff).")
    ] = False,
) -> None:
    """Show what changes from the policy in force, then sign it as the operator and publish it once
    confirmed (its version must be greater than the one in force; relative dates are fixed now)."""
    import sys

    from hub.runtime.clock import edge_clock

    if policy_file.suffix != ".json":
        raise _fail(f"{policy_file}: publish takes a protobuf JSON policy (.json)")
    message = _read_policy(policy_file, federation_dir, edge_clock())
    current = _fetch_policy(target, federation_dir, as_member, server_name)
    _print_diff(current.message, message)
    if not yes:
        if not sys.stdin.isatty():
            raise _fail("not publishing without confirmation: pass --yes to publish non-interactively")
        if not typer.confirm(f"Sign and publish policy v{message.version}?", default=False):
            raise _fail("not published", code=1)
    response = run_as(target, federation_dir, as_member, server_name, lambda c: c.publish_policy(message))
    console.print(f"published policy v{response.version} (sha256 {response.policy_sha256.hex()})")
