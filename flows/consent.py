"""Consent flows: a transfer under the subject's consent, and the propagation of its withdrawal.

Thin, like every flow: the SDK signs and the hub decides. A transfer of a
sentenced person at their own request is the case the domain model gives for
consent as legal basis; withdrawing it makes the hub purge what is
undelivered and notify every recipient, whose inbound sync deletes the record
from its national sink (or blocks it under a legal hold) and returns a signed
deletion attestation. Secrets never travel as flow parameters.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from pathlib import Path

from prefect import flow, get_run_logger, task

from adapters.registry import get_adapter
from flows.common import (
    DEFAULT_STATE_DIR,
    Outbox,
    connect,
    member_state_dir,
    message_id_key,
    record_handle_for,
    record_receipts,
)
from hub.core.consent import SCHEMA_VERSION, subject_pseudonym
from hub.dev.federation import demo_pseudonym_key
from hub.runtime.clock import edge_clock
from pxhub.v1 import consent_pb2, envelope_pb2, inmate_profile_pb2, record_pb2

E = envelope_pb2
C = consent_pb2
PURPOSE = E.PURPOSE_CUSTODY_TRANSFER
#: What a transfer of a sentenced person needs (no affiliation, no biometrics beyond references).
CATEGORIES = (2, 3, 4, 5, 6)  # PERSONAL, IDENTIFIER, JUDICIAL, BIOMETRIC, HEALTH


@dataclass
class ConsentTransfer:
    controller: str
    consent_id: str = ""
    subject: str = ""
    message_id: str = ""
    recipients: tuple[str, ...] = ()
    outcome: str = ""


@dataclass
class Withdrawal:
    consent_id: str
    purged: int = 0
    notices: int = 0
    lineage: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # recipient, received, ack, attested


def profile_from_export(
    controller: str, source: str, subject_id: str
) -> inmate_profile_pb2.InmateSecurityProfile:
    """The row of ``subject_id`` (the national inmate number) in the controller's national export."""
    with Path(source).open("rb") as stream:
        for row in get_adapter(controller).parse(stream):
            if row.record is not None and row.record.custodian_subject_id == subject_id:
                return row.record
    raise ValueError(f"{source} has no usable row for {subject_id!r}")


@task(retries=2, retry_delay_seconds=[1, 2])
async def register_and_send(
    controller: str,
    recipients: tuple[str, ...],
    source: str,
    subject_id: str,
    target: str,
    federation_dir: str,
    state_dir: str,
) -> ConsentTransfer:
    """Register the subject's signed consent, then send the profile under it, projected to the purpose.

    The envelope is kept in the member's outbox before it leaves, its header naming the record by its
    handle (subject access finds it there), and countersigned by the controller's approver: a
    transfer carries biometric references and contacts, layers the policy puts under four eyes.
    """
    profile = profile_from_export(controller, source, subject_id)
    client = await connect(controller, target, federation_dir)
    try:
        national_id = profile.identifiers[0].value if profile.identifiers else profile.custodian_subject_id
        subject = subject_pseudonym(demo_pseudonym_key(controller), controller[:2], national_id)
        now = edge_clock().replace(microsecond=0)
        record = C.ConsentRecord(
            schema_version=SCHEMA_VERSION,
            consent_id=str(
                uuid.uuid5(uuid.NAMESPACE_URL, f"pxhub:consent:{controller}:{subject}:{','.join(recipients)}")
            ),
            subject_pseudonym=subject,
            subject_jurisdiction=controller[:2],
            controller=controller,
            purposes=[PURPOSE],
            recipients=list(recipients),
            data_categories=list(CATEGORIES),  # type: ignore[arg-type]
            legal_basis=E.LEGAL_BASIS_CONSENT,
            legal_instruments=["Solicitud de traslado de la persona condenada"],
            withdrawal_method="Solicitud escrita o verbal ante la oficina jurídica del establecimiento",
            language="es",
            notice_uri=f"https://{controller.lower()}.example/avisos/traslado-v1",
            notice_sha256=hashlib.sha256(
                b"Aviso de privacidad: traslado de personas condenadas, v1"
            ).digest(),
            collection_method="Formulario firmado ante el asesor jurídico del establecimiento",
            retention="P5Y desde la decisión sobre el traslado",
        )
        record.given_at.FromDatetime(now - timedelta(days=2))
        record.valid_from.FromDatetime(now - timedelta(days=2))
        record.valid_until.FromDatetime(now + timedelta(days=180))
        await client.register_consent(record)
        metadata = E.RecordMetadata(
            message_id=str(
                uuid.uuid5(uuid.NAMESPACE_URL, f"pxhub:{controller}:consent-transfer:{record.consent_id}")
            ),
            status=E.MESSAGE_STATUS_ACTUAL,
            type=E.MESSAGE_TYPE_REPORT,
            sender=E.Party(member_id=controller),
            purpose=PURPOSE,
            legal_basis=E.LEGAL_BASIS_CONSENT,
            legal_instruments=list(record.legal_instruments),
            consent_ref=record.consent_id,
            subject_pseudonym=subject,
            handling=E.HandlingInstructions(classification=E.CLASSIFICATION_RESTRICTED),
            language="es",
            record_version=1,
            originating_record_id=record_handle_for(
                message_id_key(state_dir, controller), profile.custodian_subject_id
            ),
        )
        outbox = Outbox(member_state_dir(state_dir, controller) / "outbox.sqlite")
        try:
            outcome, stored = outbox.outcome(metadata.message_id)
            if stored is None:
                projected = client.project(record_pb2.Record(inmate_security_profile=profile), PURPOSE)
                sealed = client.seal(projected, metadata, recipients, approve=True)
                stored = outbox.keep([(metadata.message_id, sealed.SerializeToString(), recipients)])[
                    metadata.message_id
                ]
            receipt = (await client.submit([E.Envelope.FromString(stored)]))[0]
            record_receipts(outbox, [(metadata.message_id, recipients)], [receipt])
        finally:
            outbox.close()
    finally:
        await client.close()
    outcome = E.Receipt.Outcome.Name(receipt.outcome).removeprefix("OUTCOME_")
    if receipt.reason:
        outcome = E.Reason.Name(receipt.reason).removeprefix("REASON_")
    return ConsentTransfer(controller, record.consent_id, subject, receipt.message_id, recipients, outcome)


