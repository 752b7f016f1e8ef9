"""``pxhub consent``, ``pxhub policy`` and ``pxhub track``: consents, the policy and lineage, over the hub.

Thin: parse options, connect to a running hub like the member SDK does
(``--target``, ``--federation-dir``, ``--as``; key passphrase from
PXHUB_KEY_PASSPHRASE or PXHUB_KEY_PASSPHRASE_FILE), call the SDK, print.
Exit codes: 0 done, 1 the hub refused (the reason is printed), 2 a usage or
connection problem.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from hub.cli.common import (
    AsOption,
    FederationOption,
    ServerNameOption,
    TargetOption,
    _enum,
    _fail,
    _when,
    request_rows,
    run_as,
)

if TYPE_CHECKING:
    from hub.core.policy import ExchangePolicy
    from hub.sdk import MemberClient
    from pxhub.v1 import consent_pb2, request_pb2

consent_app = typer.Typer(
    help="Consent records (ISO/IEC TS 27560): register, withdraw or revoke, show a subject's consents.",
    no_args_is_help=True,
)
policy_app = typer.Typer(help="The exchange policy signed by the operator.", no_args_is_help=True)
console = Console()


def lineage_table(lineage: consent_pb2.RecordLineage, title: str = "") -> Table:
    """Per recipient: received, acknowledged, notified of a withdrawal, attested deletion."""
    from pxhub.v1 import consent_pb2, envelope_pb2

    purpose = _enum(envelope_pb2.Purpose, lineage.purpose, "PURPOSE_")
    heading = title or f"Record {lineage.message_id}"
    table = Table(
        title=f"{heading}: {purpose}, sent by {lineage.sender} at {_when(lineage.accepted_at)}"
        + (f", consent {lineage.consent_id}" if lineage.consent_id else "")
        + (f", ciphertext purged {_when(lineage.purged_at)}" if lineage.HasField("purged_at") else "")
    )
    for column in ("recipient", "received", "acknowledged", "withdrawal notice", "deletion attested"):
        table.add_column(column)
    for r in lineage.recipients:
        if r.cancelled:
            received = "no (withdrawn before delivery)"
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
        table.add_row(r.recipient, received, acknowledged, _when(r.notified_at), attested)
    return table


# --------------------------------------------------------------------------- consent


@consent_app.command("register")
def consent_register(
    record_file: Annotated[
        Path,
        typer.Argument(help="Consent record as protobuf JSON (pxhub.v1.ConsentRecord), e.g. consent.json."),
    ],
    target: TargetOption = "127.0.0.1:50051",
    federation_dir: FederationOption = Path("var/federation"),
    as_member: AsOption = "",
    server_name: ServerNameOption = None,
) -> None:
    """Sign a consent record as its controller (--as) and register it at the hub."""
    from google.protobuf import json_format

    from pxhub.v1 import consent_pb2

    try:
        record = json_format.Parse(record_file.read_text(encoding="utf-8"), consent_pb2.ConsentRecord())
    except (OSError, json_format.ParseError) as error:
        raise _fail(f"{record_file}: {error}") from None
    controller = as_member or record.controller
    if not record.controller:
        record.controller = controller
    response = run_as(target, federation_dir, controller, server_name, lambda c: c.register_consent(record))
    outcome = _enum(consent_pb2.ConsentRegistration, response.registration, "CONSENT_REGISTRATION_").lower()
    console.print(f"consent {response.consent_id} {outcome} at {_when(response.registered_at)}")


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


@consent_app.command("show")
def consent_show(
    subject: Annotated[str, typer.Argument(help="Subject pseudonym, psn:<ISO2>:<32 hex>.")],
    target: TargetOption = "127.0.0.1:50051",
    federation_dir: FederationOption = Path("var/federation"),
    as_member: AsOption = "",
    server_name: ServerNameOption = None,
) -> None:
    """Subject access: the subject's consents held by --as, and every transfer made under each."""
    from pxhub.v1 import consent_pb2, envelope_pb2, options_pb2

    if not as_member:
        raise _fail("--as is required (the controller holding the subject's consents)")
    views = run_as(target, federation_dir, as_member, server_name, lambda c: c.consents_for_subject(subject))
    table = Table(title=f"Consents of {subject} held by {as_member}")
    for column in ("consent", "state", "purposes", "recipients", "data categories", "valid", "transfers"):
        table.add_column(column)
    records = []
    for view in views:
        record = consent_pb2.ConsentRecord.FromString(view.consent.record)
        records.append(record)
        table.add_row(
            record.consent_id,
            _enum(consent_pb2.ConsentState, view.state, "CONSENT_STATE_").lower(),
            ", ".join(_enum(envelope_pb2.Purpose, p, "PURPOSE_") for p in record.purposes),
            ", ".join(record.recipients),
            ", ".join(_enum(options_pb2.Sensitivity, c, "SENSITIVITY_") for c in record.data_categories),
            f"{_when(record.valid_from)} .. {_when(record.valid_until)}",
            str(len(view.transfers)),
        )
    console.print(table)
    for view, record in zip(views, records, strict=True):
        for event in view.events:
            e = consent_pb2.ConsentEvent.FromString(event.event)
            console.print(
                f"consent {record.consent_id}: "
                f"{_enum(consent_pb2.ConsentState, e.state, 'CONSENT_STATE_').lower()}"
                f" at {_when(e.at)} by {_enum(consent_pb2.ConsentActor, e.actor, 'CONSENT_ACTOR_').lower()}"
                f" (recorded by {e.recorded_by})"
            )
        for lineage in view.transfers:
            console.print(lineage_table(lineage, title=f"Transfer {lineage.message_id}"))
    if not views:
        console.print("no consents for this subject")


# --------------------------------------------------------------------------- track


