"""Envelope seal / verify / open rates beside the raw primitives they are built from.

One thread, a ~1.5 KB InmateSecurityProfile, 1 and 7 recipients. Each figure is
the median of several rounds. The raw rows (Ed25519 sign/verify, HPKE wrap and
unwrap of a 32-byte key, AES-256-GCM over the record) give the crypto floor of
each envelope operation, so the "% of floor" column is the share of the time
that is cryptography rather than protobuf and Python overhead.

    .venv/bin/python -m bench.envelope_rates [--rounds 7] [--seconds 0.25]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bench.common import Measurement, ScenarioResult
from hub.core import envelope as E
from pxhub.v1 import common_pb2, envelope_pb2, inmate_profile_pb2, record_pb2

MEMBERS = ("PE-INPE", "GT-DGSP", "EC-SNAI", "UY-INR", "DO-DGSPC", "MX-OADPRS", "CO-INPEC")
TARGET_RECORD_BYTES = 1500


def sample_record(target: int = TARGET_RECORD_BYTES) -> record_pb2.Record:
    """A synthetic profile touching most layers, padded to ``target`` serialised bytes."""
    P = inmate_profile_pb2
    profile = P.InmateSecurityProfile(
        profile_id="BENCH-PROFILE-0001",
        custodian="CO-INPEC",
        custodian_subject_id="BENCH-SUBJECT-0001",
        person_status=P.PERSON_STATUS_SENTENCED,
        identity=P.PersonIdentity(
            given_names="GIVEN-NAMES-BENCH",
            first_surname="SURNAME-BENCH",
            second_surname="SURNAME-BENCH-2",
            birth_date=common_pb2.PartialDate(year=1988, month=3, day=14),
            nationalities_iso2=["CO", "VE"],
            sex=P.SEX_MALE,
            physical=P.PhysicalDescription(height_cm=176, weight_kg=80, distinguishing_marks=["mark-1"]),
        ),
        identifiers=[
            common_pb2.PersonIdentifier(
                type=common_pb2.ID_DOCUMENT_TYPE_CO_CEDULA_CIUDADANIA,
                issuing_country_iso2="CO",
                value="0000000000",
                validation=common_pb2.ID_VALIDATION_STATUS_VALID_FORMAT_ONLY,
            )
        ],
        custody=P.CustodyEpisode(
            admitted_on=common_pb2.PartialDate(year=2019, month=7, day=2),
            facility_code="BENCH-FAC-01",
            facility_name="Bench facility",
            legal_status=P.LEGAL_STATUS_CONVICTED_FINAL,
            charges=[
                P.Charge(iccs_code=code, description="bench charge", status=P.Charge.CHARGE_STATUS_CONVICTED)
                for code in ("0601", "0201", "0901")
            ],
            sentences=[P.Sentence(court="Bench court", case_ref="BENCH-CASE-1", term_years=14)],
            prior_incarcerations=2,
        ),
        security_classification=P.SecurityClassification(
            level=P.SECURITY_LEVEL_HIGH, instrument="bench-instrument", grounds=""
        ),
        risk_flags=[
            P.RiskFlag(type=P.RISK_TYPE_ESCAPE, level=P.RISK_LEVEL_HIGH, score=0.8),
            P.RiskFlag(type=P.RISK_TYPE_DIRECTING_CRIME_FROM_PRISON, level=P.RISK_LEVEL_MODERATE),
        ],
        affiliations=[
            P.AffiliationAssertion(
                assertion_id="AS-1",
                organisation_ref="org:bench",
                role=P.AFFILIATION_ROLE_MEMBER,
                bases=[P.AFFILIATION_BASIS_JUDICIAL_FINDING],
                status=P.ASSERTION_STATUS_VALIDATED,
            )
        ],
        care_alerts=[P.CareAlert(type=P.CARE_ALERT_TYPE_MEDICATION_CONTINUITY, handling_instruction="bench")],
    )
    record = record_pb2.Record(inmate_security_profile=profile)
    # The constructor copied ``profile``: pad the copy inside the record.
    classification = record.inmate_security_profile.security_classification
    classification.grounds = "g" * max(0, target - record.ByteSize())
    while record.ByteSize() > target and classification.grounds:
        classification.grounds = classification.grounds[:-1]
    return record


def metadata() -> envelope_pb2.RecordMetadata:
    return envelope_pb2.RecordMetadata(
        status=envelope_pb2.MESSAGE_STATUS_TEST,
        type=envelope_pb2.MESSAGE_TYPE_REPORT,
        purpose=envelope_pb2.PURPOSE_TRANSNATIONAL_ORGANISED_CRIME,
        legal_basis=envelope_pb2.LEGAL_BASIS_MULTILATERAL_TREATY,
        legal_instruments=["UNTOC art. 27"],
        subject_pseudonym="bench-pseudonym",
    )


@dataclass
class Row:
    operation: str
    recipients: str
    rounds: list[float]  # operations per second, one per round
    floor: float | None = None  # ops/s if only the underlying crypto ran

    @property
    def median(self) -> float:
        return statistics.median(self.rounds)


def rate(call: Callable[[int], object], rounds: int, seconds: float) -> list[float]:
    """Operations per second of ``call(i)`` for ``rounds`` rounds of about ``seconds`` each."""
    # Calibrate the batch size once so each round takes roughly ``seconds``.
    started = time.perf_counter()
    n = 0
    while time.perf_counter() - started < seconds / 5:
        call(n)
        n += 1
    batch = max(10, int(n * 5))
    results = []
    for _ in range(rounds):
        started = time.perf_counter()
        for i in range(batch):
            call(i)
        results.append(batch / (time.perf_counter() - started))
    return results


def measure(rounds: int = 7, seconds: float = 0.25) -> list[Row]:
    record = sample_record()
    plaintext = record.SerializeToString()
    signer = E.SignerKey("CO-INPEC", "co-sig-1", Ed25519PrivateKey.generate())
    private = {m: X25519PrivateKey.generate() for m in MEMBERS}
    suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)

    # Raw primitives on the same sizes as inside an envelope.
    ed_key = Ed25519PrivateKey.generate()
    ed_pub = ed_key.public_key()
    header_like = os.urandom(400)
    ed_sig = ed_key.sign(header_like)
    x_key = X25519PrivateKey.generate()
    x_pub = x_key.public_key()
    data_key = os.urandom(32)
    info = os.urandom(79)
    wrapped = suite.encrypt(data_key, x_pub, info=info)
    nonce = os.urandom(12)

    raw = {
        "Ed25519 sign": rate(lambda _: ed_key.sign(header_like), rounds, seconds),
        "Ed25519 verify": rate(lambda _: ed_pub.verify(ed_sig, header_like), rounds, seconds),
        "HPKE wrap 32 B": rate(lambda _: suite.encrypt(data_key, x_pub, info=info), rounds, seconds),
        "HPKE unwrap 32 B": rate(lambda _: suite.decrypt(wrapped, x_key, info=info), rounds, seconds),
        "AES-256-GCM 1.5 KB": rate(
            lambda _: AESGCM(data_key).encrypt(nonce, plaintext, info), rounds, seconds
        ),
    }
    sec = {name: 1 / statistics.median(r) for name, r in raw.items()}
    rows = [Row(f"raw {name}", "", r) for name, r in raw.items()]

    per_n = {n: _envelope_rows(n, record, signer, private, rounds, seconds) for n in (1, 7)}
    floors: dict[str, Callable[[int], float]] = {
        "seal": lambda n: 1 / (sec["Ed25519 sign"] + n * sec["HPKE wrap 32 B"] + sec["AES-256-GCM 1.5 KB"]),
        "verify": lambda n: 1 / sec["Ed25519 verify"],
        "parse + verify": lambda n: 1 / sec["Ed25519 verify"],
        "open (last recipient)": lambda n: 1 / (sec["HPKE unwrap 32 B"] + sec["AES-256-GCM 1.5 KB"]),
    }
    for operation, floor in floors.items():
        for n in (1, 7):
            rows.append(Row(operation, str(n), per_n[n][operation], floor(n)))
    return rows


def _envelope_rows(
    n: int,
    record: record_pb2.Record,
    signer: E.SignerKey,
    private: dict[str, X25519PrivateKey],
    rounds: int,
    seconds: float,
) -> dict[str, list[float]]:
    """Rates of the envelope operations with ``n`` recipients (64 distinct envelopes cycled)."""
    meta = metadata()
    recipients = [E.RecipientKey(m, f"{m}-enc", private[m].public_key()) for m in MEMBERS[:n]]
    resolver = E.StaticKeyResolver({(signer.member_id, signer.key_id): signer.private_key.public_key()})
    envelopes = [seal(record, meta, signer, recipients) for _ in range(64)]
    wire = [e.SerializeToString() for e in envelopes]
    verified = [E.verify(e, resolver) for e in envelopes]
    last = recipients[-1]
    last_key = private[last.member_id]
    return {
        "seal": rate(lambda _: seal(record, meta, signer, recipients), rounds, seconds),
        "verify": rate(lambda i: E.verify(envelopes[i % 64], resolver), rounds, seconds),
        "parse + verify": rate(lambda i: E.verify(E.parse_envelope(wire[i % 64]), resolver), rounds, seconds),
        "open (last recipient)": rate(
            lambda i: E.open_record(verified[i % 64], last.member_id, last.key_id, last_key), rounds, seconds
        ),
    }


def seal(
    record: record_pb2.Record,
    meta: envelope_pb2.RecordMetadata,
    signer: E.SignerKey,
    recipients: list[E.RecipientKey],
) -> envelope_pb2.Envelope:
    """A seal as the member SDK makes one: dated now, keyed from the OS generator."""
    return E.seal(record, meta, signer, recipients, now=datetime.now(UTC), random_bytes=os.urandom)


def table(rows: list[Row], record_bytes: int, envelope_bytes: dict[int, int], rounds: int) -> str:
    lines = [
        f"envelope rates: record {record_bytes} B, envelope {envelope_bytes[1]} B (1 recipient) / "
        f"{envelope_bytes[7]} B (7 recipients); median of {rounds} rounds, one thread",
        f"{'operation':<28}{'recip.':>7}{'ops/s':>10}{'us/op':>9}{'floor ops/s':>13}{'% of floor':>12}",
    ]
    for row in rows:
        floor = f"{row.floor:,.0f}" if row.floor else ""
        share = f"{100 * row.median / row.floor:.0f}%" if row.floor else ""
        lines.append(
            f"{row.operation:<28}{row.recipients:>7}{row.median:>10,.0f}{1e6 / row.median:>9.1f}"
            f"{floor:>13}{share:>12}"
        )
    return "\n".join(lines)


def envelope_sizes(record: record_pb2.Record) -> dict[int, int]:
    signer = E.SignerKey("CO-INPEC", "co-sig-1", Ed25519PrivateKey.generate())
    return {
        n: E.envelope_size(
            seal(
                record,
                metadata(),
                signer,
                [
                    E.RecipientKey(m, f"{m}-enc", X25519PrivateKey.generate().public_key())
                    for m in MEMBERS[:n]
                ],
            )
        )
        for n in (1, 7)
    }


def to_result(rows: list[Row], rounds: int) -> ScenarioResult:
    """The rows in the shared bench result shape (bench/common.py), with ratios to the floors."""
    result = ScenarioResult(
        scenario="envelope_rates",
        parameters={"record_bytes": sample_record().ByteSize(), "rounds": rounds, "threads": 1},
    )
    for row in rows:
        name = f"{row.operation} ({row.recipients} recipients)" if row.recipients else row.operation
        result.measurements.append(
            Measurement(name, "ops/s", row.rounds, baseline_of="" if row.floor else "envelope operations")
        )
        if row.floor:
            result.ratios[f"{name} / crypto floor"] = row.median / row.floor
    return result


def run(count: int | None = None, rounds: int = 7, seconds: float = 0.25) -> ScenarioResult:
    """Scenario entry point in the shape ``bench/__main__.py`` expects (``count`` is unused)."""
    del count
    return to_result(measure(rounds, seconds), rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description="envelope seal/verify/open rates beside raw crypto")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.25, help="approximate length of one round")
    parser.add_argument("--write", action="store_true", help="also write bench/results/envelope_rates.json")
    args = parser.parse_args()
    rows = measure(args.rounds, args.seconds)
    record = sample_record()
    print(table(rows, record.ByteSize(), envelope_sizes(record), args.rounds))
    if args.write:
        print(f"wrote {to_result(rows, args.rounds).write()}")


if __name__ == "__main__":
    main()