@flow(name="consent-transfer", log_prints=False)
async def consent_transfer(
    controller: str,
    recipients: tuple[str, ...],
    source: str,
    subject_id: str,
    target: str,
    federation_dir: str,
    state_dir: str = DEFAULT_STATE_DIR,
) -> ConsentTransfer:
    """A sentenced person's request to be transferred: consent registered, profile sent under it.

    The profile is the person's row (``subject_id``, the national inmate number) in the controller's
    national export ``source``, read through its adapter.
    """
    result = await register_and_send(
        controller, recipients, source, subject_id, target, federation_dir, state_dir
    )
    get_run_logger().info("consent %s: transfer %s %s", result.consent_id, result.message_id, result.outcome)
    return result


def _when(stamp: object) -> str:
    if not stamp.seconds:  # type: ignore[attr-defined]
        return "-"
    return str(stamp.ToDatetime(UTC).strftime("%H:%M:%S"))  # type: ignore[attr-defined]


@task(retries=2, retry_delay_seconds=[1, 2])
async def withdraw(controller: str, consent_id: str, target: str, federation_dir: str) -> Withdrawal:
    client = await connect(controller, target, federation_dir)
    try:
        response = await client.withdraw_consent(consent_id, note="the subject withdrew the transfer request")
    finally:
        await client.close()
    return Withdrawal(consent_id, response.purged_envelopes, response.notices)


async def track(
    controller: str, message_id: str, target: str, federation_dir: str
) -> list[tuple[str, str, str, str]]:
    """Per recipient: received, acknowledged, deletion attested (the originator's Track)."""
    client = await connect(controller, target, federation_dir)
    try:
        lineage = await client.track(message_id)
    finally:
        await client.close()
    rows = []
    for r in lineage.recipients:
        status = C.DeletionStatus.Name(r.deletion_status).removeprefix("DELETION_STATUS_").lower()
        rows.append(
            (
                r.recipient,
                "withdrawn before delivery" if r.cancelled else _when(r.first_delivered_at),
                _when(r.acknowledged_at),
                f"{_when(r.attested_at)} {status}" if r.HasField("attested_at") else "pending",
            )
        )
    return rows


@flow(name="consent-withdrawal", log_prints=False)
async def consent_withdrawal(
    controller: str, consent_id: str, target: str, federation_dir: str
) -> Withdrawal:
    """Withdraw: the hub purges what is undelivered and queues a notice for every recipient that got it."""
    result = await withdraw(controller, consent_id, target, federation_dir)
    get_run_logger().info(
        "consent %s withdrawn: %d purged, %d notices", consent_id, result.purged, result.notices
    )
    return result
