"""The default exchange policy: a data file, signed by the operator into the federation.

``default_policy.json`` is the protobuf JSON form of ``pxhub.v1.Policy`` (enum
names), its dates written relative to the instant it is issued (``"issued+1095d"``),
so it never runs past a calendar date; ``docs/policy.md`` explains every entry. ``pxhub pki
init`` calls :func:`sign_default_policy`, which fixes its dates against the clock,
signs it with the operator's
key and writes the exact signed bytes to ``<federation>/policy/signed-policy.binpb``;
the hub reads that file at start when its store holds no policy yet, and
refuses to start if the signature does not verify under the operator's
directory key.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hub.core.envelope import SignerKey
from hub.core.policy import ExchangePolicy, OperatorKeys, policy_from_json, sign_policy
from hub.identity.directory import Directory
from hub.runtime.clock import edge_clock
from hub.runtime.files import write_atomically
from pxhub.v1 import policy_pb2

__all__ = [
    "DEFAULT_OPERATOR",
    "DEFAULT_POLICY_PATH",
    "SIGNED_POLICY_PATH",
    "default_policy",
    "default_policy_message",
    "operator_keys",
    "read_signed_policy",
    "sign_default_policy",
    "write_signed_policy",
]

DEFAULT_POLICY_PATH: Final = Path(__file__).with_name("default_policy.json")
#: Relative to the federation directory.
SIGNED_POLICY_PATH: Final = Path("policy") / "signed-policy.binpb"
DEFAULT_OPERATOR: Final = "OPERATOR-1"


def default_policy_message(issued: datetime) -> policy_pb2.Policy:
    """The default policy as shipped (version 1, unsigned), its relative dates fixed against ``issued``."""
    return policy_from_json(_default_text(), issued)


@cache
def _default_text() -> str:
    return DEFAULT_POLICY_PATH.read_text(encoding="utf-8")


@lru_cache(maxsize=16)
def default_policy(issued: datetime) -> ExchangePolicy:
    """The default policy issued at ``issued``, unsigned: what senders plan and project by (plans and
    policy cannot drift). Its dates are relative, so what it permits at ``issued`` is the same for
    any ``issued``."""
    message = default_policy_message(issued)
    return ExchangePolicy(message, message.SerializeToString())


def operator_keys(directory: Directory) -> OperatorKeys:
    """Signing keys of operators only: a member's key never signs a policy."""

    def lookup(signer: str, key_id: str) -> Ed25519PublicKey | None:
        entry = directory.member(signer)
        if entry is None or entry.role != "operator" or not entry.active:
            return None
        return directory.signing_key(signer, key_id)

    return lookup


def write_signed_policy(federation_dir: Path, signed: policy_pb2.SignedPolicy) -> Path:
    """Write the signed policy into the federation (world-readable: it is public), atomically."""
    path = Path(federation_dir) / SIGNED_POLICY_PATH
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomically(path, signed.SerializeToString(), mode=0o644)
    return path


def sign_default_policy(
    federation_dir: Path,
    passphrase: bytes,
    *,
    operator_id: str = DEFAULT_OPERATOR,
    message: policy_pb2.Policy | None = None,
    now: datetime | None = None,
) -> ExchangePolicy:
    """Sign the default (or the given) policy as ``operator_id`` and write it into the federation."""
    from hub.identity.credentials import load_identity

    identity = load_identity(Path(federation_dir), operator_id, passphrase)
    if identity.role != "operator":
        raise ValueError(f"{operator_id} is not an operator")
    issued = (now or edge_clock()).astimezone(UTC).replace(microsecond=0)
    policy = message if message is not None else default_policy_message(issued)
    policy.issuer = operator_id
    policy.issued_at.FromDatetime(issued)
    signed = sign_policy(policy, SignerKey(operator_id, identity.signing_key_id, identity.signing_key))
    write_signed_policy(Path(federation_dir), signed.signed())
    return signed


def read_signed_policy(federation_dir: Path) -> policy_pb2.SignedPolicy | None:
    """The signed policy file of a federation, or None when there is none (never verified here)."""
    path = Path(federation_dir) / SIGNED_POLICY_PATH
    if not path.exists():
        return None
    signed = policy_pb2.SignedPolicy()
    signed.ParseFromString(path.read_bytes())
    return signed
