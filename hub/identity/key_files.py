"""A party's private keys on disk: encrypted PKCS#8 PEM files, read and decrypted with its passphrase."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, x25519

from hub.identity.manifest import PkiError

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | x25519.X25519PrivateKey
PRIVATE_MODE = 0o600
PUBLIC_MODE = 0o644
DIR_MODE = 0o700


def check_passphrase(passphrase: object) -> None:
    if not isinstance(passphrase, bytes):
        raise PkiError(f"passphrase must be bytes, got {type(passphrase).__name__}")
    if not passphrase:
        raise PkiError("passphrase is empty")


def read_federation_file(directory: Path, rel: str, what: str) -> bytes:
    path = directory / rel
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise PkiError(f"missing {what} {path}") from None
    except OSError as e:
        raise PkiError(f"cannot read {what} {path}: {e.strerror}") from e


def decrypt_private_key(directory: Path, rel: str, passphrase: bytes) -> PrivateKey:
    path = directory / rel
    pem = read_federation_file(directory, rel, "private key")
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase)
    except TypeError:
        # The only TypeError here: the file holds an unencrypted key.
        raise PkiError(f"refusing {path}: the private key is not encrypted") from None
    except ValueError as e:
        # A wrong passphrase usually fails the padding check, but about one time in 256 the
        # garbage plaintext has valid padding and fails later, as undecodable key data. So an
        # encrypted PKCS#8 file that does not load is a wrong passphrase, whatever the text.
        if pem.lstrip().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----"):
            raise PkiError(f"cannot decrypt {path}: wrong passphrase") from None
        raise PkiError(f"cannot load {path}: not an encrypted PKCS#8 PEM private key") from e
    if not isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | x25519.X25519PrivateKey):
        raise PkiError(f"{path} holds a {type(key).__name__}; expected EC P-256, Ed25519 or X25519")
    return key


def raw_public_key(key: ed25519.Ed25519PrivateKey | x25519.X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class KeyFileWriter:
    """Creates files under a (staging) root with their final modes from the first byte: private keys
    encrypted with the passphrase and 0600, public files 0644, folders 0700."""

    def __init__(self, root: Path, passphrase: bytes) -> None:
        self.root = root
        self._encryption = serialization.BestAvailableEncryption(passphrase)

    def mkdir(self, rel: str) -> None:
        path = self.root / rel
        path.mkdir(mode=DIR_MODE)
        os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask

    def _write(self, rel: str, data: bytes, mode: int) -> None:
        # O_EXCL: never follow or reuse something already there; the mode is set at
        # creation so a private key is never readable by others, even briefly.
        fd = os.open(
            self.root / rel, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode
        )
        try:
            os.fchmod(fd, mode)  # exact mode whatever the umask
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)

    def private_key(self, rel: str, key: PrivateKey) -> None:
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, self._encryption
        )
        self._write(rel, pem, PRIVATE_MODE)

    def public(self, rel: str, data: bytes) -> None:
        self._write(rel, data, PUBLIC_MODE)
