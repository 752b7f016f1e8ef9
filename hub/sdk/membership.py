"""The operator's side of membership: review join requests, approve them, export a member's bundle.

The institution's request arrives as a file (``join-request.binpb``) that the operator puts in its
folder's ``join-requests/``. ``review_requests`` reads each with the checks the hub will run (and,
given the live directory, whether the id is free and the keys unused). ``approve`` checks again,
issues the certificate from the CSR with the CA key of the operator's folder, has the hub admit
the member (signed, stored, audited), and only then records the issued certificate
(``issued/``) and writes the member's bundle: a refusal at any step leaves no certificate on disk
and the directory unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives import serialization

from hub.core.envelope import EnvelopeError
from hub.identity.authority import DEFAULT_VALIDITY, CertificateAuthority, certificate_sha256, serial_hex
from hub.identity.directory import Directory
from hub.identity.directory_changes import check_request_against
from hub.identity.join import JoinRequestView, read_join_request
from hub.identity.manifest import PkiError, load_manifest
from hub.identity.member_folder import member_record, read_signed_request, write_member_bundle
from hub.runtime.files import write_atomically
from hub.sdk.client import MemberClient

#: Where the operator's folder keeps received join and renewal requests, and what it issued.
REQUESTS_DIR: Final = "join-requests"
ISSUED_DIR: Final = "issued"
BUNDLES_DIR: Final = "bundles"
#: How long a renewed member's previous certificate stays accepted unless told otherwise.
DEFAULT_RENEWAL_OVERLAP: Final = timedelta(days=7)


@dataclass(frozen=True)
class ReviewedRequest:
    """One request file and what the checks said (``problem`` empty when it may be approved)."""

    path: Path
    view: JoinRequestView | None
    problem: str

    @property
    def request_id(self) -> str:
        return self.view.request_id if self.view is not None else self.path.stem


@dataclass(frozen=True)
class Approved:
    member_id: str
    kind: str
    certificate_sha256: str
    serial: str
    not_after: datetime
    directory_version: int
    bundle: Path


def review(path: Path, now: datetime, directory: Directory | None = None) -> ReviewedRequest:
    try:
        signed = read_signed_request(path)
        view = read_join_request(signed, now)
        if directory is not None:
            check_request_against(signed, view, directory, now)
    except PkiError as error:
        return ReviewedRequest(path, None, str(error))
    except EnvelopeError as error:
        return ReviewedRequest(path, None, f"{error.reason_name}: {error.detail}")
    return ReviewedRequest(path, view, "")


def review_requests(
    operator_dir: Path, now: datetime, directory: Directory | None = None
) -> list[ReviewedRequest]:
    """Every request file in ``<operator_dir>/join-requests/``, checked as of ``now``."""
    folder = Path(operator_dir) / REQUESTS_DIR
    if not folder.is_dir():
        return []
    return [review(path, now, directory) for path in sorted(folder.glob("*.binpb"))]


def find_request(
    operator_dir: Path, name: str, now: datetime, directory: Directory | None = None
) -> ReviewedRequest:
    """A request by file path, file name, or request id (as ``pxhub members requests`` lists it)."""
    path = Path(name)
    if path.is_file():
        return review(path, now, directory)
    for reviewed in review_requests(operator_dir, now, directory):
        if name in (reviewed.request_id, reviewed.path.name, reviewed.path.stem):
            return reviewed
    raise PkiError(
        f"no join request {name!r} in {Path(operator_dir) / REQUESTS_DIR} (see `pxhub members requests`)"
    )


async def approve(
    client: MemberClient,
    operator_dir: Path,
    passphrase: bytes,
    request_path: Path,
    hub_address: str,
    *,
    bundle_out: Path | None = None,
    validity: timedelta = DEFAULT_VALIDITY,
    overlap: timedelta = DEFAULT_RENEWAL_OVERLAP,
) -> Approved:
    """Check, issue, admit at the hub, then record the certificate and write the member's bundle."""
    operator_dir = Path(operator_dir)
    now = client.clock()
    signed = read_signed_request(request_path)
    await client.refresh_directory()
    view = read_join_request(signed, now)  # EnvelopeError: the same reason the hub would give
    check_request_against(signed, view, client.directory, now)
    authority = CertificateAuthority.load(operator_dir, passphrase)
    certificate = authority.issue(view.csr_der, view.member_id, view.institution, now, validity)
    der = certificate.public_bytes(serialization.Encoding.DER)
    response = await client.admit_member(signed, der, overlap if view.kind == "renew" else timedelta(0))
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    serial = serial_hex(certificate)
    write_atomically(operator_dir / ISSUED_DIR / f"{view.member_id}-{serial}.crt", pem, 0o644)
    record = member_record(view.member_id, view.institution, view.keys, certificate)
    out = bundle_out or operator_dir / BUNDLES_DIR / f"{view.member_id}-{serial}"
    bundle = write_member_bundle(out, operator_dir, record, pem, await client.signed_directory(), hub_address)
    done = request_path.parent / "done"
    if request_path.parent.name == REQUESTS_DIR:
        done.mkdir(mode=0o700, exist_ok=True)
        request_path.replace(done / request_path.name)
    return Approved(
        view.member_id,
        view.kind,
        certificate_sha256(certificate),
        serial,
        certificate.not_valid_after_utc,
        response.directory_version,
        bundle,
    )


async def export_bundle(
    client: MemberClient, operator_dir: Path, member_id: str, out: Path, hub_address: str
) -> Path:
    """A development member's own folder: its keys (from the all-in-one folder ``pxhub pki init``
    wrote), the CA certificate, the hub's public record and address, the signed directory."""
    record = load_manifest(operator_dir).identity(member_id)
    if record.role != "member":
        raise PkiError(f"{member_id} is a {record.role}; only members are exported")
    pem = (Path(operator_dir) / record.certificate_path).read_bytes()
    signed = await client.signed_directory()
    return write_member_bundle(out, operator_dir, record, pem, signed, hub_address, with_private_keys=True)
