"""No key material in logs or error messages: a representative run with JSON logs captured and scanned.

Scanned for: every private key of the federation (application keys raw, TLS keys as PEM and DER),
the passphrase, PEM private-key blocks, and every AES data key generated while sealing, each raw,
hex and base64.
"""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import grpc
import pytest
from cryptography.hazmat.primitives import serialization

from hub.core import envelope as envelope_module
from hub.dev.federation import default_members
from hub.identity.credentials import load_hub, load_identity
from hub.identity.manifest import load_manifest
from hub.runtime.logs import configure_logging
from tests.conftest import PASSPHRASE, start_test_hub
from tests.security_support import channel, identity_credentials
from tests.test_authorization_matrix import all_methods, call
from tests.test_exchange_grpc import knowledge_metadata, practice

SENDER, RECIPIENT, OTHER = (m.member_id for m in default_members()[:3])


def encodings(secret: bytes) -> list[bytes]:
    return [
        secret,
        secret.hex().encode(),
        base64.b64encode(secret).rstrip(b"="),
        base64.urlsafe_b64encode(secret).rstrip(b"="),
    ]


def federation_secrets(federation_dir: Path) -> list[bytes]:
    secrets: list[bytes] = [PASSPHRASE]
    hub = load_hub(federation_dir, PASSPHRASE)
    secrets += [hub.tls_private_key_pem, hub.signing_key.private_bytes_raw()]
    for identity in load_manifest(federation_dir).identities:
        if identity.role == "hub":
            continue
        creds = load_identity(federation_dir, identity.id, PASSPHRASE)
        secrets.append(creds.tls_private_key_pem)
        tls_key = serialization.load_pem_private_key(creds.tls_private_key_pem, None)
        secrets.append(
            tls_key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        for key in (creds.signing_key, creds.encryption_key, creds.approver_key):
            if key is not None:
                secrets.append(key.private_bytes_raw())
    return secrets


async def test_no_key_material_in_logs_or_errors(
    federation_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_keys: list[bytes] = []
    real_urandom = os.urandom

    def recording_urandom(size: int) -> bytes:
        value = real_urandom(size)
        if size == envelope_module.DATA_KEY_SIZE:
            data_keys.append(value)
        return value

    monkeypatch.setattr(os, "urandom", recording_urandom)  # the SDK seals with os.urandom
    captured = io.StringIO()
    configure_logging("json", "debug", stream=captured)
    texts: list[str] = []
    hub = await start_test_hub(federation_dir, member_envelopes_per_second=50.0, member_envelope_burst=40)
    try:
        sender = await hub.client(SENDER, rate_limit_wait=0)  # the refusal itself is under test
        recipient = await hub.client(RECIPIENT)
        good = [sender.seal(practice(SENDER), knowledge_metadata(), [RECIPIENT]) for _ in range(10)]
        tampered = sender.seal(practice(SENDER), knowledge_metadata(), [RECIPIENT])
        tampered.ciphertext = bytes(len(tampered.ciphertext))
        receipts = await sender.submit([*good, tampered, good[0]])
        texts += [r.detail for r in receipts]
        deliveries = [d async for d in recipient.fetch()]
        opened = [recipient.open(d) for d in deliveries]
        await recipient.acknowledge([recipient.receipt_for(o.verified) for o in opened])
        try:  # rate limited
            burst = [sender.seal(practice(SENDER), knowledge_metadata(), [RECIPIENT]) for _ in range(40)]
            await sender.submit(burst)
        except grpc.aio.AioRpcError as error:
            texts.append(str(error.details()))
        else:
            raise AssertionError("the burst should have been rate limited")
        for identity in (OTHER, "AUDITOR-1", "OPERATOR-1"):  # every RPC as each role: successes and refusals
            chan = channel(hub.target, identity_credentials(federation_dir, identity))
            for method in all_methods(hub):
                await call(chan, method)
            await chan.close()
        await sender.close()
        await recipient.close()
    finally:
        await hub.running.stop(grace=0.1)  # type: ignore[attr-defined]
        configure_logging("console", "info")
    log_text = captured.getvalue()
    assert log_text.count("\n") > 50, "the run must have logged"
    assert '"event": "rpc"' in log_text
    assert data_keys, "sealing must have generated data keys"
    haystack = (log_text + "\n".join(texts)).encode()
    assert b"-----BEGIN" not in haystack and b"PRIVATE KEY" not in haystack
    for secret in [*federation_secrets(federation_dir), *data_keys]:
        for form in encodings(secret):
            assert form not in haystack