def track(
    message_id: Annotated[str, typer.Argument(help="Message id of a record you sent.")],
    target: TargetOption = "127.0.0.1:50051",
    federation_dir: FederationOption = Path("var/federation"),
    as_member: AsOption = "",
    server_name: ServerNameOption = None,
) -> None:
    """Lineage of a record you sent: who received it, who acknowledged, who attested deletion.

    For a REQUEST you sent, also where it stands (open, answered, refused, overdue, withdrawn).
    """
    if not as_member:
        raise _fail("--as is required (the originator of the record)")

    async def both(client: MemberClient) -> tuple[consent_pb2.RecordLineage, list[request_pb2.RequestView]]:
        lineage = await client.track(message_id)
        return lineage, await client.list_requests(message_id=message_id)

    lineage, requests = run_as(target, federation_dir, as_member, server_name, both)
    console.print(lineage_table(lineage))
    if requests:
        columns = ("state", "responder", "urgency", "layers", "opened", "deadline", "closed", "refusal")
        table = Table(title=f"Request {message_id}")
        for column in columns:
            table.add_column(column)
        row = request_rows(requests)[0]
        table.add_row(*(row[k] or "-" for k in columns))
        console.print(table)


# --------------------------------------------------------------------------- policy


def _policy_tables(policy: ExchangePolicy) -> list[Table]:
    from pxhub.v1 import envelope_pb2, options_pb2

    def names(enum: object, values: object, prefix: str) -> str:
        return ", ".join(_enum(enum, v, prefix) for v in values)  # type: ignore[attr-defined]

    message = policy.message
    purposes = Table(
        title=f"Policy v{message.version} by {message.issuer}, issued {_when(message.issued_at)}"
    )
    for column in ("purpose", "record kinds", "legal bases", "layers", "partial layers"):
        purposes.add_column(column)
    for rule in message.purposes:
        purposes.add_row(
            _enum(envelope_pb2.Purpose, rule.purpose, "PURPOSE_"),
            names(envelope_pb2.PayloadKind, rule.payload_kinds, "PAYLOAD_KIND_"),
            names(envelope_pb2.LegalBasis, rule.legal_bases, "LEGAL_BASIS_"),
            names(options_pb2.Sensitivity, rule.layers, "SENSITIVITY_"),
            "; ".join(
                f"{_enum(options_pb2.Sensitivity, p.layer, 'SENSITIVITY_')}: {', '.join(p.fields)}"
                for p in rule.partial_layers
            ),
        )
    agreements = Table(title="Agreements")
    for column in ("id", "instrument", "parties", "purposes", "bases", "valid"):
        agreements.add_column(column)
    for a in message.agreements:
        agreements.add_row(
            a.agreement_id,
            a.instrument,
            " ".join(a.parties),
            names(envelope_pb2.Purpose, a.purposes, "PURPOSE_"),
            names(envelope_pb2.LegalBasis, a.legal_bases, "LEGAL_BASIS_"),
            f"{_when(a.valid_from)[:10]} .. {_when(a.valid_until)[:10]}",
        )
    rules = Table(title="Transfer rules (exporting country)")
    for column in ("country", "law", "adequate importers", "exception bases", "exception purposes"):
        rules.add_column(column)
    for r in message.transfer_rules:
        rules.add_row(
            r.country_iso2,
            r.law,
            " ".join(r.adequate_countries) or "-",
            names(envelope_pb2.LegalBasis, r.exception_bases, "LEGAL_BASIS_"),
            names(envelope_pb2.Purpose, r.exception_purposes, "PURPOSE_") or "-",
        )
    return [purposes, agreements, rules]


@policy_app.command("show")
def policy_show(
    target: Annotated[
        str | None,
        typer.Option("--target", help="Hub address; without it, the federation's signed policy file."),
    ] = None,
    federation_dir: FederationOption = Path("var/federation"),
    as_member: Annotated[str, typer.Option("--as", help="Your identity (with --target).")] = "OPERATOR-1",
    server_name: ServerNameOption = None,
) -> None:
    """The policy in force (from the hub) or the federation's signed policy, its signature verified."""
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

        async def fetch(client: MemberClient) -> ExchangePolicy:
            from pxhub.v1 import envelope_pb2

            policy = await client.refresh_policy()
            if policy is None:
                raise EnvelopeError(envelope_pb2.REASON_POLICY_UNAVAILABLE, "the hub has no policy in force")
            return policy

        policy = run_as(target, federation_dir, as_member, server_name, fetch)
    for table in _policy_tables(policy):
        console.print(table)
    console.print(
        f"signed by {policy.signature.signer} key {policy.signature.key_id}; sha256 {policy.sha256.hex()}"
    )


@policy_app.command("publish")
def policy_publish(
    policy_file: Annotated[Path, typer.Argument(help="Policy as protobuf JSON (pxhub.v1.Policy).")],
    target: TargetOption = "127.0.0.1:50051",
    federation_dir: FederationOption = Path("var/federation"),
    as_member: Annotated[str, typer.Option("--as", help="The operator that signs.")] = "OPERATOR-1",
    server_name: ServerNameOption = None,
) -> None:
    """Sign a policy as the operator and publish it (its version must be greater than the one in force)."""
    from google.protobuf import json_format

    from hub.core.policy import policy_from_json

    try:
        message = policy_from_json(policy_file.read_text(encoding="utf-8"))
    except (OSError, json_format.ParseError) as error:
        raise _fail(f"{policy_file}: {error}") from None
    message.issued_at.FromDatetime(datetime.now(UTC).replace(microsecond=0))
    response = run_as(target, federation_dir, as_member, server_name, lambda c: c.publish_policy(message))
    console.print(f"published policy v{response.version} (sha256 {response.policy_sha256.hex()})")
