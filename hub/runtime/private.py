"""What a hub or a member keeps on disk is private: folders 0700, files 0600, whatever the umask.

One hub process owns its data folder: ``DataDirLock`` holds an exclusive lock on a file in it
for the life of the process (released by the kernel when the process ends, even on SIGKILL), so a
second hub started on the same folder refuses to start instead of writing beside the first.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import Final

PRIVATE_DIR: Final = 0o700
PRIVATE_FILE: Final = 0o600
LOCK_FILE: Final = ".pxhub-hub.lock"


def private_dir(path: Path) -> Path:
    """``path`` created (with parents) if missing, and made 0700."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, PRIVATE_DIR)
    return path


def private_file(path: Path) -> Path:
    """``path`` created empty if missing (O_EXCL, 0600 from the first byte), and made 0600."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    os.chmod(path, PRIVATE_FILE)
    return path


class DataDirLockedError(RuntimeError):
    """Another hub process holds the data folder."""


class DataDirLock:
    """An exclusive, non-blocking lock on ``<data_dir>/.pxhub-hub.lock`` held until ``release``."""

    def __init__(self, data_dir: Path) -> None:
        self.path = private_dir(data_dir) / LOCK_FILE
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self._fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(self._fd)
            raise DataDirLockedError(
                f"another hub (pid {holder}) holds the data folder {data_dir}; "
                "stop it or give this one another --data-dir"
            ) from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{os.getpid()}\n".encode(), 0)

    def release(self) -> None:
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1
