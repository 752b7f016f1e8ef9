"""Durable file writes: a file is either whole or absent, even across a crash."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hub.runtime.private import private_dir


def fsync_directory(directory: Path) -> None:
    """Make a rename or a new file in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Temporary file beside ``path`` (created 0600), fsync, chmod, rename, fsync of the directory."""
    path = Path(path)
    if not path.parent.is_dir():
        private_dir(path.parent)  # a folder made here is private too
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)
